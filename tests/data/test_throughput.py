"""Throughput helpers: repeated timings, and prefetching measured on a source that waits."""

import time

import numpy as np
import pytest

from vidgen_tf.data import compare_prefetch, time_per_batch, waiting_batches, without_prefetch

# A source that waits DELAY seconds per batch, feeding a consumer that is busy WORK seconds
# per batch. Without prefetching one batch costs DELAY + WORK = 0.16 s; with it, the waiting
# for the next batch overlaps the work on this one and a batch costs max(DELAY, WORK) = 0.10 s.
DELAY, WORK = 0.10, 0.06


def consumer(batch):
    time.sleep(WORK)   # known work: a sleep lasts at least WORK whatever the machine's load


def test_prefetch_hides_the_waiting_of_the_source_behind_the_work():
    batch = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2, 1)
    result = compare_prefetch(lambda prefetch: waiting_batches(batch, DELAY, prefetch=prefetch),
                              num_batches=8, step=consumer, repeats=2)
    serial, overlap = DELAY + WORK, max(DELAY, WORK)
    plain, fetched = result["no prefetch"], result["prefetch"]
    assert len(plain["runs"]) == len(fetched["runs"]) == len(result["saved"]["runs"]) == 2
    # Lower bounds are exact: sleeps never end early, so a batch without prefetching costs at
    # least DELAY + WORK (less would mean something prefetched behind our back, as tf.data's
    # inject_prefetch does unless without_prefetch turns it off), and no pipeline beats
    # max(DELAY, WORK). The 3% covers the clock's resolution only.
    assert min(plain["runs"]) >= 0.97 * serial
    assert min(fetched["runs"]) >= 0.97 * overlap
    # Upper bound: the prefetched pipeline must sit nearer max(DELAY, WORK) than the sum, i.e.
    # below the midpoint 0.13 s. That leaves 30 ms per batch for overheads: a sleep overshoots
    # by well under a millisecond (a few ms on a loaded 2-core machine), and tf.data hands a
    # batch over in about a millisecond, so 30 ms is ten times what we expect, while a
    # pipeline that does not overlap (0.16 s) fails by as much.
    assert max(fetched["runs"]) < (serial + overlap) / 2
    # ...and so prefetching saves close to DELAY / (DELAY + WORK) = 37.5% of each batch
    assert result["saved"]["mean"] > 1 - ((serial + overlap) / 2) / serial   # > 18.75%
    assert result["saved"]["mean"] < 1 - overlap / serial + 0.03


def test_waiting_batches_hand_over_the_batch_and_really_wait():
    batch = np.arange(6, dtype=np.uint8).reshape(1, 6)
    plain = waiting_batches(batch, 0.05, prefetch=False)
    assert plain.options().experimental_optimization.inject_prefetch is False
    assert plain.element_spec.shape == (1, 6) and plain.element_spec.dtype.name == "uint8"
    iterator = iter(plain)
    np.testing.assert_array_equal(next(iterator).numpy(), batch)
    start = time.perf_counter()
    for _ in range(3):
        np.testing.assert_array_equal(next(iterator).numpy(), batch)
    assert time.perf_counter() - start >= 3 * 0.05
    with pytest.raises(ValueError, match="delay"):
        waiting_batches(batch, -1.0)


def test_without_prefetch_keeps_the_elements():
    import tensorflow as tf

    ds = without_prefetch(tf.data.Dataset.range(5).map(lambda i: 2 * i))
    assert [int(x) for x in ds] == [0, 2, 4, 6, 8]
    assert ds.options().experimental_optimization.inject_prefetch is False


def test_time_per_batch_repeats_and_spreads(monkeypatch):
    from vidgen_tf.data import throughput

    seconds = iter([0.5, 0.7, 0.9])
    monkeypatch.setattr(throughput, "measure_throughput",
                        lambda *a, **k: {"seconds_per_batch": next(seconds)})
    timed = time_per_batch(None, 4, repeats=3)
    assert timed["runs"] == [0.5, 0.7, 0.9]
    assert timed["mean"] == pytest.approx(0.7) and timed["std"] == pytest.approx(0.2)  # ddof=1
    with pytest.raises(ValueError, match="repeats"):
        time_per_batch(None, 4, repeats=0)
    with pytest.raises(ValueError, match="num_batches"):
        compare_prefetch(lambda p: None, 0)
