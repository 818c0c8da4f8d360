import os

import numpy as np
import pytest

from tests.conftest import counting_frames, write_with_moviepy
from vidgen_tf.data import VideoReadError, probe_video, read_video


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    frames = counting_frames(12)
    return frames, {ext: write_with_moviepy(str(folder / f"clip{ext}"), frames)
                    for ext in (".mp4", ".avi", ".webm", ".gif")}


@pytest.mark.parametrize("ext, tolerance", [(".avi", 0), (".gif", 0), (".mp4", 3), (".webm", 4)])
def test_every_format_reads_back(files, ext, tolerance):
    frames, paths = files
    video = read_video(paths[ext])
    assert video.shape == frames.shape and video.dtype == np.uint8
    assert np.abs(video.astype(int) - frames).mean() <= tolerance


def test_probe_reports_size_rate_and_length(files):
    info = probe_video(files[1][".mp4"])
    assert (info.width, info.height, info.fps) == (48, 32, 10.0)
    assert info.num_frames == 12 and info.duration == pytest.approx(1.2)


def test_start_count_and_stride_pick_exact_frames(files):
    frames, paths = files
    video = read_video(paths[".avi"], start=3, num_frames=4, stride=2)   # lossless
    np.testing.assert_array_equal(video, frames[[3, 5, 7, 9]])
    tail = read_video(paths[".avi"], start=9, num_frames=10)             # the file ends first
    np.testing.assert_array_equal(tail, frames[9:])


def test_resize_happens_in_ffmpeg(files):
    video = read_video(files[1][".avi"], size=(16, 24))
    assert video.shape == (12, 16, 24, 3)
    # Area averaging keeps the mean grey level of each frame.
    np.testing.assert_allclose(video.mean((1, 2, 3)), files[0].mean((1, 2, 3)), atol=2.0)
    assert read_video(files[1][".gif"], size=8).shape == (12, 8, 8, 3)


def test_missing_empty_corrupt_and_unsupported_files_name_the_file(tmp_path, files):
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        read_video(tmp_path / "missing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoReadError, match=r"empty.mp4.*empty \(0 bytes\)"):
        read_video(tmp_path / "empty.mp4")
    (tmp_path / "noise.avi").write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(VideoReadError, match=r"noise.avi.*ffmpeg could not decode it"):
        read_video(tmp_path / "noise.avi")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(VideoReadError, match=r"notes.txt.*unsupported extension '.txt'"):
        read_video(tmp_path / "notes.txt")
    data = open(files[1][".mp4"], "rb").read()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 3])
    with pytest.raises(VideoReadError, match="cut.mp4"):
        read_video(tmp_path / "cut.mp4")
    with pytest.raises(VideoReadError, match="folder"):
        read_video(tmp_path)
    with pytest.raises(VideoReadError, match="no video frames from frame 50"):
        read_video(files[1][".avi"], start=50)
    with pytest.raises(VideoReadError, match="noise.avi"):
        probe_video(tmp_path / "noise.avi")


def test_bad_arguments(files):
    with pytest.raises(ValueError, match="stride >= 1"):
        read_video(files[1][".avi"], stride=0)
    with pytest.raises(ValueError, match="size"):
        read_video(files[1][".avi"], size=(4, 4, 4))
