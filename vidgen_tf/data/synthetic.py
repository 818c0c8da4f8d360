"""The common machinery of the seeded synthetic datasets.

A synthetic dataset is an endless, addressable sequence of clips: clip ``i`` of a dataset
with a given ``seed`` and ``split`` is always the same clip, however it is asked for. Clips
are made in chunks of ``CHUNK_SIZE`` by vectorised NumPy code, each chunk from its own random
generator seeded with ``(seed, split, chunk index)``; the ``train``, ``val`` and ``test``
splits are disjoint streams.

A clip is a dict: ``"video"`` is ``uint8 (frames, height, width, channels)``, ``"caption"``
a str, and the rest are labels that depend on the dataset (see each class).

Introduced in lesson 00.
"""

from __future__ import annotations

import zlib

import numpy as np

SPLITS = {"train": 0, "val": 1, "test": 2}


def check_int(name, value, minimum, owner):
    """Raise a clear error unless ``value`` is an int ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def count_range(name, value, minimum, maximum, owner):
    """``3`` -> ``(3, 3)``; ``(1, 3)`` -> ``(1, 3)``; checked against ``[minimum, maximum]``."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{owner}: {name} must be an int or a (min, max) pair, got {value!r}.")
    low, high = pair
    for v in (low, high):
        check_int(name, v, minimum, owner)
    if not low <= high <= maximum:
        raise ValueError(
            f"{owner}: {name} must be an int or a (min, max) pair within "
            f"[{minimum}, {maximum}], got {value!r}."
        )
    return int(low), int(high)


def sprite_motion(owner, size_name, sprite_size, default_fraction, image_size, speed_range):
    """Check a bouncing-sprite dataset's sprite size and speed range; fill in defaults.

    Args:
        owner: str. The dataset's name, for messages.
        size_name: str. The argument's name (``"digit_size"``, ``"shape_size"``).
        sprite_size: int or None. None takes ``default_fraction`` of the frame.
        default_fraction: float.
        image_size: int. The frame side.
        speed_range: ``(min, max)`` pixels per frame, or None for ``image_size / 32`` to
            ``image_size / 16``.

    Returns:
        ``(sprite_size, (min_speed, max_speed))``.
    """
    if sprite_size is None:
        sprite_size = max(6, round(image_size * default_fraction))
    sprite_size = check_int(size_name, sprite_size, 4, owner)
    if sprite_size > image_size:
        raise ValueError(f"{owner}: {size_name} ({sprite_size}) must not exceed image_size "
                         f"({image_size}).")
    if speed_range is None:
        speed_range = (image_size / 32, image_size / 16)
    low, high = (float(v) for v in speed_range)
    room = image_size - sprite_size
    if not 0 <= low <= high <= room:
        raise ValueError(f"{owner}: speed_range must be (min, max) with 0 <= min <= max <= "
                         f"image_size - {size_name} = {room}, got {speed_range!r}.")
    return sprite_size, (low, high)


class SyntheticVideos:
    """Base class: seeded, chunked, addressable clip generation and a tf.data view.

    Subclasses implement ``_generate_chunk(rng, n)`` returning a dict of arrays with a
    leading axis ``n`` (``"video"`` uint8 ``(n, T, H, W, C)`` and ``"caption"`` str among
    them).

    Args:
        num_frames: int. Frames per clip ``T``.
        image_size: int. Frame height and width.
        seed: int. Seed of the whole dataset.
        split: ``"train"``, ``"val"`` or ``"test"``: disjoint streams of clips.
    """

    CHUNK_SIZE = 64

    def __init__(self, num_frames=16, image_size=64, seed=0, split="train"):
        name = type(self).__name__
        self.num_frames = check_int("num_frames", num_frames, 1, name)
        self.image_size = check_int("image_size", image_size, 8, name)
        self.seed = check_int("seed", seed, 0, name)
        if split not in SPLITS:
            raise ValueError(f"{name}: split must be one of {list(SPLITS)}, got {split!r}.")
        self.split = split
        self._salt = zlib.crc32(name.encode())

    # -- what subclasses provide -------------------------------------------------------
    def _generate_chunk(self, rng, n):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- generation ----------------------------------------------------------------------
    def _chunk(self, chunk_index):
        rng = np.random.default_rng([self.seed, SPLITS[self.split], chunk_index, self._salt])
        return self._generate_chunk(rng, self.CHUNK_SIZE)

    def generate(self, num_clips, start=0, progress=False):
        """Clips ``start, start + 1, ..., start + num_clips - 1`` as a dict of arrays.

        Args:
            num_clips: int. How many clips.
            start: int. Index of the first clip.
            progress: bool. Show a progress bar.

        Returns:
            dict of arrays with leading axis ``num_clips``: ``"video"`` uint8
            ``(num_clips, T, H, W, C)``, ``"caption"`` str, and the labels.
        """
        num_clips = check_int("num_clips", num_clips, 0, type(self).__name__)
        start = check_int("start", start, 0, type(self).__name__)
        first, last = start // self.CHUNK_SIZE, (start + num_clips - 1) // self.CHUNK_SIZE
        chunks = range(first, last + 1) if num_clips else range(first, first + 1)
        if progress:
            from tqdm.auto import tqdm

            chunks = tqdm(chunks, desc=f"{type(self).__name__}", unit="chunk",
                          unit_scale=self.CHUNK_SIZE)
        parts = [self._chunk(c) for c in chunks]
        offset = start - first * self.CHUNK_SIZE
        return {key: np.concatenate([p[key] for p in parts])[offset:offset + num_clips]
                for key in parts[0]}

    def __getitem__(self, index):
        """Clip ``index`` as a dict of arrays without the batch axis."""
        clips = self.generate(1, start=index)
        return {key: value[0] for key, value in clips.items()}

    # -- tf.data -------------------------------------------------------------------------
    def element_spec(self):
        """``tf.TensorSpec`` of each entry of one clip."""
        import tensorflow as tf

        sample = self.generate(1)
        return {key: tf.TensorSpec(value.shape[1:], tf.string if value.dtype.kind in "US"
                                   else tf.as_dtype(value.dtype))
                for key, value in sample.items()}

    def as_tf_dataset(self, num_clips=None, start=0, progress=False):
        """A ``tf.data.Dataset`` of clip dicts (uint8 videos).

        Args:
            num_clips: int or None. With a number, that many clips are generated once and
                served from memory (a fixed training set); with None, fresh clips are
                generated without end (the model never sees the same clip twice).
            start: int. Index of the first clip.
            progress: bool. Show a progress bar while generating a fixed set.

        Returns:
            ``tf.data.Dataset`` of dicts, one clip each.
        """
        import tensorflow as tf

        if num_clips is not None:
            return tf.data.Dataset.from_tensor_slices(
                self.generate(num_clips, start=start, progress=progress))
        spec = self.element_spec()
        first = start // self.CHUNK_SIZE
        skip = start - first * self.CHUNK_SIZE

        def chunks():
            index = first
            while True:
                yield self._chunk(index)
                index += 1

        signature = {key: tf.TensorSpec((None,) + tuple(s.shape), s.dtype)
                     for key, s in spec.items()}
        dataset = tf.data.Dataset.from_generator(chunks, output_signature=signature)
        return dataset.unbatch().skip(skip)

    def __repr__(self):
        return (f"{type(self).__name__}(num_frames={self.num_frames}, "
                f"image_size={self.image_size}, seed={self.seed}, split={self.split!r})")
