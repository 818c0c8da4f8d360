"""The vector-quantization functions of ``vidgen_tf.losses.vq`` against NumPy and hand
computations: the nearest code (a brute-force argmin, any of the tied codes on a tie, the size
check), the straight-through estimator (value and gradients), the commitment loss, the EMA
statistics and the Laplace-smoothed codebook (2 codes, 3 vectors, by hand), the EMA step with
dead-code restarts, perplexity and code usage. The layer made of them:
tests/layers/test_quantize.py."""

import numpy as np
import pytest

import keras
from vidgen_tf.losses import vq

RNG = np.random.default_rng(0)


def test_nearest_codes_is_a_brute_force_argmin():
    z = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    codebook = RNG.normal(size=(7, 5)).astype("float32")
    distances = ((z.astype("float64")[..., None, :] - codebook.astype("float64")) ** 2).sum(-1)
    expected = distances.argmin(-1)
    # the layer computes |z|^2 - 2 z.e + |e|^2 in float32 (rounding ~1e-6 here): the test is
    # about the argmin, so every vector's best code must win by more than that
    ordered = np.sort(distances, axis=-1)
    assert np.all(ordered[..., 1] - ordered[..., 0] > 1e-3)
    got = vq.nearest_codes(z, codebook)
    assert keras.backend.standardize_dtype(got.dtype) == "int32"
    assert tuple(got.shape) == (2, 3, 4)
    np.testing.assert_array_equal(np.asarray(got), expected)
    # each vector looked up: the codebook row of its index
    np.testing.assert_array_equal(np.asarray(vq.lookup(got, codebook)), codebook[expected])


def test_nearest_codes_on_a_tie_picks_one_of_the_tied_codes():
    """Which of several equally near codes wins is left to the backend's argmin (TensorFlow
    does not promise the first on every device): any tied code is a right answer."""
    # distances computed exactly in float32 (small integers and halves)
    codebook = np.array([[9.0, 9.0], [5.0, 0.0],
                         [0.0, 0.0],             # 2: at 0.25 from (0.5, 0)
                         [4.0, 4.0],
                         [0.0, 0.0],             # 4: a copy of code 2
                         [1.0, 0.0]],            # 5: also at 0.25 from (0.5, 0)
                        "float32")
    z = np.array([[0.5, 0.0],                    # codes 2, 4 and 5 tie
                  [1.0, 0.0],                    # code 5 alone
                  [0.0, 0.0],                    # codes 2 and 4 tie
                  [4.5, 2.0]],                   # (4, 4), (5, 0) and (9, 9): 4.25, 4.25, 74.25
                 "float32")
    allowed = [{2, 4, 5}, {5}, {2, 4}, {1, 3}]
    for book, order in ((codebook, np.arange(6)), (codebook[::-1].copy(), np.arange(6)[::-1])):
        got = np.asarray(vq.nearest_codes(z, book))
        assert [int(order[k]) in a for k, a in zip(got, allowed)] == [True] * 4, got


def test_nearest_codes_names_both_sizes_when_they_differ():
    with pytest.raises(ValueError, match=r"vectors of size 5 .*codes of size 4"):
        vq.nearest_codes(np.zeros((3, 5), "float32"), np.zeros((7, 4), "float32"))


def test_straight_through_is_the_code_forward_and_the_identity_backward():
    import tensorflow as tf

    z = tf.constant(RNG.normal(size=(2, 3, 4)).astype("float32"))
    q = tf.constant(RNG.normal(size=(2, 3, 4)).astype("float32"))
    w = tf.constant(RNG.normal(size=(2, 3, 4)).astype("float32"))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([z, q])
        out = vq.straight_through(z, q)
        loss = tf.reduce_sum(w * out)
        reference = tf.reduce_sum(w * q)     # the decoder's loss on the codes themselves
    # sg(q) + (z - sg(z)): z - z is exactly 0, so the value is q bit for bit
    np.testing.assert_array_equal(np.asarray(out), np.asarray(q))
    grad_z = tape.gradient(loss, z)
    np.testing.assert_array_equal(np.asarray(grad_z), np.asarray(w))
    # the encoder receives the gradient the quantized output got
    np.testing.assert_array_equal(np.asarray(grad_z), np.asarray(tape.gradient(reference, q)))
    # and nothing flows into the codes through the estimator
    grad_q = tape.gradient(loss, q)
    assert grad_q is None or not np.any(np.asarray(grad_q))
    del tape


