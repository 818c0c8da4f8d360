"""The ``convlstm`` and ``simvp`` recipes: predict frames 11-20 of two moving digits from
frames 1-10 (lesson 04).

The task is Moving-MNIST's: 20-frame clips of two digits at 64x64 from ``MovingDigits`` (the
smoke profile: 8 frames at 32x32, 4 given and 4 predicted), a fresh stream for training and
the ``test`` split for scoring. ``evaluate`` scores 256 held-out clips per horizon step
(``metrics.prediction``) beside the baselines (copy the last frame, a black frame, the mean
training frame) and, at 64x64, the upper bound of lesson 01's VAE reconstructing the true
future; it measures whether the digits can still be read at horizon 5, and the flicker.
``evaluate_moving_mnist`` runs the same scores on the published ``mnist_test_seq.npy``.

How the recipes were chosen (256 held-out clips; baselines: copy the last frame SSIM 0.561 /
per-pixel MSE 0.390, a black frame 0.685 / 0.279, the mean training frame 0.107 / 0.228):

- Five-minute pilots on an AVX2 EPYC (matmul peak about 90 GFLOP/s), 128 clips: SimVP, batch
  16, 330 steps, SSIM 0.442 / MSE 0.194; ConvLSTM, batch 16, 0.540 / 0.212; SimVP, batch 8,
  with ``saturate`` 0.607 / 0.205 and without 0.422 / 0.210; the same with a peak learning
  rate of 5e-3, 0.574 / 0.200; a ConvLSTM at batch 8 with ``saturate`` collapsed to black
  (0.687 / 0.274). ``saturate`` stays (the background exactly black is worth 0.2 SSIM).
- On an AVX-512 EPYC (matmul peak 361 GFLOP/s) a step takes 0.26 s (SimVP) and 0.27 s
  (ConvLSTM) at batch 16: the cpu profile's 3600 and 3200 steps are about a quarter of an
  hour each there (927 s and 868 s in the benchmark runs of 2026-12-02), several times longer
  on the AVX2 machine. SimVP: SSIM 0.710, MSE 0.130, readability at horizon 5 0.18;
  ConvLSTM: 0.657, 0.166, 0.11 (``benchmarks/results.md``).
"""

from __future__ import annotations

import functools

import numpy as np

from vidgen_tf.training.recipes import Recipe, register, synthetic_stream, warmup_cosine_adam


def task(profile):
    """``(context_frames, future_frames, image_size)`` of the profile."""
    return profile.pick(smoke=(4, 4, 32), cpu=(10, 10, 64), gpu=(10, 10, 64))


def source(profile, split, seed=0):
    """Two moving digits, ``context + future`` frames, at the task's size."""
    from vidgen_tf.data import MovingDigits

    c, f, size = task(profile)
    return MovingDigits(num_frames=c + f, image_size=size, num_digits=2, seed=seed,
                        split=split)


def _batch_size(profile):
    return profile.pick(smoke=4, cpu=16, gpu=32)


def _steps(kind, profile):
    return profile.pick(smoke=4, cpu={"convlstm": 3200, "simvp": 3600}[kind],
                        gpu={"convlstm": 50000, "simvp": 50000}[kind])


def build(kind, profile, steps=None, flow_weight=0.0):
    """The ``kind`` predictor (``"convlstm"`` or ``"simvp"``) at ``profile``, compiled with
    its schedule over ``steps`` (default: the recipe's); ``flow_weight``: the weight of the
    temporal-consistency term (``benchmark prediction-flow``; the recipes train without)."""
    from vidgen_tf.models.prediction import ConvLSTMPredictor, SimVPPredictor

    c, f, size = task(profile)
    steps = steps or _steps(kind, profile)
    frame = (size, size, 1)
    if kind == "convlstm":
        model = ConvLSTMPredictor(
            frame, c, f, filters=profile.pick(smoke=(8, 8), cpu=(32, 32), gpu=(64, 64)),
            kernel_size=profile.pick(smoke=3, cpu=3, gpu=5), patch=4,
            # OpenSTL: from teacher forcing to free running over the first 40 % of training
            sampling_steps=int(0.4 * steps), l1_weight=1.0, saturate=True,
            flow_weight=flow_weight)
    else:
        model = SimVPPredictor(frame, c, f, **profile.pick(
            smoke=dict(skip_width=8, hidden=8, translator_width=16, translator_blocks=1),
            cpu=dict(skip_width=16, hidden=32, translator_width=128, translator_blocks=4),
            gpu=dict(skip_width=32, hidden=64, translator_width=256, translator_blocks=6)),
            l1_weight=1.0, saturate=True, flow_weight=flow_weight)
    model.compile(optimizer=warmup_cosine_adam(steps, profile.pick(smoke=1e-3, cpu=2e-3,
                                                                    gpu=1e-3)),
                  jit_compile=profile.jit_compile)
    model.optimizer.build(model.trainable_variables)
    return model


