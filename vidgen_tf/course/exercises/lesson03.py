"""Exercises of lesson 03, MoCoGAN."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise
from vidgen_tf.metrics.disentanglement import path_correlation
from vidgen_tf.models.mocogan import build_motion_network, image_critic_batch


@exercise("3.1", "motion_codes(h0, eps, kernel, recurrent_kernel, bias)",
          reimplements="vidgen_tf.models.mocogan.build_motion_network")
def check_motion_codes(answer, rng):
    trials = 6
    for _ in range(trials):
        b, t, dm = (int(n) for n in (rng.integers(1, 4), rng.integers(1, 7), rng.integers(1, 6)))
        network = build_motion_network(dm)
        cell = network.get_layer("gru").cell
        weights = [rng.normal(size=w.shape).astype(np.float32) * 0.7 for w in cell.weights]
        cell.set_weights(weights)
        h0 = rng.normal(size=(b, dm)).astype(np.float32)
        eps = rng.normal(size=(b, t, dm)).astype(np.float32)
        expected = np.asarray(network([h0, eps]), np.float64)
        got = answer(h0.copy(), eps.copy(), *(w.copy() for w in weights))
        # float32 GRU steps of a few products each, compounded over up to 6 steps
        compare("motion_codes", np.asarray(got, np.float64), expected,
                f"batch {b}, {t} steps, motion_dim {dm}", rtol=1e-4, atol=1e-5)
    return (f"motion_codes agrees with MoCoGAN's motion network (keras GRUCell) on {trials} "
            f"random GRUs.")


def _paths(rng):
    n, t = int(rng.integers(2, 7)), int(rng.integers(2, 10))
    paths = rng.normal(size=(n, t, 2)).cumsum(axis=1) + rng.uniform(0, 30, size=(n, 1, 2))
    if rng.uniform() < 0.5:                                     # a clip that does not move
        paths[int(rng.integers(n))] = rng.uniform(0, 30, size=2)
    if rng.uniform() < 0.5:                                     # the same motion elsewhere
        paths[-1] = paths[0] + rng.uniform(-5, 5, size=2)
    return paths.astype(np.float32)


@exercise("3.2", "path_correlation(centres)",
          reimplements="vidgen_tf.metrics.disentanglement.path_correlation")
def check_path_correlation(answer, rng):
    trials = 30
    for _ in range(trials):
        centres = _paths(rng)
        compare("path_correlation", np.float64(answer(centres.copy())),
                np.float64(path_correlation(centres)),
                f"{len(centres)} paths of {centres.shape[1]} frames", rtol=1e-5, atol=1e-6)
    return (f"path_correlation agrees with vidgen_tf.metrics.disentanglement.path_correlation "
            f"on {trials} sets of paths.")


@exercise("3.3", "image_critic_batch(videos, index, labels)",
          reimplements="vidgen_tf.models.mocogan.image_critic_batch")
def check_image_critic_batch(answer, rng):
    trials = 8
    for trial in range(trials):
        b, t, k = int(rng.integers(1, 5)), int(rng.integers(2, 9)), int(rng.integers(1, 5))
        if trial == 0:                 # several clips and frames: the order is checked
            b, k = 3, 3
        size, c = int(rng.integers(2, 6)), int(rng.integers(1, 4))
        videos = rng.normal(size=(b, t, size, size, c)).astype(np.float32)
        index = rng.integers(0, t, size=k).astype(np.int32)        # a frame may repeat
        labels = rng.integers(0, 10, size=(b, 1)).astype(np.int32)
        expected_frames, expected_labels = (
            np.asarray(x) for x in image_critic_batch(videos, index, labels))
        got = answer(videos.copy(), index.copy(), labels.copy())
        if not isinstance(got, tuple) or len(got) != 2:
            raise AssertionError(f"image_critic_batch must return (frames, frame_labels), got "
                                 f"{type(got).__name__}.")
        where = f"{b} clips of {t} frames, index {index.tolist()}"
        # a gather and a repeat: exact
        compare("image_critic_batch's frames", np.asarray(got[0]), expected_frames, where,
                rtol=0, atol=0)
        compare("image_critic_batch's frame_labels", np.asarray(got[1]), expected_labels,
                where, rtol=0, atol=0)
    return (f"image_critic_batch gives MoCoGAN's image discriminator the frames and labels "
            f"it judges, in its order, on {trials} random batches.")
