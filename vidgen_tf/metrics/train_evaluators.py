"""Train the evaluator networks and write them to ``vidgen_tf/weights/evaluators/``.

    python -m vidgen_tf.metrics.train_evaluators                 # all three, ~20 min on 2 cores
    python -m vidgen_tf.metrics.train_evaluators --only digit_classifier
    python -m vidgen_tf.metrics.train_evaluators --quick --out /tmp/evaluators   # a smoke run

Steps, all seeded (the same command on the same machine gives the same networks):

1. ``digit_classifier``: a ``DigitClassifier`` on single-digit frames and no-digit frames.
2. ``digit_features``: a ``VideoFeatureNet`` whose frame encoder is the classifier's (copied,
   frozen); its temporal part is trained on the moments of MovingDigits clips.
3. ``shape_features``: a frame classifier of shape, colour and size is trained on single-shape
   frames, then its encoder serves a ``VideoFeatureNet`` trained on BouncingShapes clips.

Frames and clips come from the train split, drawn at 64x64 and 32x32 (the networks work at
32x32). Accuracy is measured on the test split and recorded in the manifest with the weights'
SHA-256.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from vidgen_tf.metrics import evaluator_store
from vidgen_tf.metrics.evaluator_data import (DIGIT_HEADS, SHAPE_FRAME_HEADS, SHAPE_HEADS,
                                              classifier_frames, feature_clips, shape_frames)
from vidgen_tf.metrics.evaluators import (DigitClassifier, FrameAttributeClassifier,
                                          VideoFeatureNet)

INPUT_SIZE = 32
NUM_FRAMES = 16
SOURCE_SIZES = (64, 32)          # frames are drawn at both sizes and resized to INPUT_SIZE

# Full runs and --quick runs: (frame steps, frame batch) for the frame classifiers and
# (clips, epochs) for the temporal part of the feature networks.
PLANS = {"digit_classifier": (1600, 128), "shape_classifier": (1200, 128),
         "digit_features": (12000, 20), "shape_features": (12000, 20)}
QUICK = {"digit_classifier": (30, 32), "shape_classifier": (20, 32),
         "digit_features": (64, 2), "shape_features": (64, 2)}


def _optimizer(steps, rate=1e-3):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(1, steps),
                                                      alpha=0.02)
    return keras.optimizers.Adam(schedule)


def _to_float(x):
    return x.astype(np.float32) / 127.5 - 1.0


def model_input(frames_or_videos, size):
    """Resize float frames ``(N, H, W, C)`` or videos ``(N, T, H, W, C)`` to ``size`` exactly
    as the evaluators do (grey is left to the model)."""
    from vidgen_tf.metrics.evaluators import resize_frames

    x = np.asarray(frames_or_videos, np.float32)
    if x.shape[-3] == size and x.shape[-2] == size:
        return x
    flat = x.reshape((-1,) + x.shape[-3:])
    out = [np.asarray(resize_frames(flat[i:i + 1024], size, grey=False))
           for i in range(0, len(flat), 1024)]
    return np.concatenate(out).reshape(x.shape[:-3] + (size, size, x.shape[-1]))


def _fit_frames(model, parts, steps, batch, losses, seed, verbose):
    """Fit a frame classifier on ``[(frames, labels)]`` (one part per source size)."""
    import tensorflow as tf

    model.compile(optimizer=_optimizer(steps), loss=losses)
    datasets = [tf.data.Dataset.from_tensor_slices((model_input(_to_float(frames), INPUT_SIZE),
                                                    labels)).shuffle(len(frames), seed=seed)
                .repeat().batch(batch) for frames, labels in parts]
    mixed = tf.data.Dataset.sample_from_datasets(datasets, seed=seed).prefetch(2)
    start = time.perf_counter()
    model.fit(mixed, steps_per_epoch=steps, epochs=1, verbose=verbose)
    return time.perf_counter() - start


def evaluate_classifier(model, seed=0, count=2000):
    """Held-out accuracy of a ``DigitClassifier``: test-split digit frames (``count``) and
    no-digit frames (``count // 4``) at each source size."""
    metrics = {}
    for size in SOURCE_SIZES:
        frames, labels = classifier_frames(count, count // 4, size, seed, split="test")
        predicted = np.argmax(model.predict(_to_float(frames), batch_size=256, verbose=0), -1)
        digit = labels < 10
        metrics[f"digit_accuracy_{size}px"] = round(float(np.mean(predicted[digit] ==
                                                                  labels[digit])), 4)
        metrics[f"no_digit_accuracy_{size}px"] = round(float(np.mean(predicted[~digit] == 10)),
                                                       4)
    return metrics


def train_classifier(seed, quick=False):
    """Train the ``DigitClassifier``; return ``(model, metrics, details)``."""
    import tensorflow as tf

    from vidgen_tf.config import seed_everything

    steps, batch = (QUICK if quick else PLANS)["digit_classifier"]
    seed_everything(seed)
    per_size = steps * batch // (2 * 3) + 1           # about 3 passes over the frames
    parts = [classifier_frames(per_size, per_size // 4, size, seed + i)
             for i, size in enumerate(SOURCE_SIZES)]
    model = DigitClassifier(input_size=INPUT_SIZE, name="digit_classifier")
    seconds = _fit_frames(model, parts, steps, batch,
                          tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), seed,
                          2 if quick else 1)
    metrics = evaluate_classifier(model, seed, 200 if quick else 2000)
    details = {"steps": steps, "batch_size": batch, "seconds": round(seconds, 1),
               "train_frames": int(sum(len(p[1]) for p in parts)),
               "held_out": "test split: 2000 digit frames and 500 no-digit frames per size"}
    return model, metrics, details


def train_shape_encoder(seed, quick=False):
    """Train a shape/colour/size frame classifier; return ``(model, metrics, seconds)``."""
    import tensorflow as tf

    from vidgen_tf.config import seed_everything

    steps, batch = (QUICK if quick else PLANS)["shape_classifier"]
    seed_everything(seed)
    per_size = steps * batch // (2 * 3) + 1
    parts = [shape_frames(per_size, size, seed + i) for i, size in enumerate(SOURCE_SIZES)]
    model = FrameAttributeClassifier(SHAPE_FRAME_HEADS, channels=3, input_size=INPUT_SIZE,
                                     name="shape_classifier")
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    seconds = _fit_frames(model, parts, steps, batch, {h: loss for h in SHAPE_FRAME_HEADS},
                          seed, 2 if quick else 1)
    metrics = {}
    for size in SOURCE_SIZES:
        frames, labels = shape_frames(200 if quick else 2000, size, seed, split="test")
        outputs = model.predict(_to_float(frames), batch_size=256, verbose=0)
        for head in SHAPE_FRAME_HEADS:
            metrics[f"frame_{head}_{size}px"] = round(float(np.mean(
                np.argmax(outputs[head], -1) == labels[head])), 4)
    return model, metrics, seconds


def clip_moments(net, domain, count, seed, split):
    """Per-frame moments ``(count, T, D)`` and targets of clips drawn at both source sizes."""
    moments, targets = [], []
    chunk = 200
    for i, start in enumerate(range(0, count, chunk)):
        size = SOURCE_SIZES[i % len(SOURCE_SIZES)]
        videos, target = feature_clips(domain, min(chunk, count - start), size,
                                       seed=seed + i, split=split, num_frames=NUM_FRAMES)
        x = model_input(_to_float(videos), INPUT_SIZE)
        moments.append(np.concatenate([np.asarray(net.moments(x[j:j + 50]))
                                       for j in range(0, len(x), 50)]))
        targets.append(target)
    return np.concatenate(moments), {k: np.concatenate([t[k] for t in targets])
                                     for k in targets[0]}


def _head_losses(heads):
    import tensorflow as tf

    losses = {}
    for head in heads:
        if head == "count":
            losses[head] = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        elif head == "directions":
            losses[head] = tf.keras.losses.CategoricalCrossentropy(from_logits=True)
        elif head == "speed":
            losses[head] = tf.keras.losses.MeanSquaredError()
        else:
            losses[head] = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    return losses


def evaluate_feature_net(net, domain, seed=0, count=1000):
    """Held-out accuracy of a ``VideoFeatureNet`` on ``count`` test-split clips (half drawn
    at each source size): sets as exact matches (every member right), the dominant direction
    as top-1 accuracy, speed as mean absolute error in fractions of the speed range, the
    count as accuracy."""
    moments, targets = clip_moments(net, domain, count, seed, "test")
    outputs = {k: np.asarray(v) for k, v in net.heads_from_moments(moments).items()}
    metrics = {}
    for head, target in targets.items():
        out = outputs[head]
        if head == "count":
            value = np.mean(np.argmax(out, -1) == target)
        elif head == "directions":
            value = np.mean(np.argmax(out, -1) == np.argmax(target, -1))
        elif head == "speed":
            value = np.mean(np.abs(out[:, 0] - target))
        else:
            value = np.mean(np.all((out > 0) == (target > 0.5), axis=-1))
        name = {"directions": "dominant_direction", "speed": "speed_abs_error"}.get(head, head)
        metrics[name] = round(float(value), 4)
    return metrics


def train_feature_net(domain, encoder, seed, quick=False):
    """Train a ``VideoFeatureNet`` on ``"digits"`` or ``"shapes"`` on top of a trained
    ``FrameEncoder`` (copied and frozen); return ``(model, metrics, details)``."""
    import keras

    from vidgen_tf.config import seed_everything

    name = f"{domain[:-1]}_features"
    count, epochs = (QUICK if quick else PLANS)[name]
    heads = DIGIT_HEADS if domain == "digits" else SHAPE_HEADS
    seed_everything(seed)
    net = VideoFeatureNet(heads, channels=encoder.channels, input_size=INPUT_SIZE,
                          filters=encoder.filters, name=name)
    net(np.zeros((1, NUM_FRAMES, INPUT_SIZE, INPUT_SIZE, encoder.channels), np.float32))
    net.encoder.set_weights(encoder.get_weights())
    net.encoder.trainable = False
    start = time.perf_counter()
    moments, targets = clip_moments(net, domain, count, seed * 1000, "train")
    moment_seconds = time.perf_counter() - start
    inputs = keras.Input((None, net.encoder.moment_size))
    trainer = keras.Model(inputs, net.heads_from_moments(inputs))
    batch = 128 if not quick else 32
    steps = epochs * int(np.ceil(count / batch))
    trainer.compile(optimizer=_optimizer(steps), loss=_head_losses(heads))
    trainer.fit(moments, targets, batch_size=batch, epochs=epochs, shuffle=True,
                verbose=2 if quick else 1)
    seconds = time.perf_counter() - start
    metrics = evaluate_feature_net(net, domain, seed, 64 if quick else 1000)
    details = {"clips": count, "epochs": epochs, "batch_size": batch,
               "seconds": round(seconds, 1), "moment_seconds": round(moment_seconds, 1),
               "held_out": "test split: 1000 clips (half at 64x64, half at 32x32)"}
    return net, metrics, details


def save(model, name, metrics, details, folder, seed, input_shape, command=""):
    """Write ``name.weights.h5`` and its manifest entry (with SHA-256) into ``folder``."""
    import keras
    import tensorflow as tf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.weights.h5"
    model.save_weights(str(path))
    config = {k: v for k, v in model.get_config().items() if k not in ("trainable", "dtype")}
    evaluator_store.write_entry(folder, name, {
        "class": type(model).__name__,
        "config": config,
        "file": path.name,
        "sha256": evaluator_store.sha256(path),
        "input_shape": list(input_shape),
        "parameters": int(model.count_params()),
        "metrics": metrics,
        "training": dict(details, seed=seed, command=command, tensorflow=tf.__version__,
                         keras=keras.__version__),
    })
    return path


def train(names, folder, seed=0, quick=False, log=print, command=""):
    """Train the named evaluators into ``folder``; return ``{name: metrics}``.

    ``digit_features`` needs the digit classifier: the one trained in this run, else the one
    in ``folder``.
    """
    results = {}
    classifier = None
    for name in [n for n in evaluator_store.NAMES if n in names]:
        log(f"== training {name} ==")
        if name == "digit_classifier":
            model, metrics, details = train_classifier(seed, quick)
            classifier = model
            shape = (None, INPUT_SIZE, INPUT_SIZE, 1)
        elif name == "digit_features":
            classifier = classifier or evaluator_store.load_evaluator("digit_classifier",
                                                                      folder=folder)
            model, metrics, details = train_feature_net("digits", classifier.encoder, seed,
                                                        quick)
            shape = (None, NUM_FRAMES, INPUT_SIZE, INPUT_SIZE, 1)
        else:
            shapes, frame_metrics, frame_seconds = train_shape_encoder(seed, quick)
            model, metrics, details = train_feature_net("shapes", shapes.encoder, seed, quick)
            metrics.update(frame_metrics)
            details["seconds"] = round(details["seconds"] + frame_seconds, 1)
            details["frame_classifier_seconds"] = round(frame_seconds, 1)
            shape = (None, NUM_FRAMES, INPUT_SIZE, INPUT_SIZE, 3)
        path = save(model, name, metrics, details, folder, seed, shape, command)
        log(f"{name}: {metrics} ({details['seconds']} s) -> {path}")
        results[name] = metrics
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidgen_tf.metrics.train_evaluators")
    parser.add_argument("--out", default=str(evaluator_store.evaluator_dir()))
    parser.add_argument("--only", nargs="+", choices=evaluator_store.NAMES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a few steps (tests)")
    args = parser.parse_args(argv)
    command = " ".join(["python -m vidgen_tf.metrics.train_evaluators"] + list(
        sys.argv[1:] if argv is None else argv))
    train(args.only or evaluator_store.NAMES, args.out, args.seed, args.quick, command=command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