def data(profile, first_step=0):
    return synthetic_stream(source(profile, "train"), _batch_size(profile), first_step)


def held_out(profile, count=None):
    """``(clips (N, C + F, H, W, 1) float, generated dict)`` of the ``test`` split."""
    from vidgen_tf.data import to_float

    count = count or profile.pick(smoke=8, cpu=256, gpu=256)
    generated = source(profile, "test").generate(count)
    return np.asarray(to_float(generated["video"])), generated


def mean_frame(profile, count=256):
    """The mean frame of ``count`` training clips ``(H, W, 1)`` (the mean-frame baseline)."""
    from vidgen_tf.data import to_float

    clips = np.asarray(to_float(source(profile, "train", seed=1).generate(count)["video"]))
    return clips.mean(axis=(0, 1))


def forecast_in_batches(model, context, batch_size=32):
    """``model.forecast`` over ``context`` in batches: ``(N, F, H, W, ch)`` float32."""
    return np.concatenate([np.asarray(model.forecast(context[i:i + batch_size]))
                           for i in range(0, len(context), batch_size)])


VAE_BOUND = "lesson 01 VAE, reconstructing the future"


def vae_bound(future_window):
    """Lesson 01's VAE reconstructing the true future: the last ``F`` frames of its
    reconstruction of the ``T``-frame window that ends with them (``T`` = the VAE's clip
    length). An upper bound (it sees the answer), not a predictor; ``None`` when the VAE's
    frame size differs from the task's."""
    from vidgen_tf.training.references import load_reference

    vae, _ = load_reference("vae")
    t = vae.data_shape[0]
    if tuple(vae.data_shape[1:]) != tuple(future_window.shape[2:]) or \
            future_window.shape[1] < t:
        return None
    window = future_window[:, -t:]
    recon = np.concatenate([np.asarray(vae.reconstruct(window[i:i + 32]))
                            for i in range(0, len(window), 32)])
    return recon


def monitor(model, profile):
    """Four held-out clips: the true future above the predicted one."""
    clips, _ = held_out(profile, 4)
    c = model.context_frames
    return np.concatenate([clips[:, c:], forecast_in_batches(model, clips[:, :c])])


def score_clips(model, clips, mean, positions=None, digits=None, vae=True):
    """Per-horizon scores of ``model`` on ``clips`` beside the baselines (the evaluation of
    ``evaluate`` and ``evaluate_moving_mnist``).

    Args:
        model: a predictor (``context_frames``, ``future_frames``, ``forecast``).
        clips: ``(N, >= C + F, H, W, 1)`` float in ``[-1, 1]``; frames ``C+1 .. C+F`` are the
            future scored.
        mean: ``(H, W, 1)``, the mean training frame (the mean-frame baseline).
        positions, digits: ``(N, C + F, K, 2)`` and ``(N, K)``, the digits' centres and
            classes (MovingDigits'): with them, the readability at horizon 5 is measured.
        vae: bool. Add lesson 01's VAE reconstructing the true future (an upper bound) where
            its frame size fits.

    Returns:
        dict: ``model`` and ``baselines`` (name -> ``horizon_scores`` with lists per step),
        ``best_baseline`` (score -> [name, value], over the predictors only: not the VAE's
        bound), ``flicker``, ``heldout_clips`` and, with ``positions``,
        ``readability_horizon`` and ``readability``.
    """
    from vidgen_tf.metrics.prediction import (baseline_predictions, best_baseline,
                                              digit_readability, flicker, horizon_scores)

    c, f = model.context_frames, model.future_frames
    clips = np.asarray(clips, np.float32)[:, :c + f]
    if clips.shape[1] != c + f:
        raise ValueError(f"score_clips: the clips must have at least {c} + {f} frames (given "
                         f"and predicted), got {clips.shape[1]}.")
    context, future = clips[:, :c], clips[:, c:]
    predicted = forecast_in_batches(model, context)
    predictions = baseline_predictions(context, f, mean)
    bound = vae_bound(clips) if vae else None
    if bound is not None:
        predictions[VAE_BOUND] = bound[:, -f:]

    def listed(scores):
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in scores.items()}

    baselines = {name: horizon_scores(p, future) for name, p in predictions.items()}
    real_baselines = {n: s for n, s in baselines.items() if n != VAE_BOUND}
    out = {
        "heldout_clips": len(clips),
        "model": listed(horizon_scores(predicted, future)),
        "baselines": {name: listed(s) for name, s in baselines.items()},
        "best_baseline": {k: list(v) for k, v in best_baseline(real_baselines).items()},
        "flicker": flicker(predicted, future, context[:, -1]),
    }
    if positions is not None:
        horizon = min(5, f)
        out["readability_horizon"] = horizon
        out["readability"] = digit_readability(predicted[:, horizon - 1],
                                               future[:, horizon - 1],
                                               np.asarray(positions)[:, c + horizon - 1],
                                               digits)
    return out


