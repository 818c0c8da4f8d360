"""Conversions between the two video conventions of the course.

- ``uint8`` in ``[0, 255]``: files, datasets on disk, display.
- ``float32`` in ``[-1, 1]``: inside models.

Both functions take NumPy arrays (and return NumPy) or TensorFlow tensors (and return
tensors), of any shape, typically ``(batch, frames, height, width, channels)``.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np


def _is_numpy(x):
    return isinstance(x, (np.ndarray, np.generic, list, tuple))


def to_float(video):
    """``uint8 [0, 255]`` -> ``float32 [-1, 1]`` (``x / 127.5 - 1``)."""
    if _is_numpy(video):
        video = np.asarray(video)
        if video.dtype != np.uint8:
            raise TypeError(f"to_float expects a uint8 video, got dtype {video.dtype}.")
        return video.astype(np.float32) / 127.5 - 1.0
    import tensorflow as tf

    if video.dtype != tf.uint8:
        raise TypeError(f"to_float expects a uint8 video, got dtype {video.dtype.name}.")
    return tf.cast(video, tf.float32) / 127.5 - 1.0


def to_uint8(video):
    """``float [-1, 1]`` -> ``uint8 [0, 255]``, clipped and rounded; uint8 passes through."""
    if _is_numpy(video):
        video = np.asarray(video)
        if video.dtype == np.uint8:
            return video
        # bfloat16 (from mixed-precision models) is not a NumPy floating type, but casts.
        if not (np.issubdtype(video.dtype, np.floating) or video.dtype.name == "bfloat16"):
            raise TypeError(f"to_uint8 expects a float video in [-1, 1] or uint8, got dtype "
                            f"{video.dtype}.")
        return np.round(np.clip((video.astype(np.float32) + 1.0) * 127.5, 0, 255)).astype(
            np.uint8)
    import tensorflow as tf

    if video.dtype == tf.uint8:
        return video
    scaled = (tf.cast(video, tf.float32) + 1.0) * 127.5
    return tf.cast(tf.round(tf.clip_by_value(scaled, 0.0, 255.0)), tf.uint8)
