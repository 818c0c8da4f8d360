"""Warping, Horn-Schunck flow and the temporal-consistency loss, on frames whose motion is
known (a frame and its shifted copy, moving digits)."""

import numpy as np
import pytest

import keras
from vidgen_tf.data import MovingDigits, to_float
from vidgen_tf.losses import horn_schunck_flow, temporal_consistency_loss, warp

RNG = np.random.default_rng(0)


def digit_frames(count=8, seed=0):
    clips = MovingDigits(num_frames=6, image_size=32, num_digits=1, seed=seed,
                         split="test").generate(count)["video"]
    return np.asarray(to_float(clips))


def test_warp_by_whole_pixels_is_a_shift_and_half_a_pixel_an_average():
    frames = RNG.normal(size=(2, 6, 7, 3)).astype("float32")
    zero = np.zeros((2, 6, 7, 2), "float32")
    np.testing.assert_array_equal(warp(frames, zero), frames)
    flow = zero.copy()
    flow[..., 0], flow[..., 1] = 1.0, -2.0             # out[y, x] = frames[y + 1, x - 2]
    out = np.asarray(warp(frames, flow))
    np.testing.assert_allclose(out[:, :-1, 2:], frames[:, 1:, :-2], atol=1e-6)
    np.testing.assert_allclose(out[:, -1, 2:], frames[:, -1, :-2], atol=1e-6)  # clamped row
    flow = zero.copy()
    flow[..., 1] = 0.5
    np.testing.assert_allclose(np.asarray(warp(frames, flow))[:, :, :-1],
                               0.5 * (frames[:, :, :-1] + frames[:, :, 1:]), atol=1e-6)


def test_horn_schunck_finds_a_known_shift():
    frames = digit_frames()[:, 0]
    shifted = np.full_like(frames, -1.0)
    shifted[:, :, 2:] = frames[:, :, :-2]              # the digit moved 2 px to the right
    flow = np.asarray(horn_schunck_flow(frames, shifted))
    on_digit = shifted[..., 0] > 0
    # the target pixel came from 2 px to its left: dx = -2 where the digit is
    assert abs(flow[..., 1][on_digit].mean() + 2.0) < 0.3
    assert abs(flow[..., 0][on_digit].mean()) < 0.3
    error = np.mean((np.asarray(warp(frames, flow)) - shifted) ** 2)
    assert error < 0.05 * np.mean((frames - shifted) ** 2)


def test_one_level_cannot_follow_the_digits_three_can():
    clips = digit_frames(8, seed=1)
    source, target = clips[:, 2], clips[:, 3]
    copy_error = np.mean((source - target) ** 2)

    def warp_error(levels):
        flow = horn_schunck_flow(source, target, levels=levels)
        return np.mean((np.asarray(warp(source, flow)) - target) ** 2) / copy_error

    assert warp_error(3) < 0.05 and warp_error(1) > 2 * warp_error(3)
    with pytest.raises(ValueError, match="cannot be halved"):
        horn_schunck_flow(source[:, :30, :30], target[:, :30, :30], levels=3)


def test_the_consistency_loss_is_small_for_the_truth_and_flows_into_the_prediction_only():
    import tensorflow as tf

    clips = digit_frames(4, seed=2)
    truth = clips[:, 1:]
    still = np.repeat(clips[:, 1:2], 5, axis=1)          # a prediction that does not move
    assert float(temporal_consistency_loss(truth[:, 1:], truth)) < \
        0.02 * float(temporal_consistency_loss(still[:, 1:], truth))
    predicted = tf.Variable(still[:, 1:])
    target = tf.Variable(truth)
    with tf.GradientTape() as tape:
        loss = temporal_consistency_loss(predicted, target)
    g_pred, g_truth = tape.gradient(loss, [predicted, target])
    assert np.abs(np.asarray(g_pred)).sum() > 0
    # the truth enters through the flow (held constant) and as the first "previous" frame
    assert np.abs(np.asarray(g_truth)[:, 1:]).sum() == 0
    assert keras.ops.convert_to_numpy(loss).dtype == np.float32
