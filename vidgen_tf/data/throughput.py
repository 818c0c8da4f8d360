"""How fast an input pipeline delivers batches, alone or feeding a training step, and what
prefetching buys.

- ``measure_throughput``: time a number of batches, each optionally fed to a step.
- ``time_per_batch``: the same, repeated: mean and spread of the seconds per batch.
- ``compare_prefetch``: one pipeline without and with ``prefetch``, measured in turns.
- ``waiting_batches``: a source that waits ``delay`` seconds per batch (as a network disk or
  a remote decoder does), to show prefetching where it helps.
- ``without_prefetch``: turn off the prefetch that ``tf.data`` would insert on its own.

Batches are video tensors ``(batch, frames, height, width, channels)`` or dicts with a
``"video"`` entry.

Introduced in lesson 00.
"""

from __future__ import annotations

import time


def _batch_size(batch):
    video = batch["video"] if isinstance(batch, dict) else batch
    return int(video.shape[0])


def measure_throughput(dataset, num_batches, step=None, warmup=2):
    """Time ``num_batches`` batches drawn from a dataset, each optionally fed to ``step``.

    Args:
        dataset: an iterable of batches (``tf.data.Dataset``); a batch is a video tensor or a
            dict with ``"video"``.
        num_batches: int. Batches timed (after ``warmup``).
        step: callable or None. Called on every batch (a training step); its result is
            waited for, so asynchronous work is counted.
        warmup: int. Batches drawn first and not timed (tracing, buffers filling).

    Returns:
        dict: ``seconds`` (total), ``seconds_per_batch``, ``clips_per_second``.
    """
    iterator = iter(dataset)

    def one():
        batch = next(iterator)
        if step is not None:
            result = step(batch)
            if hasattr(result, "numpy"):
                result.numpy()
        return batch

    for _ in range(warmup):
        one()
    clips = 0
    start = time.perf_counter()
    for _ in range(num_batches):
        clips += _batch_size(one())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "seconds_per_batch": seconds / num_batches,
            "clips_per_second": clips / seconds}


def _stats(values):
    """``{"mean", "std", "runs"}`` of a list of numbers (std with ddof=1; 0 for one value)."""
    values = [float(v) for v in values]
    mean = sum(values) / len(values)
    if len(values) < 2:
        return {"mean": mean, "std": 0.0, "runs": values}
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return {"mean": mean, "std": variance ** 0.5, "runs": values}


def _check_repeats(num_batches, repeats, warmup, where):
    for name, value, least in (("num_batches", num_batches, 1), ("repeats", repeats, 1),
                               ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{where}: expected {name} to be an int >= {least}, got "
                             f"{value!r}.")


