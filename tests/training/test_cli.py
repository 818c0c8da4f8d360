"""The command line's error boundary: an expected failure is one line ``error: ...`` on
stderr that names the file, with exit code 1 and no traceback. Real files, real processes."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.harness import REPO


def _cli(*args, env=None):
    """Run ``python -m vidgen_tf ARGS``; returns the finished process."""
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "vidgen_tf", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, timeout=600,
                          env=environment)


def _error_line(run):
    """The one ``error:`` line of a failed run (after checking there is no traceback)."""
    assert run.returncode == 1, (run.returncode, run.stderr[-3000:])
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, run.stderr[-3000:]
    return lines[0]


def _train(out, *more, env=None):
    return _cli("train", "vae", "--profile", "smoke", "--out", out, *more, env=env)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished smoke run of two epochs (checkpoints of epochs 1 and 2)."""
    out = tmp_path_factory.mktemp("cli") / "vae"
    run = _train(out, "--steps", "4")
    assert run.returncode == 0, run.stderr[-4000:]
    assert sorted(os.listdir(out / "checkpoints")) == ["ckpt-000001", "ckpt-000002"]
    return out


def _copy(run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    return copy


def test_out_that_is_a_file_is_named(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("notes")
    line = _error_line(_train(path))
    assert line == (f"error: --out {path} is a file; a run folder is expected there. Give "
                    f"the path of a folder (it is created when missing), e.g. runs/<model>.")
    assert path.read_text() == "notes"


def test_vidgen_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("notes")
    run = _train(path, env={"VIDGEN_DEBUG": "1"})
    assert run.returncode == 1 and "Traceback" in run.stderr
    assert "is a file; a run folder is expected there" in run.stderr


def test_out_under_a_file_cannot_be_created(tmp_path):
    # as root, permissions do not stop a write: a regular file in the path does
    (tmp_path / "file.txt").write_text("notes")
    out = tmp_path / "file.txt" / "run"
    line = _error_line(_train(out))
    assert line.startswith(f"error: Cannot create the run folder {out}: "
                           f"{tmp_path / 'file.txt'} is a file, and a folder was expected")


def test_corrupt_config_json_is_named(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text('{"recipe": "vae", "prof')
    line = _error_line(_train(out, "--resume"))
    assert line.startswith(f"error: {out / 'config.json'} (the settings of the run in {out}) "
                           f"cannot be read: {out / 'config.json'} is not a valid JSON file")
    assert f"remove {out} or choose another --out" in line
    (out / "config.json").write_text(json.dumps(["vae", "smoke"]))
    line = _error_line(_train(out, "--resume"))
    assert f"error: {out / 'config.json'} must hold a JSON object of settings" in line
    assert "it holds a list" in line


def test_empty_profile_variable_is_an_error(tmp_path):
    line = _error_line(_cli("train", "vae", "--out", tmp_path / "run",
                            env={"VIDGEN_PROFILE": ""}))
    assert "VIDGEN_PROFILE is set but empty ('')" in line and "Unset it" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_an_os_error_is_one_line_naming_the_path(finished_run, tmp_path):
    (tmp_path / "file.txt").write_text("notes")
    video = tmp_path / "file.txt" / "samples.gif"
    line = _error_line(_cli("sample", finished_run, "--n", "1", "--out", video))
    # os.makedirs meets the file: the path it could not create, and what that means
    assert line == (f"error: {tmp_path / 'file.txt'}: File exists (it already exists, e.g. a "
                    f"file where a folder was to be created)")


@pytest.mark.slow
def test_sample_of_a_corrupt_model_says_it_exists_but_cannot_be_read(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path)
    model = run / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])            # truncated
    line = _error_line(_cli("sample", run, "--n", "1"))
    assert "not found" not in line.lower()
    assert line.startswith(f"error: {model} is there but cannot be read as a Keras model "
                           f"(it is not a .keras archive (a zip file): it may be truncated)")
    assert (f"Delete it and run `python -m vidgen_tf train vae --profile smoke --out {run} "
            f"--resume`") in line


@pytest.mark.slow
def test_resume_skips_a_newest_checkpoint_with_a_truncated_random_npz(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path)
    damaged = run / "checkpoints" / "ckpt-000002" / "random.npz"
    damaged.write_bytes(damaged.read_bytes()[:40])
    result = _train(run, "--steps", "4", "--resume")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    assert f"Checkpoint {run / 'checkpoints' / 'ckpt-000002'} is skipped: {damaged} cannot " \
           f"be read as an .npz archive" in result.stderr
    assert f"Resumed {run} from epoch 1 (optimizer step 2)" in result.stdout
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1 and metrics["steps"] == 4
