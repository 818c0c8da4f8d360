"""Reference runs: published from a finished run, loaded by name with the same outputs,
checked against their SHA-256, refused when too large; the CLI's errors are one line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.harness import REPO
from vidgen_tf.training.references import (ReferenceRunError, list_references, load_reference,
                                           publish)
from vidgen_tf.training.run import RunFolderError, train


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("runs") / "vae-digits")
    model, metrics = train("vae-digits-1-32", "smoke", out, verbose=0)
    return out, model, metrics


def test_a_published_run_loads_by_name_with_the_same_outputs(finished_run, tmp_path):
    out, model, metrics = finished_run
    # PSNR >= 0 holds by construction for clips in [-1, 1]; four training steps do not
    # reconstruct held-out clips anywhere near exactly (that would be an error, such as
    # scoring the clips against themselves)
    assert 0 < metrics["scores"]["heldout_psnr_db"] < 30
    entry = publish(out, "vae-digits", folder=str(tmp_path))
    assert entry["file"] == "vae-digits/model.keras" and entry["recipe"] == "vae-digits-1-32"
    assert entry["steps"] == metrics["steps"] and entry["profile"] == "smoke"
    assert entry["command"].startswith("python -m vidgen_tf train vae-digits-1-32 --profile "
                                       "smoke --steps")
    assert 0 < entry["bytes"] == os.path.getsize(tmp_path / "vae-digits" / "model.keras")
    assert list_references(str(tmp_path)) == {"vae-digits": entry}
    loaded, loaded_metrics = load_reference("vae-digits", folder=str(tmp_path))
    assert loaded_metrics == metrics
    clips = np.random.default_rng(0).uniform(-1, 1, (2,) + tuple(model.video_shape))
    clips = clips.astype(np.float32)
    np.testing.assert_array_equal(np.asarray(loaded.reconstruct(clips)),
                                  np.asarray(model.reconstruct(clips)))
    assert "optimizer" not in _weight_groups(tmp_path / "vae-digits" / "model.keras")
    assert "optimizer" in _weight_groups(os.path.join(out, "model.keras"))   # the run's has it


def _weight_groups(path):
    """Top-level groups of a ``.keras`` file's weights (``layers``, ``optimizer``, ...)."""
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as f:
        return set(f.keys())


def test_an_altered_or_unknown_reference_is_refused(finished_run, tmp_path):
    out, _, _ = finished_run
    publish(out, "vae-digits", folder=str(tmp_path))
    with pytest.raises(ReferenceRunError, match=r"No reference run 'gun' in .* \(the reference "
                                                r"runs are: vae-digits\)"):
        load_reference("gun", folder=str(tmp_path))
    with open(tmp_path / "vae-digits" / "model.keras", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ReferenceRunError, match="do not match the manifest.*python -m "
                                                "vidgen_tf train vae-digits-1-32"):
        load_reference("vae-digits", folder=str(tmp_path))


def test_too_large_unfinished_or_badly_named_runs_are_not_published(finished_run, tmp_path):
    out, _, _ = finished_run
    with pytest.raises(ReferenceRunError, match="MB, more than the 0 MB a reference run may"):
        publish(out, "big", folder=str(tmp_path), max_bytes=1000)
    assert not (tmp_path / "big" / "model.keras").exists()
    assert list_references(str(tmp_path)) == {}
    with pytest.raises(ReferenceRunError, match="plain folder name, got '../x'"):
        publish(out, "../x", folder=str(tmp_path))
    os.makedirs(tmp_path / "empty")
    with pytest.raises(RunFolderError, match="holds no trained model"):
        publish(str(tmp_path / "empty"), "empty", folder=str(tmp_path))


