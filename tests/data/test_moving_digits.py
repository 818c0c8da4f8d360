import re

import numpy as np
import pytest

from vidgen_tf.data import DIRECTIONS, MovingDigits

CLAUSE = re.compile(r"an? (\d) moves ([a-z-]+)")


@pytest.fixture(scope="module")
def clips():
    return MovingDigits(num_frames=12, image_size=64, num_digits=(1, 3), seed=3).generate(200)


def test_shapes_and_types(clips):
    assert clips["video"].shape == (200, 12, 64, 64, 1) and clips["video"].dtype == np.uint8
    assert clips["digits"].shape == (200, 3) and clips["positions"].shape == (200, 12, 3, 2)
    assert clips["velocities"].shape == (200, 12, 3, 2) and clips["caption"].shape == (200,)
    assert clips["video"].max() == 255 and np.median(clips["video"]) == 0   # white on black


def test_same_seed_gives_identical_bytes_and_other_seeds_do_not(clips):
    again = MovingDigits(num_frames=12, image_size=64, num_digits=(1, 3), seed=3).generate(200)
    for key in clips:
        np.testing.assert_array_equal(clips[key], again[key])
    other = MovingDigits(num_frames=12, image_size=64, num_digits=(1, 3), seed=4).generate(200)
    assert not np.array_equal(clips["video"], other["video"])


def test_splits_are_disjoint_streams():
    train = MovingDigits(num_frames=4, split="train").generate(64)["video"].reshape(64, -1)
    test = MovingDigits(num_frames=4, split="test").generate(64)["video"].reshape(64, -1)
    same = (train[:, None] == test[None]).all(-1)
    assert not same.any()


def test_clips_are_addressable_by_index():
    ds = MovingDigits(num_frames=6, image_size=32, seed=1)
    window = ds.generate(10, start=60)       # crosses the chunk boundary at 64
    everything = ds.generate(100)
    for key in window:
        np.testing.assert_array_equal(window[key], everything[key][60:70])
    np.testing.assert_array_equal(ds[65]["video"], everything["video"][65])


def test_counts_and_labels_agree(clips):
    present = clips["digits"] >= 0
    np.testing.assert_array_equal(present.sum(1), clips["num_objects"])
    assert set(np.unique(clips["num_objects"])) == {1, 2, 3}
    assert np.all(present[:, :1])                       # slots fill from the first
    assert set(np.unique(clips["digits"][present])) == set(range(10))
    assert np.all(clips["fonts"][~present] == -1) and clips["fonts"][present].min() >= 0


def test_captions_name_the_digits_and_directions(clips):
    for i in range(200):
        found = CLAUSE.findall(clips["caption"][i])
        present = clips["digits"][i] >= 0
        assert [int(d) for d, _ in found] == list(clips["digits"][i][present])
        assert [DIRECTIONS.index(w) for _, w in found] == list(clips["directions"][i][present])
    eights = [c for c in clips["caption"] if "8 moves" in c]
    assert eights and all("an 8" in c for c in eights)


def test_pictures_follow_the_position_labels(clips):
    # In one-digit clips, the centre of brightness is where the labels put the digit.
    single = np.flatnonzero(clips["num_objects"] == 1)
    video = clips["video"][single, ..., 0].astype(np.float64)
    mass = video.sum((2, 3))
    ys = (video.sum(3) * np.arange(64)).sum(2) / mass
    xs = (video.sum(2) * np.arange(64)).sum(2) / mass
    label = clips["positions"][single, :, 0]
    # A glyph's ink need not be centred in its patch (jitter), but it moves with it.
    offset_y, offset_x = ys - label[..., 0], xs - label[..., 1]
    assert np.abs(offset_y - offset_y[:, :1]).max() < 0.5
    assert np.abs(offset_x - offset_x[:, :1]).max() < 0.5
    assert np.abs(offset_y).max() < 4 and np.abs(offset_x).max() < 4


def test_motion_matches_velocity_labels(clips):
    pos = clips["positions"]
    step = np.diff(pos, axis=1)                          # rounded positions, so within 1 px
    vel = clips["velocities"][:, :-1]
    present = (clips["digits"] >= 0)[:, None, :, None]
    free = clips["velocities"][:, 1:] == vel             # steps without a bounce
    err = np.abs(step - vel)[np.broadcast_to(present, step.shape) & free]
    assert err.max() <= 1.0 + 1e-6
    speeds = clips["speeds"][clips["digits"] >= 0]
    assert speeds.min() >= 2.0 and speeds.max() <= 4.0


def test_smaller_frames_scale_the_digits():
    ds = MovingDigits(num_frames=4, image_size=32)
    assert ds.digit_size == 14 and ds.speed_range == (1.0, 2.0)
    assert ds.generate(8)["video"].shape == (8, 4, 32, 32, 1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_digits=0), "num_digits"),
    (dict(num_digits=(3, 1)), "num_digits"),
    (dict(num_digits=[1, 2, 3]), "num_digits must be an int or a \\(min, max\\) pair"),
    (dict(image_size=32, digit_size=40), "digit_size"),
    (dict(split="validation"), "split must be one of"),
    (dict(speed_range=(1, 100)), "speed_range"),
    (dict(num_frames=0), "num_frames"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MovingDigits(**kwargs)


def test_tf_dataset_views(clips):
    import tensorflow as tf

    ds = MovingDigits(num_frames=12, image_size=64, num_digits=(1, 3), seed=3)
    stream = list(ds.as_tf_dataset().take(70).as_numpy_iterator())
    np.testing.assert_array_equal(np.stack([c["video"] for c in stream]), clips["video"][:70])
    assert stream[5]["caption"].decode() == clips["caption"][5]
    fixed = ds.as_tf_dataset(num_clips=10, start=5)
    assert fixed.cardinality().numpy() == 10
    first = next(iter(fixed))
    np.testing.assert_array_equal(first["video"].numpy(), clips["video"][5])
    assert ds.element_spec()["caption"].dtype == tf.string
