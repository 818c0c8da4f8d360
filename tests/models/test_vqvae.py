"""The video VQ-VAE: the Keras contract, the loss by hand, a causal encoder (the first token
slice never depends on later frames; the non-causal one does), encode/decode against the
full pass, and errors. The quantizer itself: tests/layers/test_quantize.py."""

import numpy as np
import pytest

from tests.harness import conv_params, norm_params, run_model_test
from vidgen_tf.models import VideoVQVAE

RNG = np.random.default_rng(0)
SHAPE = (8, 16, 16, 1)


def tiny(**kwargs):
    options = dict(widths=(8, 16), code_dim=4, num_codes=16, groups=4, seed=0)
    options.update(kwargs)
    return VideoVQVAE(SHAPE, **options)


def clips(batch=2):
    return RNG.uniform(-1, 1, (batch,) + SHAPE).astype("float32")


def block(width):
    # two norms and two 3x3x3 convolutions, no skip projection (same width)
    return 2 * (norm_params(width) + conv_params(27, width, width))


def tiny_params():
    encoder = (conv_params(27, 8, 8) + block(8)             # patch 2x2x2: 1 -> 8 channels
               + conv_params(1, 64, 16) + block(16)          # fold 2x2x2: 8 -> 64 channels
               + norm_params(16) + conv_params(1, 16, 4))    # to the 4-d code vectors
    decoder = (conv_params(27, 4, 16) + block(16) + conv_params(1, 16, 64) + block(8)
               + norm_params(8) + conv_params(27, 8, 8))     # 8 = one channel x patch 2x2x2
    return encoder + decoder


def test_harness(tmp_path):
    model = tiny()
    model(clips(4), training=True)            # the codebook set from a batch, as in training
    # the quantizer's state: codebook and EMA sums (16 x 4 each), EMA counts (16), the flag
    non_trainable = 2 * 16 * 4 + 16 + 1
    run_model_test(model, clips(),
                   {"reconstruction": (2,) + SHAPE, "indices": (2, 2, 4, 4), "commitment": (2,)},
                   trainable_params=tiny_params(), non_trainable_params=non_trainable,
                   tmp_path=tmp_path, float32_outputs=("reconstruction", "commitment"),
                   int32_outputs=("indices",))


def test_the_loss_is_the_normalised_mse_plus_the_commitment_term():
    import keras

    model = tiny(data_variance=0.5, commitment=0.25, restart_threshold=0.0)
    x = clips(4)
    model(x, training=True)
    before = model(x, training=False)         # the step quantizes with the codebook before it
    mse = float(np.mean((np.asarray(before["reconstruction"]) - x) ** 2))
    commitment = float(np.mean(before["commitment"]))
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    logs = model.train_on_batch(x, return_dict=True)
    # the same float32 forward pass in a traced step: rounding only
    assert logs["mse"] == pytest.approx(mse, rel=1e-5)
    assert logs["commitment"] == pytest.approx(commitment, rel=1e-5)
    assert logs["loss"] == pytest.approx(mse / 0.5 + 0.25 * commitment, rel=1e-5)
    assert logs["psnr"] == pytest.approx(10 * np.log10(4.0 / mse), rel=1e-4)
    assert 1.0 <= logs["perplexity"] <= 16.0 and 0.0 < logs["usage"] <= 1.0


def test_the_causal_encoder_gives_a_first_slice_that_ignores_later_frames():
    """Token slice 0 covers frames 0-3 (time stride 2 x 2): frames 4-7 changed, its encoder
    vectors are bit-identical with the causal encoder, and differ with the "same" one."""
    x = clips()
    changed = x.copy()
    changed[:, 4:] = RNG.uniform(-1, 1, changed[:, 4:].shape)
    for causal in (True, False):
        model = tiny(causal=causal)
        a, b = np.asarray(model.encoder(x)), np.asarray(model.encoder(changed))
        assert np.array_equal(a[:, 0], b[:, 0]) == causal, causal
        assert not np.array_equal(a[:, 1], b[:, 1])


def test_encode_and_decode_are_the_full_pass():
    model = tiny()
    x = clips(3)
    model(x, training=True)
    out = model(x, training=False)
    tokens = np.asarray(model.encode(x))
    np.testing.assert_array_equal(tokens, out["indices"])
    assert tokens.dtype == np.int32 and tokens.min() >= 0 and tokens.max() < 16
    # the same decoder on the same codebook rows, clipped to [-1, 1] (the training output is
    # not: its loss must see a background below -1)
    clipped = np.clip(np.asarray(out["reconstruction"]), -1.0, 1.0)
    np.testing.assert_allclose(model.decode(tokens), clipped, atol=1e-6)
    np.testing.assert_allclose(model.reconstruct(x), clipped, atol=1e-6)
    assert np.abs(np.asarray(model.decode(tokens))).max() <= 1.0
    # encode never trains the codebook
    codebook = np.asarray(model.quantizer.codebook).copy()
    model.encode(x)
    np.testing.assert_array_equal(model.quantizer.codebook, codebook)


def test_errors_name_what_was_expected():
    model = tiny()
    assert model.token_grid == (2, 4, 4)
    with pytest.raises(ValueError, match=r"expected clips \(batch, 8, 16, 16, 1\)"):
        model(np.zeros((1, 8, 32, 32, 1), "float32"))
    with pytest.raises(ValueError, match=r"expected token grids \(batch, 2, 4, 4\)"):
        model.decode(np.zeros((1, 2, 8, 8), "int32"))
    with pytest.raises(ValueError, match="not divisible by the total downsampling"):
        VideoVQVAE((6, 16, 16, 1), widths=(8, 16))
    with pytest.raises(ValueError, match="data_variance must be > 0"):
        tiny(data_variance=0.0)
    with pytest.raises(ValueError, match=r"\(T, H, W, C\)"):
        VideoVQVAE((16, 16, 1))
