"""Metrics: per-frame quality (PSNR, SSIM), motion maps, and the Frechet distance.

Videos are ``(batch, frames, height, width, channels)``, uint8 in ``[0, 255]`` or float in
``[-1, 1]``.
"""

from vidgen_tf.metrics import corruptions
from vidgen_tf.metrics.frechet import (frechet_distance, frechet_distance_from_features,
                                       gaussian_statistics)
from vidgen_tf.metrics.image_quality import psnr, ssim
from vidgen_tf.metrics.motion import frame_differences
from vidgen_tf.metrics.pixel_features import frame_features, motion_features

__all__ = ["corruptions", "frame_differences", "frame_features", "motion_features", "frechet_distance", "frechet_distance_from_features",
           "gaussian_statistics", "psnr", "ssim"]
