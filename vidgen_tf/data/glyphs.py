"""Digit glyphs rendered from the fonts that ship with matplotlib (no download).

``glyph_bank()`` renders the digits 0-9 in 21 fonts (DejaVu Sans, Sans Mono and Serif, STIX,
Computer Modern; upright, bold, oblique and italic), centres each on a square canvas and
stores its signed distance field. ``render_digits`` draws any number of jittered digits from
it at once: font, size, rotation, shear, aspect and stroke width are drawn per sample, so two
samples of the same digit differ.

Introduced in lesson 00.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np

from vidgen_tf.data import sprites

# Fonts in matplotlib's mpl-data/fonts/ttf whose digits look like digits (cmmi10 has
# old-style figures and the Display and symbol fonts have none).
DIGIT_FONTS = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf", "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmti10.ttf", "cmtt10.ttf",
)

BANK_SIZE = 64          # side of the square canvas each glyph's SDF is stored on
RENDER_POINTS = 48      # font size (at 72 dpi, so pixels) the glyphs are rasterised at


@dataclasses.dataclass(frozen=True)
class GlyphJitter:
    """Ranges of the per-sample jitter of a digit glyph (uniform in each range).

    Args:
        height: ``(min, max)`` glyph height as a fraction of the patch size.
        rotation_degrees: ``(min, max)`` rotation, counter-clockwise.
        shear: ``(min, max)`` horizontal shear (positive leans right, like italics).
        aspect: ``(min, max)`` horizontal stretch.
        stroke: ``(min, max)`` outline offset in bank pixels (a glyph is about 38 bank
            pixels high); positive thickens the strokes.
    """

    height: tuple = (0.62, 0.82)
    rotation_degrees: tuple = (-15.0, 15.0)
    shear: tuple = (-0.25, 0.25)
    aspect: tuple = (0.85, 1.15)
    stroke: tuple = (-0.5, 2.5)

    @classmethod
    def none(cls) -> "GlyphJitter":
        """No jitter: upright glyphs of a fixed size and stroke."""
        return cls(height=(0.72, 0.72), rotation_degrees=(0.0, 0.0), shear=(0.0, 0.0),
                   aspect=(1.0, 1.0), stroke=(0.8, 0.8))


@dataclasses.dataclass(frozen=True)
class GlyphBank:
    """Signed distance fields of the digits.

    Attributes:
        sdf: float32 ``(num_fonts * 10, BANK_SIZE, BANK_SIZE)``; entry ``font * 10 + digit``.
        heights: float32 ``(num_fonts * 10,)``. Ink height of each glyph in bank pixels.
        fonts: tuple of font file names.
    """

    sdf: np.ndarray
    heights: np.ndarray
    fonts: tuple

    @property
    def num_fonts(self) -> int:
        return len(self.fonts)


_BUNDLED_FONTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts")


def font_path(name: str) -> str:
    """Absolute path of a font file shipped with matplotlib, or of the package's own copy
    where the installed matplotlib has none (``cmti10.ttf`` came with matplotlib 3.11; Colab's
    3.10 lacks it).

    Raises:
        FileNotFoundError: neither matplotlib nor the package has the font.
    """
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    for path in (os.path.join(folder, name), os.path.join(_BUNDLED_FONTS, name)):
        if os.path.exists(path):
            return path
    raise FileNotFoundError(
        f"Font {name!r} is neither in matplotlib's fonts ({folder}) nor in {_BUNDLED_FONTS}; "
        f"use one of {DIGIT_FONTS}.")


def rasterize_digit(font_file: str, digit: int, points: int = RENDER_POINTS) -> np.ndarray:
    """Anti-aliased ink of one digit, cropped to its bounding box, as uint8 ``(h, w)``."""
    from matplotlib import ft2font

    font = ft2font.FT2Font(font_path(font_file))
    font.set_size(points, 72)
    font.set_text(str(int(digit)))
    font.draw_glyphs_to_bitmap(antialiased=True)
    ink = np.asarray(font.get_image())
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


@functools.lru_cache(maxsize=4)
def glyph_bank(fonts: tuple = DIGIT_FONTS) -> GlyphBank:
    """Render every digit in every font once per process and keep their SDFs.

    Args:
        fonts: tuple of font file names from matplotlib's ``mpl-data/fonts/ttf``.

    Returns:
        A ``GlyphBank``.
    """
    sdfs, heights = [], []
    for font in fonts:
        for digit in range(10):
            ink = rasterize_digit(font, digit)
            h, w = ink.shape
            if max(h, w) > BANK_SIZE - 8:
                raise ValueError(f"Glyph {digit} of {font} is {h}x{w}, too big for the bank.")
            canvas = np.zeros((BANK_SIZE, BANK_SIZE), dtype=np.uint8)
            top, left = (BANK_SIZE - h) // 2, (BANK_SIZE - w) // 2
            canvas[top:top + h, left:left + w] = ink
            sdfs.append(sprites.signed_distance(canvas >= 128))
            heights.append(h)
    return GlyphBank(np.stack(sdfs), np.asarray(heights, np.float32), tuple(fonts))


def render_digits(rng, digits, size, jitter: GlyphJitter = GlyphJitter(), fonts=None,
                  bank: GlyphBank | None = None) -> np.ndarray:
    """Draw digits with per-sample jitter.

    Args:
        rng: ``numpy.random.Generator``.
        digits: int array ``(N,)`` of digits 0-9.
        size: int. Patch size in pixels (28 for 64x64 frames, as in Moving MNIST).
        jitter: ``GlyphJitter``. Ranges of the random variations.
        fonts: optional int array ``(N,)`` of font indices; drawn at random when None.
        bank: optional ``GlyphBank``; the default bank when None.

    Returns:
        uint8 array ``(N, size, size)``, white digit on black.
    """
    bank = bank or glyph_bank()
    digits = np.asarray(digits, dtype=np.int64)
    n = digits.shape[0]
    if n and (digits.min() < 0 or digits.max() > 9):
        raise ValueError(f"digits must be in 0..9, got values {np.unique(digits)}.")
    if fonts is None:
        fonts = rng.integers(0, bank.num_fonts, size=n)
    index = np.asarray(fonts) * 10 + digits
    height = rng.uniform(*jitter.height, size=n) * size
    matrices = sprites.affine_matrices(
        scale=height / bank.heights[index],
        rotation=np.deg2rad(rng.uniform(*jitter.rotation_degrees, size=n)),
        shear=rng.uniform(*jitter.shear, size=n),
        aspect=rng.uniform(*jitter.aspect, size=n),
    )
    stroke = rng.uniform(*jitter.stroke, size=n)
    coverage = sprites.render_sdf_sprites(bank.sdf, index, matrices, size, offset=stroke)
    return np.round(coverage * 255.0).astype(np.uint8)
