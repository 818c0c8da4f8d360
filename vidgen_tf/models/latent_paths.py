"""Paths through a latent space (lesson 01): interpolation between two codes and closed loops
around one code, the raw material of morphs and looping animations.

All functions take and return NumPy arrays; a code is any array (a VAE's latent vector, or
its spatio-temporal latent grid).
"""

from __future__ import annotations

import numpy as np


def interpolate(z_a, z_b, steps):
    """``steps`` codes evenly spaced on the segment from ``z_a`` to ``z_b`` (both included).

    Returns:
        array ``(steps,) + z_a.shape``.
    """
    z_a, z_b = np.asarray(z_a, np.float32), np.asarray(z_b, np.float32)
    if z_a.shape != z_b.shape:
        raise ValueError(f"interpolate: codes of shapes {z_a.shape} and {z_b.shape} differ.")
    if int(steps) < 2:
        raise ValueError(f"interpolate: steps must be >= 2, got {steps}.")
    t = np.linspace(0.0, 1.0, int(steps), dtype=np.float32).reshape((-1,) + (1,) * z_a.ndim)
    return (1 - t) * z_a + t * z_b


def latent_loop(center, u, v, radius, steps):
    """A closed loop of ``steps`` codes around ``center``: ``center + radius * (cos(theta) u
    + sin(theta) v)`` for ``theta = 2 pi k / steps``, ``k = 0 .. steps - 1``.

    Played in order and repeated, the decoded codes give a seamless looping animation (the
    last code leads back to the first). ``u`` and ``v`` are directions in the latent space
    (for example two random unit vectors, or directions that change one attribute).

    Returns:
        array ``(steps,) + center.shape``.
    """
    center = np.asarray(center, np.float32)
    u, v = np.asarray(u, np.float32), np.asarray(v, np.float32)
    if not (center.shape == u.shape == v.shape):
        raise ValueError(f"latent_loop: center {center.shape}, u {u.shape} and v {v.shape} "
                         f"must have the same shape.")
    if int(steps) < 2:
        raise ValueError(f"latent_loop: steps must be >= 2, got {steps}.")
    theta = 2 * np.pi * np.arange(int(steps), dtype=np.float32) / int(steps)
    shape = (-1,) + (1,) * center.ndim
    return (center + radius * (np.cos(theta).reshape(shape) * u
                               + np.sin(theta).reshape(shape) * v)).astype(np.float32)


def random_directions(shape, count=2, seed=0):
    """``count`` orthonormal random directions of ``shape`` (Gram-Schmidt on Gaussians)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    if count > size:
        raise ValueError(f"random_directions: {count} orthonormal directions do not fit in "
                         f"{size} dimensions.")
    q, _ = np.linalg.qr(rng.normal(size=(size, count)))
    return [q[:, i].reshape(shape).astype(np.float32) for i in range(count)]
