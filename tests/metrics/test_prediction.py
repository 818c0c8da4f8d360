"""Per-horizon scores, the baselines, flicker and digit readability, against hand
computations and known cases."""

import numpy as np
import pytest

from vidgen_tf.metrics.prediction import (baseline_predictions, best_baseline, digit_crops,
                                          flicker, horizon_scores)

RNG = np.random.default_rng(0)


def test_horizon_scores_by_hand():
    future = RNG.uniform(-0.7, 0.7, (3, 4, 16, 16, 1)).astype("float32")   # + 0.2 stays < 1
    predicted = future.copy()
    predicted[:, 2] += 0.2                                   # step 3 off by 0.2 everywhere
    predicted[:, 3] = 1.5                                    # overshoot: clipped to 1
    scores = horizon_scores(predicted, future)
    clipped = np.clip(predicted, -1, 1).astype(np.float64)
    mse = ((clipped - future) ** 2).mean(axis=(0, 2, 3, 4))
    np.testing.assert_allclose(scores["mse"], mse, rtol=1e-6)
    assert scores["mse"][0] == 0 and abs(scores["mse"][2] - 0.04) < 1e-6
    # OpenSTL's MSE: summed over a frame's 256 pixels with values in [0, 1]: 64 x ours
    np.testing.assert_allclose(scores["mse_frame_sum"], mse * 256 / 4, rtol=1e-6)
    assert scores["ssim"][0] == pytest.approx(1.0, abs=1e-4) and scores["ssim"][2] < 1
    assert scores["psnr"][2] == pytest.approx(10 * np.log10(1 / 0.01), abs=1e-3)  # [0,1]: 0.1
    assert scores["mse_mean"] == pytest.approx(mse.mean())
    with pytest.raises(ValueError, match="same shape"):
        horizon_scores(predicted[:, :3], future)


def test_baselines_and_the_best_of_them():
    context = RNG.uniform(-1, 1, (2, 3, 8, 8, 1)).astype("float32")
    mean = RNG.uniform(-1, 1, (8, 8, 1)).astype("float32")
    out = baseline_predictions(context, 4, mean)
    assert set(out) == {"copy last frame", "black frame", "mean frame"}
    np.testing.assert_array_equal(out["copy last frame"][:, 3], context[:, -1])
    assert np.all(out["black frame"] == -1) and out["black frame"].shape == (2, 4, 8, 8, 1)
    np.testing.assert_array_equal(out["mean frame"][1, 2], mean)
    assert "mean frame" not in baseline_predictions(context, 4)
    scores = {"a": {"mse_mean": 0.3, "mse_frame_sum_mean": 30, "ssim_mean": 0.7,
                    "psnr_mean": 11},
              "b": {"mse_mean": 0.2, "mse_frame_sum_mean": 20, "ssim_mean": 0.1,
                    "psnr_mean": 12}}
    assert best_baseline(scores) == {"mse": ("b", 0.2), "mse_frame_sum": ("b", 20),
                                     "ssim": ("a", 0.7), "psnr": ("b", 12)}


def test_flicker_of_the_truth_is_one_of_a_frozen_prediction_zero():
    future = RNG.uniform(-1, 1, (2, 5, 8, 8, 1)).astype("float32")
    last = RNG.uniform(-1, 1, (2, 8, 8, 1)).astype("float32")
    assert flicker(future, future, last)["ratio"] == pytest.approx(1.0)
    frozen = np.repeat(last[:, None], 5, axis=1)
    assert flicker(frozen, future, last)["ratio"] == 0
    energy = np.mean(np.diff(np.concatenate([last[:, None], future], 1), axis=1) ** 2)
    assert flicker(future, future, last)["true"] == pytest.approx(energy)


def test_digit_crops_cut_each_digit_onto_black():
    frames = RNG.uniform(-1, 1, (1, 64, 64, 1)).astype("float32")
    crops = digit_crops(frames, np.array([[[20, 30], [2, 62]]]), size=28)
    assert crops.shape == (1, 2, 64, 64, 1)
    np.testing.assert_array_equal(crops[0, 0, 6:34, 16:44], frames[0, 6:34, 16:44])
    assert np.all(crops[0, 0, :6] == -1) and np.all(crops[0, 0, :, 44:] == -1)
    # a digit at the corner: the window clipped to the frame
    np.testing.assert_array_equal(crops[0, 1, 0:16, 48:64], frames[0, 0:16, 48:64])
    assert np.all(crops[0, 1, 16:] == -1)
