import numpy as np
import pytest

from vidgen_tf.data import glyphs, sprites


def test_signed_distance_of_a_square():
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    sdf = sprites.signed_distance(mask)
    assert sdf[10, 10] == pytest.approx(0.5 - 5.0)    # 5 pixels from the nearest outside one
    assert sdf[2, 10] == pytest.approx(3.0 - 0.5)     # 3 pixels from the nearest inside one
    assert np.all((sdf < 0) == mask)


def _disk_bank(radius=20, size=64):
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    return np.hypot(y, x)[None].astype(np.float32) - radius


def test_rendered_disk_has_the_right_area():
    bank = _disk_bank()
    for scale in (0.5, 1.0, 0.3):
        coverage = sprites.render_sdf_sprites(bank, np.array([0]),
                                              sprites.affine_matrices(np.array([scale])), 48)
        area = coverage.sum()
        expected = np.pi * (20 * scale) ** 2
        assert area == pytest.approx(expected, rel=0.02)


def test_outline_offset_thickens():
    bank = _disk_bank()
    m = sprites.affine_matrices(np.array([0.5, 0.5]))
    thin, thick = sprites.render_sdf_sprites(bank, np.array([0, 0]), m, 48, offset=[0.0, 4.0])
    # The radius grows by offset * scale = 2 output pixels.
    assert thick.sum() == pytest.approx(np.pi * 12 ** 2, rel=0.03)
    assert thin.sum() == pytest.approx(np.pi * 10 ** 2, rel=0.03)


