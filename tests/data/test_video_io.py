import os
import warnings

import numpy as np
import pytest

from tests.conftest import counting_frames, cut_short, write_with_moviepy
from vidgen_tf.data import TruncatedVideoWarning, VideoReadError, probe_video, read_video


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


def test_bad_argument_types_name_the_argument_what_was_expected_and_given(files):
    avi = files[1][".avi"]
    with pytest.raises(TypeError, match=r"^read_video: expected path to be a str or path-like "
                                        r"naming a video file .*got path=None\.$"):
        read_video(None)
    with pytest.raises(TypeError, match=r"^probe_video: expected path .*got path=3 \(an int\)"):
        probe_video(3)
    with pytest.raises(TypeError, match=r"clip\.avi'\): expected start to be an int >= 0 "
                                        r"\(the index of the first frame to keep\), got "
                                        r"start='a' \(a str\)\.$"):
        read_video(avi, start="a")
    with pytest.raises(TypeError, match=r"clip\.avi'\): expected size to be an int or a "
                                        r"\(height, width\) pair of ints, each >= 1 .*got "
                                        r"size=2\.5 \(a float where an int belongs\)"):
        read_video(avi, size=2.5)
    with pytest.raises(TypeError, match=r"expected stride to be an int >= 1 .*got stride=1\.5"):
        read_video(avi, stride=1.5)
    with pytest.raises(TypeError, match=r"num_frames to be an int >= 1 or None .*got "
                                        r"num_frames='3' \(a str\)"):
        read_video(avi, num_frames="3")
    with pytest.raises(ValueError, match=r"expected start >= 0 .*got start=-1\.$"):
        read_video(avi, start=-1)
    with pytest.raises(ValueError, match=r"expected size .*got size=\(8, 0\)\.$"):
        read_video(avi, size=(8, 0))
    # What is valid stays valid: numpy ints, a path-like, a list for size.
    video = read_video(os.fspath(avi).encode(), start=np.int64(1), num_frames=np.int32(2),
                       size=[16, 24])
    np.testing.assert_array_equal(video.shape, (2, 16, 24, 3))


@pytest.fixture(scope="module")
def long_files(tmp_path_factory):
    """24-frame files (the longest counting_frames makes) to cut short."""
    folder = tmp_path_factory.mktemp("long")
    frames = counting_frames(24)
    return frames, {ext: write_with_moviepy(str(folder / f"long{ext}"), frames)
                    for ext in (".gif", ".webm", ".avi")}


@pytest.mark.parametrize("ext, fraction", [(".gif", 0.5), (".gif", 0.8), (".webm", 0.5),
                                           (".webm", 0.7), (".avi", 0.65), (".avi", 0.8)])
def test_truncated_file_warns_with_the_promised_and_decoded_counts(long_files, tmp_path, ext,
                                                                  fraction):
    frames, paths = long_files
    cut = cut_short(paths[ext], fraction, tmp_path / f"cut{ext}")
    promised = probe_video(cut).num_frames
    with pytest.warns(TruncatedVideoWarning) as caught:
        video = read_video(cut)
    truncation = [w for w in caught if w.category is TruncatedVideoWarning]
    assert len(truncation) == 1
    message = str(truncation[0].message)
    assert cut in message
    assert f"its header promises {promised} frames" in message
    assert f" {len(video)} decoded" in message
    assert 0 < len(video) < len(frames)
    # What comes back is the start of the video (a gif's last frame may be half drawn).
    whole = len(video) - 1 if ext == ".gif" else len(video)
    tolerance = 4 if ext == ".webm" else 0
    assert np.abs(video[:whole].astype(int) - frames[:whole]).mean() <= tolerance
    # A clip that ends before the damage is whole: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedVideoWarning)
        assert len(read_video(cut, num_frames=2)) == 2


def test_whole_files_do_not_warn(files, long_files):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedVideoWarning)
        for path in [*files[1].values(), *long_files[1].values()]:
            assert len(read_video(path)) == probe_video(path).num_frames
