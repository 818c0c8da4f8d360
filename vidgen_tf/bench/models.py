"""Model benchmarks: each lesson's model trained by its recipe at the cpu profile for the
recipe's steps (the quality bars hold for those steps, whatever the machine; the time it took
is reported beside them), scored with the evaluation kit, and its train step timed compiled
(as ``fit`` runs it) and eagerly (a plain ``tf.GradientTape`` loop running the same
``train_step`` op by op), with its FLOPs counted from the traced graph and the GFLOP/s it
reaches beside the machine's matmul peak (``vidgen_tf.bench.flops``).

``train-steps`` builds every recipe at the cpu and the gpu profile's sizes (on the CPU, float32,
no XLA) and reports parameters, FLOPs and the time of a train step, without training.

The run folders go to ``runs/bench-NAME`` (ignored by git), so a benchmark can be inspected
and its samples viewed with ``python -m vidgen_tf sample runs/bench-NAME``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import numpy as np

from vidgen_tf.bench import benchmark

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def time_train_step(model, batch, steps=10, warmup=2, eager=True):
    """Seconds per step of ``model``'s train step, compiled and eager.

    Compiled: ``train_on_batch`` (the ``tf.function`` that ``fit`` uses). Eager:
    ``model.train_step(batch)`` called directly, every op dispatched from Python. The mean over
    ``steps`` (make it a multiple of a GAN's ``r1_every``, so that the lazy R1 steps count as
    often as in training).

    Returns:
        ``(compiled_seconds, eager_seconds)`` means per step (eager None without ``eager``).
    """
    import tensorflow as tf

    def timed(step):
        for _ in range(warmup):
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - start) / steps

    compiled = timed(lambda: model.train_on_batch(batch))
    if not eager:
        return compiled, None
    tensors = tf.nest.map_structure(tf.convert_to_tensor, batch)
    return compiled, timed(lambda: model.train_step(tensors))


def mean_step_flops(model, batch):
    """FLOPs of an average train step: the graph's, plus its conditional branches weighed by
    how often they run. The only conditional of the course's train steps is a GAN's lazy R1
    penalty, due every ``r1_every`` steps: all branches are weighed by ``1 / r1_every`` when
    the model has an R1 penalty, and counted in full otherwise."""
    from vidgen_tf.bench.flops import train_step_flops

    counted = train_step_flops(model, batch)
    every = getattr(model, "r1_every", 1) if getattr(model, "r1_gamma", 0) else 1
    share = 1.0 / max(1, int(every))
    return counted["always"] + share * sum(counted["branches"].values()), counted


def _first_batch(recipe, profile):
    batch = next(iter(recipe.data(profile, first_step=0)))      # videos, or a dict of arrays
    return {k: np.asarray(v) for k, v in batch.items()} if isinstance(batch, dict) else (
        np.asarray(batch))


def _run(name, quick):
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.recipes import get_recipe
    from vidgen_tf.training.run import train

    recipe = get_recipe(name)
    profile = get_profile("smoke" if quick else "cpu")
    if quick:
        out = os.path.join(tempfile.mkdtemp(prefix="vidgen-bench-"), name)
    else:
        out = os.path.join(REPO, "runs", f"bench-{name}")
        shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    model, metrics = train(recipe, profile, out, verbose=2)
    seconds = time.perf_counter() - start
    batch = _first_batch(recipe, profile)
    compiled, eager = time_train_step(model, batch, steps=4 if quick else 12)
    flops, _ = mean_step_flops(model, batch)
    return model, metrics, seconds, (compiled, eager, flops), profile


def _timing_metrics(metrics, seconds, timing):
    from vidgen_tf.bench.flops import matmul_peak_gflops

    compiled, eager, flops = timing
    achieved = flops / compiled / 1e9
    peak = matmul_peak_gflops()
    return {"training steps": metrics["steps"],
            "training time (s)": round(metrics["train_seconds_this_session"], 1),
            "steps/s in fit": metrics["steps_per_second"],
            "compiled step (ms)": round(1000 * compiled, 1),
            "eager GradientTape step (ms)": round(1000 * eager, 1),
            "eager / compiled": round(eager / compiled, 2),
            "GFLOP per step": round(flops / 1e9, 3),
            "GFLOP/s (compiled step)": round(achieved, 1),
            "matmul peak GFLOP/s": round(peak, 1),
            "share of the matmul peak": round(achieved / peak, 3),
            "run incl. evaluation (s)": round(seconds, 1)}


@benchmark("vae", "Lesson 01: VideoVAE on two moving digits, 64x64, 16 frames (recipe 'vae', "
                  "cpu profile, the recipe's 1800 steps)")
def vae(quick=False):
    model, metrics, seconds, timing, profile = _run("vae", quick)
    scores = metrics["scores"]
    result = {"held-out PSNR (dB)": round(scores["heldout_psnr_db"], 2),
              **_timing_metrics(metrics, seconds, timing)}
    samples = scores.get("samples", {})
    result.update({f"samples {k}": round(v, 3) for k, v in samples.items()})
    details = (f"Held-out reconstruction PSNR over {scores['heldout_clips']} test clips (from "
               f"the posterior mean). Samples: {len(samples) and 256} clips from the prior, "
               f"scored in the digits-2-64 setting (see the baseline table). Reproduce: "
               f"`python -m vidgen_tf train vae --profile cpu --out runs/vae`.\n")
    return {"metrics": result, "details": details}


@benchmark("vae-digits-1-32", "Lesson 01's VideoVAE trained on the GAN's cpu slice: one moving "
                              "digit, 32x32, 16 frames (recipe 'vae-digits-1-32'; its samples "
                              "are the GAN's comparison)")
def vae_digits_1_32(quick=False):
    model, metrics, seconds, timing, profile = _run("vae-digits-1-32", quick)
    scores = metrics["scores"]
    result = {"held-out PSNR (dB)": round(scores["heldout_psnr_db"], 2),
              **_timing_metrics(metrics, seconds, timing)}
    result.update({f"samples {k}": round(v, 3) for k, v in scores.get("samples", {}).items()})
    details = ("The same VideoVAE and training as `vae`, on the slice the `gan` recipe trains on "
               "at the cpu profile, so that the two models' samples meet in one evaluation "
               "setting (digits-1-32). Reproduce: `python -m vidgen_tf train vae-digits-1-32 "
               "--profile cpu --out runs/vae-1-32`.\n")
    return {"metrics": result, "details": details}


def real_displacement_range(setting, count=256, quantiles=(10, 90)):
    """Percentiles (10th and 90th by default; 25 and 75 are also known) of the per-clip mean
    displacement of real validation clips."""
    from vidgen_tf.metrics.scores import motion_stats

    stats = motion_stats(setting.clips(count, "val"))
    return tuple(stats[f"displacement_p{q}"] for q in quantiles)


def _real_displacement_rows(setting, quick):
    """The 10th, 25th, 75th and 90th percentile of the real clips' per-clip displacement."""
    quantiles = (10, 25, 75, 90)
    values = real_displacement_range(setting, 16 if quick else 256, quantiles)
    return {f"real displacement p{q}": round(v, 3) for q, v in zip(quantiles, values)}


