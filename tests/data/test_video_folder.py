import os
import re
import shutil
import warnings

import numpy as np
import pytest

from tests.conftest import counting_frames, cut_short, write_with_moviepy
from vidgen_tf.data import VideoFolder, VideoReadError, make_dataset, read_video
from vidgen_tf.data.video_folder import humanize


@pytest.fixture
def ucf(tmp_path):
    """A folder in the UCF-101 layout: 2 classes, 4 good videos, 2 bad files, 1 ignored."""
    root = tmp_path / "ucf"
    frames = counting_frames(20)
    for name in ("ApplyEyeMakeup", "Basketball"):
        (root / name).mkdir(parents=True)
    write_with_moviepy(str(root / "ApplyEyeMakeup" / "v_a1.avi"), frames)
    write_with_moviepy(str(root / "ApplyEyeMakeup" / "v_a2.mp4"), frames[:6])   # short
    write_with_moviepy(str(root / "Basketball" / "v_b1.avi"), frames[::-1])
    write_with_moviepy(str(root / "Basketball" / "v_b2.webm"), frames)
    (root / "Basketball" / "v_bad.avi").write_bytes(b"\x00" * 3000)
    (root / "Basketball" / "v_empty.mp4").write_bytes(b"")
    (root / "Basketball" / "notes.txt").write_text("not a video")
    return root, frames


def test_layout_labels_and_skipped_files(ucf):
    root, _ = ucf
    with pytest.warns(UserWarning, match=r"skipped 2 of 6 files .*v_bad.avi"), \
            pytest.warns(UserWarning, match=r"1 of 4 files are shorter than a clip, which needs "
                                            r"8 frames .*v_a2.mp4 has 6 frames by its header"):
        folder = VideoFolder(root, num_frames=8, image_size=16)
    assert folder.classes == ["ApplyEyeMakeup", "Basketball"]
    assert [os.path.basename(f) for f in folder.files] == ["v_a1.avi", "v_a2.mp4", "v_b1.avi",
                                                           "v_b2.webm"]
    np.testing.assert_array_equal(folder.labels, [0, 0, 1, 1])
    assert len(folder) == 4 and len(folder.skipped) == 2


def test_clips_sample_frames_with_stride_and_pad_short_files(ucf):
    root, frames = ucf
    with pytest.warns(UserWarning):
        folder = VideoFolder(root, num_frames=4, stride=3, image_size=(32, 48))
    clip = folder.read_clip(0, start=2)                     # lossless avi, full size
    np.testing.assert_array_equal(clip, frames[[2, 5, 8, 11]])
    short = folder.read_clip(1, start=0)                    # 6 frames: 0, 3, then padding
    assert short.shape == (4, 32, 48, 3)
    np.testing.assert_array_equal(short[2], short[1])
    np.testing.assert_array_equal(short[3], short[1])
    assert folder.max_start(0) == 20 - 10 and folder.max_start(1) == 0
    middle = folder.read_clip(0)                            # None: the middle clip
    np.testing.assert_array_equal(middle, frames[[5, 8, 11, 14]])


def test_tf_dataset_decodes_every_file_with_labels(ucf):
    root, _ = ucf
    with pytest.warns(UserWarning):
        folder = VideoFolder(root, num_frames=5, image_size=16)
    clips = list(folder.as_tf_dataset(shuffle=False, random_start=False).as_numpy_iterator())
    assert [c["label"] for c in clips] == [0, 0, 1, 1]
    assert clips[0]["caption"] == b"apply eye makeup" and clips[0]["video"].shape == (5, 16, 16, 3)
    shuffled = list(folder.as_tf_dataset(shuffle=True).as_numpy_iterator())
    assert sorted(c["path"] for c in shuffled) == sorted(c["path"] for c in clips)
    batch = next(iter(make_dataset(folder, batch_size=4, keys=("label",))))
    assert batch["video"].shape == (4, 5, 16, 16, 3)
    assert -1.0 <= batch["video"].numpy().min() and batch["video"].numpy().max() <= 1.0


def test_random_starts_are_seeded_and_new_every_epoch(ucf):
    root, frames = ucf
    with pytest.warns(UserWarning):
        folder = VideoFolder(root, num_frames=3, image_size=(32, 48), seed=5)

    def starts(seed):
        # Frame t of the (lossless) avi files is grey level 10 t: the first pixel gives t.
        dataset = folder.as_tf_dataset(shuffle=False, seed=seed).repeat(3)
        return [int(c["video"][0, 0, 0, 0]) // 10 for c in dataset.as_numpy_iterator()
                if c["path"].endswith(b"v_a1.avi")]

    first = starts(1)
    assert len(first) == 3 and len(set(first)) > 1          # a new start every epoch
    assert all(0 <= s <= folder.max_start(0) for s in first)
    assert starts(1) == first and starts(2) != first         # seeded


def test_a_file_that_breaks_after_opening_is_dropped_with_a_warning(ucf):
    root, _ = ucf
    with pytest.warns(UserWarning):
        folder = VideoFolder(root, num_frames=5, image_size=16)
    os.remove(folder.files[2])
    with pytest.warns(UserWarning, match="skipping a clip.*v_b1.avi"):
        clips = list(folder.as_tf_dataset(shuffle=False).as_numpy_iterator())
    assert [c["label"] for c in clips] == [0, 0, 1]


