"""Lesson 04's evaluation: the scores of a predictor beside the baselines, on MovingDigits and
on a file in the published Moving MNIST layout that the test writes."""

import numpy as np
import pytest

from vidgen_tf.data import MNISTUnavailableError, to_float
from vidgen_tf.metrics.prediction import horizon_scores
from vidgen_tf.models import SimVPPredictor
from vidgen_tf.training.prediction_recipe import (bar_scores, evaluate_moving_mnist,
                                                  forecast_in_batches, score_clips)


def tiny_simvp(size=32, frames=4, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    return SimVPPredictor((size, size, 1), frames, frames, skip_width=4, hidden=4,
                          translator_width=8, translator_blocks=1)


def sparse_clips(n, frames, size, seed=0):
    """Clips mostly black with a bright square moving one pixel a frame."""
    rng = np.random.default_rng(seed)
    clips = np.full((n, frames, size, size, 1), -1.0, np.float32)
    for i in range(n):
        y, x = rng.integers(0, size - 8 - frames, 2)
        for t in range(frames):
            clips[i, t, y + t:y + t + 6, x + t:x + t + 6] = 1.0
    return clips


def test_score_clips_scores_the_model_and_every_baseline_by_hand():
    model = tiny_simvp()
    clips = sparse_clips(6, 8, 32)
    mean = clips.mean(axis=(0, 1))
    positions = np.zeros((6, 8, 2, 2))
    positions[:, :, :, :] = 16.0
    scores = score_clips(model, clips, mean, positions, np.zeros((6, 2), int), vae=False)
    future = clips[:, 4:]
    expected = horizon_scores(forecast_in_batches(model, clips[:, :4]), future)
    np.testing.assert_allclose(scores["model"]["mse"], expected["mse"], rtol=1e-6)
    black = np.mean((future + 1.0) ** 2, axis=(0, 2, 3, 4))          # by hand, per step
    np.testing.assert_allclose(scores["baselines"]["black frame"]["mse"], black, rtol=1e-6)
    copy = np.mean((future - clips[:, 3:4]) ** 2, axis=(0, 2, 3, 4))
    np.testing.assert_allclose(scores["baselines"]["copy last frame"]["mse"], copy,
                               rtol=1e-6)
    # on sparse clips black beats copying (two squares' worth of error against one)
    assert scores["best_baseline"]["mse"][0] in ("black frame", "mean frame")
    assert black.mean() < copy.mean()
    assert scores["heldout_clips"] == 6 and scores["readability_horizon"] == 4
    flat = bar_scores(scores)
    assert flat["best_baseline_mse"] == pytest.approx(min(
        s["mse_mean"] for s in scores["baselines"].values()))
    assert flat["ssim_mean"] == pytest.approx(expected["ssim_mean"])


def test_score_clips_refuses_clips_too_short():
    with pytest.raises(ValueError, match="at least 4 \\+ 4 frames"):
        score_clips(tiny_simvp(), sparse_clips(2, 6, 32), np.zeros((32, 32, 1)), vae=False)


def test_the_published_test_set_is_scored_the_same_way(tmp_path):
    clips = sparse_clips(5, 20, 64, seed=1)
    published = np.transpose(np.round((clips[..., 0] + 1) * 127.5).astype(np.uint8),
                             (1, 0, 2, 3))                          # (20, clips, 64, 64)
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, published)
    model = tiny_simvp(64, 10)
    scores = evaluate_moving_mnist(model, str(path), count=4, vae=False)
    assert scores["heldout_clips"] == 4 and "readability" not in scores
    flat = bar_scores(scores)
    assert "readability_ratio" not in flat and flat["ssim_mean"] == scores["model"]["ssim_mean"]
    read = np.asarray(to_float(np.transpose(published, (1, 0, 2, 3))[:4, ..., None]))
    expected = horizon_scores(forecast_in_batches(model, read[:, :10]), read[:, 10:])
    np.testing.assert_allclose(scores["model"]["ssim"], expected["ssim"], rtol=1e-6)


def test_the_published_test_set_must_fit_the_model(tmp_path):
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, np.zeros((20, 3, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="mnist_test_seq.npy.*20 frames of \\(64, 64, 1\\).*"
                                         "\\(32, 32, 1\\)"):
        evaluate_moving_mnist(tiny_simvp(64, 10), str(path), vae=False)
    with pytest.raises(MNISTUnavailableError, match="absent.npy"):
        evaluate_moving_mnist(tiny_simvp(64, 10), str(tmp_path / "absent.npy"), vae=False)


def test_a_longer_run_stretches_the_recipes_schedules(tmp_path):
    """run.train gives a build that takes ``steps`` the run's total: the learning rate's
    cosine and the ConvLSTM's scheduled sampling span the whole run, not the recipe's
    default length."""
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.recipes import get_recipe
    from vidgen_tf.training.run import train

    smoke = get_profile("smoke")
    assert get_recipe("convlstm").steps(smoke) == 4
    model, _ = train("convlstm", smoke, str(tmp_path / "run"), steps=10, verbose=0)
    assert model.sampling_steps == 4                        # 40 % of 10 steps
    schedule = model.optimizer.learning_rate                 # a schedule object, its config
    schedule = getattr(model.optimizer, "_learning_rate", schedule)
    config = schedule.get_config()
    assert config["decay_steps"] + config["warmup_steps"] == 10
