"""Sprites: drawing jittered glyphs and shapes, and pasting them into frames, vectorised.

A *bank* holds signed distance fields (SDFs) of sprites: ``bank[m, y, x]`` is the distance in
bank pixels from pixel ``(y, x)`` to the sprite's outline, negative inside. An SDF can be
rotated, sheared, scaled and thickened (move the outline by an offset) and still gives a
crisp anti-aliased edge at any output size, which is how every sample of a digit gets its own
jitter without any per-sample Python loop.

Videos here are ``uint8`` arrays ``(batch, frames, height, width[, channels])``.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def signed_distance(mask):
    """Signed distance field of a boolean mask: negative inside, positive outside, in pixels.

    Args:
        mask: bool array ``(H, W)``. True inside the sprite.

    Returns:
        float32 array ``(H, W)``. Pixel centres on the boundary are about ``+-0.5``.
    """
    mask = np.asarray(mask, dtype=bool)
    outside = ndimage.distance_transform_edt(~mask)   # distance to the nearest inside pixel
    inside = ndimage.distance_transform_edt(mask)     # distance to the nearest outside pixel
    # The outline runs half a pixel from the centres of the pixels next to it.
    return np.where(mask, 0.5 - inside, outside - 0.5).astype(np.float32)


def affine_matrices(scale, rotation=0.0, shear=0.0, aspect=1.0):
    """2x2 matrices mapping sprite-bank coordinates ``(y, x)`` to output coordinates.

    ``M = scale * R(rotation) @ Shear(shear) @ diag(1, aspect)``.

    Args:
        scale: array ``(N,)``. Output pixels per bank pixel.
        rotation: array ``(N,)`` or float. Counter-clockwise rotation on screen, radians.
        shear: array ``(N,)`` or float. Horizontal shear: x moves by ``-shear * y``, so a
            positive shear leans the sprite to the right like italics.
        aspect: array ``(N,)`` or float. Horizontal stretch.

    Returns:
        float64 array ``(N, 2, 2)``.
    """
    scale = np.asarray(scale, dtype=np.float64)
    n = scale.shape[0]
    rotation, shear, aspect = (np.broadcast_to(np.asarray(v, np.float64), (n,))
                               for v in (rotation, shear, aspect))
    c, s = np.cos(rotation), np.sin(rotation)
    zeros, ones = np.zeros(n), np.ones(n)
    # (y, x) coordinates with y down: a point right of the centre, (0, 1), turns to (-1, 0),
    # above it: counter-clockwise on screen.
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    shr = np.stack([np.stack([ones, zeros], -1), np.stack([-shear, ones], -1)], -2)
    asp = np.stack([np.stack([ones, zeros], -1), np.stack([zeros, aspect], -1)], -2)
    return scale[:, None, None] * (rot @ shr @ asp)


def render_sdf_sprites(bank, index, matrices, size, offset=0.0, softness=None):
    """Draw sprites from an SDF bank with a per-sprite affine transform, anti-aliased.

    Args:
        bank: float32 array ``(M, S, S)``. Signed distance fields, sprite centred.
        index: int array ``(N,)``. Which bank entry each sprite uses.
        matrices: array ``(N, 2, 2)``. Bank-to-output maps (``affine_matrices``).
        size: int. Output patch size ``P``; the sprite centre lands on the patch centre.
        offset: array ``(N,)`` or float. Outline offset in bank pixels; positive thickens.
        softness: array ``(N,)`` or None. Edge width in bank pixels; default one output
            pixel (``1 / scale``), which anti-aliases.

    Returns:
        float32 array ``(N, P, P)`` of coverage in ``[0, 1]``.
    """
    bank = np.asarray(bank, dtype=np.float32)
    index = np.asarray(index)
    n = index.shape[0]
    s = bank.shape[-1]
    inverse = np.linalg.inv(np.asarray(matrices, dtype=np.float64))            # (N, 2, 2)
    grid = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    out = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1)              # (P, P, 2)
    src = np.einsum("nab,ijb->nija", inverse, out) + (s - 1) / 2.0           # (N, P, P, 2)
    sdf = _bilinear(bank, index, src[..., 0], src[..., 1])
    if softness is None:
        softness = 1.0 / np.sqrt(np.abs(np.linalg.det(matrices)))
    softness = np.broadcast_to(np.asarray(softness, np.float32), (n,))[:, None, None]
    offset = np.broadcast_to(np.asarray(offset, np.float32), (n,))[:, None, None]
    return np.clip(0.5 - (sdf - offset) / softness, 0.0, 1.0).astype(np.float32)


def _bilinear(images, index, y, x):
    """Bilinear samples ``images[index[n], y[n, ...], x[n, ...]]``, coordinates clamped."""
    h, w = images.shape[1:3]
    y = np.clip(y, 0.0, h - 1.0)
    x = np.clip(x, 0.0, w - 1.0)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2)
    wy = (y - y0).astype(np.float32)
    wx = (x - x0).astype(np.float32)
    flat = images.reshape(images.shape[0], -1)
    base = np.asarray(index).reshape((-1,) + (1,) * (y.ndim - 1))
    i00 = y0 * w + x0
    rows = np.broadcast_to(base, i00.shape)
    v00 = flat[rows, i00]
    v01 = flat[rows, i00 + 1]
    v10 = flat[rows, i00 + w]
    v11 = flat[rows, i00 + w + 1]
    top = v00 + (v01 - v00) * wx
    bottom = v10 + (v11 - v10) * wx
    return top + (bottom - top) * wy


def _patch_indices(shape, corners, size, clips=None):
    """Flat indices into a ``(N, T, H, W)`` canvas of ``size x size`` patches.

    Args:
        shape: ``(N, T, H, W)``.
        corners: int array ``(M, T, 2)``. Top-left corners ``(y, x)``.
        size: int. Patch size ``P``.
        clips: int array ``(M,)`` or None. Which clip each row of ``corners`` draws into;
            ``range(N)`` when None.

    Returns:
        int64 array ``(M, T, P, P)``.
    """
    n, t, h, w = shape
    clips = np.arange(n) if clips is None else np.asarray(clips)
    frame = (clips[:, None] * t + np.arange(t)[None, :]) * (h * w)           # (M, T)
    base = frame + corners[..., 0] * w + corners[..., 1]
    offsets = np.arange(size)[:, None] * w + np.arange(size)[None, :]         # (P, P)
    return base[..., None, None] + offsets


def paste_max(canvas, patches, corners, clips=None):
    """Paste grey patches into every frame of a canvas, keeping the brighter pixel.

    Args:
        canvas: uint8 array ``(N, T, H, W)``, changed in place.
        patches: uint8 array ``(M, P, P)``. One patch per row, the same in every frame.
        corners: int array ``(M, T, 2)``. Top-left corner in each frame, inside the frame.
        clips: int array ``(M,)`` or None. The clip each patch goes into (``range(N)``).
    """
    size = patches.shape[-1]
    flat = canvas.reshape(-1)
    idx = _patch_indices(canvas.shape, corners, size, clips)
    flat[idx] = np.maximum(flat[idx], patches[:, None])


def paste_over(canvas, colors, alpha, corners, clips=None):
    """Paint flat-coloured patches over every frame of an RGB canvas (alpha compositing).

    Args:
        canvas: float32 array ``(N, T, H, W, 3)``, changed in place.
        colors: float32 array ``(M, 3)``. The sprite colour.
        alpha: float32 array ``(M, P, P)``. Coverage of each patch, the same in every frame.
        corners: int array ``(M, T, 2)``. Top-left corner in each frame, inside the frame.
        clips: int array ``(M,)`` or None. The clip each patch goes into (``range(N)``).
    """
    size = alpha.shape[-1]
    flat = canvas.reshape(-1, 3)
    idx = _patch_indices(canvas.shape[:4], corners, size, clips)
    a = alpha[:, None, :, :, None]                                          # (M,1,P,P,1)
    flat[idx] = flat[idx] * (1.0 - a) + colors[:, None, None, None, :] * a
