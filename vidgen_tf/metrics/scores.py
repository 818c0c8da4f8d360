"""Scores of generated clips, computed with the trained evaluator networks.

Each score answers one question a person asks of a generated video:

- ``proxy_fvd(generated, real)``: does the set of clips look and move like the real set?
  Fréchet distance of ``VideoFeatureNet`` features (lower is better; the floor is the
  distance between two real samples, not zero).
- ``digit_score(videos)``: are the digits recognisable, and are all ten there?
  ``DigitClassifier`` confidence over frames, and class coverage over clips.
- ``identity_consistency(videos)``: does a clip keep its digit from the first frame to the
  last?
- ``label_accuracy(videos, labels)``: does a class-conditional model draw the digit it was
  asked for? Share of frames classified as their clip's label.
- ``motion_stats(videos)``: is there motion, is it smooth, and is it of the real size?
  Per-frame displacement of the centre of brightness.

Videos are ``(batch, frames, height, width, channels)``, float in ``[-1, 1]`` or uint8. The
digit scores assume one digit per clip (``MovingDigits(num_digits=1)``, the setting the
classifier was trained for); ``proxy_fvd`` and ``motion_stats`` work for any clips of the
embedded domain (grey clips use the digit evaluator, RGB clips the shapes evaluator).

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.metrics.evaluator_store import load_evaluator
from vidgen_tf.metrics.evaluators import NOISE_CLASS
from vidgen_tf.metrics.frechet import frechet_distance_from_features


def as_float_videos(videos, name):
    """``videos`` as float32 ``(batch, frames, height, width, 1 or 3)`` in ``[-1, 1]`` (uint8
    converted); ``name`` names the caller in the error for any other shape."""
    videos = np.asarray(videos)
    if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: expected videos (batch, frames, height, width, channels) "
                         f"with 1 or 3 channels, got shape {videos.shape}.")
    if videos.dtype == np.uint8:
        return videos.astype(np.float32) / 127.5 - 1.0
    return videos.astype(np.float32)


def _batched(function, inputs, batch_size):
    outputs = [np.asarray(function(inputs[i:i + batch_size]))
               for i in range(0, len(inputs), batch_size)]
    return np.concatenate(outputs)


def clip_features(videos, batch_size=64):
    """``(batch, feature_dim)`` ``VideoFeatureNet`` features (the digit net for grey clips,
    the shapes net for RGB clips)."""
    videos = as_float_videos(videos, "clip_features")
    net = load_evaluator("digit_features" if videos.shape[-1] == 1 else "shape_features")
    return _batched(lambda v: net.features(v, training=False), videos, batch_size)


def proxy_fvd(generated, real, batch_size=64):
    """Fréchet distance between ``VideoFeatureNet`` features of two sets of clips.

    Args:
        generated: videos ``(n1, T, H, W, C)``.
        real: videos ``(n2, T, H, W, C)`` of the same frames, size and channels.
        batch_size: int. Clips per forward pass.

    Returns:
        float. Depends on ``n1`` and ``n2``: compare numbers computed with the same counts
        (``benchmarks/results.md`` gives the floor and the spread for the counts it uses).
    """
    generated = as_float_videos(generated, "proxy_fvd")
    real = as_float_videos(real, "proxy_fvd")
    if generated.shape[1:] != real.shape[1:]:
        raise ValueError(f"proxy_fvd: generated and real clips must have the same frames, size "
                         f"and channels, got {generated.shape[1:]} and {real.shape[1:]}.")
    return frechet_distance_from_features(clip_features(generated, batch_size),
                                          clip_features(real, batch_size))


def frame_probabilities(videos, batch_size=512):
    """``(batch, T, 11)`` ``DigitClassifier`` probabilities of every frame (class 10: no
    digit)."""
    from keras import ops

    videos = as_float_videos(videos, "frame_probabilities")
    classifier = load_evaluator("digit_classifier")
    frames = videos.reshape((-1,) + videos.shape[2:])
    probs = _batched(lambda f: ops.softmax(classifier(f, training=False)), frames, batch_size)
    return probs.reshape(videos.shape[:2] + (probs.shape[-1],))


def digit_score(videos, min_share=0.01, probabilities=None):
    """How recognisable and how varied the digits of one-digit clips are.

    Args:
        videos: one-digit clips ``(batch, T, H, W, C)``.
        min_share: float. A digit class counts as present when it is the class of at least
            this share of the clips (and at least one clip).
        probabilities: optional precomputed ``frame_probabilities(videos)``.

    Returns:
        dict: ``confidence`` (mean over frames of the probability of the most likely digit,
        0-1), ``classes_present`` (digit classes that are the class of enough clips, 0-10),
        ``no_digit_share`` (share of clips whose class is "no digit"), ``class_counts`` (clips
        per class 0-10). A clip's class is the argmax of its frames' mean probabilities.
    """
    p = frame_probabilities(videos) if probabilities is None else probabilities
    confidence = float(np.mean(p[..., :NOISE_CLASS].max(axis=-1)))
    clip_class = np.argmax(p.mean(axis=1), axis=-1)
    counts = np.bincount(clip_class, minlength=NOISE_CLASS + 1)
    needed = max(1, int(np.ceil(min_share * len(clip_class))))
    return {"confidence": confidence,
            "classes_present": int(np.sum(counts[:NOISE_CLASS] >= needed)),
            "no_digit_share": float(counts[NOISE_CLASS] / len(clip_class)),
            "class_counts": counts.tolist()}


def identity_consistency(videos, agreement=0.8, probabilities=None):
    """Share of one-digit clips that keep their digit over time.

    A clip is consistent when its most frequent per-frame class is a digit (not "no digit")
    and at least ``agreement`` of its frames are classified as that digit.

    Returns:
        float in ``[0, 1]``.
    """
    p = frame_probabilities(videos) if probabilities is None else probabilities
    return consistent_share(np.argmax(p, axis=-1), agreement)


def label_accuracy(videos, labels, probabilities=None):
    """Share of frames of one-digit clips classified as the digit their clip was drawn for.

    Args:
        videos: one-digit clips ``(batch, T, H, W, C)``.
        labels: int ``(batch,)`` or ``(batch, 1)``: the digit asked of each clip.
        probabilities: optional precomputed ``frame_probabilities(videos)``.

    Returns:
        float in ``[0, 1]`` (chance: 0.1; a "no digit" frame counts as wrong).
    """
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != len(videos):
        raise ValueError(f"label_accuracy: labels must be one digit per clip, shape "
                         f"({len(videos)},), got {labels.shape}.")
    p = frame_probabilities(videos) if probabilities is None else probabilities
    return float(np.mean(np.argmax(p, axis=-1) == labels[:, None]))


def consistent_share(labels, agreement=0.8):
    """Share of clips whose per-frame labels ``(batch, T)`` agree on one digit.

    A clip counts when its most frequent label is a digit (not ``NOISE_CLASS``) and at least
    ``agreement`` of its frames carry that label. (Ties go to the smaller label.)

    Returns:
        float in ``[0, 1]``.
    """
    labels = np.asarray(labels)
    counts = np.stack([np.sum(labels == c, axis=1) for c in range(NOISE_CLASS + 1)], axis=1)
    majority = counts.argmax(axis=1)
    share = counts.max(axis=1) / labels.shape[1]
    return float(np.mean((majority != NOISE_CLASS) & (share >= agreement)))


def brightness_centres(videos):
    """``(batch, T, 2)`` centre ``(y, x)`` in pixels of each frame's brightness (values
    shifted to ``[0, 1]``, so black counts for nothing)."""
    videos = as_float_videos(videos, "brightness_centres")
    weight = (videos.mean(axis=-1) + 1.0) / 2.0                         # (batch, T, H, W)
    total = np.maximum(weight.sum(axis=(2, 3)), 1e-6)
    ys = np.arange(videos.shape[2], dtype=np.float32)
    xs = np.arange(videos.shape[3], dtype=np.float32)
    cy = (weight.sum(axis=3) * ys).sum(axis=2) / total
    cx = (weight.sum(axis=2) * xs).sum(axis=2) / total
    return np.stack([cy, cx], axis=-1)


def step_lengths(centres):
    """``(batch, T - 1)`` distance travelled between consecutive frames by centres
    ``(batch, T, 2)``."""
    return np.linalg.norm(np.diff(np.asarray(centres, np.float64), axis=1), axis=-1)


def motion_stats(videos, moving_threshold=None):
    """How much, and how smoothly, the brightness of each clip moves.

    Args:
        videos: clips ``(batch, T, H, W, C)`` with ``T >= 3``.
        moving_threshold: float or None. Mean displacement (pixels per frame) above which a
            clip counts as moving; None uses ``0.5 * width / 64``.

    Returns:
        dict: ``mean_displacement`` (pixels per frame, over clips and frames),
        ``displacement_p10``, ``_p25``, ``_p75`` and ``_p90`` (percentiles of the per-clip
        means), ``jerk`` (mean size of the second difference of the centre, pixels
        per frame squared: 0 for straight uniform motion, large for jumps), ``moving_share``
        (share of clips that move).
    """
    videos = as_float_videos(videos, "motion_stats")
    if videos.shape[1] < 3:
        raise ValueError(f"motion_stats: need at least 3 frames, got {videos.shape[1]}.")
    threshold = 0.5 * videos.shape[3] / 64 if moving_threshold is None else moving_threshold
    centres = brightness_centres(videos)
    step = step_lengths(centres)                                        # (batch, T - 1)
    jerk = np.linalg.norm(np.diff(centres, n=2, axis=1), axis=-1)       # (batch, T - 2)
    per_clip = step.mean(axis=1)
    return {"mean_displacement": float(step.mean()),
            **{f"displacement_p{q}": float(np.percentile(per_clip, q))
               for q in (10, 25, 75, 90)},
            "jerk": float(jerk.mean()),
            "moving_share": float(np.mean(per_clip > threshold))}
