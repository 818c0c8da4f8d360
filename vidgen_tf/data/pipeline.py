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


def _check_videos(where, video, per_clip=False):
    """Raise a clear ValueError unless ``video`` is uint8 ``(N, T, H, W, C)`` (or, with
    ``per_clip``, ``(T, H, W, C)``: one element of a dataset)."""
    import tensorflow as tf

    if isinstance(video, tf.TensorSpec) or tf.is_tensor(video):
        dtype, shape = np.dtype(video.dtype.as_numpy_dtype), tuple(video.shape)
    else:
        video = np.asarray(video)
        dtype, shape = video.dtype, video.shape
    layout = "(T, H, W, C)" if per_clip else "(N, T, H, W, C)"
    rank = 4 if per_clip else 5
    if dtype == np.uint8 and len(shape) == rank:
        return
    hint = ""
    if len(shape) == rank - 1:
        hint = (" If it holds one video, add the clip axis (video[None]); if its frames have "
                "no channel axis, add one (video[..., None]).") if not per_clip else \
            (" If each element is one frame, group frames into clips first "
             "(dataset.batch(T)); if the frames have no channel axis, add one "
             "(video[..., None]).")
    elif len(shape) == rank + 1:
        hint = " It looks batched already: make_dataset does the batching; unbatch it first."
    if dtype != np.uint8:
        hint += " Convert float videos in [-1, 1] with to_uint8 first."
    raise ValueError(
        f"make_dataset: {where} must be uint8 videos {layout}: "
        f"{'' if per_clip else 'N clips of '}T frames of H x W pixels with C channels; got "
        f"{dtype} with shape {shape} ({len(shape)}-D).{hint}")


