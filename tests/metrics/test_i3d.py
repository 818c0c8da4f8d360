"""I3D and FVD, offline: the architecture against the published one, the conversion of a
checkpoint in the published layout, and the whole FVD path with random weights."""

import numpy as np
import pytest

from vidgen_tf.metrics.i3d import (FVD_SIZE, MIXED, build_i3d, fvd, i3d_features,
                                   preprocess_for_i3d)
from vidgen_tf.metrics.frechet import frechet_distance_from_features
from vidgen_tf.metrics.i3d_convert import checkpoint_map, convert

pytestmark = pytest.mark.slow

# Input channels of each mixed block, from the published architecture.
MIXED_INPUTS = {"Mixed_3b": 192, "Mixed_3c": 256, "Mixed_4b": 480, "Mixed_4c": 512,
                "Mixed_4d": 512, "Mixed_4e": 512, "Mixed_4f": 528, "Mixed_5b": 832,
                "Mixed_5c": 832}


def _published_trainable_parameters():
    """Kernels (no bias), batch-norm offsets, and the 400-way logits with bias."""
    def unit(cin, cout, kernel):
        return cin * cout * kernel + cout
    n = unit(3, 64, 7 ** 3) + unit(64, 64, 1) + unit(64, 192, 3 ** 3)
    for name, b0, b1a, b1b, b2a, b2b, b3 in MIXED:
        cin = MIXED_INPUTS[name]
        n += (unit(cin, b0, 1) + unit(cin, b1a, 1) + unit(b1a, b1b, 27) + unit(cin, b2a, 1)
              + unit(b2a, b2b, 27) + unit(cin, b3, 1))
    return n + 1024 * 400 + 400


@pytest.fixture(scope="module")
def model():
    return build_i3d()


def test_parameter_count_matches_the_reference(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.weights
                    if "moving" not in w.path)
    assert trainable == _published_trainable_parameters() == 12_689_984   # "12.69 M"
    assert model.count_params() == trainable + 2 * sum(
        u.filters for u in model.units())                                  # + moving stats


def test_output_is_400_logits_per_clip(model, rng):
    videos = rng.uniform(-1, 1, size=(2, 16, FVD_SIZE, FVD_SIZE, 3)).astype(np.float32)
    logits = np.asarray(model(videos))
    assert logits.shape == (2, 400) and np.all(np.isfinite(logits))
    assert not np.allclose(logits[0], logits[1])


def test_checkpoint_names_follow_the_published_layout(model):
    names = [name for _, name in checkpoint_map(model)]
    assert len(names) == len(set(names)) == 4 * len(model.units()) + 2
    for expected in ("RGB/inception_i3d/Conv3d_1a_7x7/conv_3d/w",
                     "RGB/inception_i3d/Conv3d_2c_3x3/batch_norm/moving_variance",
                     "RGB/inception_i3d/Mixed_3b/Branch_3/Conv3d_0b_1x1/batch_norm/beta",
                     "RGB/inception_i3d/Mixed_5b/Branch_2/Conv3d_0a_3x3/conv_3d/w",
                     "RGB/inception_i3d/Mixed_5c/Branch_2/Conv3d_0b_3x3/conv_3d/w",
                     "RGB/inception_i3d/Logits/Conv3d_0c_1x1/conv_3d/b"):
        assert expected in names


def _write_checkpoint(prefix, arrays):
    """A name-based TF1 checkpoint, as kinetics-i3d's Sonnet 1 model writes them."""
    import tensorflow as tf

    with tf.Graph().as_default():
        variables = [tf.compat.v1.get_variable(name, initializer=value)
                     for name, value in arrays.items()]
        saver = tf.compat.v1.train.Saver(variables)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, prefix)


def _random_checkpoint_arrays(model, rng):
    """Random weights in the published layout, scaled as a trained network's are: kernels
    with He scaling (std sqrt(2 / fan_in)), batch-norm statistics near (0, 1). Unscaled N(0, 1)
    kernels multiply the activations' size by about sqrt(fan_in) per layer (up to 7^3 * 3
    inputs), so after 60 layers the features reach 1e20 and even float64 statistics of them
    round to nonsense (an FVD of a set against itself of 2e40)."""
    arrays = {}
    for variable, name in checkpoint_map(model):
        shape = tuple(variable.shape)
        if "batch_norm" in name:                      # Sonnet 1 keeps (1, 1, 1, 1, C)
            value = rng.normal(scale=0.1, size=(1, 1, 1, 1) + shape)
            if "moving_variance" in name:
                value = 1.0 + np.abs(value)
        elif name.endswith("/b"):
            value = rng.normal(scale=0.1, size=shape)
        else:
            value = rng.normal(scale=np.sqrt(2.0 / np.prod(shape[:-1])), size=shape)
        arrays[name] = value.astype(np.float32)
    return arrays


