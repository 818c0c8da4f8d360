"""Hand-made features of clips for a first Frechet distance: no network needed.

- ``frame_features``: each frame average-pooled to a ``grid x grid`` thumbnail; one feature
  vector per frame. Blind to the order of frames.
- ``motion_features``: the same for each absolute frame difference; one vector per pair of
  consecutive frames. Sees where and how much things move.

Learned features (the course's ``VideoFeatureNet``, I3D for FVD) do both far better; these
show the idea. Videos are ``(batch, frames, height, width, channels)``, float in ``[-1, 1]``
or uint8.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np


def _pool(frames, grid):
    """``(..., H, W)`` -> ``(..., grid * grid)`` by averaging blocks."""
    h, w = frames.shape[-2:]
    if h % grid or w % grid:
        raise ValueError(f"pixel features: frame size {h}x{w} is not divisible by grid={grid}.")
    blocks = frames.reshape(frames.shape[:-2] + (grid, h // grid, grid, w // grid))
    return blocks.mean(axis=(-3, -1)).reshape(frames.shape[:-2] + (grid * grid,))


def _as_float(videos):
    videos = np.asarray(videos)
    if videos.ndim != 5:
        raise ValueError(f"pixel features: expected videos (batch, frames, height, width, "
                         f"channels), got shape {videos.shape}.")
    if videos.dtype == np.uint8:
        return videos.astype(np.float32) / 127.5 - 1.0
    return videos.astype(np.float32)


def frame_features(videos, grid=8):
    """``(batch * frames, grid * grid)``: thumbnails of every frame (channels averaged)."""
    videos = _as_float(videos)
    return _pool(videos.mean(axis=-1), grid).reshape(-1, grid * grid)


def motion_features(videos, grid=8):
    """``(batch * (frames - 1), grid * grid)``: thumbnails of every frame difference."""
    videos = _as_float(videos)
    differences = np.abs(np.diff(videos, axis=1)).mean(axis=-1)
    return _pool(differences, grid).reshape(-1, grid * grid)
