"""The vector quantizer: the Keras contract (harness), outputs that are always codebook rows
(the codebook before the update in training), the codebook set from the first training batch,
the EMA update against NumPy, the restart of a planted dead code, variables that change only
when the layer trains (``training=False``, ``trainable=False``, and a frozen VQ-VAE under a
model that fits: VideoGPT issue 7), the ``initialized`` flag after a save and reload, and
errors. Its functions alone: tests/losses/test_vq.py."""

import numpy as np
import pytest

import keras
from tests.harness import count_params, run_model_test
from vidgen_tf.layers import VectorQuantizer
from vidgen_tf.models import VideoVQVAE

RNG = np.random.default_rng(0)
K, D = 8, 4
# the initial and restart picks are batch vectors plus noise of standard deviation
# 0.01 / sqrt(D) = 0.005 per component: 6 standard deviations (a chance of about 2e-9 per
# component to exceed it) while random batch vectors are ~1 apart. (A bound of 0.01 on the
# Euclidean distance would not do: that is the noise's typical length, sqrt(D) x 0.005.)
NOISE_BOUND = 6 * 0.01 / D ** 0.5
# the layer's update in float32 (sums of up to 30 vectors, a product by the decay, one
# division) against the same formulas in float64: a few ulps of values of size ~1
RTOL, ATOL = 1e-5, 1e-6


def vectors(shape=(2, 3, 5), shift=0.0):
    return (RNG.normal(size=shape + (D,)) + shift).astype("float32")


def state(layer):
    """Copies of every variable of the layer (the seed generator's state included)."""
    return {v.path: np.array(v.numpy(), copy=True) for v in layer.variables}


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def nearest(flat, codebook):
    """Brute-force nearest codes in float64, and each vector's margin to the second best."""
    d = ((flat.astype("float64")[:, None, :] - codebook.astype("float64")) ** 2).sum(-1)
    ordered = np.sort(d, axis=1)
    return d.argmin(1), ordered[:, 1] - ordered[:, 0]


def distance_to_batch(rows, flat):
    """For each row, the largest per-component deviation from the closest batch vector."""
    return np.abs(rows[:, None, :] - flat[None, :, :]).max(-1).min(1)


def ema_prediction(codebook, ema_count, ema_sum, flat, decay, epsilon=1e-5):
    """One EMA step in NumPy (float64): the indices, the new counts, sums and codebook."""
    indices, margin = nearest(flat, codebook)
    assert np.all(margin > 1e-4), "a near tie: float32 may pick the other code"
    counts = np.bincount(indices, minlength=len(codebook)).astype("float64")
    sums = np.zeros(codebook.shape)
    np.add.at(sums, indices, flat.astype("float64"))
    n = decay * ema_count + (1 - decay) * counts
    m = decay * ema_sum + (1 - decay) * sums
    total = n.sum()
    smoothed = (n + epsilon) / (total + len(n) * epsilon) * total
    return indices, n, m, m / smoothed[:, None]


def test_harness(tmp_path):
    layer = VectorQuantizer(K, D, seed=0)
    z = vectors()
    # codebook K x D, EMA counts K, EMA sums K x D, the initialized flag: 73. The seed
    # generator's state (2 int64) is a non-trainable *variable* but Keras keeps it out of
    # non_trainable_weights (which the harness counts): checked below.
    run_model_test(layer, z, {"quantized": z.shape, "indices": z.shape[:-1]},
                   trainable_params=0, non_trainable_params=K * D + K + K * D + 1, fit=False,
                   tmp_path=tmp_path, float32_outputs=("quantized",), int32_outputs=("indices",))
    assert count_params(layer.non_trainable_variables) == K * D + K + K * D + 1 + 2
    assert "seed_generator_state" in layer.seed_generator.state.path


def test_the_output_is_always_a_codebook_row():
    layer = VectorQuantizer(K, D, seed=0)
    layer(vectors(), training=True)                  # sets the codebook from a batch
    z = vectors()
    flat = z.reshape(-1, D)
    out = layer(z, training=False)
    indices = np.asarray(out["indices"])
    codebook = layer.codebook.numpy()
    # exactly the row at the returned index (straight_through's value is the code bit for bit)
    np.testing.assert_array_equal(np.asarray(out["quantized"]), codebook[indices])
    np.testing.assert_array_equal(indices.reshape(-1), nearest(flat, codebook)[0])

    # in training: the rows of the codebook before this step's update
    before = codebook.copy()
    out = layer(z, training=True)
    indices = np.asarray(out["indices"])
    np.testing.assert_array_equal(np.asarray(out["quantized"]), before[indices])
    np.testing.assert_array_equal(indices.reshape(-1), nearest(flat, before)[0])
    assert not np.array_equal(layer.codebook.numpy(), before)     # the update did happen