def _fvd_tolerance(features):
    """What float64 rounding leaves of FVD(a, a): the trace terms cancel, each about
    tr(sigma) ~ d * var, to a relative 1e-16 per operation over d-sized sums and eigenvalue
    problems; 1e-9 * tr(sigma) + 1e-9 is far above that and far below any real distance."""
    return 1e-9 * float(np.trace(np.cov(np.asarray(features, np.float64), rowvar=False))) + 1e-9


def test_conversion_puts_every_tensor_in_its_place(model, tmp_path, rng):
    arrays = _random_checkpoint_arrays(model, rng)
    prefix = str(tmp_path / "model.ckpt")
    _write_checkpoint(prefix, arrays)
    out = str(tmp_path / "i3d.weights.h5")
    assert convert(prefix, out, log=lambda line: None) == sum(v.size for v in arrays.values())
    converted = build_i3d(out)
    for variable, name in checkpoint_map(converted):
        np.testing.assert_array_equal(np.asarray(variable).ravel(), arrays[name].ravel())
    # The whole FVD path with these (random) weights: identical sets are at distance 0, and
    # different sets are not.
    real = rng.integers(0, 256, size=(3, 16, 32, 32, 3), dtype=np.uint8)
    other = rng.integers(0, 256, size=(3, 16, 32, 32, 3), dtype=np.uint8)
    features = i3d_features(real, converted, batch_size=3)
    assert np.all(np.isfinite(features)) and np.abs(features).max() < 1e6
    assert fvd(real, other, converted, batch_size=3) > 100 * _fvd_tolerance(features)
    del arrays["RGB/inception_i3d/Mixed_4c/Branch_1/Conv3d_0b_3x3/conv_3d/w"]
    _write_checkpoint(str(tmp_path / "partial.ckpt"), arrays)
    with pytest.raises(ValueError, match="no variable .*Mixed_4c/Branch_1/Conv3d_0b_3x3"):
        convert(str(tmp_path / "partial.ckpt"), str(tmp_path / "x.weights.h5"))
    with pytest.raises(ValueError, match="not a readable TensorFlow checkpoint"):
        convert(str(tmp_path / "nothing.ckpt"), str(tmp_path / "x.weights.h5"))


def test_preprocessing_follows_the_reference(rng):
    grey = rng.integers(0, 256, size=(1, 2, 32, 32, 1), dtype=np.uint8)
    rgb = np.repeat(grey, 3, axis=-1)
    a = np.asarray(preprocess_for_i3d(grey))
    assert a.shape == (1, 2, 224, 224, 3) and -1 <= a.min() and a.max() <= 1
    np.testing.assert_allclose(a, np.asarray(preprocess_for_i3d(rgb)))
    floats = rgb.astype(np.float32) / 127.5 - 1
    np.testing.assert_allclose(np.asarray(preprocess_for_i3d(floats)), a, atol=1e-5)
    # TF1 bilinear resize without half-pixel centres: the top-left pixel is copied exactly.
    np.testing.assert_allclose(a[0, 0, 0, 0, 0], grey[0, 0, 0, 0, 0] / 127.5 - 1, atol=1e-6)
    flat = np.full((1, 1, 10, 10, 3), 200, np.uint8)
    np.testing.assert_allclose(np.asarray(preprocess_for_i3d(flat)), 200 / 127.5 - 1, atol=1e-6)


def test_fvd_refuses_what_the_protocol_does_not_allow(model, tmp_path):
    with pytest.raises(ValueError, match="clips of 16 frames"):
        i3d_features(np.zeros((2, 8, 32, 32, 3), np.uint8), model)
    with pytest.raises(FileNotFoundError, match="i3d_convert"):
        fvd(np.zeros((2, 16, 8, 8, 3), np.uint8), np.zeros((2, 16, 8, 8, 3), np.uint8),
            str(tmp_path / "missing.weights.h5"))


def test_fvd_of_a_set_is_zero_against_itself_and_not_against_a_shifted_set(model, rng):
    """The real I3D architecture with its initial weights: a deterministic pass (the same
    clips give the same features, bit for bit), FVD(a, a) ~ 0 and FVD(a, a shifted) > 0.
    (``fvd`` is the Fréchet distance of two ``i3d_features`` calls; each clip costs an I3D
    pass of about 100 GFLOP, so the features are computed once per set here.)"""
    clips = rng.integers(0, 200, size=(2, 16, 32, 32, 3), dtype=np.uint8)
    features = i3d_features(clips, model)
    again = i3d_features(clips, model)
    assert np.all(np.isfinite(features))
    np.testing.assert_array_equal(features, again)
    assert frechet_distance_from_features(features, again) <= _fvd_tolerance(features)
    brighter = i3d_features(clips + np.uint8(55), model)   # every pixel 55 grey levels up
    assert frechet_distance_from_features(brighter, features) > 100 * _fvd_tolerance(features)
