"""Benchmarks: the registry, the CLI (a child process per benchmark, results merged into JSON
and written as Markdown), and the numbers the benchmarks compute, against clocks and values
the tests control."""

import datetime
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from vidgen_tf.bench import load_all


def test_registry_lists_the_benchmarks():
    assert {"data_generation", "evaluators", "baselines", "vae", "vae-digits-1-32", "gan",
            "sprite-vae", "sprite-vae-unconditional", "sprite-vae-priors", "references"} <= set(
        load_all())


def test_cli_runs_a_benchmark_in_a_child_and_merges_results(tmp_path):
    import keras
    import tensorflow as tf

    from vidgen_tf.bench.flops import cpu_model

    earlier = {"machine": {}, "benchmarks": {"other": {
        "metrics": {"x": 1}, "wall_seconds": 2.0, "quick": False, "measured": "2026-01-01",
        "description": "kept"}}}
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    days = {datetime.date.today().isoformat()}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "vidgen_tf.bench", "data_generation", "--quick",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    days.add(datetime.date.today().isoformat())
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    entry = results["benchmarks"]["data_generation"]
    metrics = entry["metrics"]
    assert set(metrics) == {"moving_digits_clips_per_s", "bouncing_shapes_clips_per_s",
                            "pipeline_clips_per_s"}
    # The quick run times 256 MovingDigits clips, 128 BouncingShapes clips and 8 batches of
    # 32 streamed clips: at the reported rates that took this long, inside the child's wall
    # time, which the parent measured inside ours (both rounded to 0.1 s).
    timed = (256 / metrics["moving_digits_clips_per_s"]
             + 128 / metrics["bouncing_shapes_clips_per_s"]
             + 8 * 32 / metrics["pipeline_clips_per_s"])
    assert timed - 0.06 <= entry["wall_seconds"] <= elapsed + 0.06
    # The child's peak memory (TensorFlow loaded: well over 100 MiB) is at most the largest
    # peak of the processes this test process waited for.
    largest_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert 100 < entry["peak_memory_mib"] <= largest_child + 0.1
    assert entry["quick"] is True and entry["measured"] in days
    assert entry["cpu"] == cpu_model()
    assert entry["description"] == load_all()["data_generation"].description
    assert results["benchmarks"]["other"] == earlier["benchmarks"]["other"]   # kept as it was
    assert results["machine"] == {
        "cores": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "device": results["machine"]["device"], "platform": platform.platform()}

    # the Markdown shows the JSON's numbers, benchmarks in name order
    markdown = (tmp_path / "results.md").read_text()
    assert markdown.index("## data_generation") < markdown.index("## other")
    section = markdown[markdown.index("## data_generation"):markdown.index("## other")]
    for key, value in metrics.items():
        assert f"| {key} | {value} |" in section, key
    assert f"| wall time (s) | {entry['wall_seconds']} |" in section
    assert f"| peak memory (MiB) | {entry['peak_memory_mib']} |" in section
    assert f"Measured {entry['measured']} on {entry['cpu']} (quick run)." in section
    assert entry["description"] in section
    other = markdown[markdown.index("## other"):]
    assert "| x | 1 |" in other and "| wall time (s) | 2.0 |" in other
    assert "Measured 2026-01-01." in other and "| peak memory (MiB) | n/a |" in other
    assert (f"Machine of the last run: {cpu_model()}, {os.cpu_count()} cores, device "
            f"{results['machine']['device']}, TensorFlow {tf.__version__}, Keras "
            f"{keras.__version__}") in markdown
    # one run (quick): its median, min and max in the details are the metric, to the clip
    row = re.search(r"\| MovingDigits\.generate \| (\d+) \| (\d+) \| (\d+) \|", section)
    assert row is not None, section
    median, low, high = (int(v) for v in row.groups())
    assert median == low == high
    assert abs(median - metrics["moving_digits_clips_per_s"]) <= 0.5 + 1e-9


