"""BAIR robot pushing (Ebert et al., 2017): the published TFRecords, parsed with tf.data.

The dataset (``softmotion30_44k/{train,test}/*.tfrecords``) stores one 30-frame sequence per
record, as a ``tf.train.Example`` with, for every frame ``i``:

- ``"{i}/image_main/encoded"`` and ``"{i}/image_aux1/encoded"``: the two cameras, each the
  raw bytes of a ``uint8 (64, 64, 3)`` image (PNG or JPEG bytes are accepted too);
- ``"{i}/action"``: float32 ``(4,)``, the commanded end-effector motion;
- ``"{i}/endeffector_pos"``: float32 ``(3,)``, the end-effector position.

Video-prediction papers use camera ``image_aux1``. Videos come out as ``uint8 (frames, 64,
64, 3)``.

Introduced in lesson 00.
"""

from __future__ import annotations

import glob
import os
import warnings

import numpy as np

CAMERAS = ("image_aux1", "image_main")
FRAMES_PER_SEQUENCE = 30
IMAGE_SHAPE = (64, 64, 3)


def _feature_keys(num_frames, camera):
    return {
        "image": [f"{i}/{camera}/encoded" for i in range(num_frames)],
        "action": [f"{i}/action" for i in range(num_frames)],
        "state": [f"{i}/endeffector_pos" for i in range(num_frames)],
    }


def parse_bair_example(serialized, num_frames=FRAMES_PER_SEQUENCE, camera="image_aux1"):
    """Parse one serialized BAIR record (a graph function, usable in ``Dataset.map``).

    Args:
        serialized: scalar ``tf.string``. One record.
        num_frames: int. The first ``num_frames`` frames are parsed (at most 30).
        camera: ``"image_aux1"`` (the usual one) or ``"image_main"``.

    Returns:
        dict: ``video`` uint8 ``(num_frames, 64, 64, 3)``, ``actions`` float32
        ``(num_frames, 4)``, ``states`` float32 ``(num_frames, 3)``.
    """
    import tensorflow as tf

    keys = _feature_keys(num_frames, camera)
    spec = {k: tf.io.FixedLenFeature([], tf.string) for k in keys["image"]}
    spec.update({k: tf.io.FixedLenFeature([4], tf.float32) for k in keys["action"]})
    spec.update({k: tf.io.FixedLenFeature([3], tf.float32) for k in keys["state"]})
    features = tf.io.parse_single_example(serialized, spec)
    raw_size = int(np.prod(IMAGE_SHAPE))

    def decode(data):
        return tf.cond(
            tf.strings.length(data) == raw_size,
            lambda: tf.reshape(tf.io.decode_raw(data, tf.uint8), IMAGE_SHAPE),
            lambda: tf.reshape(tf.io.decode_image(data, channels=3, expand_animations=False),
                               IMAGE_SHAPE),
        )

    return {
        "video": tf.stack([decode(features[k]) for k in keys["image"]]),
        "actions": tf.stack([features[k] for k in keys["action"]]),
        "states": tf.stack([features[k] for k in keys["state"]]),
    }


def write_bair_tfrecord(path, videos, actions=None, states=None, camera="image_aux1"):
    """Write sequences in the published BAIR format (for tests and small fixtures).

    Args:
        path: str. The ``.tfrecords`` file to write.
        videos: uint8 ``(N, T, 64, 64, 3)``. Written to ``camera`` and, mirrored left-right,
            to the other camera.
        actions: float ``(N, T, 4)`` or None (zeros).
        states: float ``(N, T, 3)`` or None (zeros).
        camera: which camera ``videos`` is.
    """
    import tensorflow as tf

    videos = np.asarray(videos, np.uint8)
    n, t = videos.shape[:2]
    if videos.shape[2:] != IMAGE_SHAPE:
        raise ValueError(f"write_bair_tfrecord: videos must be (N, T, 64, 64, 3), got "
                         f"{videos.shape}.")
    actions = np.zeros((n, t, 4), np.float32) if actions is None else np.asarray(actions)
    states = np.zeros((n, t, 3), np.float32) if states is None else np.asarray(states)
    other = CAMERAS[1 - CAMERAS.index(camera)]

    def floats(values):
        return tf.train.Feature(float_list=tf.train.FloatList(value=np.ravel(values)))

    def raw(image):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[image.tobytes()]))

    with tf.io.TFRecordWriter(os.fspath(path)) as writer:
        for i in range(n):
            feature = {}
            for f in range(t):
                feature[f"{f}/{camera}/encoded"] = raw(videos[i, f])
                feature[f"{f}/{other}/encoded"] = raw(np.ascontiguousarray(videos[i, f, :, ::-1]))
                feature[f"{f}/action"] = floats(actions[i, f])
                feature[f"{f}/endeffector_pos"] = floats(states[i, f])
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())