def _bars_line(bars, samples):
    """One sentence: each bar, and whether the samples' scores meet it."""
    return "Bars: " + "; ".join(f"{bar.label} {bar.text()}: "
                                f"{'met' if bar.met(samples) else 'NOT met'}"
                                for bar in bars) + ".\n"


def setting_of(quick):
    """The sprite VAE recipes' evaluation setting at the benchmark's profile."""
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.sprite_vae_recipe import setting

    return setting(get_profile("smoke" if quick else "cpu"))


def _prior_clips(quick):
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.sprite_vae_recipe import prior_clips

    return prior_clips(get_profile("smoke" if quick else "cpu"))


def _sprite_vae(name, quick):
    model, metrics, seconds, timing, profile = _run(name, quick)
    from vidgen_tf.training.sprite_vae_recipe import bars, setting

    scores = metrics["scores"]
    result = {"held-out PSNR (dB)": round(scores["heldout_psnr_db"], 2),
              **{f"samples {k}": round(v, 3) for k, v in scores["samples"].items()},
              **{f"samples from N(0, I) {k}": round(v, 3)
                 for k, v in scores["samples_standard_prior"].items()},
              **_real_displacement_rows(setting(profile), quick),
              **_timing_metrics(metrics, seconds, timing)}
    return result, scores, _bars_line(bars(profile), scores["samples"])


@benchmark("sprite-vae", "Lesson 01: the what/where SpriteVAE, conditional on the digit, on one "
                         "moving digit, 32x32, 16 frames (recipe 'sprite-vae', cpu profile, the "
                         "recipe's steps)")
def sprite_vae(quick=False):
    result, scores, bars_line = _sprite_vae("sprite-vae", quick)
    details = (f"Samples: {setting_of(quick).num_generated} clips from the fitted prior (a "
               f"Gaussian fitted to the codes of {_prior_clips(quick)} training clips), drawn for "
               f"the digits 0-9 in turn, scored in the {scores['setting']} setting (the "
               f"baseline table's first-frame-repeated proxy FVD is the bar); label_accuracy: "
               f"share of frames the kit's classifier reads as the digit asked for. Held-out "
               f"PSNR: reconstructions of {scores['heldout_clips']} test clips (posterior "
               f"mean, true labels). Reproduce: `python -m vidgen_tf train sprite-vae "
               f"--profile cpu --out runs/sprite-vae`.\n" + bars_line)
    return {"metrics": result, "details": details}