def without_prefetch(dataset):
    """``dataset`` with no prefetching added behind your back.

    Current ``tf.data`` inserts a ``prefetch`` after a pipeline whose last step is synchronous
    (the ``inject_prefetch`` optimisation, on by default; measured with TensorFlow 2.21: a
    pipeline without an explicit ``prefetch`` overlapped as well as one with it). To measure what
    prefetching buys, the pipeline without it must really have none: this turns the
    optimisation off. (An ``AUTOTUNE``-parallel ``map`` also runs ahead of its consumer; keep
    the last step sequential to see a pipeline that does not overlap at all.)
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_optimization.inject_prefetch = False
    return dataset.with_options(options)


def waiting_batches(batch, delay, prefetch=True):
    """An endless ``tf.data.Dataset`` whose every batch arrives after ``delay`` seconds of
    waiting, a stand-in for a source that *waits* rather than computes.

    Reading a file from a network disk or a cloud bucket, or receiving clips from a decoder
    that runs on other cores or another machine, keeps the training process waiting while
    its CPU is free. Here each batch sleeps ``delay`` seconds (``time.sleep`` inside a
    ``tf.numpy_function``, which releases the CPU and Python's lock) and then hands over
    ``batch``. With ``prefetch=True`` the waiting for the next batches overlaps with whatever
    the consumer does with the current one.

    Args:
        batch: array (a batch of videos ``(batch, frames, height, width, channels)``, or any
            array). Handed over every time.
        delay: float >= 0. Seconds of waiting per batch.
        prefetch: bool. True: ``.prefetch(tf.data.AUTOTUNE)``. False: no prefetching at all
            (``without_prefetch``), so each batch is waited for when it is asked for.

    Returns:
        ``tf.data.Dataset`` of tensors shaped and typed like ``batch``, without end.

    Example:

        fast = waiting_batches(videos, 0.3, prefetch=True)
        slow = waiting_batches(videos, 0.3, prefetch=False)
        compare_prefetch(lambda p: waiting_batches(videos, 0.3, prefetch=p), 6, step=train_step)
    """
    import numpy as np
    import tensorflow as tf

    batch = np.asarray(batch)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay >= 0:
        raise ValueError(f"waiting_batches: expected delay to be a number of seconds >= 0, "
                         f"got {delay!r}.")

    def wait(_):
        time.sleep(delay)
        return batch

    def produce(index):
        value = tf.numpy_function(wait, [index], tf.as_dtype(batch.dtype), stateful=True)
        value.set_shape(batch.shape)
        return value

    dataset = tf.data.Dataset.range(1).repeat().map(produce)   # sequential: one batch at a time
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else without_prefetch(dataset)


def time_per_batch(dataset, num_batches, step=None, repeats=3, warmup=1):
    """Seconds per batch of ``measure_throughput``, repeated: mean, spread and every run.

    Each repeat starts a new iterator (its warm-up batches are not timed).

    Args:
        dataset: as for ``measure_throughput``.
        num_batches: int >= 1. Batches timed per repeat.
        step: callable or None. Called on every batch (a training step).
        repeats: int >= 1. Independent measurements.
        warmup: int >= 0. Batches drawn first in each repeat and not timed.

    Returns:
        dict: ``mean`` and ``std`` (standard deviation over repeats, ``ddof=1``) of the
        seconds per batch, and ``runs``, the value of each repeat.
    """
    _check_repeats(num_batches, repeats, warmup, "time_per_batch")
    return _stats(measure_throughput(dataset, num_batches, step=step,
                                     warmup=warmup)["seconds_per_batch"]
                  for _ in range(repeats))


def compare_prefetch(make, num_batches, step=None, repeats=3, warmup=1):
    """Seconds per batch of a pipeline without and with prefetching, measured in turns.

    The two are measured alternately (without-with, then with-without, ...), so that a
    machine that slows down or speeds up during the measurement (another process starting,
    say) weighs on both alike; ``saved`` pairs the two measurements of each repeat.

    Args:
        make: callable ``make(prefetch) -> tf.data.Dataset``: the same pipeline without
            (``prefetch=False``) and with (``prefetch=True``) prefetching, for example
            ``lambda p: waiting_batches(batch, 0.3, prefetch=p)``.
        num_batches: int >= 1. Batches timed per measurement.
        step: callable or None. The consumer, called on every batch (a training step).
        repeats: int >= 1. Measurements of each pipeline.
        warmup: int >= 0. Batches drawn first in each measurement and not timed.

    Returns:
        dict with ``"no prefetch"`` and ``"prefetch"`` (seconds per batch, as returned by
        ``time_per_batch``) and ``"saved"``: the share of the time per batch that
        prefetching saved, ``1 - prefetch / no prefetch``, per repeat, with mean and std.
    """
    _check_repeats(num_batches, repeats, warmup, "compare_prefetch")
    runs = {False: [], True: []}
    for repeat in range(repeats):
        for prefetch in ((False, True) if repeat % 2 == 0 else (True, False)):
            runs[prefetch].append(measure_throughput(make(prefetch), num_batches, step=step,
                                                     warmup=warmup)["seconds_per_batch"])
    return {"no prefetch": _stats(runs[False]), "prefetch": _stats(runs[True]),
            "saved": _stats(1 - p / n for p, n in zip(runs[True], runs[False]))}
