"""MovingDigits: digits bouncing in a frame, drawn from matplotlib's fonts (no download).

Like Moving MNIST (Srivastava et al., 2015), but every digit is rendered from one of 21 fonts
with its own size, rotation, shear, aspect and stroke width, so that no two samples are alike
and nothing has to be downloaded. Videos are ``uint8 (frames, height, width, 1)``, white
digits on black, overlapping digits combined by their maximum as in Moving MNIST.

Example:

    ds = MovingDigits(num_frames=16, image_size=64, num_digits=(1, 2), seed=0)
    clips = ds.generate(8)
    clips["video"].shape   # (8, 16, 64, 64, 1), uint8
    clips["caption"][0]    # 'a 3 moves down-left and a 7 moves up'

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.data import captions, glyphs, physics, sprites
from vidgen_tf.data.synthetic import SyntheticVideos, count_range, sprite_motion


class MovingDigits(SyntheticVideos):
    """Digits that bounce off the walls of the frame.

    Args:
        num_frames: int. Frames per clip (default 16).
        image_size: int. Frame height and width (default 64).
        num_digits: int or ``(min, max)``. Digits per clip, drawn uniformly (default 1 to 3).
        digit_size: int or None. Side of each digit's square patch; ``image_size * 7 / 16``
            when None (28 pixels at 64x64, as in Moving MNIST).
        speed_range: ``(min, max)`` pixels per frame, or None for ``image_size / 32`` to
            ``image_size / 16`` (2 to 4 pixels at 64x64).
        jitter: ``glyphs.GlyphJitter``. Per-sample variation of the glyphs;
            ``GlyphJitter.none()`` for plain upright digits.
        seed: int. Seed of the dataset.
        split: ``"train"``, ``"val"`` or ``"test"``.

    A clip (see ``generate``) holds:
        ``video`` uint8 ``(T, H, W, 1)``; ``caption`` str; ``digits`` int32 ``(K,)`` with -1
        for absent slots (``K`` = the maximum number of digits); ``num_objects`` int32;
        ``positions`` float32 ``(T, K, 2)`` centre ``(y, x)`` of each digit's patch in
        pixels; ``velocities`` float32 ``(T, K, 2)`` pixels per frame; ``directions`` int32
        ``(K,)`` compass index (``physics.DIRECTIONS``) of the first motion; ``speeds``
        float32 ``(K,)``; ``fonts`` int32 ``(K,)`` index into ``glyphs.DIGIT_FONTS``.
    """

    channels = 1

    def __init__(self, num_frames=16, image_size=64, num_digits=(1, 3), digit_size=None,
                 speed_range=None, jitter=glyphs.GlyphJitter(), seed=0, split="train"):
        super().__init__(num_frames=num_frames, image_size=image_size, seed=seed, split=split)
        name = type(self).__name__
        self.num_digits = count_range("num_digits", num_digits, 1, 9, name)
        self.digit_size, self.speed_range = sprite_motion(
            name, "digit_size", digit_size, 7 / 16, self.image_size, speed_range)
        self.jitter = jitter

    # The label that says which glyph source drew each digit.
    source_label = "fonts"

    def _draw(self, rng, count):
        """Draw ``count`` random digits.

        Returns:
            ``(digits, patches, sources)``: int ``(count,)`` digits, uint8
            ``(count, P, P)`` patches and int ``(count,)`` source ids (here the font index).
        """
        digits = rng.integers(0, 10, size=count)
        fonts = rng.integers(0, len(glyphs.DIGIT_FONTS), size=count)
        patches = glyphs.render_digits(rng, digits, self.digit_size, self.jitter, fonts=fonts)
        return digits, patches, fonts

    def _generate_chunk(self, rng, n):
        k_max = self.num_digits[1]
        t, size = self.num_frames, self.image_size
        motion = physics.random_motion(rng, n, k_max, self.num_digits, t, self.digit_size,
                                       size, self.speed_range)
        present = motion["present"]
        digits = np.full((n, k_max), -1, dtype=np.int32)
        sources = np.full((n, k_max), -1, dtype=np.int32)
        video = np.zeros((n, t, size, size), dtype=np.uint8)
        for k in range(k_max):
            rows = np.flatnonzero(present[:, k])
            digits[rows, k], patches, sources[rows, k] = self._draw(rng, rows.size)
            sprites.paste_max(video, patches, motion["corners"][rows, :, k], clips=rows)
        text = [captions.describe([str(d) for d in digits[i, present[i]]],
                                  motion["directions"][i, present[i]]) for i in range(n)]
        return {
            "video": video[..., None],
            "caption": np.asarray(text),
            "digits": digits,
            "num_objects": motion["num_objects"],
            "positions": motion["positions"],
            "velocities": motion["velocities"],
            "directions": motion["directions"],
            "speeds": motion["speeds"],
            self.source_label: sources,
        }

    def __repr__(self):
        return (f"{type(self).__name__}(num_frames={self.num_frames}, image_size={self.image_size}, "
                f"num_digits={self.num_digits}, digit_size={self.digit_size}, "
                f"seed={self.seed}, split={self.split!r})")