@benchmark("sprite-vae-unconditional", "Lesson 01: the same SpriteVAE without labels (recipe "
                                       "'sprite-vae-unconditional', cpu profile)")
def sprite_vae_unconditional(quick=False):
    result, scores, bars_line = _sprite_vae("sprite-vae-unconditional", quick)
    details = ("The conditional recipe's model and training without the digit's label: the "
               "unconditional figures lesson 01 reports beside the conditional ones. "
               "Reproduce: `python -m vidgen_tf train sprite-vae-unconditional --profile cpu "
               "--out runs/sprite-vae-unconditional`.\n" + bars_line)
    return {"metrics": result, "details": details}


@benchmark("sprite-vae-priors", "Lesson 01: the sprite VAE's samples from N(0, I) and from the "
                                "fitted prior, at the ELBO's KL weights (1, 1) and at (4, 4), "
                                "three seeds each (recipe 'sprite-vae', 600 steps)")
def sprite_vae_priors(quick=False):
    """The ablation behind the recipe's prior and KL weights: three seeds of each pair of
    weights (z_what's, z_where's), trained shorter (600 steps) to afford them, the samples of
    each run drawn from the standard normal prior and from the fitted one and scored as the
    recipe scores them."""
    import dataclasses
    import functools

    from vidgen_tf.config import get_profile
    from vidgen_tf.training import sprite_vae_recipe
    from vidgen_tf.training.recipes import get_recipe
    from vidgen_tf.training.run import train

    profile = get_profile("smoke" if quick else "cpu")
    steps, seeds, keys = (4 if quick else 600), (0, 1, 2), (
        "label_accuracy", "digit_confidence", "identity_consistency", "proxy_fvd",
        "mean_displacement")
    priors = (("N(0, I)", "samples_standard_prior"), ("fitted", "samples"))
    root = tempfile.mkdtemp(prefix="vidgen-bench-") if quick else os.path.join(
        REPO, "runs", "bench-sprite-vae-priors")
    result, rows = {}, []
    for what_beta, where_beta in ((1.0, 1.0), (4.0, 4.0)):
        scores = {(prior, k): [] for prior, _ in priors for k in keys}
        for seed in seeds:
            recipe = dataclasses.replace(get_recipe("sprite-vae"), seed=seed, build=(
                functools.partial(sprite_vae_recipe.build, what_beta=what_beta,
                                  where_beta=where_beta)))
            out = os.path.join(root, f"kl-{what_beta:g}-{where_beta:g}-seed-{seed}")
            shutil.rmtree(out, ignore_errors=True)
            _, metrics = train(recipe, profile, out, steps=steps, verbose=0)
            for prior, key in priors:
                for k in keys:
                    scores[prior, k].append(float(metrics["scores"][key].get(k, float("nan"))))
        for prior, _ in priors:
            name = f"kl {what_beta:g}/{where_beta:g} {prior}"
            for k in keys:
                values = scores[prior, k]
                result[f"{name} {k} mean"] = round(float(np.mean(values)), 3)
                result[f"{name} {k} sd"] = round(float(np.std(values, ddof=1)), 3)
            rows.append(f"| {what_beta:g} / {where_beta:g} | {prior} | " + " | ".join(
                f"{np.mean(scores[prior, k]):.3f} ± {np.std(scores[prior, k], ddof=1):.3f}"
                for k in keys) + " |")
    details = (f"The recipe 'sprite-vae' trained {steps} steps at seeds {seeds} for each "
               f"pair of KL weights (z_what's / z_where's); each run's "
               f"{sprite_vae_recipe.setting(profile).num_generated} samples drawn from the "
               f"standard normal prior and from the Gaussian fitted to the codes of "
               f"{sprite_vae_recipe.prior_clips(profile)} training clips (`fit_prior`); "
               f"mean ± sample standard deviation over the "
               f"seeds.\n\n| KL weights | prior | " + " | ".join(keys) + " |\n|---|---|"
               + "---|" * len(keys) + "\n" + "\n".join(rows) + "\n")
    return {"metrics": result, "details": details}


@benchmark("gan", "Lesson 02: class-conditional VideoGAN (sprite generator, projection video "
                  "and frame discriminators, auxiliary digit classifier) on one moving digit, "
                  "32x32, 16 frames (recipe 'gan', cpu profile, the recipe's steps)")
