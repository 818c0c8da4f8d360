"""The small weightless layers (frame axis, arithmetic, conditioning): values against NumPy,
config round trips, errors. Their reload from a saved file in a fresh process is tested
through the GAN's networks, which use every one of them (tests/models/test_gan_saving.py)."""

import numpy as np
import pytest

import keras
from vidgen_tf.layers import (BatchToFrames, CropFrames, FramesToBatch, LabelIndex,
                              MaskedComposite, ProjectionLogit, ReduceSum, RepeatFrames, Scale)

RNG = np.random.default_rng(0)


def round_trip(layer):
    """``from_config(get_config())`` gives the same config; returns the copy."""
    config = layer.get_config()
    copy = type(layer).from_config(config)
    assert copy.get_config() == config
    return copy


def test_frames_to_batch_and_back():
    x = RNG.normal(size=(2, 3, 4, 5, 1)).astype("float32")
    folded = np.asarray(round_trip(FramesToBatch())(x))
    assert folded.shape == (6, 4, 5, 1)
    np.testing.assert_array_equal(folded[1 * 3 + 2], x[1, 2])      # row b * T + t
    np.testing.assert_array_equal(round_trip(BatchToFrames(3))(folded), x)
    codes = RNG.normal(size=(2, 3, 7)).astype("float32")
    np.testing.assert_array_equal(FramesToBatch()(codes), codes.reshape(6, 7))


def test_repeat_and_crop_frames():
    z = RNG.normal(size=(2, 5)).astype("float32")
    repeated = np.asarray(round_trip(RepeatFrames(4))(z))
    np.testing.assert_array_equal(repeated, np.repeat(z[:, None], 4, axis=1))
    codes = RNG.normal(size=(2, 8, 3)).astype("float32")
    np.testing.assert_array_equal(round_trip(CropFrames(5))(codes), codes[:, :5])
    with pytest.raises(ValueError, match="num_frames must be a positive integer"):
        CropFrames(0)


def test_masked_composite():
    f = RNG.normal(size=(2, 3, 4, 4, 2)).astype("float32")
    m = RNG.uniform(size=(2, 3, 4, 4, 1)).astype("float32")
    b = RNG.normal(size=(2, 4, 4, 2)).astype("float32")
    np.testing.assert_allclose(round_trip(MaskedComposite())([f, m, b]),
                               m * f + (1 - m) * b[:, None], atol=1e-6)
    with pytest.raises(ValueError, match=r"background \(B, H, W, C\)"):
        MaskedComposite()([f, m, f])


def test_scale_and_reduce_sum():
    x = RNG.uniform(size=(2, 3, 2)).astype("float32")
    np.testing.assert_allclose(round_trip(Scale(8))(x), 8 * x, rtol=1e-7)
    np.testing.assert_allclose(round_trip(ReduceSum(axis=1))(x), x.sum(axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match="0 is the batch"):
        ReduceSum(axis=0)


def test_label_index_and_projection_logit():
    labels = np.array([[-1, 0], [9, 3]])
    rows = round_trip(LabelIndex())(labels)
    assert keras.backend.standardize_dtype(rows.dtype) == "int32"
    np.testing.assert_array_equal(rows, labels + 1)
    logit = RNG.normal(size=(2,)).astype("float32")
    embedded, features = (RNG.normal(size=(2, 6)).astype("float32") for _ in range(2))
    np.testing.assert_allclose(round_trip(ProjectionLogit())([logit, embedded, features]),
                               logit + (embedded * features).sum(axis=1), atol=1e-6)
    with pytest.raises(ValueError, match="same last axis"):
        ProjectionLogit()([logit, embedded[:, :3], features])


def test_mixed_precision_policy_is_kept_in_the_config():
    layer = BatchToFrames(2, dtype="mixed_bfloat16")
    copy = round_trip(layer)
    assert copy.compute_dtype == "bfloat16" and copy.variable_dtype == "float32"
    assert copy.num_frames == 2
