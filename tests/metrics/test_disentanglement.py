"""Disentanglement scores: by hand, and on real clips grouped so that the answer is known."""

import numpy as np
import pytest

from vidgen_tf.metrics.baselines import EvalSetting
from vidgen_tf.metrics.disentanglement import (digit_agreement, path_correlation,
                                               shared_digit_agreement, shared_path_correlation)

SMALL = EvalSetting("digits", 1, 32)


def test_path_correlation_by_hand():
    t = np.arange(6, dtype=np.float64)
    path = np.stack([0.5 * t, t], axis=-1)                      # down-right, uniform
    elsewhere = path + np.array([7.0, -3.0])                     # same motion, other place
    back = path[::-1]                                            # the opposite motion
    still = np.full_like(path, 4.0)
    assert path_correlation(np.stack([path, elsewhere])) == pytest.approx(1.0)
    assert path_correlation(np.stack([path, back])) == pytest.approx(-1.0)
    # pairs (path, elsewhere) 1, (path, still) 0, (elsewhere, still) 0: mean 1/3
    assert path_correlation(np.stack([path, elsewhere, still])) == pytest.approx(1 / 3)
    across = np.stack([t, 0 * t], axis=-1)                       # at right angles to ...
    down = np.stack([0 * t, t], axis=-1)
    assert path_correlation(np.stack([across, down])) == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"\(clips >= 2, T, 2\), got \(1, 6, 2\)"):
        path_correlation(path[None])


def test_digit_agreement_by_hand():
    digits = np.array([[3, 3, 3, 10],        # three of four show the group's digit
                       [10, 10, 10, 10],     # all blank: no digit to agree on
                       [1, 2, 3, 4]])        # all different: one of four
    np.testing.assert_allclose(digit_agreement(digits), [0.75, 0.0, 0.25])


@pytest.fixture(scope="module")
def clips():
    from vidgen_tf.data import to_float

    batch = SMALL.source("val", seed=11).generate(80)
    return to_float(batch["video"]), batch["digits"][:, 0]


def test_real_clips_grouped_by_digit_agree_and_move_apart(clips):
    videos, digits = clips
    # four groups of four clips of one digit each (different clips: different motions)
    chosen = [d for d in range(10) if np.sum(digits == d) >= 4][:4]
    same_digit = np.stack([videos[np.flatnonzero(digits == d)[:4]] for d in chosen])
    agreement = shared_digit_agreement(same_digit)
    assert agreement["agreement"] >= 0.9                 # the classifier reads real digits
    assert np.array(agreement["digits"])[:, 0].tolist() == chosen
    # their motions are unrelated: the path correlation is near 0, far below 1 (the mean
    # of 6 pairs per group; 64 real clips in groups of 16 gave -0.01)
    assert abs(shared_path_correlation(same_digit)["correlation"]) < 0.35
    # groups of four different digits: at most 2 of 4 agree, by coincidence of the classifier
    first = [np.flatnonzero(digits == d)[0] for d in range(8)]
    mixed = videos[first].reshape((2, 4) + videos.shape[1:])
    assert shared_digit_agreement(mixed)["agreement"] <= 0.5


def test_one_motion_in_other_places_correlates_fully(clips):
    videos, _ = clips
    # one clip drawn at four places (shifted by whole pixels, padded with black): the same
    # motion, wherever it is
    clip = videos[0]
    shifted = []
    for dy, dx in ((0, 0), (2, 0), (0, 3), (1, 1)):
        moved = np.full_like(clip, -1.0)
        moved[:, dy:, dx:] = clip[:, :clip.shape[1] - dy, :clip.shape[2] - dx]
        shifted.append(moved)
    result = shared_path_correlation(np.stack(shifted)[None])
    # the shifts keep the digit inside the frame: the same offsets up to float rounding
    assert result["correlation"] == pytest.approx(1.0, abs=1e-6)
    assert len(result["per_group"]) == 1
    with pytest.raises(ValueError, match=r"at least 2 clips per group, got shape"):
        shared_path_correlation(np.stack(shifted)[:1, None])
