"""Running it again is safe: a finished run, started again with the same command (gan) or the
same notebook cell (every recipe), loads its last checkpoint and returns its saved metrics
without training; an unfinished one still resumes (``test_resume``)."""

import json
import os
import shutil
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


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """``first_run(name) -> (folder, model, metrics)``: the recipe trained once at the smoke
    profile, as the first "Run All" of a lesson (``train(..., resume=True)``), shared by the
    tests of this file; a test that changes the folder works on a copy (``_copy``)."""
    runs = {}

    def run(name):
        if name not in runs:
            from vidgen_tf.training.run import train

            out = str(tmp_path_factory.mktemp("first") / name)
            model, metrics = train(name, "smoke", out, resume=True, verbose=0)
            runs[name] = (out, model, metrics)
        return runs[name]

    return run


def _copy(folder, tmp_path, name):
    """A copy of a run folder (file times kept), to run the same command on again."""
    out = str(tmp_path / name)
    shutil.copytree(folder, out)
    return out


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
def test_the_same_command_twice_loads_the_finished_run(first_run, tmp_path):
    """The issue's command, with the recipe whose rerun crashed (the CLI is the same for every
    recipe, and ``test_train_twice_in_a_notebook_reloads`` reloads every recipe), run again
    on a finished run: ``vidgen_tf train`` runs ``run.train(..., resume=True)`` (``cli``),
    the call that made the finished folder copied here."""
    name = "gan"
    out = _copy(first_run(name)[0], tmp_path, name)
    command = ("train", name, "--profile", "smoke", "--out", out, "--resume")
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
def test_train_twice_in_a_notebook_reloads(name, first_run, tmp_path, monkeypatch):
    """What a lesson's training cell does on "Run All" a second time: ``train(..., resume=True)``
    into the same folder returns the same model state and metrics, and never calls ``fit``."""
    from vidgen_tf.training.run import train

    folder, model, metrics = first_run(name)
    out = _copy(folder, tmp_path, name)
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


def test_a_longer_run_in_a_finished_folder_trains_on(first_run, tmp_path):
    """Only a run that reached its steps is "finished": asking for more steps resumes it."""
    from vidgen_tf.training.run import train

    folder, _, first = first_run("vae")
    out = _copy(folder, tmp_path, "vae")
    _, metrics = train("vae", "smoke", out, resume=True, steps=first["steps"] + 2, verbose=0)
    assert metrics["steps"] == first["steps"] + 2
    assert metrics["resumed_from_epoch"] == first["epochs"]


def test_sprite_vae_recipe_saves_its_prior_fitted_and_scores_both_priors(first_run, tmp_path):
    """The recipe's ``finish`` step fits the prior before ``model.keras`` is written: the
    saved model's prior is the Gaussian of the training clips' codes (not the standard
    normal it starts as), and the scores hold the samples of both priors. The same command
    again loads the finished run from its last checkpoint (saved before the prior was fitted)
    and fits the prior again, to the same prior as model.keras."""
    from vidgen_tf.config import get_profile
    from vidgen_tf.data import to_float
    from vidgen_tf.training.run import load_run, train
    from vidgen_tf.training.sprite_vae_recipe import setting

    folder, model, metrics = first_run("sprite-vae")
    saved = load_run(folder)
    clips = setting(get_profile("smoke")).source("train").generate(16)
    mean, log_var = (np.asarray(a, np.float64) for a in saved.encode(
        np.asarray(to_float(clips["video"]))))
    scale = np.asarray(saved.prior_scale, np.float64)
    expected = np.cov(mean, rowvar=False) + np.diag(np.exp(log_var).mean(0))
    # float32 weights: the covariance rebuilt from its factor to float32 rounding
    np.testing.assert_allclose(scale @ scale.T, expected, atol=1e-5 * np.abs(expected).max())
    np.testing.assert_allclose(np.asarray(saved.prior_mean), mean.mean(0), atol=1e-5)
    np.testing.assert_array_equal(np.asarray(model.prior_scale), scale)
    assert not np.allclose(scale, np.eye(len(scale)), atol=1e-3)
    for key in ("samples", "samples_standard_prior"):
        assert {"proxy_fvd", "label_accuracy"} <= set(metrics["scores"][key])
    assert metrics["scores"]["samples"] != metrics["scores"]["samples_standard_prior"]
    again, _ = train("sprite-vae", "smoke", _copy(folder, tmp_path, "again"), resume=True,
                     verbose=0)
    np.testing.assert_allclose(np.asarray(again.prior_scale), scale, atol=1e-6)
