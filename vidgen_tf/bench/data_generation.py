"""Benchmark: how fast the embedded datasets are generated (issue: at least 500 clips/s of
16x64x64 MovingDigits on 2 cores)."""

from __future__ import annotations

import time

import numpy as np

from vidgen_tf.bench import benchmark


def _clips_per_second(make, num_clips, repeats):
    """Median and range of clips/s over ``repeats`` runs of a fresh dataset each."""
    rates = []
    for r in range(repeats):
        dataset = make(seed=100 + r)
        dataset.generate(1)                     # glyph bank and first chunk: not timed
        start = time.perf_counter()
        dataset.generate(num_clips, start=dataset.CHUNK_SIZE)
        rates.append(num_clips / (time.perf_counter() - start))
    return float(np.median(rates)), float(min(rates)), float(max(rates))


@benchmark("data_generation", "Clips per second of the embedded datasets, 16 frames of 64x64, "
                              "1 to 3 objects per clip, one process")
def run(quick=False):
    import tensorflow as tf

    from vidgen_tf.data import BouncingShapes, MovingDigits, make_dataset, measure_throughput

    num_clips, repeats = (256, 1) if quick else (4096, 5)
    digits = _clips_per_second(lambda seed: MovingDigits(seed=seed), num_clips, repeats)
    shapes = _clips_per_second(lambda seed: BouncingShapes(seed=seed), num_clips // 2, repeats)
    stream = make_dataset(MovingDigits(seed=7), batch_size=32)
    batches = 8 if quick else 64
    pipeline = measure_throughput(stream, batches)["clips_per_second"]
    tf.keras.backend.clear_session()
    details = (
        f"{num_clips} MovingDigits clips and {num_clips // 2} BouncingShapes clips per run, "
        f"{repeats} runs, median (min-max). The tf.data row streams fresh MovingDigits clips "
        f"through `make_dataset` (batches of 32, float conversion, prefetch) for {batches} "
        f"batches.\n\n"
        "| source | clips/s (median) | min | max |\n|---|---|---|---|\n"
        f"| MovingDigits.generate | {digits[0]:.0f} | {digits[1]:.0f} | {digits[2]:.0f} |\n"
        f"| BouncingShapes.generate | {shapes[0]:.0f} | {shapes[1]:.0f} | {shapes[2]:.0f} |\n"
        f"| make_dataset(MovingDigits) | {pipeline:.0f} | | |\n")
    return {
        "metrics": {
            "moving_digits_clips_per_s": round(digits[0], 1),
            "bouncing_shapes_clips_per_s": round(shapes[0], 1),
            "pipeline_clips_per_s": round(pipeline, 1),
        },
        "details": details,
    }
