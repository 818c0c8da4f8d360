"""Helpers the recipes share: drawing samples in batches, and the labels a conditional model is
scored with."""

import numpy as np

from vidgen_tf.training.gan_recipe import balanced_labels
from vidgen_tf.training.recipes import sample_in_batches


def test_sample_in_batches_passes_each_batch_its_labels_and_seed():
    calls = []

    def generate(n, **options):
        calls.append((n, options))
        labels = options.get("labels", np.zeros((n, 1)))
        return np.full((n, 2), options.get("seed", -1), float) + np.asarray(labels)[:, :1]

    labels = np.arange(10)[:, None]
    out = sample_in_batches(generate, 10, batch_size=4, labels=labels, seed=7)
    assert [n for n, _ in calls] == [4, 4, 2]
    assert [o["seed"] for _, o in calls] == [7, 8, 9]
    np.testing.assert_array_equal(calls[2][1]["labels"], [[8], [9]])
    np.testing.assert_array_equal(out[:, 0], [7, 8, 9, 10, 12, 13, 14, 15, 17, 18])
    calls.clear()
    assert sample_in_batches(generate, 3, batch_size=2).shape == (3, 2)
    assert calls == [(2, {}), (1, {})]                  # no labels, no seed: plain generate(n)


def test_balanced_labels_go_through_the_digits_in_turn():
    np.testing.assert_array_equal(balanced_labels(12)[:, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    pairs = balanced_labels(100, 2)
    assert pairs.shape == (100, 2) and pairs.dtype == np.int32
    assert len({tuple(p) for p in pairs}) == 100           # every pair of digits once
    np.testing.assert_array_equal(pairs[23], [3, 2])