def test_folders_without_good_videos_are_errors(tmp_path, ucf):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        VideoFolder(tmp_path / "nowhere")
    (tmp_path / "empty_root").mkdir()
    with pytest.raises(ValueError, match="holds no video files in the UCF-101 layout"):
        VideoFolder(tmp_path / "empty_root")
    bad = tmp_path / "bad" / "Class"
    bad.mkdir(parents=True)
    (bad / "a.avi").write_bytes(b"junk" * 100)
    (bad / "b.mp4").write_bytes(b"")
    with pytest.raises(ValueError, match=r"all files are bad: 2 of 2"):
        VideoFolder(tmp_path / "bad")


@pytest.fixture(scope="module")
def cut_folder(tmp_path_factory):
    """A UCF-101 layout with a whole avi and two webm files cut short (24 frames promised)."""
    root = tmp_path_factory.mktemp("cut")
    frames = counting_frames(24)
    for name in ("Cut", "Whole"):
        (root / name).mkdir()
    write_with_moviepy(str(root / "Whole" / "v_whole.avi"), frames[:20])
    webm = write_with_moviepy(str(root / "full.webm"), frames)
    cut_short(webm, 0.7, root / "Cut" / "v_cut70.webm")
    cut_short(webm, 0.4, root / "Cut" / "v_cut40.webm")  # 2-4 frames decode
    return root


def frame_numbers(clip):
    """Frame t of counting_frames is grey 10 t: the top-left pixel gives t (webm is lossy)."""
    return np.rint(clip[:, 0, 0, 0] / 10).astype(int).tolist()


def test_a_truncated_file_gives_clips_of_real_frames_or_an_error(cut_folder):
    folder = VideoFolder(cut_folder, num_frames=8, image_size=(32, 48))
    names = [os.path.basename(f) for f in folder.files]
    assert names == ["v_cut40.webm", "v_cut70.webm", "v_whole.avi"]
    assert [info.num_frames for info in folder.infos] == [24, 24, 20]   # what headers say
    with pytest.warns(UserWarning):
        real = read_video(folder.files[1], size=(32, 48))
    assert 8 <= len(real) < 24
    # The clip asked for (frames 16-23) is past the end: the latest full clip comes instead.
    with pytest.warns(UserWarning, match=rf"v_cut70.webm is shorter than its header says "
                                         rf"\(its header promises 24 frames .*but only "
                                         rf"{len(real)} decoded\); its clips are now taken "
                                         rf"from those {len(real)} frames"):
        clip = folder.read_clip(1, start=16)
    np.testing.assert_array_equal(clip, real[-8:])
    assert frame_numbers(clip) == list(range(len(real) - 8, len(real)))   # no frozen frame
    assert folder.num_frames_of(1) == len(real) and folder.max_start(1) == len(real) - 8
    np.testing.assert_array_equal(folder.read_clip(1), real[(len(real) - 8) // 2:][:8])
    # Too few real frames for a clip: an error that names the file and both counts.
    with pytest.raises(VideoReadError, match=r"v_cut40.webm.*too short for a clip: its header "
                                             r"promises 24 frames .*but only \d decoded; a "
                                             r"clip of num_frames=8 with stride=1 needs 8"):
        folder.read_clip(0)


def test_the_pipeline_skips_a_truncated_file_with_a_counted_warning(cut_folder):
    folder = VideoFolder(cut_folder, num_frames=8, image_size=(32, 48), seed=3)
    with pytest.warns(UserWarning) as caught:
        clips = list(folder.as_tf_dataset(shuffle=False).repeat(3).as_numpy_iterator())
    skips = [str(w.message) for w in caught if "skipping a clip" in str(w.message)]
    assert len(skips) == 1                      # once: the file is known bad afterwards
    assert re.search(r"skipping a clip of \S*v_cut40.webm: .*too short for a clip.*Files "
                     r"skipped while decoding so far: 1 of 3\.$", skips[0])
    assert list(folder.skipped_while_decoding) == [folder.files[0]]
    assert [os.path.basename(c["path"].decode()) for c in clips] == \
        ["v_cut70.webm", "v_whole.avi"] * 3
    real = folder.num_frames_of(1)
    assert real < 24
    for clip in clips:
        numbers = frame_numbers(clip["video"])
        assert numbers == list(range(numbers[0], numbers[0] + 8))     # 8 real, distinct frames
        if clip["path"].endswith(b"v_cut70.webm"):
            assert numbers[-1] < real


def test_humanize():
    assert humanize("ApplyEyeMakeup") == "apply eye makeup"
    assert humanize("playing_guitar") == "playing guitar"
    assert humanize("YoYo") == "yo yo"


def test_a_file_found_short_by_read_clip_is_still_counted_by_the_pipeline(cut_folder):
    folder = VideoFolder(cut_folder, num_frames=8, image_size=(32, 48), seed=3)
    with pytest.raises(VideoReadError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder.read_clip(0)                       # v_cut40.webm: known too short from now on
    with pytest.warns(UserWarning, match=r"skipping a clip of \S*v_cut40.webm: .*too short.*"
                                         r"so far: 1 of 3"):
        list(folder.as_tf_dataset(shuffle=False).as_numpy_iterator())
    assert list(folder.skipped_while_decoding) == [folder.files[0]]
