"""VideoGPT's prior: the Keras contract, the cached decoding step against the full causal pass
(with and without a class), causality of the logits, sampling (prefix, seeds, the cache or not,
greedy top_k=1, start tokens), Gumbel-max draws against softmax, label dropout and the null
class, frame prefixes and generation through a tiny causal VQ-VAE, and errors."""

import numpy as np
import pytest

import keras
import vidgen_tf.layers.attention as attention_module
from tests.harness import dense_params, norm_params, run_model_test
from vidgen_tf.models import VideoGPT, VideoVQVAE
from vidgen_tf.models.videogpt import gumbel_noise, pick_tokens

RNG = np.random.default_rng(0)
GRID, K, DIM, DEPTH, HEADS, CLASSES = (2, 2, 3), 7, 16, 2, 2, 3
L = 12


def tiny(**kwargs):
    options = dict(num_codes=K, dim=DIM, depth=DEPTH, heads=HEADS, num_classes=CLASSES)
    options.update(kwargs)
    return VideoGPT(options.pop("grid", GRID), **options)


def randomize(model, seed=0):
    """Weights of order one (the initial ones are 0.02-scale: the logits would hardly depend
    on the context, and a comparison of them would test little)."""
    rng = np.random.default_rng(seed)
    for w in model.trainable_weights:
        shape = tuple(w.shape)
        if "gamma" in w.path:
            value = 1 + 0.1 * rng.normal(size=shape)
        elif len(shape) == 2 and "kernel" in w.path:
            value = rng.normal(size=shape) / np.sqrt(shape[0])
        else:                                        # biases, embeddings, position tables
            value = 0.5 * rng.normal(size=shape)
        w.assign(value.astype("float32"))
    return model


def tokens(batch=4, length=L, num_codes=K):
    return RNG.integers(0, num_codes, (batch, length)).astype("int32")


def logits(model, x, labels=None):
    inputs = x if labels is None else {"tokens": x, "labels": np.asarray(labels, "int32")}
    return np.asarray(model(inputs, training=False))


def gpt_params(grid=GRID, num_codes=K, dim=DIM, depth=DEPTH, classes=CLASSES, mlp_ratio=4):
    block = (2 * norm_params(dim) + dense_params(dim, 3 * dim) + dense_params(dim, dim)
             + dense_params(dim, mlp_ratio * dim) + dense_params(mlp_ratio * dim, dim))
    return (dense_params(num_codes + 1 + classes, dim, bias=False)    # codes, null, classes
            + sum(grid) * dim                                          # t + h + w vectors
            + depth * block + norm_params(dim) + dense_params(dim, num_codes))


# --- the Keras contract -----------------------------------------------------------------------

def test_harness(tmp_path):
    # the harness feeds one array: tokens only (labels are tested below); the loss is the
    # model's own (compute_loss reads the tokens), so the fit step needs no targets
    run_model_test(tiny(), tokens(), {"output": (4, L, K)}, trainable_params=gpt_params(),
                   tmp_path=tmp_path, float32_outputs=("output",))


def test_token_grids_and_flat_tokens_give_the_same_logits():
    model = randomize(tiny())
    x = tokens()
    np.testing.assert_array_equal(logits(model, x.reshape((4,) + GRID)), logits(model, x))
    # a dict without labels is the unlabelled pass
    np.testing.assert_array_equal(np.asarray(model({"tokens": x})), logits(model, x))


# --- the cached step against the full pass ----------------------------------------------------

