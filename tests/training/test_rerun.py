"""Running it again is safe: a finished run, started again with the same command (gan) or the
same notebook cell (every recipe), loads its last checkpoint and returns its saved metrics
without training; an unfinished one still resumes (``test_resume``)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import keras
from tests.harness import REPO
from vidgen_tf.training.recipes import _load_builtin, tested_recipes

_load_builtin()
NAMES = tested_recipes()           # a variant_of another recipe differs in numbers only


def _cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "vidgen_tf", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=timeout)


def _snapshot(out):
    """Every file of the run folder but the TensorBoard logs: path -> (mtime, bytes)."""
    files = {}
    for folder, _, names in os.walk(out):
        if os.sep + "logs" in folder:
            continue
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, out)] = (os.stat(path).st_mtime_ns, f.read())
    return files


@pytest.mark.slow
def test_the_same_command_twice_loads_the_finished_run(tmp_path):
    """The issue's command, with the recipe whose rerun crashed (the CLI is the same for every
    recipe, and ``test_train_twice_in_a_notebook_reloads`` reloads every recipe)."""
    name = "gan"
    out = tmp_path / name
    command = ("train", name, "--profile", "smoke", "--out", str(out), "--resume")
    first = _cli(*command)
    assert first.returncode == 0, first.stderr[-4000:]
    before = _snapshot(out)
    assert "metrics.json" in before and "model.keras" in before
    second = _cli(*command)
    assert second.returncode == 0, second.stderr[-4000:]
    assert "is complete" in second.stdout and "Resumed" not in second.stdout
    assert "Traceback" not in second.stderr
    # no training step, no new checkpoint, sample grid or model file; the same metrics
    assert _snapshot(out) == before
    assert json.loads(second.stdout[second.stdout.index("{"):]) == json.loads(
        before["metrics.json"][1])
    _check_sample(out, tmp_path)


def _check_sample(out, tmp_path):
    """``python -m vidgen_tf sample`` loads a finished run's averaged model and writes n clips
    as one grid video of the run's frame count; an unfinished folder gets an error naming
    it."""
    from vidgen_tf.data.video_io import read_video

    video = tmp_path / "four.gif"
    run = _cli("sample", str(out), "--n", "4", "--out", str(video))
    assert run.returncode == 0, run.stderr[-4000:]
    assert f"wrote 4 samples to {video}" in run.stdout
    assert "compile() was not called" not in run.stderr
    frames = np.asarray(read_video(str(video)))
    assert frames.shape[:3] == (8, 2 * 32 + 1, 2 * 32 + 1)      # smoke: 8 frames, 2x2 grid
    assert frames[:, :32, :32].std() > 1                        # the clips are not blank

    os.makedirs(tmp_path / "empty")
    run = _cli("sample", str(tmp_path / "empty"))
    assert run.returncode != 0 and "model.keras is missing" in run.stderr
    assert "Traceback" not in run.stderr


def _refuse_fit(*args, **kwargs):
    raise AssertionError("a finished run was trained again")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_train_twice_in_a_notebook_reloads(name, tmp_path, monkeypatch):
    """What a lesson's training cell does on "Run All" a second time: ``train(..., resume=True)``
    into the same folder returns the same model state and metrics, and never calls ``fit``."""
    from vidgen_tf.training.run import train

    out = str(tmp_path / name)
    model, metrics = train(name, "smoke", out, resume=True, verbose=0)
    weights = [np.array(w) for w in model.weights]
    with open(os.path.join(out, "metrics.json")) as f:
        saved = f.read()
    monkeypatch.setattr(keras.Model, "fit", _refuse_fit)
    again, metrics_again = train(name, "smoke", out, resume=True, verbose=0)
    assert metrics_again == metrics == json.loads(saved)
    with open(os.path.join(out, "metrics.json")) as f:
        assert f.read() == saved
    for a, b in zip(weights, again.weights):
        np.testing.assert_array_equal(a, np.array(b), err_msg=b.path)
    assert int(again.optimizer.iterations) == metrics["steps"]
    # a run killed while it was being scored (metrics.json not written) is scored again,
    # still without training, with the averaged weights restored from its last checkpoint
    os.remove(os.path.join(out, "metrics.json"))
    _, rescored = train(name, "smoke", out, resume=True, verbose=0)
    assert rescored["steps"] == metrics["steps"] and rescored["resumed_from_epoch"] == \
        metrics["epochs"]
    _assert_same_scores(rescored["scores"], metrics["scores"])
    assert os.path.exists(os.path.join(out, "metrics.json"))


def _assert_same_scores(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same_scores(a[key], b[key])
    elif isinstance(a, float):
        # the same weights and seeds; float32 sums over another batch order may differ
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5)
    else:
        assert a == b


def test_a_longer_run_in_a_finished_folder_trains_on(tmp_path, monkeypatch):
    """Only a run that reached its steps is "finished": asking for more steps resumes it."""
    from vidgen_tf.training.run import train

    out = str(tmp_path / "vae")
    train("vae", "smoke", out, resume=True, steps=2, verbose=0)
    _, metrics = train("vae", "smoke", out, resume=True, steps=4, verbose=0)
    assert metrics["steps"] == 4 and metrics["resumed_from_epoch"] == 1
