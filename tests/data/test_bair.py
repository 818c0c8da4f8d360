import numpy as np
import pytest

from vidgen_tf.data import BAIRRobotPushing, make_dataset, parse_bair_example, write_bair_tfrecord


@pytest.fixture
def sequences(rng):
    videos = rng.integers(0, 256, size=(3, 30, 64, 64, 3), dtype=np.uint8)
    actions = rng.normal(size=(3, 30, 4)).astype(np.float32)
    states = rng.normal(size=(3, 30, 3)).astype(np.float32)
    return videos, actions, states


def test_round_trip_in_the_published_format(tmp_path, sequences):
    videos, actions, states = sequences
    write_bair_tfrecord(tmp_path / "traj_0_to_2.tfrecords", videos, actions, states)
    data = BAIRRobotPushing(str(tmp_path / "*.tfrecords"))
    records = list(data.as_tf_dataset().as_numpy_iterator())
    assert len(records) == 3
    for i, r in enumerate(records):
        np.testing.assert_array_equal(r["video"], videos[i])
        np.testing.assert_allclose(r["actions"], actions[i])
        np.testing.assert_allclose(r["states"], states[i])
    main = BAIRRobotPushing(tmp_path, num_frames=4, camera="image_main")
    first = next(iter(main.as_tf_dataset()))
    np.testing.assert_array_equal(first["video"].numpy(), videos[0, :4, :, ::-1])
    batch = next(iter(make_dataset(main, batch_size=2, shuffle=False)))
    assert batch.shape == (2, 4, 64, 64, 3)


def test_bad_files_among_good_ones_are_skipped_and_counted(tmp_path, sequences):
    write_bair_tfrecord(tmp_path / "good.tfrecords", sequences[0][:2])
    (tmp_path / "broken.tfrecords").write_bytes(b"garbage" * 50)
    (tmp_path / "empty.tfrecords").write_bytes(b"")
    with pytest.warns(UserWarning, match=r"skipped 2 of 3 files \(first: BAIR file .*broken"):
        data = BAIRRobotPushing(tmp_path, num_frames=2)
    assert [p.endswith("good.tfrecords") for p in data.files] == [True]
    assert len(list(data.as_tf_dataset())) == 2


def test_png_encoded_frames_are_decoded(tmp_path, sequences):
    import tensorflow as tf

    videos = sequences[0][:1, :2]
    feature = {}
    for f in range(2):
        png = tf.io.encode_png(videos[0, f]).numpy()
        feature[f"{f}/image_aux1/encoded"] = tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[png]))
        feature[f"{f}/action"] = tf.train.Feature(float_list=tf.train.FloatList(value=[0] * 4))
        feature[f"{f}/endeffector_pos"] = tf.train.Feature(
            float_list=tf.train.FloatList(value=[0] * 3))
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    parsed = parse_bair_example(tf.constant(example.SerializeToString()), num_frames=2)
    np.testing.assert_array_equal(parsed["video"].numpy(), videos[0])


def test_bad_files_are_named(tmp_path, sequences):
    import tensorflow as tf

    with pytest.raises(FileNotFoundError, match="no TFRecord file matches"):
        BAIRRobotPushing(str(tmp_path / "*.tfrecords"))
    (tmp_path / "empty.tfrecords").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.tfrecords.*empty"):
        BAIRRobotPushing(str(tmp_path / "empty.tfrecords"))
    (tmp_path / "junk.tfrecords").write_bytes(b"this is not a tfrecord file at all" * 10)
    with pytest.raises(ValueError, match=r"junk.tfrecords.*not a readable TFRecord"):
        BAIRRobotPushing(str(tmp_path / "junk.tfrecords"))
    with tf.io.TFRecordWriter(str(tmp_path / "other.tfrecords")) as writer:
        example = tf.train.Example(features=tf.train.Features(feature={
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"]))}))
        writer.write(example.SerializeToString())
    with pytest.raises(ValueError, match=r"other.tfrecords.*not in the BAIR.*0/image_aux1/encoded"):
        BAIRRobotPushing(str(tmp_path / "other.tfrecords"))
    write_bair_tfrecord(tmp_path / "ok.tfrecords", sequences[0][:1, :3])
    with pytest.raises(ValueError, match="not in the BAIR"):          # only 3 frames stored
        BAIRRobotPushing(str(tmp_path / "ok.tfrecords"), num_frames=5)
    with pytest.raises(ValueError, match="num_frames must be in 1..30"):
        BAIRRobotPushing(str(tmp_path / "ok.tfrecords"), num_frames=31)
    with pytest.raises(ValueError, match="camera"):
        BAIRRobotPushing(str(tmp_path / "ok.tfrecords"), camera="image_aux2")
