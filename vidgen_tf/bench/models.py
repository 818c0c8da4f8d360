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
    batch = next(iter(recipe.data(profile, first_step=0)))
    compiled, eager = time_train_step(model, np.asarray(batch), steps=3 if quick else 10)
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


@benchmark("gan", "Lesson 02: VideoGAN (temporal generator, video and frame discriminators) "
                  "on one moving digit, 32x32, 16 frames (recipe 'gan', cpu profile, at most "
                  "15 minutes)")
def gan(quick=False):
    model, metrics, seconds, compiled, eager, profile = _run("gan", quick)
    samples = metrics["scores"]["samples"]
    result = {**{f"samples {k}": round(v, 3) for k, v in samples.items()},
              **_timing_metrics(metrics, seconds, compiled, eager)}
    details = (f"Samples scored in the {metrics['scores']['setting']} setting with the "
               f"generator's averaged (EMA) weights; compare with the baseline table of "
               f"digits-1-32. Reproduce: `python -m vidgen_tf train gan --profile cpu --out "
               f"runs/gan`.\n")
    return {"metrics": result, "details": details}
