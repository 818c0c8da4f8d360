"""How fast an input pipeline delivers batches, alone or feeding a training step.

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