def gan(quick=False):
    model, metrics, seconds, timing, profile = _run("gan", quick)
    from vidgen_tf.training.gan_recipe import bars, setting

    samples = metrics["scores"]["samples"]
    result = {**{f"samples {k}": round(v, 3) for k, v in samples.items()},
              **_real_displacement_rows(setting(profile), quick),
              **_timing_metrics(metrics, seconds, timing)}
    details = (f"Samples scored in the {metrics['scores']['setting']} setting with the "
               f"generator's averaged (EMA) weights, drawn for the digits 0-9 in turn "
               f"(label_accuracy: share of frames the kit's classifier reads as the digit "
               f"asked for); compare with the baseline table of "
               f"digits-1-32 and with the samples of `vae-digits-1-32` (the VAE on the same "
               f"slice). The real displacement percentiles are those of the per-clip mean "
               f"displacement of 256 real validation clips (the bar: inside p25-p75, the "
               f"middle half). Reproduce: "
               f"`python -m vidgen_tf train gan --profile cpu --out runs/gan`.\n"
               + _bars_line(bars(profile), samples))
    return {"metrics": result, "details": details}


def _gan_fvd_of_this_run():
    """Lesson 02's GAN's proxy FVD for the comparison of lesson 03: the ``gan`` benchmark's
    run on this machine (``runs/bench-gan``: in ``make bench`` it runs just before
    ``mocogan``), else the committed ``benchmarks/results.json``; with where it came from."""
    import json

    path = os.path.join(REPO, "runs", "bench-gan", "metrics.json")
    if os.path.exists(path):
        with open(path) as f:
            metrics = json.load(f)
        return metrics["scores"]["samples"]["proxy_fvd"], "runs/bench-gan/metrics.json"
    with open(os.path.join(REPO, "benchmarks", "results.json")) as f:
        entry = json.load(f)["benchmarks"]["gan"]
    return entry["metrics"]["samples proxy_fvd"], f"benchmarks/results.json ({entry['measured']})"


@benchmark("mocogan", "Lesson 03: class-conditional MoCoGAN (a content code per clip draws a "
                      "sprite, GRU motion codes are its velocities; image and video "
                      "discriminators) on one moving digit, 32x32, 16 frames (recipe "
                      "'mocogan', cpu profile, the recipe's steps)")
def mocogan(quick=False):
    from vidgen_tf.metrics.bars import Bar
    from vidgen_tf.training.mocogan_recipe import bars, setting

    model, metrics, seconds, timing, profile = _run("mocogan", quick)
    scores = metrics["scores"]
    samples = scores["samples"]
    gan_fvd, gan_source = _gan_fvd_of_this_run()
    keys = ("same_content_digit_agreement", "same_content_path_correlation",
            "same_motion_digit_agreement", "same_motion_path_correlation")
    long = scores["long_generation"]
    result = {**{f"samples {k}": round(v, 3) for k, v in samples.items()},
              "lesson 02 gan proxy_fvd": round(gan_fvd, 3),
              **{k.replace("_", " "): round(scores[k], 3) for k in keys},
              **{f"{long['frames']} frames, {window} 16 {k}": round(v, 3)
                 for window in ("first", "last") for k, v in long[window].items()},
              **_real_displacement_rows(setting(profile), quick),
              **_timing_metrics(metrics, seconds, timing)}
    own = bars(profile) + [Bar("proxy_fvd", "proxy FVD against lesson 02's GAN", high=gan_fvd,
                               high_inclusive=False)]
    disentangled = [Bar("same_content_digit_agreement", "one content, 16 motions: same digit",
                        low=0.8),
                    Bar("same_motion_path_correlation", "one motion, 16 contents: path "
                        "correlation", low=0.8)]
    details = (f"Samples scored as lesson 02's GAN's (`gan_recipe.evaluate`: "
               f"{setting(profile).num_generated} clips drawn for the digits 0-9 in turn, "
               f"generator's averaged weights) in the {scores['setting']} setting. Lesson 02's "
               f"GAN's proxy FVD, {gan_fvd:.1f}, from {gan_source}. Disentanglement: "
               f"{scores['groups']} groups of {scores['per_group']} clips sharing one content "
               f"code and label (one group per digit) with motions of their own, and "
               f"{scores['groups']} groups sharing one motion (h0 and the GRU's inputs) with "
               f"contents of their own (the digits in turn): the share of a group's clips "
               f"showing its most common digit, and the mean pairwise correlation of their "
               f"centre-of-brightness paths (`vidgen_tf.metrics.disentanglement`). Long "
               f"generation: the same {setting(profile).num_generated} clips at "
               f"{long['frames']} frames, their first and last 16 frames scored apart. "
               f"Reproduce: `python -m vidgen_tf train mocogan --profile cpu --out "
               f"runs/mocogan`.\n" + _bars_line(own, samples)
               + _bars_line(disentangled, scores))
    return {"metrics": result, "details": details}


