"""Exercises of lesson 08, evaluating video."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise
from vidgen_tf.metrics.frechet import frechet_distance_from_features
from vidgen_tf.metrics.scores import NOISE_CLASS, consistent_share, step_lengths


@exercise("8.1", "frechet_from_features(features_a, features_b)",
          reimplements="vidgen_tf.metrics.frechet_distance_from_features")
def check_frechet(answer, rng):
    trials = 6
    for trial in range(trials):
        n1, n2, d = rng.integers(20, 200), rng.integers(20, 200), rng.integers(2, 24)
        mix = rng.normal(size=(d, d))
        a = rng.normal(size=(n1, d)) @ mix
        b = rng.normal(size=(n2, d)) @ mix * rng.uniform(0.5, 2) + rng.normal(size=d)
        if trial == 0:                           # fewer samples than features
            a, b = a[: d // 2 + 1], b[: d // 2 + 2]
        compare("frechet_from_features", np.float64(answer(a.copy(), b.copy())),
                frechet_distance_from_features(a, b),
                f"features of shapes {a.shape} and {b.shape}", rtol=1e-4, atol=1e-6)
    return (f"frechet_from_features agrees with vidgen_tf.metrics.frechet_distance_from_features"
            f" on {trials} random pairs of feature sets.")


@exercise("8.2", "consistent_share(labels, agreement)",
          reimplements="vidgen_tf.metrics.scores.consistent_share")
def check_consistency(answer, rng):
    trials = 20
    for _ in range(trials):
        n, t = rng.integers(1, 40), rng.integers(2, 20)
        labels = rng.integers(0, NOISE_CLASS + 1, size=(n, t))
        keep = rng.random(n) < 0.5               # half the clips mostly one label
        labels[keep] = np.where(rng.random((keep.sum(), t)) < 0.9,
                                rng.integers(0, NOISE_CLASS + 1, size=(keep.sum(), 1)),
                                labels[keep])
        agreement = float(rng.choice([0.5, 0.7, 0.8, 0.9]))
        compare("consistent_share", np.float64(answer(labels.copy(), agreement)),
                consistent_share(labels, agreement),
                f"labels of shape {labels.shape}, agreement {agreement}")
    return f"consistent_share agrees with vidgen_tf.metrics on {trials} random label sets."


@exercise("8.3", "mean_step(centres)", reimplements="vidgen_tf.metrics.scores.step_lengths")
def check_mean_step(answer, rng):
    trials = 20
    for _ in range(trials):
        centres = rng.uniform(0, 64, size=(rng.integers(1, 30), rng.integers(2, 20), 2))
        compare("mean_step", np.float64(answer(centres.copy())),
                step_lengths(centres).mean(), f"centres of shape {centres.shape}")
    return f"mean_step agrees with vidgen_tf.metrics.step_lengths on {trials} random paths."
