"""Distribution: a two-device MirroredStrategy step equals the one-device step, and
MultiWorkerMirroredStrategy trains in two real worker processes."""

import json
import math
import os
import socket
import subprocess
import sys

import pytest

from tests.harness import REPO
from tests.training.tiny_models import MODELS


@pytest.fixture(scope="module")
def mirrored_results():
    """One process for all models (TensorFlow starts once with two logical CPUs)."""
    run = subprocess.run([sys.executable, "-m", "tests.training.distributed_step", *MODELS],
                         capture_output=True, text=True, cwd=REPO, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]
    results = [json.loads(ln[len("RESULT "):]) for ln in run.stdout.splitlines()
               if ln.startswith("RESULT ")]
    return {r["model"]: r for r in results}


@pytest.mark.parametrize("name", MODELS)
def test_mirrored_step_equals_single_device_step(name, mirrored_results):
    result = mirrored_results[name]
    assert result["replicas"] == 2
    assert result["logs_single"].keys() == result["logs_mirrored"].keys()
    for key, value in result["logs_single"].items():
        assert result["logs_mirrored"][key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    assert result["weights_moved"] > 1e-4            # the step did something...
    assert result["weights_diff"] < 1e-5 + 1e-3 * result["weights_moved"]   # ...the same


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _result(out):
    return json.loads([ln for ln in out.splitlines() if ln.startswith("RESULT ")][-1][7:])


def test_multiworker_training_in_two_processes_equals_one_device(tmp_path):
    """Two worker processes, each on half of every global batch, train as one device on the
    whole batch (whose VAE noise is the workers' noise, see multiworker_step)."""
    workers = [f"localhost:{p}" for p in _free_ports(2)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "tests.training.multiworker_step", str(tmp_path / str(index))],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TF_CONFIG": json.dumps(config)}))
    outputs = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=600)
            assert process.returncode == 0, err[-4000:]
            outputs.append(_result(out))
    finally:
        for process in processes:
            process.kill()
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    run = subprocess.run([sys.executable, "-m", "tests.training.multiworker_step",
                          str(tmp_path / "one"), "--one-device"], capture_output=True,
                         text=True, cwd=REPO, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    reference = _result(run.stdout)
    assert reference["replicas"] == 1 and reference["steps"] == 6
    assert all(math.isfinite(v) for v in reference["losses"])
    assert reference["losses"][-1] < 0.9 * reference["losses"][0]       # it trains
    for result in outputs:
        assert result["replicas"] == 2 and result["steps"] == 6
        assert result["losses"] == pytest.approx(reference["losses"], rel=1e-4)
        # synchronous training: both workers hold the one-device weights
        assert result["checksum"] == pytest.approx(reference["checksum"], rel=1e-5)


def test_strategy_names_are_checked(monkeypatch):
    from vidgen_tf.training import get_strategy

    with pytest.raises(ValueError, match="mirrored"):
        get_strategy("horovod")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        get_strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        get_strategy("multiworker")
    assert get_strategy("cpu").num_replicas_in_sync == 1
