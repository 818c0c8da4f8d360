import numpy as np
import pytest

from vidgen_tf.data import (MovingDigits, make_dataset, measure_throughput, to_float,
                            to_uint8)


@pytest.fixture(scope="module")
def digits():
    return MovingDigits(num_frames=4, image_size=32, seed=2)


def test_fixed_set_in_order_is_the_generated_clips(digits):
    ds = make_dataset(digits, batch_size=5, num_clips=10, shuffle=False)
    batches = [b.numpy() for b in ds]
    assert len(batches) == 2 and batches[0].dtype == np.float32
    np.testing.assert_array_equal(np.concatenate(batches), to_float(digits.generate(10)["video"]))


def test_shuffled_set_holds_the_same_clips(digits):
    ds = make_dataset(digits, batch_size=5, num_clips=10, seed=1)
    got = np.concatenate([b.numpy() for b in ds])
    expected = to_float(digits.generate(10)["video"])
    assert not np.array_equal(got, expected)
    np.testing.assert_array_equal(np.sort(got.reshape(10, -1).sum(1)),
                                  np.sort(expected.reshape(10, -1).sum(1)))


def test_labels_on_request(digits):
    batch = next(iter(make_dataset(digits, 4, keys=("digits", "caption"), num_clips=8,
                                   shuffle=False)))
    assert set(batch) == {"video", "digits", "caption"}
    np.testing.assert_array_equal(batch["digits"].numpy(), digits.generate(4)["digits"])
    assert batch["caption"].numpy()[0].decode() == digits.generate(1)["caption"][0]
    with pytest.raises(ValueError, match=r"no \['label'\]; available keys are .*'digits'"):
        make_dataset(digits, 4, keys=("label",))


def test_endless_stream_starts_at_clip_zero(digits):
    stream = make_dataset(digits, batch_size=3)
    first = next(iter(stream)).numpy()
    np.testing.assert_array_equal(first, to_float(digits.generate(3)["video"]))


def test_arrays_dicts_and_datasets_as_sources(digits):
    import tensorflow as tf

    videos = digits.generate(10)["video"]
    assert len(list(make_dataset(videos, 4))) == 2
    assert len(list(make_dataset(videos, 4, drop_remainder=False))) == 3
    assert len(list(make_dataset({"video": videos, "id": np.arange(10)}, 2, keys=("id",)))) == 5
    plain = tf.data.Dataset.from_tensor_slices(videos)
    batch = next(iter(make_dataset(plain, 2, shuffle=False)))
    np.testing.assert_array_equal(batch.numpy(), to_float(videos[:2]))
    repeated = make_dataset(videos, 4, repeat=True)
    assert len(list(repeated.take(7))) == 7


def test_bad_sources_and_arguments(digits):
    with pytest.raises(ValueError, match="uint8 videos"):
        make_dataset(np.zeros((2, 3, 8, 8, 1), np.float32), 2)
    with pytest.raises(ValueError, match="'video' entry"):
        make_dataset({"frames": np.zeros((2, 3, 8, 8, 1), np.uint8)}, 2)
    with pytest.raises(TypeError, match="unsupported source list"):
        make_dataset([1, 2, 3], 2)
    with pytest.raises(ValueError, match="batch_size"):
        make_dataset(digits, 0)
    with pytest.raises(ValueError, match="num_clips applies to synthetic datasets only"):
        make_dataset(np.zeros((2, 3, 8, 8, 1), np.uint8), 2, num_clips=2)


def test_dict_sources_need_uint8_clips_and_one_row_per_clip(digits):
    videos = digits.generate(6)["video"]                        # (6, 4, 32, 32, 1)
    with pytest.raises(ValueError, match=r"^make_dataset: the 'video' entry of a dict source "
                                         r"must be uint8 videos \(N, T, H, W, C\).*got uint8 "
                                         r"with shape \(4, 32, 32, 1\) \(4-D\)\. If it holds "
                                         r"one video, add the clip axis \(video\[None\]\)"):
        make_dataset({"video": videos[0]}, 2)
    with pytest.raises(ValueError, match=r"'video' entry .*got uint8 with shape \(6, 4096\) "
                                         r"\(2-D\)\.$"):
        make_dataset({"video": videos.reshape(6, -1)}, 2)
    with pytest.raises(ValueError, match=r"got float32 with shape \(6, 4, 32, 32, 1\) \(5-D\)"
                                         r"\. Convert float videos"):
        make_dataset({"video": to_float(videos)}, 2)
    with pytest.raises(ValueError, match=r"one row per clip: 'video' holds 6 clips, but 'id' "
                                         r"has shape \(5,\)"):
        make_dataset({"video": videos, "id": np.arange(5)}, 2)
    import tensorflow as tf

    frames = tf.data.Dataset.from_tensor_slices(videos[:, 0])   # frames, not clips
    with pytest.raises(ValueError, match=r"elements of a tf.data.Dataset source must be uint8 "
                                         r"videos \(T, H, W, C\).*got uint8 with shape "
                                         r"\(32, 32, 1\) \(3-D\)"):
        make_dataset(frames, 2)
    batch = next(iter(make_dataset({"video": videos, "id": np.arange(6)}, 3, keys=["id"],
                                   shuffle=False)))
    np.testing.assert_array_equal(batch["id"].numpy(), [0, 1, 2])
    np.testing.assert_array_equal(batch["video"].numpy(), to_float(videos[:3]))