def prediction_bars(scores):
    """Lesson 04's bars on a predictor's ``evaluate`` scores: mean SSIM over the predicted
    frames >= 0.80, per-pixel MSE at least 40 % below the best baseline's, and the digits at
    horizon 5 at least 80 % as readable as in the true frames."""
    from vidgen_tf.metrics.bars import Bar

    best_name, best_mse = scores["best_baseline"]["mse"]
    return [Bar("ssim_mean", "mean SSIM, frames 11-20", low=0.80),
            Bar("mse_mean", f"per-pixel MSE, 40 % below the best baseline ({best_name}, "
                            f"{best_mse:.3f})", high=0.6 * best_mse),
            Bar("readability_ratio", "digits readable at horizon 5 (predicted / true)",
                low=0.8)]


def _rollout_rate(model, profile):
    """Held-out clips predicted per second by ``model.forecast`` (batches of 32)."""
    from vidgen_tf.training.prediction_recipe import forecast_in_batches, held_out

    clips, _ = held_out(profile, 64)
    context = clips[:, :model.context_frames]
    forecast_in_batches(model, context[:32])                    # traced once
    start = time.perf_counter()
    forecast_in_batches(model, context)
    return len(context) / (time.perf_counter() - start)


def _predictor(name, quick):
    from vidgen_tf.training.prediction_recipe import bar_scores
    from vidgen_tf.training.recipes import get_recipe

    model, metrics, seconds, timing, profile = _run(name, quick)
    scores = metrics["scores"]
    flat = bar_scores(scores)
    batch = get_recipe(name).batch_size(profile)
    result = {**{f"model {k}": round(v, 4) for k, v in flat.items()
                 if not k.startswith("best_baseline")},
              "model ssim per step": [round(v, 3) for v in scores["model"]["ssim"]],
              **{f"{base} {k}": round(v, 4) for base, b in scores["baselines"].items()
                 for k, v in b.items() if k in ("ssim_mean", "mse_mean")},
              **{f"readability {k}": round(v, 3) for k, v in scores["readability"].items()},
              **{f"flicker {k}": round(v, 4) for k, v in scores["flicker"].items()},
              "training sequences/s": round(metrics["steps_per_second"] * batch, 2),
              "rollout sequences/s": round(_rollout_rate(model, profile), 1),
              **_timing_metrics(metrics, seconds, timing)}
    details = (f"Frames 11-20 of {scores['heldout_clips']} held-out MovingDigits clips (two "
               f"digits, 64x64, values in [-1, 1]) predicted from frames 1-10, clipped to "
               f"[-1, 1]; SSIM with an 11x11 Gaussian window on [0, 1] (not OpenSTL's 7x7 "
               f"uniform one); mse_frame_sum: OpenSTL's per-frame sum on [0, 1] (1024 x the "
               f"per-pixel MSE). Baselines: copy the last given frame, a black frame, the "
               f"mean of 256 training clips' frames, and lesson 01's VAE reconstructing the "
               f"true future (an upper bound, not a predictor). Readability: each digit cut "
               f"out at its true position at horizon 5, lesson 08's classifier's mean "
               f"probability of the right digit, predicted over true. Flicker: frame-"
               f"difference energy of the prediction over the truth's. Reproduce: "
               f"`python -m vidgen_tf train {name} --profile cpu --out runs/{name}`.\n"
               + _bars_line(prediction_bars(scores), flat))
    return {"metrics": result, "details": details}


@benchmark("convlstm", "Lesson 04: ConvLSTM predictor (fused cells on 4x4 patches, scheduled "
                       "sampling), frames 11-20 of two moving digits at 64x64 from frames "
                       "1-10 (recipe 'convlstm', cpu profile, the recipe's steps)")
def convlstm(quick=False):
    return _predictor("convlstm", quick)


@benchmark("simvp", "Lesson 04: SimVP predictor (per-frame encoder, translator over stacked "
                    "time, decoder with a skip), frames 11-20 of two moving digits at 64x64 "
                    "from frames 1-10 (recipe 'simvp', cpu profile, the recipe's steps)")
def simvp(quick=False):
    return _predictor("simvp", quick)


@benchmark("prediction-flow", "Lesson 04: a temporal-consistency term from Horn-Schunck flow "
                              "in SimVP's loss: flicker and error with and without it "
                              "(recipe 'simvp' shortened, two seeds each)")