def evaluate(model, profile):
    """Per-horizon scores of the model and of the baselines on the profile's held-out clips
    (``score_clips``), the digits' readability at horizon 5 and the flicker."""
    clips, generated = held_out(profile)
    return score_clips(model, clips, mean_frame(profile), generated["positions"],
                       generated["digits"], vae=profile.name != "smoke")


def evaluate_moving_mnist(model, path, count=256, profile="cpu", vae=True):
    """The same scores on the published Moving MNIST test set (``mnist_test_seq.npy``, read by
    ``data.load_moving_mnist_test_seq``): its first ``count`` clips; no readability (the file
    holds no digit positions). The mean-frame baseline is ``profile``'s training mean; ``vae``
    as in ``score_clips``.

    Raises:
        MNISTUnavailableError: no file at ``path``.
        ValueError: the file's clips are not the model's size or are too short.
    """
    from vidgen_tf.config import get_profile
    from vidgen_tf.data import load_moving_mnist_test_seq, to_float

    clips = load_moving_mnist_test_seq(path)[:count]
    need = (model.context_frames + model.future_frames,) + tuple(model.frame_shape)
    if clips.shape[1] < need[0] or tuple(clips.shape[2:]) != need[1:]:
        raise ValueError(f"{path!r}: the model predicts clips of {need[0]} frames of "
                         f"{need[1:]}, the file holds {clips.shape[1]} frames of "
                         f"{tuple(clips.shape[2:])}.")
    profile = get_profile(profile) if isinstance(profile, str) else profile
    return score_clips(model, np.asarray(to_float(clips)), mean_frame(profile), vae=vae)


def bar_scores(scores):
    """The numbers lesson 04's bars read, flat, from ``evaluate``'s scores: the model's
    ``<score>_mean`` over the horizon steps (``ssim_mean``, ``mse_mean``, ...),
    ``readability_ratio`` (where measured), ``flicker_ratio`` and the best baseline's
    ``best_baseline_mse`` and ``best_baseline_ssim``."""
    flat = {k: v for k, v in scores["model"].items() if k.endswith("_mean")}
    if "readability" in scores:               # not on the published test set: no positions
        flat["readability_ratio"] = scores["readability"]["ratio"]
    flat["flicker_ratio"] = scores["flicker"]["ratio"]
    flat["best_baseline_mse"] = scores["best_baseline"]["mse"][1]
    flat["best_baseline_ssim"] = scores["best_baseline"]["ssim"][1]
    return flat


for _kind, _what in (("convlstm", "a ConvLSTM predictor (fused cells on 4x4 patches, "
                                  "scheduled sampling)"),
                     ("simvp", "a SimVP predictor (per-frame encoder, translator over "
                               "stacked time, decoder with a skip)")):
    register(Recipe(
        name=_kind,
        description=f"{_what}: frames 11-20 of two moving digits from frames 1-10 "
                    f"(lesson 04)",
        build=functools.partial(build, _kind), data=data,
        steps=functools.partial(_steps, _kind),
        steps_per_epoch=lambda p: p.pick(smoke=2, cpu=100, gpu=1000),
        batch_size=_batch_size, monitor=monitor, evaluate=evaluate))
