"""Controlled damage to real clips: the reference points that give a score its scale.

Each function takes float videos ``(batch, frames, height, width, channels)`` in ``[-1, 1]``
(NumPy) and returns a damaged copy of the same shape, keeping one property and breaking
another:

- ``shuffle_frames``: every frame stays real, the motion is destroyed.
- ``freeze_first_frame``: the first frame repeated, no motion at all.
- ``add_noise``: motion intact, every picture noisy.
- ``blur``: motion intact, pictures blurred.
- ``shift``: the same video moved by a few pixels, which a person hardly notices.

Introduced in lesson 00; the evaluation kit's baseline table is built from them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _float_videos(videos, name):
    videos = np.asarray(videos)
    if videos.ndim != 5 or not np.issubdtype(videos.dtype, np.floating):
        raise ValueError(f"{name}: expected float videos (batch, frames, height, width, "
                         f"channels) in [-1, 1], got {videos.dtype} {videos.shape}.")
    return videos


def shuffle_frames(videos, rng):
    """Each clip's frames in a random order (a new permutation per clip)."""
    videos = _float_videos(videos, "shuffle_frames")
    order = np.argsort(rng.random(videos.shape[:2]), axis=1)
    return np.take_along_axis(videos, order[:, :, None, None, None], axis=1)


def freeze_first_frame(videos):
    """The first frame of each clip repeated over all frames."""
    videos = _float_videos(videos, "freeze_first_frame")
    return np.repeat(videos[:, :1], videos.shape[1], axis=1)


def add_noise(videos, rng, sigma=0.2):
    """Gaussian noise of standard deviation ``sigma`` added to each pixel, clipped to [-1, 1]."""
    videos = _float_videos(videos, "add_noise")
    noisy = videos + rng.normal(0.0, sigma, size=videos.shape)
    return np.clip(noisy, -1.0, 1.0).astype(videos.dtype)


def blur(videos, sigma=1.5):
    """Each frame blurred by a Gaussian of ``sigma`` pixels."""
    videos = _float_videos(videos, "blur")
    return ndimage.gaussian_filter(videos, sigma=(0, 0, sigma, sigma, 0)).astype(videos.dtype)


def shift(videos, pixels=2):
    """Every frame moved ``pixels`` right and down; the gap is filled with the background."""
    videos = _float_videos(videos, "shift")
    moved = np.full_like(videos, videos.min())
    moved[:, :, pixels:, pixels:] = videos[:, :, :videos.shape[2] - pixels,
                                           :videos.shape[3] - pixels]
    return moved