def prediction_flow(quick=False):
    import dataclasses
    import functools

    from vidgen_tf.config import get_profile
    from vidgen_tf.training import prediction_recipe
    from vidgen_tf.training.recipes import get_recipe
    from vidgen_tf.training.run import train

    profile = get_profile("smoke" if quick else "cpu")
    steps, seeds = (4 if quick else 600), (0, 1)
    keys = ("flicker_ratio", "mse_mean", "ssim_mean", "psnr_mean")
    root = tempfile.mkdtemp(prefix="vidgen-bench-") if quick else os.path.join(
        REPO, "runs", "bench-prediction-flow")
    result, rows = {}, []
    for weight in (0.0, 1.0):
        scores, rates = {k: [] for k in keys}, []
        for seed in seeds:
            recipe = dataclasses.replace(
                get_recipe("simvp"), seed=seed, steps=lambda p: steps,
                build=functools.partial(prediction_recipe.build, "simvp", steps=steps,
                                        flow_weight=weight))
            out = os.path.join(root, f"flow-{weight:g}-seed-{seed}")
            shutil.rmtree(out, ignore_errors=True)
            _, metrics = train(recipe, profile, out, steps=steps, verbose=0)
            flat = prediction_recipe.bar_scores(metrics["scores"])
            for k in keys:
                scores[k].append(float(flat[k]))
            rates.append(float(metrics["steps_per_second"] or float("nan")))
        name = f"flow weight {weight:g}"
        for k in keys:
            result[f"{name} {k} mean"] = round(float(np.mean(scores[k])), 4)
            result[f"{name} {k} sd"] = round(float(np.std(scores[k], ddof=1)), 4)
            result[f"{name} {k} per seed"] = [round(v, 4) for v in scores[k]]
        result[f"{name} steps/s"] = round(float(np.mean(rates)), 3)
        rows.append(f"| {weight:g} | " + " | ".join(
            f"{np.mean(scores[k]):.4f} ± {np.std(scores[k], ddof=1):.4f}" for k in keys)
            + f" | {np.mean(rates):.2f} |")
    details = (f"The recipe 'simvp' with its schedule shortened to {steps} steps, trained "
               f"at seeds {seeds} (the model's initial weights; the same data) without and "
               f"with `flow_weight=1` (`losses.temporal_consistency_loss`: the previous "
               f"predicted frame warped by the Horn-Schunck flow of the true pair); each run "
               f"scored by `prediction_recipe.evaluate` on the same held-out clips. Flicker: "
               f"the frame-difference energy of the prediction over the truth's (1: as much "
               f"change as the truth). Mean ± sample standard deviation over the seeds.\n\n"
               f"| flow weight | " + " | ".join(keys) + " | training steps/s |\n|---|"
               + "---|" * (len(keys) + 1) + "\n" + "\n".join(rows) + "\n")
    return {"metrics": result, "details": details}


def step_profile(recipe, profile):
    """Parameters, FLOPs and the compiled time of one train step of ``recipe`` built at
    ``profile``'s sizes, on whatever device runs this (float32, no XLA: on a CPU, the gpu
    profile's mixed precision and XLA would only slow it down)."""
    from vidgen_tf.training.precision import set_precision

    from vidgen_tf.training.videogpt_recipe import UNTRAINED, VQVAE_ENV

    profile = profile.replace(precision="float32", jit_compile=False)
    set_precision(profile)
    # a prior's step costs the same whatever VQ-VAE made its tokens: an untrained one of the
    # profile's sizes (no trained one ships at the gpu profile)
    previous = os.environ.get(VQVAE_ENV)
    os.environ[VQVAE_ENV] = UNTRAINED
    try:
        model = recipe.build(profile)
        batch = _first_batch(recipe, profile)
    finally:
        if previous is None:
            os.environ.pop(VQVAE_ENV)
        else:
            os.environ[VQVAE_ENV] = previous
    every = int(getattr(model, "r1_every", 1) or 1)
    compiled, _ = time_train_step(model, batch, steps=every, warmup=1, eager=False)
    flops, _ = mean_step_flops(model, batch)
    return {"parameters": int(model.count_params()), "batch": recipe.batch_size(profile),
            "flops": flops, "seconds": compiled}


@benchmark("train-steps", "Every recipe's train step at the cpu and the gpu profile's sizes, "
                          "run here (float32, no XLA): parameters, FLOPs, time, GFLOP/s")
