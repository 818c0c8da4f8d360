import json
import subprocess
import sys

from vidgen_tf.bench import load_all


def test_registry_lists_the_benchmarks():
    assert {"data_generation", "evaluators", "baselines", "vae", "vae-digits-1-32", "gan"} <= set(
        load_all())


def test_cli_runs_a_benchmark_in_a_child_and_merges_results(tmp_path):
    earlier = {"machine": {}, "benchmarks": {"other": {
        "metrics": {"x": 1}, "wall_seconds": 2.0, "quick": False, "measured": "2026-01-01",
        "description": "kept"}}}
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    run = subprocess.run([sys.executable, "-m", "vidgen_tf.bench", "data_generation", "--quick",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    entry = results["benchmarks"]["data_generation"]
    assert entry["metrics"]["moving_digits_clips_per_s"] > 0
    assert entry["peak_memory_mib"] > 50 and entry["wall_seconds"] > 0 and entry["quick"]
    assert results["benchmarks"]["other"]["metrics"] == {"x": 1}     # not re-run, kept
    assert results["machine"]["cores"] >= 1 and results["machine"]["tensorflow"]
    markdown = (tmp_path / "results.md").read_text()
    assert "## data_generation" in markdown and "## other" in markdown
    assert "| MovingDigits.generate |" in markdown


def test_unknown_benchmark_is_an_error(tmp_path):
    run = subprocess.run([sys.executable, "-m", "vidgen_tf.bench", "nope", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "unknown benchmark" in run.stderr


def test_model_benchmarks_train_score_and_time_their_steps():
    from vidgen_tf.bench.models import gan, vae, vae_digits_1_32

    for run, score in ((vae, "held-out PSNR (dB)"), (vae_digits_1_32, "held-out PSNR (dB)"),
                       (gan, "samples proxy_fvd")):
        metrics = run(quick=True)["metrics"]
        assert metrics["training steps"] == 4 and metrics[score] > 0
        assert metrics["compiled step (ms)"] > 0 and metrics["eager GradientTape step (ms)"] > 0
        ratio = metrics["eager GradientTape step (ms)"] / metrics["compiled step (ms)"]
        assert abs(metrics["eager / compiled"] - ratio) < 0.02 * ratio
        if run is gan:
            assert 0 < metrics["real displacement p10"] < metrics["real displacement p90"]
