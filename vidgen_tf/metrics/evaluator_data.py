"""Training data and targets of the evaluator networks (see ``evaluators``).

- ``classifier_frames``: single frames with their digit (0-9), and frames with no digit
  (class 10): noise, smooth blobs, near-blank frames, and digits cut into scrambled blocks
  (strokes that are not a digit), so that garbage from a generator is called garbage.
- ``digit_targets`` / ``shape_targets``: what ``VideoFeatureNet`` learns to predict from a clip:
  which digits (or which coloured shapes of which size) are in it, how many, the share of
  time spent moving in each direction, and how fast.
- ``shape_frames``: single-shape frames with shape, colour and size, to train the frame
  encoder of the shapes network first.

Videos are uint8 ``(batch, frames, height, width, channels)`` here, as the datasets give them.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from vidgen_tf.data import BouncingShapes, MovingDigits
from vidgen_tf.data.physics import direction_index
from vidgen_tf.data.bouncing_shapes import COLOR_NAMES, SHAPES
from vidgen_tf.metrics.evaluators import NOISE_CLASS

DIGIT_HEADS = {"digits": 10, "directions": 8, "speed": 1, "count": 3}
SHAPE_HEADS = {"shape_colors": len(SHAPES) * len(COLOR_NAMES), "shape_sizes": len(SHAPES) * 2,
               "directions": 8, "speed": 1, "count": 3}
SHAPE_FRAME_HEADS = {"shape": len(SHAPES), "color": len(COLOR_NAMES), "size": 2}


def _multi_hot(index, present, size):
    """``(N, size)`` float32 with ones at ``index[n, k]`` for present slots."""
    out = np.zeros((index.shape[0], size), np.float32)
    rows = np.repeat(np.arange(index.shape[0])[:, None], index.shape[1], axis=1)
    out[rows[present], index[present]] = 1.0
    return out


def _motion_targets(clips, speed_range):
    """Direction histogram ``(N, 8)`` over present objects and frames, and mean speed as a
    fraction of the dataset's speed range ``(N,)``."""
    present = clips["num_objects"][:, None] > np.arange(clips["velocities"].shape[2])[None]
    index = direction_index(clips["velocities"])                          # (N, T, K)
    weight = np.broadcast_to(present[:, None, :], index.shape)
    histogram = np.zeros((index.shape[0], 8), np.float32)
    rows = np.broadcast_to(np.arange(index.shape[0])[:, None, None], index.shape)
    np.add.at(histogram, (rows[weight], index[weight]), 1.0)
    histogram /= histogram.sum(axis=1, keepdims=True)
    low, high = speed_range
    speed = np.where(present, clips["speeds"], 0).sum(1) / clips["num_objects"]
    return histogram, ((speed - low) / max(high - low, 1e-6)).astype(np.float32)


def digit_targets(clips, speed_range):
    """Targets of a ``VideoFeatureNet`` on ``MovingDigits`` clips (a dict of labels).

    Returns:
        dict: ``digits`` (10, which digits appear), ``directions`` (8, the share of frames,
        over all digits, spent moving in each compass direction), ``speed`` (mean speed as a
        fraction of the speed range), ``count`` (int, number of digits - 1).
    """
    present = clips["digits"] >= 0
    directions, speed = _motion_targets(clips, speed_range)
    return {"digits": _multi_hot(np.where(present, clips["digits"], 0), present, 10),
            "directions": directions, "speed": speed,
            "count": (clips["num_objects"] - 1).astype(np.int32)}


def shape_targets(clips, speed_range):
    """Targets of a ``VideoFeatureNet`` on ``BouncingShapes`` clips: shape x colour and
    shape x size sets, the direction histogram, the mean speed, and the count."""
    present = clips["shapes"] >= 0
    shape = np.where(present, clips["shapes"], 0)
    directions, speed = _motion_targets(clips, speed_range)
    return {
        "shape_colors": _multi_hot(shape * len(COLOR_NAMES) + np.maximum(clips["colors"], 0),
                                   present, SHAPE_HEADS["shape_colors"]),
        "shape_sizes": _multi_hot(shape * 2 + np.maximum(clips["sizes"], 0), present,
                                  SHAPE_HEADS["shape_sizes"]),
        "directions": directions, "speed": speed,
        "count": (clips["num_objects"] - 1).astype(np.int32),
    }


def feature_clips(domain, num_clips, image_size, seed, split="train", num_frames=16):
    """Clips and targets for a ``VideoFeatureNet`` of ``domain`` (``"digits"``/``"shapes"``).

    Returns:
        ``(videos uint8 (N, T, S, S, C), targets dict)``.
    """
    if domain == "digits":
        source = MovingDigits(num_frames=num_frames, image_size=image_size, seed=seed,
                              split=split)
        clips = source.generate(num_clips)
        return clips["video"], digit_targets(clips, source.speed_range)
    if domain == "shapes":
        source = BouncingShapes(num_frames=num_frames, image_size=image_size, seed=seed,
                                split=split)
        clips = source.generate(num_clips)
        return clips["video"], shape_targets(clips, source.speed_range)
    raise ValueError(f"Unknown evaluator domain {domain!r}; use 'digits' or 'shapes'.")


