"""Train the evaluator networks and write them to ``data/evaluators/``.

    python -m vidgen_tf.metrics.train_evaluators                 # all three, ~15 min on 2 cores
    python -m vidgen_tf.metrics.train_evaluators --only digit_classifier
    python -m vidgen_tf.metrics.train_evaluators --quick --out /tmp/evaluators   # a smoke run

Seeded: the same command on the same machine gives the same networks. Training clips are
fresh from the train split of the embedded datasets (the networks never see a clip twice);
accuracy is measured on the test split and recorded in the manifest with the weights' SHA-256.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from vidgen_tf.metrics import evaluator_store
from vidgen_tf.metrics.evaluator_data import (DIGIT_HEADS, SHAPE_HEADS, classifier_frames,
                                              feature_clips)
from vidgen_tf.metrics.evaluators import DigitClassifier, VideoFeatureNet

INPUT_SIZE = 32
NUM_FRAMES = 16
SOURCE_SIZES = (64, 32)          # frames are drawn at both sizes and resized to INPUT_SIZE

PLANS = {
    # name: (steps, batch_size) of the full run
    "digit_classifier": (2400, 128),
    "digit_features": (1500, 48),
    "shape_features": (1500, 48),
}
QUICK = {"digit_classifier": (30, 32), "digit_features": (8, 8), "shape_features": (8, 8)}


def _optimizer(steps):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=max(1, steps),
                                                      alpha=0.02)
    return keras.optimizers.Adam(schedule)


def _to_float(x):
    return x.astype(np.float32) / 127.5 - 1.0


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
    model.compile(optimizer=_optimizer(steps),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    datasets = []
    for frames, labels in parts:
        frames = model_input(_to_float(frames), INPUT_SIZE)
        datasets.append(tf.data.Dataset.from_tensor_slices((frames, labels)).shuffle(
            len(labels), seed=seed).repeat().batch(batch))
    mixed = tf.data.Dataset.sample_from_datasets(datasets, seed=seed).prefetch(2)
    start = time.perf_counter()
    model.fit(mixed, steps_per_epoch=steps, epochs=1, verbose=2 if quick else 1)
    seconds = time.perf_counter() - start
    metrics = {}
    for size in SOURCE_SIZES:
        count = 200 if quick else 2000
        frames, labels = classifier_frames(count, count // 4, size, seed, split="test")
        predicted = np.argmax(model.predict(_to_float(frames), batch_size=256, verbose=0), -1)
        digit = labels < 10
        metrics[f"digit_accuracy_{size}px"] = round(float(np.mean(predicted[digit] ==
                                                                  labels[digit])), 4)
        metrics[f"no_digit_accuracy_{size}px"] = round(float(np.mean(predicted[~digit] == 10)),
                                                       4)
    details = {"steps": steps, "batch_size": batch, "seconds": round(seconds, 1),
               "train_frames": int(sum(len(p[1]) for p in parts)),
               "held_out": "test split: 2000 digit frames and 500 no-digit frames per size"}
    return model, metrics, details


def model_input(frames_or_videos, size):
    """Resize float frames ``(N, H, W, C)`` or videos ``(N, T, H, W, C)`` to ``size`` exactly
    as the evaluators do (grey is left to the model)."""
    from keras import ops

    x = np.asarray(frames_or_videos, np.float32)
    if x.shape[-3] == size and x.shape[-2] == size:
        return x
    flat = x.reshape((-1,) + x.shape[-3:])
    out = []
    for i in range(0, len(flat), 1024):
        out.append(np.asarray(ops.image.resize(flat[i:i + 1024], (size, size),
                                               interpolation="bilinear", antialias=True)))
    return np.concatenate(out).reshape(x.shape[:-3] + (size, size, x.shape[-1]))


def _feature_stream(domain, batch, seed):
    """Endless batches ``(videos, targets)`` of fresh train clips, alternating source sizes."""
    index = 0
    while True:
        size = SOURCE_SIZES[index % len(SOURCE_SIZES)]
        videos, targets = feature_clips(domain, batch, size, seed=seed + index,
                                        num_frames=NUM_FRAMES)
        yield model_input(_to_float(videos), INPUT_SIZE), targets
        index += 1


def _exact_set_accuracy(logits, targets):
    return float(np.mean(np.all((logits > 0) == (targets > 0.5), axis=-1)))


def train_feature_net(domain, seed, quick=False):
    """Train a ``VideoFeatureNet`` on ``"digits"`` or ``"shapes"``; return ``(model, metrics,
    details)``."""
    import tensorflow as tf

    from vidgen_tf.config import seed_everything

    name = f"{domain[:-1]}_features"
    steps, batch = (QUICK if quick else PLANS)[name]
    heads = DIGIT_HEADS if domain == "digits" else SHAPE_HEADS
    channels = 1 if domain == "digits" else 3
    seed_everything(seed)
    model = VideoFeatureNet(heads, channels=channels, input_size=INPUT_SIZE, name=name)
    losses = {h: (tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True) if
                  h == "count" else tf.keras.losses.BinaryCrossentropy(from_logits=True))
              for h in heads}
    model.compile(optimizer=_optimizer(steps), loss=losses)
    signature = (tf.TensorSpec((None, NUM_FRAMES, INPUT_SIZE, INPUT_SIZE, channels), tf.float32),
                 {h: tf.TensorSpec((None,) if h == "count" else (None, units),
                                   tf.int32 if h == "count" else tf.float32)
                  for h, units in heads.items()})
    stream = tf.data.Dataset.from_generator(lambda: _feature_stream(domain, batch, seed * 1000),
                                            output_signature=signature).prefetch(2)
    start = time.perf_counter()
    model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=2 if quick else 1)
    seconds = time.perf_counter() - start
    metrics = {}
    for size in SOURCE_SIZES:
        count = 64 if quick else 1000
        videos, targets = feature_clips(domain, count, size, seed=seed, split="test",
                                        num_frames=NUM_FRAMES)
        outputs = model.predict(model_input(_to_float(videos), INPUT_SIZE), batch_size=64,
                                verbose=0)
        for head in heads:
            if head == "count":
                value = np.mean(np.argmax(outputs[head], -1) == targets[head])
            else:
                value = _exact_set_accuracy(outputs[head], targets[head])
            metrics[f"{head}_{size}px"] = round(float(value), 4)
    details = {"steps": steps, "batch_size": batch, "seconds": round(seconds, 1),
               "train_clips": steps * batch,
               "held_out": "test split: 1000 clips per size; multi-hot heads scored as exact "
                           "sets (every bit right), count as accuracy"}
    return model, metrics, details


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
    """Train the named evaluators into ``folder``; return ``{name: metrics}``."""
    results = {}
    for name in names:
        log(f"== training {name} ==")
        if name == "digit_classifier":
            model, metrics, details = train_classifier(seed, quick)
            shape = (None, INPUT_SIZE, INPUT_SIZE, 1)
        else:
            domain = "digits" if name == "digit_features" else "shapes"
            model, metrics, details = train_feature_net(domain, seed, quick)
            shape = (None, NUM_FRAMES, INPUT_SIZE, INPUT_SIZE, 1 if domain == "digits" else 3)
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