def test_the_first_training_call_sets_the_codebook_from_the_batch():
    decay = 0.99
    layer = VectorQuantizer(K, D, decay=decay, seed=0)
    z = vectors()
    flat = z.reshape(-1, D)
    layer(z, training=False)                         # built, random codebook, not initialized
    assert float(layer.initialized.numpy()) == 0.0
    random_rows = layer.codebook.numpy()
    assert distance_to_batch(random_rows, flat).min() > NOISE_BOUND

    out = layer(z, training=True)
    assert float(layer.initialized.numpy()) == 1.0
    indices = np.asarray(out["indices"]).reshape(-1)
    used = np.unique(indices)
    unused = np.setdiff1d(np.arange(K), used)
    codebook, count, total = (layer.codebook.numpy(), layer.ema_count.numpy(),
                              layer.ema_sum.numpy())
    # the codes the call quantized with (its output) and the unused ones (restarted: count
    # d < restart_threshold 1) are the same K picks: batch vectors plus a little noise
    picks = codebook.copy()
    picks[indices] = np.asarray(out["quantized"]).reshape(-1, D)
    deviation = distance_to_batch(picks, flat)
    assert np.all(deviation < NOISE_BOUND) and np.all(deviation > 0)
    np.testing.assert_array_equal(indices, nearest(flat, picks)[0])
    # their statistics: one vector each, then one EMA step with this batch
    _, n, m, expected = ema_prediction(picks, np.ones(K), picks, flat, decay)
    np.testing.assert_allclose(count[used], n[used], rtol=RTOL)
    np.testing.assert_allclose(total[used], m[used], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(codebook[used], expected[used], rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(count[unused], 1.0)
    np.testing.assert_array_equal(total[unused], codebook[unused])

    # a batch of 3 distinct vectors, 10 copies each: every code ends within the noise of one
    layer = VectorQuantizer(K, D, decay=decay, seed=1)
    distinct = RNG.normal(size=(3, D)).astype("float32")
    batch = np.repeat(distinct, 10, axis=0).reshape(2, 15, D)
    layer(batch, training=True)
    assert np.all(distance_to_batch(layer.codebook.numpy(), distinct) < NOISE_BOUND)
    # each copy went to one code: 10 vectors there, the other codes restarted with one
    counts = np.sort(layer.ema_count.numpy())
    np.testing.assert_allclose(counts[-3:], decay + (1 - decay) * 10, rtol=1e-6)
    np.testing.assert_array_equal(counts[:-3], 1.0)


def test_the_ema_update_is_the_numpy_one():
    decay, epsilon = 0.9, 1e-3
    layer = VectorQuantizer(K, D, decay=decay, epsilon=epsilon, restart_threshold=0.0, seed=0)
    layer(vectors(), training=True)
    z = vectors()
    codebook, count, total = (layer.codebook.numpy(), layer.ema_count.numpy(),
                              layer.ema_sum.numpy())
    indices, n, m, expected = ema_prediction(codebook, count, total, z.reshape(-1, D), decay,
                                             epsilon)
    out = layer(z, training=True)
    np.testing.assert_array_equal(np.asarray(out["indices"]).reshape(-1), indices)
    np.testing.assert_allclose(layer.ema_count.numpy(), n, rtol=RTOL)
    np.testing.assert_allclose(layer.ema_sum.numpy(), m, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(layer.codebook.numpy(), expected, rtol=RTOL, atol=ATOL)
    assert np.abs(expected - codebook).max() > 1e-2          # the step moved the codes


@pytest.mark.parametrize("threshold", [0.5, 0.0])
def test_a_planted_dead_code_is_restarted_from_the_batch(threshold):
    """After the first batch every count is about 1 or more; code 0's is set to 0. The next
    batch, far from the first, gives it a count of at most 0.01 x 30 < 0.5: below the
    threshold 0.5 it restarts as one of that batch's vectors (and only it does); with the
    threshold 0 nothing restarts."""
    decay, dead = 0.99, 0
    layer = VectorQuantizer(K, D, decay=decay, restart_threshold=threshold, seed=0)
    layer(vectors(), training=True)
    count = layer.ema_count.numpy()
    assert np.all(count > 0.9)
    count[dead] = 0.0
    layer.ema_count.assign(count)
    codebook, total = layer.codebook.numpy(), layer.ema_sum.numpy()
    z = vectors(shift=4.0)
    flat = z.reshape(-1, D)
    _, n, m, expected = ema_prediction(codebook, count, total, flat, decay)
    assert n[dead] < 0.5 and np.all(np.delete(n, dead) > 0.5)
    layer(z, training=True)
    new_codebook, new_count = layer.codebook.numpy(), layer.ema_count.numpy()
    alive = np.arange(K) != dead
    np.testing.assert_allclose(new_codebook[alive], expected[alive], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(new_count[alive], n[alive], rtol=RTOL)
    if threshold > 0:
        assert distance_to_batch(new_codebook[dead:dead + 1], flat)[0] < NOISE_BOUND
        assert new_count[dead] == 1.0
        # its statistics are that one vector
        np.testing.assert_array_equal(layer.ema_sum.numpy()[dead], new_codebook[dead])
    else:
        assert distance_to_batch(new_codebook[dead:dead + 1], flat)[0] > 10 * NOISE_BOUND
        assert new_count[dead] == pytest.approx(n[dead], abs=1e-7)
        # a count of (almost) 0 and a sum that is not: Laplace smoothing keeps it finite
        assert np.all(np.isfinite(new_codebook[dead]))
        np.testing.assert_allclose(new_codebook[dead], expected[dead], rtol=RTOL)


def test_the_variables_change_only_when_the_layer_trains():
    layer = VectorQuantizer(K, D, seed=0)
    z = vectors()
    reference = layer(z, training=False)
    before = state(layer)
    # not trainable, or not training: nothing moves, not even the seed generator, and the
    # output is the inference one; before and after the first batch
    for initialise in (False, True):
        if initialise:
            layer(vectors(), training=True)
            reference = layer(z, training=False)
            before = state(layer)
            assert float(layer.initialized.numpy()) == 1.0
        layer(z, training=False)
        assert_same_state(state(layer), before)
        layer.trainable = False
        out = layer(z, training=True)
        assert_same_state(state(layer), before)
        for key in ("quantized", "indices"):
            np.testing.assert_array_equal(np.asarray(out[key]), np.asarray(reference[key]))
        layer.trainable = True
    assert float(layer.initialized.numpy()) == 1.0
    layer(z, training=True)
    changed = state(layer)
    assert not np.array_equal(changed[layer.codebook.path], before[layer.codebook.path])


class Prior(keras.Model):
    """A trainable head on a VQ-VAE's reconstruction. Its ``call`` must accept ``training``:
    Keras puts it in the call context (inherited by ``self.vq``) only for a call that has
    the argument; without it the VQ-VAE would run with its own default, False."""

    def __init__(self, vq, **kwargs):
        super().__init__(**kwargs)
        self.vq = vq
        self.head = keras.layers.Conv3D(1, 1)

    def call(self, x, training=None):
        return self.head(self.vq(x)["reconstruction"])


def tiny_vqvae(**kwargs):
    return VideoVQVAE((8, 16, 16, 1), widths=(8, 16), code_dim=4, num_codes=16, groups=4,
                      seed=0, **kwargs)


def clips(batch):
    return RNG.uniform(-1, 1, (batch, 8, 16, 16, 1)).astype("float32")


@pytest.mark.parametrize("trainable", [False, True])
def test_a_frozen_vqvae_keeps_its_codebook_while_a_model_on_top_fits(trainable):
    """VideoGPT issue 7: a prior fitted on a frozen VQ-VAE calls it with training=True."""
    x, y = clips(4), clips(4)
    vq = tiny_vqvae()
    vq(x, training=True)
    vq.trainable = trainable
    quantizer = vq.quantizer
    assert quantizer.trainable == trainable
    variables = (quantizer.codebook, quantizer.ema_count, quantizer.ema_sum)
    before = [v.numpy().copy() for v in variables]
    model = Prior(vq)
    model(x[:1])                                     # builds the head (training not given)
    kernel = model.head.kernel.numpy().copy()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)            # 2 steps
    assert not np.array_equal(model.head.kernel.numpy(), kernel)  # the fit did run
    same = [np.array_equal(v.numpy(), b) for v, b in zip(variables, before)]
    assert same == ([True] * 3 if not trainable else [False] * 3)


def test_the_initialized_flag_survives_a_save_and_reload(tmp_path):
    decay = 0.99
    vq = tiny_vqvae(restart_threshold=0.0, decay=decay)
    vq(clips(2), training=True)
    path = str(tmp_path / "vqvae.keras")
    vq.save(path)
    loaded = keras.models.load_model(path)
    quantizer = loaded.quantizer
    assert float(quantizer.initialized.numpy()) == 1.0
    for name in ("codebook", "ema_count", "ema_sum"):
        np.testing.assert_array_equal(getattr(quantizer, name).numpy(),
                                      getattr(vq.quantizer, name).numpy())
    # one training call: an EMA step from the reloaded state, not a new pick from the batch
    x = clips(2)
    flat = np.asarray(loaded.encoder(x)).reshape(-1, 4)
    indices, n, m, expected = ema_prediction(quantizer.codebook.numpy(),
                                             quantizer.ema_count.numpy(),
                                             quantizer.ema_sum.numpy(), flat, decay)
    out = loaded(x, training=True)
    np.testing.assert_array_equal(np.asarray(out["indices"]).reshape(-1), indices)
    np.testing.assert_allclose(quantizer.codebook.numpy(), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(quantizer.ema_count.numpy(), n, rtol=RTOL)


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="expected vectors of size 4"):
        VectorQuantizer(K, 4)(np.zeros((2, 3, 5), "float32"))
    layer = VectorQuantizer(K, 4)
    layer(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="size 5 .*size 4"):
        layer(np.zeros((2, 3, 5), "float32"))
    for decay in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"decay must be in \[0, 1\)"):
            VectorQuantizer(K, D, decay=decay)
    VectorQuantizer(K, D, decay=0.0)                 # the lower end is allowed
    for num_codes in (1, 0):
        with pytest.raises(ValueError, match="num_codes must be >= 2"):
            VectorQuantizer(num_codes, D)
    VectorQuantizer(2, D)