@pytest.mark.parametrize("labels", [None, [0, 2, -1, 1]], ids=["null", "classes"])
def test_the_cached_decoding_step_is_the_full_causal_pass(labels):
    model = randomize(tiny())
    x = tokens()
    full = logits(model, x, labels)
    start = np.asarray(model.start_tokens(None if labels is None else np.asarray(labels), 4))
    cache = model.empty_cache(4)
    assert tuple(cache.shape) == (4, DEPTH, 2, L, HEADS, DIM // HEADS)
    for i in range(L):
        inputs = start if i == 0 else x[:, i - 1]
        step, cache = model.decode_step(inputs, i, cache)
        # the same sums (two blocks, widths 16 and 64) over keys 0..i, blocked otherwise:
        # float32 rounding on logits of order one
        np.testing.assert_allclose(np.asarray(step), full[:, i], atol=1e-5,
                                   err_msg=f"position {i}")
    if labels is not None:       # the class reaches the logits (else this test proves little)
        assert not np.allclose(full, logits(model, x))


def assert_causal_logits(model, x):
    """The logits at position p depend on tokens < p: changing tokens i.. changes no logits at
    positions <= i, and changes the logits at i + 1 (which read token i)."""
    base = logits(model, x)
    for i in range(L):
        poked = x.copy()
        poked[:, i:] = (poked[:, i:] + RNG.integers(1, K, poked[:, i:].shape)) % K   # all new
        out = logits(model, poked)
        # exact: masked weights are exactly 0.0 (exp(-1e9)), and no other row reads them
        np.testing.assert_array_equal(out[:, :i + 1], base[:, :i + 1],
                                      err_msg=f"tokens from {i} changed logits up to {i}")
        if i + 1 < L:
            assert not np.allclose(out[:, i + 1], base[:, i + 1]), f"token {i} never read"


def test_logits_never_depend_on_the_token_they_predict_or_later_ones(monkeypatch):
    model = randomize(tiny())
    x = tokens()
    assert_causal_logits(model, x)
    # the shift: position 0 reads the start token only, so all clips share its logits (the
    # same numbers, to float32 rounding: rows of one batch may take other SIMD paths)
    first = logits(model, x)[:, 0]
    np.testing.assert_allclose(first, np.broadcast_to(first[0], first.shape), atol=1e-6)
    # a forgotten mask is caught by the same check
    monkeypatch.setattr(attention_module, "causal_mask",
                        lambda q, k, index=0: keras.ops.ones((q, k), "bool"))
    with pytest.raises(AssertionError, match="changed logits"):
        assert_causal_logits(model, x)


# --- sampling ---------------------------------------------------------------------------------

def greedy(model, num, labels=None, prefix=None):
    """The most likely token at each position, from the full pass, one position at a time."""
    x = np.zeros((num, L), "int32")
    given = 0 if prefix is None else prefix.shape[1]
    for i in range(L):
        x[:, i] = prefix[:, i] if i < given else logits(model, x, labels)[:, i].argmax(-1)
    return x


def test_start_tokens_are_the_class_after_the_codes_and_the_null_class_otherwise():
    model = tiny()
    np.testing.assert_array_equal(model.start_tokens(np.array([0, 2, -1, 1]), 4),
                                  [K + 1, K + 3, K, K + 2])
    np.testing.assert_array_equal(model.start_tokens(None, 3), [K, K, K])
    # an unconditional model has the null class only
    np.testing.assert_array_equal(tiny(num_classes=0).start_tokens(np.array([0, 2]), 2),
                                  [K, K])


def test_top_k_1_is_the_greedy_sequence_with_labels_and_a_prefix():
    model = randomize(tiny())
    labels = np.array([0, 2, -1])
    expected = greedy(model, 3, labels)
    for use_cache in (True, False):
        drawn = model.sample(3, labels=labels, top_k=1, seed=4, use_cache=use_cache)
        np.testing.assert_array_equal(drawn, expected)
    prefix = tokens(3, 5)
    drawn = model.sample(3, prefix=prefix, top_k=1, temperature=0.5, seed=1)
    np.testing.assert_array_equal(drawn, greedy(model, 3, prefix=prefix))
    # the class changes the start token, hence the greedy sequence
    assert not np.array_equal(expected, greedy(model, 3))


def test_sampling_keeps_the_prefix_and_is_reproducible_by_seed():
    model = randomize(tiny())
    labels = np.array([1, -1, 0, 2])
    a = model.sample(4, labels=labels, seed=0)
    assert a.dtype == np.int32 and a.shape == (4, L)
    assert a.min() >= 0 and a.max() < K
    np.testing.assert_array_equal(model.sample(4, labels=labels, seed=0), a)
    assert not np.array_equal(model.sample(4, labels=labels, seed=1), a)
    # rerunning the whole sequence at each step draws the same tokens: the same noise, and
    # logits equal up to float32 rounding (an argmax flip would need a near tie)
    np.testing.assert_array_equal(model.sample(4, labels=labels, seed=0, use_cache=False), a)
    # a prefix is kept as given (values a free draw would rarely give all of)
    prefix = np.array([[6, 6, 0, 5, 1]] * 4, "int32")
    for use_cache in (True, False):
        drawn = model.sample(4, labels=labels, prefix=prefix, seed=0, use_cache=use_cache)
        np.testing.assert_array_equal(drawn[:, :5], prefix)
    whole = tokens(4, L)
    np.testing.assert_array_equal(model.sample(4, prefix=whole, seed=3), whole)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize("temperature", [0.7, 2.0])
def test_gumbel_max_draws_follow_the_softmax(temperature):
    n = 20000
    row = np.array([1.0, 0.2, -0.6], "float32")
    noise = gumbel_noise(np.random.default_rng(0), (n, 3))
    assert noise.dtype == np.float32 and np.all(np.isfinite(noise))
    drawn = np.asarray(pick_tokens(np.tile(row, (n, 1)), noise, temperature))
    assert drawn.dtype == np.int32
    frequency = np.bincount(drawn, minlength=3) / n
    p = softmax(row / temperature)
    # a frequency over n independent draws has standard error sqrt(p (1 - p) / n) (< 0.0036
    # here); 5 of them: a correct sampler fails with probability ~1e-6 per class (the noise
    # is seeded, so the test is deterministic), while a wrong temperature (1 instead of 0.7:
    # p0 0.61 instead of 0.70) is some 30 standard errors away
    np.testing.assert_array_less(np.abs(frequency - p), 5 * np.sqrt(p * (1 - p) / n))
    # top_k=2: the least likely token never, the other two in their renormalised shares
    drawn = np.asarray(pick_tokens(np.tile(row, (n, 1)), noise, temperature, top_k=2))
    frequency = np.bincount(drawn, minlength=3) / n
    assert frequency[2] == 0
    q = softmax(row[:2] / temperature)
    np.testing.assert_array_less(np.abs(frequency[:2] - q), 5 * np.sqrt(q * (1 - q) / n))


def test_zero_noise_picks_the_argmax_and_top_k_keeps_the_k_largest():
    z = RNG.normal(size=(50, K)).astype("float32")
    zero = np.zeros_like(z)
    np.testing.assert_array_equal(pick_tokens(z, zero), z.argmax(-1))
    np.testing.assert_array_equal(pick_tokens(z, zero, 3.0, top_k=K), z.argmax(-1))
    # huge noise on the smallest logit: top_k=2 still picks one of the two largest
    noise = np.zeros_like(z)
    noise[np.arange(50), z.argmin(-1)] = 100.0
    picked = np.asarray(pick_tokens(z, noise, top_k=2))
    top2 = np.argsort(z, axis=-1)[:, -2:]
    assert np.all((picked[:, None] == top2).any(-1))
    np.testing.assert_array_equal(pick_tokens(z, noise), z.argmin(-1))    # without top_k


# --- label dropout ----------------------------------------------------------------------------

def test_label_dropout_replaces_the_class_by_the_null_class_in_training_only():
    x = tokens()
    labels = np.array([0, 1, 2, 0], "int32")
    null = np.full(4, -1, "int32")
    dropped = randomize(tiny(dropout=0.0, label_dropout=1.0, seed=0))
    labelled = logits(dropped, x, labels)
    unlabelled = logits(dropped, x, null)
    assert not np.allclose(labelled, unlabelled)
    np.testing.assert_array_equal(unlabelled, logits(dropped, x))          # -1 is no label
    # dropout 0 elsewhere: training differs from inference only by the labels dropped
    train = np.asarray(dropped({"tokens": x, "labels": labels}, training=True))
    np.testing.assert_allclose(train, unlabelled, atol=1e-6)               # same numbers
    kept = randomize(tiny(dropout=0.0, label_dropout=0.0, seed=0))
    train = np.asarray(kept({"tokens": x, "labels": labels}, training=True))
    np.testing.assert_allclose(train, logits(kept, x, labels), atol=1e-6)
    # half: each clip is either labelled or null, and both happen in a batch of 32
    half = randomize(tiny(dropout=0.0, label_dropout=0.5, seed=0))
    x, labels = tokens(32), RNG.integers(0, CLASSES, 32).astype("int32")
    train = np.asarray(half({"tokens": x, "labels": labels}, training=True))
    as_labelled = np.all(np.isclose(train, logits(half, x, labels), atol=1e-6), axis=(1, 2))
    as_null = np.all(np.isclose(train, logits(half, x), atol=1e-6), axis=(1, 2))
    assert np.all(as_labelled ^ as_null)
    assert 0 < as_null.sum() < 32


@pytest.mark.parametrize("label_dropout", [1.0, 0.0])
def test_a_training_step_reaches_the_null_row_only_when_labels_are_dropped(label_dropout):
    model = tiny(dropout=0.0, label_dropout=label_dropout, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    labels = np.array([0, 1, 1, 0], "int32")                       # class 2 absent
    before = np.array(model.token_embedding.embeddings)
    logs = model.train_on_batch({"tokens": tokens(), "labels": labels}, return_dict=True)
    assert np.isfinite(logs["loss"])
    after = np.array(model.token_embedding.embeddings)
    changed = np.any(after != before, axis=1)
    # rows: codes 0..K-1, null K, classes K+1.. (SGD moves a row iff its gradient is not 0)
    assert changed[K] == (label_dropout == 1.0), "the null class row"
    assert changed[K + 1] == changed[K + 2] == (label_dropout == 0.0), "the classes seen"
    assert not changed[K + 3], "a class absent from the batch"


# --- frames as a prefix, and generation through a VQ-VAE --------------------------------------

@pytest.fixture(scope="module")
def vq_and_gpt():
    vq = VideoVQVAE((8, 16, 16, 1), widths=(8, 16), code_dim=4, num_codes=16, groups=4,
                    seed=0)
    clips = np.random.default_rng(1).uniform(-1, 1, (4, 8, 16, 16, 1)).astype("float32")
    vq(clips, training=True)                        # the codebook from a batch's vectors
    assert vq.token_grid == (2, 4, 4)
    gpt = randomize(VideoGPT((2, 4, 4), num_codes=16, dim=16, depth=1, heads=2,
                             num_classes=2))
    return vq, gpt


def frames(batch, count):
    return RNG.uniform(-1, 1, (batch, count, 16, 16, 1)).astype("float32")


def test_one_frame_gives_one_slice_of_tokens(vq_and_gpt):
    vq, gpt = vq_and_gpt
    first = frames(2, 1)
    prefix = gpt.prefix_tokens(vq, first)
    assert prefix.shape == (2, 16) and prefix.dtype == np.int32
    repeated = np.asarray(vq.encode(np.repeat(first, 8, axis=1))).reshape(2, -1)
    np.testing.assert_array_equal(prefix, repeated[:, :16])
    # slice 0 depends on frames 0..3 only (a time stride of 4 in a causal encoder): any later
    # frames give the same first slice
    clip = np.concatenate([np.repeat(first, 4, axis=1), frames(2, 4)], axis=1)
    np.testing.assert_array_equal(prefix, np.asarray(vq.encode(clip)).reshape(2, -1)[:, :16])
    # five frames decide two slices (ceil(5 / 4)): the whole grid, the last frame repeated
    five = frames(2, 5)
    clip = np.concatenate([five, np.repeat(five[:, -1:], 3, axis=1)], axis=1)
    np.testing.assert_array_equal(gpt.prefix_tokens(vq, five),
                                  np.asarray(vq.encode(clip)).reshape(2, -1))


def test_generate_decodes_the_sampled_tokens(vq_and_gpt):
    vq, gpt = vq_and_gpt
    clips = gpt.generate(vq, 3, seed=5, batch_size=2)
    assert clips.shape == (3, 8, 16, 16, 1) and clips.dtype == np.float32
    assert clips.min() >= -1 and clips.max() <= 1
    # batch j is sampled with seed + j
    expected = np.concatenate([vq.decode(gpt.sample(2, seed=5).reshape(2, 2, 4, 4)),
                               vq.decode(gpt.sample(1, seed=6).reshape(1, 2, 4, 4))])
    np.testing.assert_allclose(clips, expected, atol=1e-6)       # the same decoder, same ints


def test_generate_from_first_frames_samples_after_their_tokens(vq_and_gpt):
    vq, gpt = vq_and_gpt
    first = frames(2, 1)
    labels = np.array([1, -1])
    prefix = gpt.prefix_tokens(vq, first)
    drawn = gpt.sample(2, labels=labels, prefix=prefix, seed=7)
    np.testing.assert_array_equal(drawn[:, :16], prefix)
    clips = gpt.generate(vq, 2, labels=labels, first_frames=first, seed=7)
    np.testing.assert_allclose(clips, vq.decode(drawn.reshape(2, 2, 4, 4)), atol=1e-6)


# --- errors -----------------------------------------------------------------------------------

def test_errors_name_what_was_expected(vq_and_gpt):
    with pytest.raises(ValueError, match=r"grid must be three positive ints"):
        VideoGPT((2, 2), num_codes=K, dim=DIM, heads=HEADS)
    with pytest.raises(ValueError, match=r"label_dropout must be in \[0, 1\], got 1.5"):
        tiny(label_dropout=1.5)
    model = tiny()
    with pytest.raises(ValueError, match=r"expected tokens \(batch, 12\) or token grids "
                                         r"\(batch, 2, 2, 3\), got \(2, 11\)"):
        model(np.zeros((2, 11), "int32"))
    with pytest.raises(ValueError, match=r"got \(2, 2, 3, 2\)"):
        model(np.zeros((2, 2, 3, 2), "int32"))
    for t in (0, -1.0):
        with pytest.raises(ValueError, match=r"temperature must be > 0"):
            model.sample(2, temperature=t)
    for k in (0, K + 1):
        with pytest.raises(ValueError, match=rf"top_k must be in \[1, {K}\], got {k}"):
            model.sample(2, top_k=k)
    for prefix in ([[0, K]], [[-1, 0]], np.zeros((1, L + 1))):
        with pytest.raises(ValueError, match=r"the prefix must be at most 12 tokens in "
                                             r"\[0, 7\)"):
            model.sample(1, prefix=prefix)
    with pytest.raises(ValueError, match=r"3 clips but 2 labels"):
        model.sample(3, labels=[0, 1])
    with pytest.raises(ValueError, match=r"the prefix must be \(2, P\): one row of tokens per "
                                         r"clip, got shape \(1, 4\)"):
        model.sample(2, prefix=[[1, 2, 3, 4]])              # not silently split in two rows
    for labels in ([0, model.num_classes], [-2, 0]):
        with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) or -1"):
            model.sample(2, labels=labels)
    with pytest.raises(ValueError, match=r"has no classes \(num_classes=0\)"):
        tiny(num_classes=0).sample(1, labels=[0])
    vq, gpt = vq_and_gpt
    open_vq = VideoVQVAE((8, 16, 16, 1), widths=(8, 16), code_dim=4, num_codes=16, groups=4,
                         causal=False)
    with pytest.raises(ValueError, match=r"needs a causal VQ-VAE with the token grid "
                                         r"\(2, 4, 4\).*causal=False"):
        gpt.prefix_tokens(open_vq, frames(1, 1))
    with pytest.raises(ValueError, match=r"needs a causal VQ-VAE with the token grid "
                                         r"\(2, 2, 3\), got VideoVQVAE with \(2, 4, 4\)"):
        model.prefix_tokens(vq, frames(1, 1))
    for bad in (frames(1, 9), np.zeros((1, 1, 8, 8, 1), "float32")):
        with pytest.raises(ValueError, match=r"expected frames \(batch, 1..8, 16, 16, 1\)"):
            gpt.prefix_tokens(vq, bad)
