"""Scores of predicted frames against the true ones, per horizon step, and the baselines a
predictor must beat (lesson 04).

A prediction of frames ``C+1 .. C+F`` is scored at every horizon step ``k = 1 .. F`` (frame
``C+k``), averaged over clips:

- ``mse``: the per-pixel mean squared error, values in ``[-1, 1]``;
- ``mse_frame_sum``: OpenSTL's "MSE", the squared error summed over a frame's pixels with
  values in ``[0, 1]`` (``H * W * ch / 4`` times ``mse``: 1024 times at 64x64);
- ``ssim`` and ``psnr`` (``metrics.image_quality``: SSIM with an 11x11 Gaussian window on
  ``[0, 1]``, not OpenSTL's 7x7 uniform one: the numbers do not compare across the two).

Predictions are clipped to ``[-1, 1]`` first (a linear output may overshoot).

The baselines (``baseline_predictions``): copy the last given frame; an all-black frame; the
mean frame of the training clips. On sparse digits on black, the black frame beats copying
the last frame on both SSIM and MSE: a model has skill only when it beats the *best*
baseline.

Video tensors are float ``(batch, frames, height, width, channels)`` in ``[-1, 1]`` or
``uint8``.
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.metrics.image_quality import psnr, ssim
from vidgen_tf.metrics.scores import as_float_videos

HORIZON_SCORES = ("mse", "mse_frame_sum", "ssim", "psnr")


def horizon_scores(predicted, future):
    """Scores of ``predicted`` against ``future`` per horizon step.

    Args:
        predicted, future: ``(B, F, H, W, ch)``, the same shape.

    Returns:
        dict: for each of ``HORIZON_SCORES`` a float64 array ``(F,)`` (the mean over clips at
        each step) under its name, and its mean over the steps under ``"<name>_mean"``.
    """
    predicted = np.clip(as_float_videos(predicted, "horizon_scores"), -1.0, 1.0)
    future = as_float_videos(future, "horizon_scores")
    if predicted.shape != future.shape:
        raise ValueError(f"horizon_scores: predicted {predicted.shape} and future "
                         f"{future.shape} must have the same shape.")
    pixels = np.prod(future.shape[2:])
    mse = np.mean((predicted.astype(np.float64) - future) ** 2, axis=(2, 3, 4))   # (B, F)
    per_step = {"mse": mse.mean(axis=0), "mse_frame_sum": mse.mean(axis=0) * pixels / 4.0,
                "ssim": np.asarray(ssim(predicted, future, per_frame=True),
                                   np.float64).mean(axis=0),
                "psnr": np.asarray(psnr(predicted, future, per_frame=True),
                                   np.float64).mean(axis=0)}
    out = dict(per_step)
    out.update({f"{key}_mean": float(value.mean()) for key, value in per_step.items()})
    return out


def baseline_predictions(context, future_frames, mean_frame=None):
    """The baselines' predictions of ``future_frames`` frames after ``context (B, C, H, W,
    ch)``.

    Args:
        mean_frame: ``(H, W, ch)``, the mean frame of the training clips (``None``: that
            baseline is left out).

    Returns:
        dict name -> ``(B, F, H, W, ch)`` float32: ``"copy last frame"``, ``"black frame"``
        and ``"mean frame"``.
    """
    context = as_float_videos(context, "baseline_predictions")
    last = np.repeat(context[:, -1:], future_frames, axis=1)
    out = {"copy last frame": last, "black frame": np.full_like(last, -1.0)}
    if mean_frame is not None:
        out["mean frame"] = np.broadcast_to(np.asarray(mean_frame, np.float32),
                                            last.shape).copy()
    return out


def best_baseline(scores):
    """The best baseline per score: ``{"mse": (name, value), "ssim": (name, value), ...}``
    from ``{name: horizon_scores(...)}`` (lowest MSE, highest SSIM and PSNR)."""
    best = {}
    for key in HORIZON_SCORES:
        pick = min if key.startswith("mse") else max
        name = pick(scores, key=lambda n: scores[n][f"{key}_mean"])
        best[key] = (name, scores[name][f"{key}_mean"])
    return best


def flicker(predicted, future, last_given):
    """How much predicted frames change from one to the next, against the true frames.

    The frame-difference energy ``mean((x_t - x_{t-1})^2)`` over the predicted steps (the
    first against the last given frame), of the prediction over that of the truth: 1 means
    as much change as the truth; an MSE-trained prediction that blurs and fades changes less.

    Args:
        predicted, future: ``(B, F, H, W, ch)``.
        last_given: ``(B, H, W, ch)``, frame ``C``.

    Returns:
        dict: ``predicted`` and ``true`` energies and their ``ratio``.
    """
    predicted = np.clip(as_float_videos(predicted, "flicker"), -1.0, 1.0)
    future = as_float_videos(future, "flicker")
    last = as_float_videos(np.asarray(last_given)[:, None], "flicker")

    def energy(clips):
        clips = np.concatenate([last, clips], axis=1).astype(np.float64)
        return float(np.mean(np.diff(clips, axis=1) ** 2))

    p, t = energy(predicted), energy(future)
    return {"predicted": p, "true": t, "ratio": p / t if t else float("nan")}


def digit_crops(frames, positions, size=28):
    """Each digit of two-digit frames alone on a black frame: the ``size x size`` window
    around its known centre copied onto black.

    Args:
        frames: ``(N, H, W, ch)`` float in ``[-1, 1]``.
        positions: ``(N, K, 2)``: the ``(y, x)`` centres in pixels of the ``K`` digits.

    Returns:
        ``(N, K, H, W, ch)``: one frame per digit (a "clip" of ``K`` frames per input frame, for
        ``scores.frame_probabilities``). Where two digits overlap, a crop holds part of the
        other: the same for a prediction and the truth, so their scores compare.
    """
    frames = np.asarray(frames, np.float32)
    positions = np.asarray(positions)
    n, h, w = frames.shape[:3]
    out = np.full((n, positions.shape[1]) + frames.shape[1:], -1.0, np.float32)
    half = size // 2
    for i in range(n):
        for k in range(positions.shape[1]):
            y, x = (int(round(float(v))) for v in positions[i, k])
            top, left = max(0, y - half), max(0, x - half)
            bottom, right = min(h, y - half + size), min(w, x - half + size)
            out[i, k, top:bottom, left:right] = frames[i, top:bottom, left:right]
    return out


def digit_readability(predicted, truth, positions, digits):
    """Whether the digits of predicted frames can still be read, against the true frames.

    Each digit is cut out at its true position (``digit_crops``) from the predicted and the
    true frame and given to lesson 08's digit classifier.

    Args:
        predicted, truth: ``(N, H, W, ch)`` frames (one horizon step of N clips).
        positions: ``(N, K, 2)`` the digits' true centres in that frame.
        digits: ``(N, K)`` int, the digits.

    Returns:
        dict: ``predicted`` and ``true``: the mean probability the classifier gives the right
        digit; ``ratio``: predicted over true (1: as readable as the truth);
        ``predicted_accuracy`` and ``true_accuracy``: the share of digits read right.
    """
    from vidgen_tf.metrics.scores import frame_probabilities

    digits = np.asarray(digits)
    out = {}
    for name, frames in (("predicted", np.clip(predicted, -1, 1)), ("true", truth)):
        p = frame_probabilities(digit_crops(as_float_videos(
            np.asarray(frames)[:, None], "digit_readability")[:, 0], positions))
        right = np.take_along_axis(p, digits[..., None], axis=-1)[..., 0]
        out[name] = float(right.mean())
        out[f"{name}_accuracy"] = float(np.mean(p.argmax(axis=-1) == digits))
    out["ratio"] = out["predicted"] / out["true"] if out["true"] else float("nan")
    return out