def test_the_command_line_publishes_lists_and_names_errors(finished_run, tmp_path):
    out, _, _ = finished_run
    env = dict(os.environ, VIDGEN_REFERENCES=str(tmp_path))
    run = subprocess.run([sys.executable, "-m", "vidgen_tf.training.references", "publish", out,
                          "--name", "small"], capture_output=True, text=True, cwd=REPO, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith(f"published {out} as reference 'small': ")
    listed = subprocess.run([sys.executable, "-m", "vidgen_tf.training.references", "list"],
                            capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert listed.stdout.startswith("small: recipe vae-digits-1-32, ")
    bad = subprocess.run([sys.executable, "-m", "vidgen_tf.training.references", "publish",
                          str(tmp_path / "nothing"), "--name", "x"], capture_output=True,
                         text=True, cwd=REPO, env=env, timeout=300)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "nothing" in errors[0]
    with open(tmp_path / "manifest.json") as f:
        assert list(json.load(f)) == ["small"]


def test_train_or_reference_trains_or_loads_the_reference(finished_run, tmp_path, capsys):
    from vidgen_tf.training.references import reference_metrics, train_or_reference

    out, model, metrics = finished_run
    folder = str(tmp_path / "references")
    publish(out, "vae-digits-1-32", folder=folder)
    assert reference_metrics("vae-digits-1-32", folder) == metrics
    clips = np.random.default_rng(1).uniform(-1, 1, (2,) + tuple(model.video_shape))
    clips = clips.astype(np.float32)
    # the smoke profile takes the reader's path without training: the reference, by recipe name
    loaded, loaded_metrics = train_or_reference("vae-digits-1-32", "smoke",
                                                str(tmp_path / "mine"), folder=folder)
    assert not os.path.exists(tmp_path / "mine")
    assert loaded_metrics == {**metrics, "source": "reference run",
                              "reference": "vae-digits-1-32",
                              "folder": os.path.join(folder, "vae-digits-1-32")}
    assert os.path.exists(os.path.join(loaded_metrics["folder"], "history.json"))
    printed = capsys.readouterr().out
    assert "the smoke profile: loaded the reference run 'vae-digits-1-32'" in printed
    np.testing.assert_array_equal(np.asarray(loaded.reconstruct(clips)),
                                  np.asarray(model.reconstruct(clips)))
    # TRAIN = False at any profile loads it too; an unknown name says which ones exist
    _, cpu_metrics = train_or_reference("vae-digits-1-32", "cpu", str(tmp_path / "mine"),
                                        train=False, folder=folder)
    assert cpu_metrics["source"] == "reference run" and not os.path.exists(tmp_path / "mine")
    with pytest.raises(ReferenceRunError, match="reference runs are: vae-digits-1-32"):
        train_or_reference("gan", "smoke", str(tmp_path / "mine"), folder=folder)
    with pytest.raises(ReferenceRunError, match="No reference run 'gan'"):
        reference_metrics("gan", folder)
    # a lesson's table: your run beside the reference, or the reference alone
    from vidgen_tf.training.references import beside_reference, run_scores

    flat = run_scores(metrics)
    assert flat["steps"] == metrics["steps"]
    assert flat["heldout_psnr_db"] == metrics["scores"]["heldout_psnr_db"]
    two = {**metrics, "scores": {**metrics["scores"], "samples": {"proxy_fvd": 1.0},
                                 "others": {"proxy_fvd": -1.0}}}
    assert run_scores(two)["proxy_fvd"] == 1.0
    assert run_scores(two, samples="others")["proxy_fvd"] == -1.0
    predictor = {"steps": 7, "scores": {"heldout_clips": 4, "model": {
        "ssim": [0.9, 0.7], "ssim_mean": 0.8}, "readability": {"ratio": 0.5, "true": 0.9},
        "flicker": {"ratio": 0.25}}}
    assert run_scores(predictor) == {"steps": 7, "heldout_clips": 4, "ssim_mean": 0.8,
                                     "readability_ratio": 0.5, "flicker_ratio": 0.25}
    mine = {**metrics, "source": "your run"}
    assert beside_reference(mine, folder=folder) == {"your run": flat, "reference run": flat}
    assert beside_reference(loaded_metrics, folder=folder) == {"reference run": flat}
    # no reference shipped, or one scored in another setting: your run alone, with a note
    assert beside_reference({**mine, "recipe": "gan"}, folder=folder) == {"your run": flat}
    assert "No reference run to compare with" in capsys.readouterr().out
    elsewhere = {**mine, "scores": {**metrics["scores"], "setting": "digits, 2 per clip"}}
    assert list(beside_reference(elsewhere, folder=folder)) == ["your run"]
    assert "scored in another setting" in capsys.readouterr().out
    # a reference shipped without metrics.json still says its recipe, profile and steps
    os.remove(os.path.join(folder, "vae-digits-1-32", "metrics.json"))
    _, bare = train_or_reference("vae-digits-1-32", "smoke", str(tmp_path / "mine"),
                                 folder=folder)
    assert (bare["recipe"], bare["profile"], bare["steps"]) == ("vae-digits-1-32", "smoke",
                                                                metrics["steps"])
    assert bare["reference"] == "vae-digits-1-32"


def test_the_benchmark_loads_every_shipped_reference(finished_run, tmp_path, monkeypatch):
    from vidgen_tf.bench.models import references

    out, _, metrics = finished_run
    entry = publish(out, "vae-digits-1-32", folder=str(tmp_path))
    monkeypatch.setenv("VIDGEN_REFERENCES", str(tmp_path))
    result = references(quick=True)["metrics"]
    assert result["vae-digits-1-32 steps"] == metrics["steps"]
    assert result["vae-digits-1-32 size (MB)"] == round(entry["bytes"] / 1e6, 2)
    assert 0 < result["vae-digits-1-32 load (s)"] < 60


def test_shipped_references_load_and_meet_their_recipes_bars():
    """Every reference run in the package: its file matches its SHA-256 and loads, its
    manifest says what trained it, and the scores it shipped with meet the bars its recipe's
    lesson sets at its profile (the benchmark's ``references`` entry re-scores them)."""
    import importlib

    from vidgen_tf.config import get_profile
    from vidgen_tf.metrics.bars import check_bars
    from vidgen_tf.training.recipes import get_recipe

    shipped = list_references()
    assert "gan" in shipped
    for name, entry in shipped.items():
        model, metrics = load_reference(name)
        recipe = get_recipe(entry["recipe"])
        assert metrics["recipe"] == entry["recipe"] and metrics["steps"] == entry["steps"]
        assert entry["command"].startswith(f"python -m vidgen_tf train {entry['recipe']} ")
        assert entry["steps"] >= recipe.steps(get_profile(entry["profile"])), name
        build = getattr(recipe.build, "func", recipe.build)        # a partial, or not
        module = importlib.import_module(build.__module__)
        if hasattr(module, "bars"):
            met = check_bars(metrics["scores"]["samples"],
                             module.bars(get_profile(entry["profile"])))
            assert all(met.values()), f"reference {name!r}: bars met {met}"
