import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from vidgen_tf.data import read_video
from vidgen_tf.viz import (encode_gif, encode_mp4, filmstrip, grid_frames, grid_html,
                           plot_frames, plot_history, save_video, scale_factor, show_filmstrip,
                           show_grid, show_video, show_videos, upsample, video_grid,
                           video_html)
from vidgen_tf.viz.video import INLINE_GREY_LEVELS, _grey_lut, as_frames


def _clip(t=6, h=16, w=20, c=3, seed=0):
    rng = np.random.default_rng(seed)
    # Few distinct colours, so that a GIF palette holds them exactly.
    palette = rng.integers(0, 256, size=(8, c), dtype=np.uint8)
    return palette[rng.integers(0, 8, size=(t, h, w))]


def _gif_frames(data):
    image = Image.open(io.BytesIO(data))
    frames = []
    for i in range(image.n_frames):
        image.seek(i)
        frames.append((np.asarray(image.convert("RGB")), image.info.get("duration")))
    return frames


def test_as_frames_accepts_grey_rgb_and_floats():
    grey = np.zeros((3, 4, 5), np.uint8)
    assert as_frames(grey).shape == (3, 4, 5, 1)
    floats = np.full((3, 4, 5, 3), 1.0, np.float32)
    assert as_frames(floats).max() == 255 and as_frames(-floats).max() == 0
    with pytest.raises(ValueError, match="show_videos or video_grid"):
        as_frames(np.zeros((2, 3, 4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        as_frames(np.zeros((3, 4, 5, 2), np.uint8))


def test_gif_holds_every_frame_exactly():
    clip = _clip()
    frames = _gif_frames(encode_gif(clip, fps=10))
    assert len(frames) == 6 and frames[0][1] == 100
    for (got, _), expected in zip(frames, clip):
        np.testing.assert_array_equal(got, expected)
    grey = _clip(c=1)
    for (got, _), expected in zip(_gif_frames(encode_gif(grey)), grey):
        np.testing.assert_array_equal(got[..., 0], expected[..., 0])


def _embedded(markup, mime="image/gif"):
    """The files embedded in HTML as ``data:`` URLs of type ``mime``."""
    return [base64.b64decode(m) for m in re.findall(rf'src="data:{mime};base64,([^"]+)"',
                                                    markup)]


def _nearest(video, k):
    return np.repeat(np.repeat(video, k, axis=-3), k, axis=-2)


def test_html_embeds_an_enlarged_gif_and_escapes_captions():
    clip = _clip()                                    # 16x20: enlarged 8 times, to 128x160
    markup = video_html(clip, caption="a <b> & c")
    [data] = _embedded(markup)
    frames = _gif_frames(data)
    assert len(frames) == 6
    for (got, _), expected in zip(frames, _nearest(clip, 8)):
        np.testing.assert_array_equal(got, expected)  # 8 colours: the palette holds them
    assert 'width="160" height="128"' in markup
    assert "a &lt;b&gt; &amp; c" in markup and "<video" not in markup
    big = np.zeros((3, 130, 140, 1), np.uint8)        # large enough already: not enlarged
    assert _gif_frames(_embedded(video_html(big))[0])[0][0].shape == (130, 140, 3)
    with pytest.raises(ValueError, match="format must be 'gif'"):
        video_html(clip, format="avi")


@pytest.mark.parametrize("show", [
    lambda clip: video_html(clip, format="mp4"),
    lambda clip: show_video(clip, format="mp4"),
    lambda clip: show_videos([clip, clip], format="mp4")])
def test_inline_mp4_is_refused_with_what_to_do_instead(show):
    with pytest.raises(ValueError, match="sanitizers .* strip .*<video>.*save_video"):
        show(_clip())


def test_mp4_files_are_still_real_h264(tmp_path):
    (tmp_path / "x.mp4").write_bytes(encode_mp4(_clip(h=16, w=16)))
    assert read_video(tmp_path / "x.mp4").shape == (6, 16, 16, 3)


def test_upsample_repeats_pixels_by_a_whole_factor():
    assert scale_factor(32, 32) == 4 and scale_factor(16, 20) == 8
    assert scale_factor(64, 64) == 2 and scale_factor(130, 130) == 1
    assert scale_factor(30, 64) == 5                  # ceil(128 / 30): both sides >= 128
    batch = _clip(t=2, h=3, w=5, c=1)[None].repeat(2, axis=0)
    big = upsample(batch, clip_size=12)
    assert big.shape == (2, 2, 12, 20, 1)
    np.testing.assert_array_equal(big[1, 1, 4:8, 8:12, 0], np.full((4, 4), batch[1, 1, 1, 2, 0]))
    np.testing.assert_array_equal(big, _nearest(batch, 4))
    assert upsample(np.zeros((2, 3, 5), np.uint8), clip_size=9).shape == (2, 9, 15, 1)
    np.testing.assert_array_equal(upsample(np.ones((2, 3, 3, 1), np.float32)),
                                  np.full((2, 129, 129, 1), 255))
    with pytest.raises(ValueError, match="clip_size must be a whole number at least 1, got 0"):
        upsample(batch, clip_size=0)
    with pytest.raises(ValueError, match="1 or 3 channels, got shape \\(2, 3, 4, 5, 2\\)"):
        upsample(np.zeros((2, 3, 4, 5, 2), np.uint8))


def test_inline_gifs_use_16_grey_levels_and_files_keep_all():
    ramp = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(2, axis=0)
    ramp[1] = 255 - ramp[1]
    assert INLINE_GREY_LEVELS == 16
    lut = _grey_lut(INLINE_GREY_LEVELS)
    assert len(np.unique(lut)) == 16 and lut[0] == 0 and lut[255] == 255
    assert np.abs(lut.astype(int) - np.arange(256)).max() <= 9
    [data] = _embedded(video_html(ramp, clip_size=16))
    for (got, _), expected in zip(_gif_frames(data), ramp):
        np.testing.assert_array_equal(got[..., 0], lut[expected[..., 0]])
    for (got, _), expected in zip(_gif_frames(encode_gif(ramp)), ramp):
        np.testing.assert_array_equal(got[..., :1], expected)
    with pytest.raises(ValueError, match="colors must be a whole number from 2 to 256, got 1"):
        encode_gif(ramp, colors=1)
    with pytest.raises(ValueError, match="fps must be a positive number, got -1"):
        encode_gif(ramp, fps=-1)


def _numbered_clips(n, t, size=32, channels=1):
    """``n`` clips whose frame ``f`` is grey level ``10 f + 5`` with a white square at row
    ``2 + i`` (the clip) and column ``f`` (the frame), so cells and frames tell apart."""
    clips = np.zeros((n, t, size, size, channels), np.uint8)
    for i in range(n):
        for f in range(t):
            clips[i, f] = 10 * f + 5
            clips[i, f, 2 + i:6 + i, f:f + 4] = 255
    return clips


@pytest.mark.parametrize("fps", [7.5, 8, 12, 24, 25, 30])
def test_grid_gif_plays_every_frame_at_display_size(fps):
    """The grid of show_grid: one GIF of T frames at any fps, each cell the nearest-neighbour
    enlargement of its clip (4 times for 32x32), captions under the cells."""
    for count in (16, 23, 24):
        clips = _numbered_clips(5, count)
        captions = [f"clip {i}" for i in range(5)]
        markup = grid_html(clips, columns=3, captions=captions, fps=fps)
        [data] = _embedded(markup)
        frames = _gif_frames(data)
        grid = grid_frames(clips, columns=3, captions=captions)
        assert len(frames) == count
        assert {d for _, d in frames} == {10 * max(2, round(100 / fps))}
        band = (grid.shape[1] - 4) // 2 - 128                 # two rows of 128 + band, padding 4
        assert band > 10 and grid.shape[1:] == (2 * (128 + band) + 4, 3 * 128 + 2 * 4, 1)
        assert f'width="{3 * 128 + 8}" height="{grid.shape[1]}"' in markup
        lut = _grey_lut(INLINE_GREY_LEVELS)
        for f, (got, _) in enumerate(frames):
            np.testing.assert_array_equal(got[..., :1], lut[grid[f]])
            for i in range(5):
                y, x = (i // 3) * (128 + band + 4), (i % 3) * (128 + 4)
                np.testing.assert_array_equal(got[y:y + 128, x:x + 128, :1],
                                              lut[_nearest(clips[i, f], 4)])
        assert 'alt="clip 0; clip 1; clip 2; clip 3; clip 4"' in markup


def test_grid_frames_is_exact_and_still_moments_keep_the_duration():
    clips = _clip(t=5, h=8, w=8, c=3)[None].repeat(3, axis=0)
    clips[1] = clips[1, ::-1]
    grid = grid_frames(clips, columns=2, clip_size=32, padding=2)
    assert grid.shape == (5, 2 * 32 + 2, 2 * 32 + 2, 3)
    np.testing.assert_array_equal(grid[:, :32, 34:], _nearest(clips[1], 4))
    np.testing.assert_array_equal(grid[:, 34:, 34:], 255)            # the empty cell
    assert (grid[:, 32:34] == 255).all()                               # padding
    frames = _gif_frames(encode_gif(grid, colors=256))
    for (got, _), expected in zip(frames, grid):
        np.testing.assert_array_equal(got, expected)
    still = _numbered_clips(2, 8)[:, [0, 0, 0, 1, 2, 2, 3, 4]]       # repeated frames
    [data] = _embedded(grid_html(still, fps=12))
    frames = _gif_frames(data)
    assert len(frames) == 5 and sum(d for _, d in frames) == 8 * 80   # 8 frames of 80 ms


def test_grid_captions_are_drawn_under_each_clip_and_checked():
    clips = _numbered_clips(4, 2)
    plain = grid_frames(clips, columns=2)
    assert plain.shape[1:3] == (2 * 128 + 4, 2 * 128 + 4)             # no band without captions
    long = "a 7 moves down-left and a 3 moves up-right and a 1 moves left"
    labelled = grid_frames(clips, columns=2, captions=["asked 3", None, "asked 7", long])
    band = (labelled.shape[1] - 4) // 2 - 128
    one_line = grid_frames(clips, columns=2, captions=["asked 3", None, "asked 7", "x"])
    assert band > (one_line.shape[1] - 4) // 2 - 128 > 8              # the long one wraps
    ink = labelled[0, 128:128 + band, :, 0] < 128
    assert ink[:, :128].any() and not ink[:, 132:].any()              # cell 1 has no caption
    np.testing.assert_array_equal(labelled[:, :128, :128], plain[:, :128, :128])
    first, third = (labelled[0, y + 128:y + 128 + band, :128, 0] for y in (0, 132 + band))
    assert (first != third).any()                                     # "3" differs from "7"
    with pytest.raises(ValueError, match="4 clips but 3 captions"):
        grid_frames(clips, captions=["a", "b", "c"])
    with pytest.raises(ValueError, match="columns must be a whole number at least 1, got 0"):
        grid_frames(clips, columns=0)


def test_grid_size_stays_small():
    """A 4x4 grid of 16-frame 32x32 moving digits at 128 pixels a clip: about 120 KB."""
    from vidgen_tf.data import MovingDigits

    ds = MovingDigits(num_frames=16, image_size=32, num_digits=1, seed=0).generate(16)
    markup = grid_html(ds["video"], captions=[f"asked {d}" for d in ds["digits"][:, 0]])
    [data] = _embedded(markup)
    assert len(_gif_frames(data)) == 16 and _gif_frames(data)[0][0].shape[1] == 4 * 128 + 12
    assert len(data) < 150_000 and len(markup) < 200_000


def test_filmstrip_lays_frames_side_by_side():
    clips = _numbered_clips(3, 16)
    picture, index = filmstrip(clips, captions=["first", None, "third"], padding=2)
    assert index.tolist() == [0, 2, 4, 6, 9, 11, 13, 15]
    assert picture.shape[1] == 8 * 64 + 7 * 2 and picture.shape[2] == 1
    top = picture.shape[0] - 64                                       # the last row's frames
    for j, f in enumerate(index):
        np.testing.assert_array_equal(picture[top:, j * 66:j * 66 + 64],
                                      _nearest(clips[2, f], 2))
    picture, index = filmstrip(clips[0], num_frames=3, frame_labels=False)
    assert index.tolist() == [0, 8, 15] and picture.shape == (64, 3 * 64 + 4, 1)
    assert filmstrip(_clip(t=4))[0].shape[1:] == (4 * 80 + 3 * 2, 3)   # 16x20 clips at 64x80
    with pytest.raises(ValueError, match="3 clips but 1 captions"):
        filmstrip(clips, captions=["one"])


def _shown(monkeypatch, show):
    """The MIME bundles that ``show`` displays."""
    import IPython.display
    from IPython.core.formatters import format_display_data

    bundles = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, **kw: bundles.append(format_display_data(obj)[0]))
    show()
    return bundles


def test_show_functions_emit_gif_and_png_that_sanitizers_keep(monkeypatch):
    clips = _numbered_clips(4, 6)
    [grid] = _shown(monkeypatch, lambda: show_grid(clips, captions=list("abcd"),
                                                   filmstrip_rows=2, title="samples"))
    markup = grid["text/html"]
    assert len(_embedded(markup)) == 1 and len(_embedded(markup, "image/png")) == 1
    png = Image.open(io.BytesIO(_embedded(markup, "image/png")[0]))
    assert png.size[0] == 6 * 64 + 5 * 2
    [strip] = _shown(monkeypatch, lambda: show_filmstrip(clips[:2]))
    assert "image/png" in strip and "text/html" not in strip
    [one] = _shown(monkeypatch, lambda: show_video(clips[0]))
    [many] = _shown(monkeypatch, lambda: show_videos(list(clips[:2]), captions=["x", "y"]))
    for markup in (grid["text/html"], one["text/html"], many["text/html"]):
        assert "<video" not in markup and "<script" not in markup
        assert "data:video/" not in markup
    assert len(_embedded(many["text/html"])) == 2


def test_show_videos_checks_captions():
    with pytest.raises(ValueError, match="2 clips but 1 captions"):
        show_videos(np.zeros((2, 3, 8, 8, 1), np.uint8), captions=["one"])


def test_video_grid_places_each_clip():
    clips = np.stack([np.full((2, 4, 5, 1), 10 * (i + 1), np.uint8) for i in range(5)])
    grid = video_grid(clips, columns=3, padding=1, pad_value=255)
    assert grid.shape == (2, 2 * 4 + 1, 3 * 5 + 2, 1)
    assert grid[0, 0, 0, 0] == 10 and grid[0, 0, 6, 0] == 20 and grid[0, 0, 12, 0] == 30
    assert grid[0, 5, 0, 0] == 40 and grid[0, 5, 6, 0] == 50
    assert grid[0, 5, 12, 0] == 255 and grid[0, 4, 0, 0] == 255    # empty cell, padding
    assert video_grid(clips).shape == (2, 2 * 4 + 1, 3 * 5 + 2, 1)  # about square


@pytest.mark.parametrize("ext, tolerance", [("mp4", 6), ("gif", 0), ("webm", 8), ("avi", 0)])
def test_save_video_round_trips(tmp_path, ext, tolerance):
    clip = np.zeros((8, 24, 32, 3), np.uint8)
    for t in range(8):
        clip[t, 4:14, 2 + 2 * t:12 + 2 * t] = (250, 120, 20)
    path = save_video(tmp_path / "sub" / f"clip.{ext}", clip, fps=8)
    back = read_video(path)
    assert back.shape == clip.shape
    assert np.abs(back.astype(int) - clip).mean() <= tolerance


@pytest.mark.parametrize("fps", [7.5, 8, 12, 24, 25, 30])
def test_every_frame_is_written_and_read_back_at_any_fps(tmp_path, fps):
    """24 frames at 12 fps used to come back as 23 (a seamless loop that skipped), and 16
    frames of a GIF at 7.5 fps as 48. Each frame is told apart by a grey level; GIF and AVI
    (PNG frames) are lossless, the others keep the order."""
    for count in (16, 23, 24):
        clip = np.zeros((count, 16, 16, 1), np.uint8)
        for t in range(count):
            clip[t] = 8 * t + 10
        for ext in ("gif", "avi", "mp4", "webm"):
            back = read_video(save_video(tmp_path / f"c{count}.{ext}", clip, fps=fps))
            assert back.shape[0] == count, (ext, count)
            levels = back[:, 4:12, 4:12, 0].mean(axis=(1, 2))
            if ext in ("gif", "avi"):
                np.testing.assert_array_equal(back[..., :1], clip)
            else:                                       # lossy: close, and in order
                assert np.abs(levels - clip[:, 0, 0, 0]).max() < 4, (ext, count)
        gif = _gif_frames(encode_gif(clip, fps=fps))
        assert len(gif) == count                        # distinct frames: one GIF frame each
        assert {d for _, d in gif} == {10 * max(2, round(100 / fps))}   # whole centiseconds


def test_still_moments_of_a_gif_come_back_as_the_frames_shown(tmp_path):
    """An encoder stores a frame equal to the one before as a longer delay (Pillow does): the
    file has 5 frames for these 8, and read_video gives back the 8 as they play."""
    levels = [10, 10, 10, 50, 90, 90, 130, 170]
    clip = np.stack([np.full((16, 16, 1), v, np.uint8) for v in levels])
    path = save_video(tmp_path / "still.gif", clip, fps=12)
    assert len(_gif_frames(open(path, "rb").read())) == 5
    back = read_video(path)
    np.testing.assert_array_equal(back[:, 0, 0, 0], levels)
    assert read_video(path, start=2, num_frames=3)[:, 0, 0, 0].tolist() == [10, 50, 90]


def test_save_video_pads_odd_sizes_and_rejects_unknown_formats(tmp_path):
    grey = np.zeros((4, 15, 17, 1), np.uint8)
    assert read_video(save_video(tmp_path / "odd.mp4", grey)).shape == (4, 16, 18, 3)
    with pytest.raises(ValueError, match="unsupported extension '.png'"):
        save_video(tmp_path / "x.png", grey)
    with pytest.raises(ValueError, match="fps must be a positive number, got 0"):
        save_video(tmp_path / "x.mp4", grey, fps=0)


def test_plot_frames_lays_out_clips_and_frames():
    videos = np.zeros((2, 16, 8, 8, 1), np.uint8)
    fig = plot_frames(videos, num_frames=4, titles=["real", "fake"])
    assert len(fig.axes) == 8
    assert [ax.get_title() for ax in fig.axes[:4]] == ["t=0", "t=5", "t=10", "t=15"]
    assert fig.axes[4].get_ylabel() == "fake"
    assert len(plot_frames(videos[0]).axes) == 16


def test_plot_history_pairs_training_and_validation():
    class History:
        history = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0], "psnr": [10, 12, 13]}

    fig = plot_history(History())
    assert [ax.get_title() for ax in fig.axes] == ["loss", "psnr"]
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_ydata(), [3.5, 2.5, 2.0])
    smooth = plot_history([{"loss": v} for v in [4.0, 2.0, 3.0, 1.0]], smooth=2)
    np.testing.assert_allclose(smooth.axes[0].lines[0].get_ydata(), [3.0, 2.5, 2.0])
    with pytest.raises(ValueError, match="no metric \\['kl'\\]"):
        plot_history(History(), keys=["kl"])
    # seven panels wrap into two rows of at most four, in order, and no empty panel is left
    seven = plot_history({k: [1.0, 2.0] for k in "abcdefg"}, keys=list("abcdefg"))
    assert [ax.get_title() for ax in seven.axes] == list("abcdefg")
    assert {round(ax.get_position().y0, 2) for ax in seven.axes[:4]} != {
        round(ax.get_position().y0, 2) for ax in seven.axes[4:]}
    assert len({round(ax.get_position().x0, 2) for ax in seven.axes}) == 4
    only_val = plot_history({"val_loss": [2.0, 1.0]}, smooth=5)     # fewer values than window
    assert only_val.axes[0].get_title() == "loss"
    np.testing.assert_array_equal(only_val.axes[0].lines[0].get_xdata(), [0, 1])