def test_unknown_benchmark_is_an_error(tmp_path):
    run = subprocess.run([sys.executable, "-m", "vidgen_tf.bench", "nope", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "unknown benchmark" in run.stderr


class FakeClock:
    """A ``time`` module whose ``perf_counter`` moves only when told to."""

    def __init__(self):
        self.now = 100.0

    def perf_counter(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def test_clips_per_second_is_clips_over_the_timed_generation(monkeypatch):
    from vidgen_tf.bench import data_generation

    clock = FakeClock()
    monkeypatch.setattr(data_generation, "time", clock)
    seconds_per_clip = {100: 0.004, 101: 0.002, 102: 0.005}       # by the dataset's seed
    calls = []

    class Dataset:
        CHUNK_SIZE = 64

        def __init__(self, seed):
            self.seed = seed

        def generate(self, num, start=0):
            calls.append((self.seed, num, start))
            clock.advance(num * seconds_per_clip[self.seed] + (5.0 if start == 0 else 0.0))

    median, low, high = data_generation._clips_per_second(Dataset, 300, 3)
    # the first chunk (slow: glyphs, caches) is drawn first and not timed
    assert calls == [(s, n, start) for s in (100, 101, 102)
                     for n, start in ((1, 0), (300, 64))]
    assert median == pytest.approx(250.0) and low == pytest.approx(200.0)
    assert high == pytest.approx(500.0)


def test_train_step_timing_is_the_mean_of_the_timed_steps(monkeypatch):
    from vidgen_tf.bench import models

    clock = FakeClock()
    monkeypatch.setattr(models, "time", clock)
    compiled_times = iter([9.0, 9.0, 0.3, 0.1, 0.2, 0.6])        # 2 warm-up steps first
    eager_times = iter([1.0, 1.0, 2.0, 7.0, 3.0, 1.5])
    seen = []

    class Model:
        def train_on_batch(self, batch):
            seen.append(("compiled", type(batch).__name__))
            clock.advance(next(compiled_times))

        def train_step(self, batch):
            seen.append(("eager", type(batch["video"]).__name__))
            clock.advance(next(eager_times))

    compiled, eager = models.time_train_step(Model(), {"video": np.zeros((2, 3), "float32")},
                                             steps=4, warmup=2)
    assert compiled == pytest.approx(0.3) and eager == pytest.approx(3.375)
    # fit's compiled step gets the NumPy batch; the eager step gets tensors
    assert seen[:6] == [("compiled", "dict")] * 6
    assert [kind for kind, _ in seen[6:]] == ["eager"] * 6
    assert "ndarray" not in {name for _, name in seen[6:]}
    seen.clear()
    compiled_times = iter([1.0, 0.5, 0.25])
    assert models.time_train_step(Model(), {"video": np.zeros(2)}, steps=2, warmup=1,
                                  eager=False) == (pytest.approx(0.375), None)
    assert [kind for kind, _ in seen] == ["compiled"] * 3


def test_timing_metrics_report_milliseconds_flops_and_ratios(monkeypatch):
    from vidgen_tf.bench import flops
    from vidgen_tf.bench.models import _timing_metrics

    monkeypatch.setattr(flops, "matmul_peak_gflops", lambda: 80.0)
    metrics = {"steps": 40, "train_seconds_this_session": 12.345, "steps_per_second": 3.2}
    # 0.5 GFLOP in a 12.5 ms compiled step: 40 GFLOP/s, half the (given) matmul peak
    assert _timing_metrics(metrics, 61.26, (0.0125, 0.0861, 5e8)) == {
        "training steps": 40, "training time (s)": 12.3, "steps/s in fit": 3.2,
        "compiled step (ms)": 12.5, "eager GradientTape step (ms)": 86.1,
        "eager / compiled": 6.89, "GFLOP per step": 0.5, "GFLOP/s (compiled step)": 40.0,
        "matmul peak GFLOP/s": 80.0, "share of the matmul peak": 0.5,
        "run incl. evaluation (s)": 61.3}


@pytest.fixture
def fake_training(monkeypatch):
    """The model benchmarks' training replaced by known results (scores, times, FLOPs)."""
    from vidgen_tf.bench import flops, models
    from vidgen_tf.config import get_profile

    trained = {"steps": 4, "train_seconds_this_session": 2.04, "steps_per_second": 1.96,
               "scores": {"heldout_psnr_db": 17.4567, "heldout_clips": 32, "setting": "tiny",
                          "samples": {"proxy_fvd": 41.23456, "label_accuracy": 0.31249},
                          "samples_standard_prior": {"proxy_fvd": 52.5, "label_accuracy": 0.25}}}
    runs = []

    def run(name, quick):
        runs.append((name, quick))
        return None, trained, 9.87, (0.002, 0.0053, 3e7), get_profile("smoke")

    monkeypatch.setattr(models, "_run", run)
    monkeypatch.setattr(flops, "matmul_peak_gflops", lambda: 60.0)
    monkeypatch.setattr(models, "real_displacement_range",
                        lambda setting, count, quantiles: (0.25, 0.5, 1.5, 1.75))
    return runs


def test_model_benchmarks_report_their_training_scores_and_times(fake_training):
    from vidgen_tf.bench.models import gan, sprite_vae, vae, vae_digits_1_32

    timing = {"training steps": 4, "training time (s)": 2.0, "steps/s in fit": 1.96,
              "compiled step (ms)": 2.0, "eager GradientTape step (ms)": 5.3,
              "eager / compiled": 2.65, "GFLOP per step": 0.03, "GFLOP/s (compiled step)": 15.0,
              "matmul peak GFLOP/s": 60.0, "share of the matmul peak": 0.25,
              "run incl. evaluation (s)": 9.9}
    for run in (vae, vae_digits_1_32):
        result = run(quick=True)
        assert result["metrics"] == {"held-out PSNR (dB)": 17.46, **timing,
                                     "samples proxy_fvd": 41.235,
                                     "samples label_accuracy": 0.312}
    assert "over 32 test clips" in vae(quick=True)["details"]
    displacement = {"real displacement p10": 0.25, "real displacement p25": 0.5,
                    "real displacement p75": 1.5, "real displacement p90": 1.75}
    result = gan(quick=True)
    assert result["metrics"] == {"samples proxy_fvd": 41.235, "samples label_accuracy": 0.312,
                                 **displacement, **timing}
    assert "in the tiny setting" in result["details"]
    # the bars are lesson 02's (the smoke setting's motion range): each said met or not
    assert "proxy FVD < 271: met" in result["details"]
    assert "frames showing the digit asked for >= 0.6: NOT met" in result["details"]
    assert "digit confidence >= 0.6: NOT met" in result["details"]     # no such score here
    result = sprite_vae(quick=True)
    assert "Bars: digit confidence >= 0.6: NOT met" in result["details"]
    assert "frames showing the digit asked for" not in result["details"]
    assert result["metrics"] == {"held-out PSNR (dB)": 17.46, "samples proxy_fvd": 41.235,
                                 "samples label_accuracy": 0.312,
                                 "samples from N(0, I) proxy_fvd": 52.5,
                                 "samples from N(0, I) label_accuracy": 0.25,
                                 **displacement, **timing}
    assert "clips from the fitted prior" in result["details"]
    assert "over 32 test clips" not in result["details"] and "tiny setting" in result["details"]
    assert fake_training == [("vae", True), ("vae-digits-1-32", True), ("vae", True),
                             ("gan", True), ("sprite-vae", True)]


def test_mocogan_benchmark_reports_disentanglement_long_clips_and_lesson_02s_fvd(
        fake_training, monkeypatch):
    from vidgen_tf.bench import models
    from vidgen_tf.config import get_profile

    samples = {"proxy_fvd": 70.0, "digit_confidence": 0.9, "classes_present": 10,
               "identity_consistency": 0.85, "mean_displacement": 1.0}
    long = {"frames": 16, "first": {"proxy_fvd": 71.0}, "last": {"proxy_fvd": 90.5}}
    trained = {"steps": 4, "train_seconds_this_session": 2.04, "steps_per_second": 1.96,
               "scores": {"setting": "tiny", "samples": samples, "groups": 2, "per_group": 4,
                          "same_content_digit_agreement": 0.875,
                          "same_content_path_correlation": 0.1,
                          "same_motion_digit_agreement": 0.25,
                          "same_motion_path_correlation": 0.7,
                          "long_generation": long}}
    def run(name, quick):
        fake_training.append((name, quick))
        return None, trained, 9.87, (0.002, 0.0053, 3e7), get_profile("smoke")

    monkeypatch.setattr(models, "_run", run)
    monkeypatch.setattr(models, "_gan_fvd_of_this_run", lambda: (78.16, "runs/bench-gan"))
    result = models.mocogan(quick=True)
    metrics = result["metrics"]
    assert metrics["lesson 02 gan proxy_fvd"] == 78.16
    assert metrics["same content digit agreement"] == 0.875
    assert metrics["same motion path correlation"] == 0.7
    assert metrics["16 frames, last 16 proxy_fvd"] == 90.5
    details = result["details"]
    # the bars: lesson 03's (identity >= 0.8), the FVD of lesson 02's GAN, disentanglement
    assert "identity consistency >= 0.8: met" in details
    assert "proxy FVD against lesson 02's GAN < 78.2: met" in details
    assert "one content, 16 motions: same digit >= 0.8: met" in details
    assert "one motion, 16 contents: path correlation >= 0.8: NOT met" in details
    assert "78.2, from runs/bench-gan" in details
    assert fake_training == [("mocogan", True)]


def test_model_benchmarks_train_score_and_time_their_steps():
    """A quick run end to end: the gan recipe trains its smoke steps, is scored and its step
    timed (the richest path: dict batches, lazy R1 branches, the real motion range). The
    VAE recipes' training and scores are checked in ``training/test_references.py``, on the
    same run the benchmark would make; their entries' formatting above."""
    from vidgen_tf.bench.models import gan

    for run in (gan,):
        metrics = run(quick=True)["metrics"]
        assert metrics["training steps"] == 4
        assert all(math.isfinite(v) for v in metrics.values())
        if run is gan:
            assert (0 < metrics["real displacement p10"] < metrics["real displacement p25"]
                    < metrics["real displacement p75"] < metrics["real displacement p90"])
