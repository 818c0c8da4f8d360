"""BouncingShapes: coloured shapes bouncing in an RGB frame, with captions.

Each clip holds 1 to 3 shapes (circle, square, triangle, diamond, cross, star) with a colour
(8 named colours), a size class (small or large, jittered within the class) and a bouncing
motion; shapes drawn later pass in front of earlier ones. The caption names them all:
"a small red circle moves up-left and a large blue star moves right". Made for conditional
and text-to-video lessons: every attribute in the caption is visible in the video.

Videos are ``uint8 (frames, height, width, 3)`` on a black background.

Introduced in lesson 00.
"""

from __future__ import annotations

import functools

import numpy as np

from vidgen_tf.data import captions, physics, sprites
from vidgen_tf.data.synthetic import SyntheticVideos, count_range, sprite_motion

SHAPES = ("circle", "square", "triangle", "diamond", "cross", "star")
COLORS = {
    "red": (230, 40, 40),
    "green": (40, 200, 60),
    "blue": (50, 90, 240),
    "yellow": (240, 220, 40),
    "magenta": (220, 50, 220),
    "cyan": (40, 210, 220),
    "white": (240, 240, 240),
    "orange": (245, 140, 30),
}
COLOR_NAMES = tuple(COLORS)
SIZES = ("small", "large")
# Extent of a shape as a fraction of its patch, per size class.
SIZE_RANGES = {"small": (0.45, 0.6), "large": (0.8, 1.0)}

_BANK = 64          # side of the bank canvas
_EXTENT = 48.0      # side of a shape's bounding box in the bank


def _polygon(name):
    """Vertices ``(V, 2)`` as ``(y, x)`` in ``[-1, 1]`` of a shape's outline."""
    if name == "circle":
        a = np.linspace(0, 2 * np.pi, 181)[:-1]
        return np.stack([np.sin(a), np.cos(a)], -1)
    if name == "square":
        return np.array([[-1, -1], [-1, 1], [1, 1], [1, -1]], float)
    if name == "triangle":
        return np.array([[-1, 0], [1, 1], [1, -1]], float)
    if name == "diamond":
        return np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], float)
    if name == "cross":
        w = 1 / 3
        return np.array([[-1, -w], [-1, w], [-w, w], [-w, 1], [w, 1], [w, w], [1, w], [1, -w],
                         [w, -w], [w, -1], [-w, -1], [-w, -w]], float)
    if name == "star":
        a = -np.pi / 2 + np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, 1.0, 0.42)
        pts = np.stack([r * np.sin(a), r * np.cos(a)], -1)
        pts[:, 0] += 0.1                     # centre the star's bounding box vertically
        return pts / np.abs(pts).max()
    raise ValueError(f"Unknown shape {name!r}; shapes are {SHAPES}.")


@functools.lru_cache(maxsize=1)
def shape_bank():
    """Signed distance fields ``float32 (len(SHAPES), 64, 64)`` of the shapes, 48 px wide."""
    from matplotlib.path import Path

    grid = (np.arange(_BANK * 4) + 0.5) / 4 - _BANK / 2          # 4x supersampling
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    points = np.stack([yy.ravel(), xx.ravel()], -1)
    fields = []
    for name in SHAPES:
        outline = Path(_polygon(name) * _EXTENT / 2)
        inside = outline.contains_points(points).reshape(_BANK, 4, _BANK, 4).mean((1, 3))
        fields.append(sprites.signed_distance(inside >= 0.5))
    return np.stack(fields)


class BouncingShapes(SyntheticVideos):
    """Coloured shapes that bounce off the walls of an RGB frame.

    Args:
        num_frames: int. Frames per clip (default 16).
        image_size: int. Frame height and width (default 64).
        num_shapes: int or ``(min, max)``. Shapes per clip (default 1 to 3).
        shape_size: int or None. Side of each shape's square patch; ``image_size * 3 / 8``
            when None (24 pixels at 64x64). A large shape fills 80-100% of it, a small one
            45-60%.
        speed_range: ``(min, max)`` pixels per frame, or None for ``image_size / 32`` to
            ``image_size / 16``.
        seed: int. Seed of the dataset.
        split: ``"train"``, ``"val"`` or ``"test"``.

    A clip (see ``generate``) holds:
        ``video`` uint8 ``(T, H, W, 3)``; ``caption`` str; ``shapes``, ``colors``, ``sizes``
        int32 ``(K,)`` indices into ``SHAPES``, ``COLOR_NAMES``, ``SIZES`` with -1 for absent
        slots; ``num_objects``; ``positions``, ``velocities``, ``directions``, ``speeds`` as in
        ``MovingDigits``.
    """

    channels = 3

    def __init__(self, num_frames=16, image_size=64, num_shapes=(1, 3), shape_size=None,
                 speed_range=None, seed=0, split="train"):
        super().__init__(num_frames=num_frames, image_size=image_size, seed=seed, split=split)
        name = type(self).__name__
        self.num_shapes = count_range("num_shapes", num_shapes, 1, 9, name)
        self.shape_size, self.speed_range = sprite_motion(
            name, "shape_size", shape_size, 3 / 8, self.image_size, speed_range)

    def _generate_chunk(self, rng, n):
        k_max = self.num_shapes[1]
        t, size, patch = self.num_frames, self.image_size, self.shape_size
        motion = physics.random_motion(rng, n, k_max, self.num_shapes, t, patch, size,
                                       self.speed_range)
        present = motion["present"]

        def attribute(count):
            return np.where(present, rng.integers(0, count, size=(n, k_max)), -1).astype(
                np.int32)

        shapes, colors, sizes = attribute(len(SHAPES)), attribute(len(COLORS)), attribute(2)
        palette = np.asarray(list(COLORS.values()), np.float32)
        bounds = np.asarray([SIZE_RANGES[s] for s in SIZES], np.float32)       # (2, 2)
        extent = rng.uniform(bounds[sizes, 0], bounds[sizes, 1])               # (n, K)
        canvas = np.zeros((n, t, size, size, 3), dtype=np.float32)
        for k in range(k_max):
            rows = np.flatnonzero(present[:, k])
            scale = extent[rows, k] * patch / _EXTENT
            alpha = sprites.render_sdf_sprites(shape_bank(), shapes[rows, k],
                                               sprites.affine_matrices(scale), patch)
            sprites.paste_over(canvas, palette[colors[rows, k]], alpha,
                               motion["corners"][rows, :, k], clips=rows)
        text = [captions.describe(
            [f"{SIZES[z]} {COLOR_NAMES[c]} {SHAPES[s]}" for s, c, z in
             zip(shapes[i, present[i]], colors[i, present[i]], sizes[i, present[i]])],
            motion["directions"][i, present[i]]) for i in range(n)]
        return {
            "video": np.round(canvas).astype(np.uint8),
            "caption": np.asarray(text),
            "shapes": shapes,
            "colors": colors,
            "sizes": sizes,
            "num_objects": motion["num_objects"],
            "positions": motion["positions"],
            "velocities": motion["velocities"],
            "directions": motion["directions"],
            "speeds": motion["speeds"],
        }

    def __repr__(self):
        return (f"BouncingShapes(num_frames={self.num_frames}, image_size={self.image_size}, "
                f"num_shapes={self.num_shapes}, shape_size={self.shape_size}, "
                f"seed={self.seed}, split={self.split!r})")
