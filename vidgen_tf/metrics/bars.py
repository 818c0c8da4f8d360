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
            return f"{_number(self.low)} to {_number(self.high)}"
        if self.low is not None:
            return f">= {_number(self.low)}"
        return f"{'<=' if self.high_inclusive else '<'} {_number(self.high)}"


def check_bars(scores, bars) -> dict:
    """``{key: met}`` for each bar."""
    return {bar.key: bar.met(scores) for bar in bars}


def _number(value):
    """A number as a table shows it: ints whole, large floats to one decimal, others to 3
    significant digits (``0.878``, ``1.19``, ``199.1``, ``1972.4``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3g}"


def _cell(value):
    return "-" if value is None else _number(value)


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
    bars = list(bars)
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
            consistency (None: no bar). The kit scores them, and the label accuracy, only in
            settings of one digit per clip: elsewhere these bars are left out.
        fvd_below: float or None. The proxy FVD a model must stay under (a baseline's).
        motion_quantiles: ``(low, high)`` percentiles of the real clips' per-clip mean
            displacement that bound the samples' mean displacement (10-90 or 25-75).
        label_accuracy: float or None. Lowest share of frames showing the digit asked for.
        real_count: int. Real validation clips measured for the motion range.

    Returns:
        list of ``Bar``.
    """
    from vidgen_tf.metrics.scores import motion_stats

    known = (10, 25, 75, 90)            # the percentiles motion_stats reports
    if len(motion_quantiles) != 2 or not set(motion_quantiles) <= set(known) or (
            motion_quantiles[0] >= motion_quantiles[1]):
        raise ValueError(f"digit_sample_bars: motion_quantiles must be two of {known} in "
                         f"increasing order, got {motion_quantiles}.")
    real = motion_stats(setting.clips(real_count, "val"))
    low_q, high_q = motion_quantiles
    bars = []
    if not setting.single_digit:        # the kit reads digits only with one digit per clip
        confidence = classes = identity = label_accuracy = None
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
