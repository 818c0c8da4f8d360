"""Bars and the score table: the rules at their edges, and the table they make."""

import math

import pytest

from vidgen_tf.metrics.bars import Bar, check_bars, score_table

CONFIDENCE = Bar("digit_confidence", "digit confidence", low=0.6)
FVD = Bar("proxy_fvd", "proxy FVD", high=271, high_inclusive=False, note="first frame repeated")
MOTION = Bar("mean_displacement", "mean displacement", low=1.19, high=1.88)


def test_rules_hold_at_their_edges():
    assert CONFIDENCE.met({"digit_confidence": 0.6})            # low is inclusive
    assert not CONFIDENCE.met({"digit_confidence": 0.5999})
    assert FVD.met({"proxy_fvd": 270.99}) and not FVD.met({"proxy_fvd": 271})
    assert Bar("x", "x", high=1.0).met({"x": 1.0})               # high inclusive by default
    assert MOTION.met({"mean_displacement": 1.19}) and MOTION.met({"mean_displacement": 1.88})
    assert not MOTION.met({"mean_displacement": 1.18}) and not MOTION.met(
        {"mean_displacement": 1.881})


def test_missing_or_nan_scores_do_not_meet_a_bar():
    assert not CONFIDENCE.met({})
    assert not CONFIDENCE.met({"digit_confidence": math.nan})
    assert check_bars({"digit_confidence": 0.7, "proxy_fvd": 300}, [CONFIDENCE, FVD]) == {
        "digit_confidence": True, "proxy_fvd": False}


def test_text_reads_as_the_rule():
    assert CONFIDENCE.text() == ">= 0.6"
    assert FVD.text() == "< 271"
    assert MOTION.text() == "1.19 to 1.88"


def test_table_has_one_row_per_bar_and_a_column_per_run():
    mine = {"digit_confidence": 0.52, "proxy_fvd": 199.1, "mean_displacement": 0.878,
            "label_accuracy": 0.45, "classes_present": 9}
    reference = {"digit_confidence": 0.81, "proxy_fvd": 150.0, "mean_displacement": 1.4,
                 "label_accuracy": 0.9, "classes_present": 10}
    table = score_table({"your run": mine, "reference run": reference},
                        [CONFIDENCE, FVD, MOTION],
                        extra=[("label_accuracy", "label accuracy"),
                               ("classes_present", "classes")])
    lines = table.splitlines()
    assert lines[0] == "| score | bar | your run | reference run |"
    assert lines[2] == "| digit confidence | >= 0.6 | 0.52 (no) | 0.81 (yes) |"
    assert lines[3] == "| proxy FVD | < 271 | 199.1 (yes) | 150.0 (yes) |"
    assert lines[4] == "| mean displacement | 1.19 to 1.88 | 0.878 (no) | 1.4 (yes) |"
    assert lines[5] == "| label accuracy | | 0.45 | 0.9 |"
    assert lines[6] == "| classes | | 9 | 10 |"
    assert lines[-1] == "- proxy FVD: first frame repeated"


def test_without_bars_the_table_compares_runs():
    table = score_table({"your run": {"steps": 1500, "heldout_psnr_db": 20.81},
                         "reference run": {"steps": 6000, "heldout_psnr_db": 22.4}}, [],
                        extra=[("steps", "training steps"),
                               ("heldout_psnr_db", "held-out PSNR (dB)")])
    assert table.splitlines() == ["| score | your run | reference run |", "|---|---|---|",
                                  "| training steps | 1500 | 6000 |",
                                  "| held-out PSNR (dB) | 20.8 | 22.4 |"]


def test_bad_bars_and_tables_are_refused():
    with pytest.raises(ValueError, match="give low, high or both"):
        Bar("x", "x")
    with pytest.raises(ValueError, match="low 2 is above high 1"):
        Bar("x", "x", low=2, high=1)
    with pytest.raises(ValueError, match="at least one column"):
        score_table({}, [CONFIDENCE])


def test_digit_bars_take_the_motion_range_from_real_clips():
    from vidgen_tf.metrics.baselines import EvalSetting
    from vidgen_tf.metrics.bars import digit_sample_bars
    from vidgen_tf.metrics.scores import motion_stats

    setting = EvalSetting("digits", 1, 32, num_frames=8, num_generated=8, num_reference=16)
    bars = digit_sample_bars(setting, fvd_below=271, label_accuracy=0.6,
                             motion_quantiles=(25, 75), real_count=16)
    assert [b.key for b in bars] == ["digit_confidence", "classes_present",
                                     "identity_consistency", "label_accuracy", "proxy_fvd",
                                     "mean_displacement"]
    real = motion_stats(setting.clips(16, "val"))
    motion = bars[-1]
    assert (motion.low, motion.high) == (real["displacement_p25"], real["displacement_p75"])
    assert motion.low < motion.high
    # a value inside the range meets the bar
    assert motion.met({"mean_displacement": (motion.low + motion.high) / 2})
    assert [b.key for b in digit_sample_bars(setting, confidence=None, classes=None,
                                             identity=None, real_count=16)] == [
        "mean_displacement"]


def test_digit_bars_fit_the_setting_and_refuse_unknown_percentiles():
    from vidgen_tf.config import get_profile
    from vidgen_tf.metrics.baselines import EvalSetting
    from vidgen_tf.metrics.bars import digit_sample_bars
    from vidgen_tf.training import gan_recipe

    two = EvalSetting("digits", 2, 32, num_frames=8, num_generated=8, num_reference=16)
    # two digits per clip: the kit reads no digits, so only the motion bar is left
    assert [b.key for b in digit_sample_bars(two, label_accuracy=0.6, real_count=16)] == [
        "mean_displacement"]
    # the GAN's gpu setting (two digits, 64x64) has no first-frame baseline of 271 either;
    # its cpu setting (one digit, 32x32) has them all
    assert [b.key for b in gan_recipe.bars(get_profile("gpu"))] == ["mean_displacement"]
    assert [b.key for b in gan_recipe.bars(get_profile("smoke"))] == [
        "digit_confidence", "classes_present", "identity_consistency", "label_accuracy",
        "proxy_fvd", "mean_displacement"]
    with pytest.raises(ValueError, match=r"motion_quantiles must be two of \(10, 25, 75, 90\)"
                                         r" in increasing order, got \(5, 95\)"):
        digit_sample_bars(two, motion_quantiles=(5, 95), real_count=16)
