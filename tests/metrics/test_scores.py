"""Scores with the shipped evaluators, and the baseline ordering that makes them trustworthy."""

import numpy as np
import pytest

from vidgen_tf.metrics import corruptions
from vidgen_tf.metrics.baselines import (CASES, EvalSetting, baseline_table, evaluate,
                                         reference_case, table_markdown)
from vidgen_tf.metrics.scores import (brightness_centres, consistent_share, digit_score,
                                      frame_probabilities, identity_consistency, label_accuracy,
                                      motion_stats,
                                      proxy_fvd, step_lengths)

SMALL = EvalSetting("digits", 1, 32, num_generated=96, num_reference=256)


@pytest.fixture(scope="module")
def real():
    return SMALL.clips(96, "val")


def test_brightness_centre_and_motion_by_hand():
    videos = -np.ones((1, 5, 16, 20, 1), np.float32)
    for t in range(5):
        videos[0, t, 4, 2 + 3 * t] = 1.0                    # one pixel, 3 px right per frame
    np.testing.assert_allclose(brightness_centres(videos)[0, :, 1], [2, 5, 8, 11, 14])
    stats = motion_stats(videos)
    assert stats["mean_displacement"] == pytest.approx(3.0)
    assert stats["jerk"] == pytest.approx(0.0, abs=1e-5)
    assert stats["moving_share"] == 1.0
    frozen = motion_stats(np.repeat(videos[:, :1], 5, axis=1))
    assert frozen["mean_displacement"] == 0 and frozen["moving_share"] == 0
    with pytest.raises(ValueError, match="at least 3 frames"):
        motion_stats(videos[:, :2])


def test_consistency_and_steps_by_hand():
    labels = np.array([[3, 3, 3, 3, 10],      # 80% a 3: consistent
                       [3, 3, 3, 5, 5],       # 60%: not
                       [10, 10, 10, 10, 3],   # mostly no digit: not
                       [4, 4, 4, 4, 4]])
    assert consistent_share(labels, agreement=0.8) == 0.5
    assert consistent_share(labels, agreement=0.6) == 0.75
    centres = np.array([[[0, 0], [3, 4], [3, 4]]], np.float32)
    np.testing.assert_allclose(step_lengths(centres), [[5.0, 0.0]])


def test_digit_scores_recognise_real_digits_and_reject_noise(real, rng):
    good = digit_score(real)
    assert good["confidence"] > 0.9 and good["classes_present"] == 10
    assert good["no_digit_share"] == 0.0
    assert identity_consistency(real) > 0.9
    noise = reference_case("Gaussian noise", SMALL, seed=0)
    bad = digit_score(noise)
    assert bad["confidence"] < 0.3 and bad["no_digit_share"] > 0.8
    assert identity_consistency(noise) < 0.1


def test_identity_consistency_catches_a_digit_that_changes(real):
    digits = digit_score(real)["class_counts"]
    assert sum(digits) == len(real)
    # Glue the first half of one clip to the second half of a clip of another digit.
    p = np.argmax(frame_probabilities(real).mean(1), -1)
    a, b = np.flatnonzero(p == p[0])[0], np.flatnonzero(p != p[0])[0]
    changed = np.concatenate([real[a:a + 1, :8], real[b:b + 1, 8:]], axis=1)
    assert identity_consistency(changed) == 0.0
    assert identity_consistency(real[a:a + 1]) == 1.0


def test_label_accuracy_checks_the_digit_asked_for(real):
    """Real clips with their own labels score near 1; with every label moved on by one, near 0;
    a "no digit" frame is never right."""
    from vidgen_tf.data import to_float

    clips = SMALL.source("val", seed=3).generate(32)
    videos, digits = to_float(clips["video"]), clips["digits"]            # digits (32, 1)
    p = frame_probabilities(videos)
    assert label_accuracy(videos, digits, probabilities=p) > 0.9
    assert label_accuracy(videos, (digits[:, 0] + 1) % 10, probabilities=p) < 0.1
    blank = -np.ones((2, 4, 32, 32, 1), np.float32)
    assert label_accuracy(blank, [0, 1]) == 0.0
    with pytest.raises(ValueError, match=r"one digit per clip, shape \(32,\), got \(32, 2\)"):
        label_accuracy(videos, np.zeros((32, 2)), probabilities=p)


