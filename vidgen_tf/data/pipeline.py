"""One function from any video source to a training-ready ``tf.data.Dataset``.

``make_dataset`` takes a synthetic dataset (``MovingDigits``, ``BouncingShapes``,
``MovingMNIST``), a ``VideoFolder``, ``BAIRRobotPushing``, a uint8 array of videos or a
``tf.data.Dataset`` of clip dicts, and returns batches of float videos in ``[-1, 1]``,
``(batch, frames, height, width, channels)``, shuffled and prefetched so that the input
pipeline runs while the model trains.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.data.bair import BAIRRobotPushing
from vidgen_tf.data.convert import to_float
from vidgen_tf.data.synthetic import SyntheticVideos
from vidgen_tf.data.video_folder import VideoFolder


def clip_dataset(source, num_clips=None, shuffle=True, seed=0, start=0):
    """The per-clip ``tf.data.Dataset`` of dicts (uint8 ``"video"`` and labels) of a source.

    Returns:
        ``(dataset, finite)``: the dataset, and whether it ends (a finite source can be
        shuffled and repeated; a stream of fresh synthetic clips is endless already).
    """
    import tensorflow as tf

    if isinstance(source, SyntheticVideos):
        return source.as_tf_dataset(num_clips=num_clips, start=start,
                                    progress=num_clips is not None and num_clips >= 2048), \
            num_clips is not None
    for name, value in (("num_clips", num_clips), ("start", start or None)):
        if value is not None:
            raise ValueError(f"make_dataset: {name} applies to synthetic datasets only, not "
                             f"to {type(source).__name__}.")
    if isinstance(source, VideoFolder):
        return source.as_tf_dataset(shuffle=shuffle, seed=seed), True
    if isinstance(source, BAIRRobotPushing):
        return source.as_tf_dataset(shuffle_files=shuffle, seed=seed), True
    if isinstance(source, np.ndarray):
        if source.dtype != np.uint8 or source.ndim != 5:
            raise ValueError(f"make_dataset: an array source must be uint8 videos (N, T, H, W, "
                             f"C), got {source.dtype} {source.shape}.")
        return tf.data.Dataset.from_tensor_slices({"video": source}), True
    if isinstance(source, dict):
        if "video" not in source:
            raise ValueError(f"make_dataset: a dict source needs a 'video' entry, got keys "
                             f"{sorted(source)}.")
        return tf.data.Dataset.from_tensor_slices(dict(source)), True
    if isinstance(source, tf.data.Dataset):
        spec = source.element_spec
        if isinstance(spec, dict):
            if "video" not in spec:
                raise ValueError(f"make_dataset: dataset elements need a 'video' entry, got "
                                 f"{sorted(spec)}.")
            return source, True
        return source.map(lambda video: {"video": video}), True
    raise TypeError(
        f"make_dataset: unsupported source {type(source).__name__}; give a synthetic dataset, "
        f"a VideoFolder, BAIRRobotPushing, a uint8 array (N, T, H, W, C), a dict of arrays "
        f"or a tf.data.Dataset.")


def make_dataset(source, batch_size, keys=None, num_clips=None, shuffle=True,
                 shuffle_buffer=1024, repeat=False, drop_remainder=True, cache=False,
                 prefetch=True, seed=0, start=0):
    """Batched, shuffled, prefetched float videos from any source.

    Args:
        source: ``MovingDigits``, ``BouncingShapes``, ``MovingMNIST``, ``VideoFolder``,
            ``BAIRRobotPushing``, uint8 array ``(N, T, H, W, C)``, dict of arrays with a
            ``"video"`` entry, or ``tf.data.Dataset`` (of uint8 videos or of such dicts).
        batch_size: int. Clips per batch.
        keys: None, or a tuple of label names to keep (``("digits", "caption")``...).
            None gives plain video batches; with keys, each batch is a dict with
            ``"video"`` and those keys.
        num_clips: int or None. Synthetic sources only: a fixed set of that many clips
            (generated once, kept in memory), or None for an endless stream of fresh clips.
        shuffle: bool. Shuffle clips (finite sources), files (``VideoFolder``, BAIR).
        shuffle_buffer: int. Size of the shuffle buffer.
        repeat: bool. Repeat a finite source without end.
        drop_remainder: bool. Drop a last, smaller batch (static batch shapes for models).
        cache: bool or str. Cache decoded clips in memory (True) or in a file (str) after
            the first epoch; for decoding-bound sources read more than once.
        prefetch: bool. Prepare the next batches while the current one trains.
        seed: int. Seed of the shuffling.
        start: int. Synthetic sources only: index of the first clip, so that a resumed
            training run continues the stream where it stopped.

    Returns:
        ``tf.data.Dataset`` of float32 videos ``(batch, T, H, W, C)`` in ``[-1, 1]``, or of
        dicts when ``keys`` is given.

    Example:

        ds = make_dataset(MovingDigits(), batch_size=16, num_clips=2048, repeat=True)
        videos = next(iter(ds))     # (16, 16, 64, 64, 1) float32
    """
    import tensorflow as tf

    if int(batch_size) < 1:
        raise ValueError(f"make_dataset: batch_size must be >= 1, got {batch_size}.")
    clips, finite = clip_dataset(source, num_clips=num_clips, shuffle=shuffle, seed=seed,
                                 start=start)
    available = sorted(clips.element_spec)
    wanted = tuple(keys or ())
    missing = [k for k in wanted if k not in available]
    if missing:
        raise ValueError(f"make_dataset: {type(source).__name__} has no {missing}; available "
                         f"keys are {available}.")

    def select(clip):
        video = to_float(clip["video"])
        if not wanted:
            return video
        return {"video": video, **{k: clip[k] for k in wanted}}

    if cache:
        clips = clips.cache(cache if isinstance(cache, str) else "")
    # A VideoFolder shuffles its files before decoding, which is cheaper than a buffer of
    # decoded clips.
    if finite and shuffle and not isinstance(source, VideoFolder):
        clips = clips.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if finite and repeat:
        clips = clips.repeat()
    batches = clips.batch(int(batch_size), drop_remainder=drop_remainder).map(
        select, num_parallel_calls=tf.data.AUTOTUNE)
    return batches.prefetch(tf.data.AUTOTUNE) if prefetch else batches
