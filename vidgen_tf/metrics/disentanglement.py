"""Disentanglement of content and motion, measured on groups of generated clips (lesson 03).

A model that keeps content and motion apart (MoCoGAN: one content code per clip, motion codes
per frame) can be asked for groups of clips that share one code and differ in the other:

- **shared content**, different motions: every clip of a group should show the same digit
  (``shared_digit_agreement``), and their motions should differ;
- **shared motion**, different contents: every clip of a group should move along the same
  path (``shared_path_correlation``), whatever digit it shows.

Each score is also the control of the other: a group sharing its content should score a low
path correlation (the motions differ), a group sharing its motion a low digit agreement
(the digits differ). A model that ignored its motion codes would score a high path
correlation everywhere; one that ignored its content code, a high digit agreement everywhere.

Groups are ``(groups, clips, T, H, W, C)`` float videos in ``[-1, 1]``.
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.metrics.scores import NOISE_CLASS, brightness_centres, frame_probabilities


def _groups(groups, name, min_clips=2):
    groups = np.asarray(groups)
    if groups.ndim != 6 or groups.shape[1] < min_clips:
        raise ValueError(f"{name}: groups must be (groups, clips, T, H, W, C) with at least "
                         f"{min_clips} clips per group, got shape {groups.shape}.")
    return groups


def clip_digits(videos, probabilities=None):
    """``(batch,)`` the digit of each one-digit clip: the argmax of its frames' mean
    ``DigitClassifier`` probabilities (``NOISE_CLASS``, 10: no digit)."""
    p = frame_probabilities(videos) if probabilities is None else probabilities
    return np.argmax(p.mean(axis=1), axis=-1)


def digit_agreement(digits):
    """Share of a group's clips whose digit is the group's most common digit, for digits
    ``(groups, clips)``; a clip read as "no digit" never agrees (a group of blank clips
    scores 0). Returns ``(groups,)``."""
    digits = np.asarray(digits)
    counts = np.stack([np.sum(digits == c, axis=1) for c in range(NOISE_CLASS)], axis=1)
    return counts.max(axis=1) / digits.shape[1]


def shared_digit_agreement(groups):
    """How often the clips of a group show one digit.

    Args:
        groups: ``(G, N, T, H, W, C)``: G groups of N one-digit clips.

    Returns:
        dict: ``agreement`` (mean over groups of ``digit_agreement``: 1 when every clip of
        every group shows its group's digit; about ``1 / 10`` plus chance coincidences for
        unrelated clips), ``per_group`` (list of G floats), ``digits`` (``(G, N)`` list).
    """
    groups = _groups(groups, "shared_digit_agreement")
    g, n = groups.shape[:2]
    digits = clip_digits(groups.reshape((g * n,) + groups.shape[2:])).reshape(g, n)
    per_group = digit_agreement(digits)
    return {"agreement": float(per_group.mean()), "per_group": per_group.tolist(),
            "digits": digits.tolist()}


def path_correlation(centres, eps=1e-6):
    """Mean pairwise correlation of the paths ``(N, T, 2)`` of N clips.

    Each path is taken relative to its own mean position over time (where a clip is does not
    count, only how it moves), its y and x offsets joined into one vector of ``2T`` numbers;
    the correlation of two clips is the cosine of their vectors, averaged over the ``N (N -
    1) / 2`` pairs. 1: every clip moves the same way; about 0: unrelated motions; a clip that
    does not move (a vector shorter than ``eps``) correlates 0 with every other.
    """
    centres = np.asarray(centres, np.float64)
    if centres.ndim != 3 or centres.shape[0] < 2 or centres.shape[2] != 2:
        raise ValueError(f"path_correlation: centres must be (clips >= 2, T, 2), got "
                         f"{centres.shape}.")
    offsets = (centres - centres.mean(axis=1, keepdims=True)).reshape(len(centres), -1)
    norms = np.linalg.norm(offsets, axis=1)
    units = np.where(norms[:, None] > eps, offsets / np.maximum(norms, eps)[:, None], 0.0)
    cosine = units @ units.T
    upper = np.triu_indices(len(centres), k=1)
    return float(cosine[upper].mean())


def shared_path_correlation(groups):
    """How alike the clips of a group move: ``path_correlation`` of their centres of
    brightness (``scores.brightness_centres``), per group.

    Args:
        groups: ``(G, N, T, H, W, C)``: G groups of N clips.

    Returns:
        dict: ``correlation`` (mean over groups), ``per_group`` (list of G floats).
    """
    groups = _groups(groups, "shared_path_correlation")
    g, n = groups.shape[:2]
    centres = brightness_centres(groups.reshape((g * n,) + groups.shape[2:]))
    per_group = np.array([path_correlation(c) for c in centres.reshape((g, n) +
                                                                      centres.shape[1:])])
    return {"correlation": float(per_group.mean()), "per_group": per_group.tolist()}
