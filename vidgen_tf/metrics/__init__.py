"""Metrics: per-frame quality (PSNR, SSIM), motion maps, the Fréchet distance, and the
evaluation kit (evaluator networks, proxy FVD, digit and motion scores, baselines, I3D FVD).

Videos are ``(batch, frames, height, width, channels)``, uint8 in ``[0, 255]`` or float in
``[-1, 1]``. The evaluation kit is imported on first use (it loads Keras).
"""

import importlib

from vidgen_tf.metrics import corruptions
from vidgen_tf.metrics.frechet import (frechet_distance, frechet_distance_from_features,
                                       gaussian_statistics)
from vidgen_tf.metrics.image_quality import psnr, ssim
from vidgen_tf.metrics.motion import frame_differences
from vidgen_tf.metrics.pixel_features import frame_features, motion_features

_LAZY = {
    "proxy_fvd": "scores", "digit_score": "scores", "identity_consistency": "scores",
    "label_accuracy": "scores", "motion_stats": "scores", "clip_features": "scores",
    "frame_probabilities": "scores",
    "load_evaluator": "evaluator_store", "EvaluatorError": "evaluator_store",
    "EvalSetting": "baselines", "SETTINGS": "baselines", "evaluate": "baselines",
    "baseline_table": "baselines", "fvd": "i3d", "build_i3d": "i3d",
    "shared_digit_agreement": "disentanglement", "shared_path_correlation": "disentanglement",
    "horizon_scores": "prediction", "baseline_predictions": "prediction",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"vidgen_tf.metrics.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'vidgen_tf.metrics' has no attribute {name!r}")


__all__ = ["corruptions", "frame_differences", "frame_features", "motion_features",
           "frechet_distance", "frechet_distance_from_features", "gaussian_statistics", "psnr",
           "ssim", *_LAZY]