def clip_dataset(source, num_clips=None, shuffle=True, seed=0, start=0):
    """The per-clip ``tf.data.Dataset`` of dicts (uint8 ``"video"`` and labels) of a source.

    Returns:
        ``(dataset, finite)``: the dataset, and whether it ends (a finite source can be
        shuffled and repeated; a stream of fresh synthetic clips is endless already).

    Raises:
        ValueError: a source whose videos are not uint8 ``(N, T, H, W, C)``, a dict whose
            entries do not have one row per clip; ``num_clips`` or ``start`` given for a
            source that is not synthetic.
        TypeError: a source of an unsupported type.
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
        _check_videos("an array source", source)
        return tf.data.Dataset.from_tensor_slices({"video": source}), True
    if isinstance(source, dict):
        if "video" not in source:
            raise ValueError(f"make_dataset: a dict source needs a 'video' entry, got keys "
                             f"{sorted(source)}.")
        _check_videos("the 'video' entry of a dict source", source["video"])
        count = len(source["video"])
        for key, value in source.items():
            shape = tuple(np.shape(value))
            if not shape or shape[0] != count:
                raise ValueError(
                    f"make_dataset: every entry of a dict source needs one row per clip: "
                    f"'video' holds {count} clips, but {key!r} has shape {shape}.")
        return tf.data.Dataset.from_tensor_slices(dict(source)), True
    if isinstance(source, tf.data.Dataset):
        spec = source.element_spec
        if isinstance(spec, dict):
            if "video" not in spec:
                raise ValueError(f"make_dataset: dataset elements need a 'video' entry, got "
                                 f"{sorted(spec)}.")
            video_spec, where = spec["video"], "the 'video' of each dataset element"
        else:
            video_spec, where = spec, "the elements of a tf.data.Dataset source"
        if isinstance(video_spec, tf.TensorSpec) and video_spec.shape.rank is not None:
            _check_videos(where, video_spec, per_clip=True)
        if isinstance(spec, dict):
            return source, True
        return source.map(lambda video: {"video": video}), True
    raise TypeError(
        f"make_dataset: unsupported source {type(source).__name__}; give a synthetic dataset, "
        f"a VideoFolder, BAIRRobotPushing, a uint8 array (N, T, H, W, C), a dict of arrays "
        f"or a tf.data.Dataset.")


def _describe(source, num_clips):
    """The source, in words, for error messages."""
    import tensorflow as tf

    if isinstance(source, np.ndarray):
        return f"a uint8 array of shape {source.shape}"
    if isinstance(source, dict):
        return f"a dict whose 'video' has shape {tuple(np.shape(source['video']))}"
    if isinstance(source, tf.data.Dataset):
        return "a tf.data.Dataset"
    if isinstance(source, SyntheticVideos):
        return f"{type(source).__name__} with num_clips={num_clips}"
    return type(source).__name__


def _num_clips(source, clips, num_clips):
    """How many clips a source holds, or None if endless or unknown before reading it."""
    if isinstance(source, SyntheticVideos):
        return num_clips
    if isinstance(source, VideoFolder):
        return len(source)
    if isinstance(source, np.ndarray):
        return len(source)
    if isinstance(source, dict):
        return len(source["video"])
    if isinstance(source, BAIRRobotPushing):
        return None
    count = int(clips.cardinality())
    return count if count >= 0 else None     # -1: endless, -2: unknown


def make_dataset(source, batch_size, keys=None, num_clips=None, shuffle=True,
                 shuffle_buffer=1024, repeat=False, drop_remainder=True, cache=False,
                 prefetch=True, seed=0, start=0):
    """Batched, shuffled, prefetched float videos from any source.

    Args:
        source: ``MovingDigits``, ``BouncingShapes``, ``MovingMNIST``, ``VideoFolder``,
            ``BAIRRobotPushing``, uint8 array ``(N, T, H, W, C)``, dict of arrays with a
            ``"video"`` entry, or ``tf.data.Dataset`` (of uint8 videos or of such dicts).
        batch_size: int >= 1. Clips per batch; with ``drop_remainder`` and without
            ``repeat``, at most the number of clips of a finite source.
        keys: None, or a tuple (or list) of label names to keep (``("digits", "caption")``,
            ``("digits",)``...), not a single string. None gives plain video batches; with
            keys, each batch is a dict with ``"video"`` and those keys.
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

    Raises:
        TypeError: ``batch_size`` not an int, ``keys`` not a tuple of str, or a source of an
            unsupported type.
        ValueError: ``batch_size < 1``; videos that are not uint8 ``(N, T, H, W, C)`` (or
            ``(T, H, W, C)`` per dataset element); a source with no clips, or fewer clips
            than ``batch_size`` when the last batch is dropped and nothing repeats (the
            dataset would be empty); a key the source does not have.

    Example:

        ds = make_dataset(MovingDigits(), batch_size=16, num_clips=2048, repeat=True)
        videos = next(iter(ds))     # (16, 16, 64, 64, 1) float32
    """
    import tensorflow as tf

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"make_dataset: expected batch_size to be an int >= 1 (clips per "
                        f"batch), got batch_size={batch_size!r} ({_kind(batch_size)}).")
    if batch_size < 1:
        raise ValueError(f"make_dataset: expected batch_size to be an int >= 1 (clips per "
                         f"batch), got batch_size={batch_size!r}.")
    batch_size = int(batch_size)
    wanted = _check_keys(keys)
    clips, finite = clip_dataset(source, num_clips=num_clips, shuffle=shuffle, seed=seed,
                                 start=start)
    count = _num_clips(source, clips, num_clips)
    if count == 0:
        raise ValueError(f"make_dataset: the source ({_describe(source, num_clips)}) holds "
                         f"no clips, so the dataset would be empty; give it at least one "
                         f"clip.")
    if count is not None and batch_size > count and drop_remainder and not repeat:
        raise ValueError(
            f"make_dataset: batch_size={batch_size} is larger than the {count} clips of the "
            f"source ({_describe(source, num_clips)}), and drop_remainder=True drops the last, "
            f"smaller batch, so the dataset would be empty. Use batch_size <= {count}, "
            f"drop_remainder=False, or repeat=True.")
    available = sorted(clips.element_spec)
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


def _kind(value):
    """``"a float"``, ``"an int"``: the type of ``value`` in words."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _check_keys(keys):
    """``keys`` as a tuple of str (empty for None); a clear TypeError otherwise."""
    expected = ("a tuple or list of label names, such as ('digits', 'caption'), or None for "
                "plain video batches")
    if keys is None:
        return ()
    if isinstance(keys, (str, bytes)):
        raise TypeError(f"make_dataset: expected keys to be {expected}; got the single string "
                        f"keys={keys!r}. For one label write keys=({keys!r},).")
    try:
        wanted = tuple(keys)
    except TypeError:
        raise TypeError(f"make_dataset: expected keys to be {expected}; got keys={keys!r} "
                        f"({_kind(keys)}).") from None
    bad = [k for k in wanted if not isinstance(k, str)]
    if bad:
        raise TypeError(f"make_dataset: expected keys to be {expected}; got keys={keys!r}, "
                        f"whose {bad[0]!r} is not a str.")
    return wanted
