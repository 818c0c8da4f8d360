"""Model benchmarks: each lesson's model trained by its recipe at the cpu profile, scored with
the evaluation kit, and its train step timed compiled (as ``fit`` runs it) and eagerly (a
plain ``tf.GradientTape`` loop running the same ``train_step`` op by op).

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
BUDGET_SECONDS = 15 * 60


def time_train_step(model, batch, steps=10, warmup=2):
    """Seconds per step of ``model``'s train step, compiled and eager.

    Compiled: ``train_on_batch`` (the ``tf.function`` that ``fit`` uses). Eager:
    ``model.train_step(batch)`` called directly, every op dispatched from Python.

    Returns:
        ``(compiled_seconds, eager_seconds)`` medians per step.
    """
    import tensorflow as tf

    def timed(step):
        for _ in range(warmup):
            step()
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    compiled = timed(lambda: model.train_on_batch(batch))
    tensors = tf.nest.map_structure(tf.convert_to_tensor, batch)
    eager = timed(lambda: model.train_step(tensors))
    return compiled, eager


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
    model, metrics = train(recipe, profile, out, time_budget=None if quick else BUDGET_SECONDS,
                           verbose=2)
    seconds = time.perf_counter() - start
    batch = next(iter(recipe.data(profile, first_step=0)))      # videos, or a dict of arrays
    batch = {k: np.asarray(v) for k, v in batch.items()} if isinstance(batch, dict) else (
        np.asarray(batch))
    compiled, eager = time_train_step(model, batch, steps=3 if quick else 10)
    return model, metrics, seconds, compiled, eager, profile


def _timing_metrics(metrics, seconds, compiled, eager):
    return {"training steps": metrics["steps"],
            "training time (s)": round(metrics["train_seconds_this_session"], 1),
            "steps/s in fit": metrics["steps_per_second"],
            "compiled step (ms)": round(1000 * compiled, 1),
            "eager GradientTape step (ms)": round(1000 * eager, 1),
            "eager / compiled": round(eager / compiled, 2),
            "run incl. evaluation (s)": round(seconds, 1)}


@benchmark("vae", "Lesson 01: VideoVAE on two moving digits, 64x64, 16 frames (recipe 'vae', "
                  "cpu profile, at most 15 minutes)")
def vae(quick=False):
    model, metrics, seconds, compiled, eager, profile = _run("vae", quick)
    scores = metrics["scores"]
    result = {"held-out PSNR (dB)": round(scores["heldout_psnr_db"], 2),
              **_timing_metrics(metrics, seconds, compiled, eager)}
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
    model, metrics, seconds, compiled, eager, profile = _run("vae-digits-1-32", quick)
    scores = metrics["scores"]
    result = {"held-out PSNR (dB)": round(scores["heldout_psnr_db"], 2),
              **_timing_metrics(metrics, seconds, compiled, eager)}
    result.update({f"samples {k}": round(v, 3) for k, v in scores.get("samples", {}).items()})
    details = ("The same VideoVAE and training as `vae`, on the slice the `gan` recipe trains on "
               "at the cpu profile, so that the two models' samples meet in one evaluation "
               "setting (digits-1-32). Reproduce: `python -m vidgen_tf train vae-digits-1-32 "
               "--profile cpu --out runs/vae-1-32`.\n")
    return {"metrics": result, "details": details}


def real_displacement_range(setting, count=256):
    """10th and 90th percentile of the per-clip mean displacement of real validation clips."""
    from vidgen_tf.metrics.scores import motion_stats

    stats = motion_stats(setting.clips(count, "val"))
    return stats["displacement_p10"], stats["displacement_p90"]


@benchmark("gan", "Lesson 02: class-conditional VideoGAN (sprite generator, projection video "
                  "and frame discriminators, auxiliary digit classifier) on one moving digit, "
                  "32x32, 16 frames (recipe 'gan', cpu profile, at most "
                  "15 minutes)")
def gan(quick=False):
    model, metrics, seconds, compiled, eager, profile = _run("gan", quick)
    from vidgen_tf.training.gan_recipe import setting

    samples = metrics["scores"]["samples"]
    low, high = real_displacement_range(setting(profile), 16 if quick else 256)
    result = {**{f"samples {k}": round(v, 3) for k, v in samples.items()},
              "real displacement p10": round(low, 3), "real displacement p90": round(high, 3),
              **_timing_metrics(metrics, seconds, compiled, eager)}
    details = (f"Samples scored in the {metrics['scores']['setting']} setting with the "
               f"generator's averaged (EMA) weights, drawn for the digits 0-9 in turn "
               f"(label_accuracy: share of frames the kit's classifier reads as the digit "
               f"asked for); compare with the baseline table of "
               f"digits-1-32 and with the samples of `vae-digits-1-32` (the VAE on the same "
               f"slice). The real displacement range is the 10th to 90th percentile of the "
               f"per-clip mean displacement of 256 real validation clips. Reproduce (with "
               f"the benchmark's budget): `python -m vidgen_tf train gan --profile cpu --out "
               f"runs/gan --time-budget 900`.\n")
    return {"metrics": result, "details": details}
