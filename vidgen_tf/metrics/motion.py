"""Where a video moves: frame differences.

Videos are ``(..., frames, height, width, channels)``, uint8 or float.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np


def frame_differences(video):
    """Motion map: absolute difference between consecutive frames, averaged over channels.

    ``m[t] = mean_c |x[t + 1] - x[t]|``. Bright where something moved between frames ``t``
    and ``t + 1``; dark where nothing changed, however bright the picture is.

    Args:
        video: array ``(..., T, H, W, C)``. uint8 is taken as values 0-255.

    Returns:
        float32 array ``(..., T - 1, H, W)`` in the units of the input.
    """
    video = np.asarray(video)
    if video.ndim < 4 or video.shape[-4] < 2:
        raise ValueError(f"frame_differences: need a video (..., T, H, W, C) with T >= 2, got "
                         f"shape {video.shape}.")
    video = video.astype(np.float32)
    return np.abs(np.diff(video, axis=-4)).mean(axis=-1)
