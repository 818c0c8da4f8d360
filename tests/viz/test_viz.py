import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from vidgen_tf.data import read_video
from vidgen_tf.viz import (encode_gif, plot_frames, plot_history, save_video, show_videos,
                           video_grid, video_html)
from vidgen_tf.viz.video import as_frames


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


def test_html_embeds_a_playable_gif_and_escapes_captions():
    clip = _clip()
    markup = video_html(clip, caption="a <b> & c")
    data = base64.b64decode(re.search(r"base64,([^\"]+)\"", markup).group(1))
    assert len(_gif_frames(data)) == 6
    assert "a &lt;b&gt; &amp; c" in markup and 'width="40"' in markup
    with pytest.raises(ValueError, match="format"):
        video_html(clip, format="avi")


def test_html_mp4_is_a_real_h264_file(tmp_path):
    clip = _clip(h=16, w=16)
    markup = video_html(clip, format="mp4")
    data = base64.b64decode(re.search(r"base64,([^\"]+)\"", markup).group(1))
    (tmp_path / "x.mp4").write_bytes(data)
    assert read_video(tmp_path / "x.mp4").shape == (6, 16, 16, 3)


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
    only_val = plot_history({"val_loss": [2.0, 1.0]}, smooth=5)     # fewer values than window
    assert only_val.axes[0].get_title() == "loss"
    np.testing.assert_array_equal(only_val.axes[0].lines[0].get_xdata(), [0, 1])