def shape_frames(count, image_size, seed, split="train"):
    """Single-shape frames and their ``shape``, ``color`` and ``size`` labels, for the frame
    encoder of the shapes ``VideoFeatureNet``."""
    clips = BouncingShapes(num_frames=1, image_size=image_size, num_shapes=1, seed=seed,
                           split=split).generate(count)
    return clips["video"][:, 0], {"shape": clips["shapes"][:, 0], "color": clips["colors"][:, 0],
                                  "size": clips["sizes"][:, 0]}


def no_digit_frames(rng, count, size):
    """Frames with no digit: uint8 ``(count, size, size, 1)``, four kinds in equal shares.

    Kinds: Gaussian noise of random mean and spread; smooth white blobs; near-blank frames;
    digits cut into 4x4 blocks and shuffled (strokes without a digit).
    """
    if size % 4:
        raise ValueError(f"no_digit_frames: size must be a multiple of 4, got {size}.")
    kind = rng.integers(0, 4, size=count)
    frames = np.zeros((count, size, size), np.float32)
    n = np.sum(kind == 0)
    frames[kind == 0] = rng.normal(rng.uniform(-1, 0.3, (n, 1, 1)), rng.uniform(0.1, 0.9,
                                                                               (n, 1, 1)),
                                   size=(n, size, size))
    n = np.sum(kind == 1)
    smooth = ndimage.gaussian_filter(rng.normal(size=(n, size, size)), (0, size / 16, size / 16))
    flat = np.sort(smooth.reshape(n, -1), axis=1)         # blobs cover 3% to 25% of a frame
    cut = (rng.uniform(0.75, 0.97, n) * (flat.shape[1] - 1)).astype(np.int64)
    threshold = flat[np.arange(n), cut][:, None, None]
    frames[kind == 1] = np.where(smooth > threshold, 1.0, -1.0)
    n = np.sum(kind == 2)
    frames[kind == 2] = -1.0 + np.abs(rng.normal(0, rng.uniform(0.0, 0.1, (n, 1, 1)),
                                                 size=(n, size, size)))
    n = int(np.sum(kind == 3))
    if n:
        digits = MovingDigits(num_frames=1, image_size=size, num_digits=1,
                              seed=int(rng.integers(1 << 30))).generate(n)["video"][:, 0, ..., 0]
        blocks = size // 4
        tiles = digits.reshape(n, 4, blocks, 4, blocks).transpose(0, 1, 3, 2, 4).reshape(
            n, 16, blocks, blocks)
        order = np.argsort(rng.random((n, 16)), axis=1)
        tiles = np.take_along_axis(tiles, order[:, :, None, None], axis=1)
        scrambled = tiles.reshape(n, 4, 4, blocks, blocks).transpose(0, 1, 3, 2, 4).reshape(
            n, size, size)
        frames[kind == 3] = scrambled.astype(np.float32) / 127.5 - 1.0
    return np.round((np.clip(frames, -1, 1) + 1) * 127.5).astype(np.uint8)[..., None]


def classifier_frames(num_digit_frames, num_noise_frames, image_size, seed, split="train",
                      noise_share=0.25):
    """Frames and labels for the ``DigitClassifier``.

    Args:
        num_digit_frames: int. Single-digit frames (first frames of one-digit MovingDigits clips).
        num_noise_frames: int. Frames of class 10 (``no_digit_frames``).
        image_size: int. Frame size.
        seed: int.
        split: the MovingDigits split of the digit frames.
        noise_share: float. Share of digit frames given mild Gaussian noise (sigma up to
            0.15), so that a slightly noisy digit is still a digit.

    Returns:
        ``(frames uint8 (N, S, S, 1), labels int32 (N,))``, shuffled.
    """
    rng = np.random.default_rng([seed, image_size, len(split)])
    clips = MovingDigits(num_frames=1, image_size=image_size, num_digits=1, seed=seed,
                         split=split).generate(num_digit_frames)
    digits = clips["video"][:, 0].astype(np.float32) / 127.5 - 1.0
    noisy = rng.random(num_digit_frames) < noise_share
    digits[noisy] += rng.normal(0, rng.uniform(0.02, 0.15, (noisy.sum(), 1, 1, 1)),
                                size=digits[noisy].shape)
    digits = np.round((np.clip(digits, -1, 1) + 1) * 127.5).astype(np.uint8)
    frames = np.concatenate([digits, no_digit_frames(rng, num_noise_frames, image_size)])
    labels = np.concatenate([clips["digits"][:, 0],
                             np.full(num_noise_frames, NOISE_CLASS)]).astype(np.int32)
    order = rng.permutation(len(labels))
    return frames[order], labels[order]