def test_a_batch_larger_than_the_data_or_no_data_is_an_error(digits):
    import tensorflow as tf

    videos = digits.generate(6)["video"]
    with pytest.raises(ValueError, match=r"batch_size=8 is larger than the 6 clips of the "
                                         r"source \(a uint8 array of shape \(6, 4, 32, 32, 1\)\)"
                                         r".*dataset would be empty\. Use batch_size <= 6"):
        make_dataset(videos, 8)
    with pytest.raises(ValueError, match=r"batch_size=8 is larger than the 6 clips of the "
                                         r"source \(a dict whose 'video' has shape"):
        make_dataset({"video": videos}, 8)
    with pytest.raises(ValueError, match=r"batch_size=8 is larger than the 4 clips of the "
                                         r"source \(MovingDigits with num_clips=4\)"):
        make_dataset(digits, 8, num_clips=4)
    with pytest.raises(ValueError, match=r"batch_size=8 is larger than the 6 clips of the "
                                         r"source \(a tf.data.Dataset\)"):
        make_dataset(tf.data.Dataset.from_tensor_slices(videos), 8)
    with pytest.raises(ValueError, match=r"the source \(a uint8 array of shape \(0, 4, 32, 32, "
                                         r"1\)\) holds no clips"):
        make_dataset(videos[:0], 2, drop_remainder=False)
    with pytest.raises(ValueError, match=r"the source \(MovingDigits with num_clips=0\) holds "
                                         r"no clips"):
        make_dataset(digits, 2, num_clips=0, repeat=True)
    with pytest.raises(ValueError, match=r"the source \(a tf.data.Dataset\) holds no clips"):
        make_dataset(tf.data.Dataset.from_tensor_slices(videos).take(0), 2)
    # Still fine: keep the small batch, or repeat the data.
    assert [b.shape[0] for b in make_dataset(videos, 8, drop_remainder=False)] == [6]
    assert [b.shape[0] for b in make_dataset(videos, 8, repeat=True).take(2)] == [8, 8]


def test_keys_and_batch_size_of_the_wrong_type_are_errors(digits):
    with pytest.raises(TypeError, match=r"^make_dataset: expected keys to be a tuple or list of "
                                        r"label names, such as \('digits', 'caption'\), or None "
                                        r"for plain video batches; got the single string "
                                        r"keys='digits'\. For one label write keys=\('digits',\)"):
        make_dataset(digits, 4, keys="digits", num_clips=8)
    with pytest.raises(TypeError, match=r"expected keys .*got keys=\('digits', 3\), whose 3 is "
                                        r"not a str"):
        make_dataset(digits, 4, keys=("digits", 3), num_clips=8)
    with pytest.raises(TypeError, match=r"expected keys .*got keys=5 \(an int\)"):
        make_dataset(digits, 4, keys=5, num_clips=8)
    with pytest.raises(TypeError, match=r"^make_dataset: expected batch_size to be an int >= 1 "
                                        r"\(clips per batch\), got batch_size=2\.7 \(a float\)"):
        make_dataset(digits, 2.7, num_clips=8)
    with pytest.raises(ValueError, match=r"expected batch_size to be an int >= 1 .*got "
                                         r"batch_size=0\.$"):
        make_dataset(digits, 0)
    batch = next(iter(make_dataset(digits, np.int64(2), keys=["digits"], num_clips=8,
                                   shuffle=False)))
    assert batch["video"].shape[0] == 2 and set(batch) == {"video", "digits"}


def test_measure_throughput_counts_clips(digits, monkeypatch):
    result = measure_throughput(make_dataset(digits, 4, num_clips=64, repeat=True), 5)
    assert result["clips_per_second"] * result["seconds"] == pytest.approx(20)
    # against a clock that only the steps move: 0.5 s per timed batch, warm-up not counted
    from vidgen_tf.data import throughput

    class Clock:
        now = 10.0

        def perf_counter(self):
            return self.now

    clock = Clock()
    monkeypatch.setattr(throughput, "time", clock)

    def step(batch):
        clock.now += 0.5

    timed = measure_throughput(make_dataset(digits, 4, num_clips=64, repeat=True), 5,
                               step=step, warmup=2)
    assert timed == {"seconds": 2.5, "seconds_per_batch": 0.5, "clips_per_second": 8.0}
    monkeypatch.undo()
    calls = []
    measure_throughput(make_dataset(digits, 4, num_clips=64, repeat=True), 3,
                       step=lambda b: calls.append(b.shape[0]), warmup=1)
    assert calls == [4, 4, 4, 4]


def test_conversions_round_trip_every_value():
    import tensorflow as tf

    values = np.arange(256, dtype=np.uint8)
    floats = to_float(values)
    assert floats.min() == -1.0 and floats.max() == 1.0 and floats.dtype == np.float32
    np.testing.assert_array_equal(to_uint8(floats), values)
    np.testing.assert_array_equal(to_uint8(to_float(tf.constant(values))).numpy(), values)
    np.testing.assert_array_equal(to_uint8(np.array([-3.0, 3.0])), [0, 255])   # clipped
    assert to_uint8(values) is values
    with pytest.raises(TypeError, match="uint8"):
        to_float(floats)
    with pytest.raises(TypeError, match="float video"):
        to_uint8(np.array([1, 2], np.int64))
    import ml_dtypes

    bf16 = np.array([-1.0, 0.0, 1.0], dtype=ml_dtypes.bfloat16)
    np.testing.assert_array_equal(to_uint8(bf16), [0, 128, 255])
