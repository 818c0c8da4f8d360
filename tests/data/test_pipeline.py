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


def test_measure_throughput_counts_clips(digits):
    result = measure_throughput(make_dataset(digits, 4, num_clips=64, repeat=True), 5)
    assert result["seconds"] > 0
    assert result["clips_per_second"] * result["seconds"] == pytest.approx(20)
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