def train_steps(quick=False):
    from vidgen_tf.bench.flops import matmul_peak_gflops
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.recipes import RECIPES, tested_recipes

    peak = matmul_peak_gflops()
    profiles = ("smoke",) if quick else ("cpu", "gpu")
    rows, steps = [], []
    for name in tested_recipes():              # a variant's step is its original's
        for profile_name in profiles:
            entry = step_profile(RECIPES[name], get_profile(profile_name))
            achieved = entry["flops"] / entry["seconds"] / 1e9
            steps.append({"recipe": name, "profile": profile_name, **entry,
                          "gflops_per_second": achieved})
            rows.append(f"| {name} | {profile_name} | {entry['parameters']:,} | "
                        f"{entry['batch']} | {entry['flops'] / 1e9:.2f} | "
                        f"{1000 * entry['seconds']:.0f} | {achieved:.1f} | "
                        f"{achieved / peak:.0%} |")
    details = ("One train step per recipe and profile, built at the profile's sizes and run on "
               "this machine's CPU in float32 without XLA (the gpu profile's own settings, "
               "mixed precision and XLA, are for GPUs): parameters, clips per step, FLOPs of "
               "an average step (matrix products and convolutions with their gradients, "
               "counted from the traced graph; a GAN's lazy R1 penalty weighed by how often it "
               "runs), the mean time of a compiled step, the GFLOP/s it reaches and its share "
               "of the machine's float32 matmul peak measured in the same run "
               f"({peak:.1f} GFLOP/s).\n\n"
               "| recipe | profile | parameters | clips/step | GFLOP/step | step (ms) | "
               "GFLOP/s | of peak |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
               + "\n")
    return {"metrics": {"matmul peak GFLOP/s": round(peak, 1)}, "details": details,
            "steps": steps}


@benchmark("references", "The shipped reference runs (each a lesson's recipe trained longer), "
                         "loaded from the package and scored again")
def references(quick=False):
    """Each reference run in ``vidgen_tf/weights/references``: loaded (its SHA-256 checked),
    scored again by its recipe's ``evaluate`` at the profile it was trained at (``quick``:
    loaded only), with its steps, size and the scores recorded when it was published."""
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.recipes import get_recipe
    from vidgen_tf.training.references import list_references, load_reference, run_scores

    result, rows = {}, []
    for name, entry in sorted(list_references().items()):
        start = time.perf_counter()
        model, metrics = load_reference(name)
        load_seconds = time.perf_counter() - start
        result[f"{name} load (s)"] = round(load_seconds, 2)
        result[f"{name} size (MB)"] = round(entry["bytes"] / 1e6, 2)
        result[f"{name} steps"] = entry["steps"]
        if quick:
            continue
        scores = get_recipe(entry["recipe"]).evaluate(model, get_profile(entry["profile"]))
        for key, value in run_scores({"scores": scores}).items():
            if key != "steps":
                result[f"{name} {key}"] = round(float(value), 3)
        rows.append(f"| {name} | {entry['recipe']} | {entry['steps']} | "
                    f"{entry['bytes'] / 1e6:.1f} | `{entry['command']}` |")
    details = ("Each reference run loaded from the package (SHA-256 checked) and scored again "
               "by its recipe's evaluation at the profile it was trained at; the lessons show "
               "these scores beside the reader's own run.\n\n"
               "| reference | recipe | steps | MB | command |\n|---|---|---|---|---|\n"
               + "\n".join(rows) + "\n")
    return {"metrics": result, "details": details}


@benchmark("vqvae", "Lesson 05: causal video VQ-VAE (EMA codebook of 512 with restarts) on one "
                    "moving digit, 32x32, 16 frames, to 4x8x8 tokens (recipe 'vqvae', cpu "
                    "profile, the recipe's steps)")
def vqvae(quick=False):
    from vidgen_tf.metrics.bars import Bar

    model, metrics, seconds, timing, profile = _run("vqvae", quick)
    scores = metrics["scores"]
    result = {"held-out PSNR (dB)": round(scores["heldout_psnr_db"], 2),
              "held-out code usage": round(scores["code_usage"], 3),
              "held-out code perplexity": round(scores["code_perplexity"], 1),
              **_timing_metrics(metrics, seconds, timing)}
    bars = [Bar("heldout_psnr_db", "held-out PSNR (dB)", low=21.0),
            Bar("code_usage", "share of codes used over the held-out set", low=0.5)]
    details = (f"{scores['heldout_clips']} held-out clips of {scores['setting']}: PSNR of the "
               f"decoded tokens (clipped to [-1, 1]) against the clips; code usage: the share "
               f"of the {scores['num_codes']} codes that occur at least once among the "
               f"held-out clips' {scores['heldout_clips']} x "
               f"{'x'.join(map(str, scores['token_grid']))} tokens; perplexity: exp of the "
               f"entropy of their frequencies. Reproduce: `python -m vidgen_tf train vqvae "
               f"--profile cpu --out runs/vqvae`.\n" + _bars_line(bars, scores))
    return {"metrics": result, "details": details}


