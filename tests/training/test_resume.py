"""Kill and resume: a run killed with SIGKILL and started again with the same command
continues from its last checkpoint, with the same step count and optimizer state, and ends
where an uninterrupted run ends."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.harness import REPO

COMMAND = ["-m", "vidgen_tf", "train", "vae", "--profile", "smoke", "--steps", "16", "--resume"]


def _train(out, timeout=600):
    run = subprocess.run([sys.executable, *COMMAND, "--out", str(out)], capture_output=True,
                         text=True, cwd=REPO, timeout=timeout)
    assert run.returncode == 0, run.stderr[-4000:]
    return run.stdout


def _weights(out):
    import h5py

    path = os.path.join(out, "model.keras")
    import zipfile

    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as f, h5py.File(f) as h5:
        values = {}
        h5.visititems(lambda name, obj: values.__setitem__(name, np.array(obj))
                      if isinstance(obj, h5py.Dataset) else None)
    return values


@pytest.mark.slow
def test_killed_run_resumes_where_it_stopped(tmp_path):
    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, *COMMAND, "--out", str(killed)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = killed / "checkpoints"
    deadline = time.time() + 300
    while time.time() < deadline:
        if checkpoints.is_dir() and any(p.name >= "ckpt-000003" for p in checkpoints.iterdir()
                                        if p.name.startswith("ckpt-")):
            break
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    else:
        pytest.fail("no checkpoint after 300 s")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / "model.keras").exists()
    saved = sorted(p.name for p in checkpoints.iterdir() if p.name.startswith("ckpt-"))
    last = int(saved[-1].split("-")[1])
    state = json.loads((checkpoints / saved[-1] / "state.json").read_text())
    assert state == {"epoch": last, "step": 2 * last}

    log = _train(killed)                                  # the same command again
    assert f"Resumed {killed} from epoch {last} (optimizer step {2 * last})" in log
    metrics = json.loads((killed / "metrics.json").read_text())
    assert metrics["steps"] == 16 and metrics["resumed_from_epoch"] == last
    history = json.loads((killed / "history.json").read_text())
    assert [h["epoch"] for h in history] == list(range(1, 9))

    _train(tmp_path / "straight")                         # the same run, uninterrupted
    a, b = _weights(killed), _weights(tmp_path / "straight")
    assert a.keys() == b.keys()
    optimizer_steps = [k for k in a if k.startswith("optimizer") and a[k].shape == ()]
    assert any(int(a[k]) == 16 for k in optimizer_steps), optimizer_steps
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_a_finished_folder_is_not_overwritten(tmp_path):
    out = tmp_path / "run"
    os.makedirs(out)
    (out / "config.json").write_text(json.dumps({"recipe": "vae", "profile": "smoke"}))
    run = subprocess.run([sys.executable, "-m", "vidgen_tf", "train", "vae", "--profile",
                          "smoke", "--out", str(out)], capture_output=True, text=True,
                         cwd=REPO, timeout=600)
    assert run.returncode == 1
    assert "already holds a run" in run.stderr and "--resume" in run.stderr