def test_rotation_is_counter_clockwise_on_screen():
    # A bar in the right half of the bank turned by +90 degrees ends in the top half.
    size = 64
    mask = np.zeros((size, size), bool)
    mask[28:36, 36:60] = True
    bank = sprites.signed_distance(mask)[None]
    m = sprites.affine_matrices(np.array([1.0]), rotation=np.pi / 2)
    out = sprites.render_sdf_sprites(bank, np.array([0]), m, size)[0]
    top, bottom = out[: size // 2].sum(), out[size // 2:].sum()
    left, right = out[:, : size // 2].sum(), out[:, size // 2:].sum()
    assert top > 20 * bottom and abs(left - right) < 0.2 * (left + right)


def test_paste_max_keeps_the_brighter_pixel():
    canvas = np.zeros((2, 3, 8, 8), np.uint8)
    patch = np.array([[[100, 200], [50, 0]]], np.uint8)
    corners = np.array([[[0, 0], [1, 1], [6, 6]]])
    sprites.paste_max(canvas, patch, corners, clips=np.array([1]))
    sprites.paste_max(canvas, np.full((1, 2, 2), 150, np.uint8), corners, clips=np.array([1]))
    assert canvas[0].max() == 0                         # clip 0 untouched
    np.testing.assert_array_equal(canvas[1, 0, :2, :2], [[150, 200], [150, 150]])
    np.testing.assert_array_equal(canvas[1, 1, 1:3, 1:3], [[150, 200], [150, 150]])
    np.testing.assert_array_equal(canvas[1, 2, 6:, 6:], [[150, 200], [150, 150]])
    assert canvas[1].sum() == 3 * (150 * 3 + 200)


def test_paste_over_paints_later_sprites_in_front():
    canvas = np.zeros((1, 1, 4, 4, 3), np.float32)
    alpha = np.ones((1, 3, 3), np.float32)
    sprites.paste_over(canvas, np.array([[255, 0, 0]], np.float32), alpha, np.array([[[0, 0]]]))
    sprites.paste_over(canvas, np.array([[0, 0, 255]], np.float32), alpha * 0.5,
                       np.array([[[1, 1]]]))
    np.testing.assert_allclose(canvas[0, 0, 0, 0], [255, 0, 0])
    np.testing.assert_allclose(canvas[0, 0, 1, 1], [127.5, 0, 127.5])   # half over red
    np.testing.assert_allclose(canvas[0, 0, 3, 3], [0, 0, 127.5])       # half over black


def test_glyph_bank_renders_every_digit_of_every_font():
    bank = glyphs.glyph_bank()
    assert bank.sdf.shape == (len(glyphs.DIGIT_FONTS) * 10, 64, 64)
    assert 25 <= bank.heights.min() and bank.heights.max() <= 45
    inside = (bank.sdf < 0).sum(axis=(1, 2))
    assert inside.min() > 40                            # every glyph has ink
    # Glyphs are centred on the canvas: the ink's bounding box centre is near the middle.
    for entry in bank.sdf[::17]:
        rows = np.flatnonzero((entry < 0).any(1))
        cols = np.flatnonzero((entry < 0).any(0))
        assert abs((rows[0] + rows[-1]) / 2 - 31.5) <= 1.0
        assert abs((cols[0] + cols[-1]) / 2 - 31.5) <= 1.0


def test_render_digits_is_seeded_and_jittered():
    a = glyphs.render_digits(np.random.default_rng(0), np.full(16, 3), 28)
    b = glyphs.render_digits(np.random.default_rng(0), np.full(16, 3), 28)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.uint8 and a.shape == (16, 28, 28) and a.max() == 255
    # Sixteen samples of the same digit: no two alike.
    flat = a.reshape(16, -1).astype(int)
    distance = np.abs(flat[:, None] - flat[None]).sum(-1)
    assert distance[~np.eye(16, dtype=bool)].min() > 1000


def test_render_digits_without_jitter_repeats_exactly():
    rng = np.random.default_rng(0)
    patches = glyphs.render_digits(rng, np.array([5, 5, 7]), 28, glyphs.GlyphJitter.none(),
                                   fonts=np.array([2, 2, 2]))
    np.testing.assert_array_equal(patches[0], patches[1])
    assert np.abs(patches[0].astype(int) - patches[2]).sum() > 10000


def test_digit_size_scales_the_glyph():
    rng = np.random.default_rng(0)
    jitter = glyphs.GlyphJitter.none()
    small = glyphs.render_digits(rng, np.array([8]), 14, jitter, fonts=np.array([0]))[0]
    large = glyphs.render_digits(rng, np.array([8]), 28, jitter, fonts=np.array([0]))[0]
    assert large.astype(float).sum() / small.astype(float).sum() == pytest.approx(4, rel=0.25)


def test_render_digits_rejects_non_digits():
    with pytest.raises(ValueError, match="0..9"):
        glyphs.render_digits(np.random.default_rng(0), np.array([3, 10]), 28)


def test_fonts_missing_from_an_older_matplotlib_come_with_the_package(tmp_path, monkeypatch):
    """matplotlib < 3.11 (Colab's 3.10) ships no cmti10.ttf: the package's copy is used, and a
    font neither has is an error naming both folders."""
    import hashlib

    import matplotlib

    real = glyphs.font_path("cmti10.ttf")
    (tmp_path / "fonts" / "ttf").mkdir(parents=True)
    monkeypatch.setattr(matplotlib, "get_data_path", lambda: str(tmp_path))
    bundled = glyphs.font_path("cmti10.ttf")
    assert bundled.startswith(glyphs._BUNDLED_FONTS)
    with open(real, "rb") as a, open(bundled, "rb") as b:
        # the copy is matplotlib 3.11's file, unmodified
        assert hashlib.sha256(a.read()).hexdigest() == hashlib.sha256(b.read()).hexdigest()
    with pytest.raises(FileNotFoundError, match=r"DejaVuSans.ttf.*fonts/ttf.*vidgen_tf"):
        glyphs.font_path("DejaVuSans.ttf")


def test_glyphs_are_the_same_in_every_process():
    """The embedded dataset is only reproducible if its glyphs are: matplotlib before 3.10
    left stray bytes in FreeType's bitmaps (the top rows of round digits differed from one
    process to the next), hence the floor in requirements.txt."""
    import hashlib
    import subprocess
    import sys

    code = ("import hashlib; from vidgen_tf.data import glyphs; print(hashlib.sha256(b''.join("
            "glyphs.rasterize_digit(f, d).tobytes() for f in glyphs.DIGIT_FONTS[:4] "
            "for d in range(10))).hexdigest())")
    here = hashlib.sha256(b"".join(glyphs.rasterize_digit(f, d).tobytes()
                                   for f in glyphs.DIGIT_FONTS[:4] for d in range(10)))
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120, check=True).stdout.strip()
    assert there == here.hexdigest()