def sampling_speed(model, clips=1, seed=0, jit_compile=True):
    """Tokens per second of ``model.sample`` for ``clips`` clips at once, with the key-value
    cache and without (each loop compiled and run once before it is timed)."""
    rates = {}
    for use_cache in (True, False):
        model.sample(clips, seed=seed, use_cache=use_cache, jit_compile=jit_compile)
        start = time.perf_counter()
        model.sample(clips, seed=seed + 1, use_cache=use_cache, jit_compile=jit_compile)
        rates[use_cache] = clips * model.length / (time.perf_counter() - start)
    return rates[True], rates[False]


def videogpt_bars(profile):
    """Lesson 05's bars for the prior's samples (digits-1-32 at the cpu profile): digit
    confidence >= 0.6, >= 8 classes, identity >= 0.6, proxy FVD below the first-frame-repeated
    baseline (271; lesson 01's VAE scored 604 in the same setting), mean displacement inside
    the real clips' 10th-90th percentile."""
    from vidgen_tf.metrics.bars import digit_sample_bars
    from vidgen_tf.training.sprite_vae_recipe import FIRST_FRAME_REPEATED_FVD
    from vidgen_tf.training.vqvae_recipe import setting

    s = setting(profile)
    one_digit_32 = s.single_digit and s.image_size == 32
    return digit_sample_bars(s, fvd_below=FIRST_FRAME_REPEATED_FVD if one_digit_32 else None,
                             real_count=profile.pick(smoke=16, cpu=256, gpu=256))


@benchmark("videogpt", "Lesson 05: VideoGPT prior (a causal transformer over the reference "
                       "VQ-VAE's 4x8x8 tokens, the digit as its start token) on one moving "
                       "digit, 32x32, 16 frames (recipe 'videogpt', cpu profile, the recipe's "
                       "steps)")
def videogpt(quick=False):
    from vidgen_tf.metrics.bars import Bar

    model, metrics, seconds, timing, profile = _run("videogpt", quick)
    scores = metrics["scores"]
    many = 4 if quick else 16
    speeds = {(n, jit): sampling_speed(model, n, jit_compile=jit)
              for n in (1, many) for jit in (True, False)}
    result = {"held-out nats per token": round(scores["heldout_nats_per_token"], 3),
              "held-out nats per token, no class": round(
                  scores["heldout_nats_per_token_unconditional"], 3),
              "ln K (a uniform prior)": round(scores["log_num_codes"], 3)}
    for (n, jit), (cached, full) in speeds.items():
        how = f"{n} clip{'s' if n > 1 else ''}, {'XLA' if jit else 'no XLA'}"
        result.update({f"tokens/s, {how}, cache": round(cached, 1),
                       f"tokens/s, {how}, no cache": round(full, 1),
                       f"cache speed-up, {how}": round(cached / full, 2)})
    result.update({
              **{f"samples {k}": round(v, 3) for k, v in scores["samples"].items()},
              **{f"unconditional {k}": round(v, 3) for k, v in scores["unconditional"].items()},
              **{f"first frame given {k}": round(v, 3)
                 for k, v in scores["frame_conditioned"].items()},
              **_timing_metrics(metrics, seconds, timing)})
    bars = videogpt_bars(profile)
    cached, full = speeds[(1, True)]
    speed = {"speedup": cached / full}
    details = (f"Held-out cross-entropy of the {scores['heldout_clips']} test clips' tokens "
               f"(nats per token, given the digit and without it) beside ln K, what a prior "
               f"that knows nothing pays. Samples: {len(scores['samples']) and 256} clips "
               f"drawn for the digits 0-9 in turn (temperature 1, no top-k), decoded by the "
               f"VQ-VAE and scored in the {scores['setting']} setting (compare with the "
               f"baseline table and with `vae-digits-1-32`, lesson 01's VAE: proxy FVD 604.1); "
               f"unconditional: the null class; first frame given: the first frame of "
               f"held-out clips encoded as the prefix (its token slice, frames 1-4 the given "
               f"frame), the rest sampled without a class, label accuracy against the given "
               f"clip's digit. Sampling speed: the same compiled loop with the key-value cache "
               f"(one position per step) and without (the whole sequence per step), the loop "
               f"compiled with XLA (the default of `VideoGPT.sample`) and without. "
               f"Reproduce: `python -m vidgen_tf train videogpt --profile cpu --out "
               f"runs/videogpt` (needs the reference run 'vqvae', or $VIDGEN_VQVAE).\n"
               + _bars_line(bars, scores["samples"])
               + _bars_line([Bar("label_accuracy", "first frame given: frames showing its "
                                 "digit", low=0.7)], scores["frame_conditioned"])
               + _bars_line([Bar("speedup", "cache speed-up (1 clip, XLA)", low=5.0)], speed))
    return {"metrics": result, "details": details}
