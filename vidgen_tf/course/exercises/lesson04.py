"""Exercises of lesson 04, video prediction."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise
from vidgen_tf.metrics.prediction import baseline_predictions, horizon_scores
from vidgen_tf.models.prediction import sampling_rate, scheduled_input


@exercise("4.2", "convlstm_step(x, h, c, kernel, bias)",
          reimplements="vidgen_tf.layers.recurrent.ConvLSTMCell.call")
def check_convlstm_step(answer, rng):
    """The student's fused step, unrolled, against Keras' ConvLSTM2D with the same weights
    repacked (its input and recurrent kernels stacked along the input channels)."""
    import keras

    trials = 3
    for _ in range(trials):
        b, t = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        h_, w_ = int(rng.integers(3, 7)), int(rng.integers(3, 7))
        cin, f, k = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.choice([1, 3]))
        x = rng.normal(size=(b, t, h_, w_, cin)).astype(np.float32)
        reference = keras.layers.ConvLSTM2D(f, k, padding="same", return_sequences=True)
        reference.build(x.shape)
        weights = [rng.normal(size=tuple(v.shape)).astype(np.float32) * 0.5
                   for v in reference.weights]
        reference.set_weights(weights)
        expected = np.asarray(reference(x), np.float64)
        kernel = np.concatenate([weights[0], weights[1]], axis=2)
        h = np.zeros((b, h_, w_, f), np.float32)
        c = np.zeros_like(h)
        states = []
        for step in range(t):
            got = answer(x[:, step].copy(), h, c, kernel.copy(), weights[2].copy())
            if not isinstance(got, tuple) or len(got) != 2:
                raise AssertionError(f"convlstm_step must return (h_new, c_new), got "
                                     f"{type(got).__name__}.")
            h, c = (np.asarray(v, np.float32) for v in got)
            states.append(h)
        # float32 sums of up to 63 products per gate, in another order than Keras', over
        # up to 3 steps
        compare("convlstm_step's h", np.stack(states, axis=1).astype(np.float64), expected,
                f"{b} clips of {t} frames {h_}x{w_}x{cin}, {f} filters, kernel {k}",
                rtol=1e-4, atol=1e-5)
    return (f"convlstm_step, unrolled, equals keras.layers.ConvLSTM2D(padding='same') with "
            f"its weights repacked, on {trials} random cells.")


@exercise("4.3", "next_input(predicted, truth, coins, step, sampling_steps)",
          reimplements=("vidgen_tf.models.prediction.scheduled_input",
                        "vidgen_tf.models.prediction.sampling_rate"))
def check_next_input(answer, rng):
    trials = 40
    for trial in range(trials):
        b = int(rng.integers(1, 6))
        shape = (b, int(rng.integers(1, 5)), int(rng.integers(1, 5)), 1)
        predicted = rng.normal(size=shape).astype(np.float32)
        truth = rng.normal(size=shape).astype(np.float32)
        coins = rng.uniform(size=b).astype(np.float32)
        sampling_steps = int(rng.choice([0, 10, 100]))
        step = int(rng.integers(0, 150))
        if trial == 0:                                    # a coin exactly at eta: not fed
            sampling_steps, step, coins[0] = 10, 5, 0.5
        eta = float(sampling_rate(step, sampling_steps))
        expected = np.asarray(scheduled_input(predicted, truth, coins, eta))
        got = answer(predicted.copy(), truth.copy(), coins.copy(), step, sampling_steps)
        compare("next_input", np.asarray(got), expected,
                f"step {step} of sampling_steps {sampling_steps} (eta {eta:.2f}), coins "
                f"{np.round(coins, 2).tolist()}", rtol=0, atol=0)
    return (f"next_input feeds the truth exactly when a clip's coin is below eta, on {trials} "
            f"random batches and schedules.")


@exercise("4.1", "horizon_mse(context, future, predicted)",
          reimplements="vidgen_tf.metrics.prediction.horizon_scores")
def check_horizon_mse(answer, rng):
    trials = 10
    for _ in range(trials):
        b, c, f = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
        size = int(rng.integers(2, 9))
        context = rng.uniform(-1, 1, (b, c, size, size, 1)).astype(np.float32)
        future = rng.uniform(-1, 1, (b, f, size, size, 1)).astype(np.float32)
        predicted = rng.uniform(-1.3, 1.3, (b, f, size, size, 1)).astype(np.float32)
        got = answer(context.copy(), future.copy(), predicted.copy())
        if not isinstance(got, dict) or set(got) != {"model", "copy last frame"}:
            raise AssertionError(f"horizon_mse must return a dict with the keys 'model' and "
                                 f"'copy last frame', got {got!r:.80}.")
        last = baseline_predictions(context, f)["copy last frame"]
        where = f"{b} clips, {c} given frames, {f} predicted, {size}x{size}"
        for key, clips in (("model", predicted), ("copy last frame", last)):
            # float64 means of at most 4 * 64 squares
            compare(f"horizon_mse[{key!r}]", np.asarray(got[key], np.float64),
                    horizon_scores(clips, future)["mse"], where, rtol=1e-5, atol=1e-7)
    return (f"horizon_mse gives the per-step MSE of the prediction (clipped to [-1, 1]) and of "
            f"copying the last frame, as vidgen_tf.metrics.prediction.horizon_scores, on "
            f"{trials} random cases.")
