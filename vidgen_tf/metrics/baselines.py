"""The baseline table: what every score gives on reference cases, so that a model's number has
a scale.

An evaluation *setting* fixes the data a model is judged on (dataset, objects per clip, frame
size, frames) and the *sample counts*: scores are computed on ``num_generated`` clips against
``num_reference`` held-out real clips (the test split), because a Fréchet distance changes
with the number of samples. The reference cases, each made from ``num_generated`` real clips
of the validation split:

- ``real (held-out)``: real clips themselves: the floor of the distances;
- ``shuffled in time``: real frames in a random order (pictures perfect, motion broken);
- ``first frame repeated``: no motion at all;
- ``Gaussian noise``: every pixel drawn from a Gaussian with the real mean and spread;
- ``blurred``: real clips blurred (motion intact, pictures soft).

Each case is scored with several seeds (different clips, different damage); the table gives
the mean and the standard deviation. A model is then scored with ``evaluate`` in the same
setting with the same counts.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vidgen_tf.metrics import corruptions
from vidgen_tf.metrics.frechet import frechet_distance_from_features
from vidgen_tf.metrics.scores import (as_float_videos, clip_features, digit_score,
                                      frame_probabilities, identity_consistency, motion_stats)

CASES = ("real (held-out)", "shuffled in time", "first frame repeated", "Gaussian noise",
         "blurred")


@dataclasses.dataclass(frozen=True)
class EvalSetting:
    """Data and sample counts of an evaluation.

    Args:
        dataset: ``"digits"`` (MovingDigits) or ``"shapes"`` (BouncingShapes).
        num_objects: int or ``(min, max)``. Objects per clip.
        image_size: int. Frame size.
        num_frames: int. Frames per clip.
        num_generated: int. Clips scored per model (or per reference case and seed).
        num_reference: int. Held-out real clips they are compared with.
    """

    dataset: str = "digits"
    num_objects: object = 1
    image_size: int = 32
    num_frames: int = 16
    num_generated: int = 256
    num_reference: int = 1024

    @property
    def name(self):
        objects = (self.num_objects if np.isscalar(self.num_objects)
                   else "-".join(map(str, self.num_objects)))
        return f"{self.dataset}, {objects} per clip, {self.image_size}x{self.image_size}, " \
               f"{self.num_frames} frames"

    @property
    def single_digit(self):
        return self.dataset == "digits" and self.num_objects == 1

    def source(self, split, seed=0):
        """The dataset of this setting (``MovingDigits`` or ``BouncingShapes``)."""
        from vidgen_tf.data import BouncingShapes, MovingDigits

        if self.dataset == "digits":
            return MovingDigits(num_frames=self.num_frames, image_size=self.image_size,
                                num_digits=self.num_objects, seed=seed, split=split)
        if self.dataset == "shapes":
            return BouncingShapes(num_frames=self.num_frames, image_size=self.image_size,
                                  num_shapes=self.num_objects, seed=seed, split=split)
        raise ValueError(f"EvalSetting.dataset must be 'digits' or 'shapes', got "
                         f"{self.dataset!r}.")

    def clips(self, count, split, seed=0):
        """``count`` real clips as float videos in ``[-1, 1]``."""
        from vidgen_tf.data import to_float

        return to_float(self.source(split, seed).generate(count)["video"])

    def reference(self):
        """The held-out real clips every score compares with (test split, seed 0)."""
        return self.clips(self.num_reference, "test")


# The settings the course's models are judged in.
SETTINGS = {
    "digits-1-32": EvalSetting("digits", 1, 32),
    "digits-1-64": EvalSetting("digits", 1, 64),
    "digits-2-64": EvalSetting("digits", 2, 64),
    "shapes-1to3-64": EvalSetting("shapes", (1, 3), 64),
}


_REFERENCE_FEATURES: dict = {}


def reference_features(setting):
    """``VideoFeatureNet`` features ``(num_reference, dim)`` of ``setting.reference()``.

    Computed once per process and evaluator folder: they are most of the work of a proxy FVD
    (``num_reference`` is four times ``num_generated`` in the course's settings), and every
    model, case and seed of a setting is compared with the same clips.
    """
    from vidgen_tf.metrics.evaluator_store import evaluator_dir

    key = (setting, str(evaluator_dir()))
    if key not in _REFERENCE_FEATURES:
        _REFERENCE_FEATURES[key] = clip_features(setting.reference())
    return _REFERENCE_FEATURES[key]


def evaluate(videos, setting, reference=None):
    """Every score of a set of clips in a setting.

    Args:
        videos: float videos ``(setting.num_generated, T, H, W, C)`` (a model's samples).
        setting: ``EvalSetting``.
        reference: optional real clips to compare with instead of ``setting.reference()``
            (whose features are computed once per process: ``reference_features``).

    Returns:
        dict: ``proxy_fvd``, ``mean_displacement``, ``jerk``, ``moving_share`` and, for
        one-digit settings, ``digit_confidence``, ``classes_present``,
        ``identity_consistency``.
    """
    videos = as_float_videos(videos, "evaluate")
    if len(videos) != setting.num_generated:
        raise ValueError(f"evaluate: the setting {setting.name!r} scores "
                         f"{setting.num_generated} clips, got {len(videos)}; Fréchet "
                         f"distances are only comparable at equal counts.")
    channels = 1 if setting.dataset == "digits" else 3
    expected = (setting.num_frames, setting.image_size, setting.image_size, channels)
    if videos.shape[1:] != expected:
        raise ValueError(f"evaluate: the setting {setting.name!r} scores clips of shape "
                         f"(frames, height, width, channels) = {expected}, got "
                         f"{videos.shape[1:]}.")
    real = (reference_features(setting) if reference is None
            else clip_features(as_float_videos(reference, "evaluate reference")))
    motion = motion_stats(videos)
    scores = {"proxy_fvd": frechet_distance_from_features(clip_features(videos), real),
              "mean_displacement": motion["mean_displacement"], "jerk": motion["jerk"],
              "moving_share": motion["moving_share"]}
    if setting.single_digit:
        p = frame_probabilities(videos)
        digits = digit_score(videos, probabilities=p)
        scores.update(digit_confidence=digits["confidence"],
                      classes_present=digits["classes_present"],
                      identity_consistency=identity_consistency(videos, probabilities=p))
    return scores


def reference_case(case, setting, seed):
    """The clips of one reference case (float videos), drawn with ``seed``."""
    rng = np.random.default_rng([seed, CASES.index(case)])
    real = setting.clips(setting.num_generated, "val", seed=seed)
    if case == "real (held-out)":
        return real
    if case == "shuffled in time":
        return corruptions.shuffle_frames(real, rng)
    if case == "first frame repeated":
        return corruptions.freeze_first_frame(real)
    if case == "Gaussian noise":
        noise = rng.normal(real.mean(), real.std(), size=real.shape)
        return np.clip(noise, -1.0, 1.0).astype(np.float32)
    if case == "blurred":
        return corruptions.blur(real, sigma=1.5 * setting.image_size / 64)
    raise ValueError(f"Unknown reference case {case!r}; the cases are {CASES}.")


def baseline_table(setting, seeds=(0, 1, 2, 3, 4), cases=CASES, log=None):
    """Scores of every reference case, mean and standard deviation over seeds.

    Returns:
        dict ``{case: {score: (mean, std)}}``.
    """
    table = {}
    for case in cases:
        runs = []
        for seed in seeds:
            runs.append(evaluate(reference_case(case, setting, seed), setting))
            if log:
                log(f"{setting.name} | {case} | seed {seed}: {runs[-1]}")
        table[case] = {key: (float(np.mean([r[key] for r in runs])),
                             float(np.std([r[key] for r in runs]))) for key in runs[0]}
    return table


COLUMNS = (("proxy_fvd", "proxy FVD", "{:.2f}"), ("digit_confidence", "digit conf.", "{:.3f}"),
           ("classes_present", "classes", "{:.1f}"),
           ("identity_consistency", "identity", "{:.3f}"),
           ("mean_displacement", "displ. px/frame", "{:.2f}"), ("jerk", "jerk", "{:.2f}"),
           ("moving_share", "moving", "{:.2f}"))


def table_markdown(rows, seeds=None):
    """A Markdown table of ``{row name: {score: (mean, std) or value}}``."""
    keys = [c for c in COLUMNS if any(c[0] in r for r in rows.values())]
    lines = ["| | " + " | ".join(name for _, name, _ in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for row, values in rows.items():
        cells = []
        for key, _, fmt in keys:
            value = values.get(key)
            if value is None:
                cells.append("n/a")
            elif isinstance(value, tuple):
                cells.append(fmt.format(value[0]) + (" ± " + fmt.format(value[1])
                                                     if value[1] else ""))
            else:
                cells.append(fmt.format(value))
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
