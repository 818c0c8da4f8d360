"""Per-frame image quality of videos: PSNR and SSIM, averaged over frames.

Both compare a video with a reference of the same shape ``(batch, frames, height, width,
channels)``, either ``uint8`` in ``[0, 255]`` or float in ``[-1, 1]`` (the model convention),
pixel by pixel, frame by frame: they measure how far each picture is from the reference
picture at the same time step, and know nothing of motion as such.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np


def _prepare(videos, reference, name):
    """Both videos as float32 tensors in ``[0, 1]``, with the same 5-D shape."""
    import tensorflow as tf

    x, y = tf.convert_to_tensor(videos), tf.convert_to_tensor(reference)
    if x.shape != y.shape or x.shape.rank != 5:
        raise ValueError(f"{name}: expected two videos of the same shape (batch, frames, "
                         f"height, width, channels), got {tuple(x.shape)} and {tuple(y.shape)}.")
    if (x.dtype == tf.uint8) != (y.dtype == tf.uint8):
        raise ValueError(f"{name}: both videos must be uint8 in [0, 255] or both float in "
                         f"[-1, 1], got {x.dtype.name} and {y.dtype.name}.")

    def unit(v):
        if v.dtype == tf.uint8:
            return tf.cast(v, tf.float32) / 255.0
        return (tf.cast(v, tf.float32) + 1.0) / 2.0

    return unit(x), unit(y)


def psnr(videos, reference, per_frame=False):
    """Peak signal-to-noise ratio in decibels.

    ``PSNR = 10 log10(MAX^2 / MSE)`` with ``MAX`` the range of the values (255 for uint8, 2
    for ``[-1, 1]``; both are scaled to 1 here, which leaves the ratio unchanged).

    - ``per_frame=True``: one value per frame, ``MSE`` over that frame's pixels and channels.
    - ``per_frame=False``: one value per clip, ``MSE`` over the whole clip. This is not the
      mean of the per-frame values (those average logarithms; a clip with one perfect frame
      would average to infinity); identical clips, and only those, give infinity.

    Args:
        videos: ``(batch, T, H, W, C)``, uint8 or float in ``[-1, 1]``.
        reference: the same shape and dtype.
        per_frame: bool. ``(batch, T)`` values instead of ``(batch,)``.

    Returns:
        float32 tensor ``(batch,)`` or ``(batch, T)``.
    """
    import tensorflow as tf

    x, y = _prepare(videos, reference, "psnr")
    mse = tf.reduce_mean(tf.square(x - y), axis=[2, 3, 4] if per_frame else [1, 2, 3, 4])
    return 10.0 * tf.math.log(1.0 / mse) / np.log(10.0)


def ssim(videos, reference, per_frame=False, filter_size=11):
    """Structural similarity (Wang et al., 2004), per frame through ``tf.image.ssim``,
    averaged over frames.

    Values are scaled to ``[0, 1]`` first (``max_val=1``), so uint8 and ``[-1, 1]`` inputs of
    the same pictures give the same score. 1 means identical. Cost: about 4 ms per 64x64
    frame on 2 CPU cores (``tf.image.ssim``'s depthwise convolutions are slow on CPUs).

    Args:
        videos: ``(batch, T, H, W, C)``, uint8 or float in ``[-1, 1]``.
        reference: the same shape and dtype.
        per_frame: bool. Return ``(batch, T)`` instead of the mean over frames ``(batch,)``.
        filter_size: int. Side of the Gaussian window (11 in the paper); frames smaller
            than it use their own size.

    Returns:
        float32 tensor ``(batch,)`` or ``(batch, T)``.
    """
    import tensorflow as tf

    x, y = _prepare(videos, reference, "ssim")
    size = int(min(filter_size, x.shape[2], x.shape[3]))
    values = tf.image.ssim(x, y, max_val=1.0, filter_size=size)   # (batch, T)
    return values if per_frame else tf.reduce_mean(values, axis=1)
