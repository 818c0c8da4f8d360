"""Bars: the scores a lesson's model must reach, checked and shown as a table.

A lesson states what its generative model must reach in the evaluation kit's scores (lesson
08), for example "digit confidence >= 0.6" or "mean displacement inside the real clips' 10th
to 90th percentile". A ``Bar`` holds one such rule; ``score_table`` lays scores of one or
more runs (your run, the reference run) beside the bars and says which are met, so that the
lesson, the benchmark and the closing note of an issue read one definition.

    bars = [Bar("digit_confidence", "digit confidence", low=0.6),
            Bar("proxy_fvd", "proxy FVD", high=271, high_inclusive=False)]
    print(score_table({"your run": scores}, bars))
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One rule on one score: ``low <= value`` and ``value <= high`` (or ``<``).

    Attributes:
        key: str. The score's name in the kit's dict (``"digit_confidence"``).
        label: str. What the table calls it.
        low: float or None. The smallest value that meets the bar (inclusive).
        high: float or None. The largest value that meets the bar.
        high_inclusive: bool. Whether ``high`` itself meets it (False: ``value < high``).
        note: str. Where the bar comes from (shown under the table by ``score_table``).
    """

    key: str
    label: str
    low: float | None = None
    high: float | None = None
    high_inclusive: bool = True
    note: str = ""

    def __post_init__(self):
        if self.low is None and self.high is None:
            raise ValueError(f"Bar {self.key!r}: give low, high or both.")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Bar {self.key!r}: low {self.low} is above high {self.high}.")

    def met(self, scores) -> bool:
        """Whether ``scores[key]`` meets the bar (a missing or NaN score does not)."""
        value = scores.get(self.key)
        if value is None or not math.isfinite(float(value)):
            return False
        value = float(value)
        if self.low is not None and value < self.low:
            return False
        if self.high is not None:
            return value <= self.high if self.high_inclusive else value < self.high
        return True

    def text(self) -> str:
        """The rule as a reader reads it: ``">= 0.6"``, ``"< 271"``, ``"1.19 to 1.88"``."""
        if self.low is not None and self.high is not None:
            return f"{self.low:.3g} to {self.high:.3g}"
        if self.low is not None:
            return f">= {self.low:.3g}"
        return f"{'<=' if self.high_inclusive else '<'} {self.high:.3g}"


def check_bars(scores, bars) -> dict:
    """``{key: met}`` for each bar."""
    return {bar.key: bar.met(scores) for bar in bars}


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    return f"{float(value):.3g}"


def score_table(columns, bars, extra=()) -> str:
    """A Markdown table: one row per bar (and per extra score), one column per run.

    Args:
        columns: ``{column title: scores dict}`` (the kit's sample scores of each run), in
            the order shown.
        bars: a list of ``Bar``.
        extra: ``(key, label)`` pairs of scores shown without a bar (label accuracy, jerk).

    Returns:
        str: Markdown. Each bar's cell reads ``value (yes)`` or ``value (no)``; the bars'
        notes follow the table. Without bars, no bar column (a plain comparison).

    Raises:
        ValueError: no columns.
    """
    if not columns:
        raise ValueError("score_table: give at least one column of scores.")
    titles = list(columns)
    bar_column = "bar | " if bars else ""
    lines = ["| score | " + bar_column + " | ".join(titles) + " |",
             "|---|" + "---|" * (len(titles) + bool(bars))]
    for bar in bars:
        cells = [f"{_cell(scores.get(bar.key))} ({'yes' if bar.met(scores) else 'no'})"
                 for scores in columns.values()]
        lines.append(f"| {bar.label} | {bar.text()} | " + " | ".join(cells) + " |")
    for key, label in extra:
        cells = [_cell(scores.get(key)) for scores in columns.values()]
        lines.append(f"| {label} | {'| ' if bars else ''}" + " | ".join(cells) + " |")
    notes = [f"{bar.label}: {bar.note}" for bar in bars if bar.note]
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines)


def digit_sample_bars(setting, confidence=0.6, classes=8, identity=0.6, fvd_below=None,
                      motion_quantiles=(10, 90), label_accuracy=None, real_count=256):
    """The bars of a generative model of moving digits, in one evaluation setting.

    Args:
        setting: an ``EvalSetting`` (its validation clips give the real motion range).
        confidence, classes, identity: lowest digit confidence, classes present, identity
            consistency (None: no bar).
        fvd_below: float or None. The proxy FVD a model must stay under (a baseline's).
        motion_quantiles: ``(low, high)`` percentiles of the real clips' per-clip mean
            displacement that bound the samples' mean displacement (10-90 or 25-75).
        label_accuracy: float or None. Lowest share of frames showing the digit asked for.
        real_count: int. Real validation clips measured for the motion range.

    Returns:
        list of ``Bar``.
    """
    from vidgen_tf.metrics.scores import motion_stats

    real = motion_stats(setting.clips(real_count, "val"))
    low_q, high_q = motion_quantiles
    bars = []
    if confidence is not None:
        bars.append(Bar("digit_confidence", "digit confidence", low=confidence))
    if classes is not None:
        bars.append(Bar("classes_present", "digit classes present (of 10)", low=classes))
    if identity is not None:
        bars.append(Bar("identity_consistency", "identity consistency", low=identity))
    if label_accuracy is not None:
        bars.append(Bar("label_accuracy", "frames showing the digit asked for",
                        low=label_accuracy))
    if fvd_below is not None:
        bars.append(Bar("proxy_fvd", "proxy FVD", high=fvd_below, high_inclusive=False))
    bars.append(Bar("mean_displacement", "mean displacement (px/frame)",
                    low=real[f"displacement_p{low_q}"], high=real[f"displacement_p{high_q}"],
                    note=f"the {low_q}th to {high_q}th percentile of {real_count} real "
                         f"clips' per-clip mean displacement"))
    return bars