class BAIRRobotPushing:
    """The BAIR robot-pushing sequences found by a file pattern.

    Args:
        pattern: str or list of str. Files, folders or glob patterns, for example
            ``"bair/softmotion30_44k/train/*.tfrecords"``.
        num_frames: int. Frames per clip, from the start of each sequence (at most 30).
        camera: ``"image_aux1"`` or ``"image_main"``.

    Each file's first record is parsed when the dataset is made: a file that is empty,
    corrupt, or not in the BAIR format is skipped with one warning that counts the skipped
    files, and if no file is good that is an error naming the first one and why. A record
    damaged further into a file is skipped (with TensorFlow's warning) while reading.

    Raises:
        FileNotFoundError: nothing matches ``pattern``.
        ValueError: no file is readable in the BAIR format; a bad argument.
    """

    def __init__(self, pattern, num_frames=FRAMES_PER_SEQUENCE, camera="image_aux1"):
        if camera not in CAMERAS:
            raise ValueError(f"BAIRRobotPushing: camera must be one of {CAMERAS}, got {camera!r}.")
        if not 1 <= int(num_frames) <= FRAMES_PER_SEQUENCE:
            raise ValueError(f"BAIRRobotPushing: num_frames must be in 1..{FRAMES_PER_SEQUENCE}, "
                             f"got {num_frames}.")
        self.num_frames, self.camera = int(num_frames), camera
        patterns = [pattern] if isinstance(pattern, (str, os.PathLike)) else list(pattern)
        files = []
        for p in map(os.fspath, patterns):
            if os.path.isdir(p):
                p = os.path.join(p, "*.tfrecord*")
            files.extend(sorted(glob.glob(p)))
        if not files:
            raise FileNotFoundError(f"BAIRRobotPushing: no TFRecord file matches {patterns}.")
        self.files, self.skipped = [], []
        for path in files:
            try:
                self._check(path)
                self.files.append(path)
            except ValueError as error:
                self.skipped.append((path, str(error)))
        if self.skipped:
            message = (f"BAIRRobotPushing: skipped {len(self.skipped)} of {len(files)} files "
                       f"(first: {self.skipped[0][1]})")
            if not self.files:
                raise ValueError(message.replace("skipped", "no readable file:", 1))
            warnings.warn(message, stacklevel=2)

    def _check(self, path):
        import tensorflow as tf

        if os.path.getsize(path) == 0:
            raise ValueError(f"BAIR file {path!r} is empty (0 bytes).")
        try:
            first = next(iter(tf.data.TFRecordDataset(path).take(1)), None)
        except tf.errors.OpError as error:
            raise ValueError(f"BAIR file {path!r} is not a readable TFRecord file: "
                             f"{error.message}") from None
        if first is None:
            raise ValueError(f"BAIR file {path!r} holds no record.")
        try:
            parse_bair_example(first, self.num_frames, self.camera)
        except (tf.errors.OpError, ValueError) as error:
            message = getattr(error, "message", str(error))
            raise ValueError(
                f"BAIR file {path!r} is not in the BAIR robot-pushing format (expected keys "
                f"like '0/{self.camera}/encoded', '0/action', '0/endeffector_pos' for "
                f"{self.num_frames} frames): {message}") from None

    def as_tf_dataset(self, shuffle_files=False, seed=0):
        """A ``tf.data.Dataset`` of dicts: ``video`` uint8 ``(T, 64, 64, 3)``, ``actions``
        float32 ``(T, 4)``, ``states`` float32 ``(T, 3)``."""
        import tensorflow as tf

        files = tf.data.Dataset.from_tensor_slices(self.files)
        if shuffle_files:
            files = files.shuffle(len(self.files), seed=seed)
        records = files.interleave(
            lambda path: tf.data.TFRecordDataset(path).ignore_errors(log_warning=True),
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return records.map(lambda r: parse_bair_example(r, self.num_frames, self.camera),
                           num_parallel_calls=tf.data.AUTOTUNE)

    def __repr__(self):
        return f"BAIRRobotPushing({len(self.files)} files, num_frames={self.num_frames})"