def test_commitment_loss_by_hand_and_its_gradient_reaches_only_z():
    import tensorflow as tf

    z = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    q = tf.constant([[1.0, 1.0], [2.0, 2.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([z, q])
        loss = vq.commitment_loss(z, q)
    # differences 0, 1, 1, 2: squares 0, 1, 1, 4, mean 6 / 4
    assert float(loss) == pytest.approx(1.5, rel=1e-7)
    # d/dz mean (z - q)^2 = 2 (z - q) / 4
    np.testing.assert_allclose(np.asarray(tape.gradient(loss, z)), [[0.0, 0.5], [0.5, 1.0]],
                               rtol=1e-7)
    grad_q = tape.gradient(loss, q)
    assert grad_q is None or not np.any(np.asarray(grad_q))
    del tape


def test_the_ema_codebook_update_by_hand():
    """2 codes, 3 vectors of size 2, decay 0.9, epsilon 0.1 (large, to be seen)."""
    z = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "float32")
    indices = np.array([0, 1, 0], "int32")
    counts, sums = vq.assignment_statistics(z, indices, 2)
    # code 0 gets vectors 0 and 2, code 1 vector 1
    np.testing.assert_array_equal(np.asarray(counts), [2.0, 1.0])
    np.testing.assert_array_equal(np.asarray(sums), [[6.0, 8.0], [3.0, 4.0]])

    ema_count = np.array([1.0, 3.0], "float32")
    ema_sum = np.array([[2.0, 2.0], [9.0, 0.0]], "float32")
    n, m = vq.ema_statistics(ema_count, ema_sum, counts, sums, 0.9)
    # N = 0.9 [1, 3] + 0.1 [2, 1]; m = 0.9 [[2, 2], [9, 0]] + 0.1 [[6, 8], [3, 4]]
    # (float32 of 0.9 and 0.1: a few ulps)
    np.testing.assert_allclose(np.asarray(n), [1.1, 2.8], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(m), [[2.4, 2.6], [8.4, 0.4]], rtol=1e-6)

    codebook = np.asarray(vq.laplace_codebook(n, m, epsilon=0.1))
    # total 3.9, N' = (N + 0.1) / (3.9 + 2 x 0.1) x 3.9 = [1.2, 2.9] x 3.9 / 4.1
    smoothed = np.array([1.2, 2.9]) * 3.9 / 4.1                      # [1.14146, 2.75854]
    expected = np.array([[2.4, 2.6], [8.4, 0.4]]) / smoothed[:, None]
    np.testing.assert_allclose(codebook, [[2.102564, 2.277778], [3.045093, 0.145004]],
                               rtol=1e-5)                            # the numbers, rounded
    np.testing.assert_allclose(codebook, expected, rtol=1e-6)       # float32: a few ulps
    # smoothing moves counts from the larger to the smaller code and keeps their total
    recovered = np.asarray(m)[:, 0] / codebook[:, 0]
    assert recovered.sum() == pytest.approx(3.9, rel=1e-6)
    assert recovered[0] > 1.1 and recovered[1] < 2.8
    # without smoothing the codebook is the plain mean m / N
    np.testing.assert_allclose(np.asarray(vq.laplace_codebook(n, m, epsilon=0.0)),
                               np.asarray(m) / np.asarray(n)[:, None], rtol=1e-6)


def test_the_ema_step_restarts_a_code_whose_count_falls_below_the_threshold():
    """The example above (counts N = [1.1, 2.8] after the step) with restarts: a threshold of
    1.2 kills code 0, 1.0 none."""
    ema_count = np.array([1.0, 3.0], "float32")
    ema_sum = np.array([[2.0, 2.0], [9.0, 0.0]], "float32")
    counts = np.array([2.0, 1.0], "float32")
    sums = np.array([[6.0, 8.0], [3.0, 4.0]], "float32")
    candidates = np.array([[-7.0, 0.5], [11.0, 13.0]], "float32")
    codebook, n, m = (np.asarray(a) for a in vq.ema_codebook_step(
        ema_count, ema_sum, counts, sums, candidates, decay=0.9, epsilon=0.1,
        restart_threshold=1.2))
    # code 0 (1.1 < 1.2) is its candidate, with the statistics of that one vector
    np.testing.assert_array_equal(codebook[0], candidates[0])
    np.testing.assert_array_equal(m[0], candidates[0])
    assert n[0] == 1.0
    # code 1 is smoothed with the total before the restart (1.1 + 2.8 = 3.9), as by hand
    np.testing.assert_allclose(codebook[1], np.array([8.4, 0.4]) / (2.9 * 3.9 / 4.1), rtol=1e-6)
    np.testing.assert_allclose(n[1], 2.8, rtol=1e-6)
    np.testing.assert_allclose(m[1], [8.4, 0.4], rtol=1e-6)
    # no code below 1.0: the plain EMA step
    codebook, n, m = (np.asarray(a) for a in vq.ema_codebook_step(
        ema_count, ema_sum, counts, sums, candidates, decay=0.9, epsilon=0.1,
        restart_threshold=1.0))
    expected_n, expected_m = vq.ema_statistics(ema_count, ema_sum, counts, sums, 0.9)
    np.testing.assert_array_equal(n, np.asarray(expected_n))
    np.testing.assert_array_equal(m, np.asarray(expected_m))
    np.testing.assert_array_equal(
        codebook, np.asarray(vq.laplace_codebook(expected_n, expected_m, 0.1)))


def test_laplace_smoothing_keeps_a_code_with_no_count_finite():
    ema_count = np.array([0.0, 2.0], "float32")
    ema_sum = np.array([[0.0, 0.0], [4.0, 6.0]], "float32")
    codebook = np.asarray(vq.laplace_codebook(ema_count, ema_sum, epsilon=1e-5))
    assert np.all(np.isfinite(codebook))
    np.testing.assert_array_equal(codebook[0], [0.0, 0.0])
    # N'_1 = (2 + 1e-5) / (2 + 2e-5) x 2, 1 - 5e-6 relative below 2
    np.testing.assert_allclose(codebook[1], np.array([4.0, 6.0]) / (2 * (2 + 1e-5) / (2 + 2e-5)),
                               rtol=1e-6)
    # the unsmoothed division would give 0 / 0
    assert np.all(np.isnan(np.asarray(vq.laplace_codebook(ema_count, ema_sum, epsilon=0.0))[0]))


def test_perplexity_counts_the_codes_really_used():
    equal = np.tile(np.arange(4, dtype="int32"), 6).reshape(2, 12)
    # exp(log 4) in float32
    assert float(vq.perplexity(equal, 4)) == pytest.approx(4.0, rel=1e-6)
    assert float(vq.perplexity(np.full((3, 5), 2, "int32"), 4)) == pytest.approx(1.0, abs=1e-6)
    # frequencies 1/2, 1/4, 1/4, 0: entropy 1.5 log 2, perplexity 2^1.5
    indices = np.array([0, 1, 0, 2], "int32")
    assert float(vq.perplexity(indices, 4)) == pytest.approx(2.0 ** 1.5, rel=1e-6)
    # frequencies 0.7, 0.2, 0.1 (unused codes add nothing)
    indices = np.array([0] * 7 + [1] * 2 + [2], "int32")
    p = np.array([0.7, 0.2, 0.1])
    assert float(vq.perplexity(indices, 8)) == pytest.approx(np.exp(-np.sum(p * np.log(p))),
                                                             rel=1e-6)
    np.testing.assert_array_equal(np.asarray(vq.code_counts(indices, 4)), [7, 2, 1, 0])


def test_code_usage_is_the_share_of_codes_that_occur():
    indices = np.array([[0, 0, 2], [2, 2, 0]], "int32")
    assert float(vq.code_usage(indices, 4)) == pytest.approx(2 / 4)
    assert float(vq.code_usage(indices, 3)) == pytest.approx(2 / 3)
    assert float(vq.code_usage(np.arange(5, dtype="int32"), 5)) == 1.0