def test_proxy_fvd_is_zero_on_itself_and_checks_shapes(real):
    # Zero up to float32 features (the floor in this setting is about 5).
    assert proxy_fvd(real, real) == pytest.approx(0.0, abs=1e-3)
    with pytest.raises(ValueError, match="same frames, size and channels"):
        proxy_fvd(real[:, :8], real)
    # RGB clips go through the shapes evaluator: the distance by hand from its features,
    # tr sqrt(S1 S2) from the eigenvalues of S1 S2 (real and >= 0 up to rounding)
    from vidgen_tf.metrics.evaluator_store import load_evaluator

    shapes = EvalSetting("shapes", (1, 3), 32).clips(16, "val")
    scaled = shapes.astype(np.float32) / 127.5 - 1 if shapes.dtype == np.uint8 else shapes
    features = np.asarray(load_evaluator("shape_features").features(scaled, training=False),
                          np.float64)
    a, b = features[:8], features[8:]
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    roots = np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)).sum()
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * roots
    assert expected > 1.0
    assert proxy_fvd(shapes[:8], shapes[8:]) == pytest.approx(expected, rel=1e-3)


def test_evaluate_insists_on_the_sample_count(real):
    with pytest.raises(ValueError, match="scores 96 clips, got 10"):
        evaluate(real[:10], SMALL)


def test_evaluate_compares_with_the_reference_features_computed_once(real):
    from vidgen_tf.metrics import baselines

    tiny = EvalSetting("digits", 1, 32, num_generated=8, num_reference=16)
    baselines._REFERENCE_FEATURES.clear()
    first = baselines.evaluate(real[:8], tiny)
    assert len(baselines._REFERENCE_FEATURES) == 1
    cached = next(iter(baselines._REFERENCE_FEATURES.values()))
    assert cached.shape[0] == 16
    # the same number as the Fréchet distance of the clips themselves, and as a second call
    assert first["proxy_fvd"] == pytest.approx(proxy_fvd(real[:8], tiny.reference()), rel=1e-9)
    assert baselines.evaluate(real[:8], tiny)["proxy_fvd"] == first["proxy_fvd"]
    with pytest.raises(ValueError, match=r"clips of shape .* = \(16, 32, 32, 1\), got "
                                         r"\(16, 16, 16, 1\)"):
        baselines.evaluate(real[:8, :, :16, :16], tiny)


@pytest.fixture(scope="module")
def table():
    # one seed: the orderings below read the means, and one seed's table is deterministic;
    # the spread's formatting is checked on a row made by hand
    return baseline_table(SMALL, seeds=(0,))


def test_baselines_are_ordered_as_a_person_would(table):
    fvd = {case: table[case]["proxy_fvd"][0] for case in CASES}
    # Real clips are closest; blurred clips (soft, but moving right) next; clips whose
    # motion is broken or absent are further; noise is furthest.
    assert fvd["real (held-out)"] < fvd["blurred"] < fvd["shuffled in time"]
    assert fvd["blurred"] < fvd["first frame repeated"]
    assert max(fvd, key=fvd.get) == "Gaussian noise"
    conf = {case: table[case]["digit_confidence"][0] for case in CASES}
    assert min(conf, key=conf.get) == "Gaussian noise"
    assert conf["real (held-out)"] > conf["blurred"] > conf["Gaussian noise"]
    identity = {case: table[case]["identity_consistency"][0] for case in CASES}
    assert identity["real (held-out)"] > 0.9 and identity["Gaussian noise"] < 0.1
    move = {case: table[case]["mean_displacement"][0] for case in CASES}
    assert move["first frame repeated"] == 0.0
    assert table["first frame repeated"]["moving_share"][0] == 0.0
    jerk = {case: table[case]["jerk"][0] for case in CASES}
    assert jerk["shuffled in time"] > 3 * jerk["real (held-out)"]   # jumps, not smooth motion
    assert jerk["blurred"] < 1.5 * jerk["real (held-out)"]


def test_table_markdown_lists_every_case(table):
    text = table_markdown(table)
    for case in CASES:
        assert f"| {case} |" in text
    assert "proxy FVD" in text and "±" not in text           # one seed: no spread
    spread = table_markdown({"x": {"proxy_fvd": (12.345, 0.5)}, "y": {"proxy_fvd": (3.0, 0.0)}})
    assert "| x | 12.35 ± 0.50 |" in spread and "| y | 3.00 |" in spread
