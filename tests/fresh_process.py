"""Reload a saved model in a fresh Python process, for the harness (``tests/harness.py``,
step 5): one long-lived process per module of model classes, started on first use.

A process that has imported only NumPy, Keras and the module that defines the classes is what
a user's fresh session is: if a class is not registered for serialization, or its module is
not importable, the load fails there. Loading a model registers nothing, so the same process
answers every reload of that module's classes; starting a Python that imports TensorFlow
costs several seconds, and the suite reloads about twenty models.

Protocol: one JSON request per line on the process's stdin (``path`` of the ``.keras`` file,
``arrays`` of the ``.npz`` inputs, ``count`` of arrays, ``several`` inputs or one); one line
back on its stdout, ``RESULT {name: nested lists}`` or ``ERROR traceback``.
"""

import atexit
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SERVER = r"""
import importlib, json, sys, traceback
import numpy as np
import keras

importlib.import_module(sys.argv[1])            # registers the classes, as a user's import
for line in sys.stdin:
    request = json.loads(line)
    try:
        model = keras.models.load_model(request["path"])
        data = np.load(request["arrays"])
        xs = [data[f"arr_{i}"] for i in range(request["count"])]
        out = model(xs if request["several"] else xs[0], training=False)
        out = out if isinstance(out, dict) else {"output": out}
        reply = "RESULT " + json.dumps({k: np.asarray(v).tolist() for k, v in out.items()})
    except Exception:
        reply = "ERROR " + json.dumps(traceback.format_exc())
    print(reply, flush=True)
"""

_servers = {}


class _Server:
    def __init__(self, module):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, module],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr, text=True, cwd=REPO)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)                       # the process ended

    def _stderr(self):
        self.stderr.seek(0)
        return self.stderr.read()[-3000:]

    def ask(self, request, timeout):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.process.kill()
                raise AssertionError(f"the fresh process did not answer in {timeout} s: "
                                     f"{self._stderr()}") from None
            if line is None:
                raise AssertionError(f"the fresh process ended: {self._stderr()}")
            if line.startswith(("RESULT ", "ERROR ")):
                return line

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@atexit.register
def _close_all():
    for server in _servers.values():
        server.close()


def reload_outputs(module, path, arrays, count, several, timeout=600):
    """Outputs ``{name: array}`` of the model saved at ``path`` on the ``count`` inputs saved
    in ``arrays`` (``.npz``), computed in a process that imported only NumPy, Keras and
    ``module``.

    Raises:
        AssertionError: the load or the call failed there (with its traceback).
    """
    import numpy as np

    server = _servers.get(module)
    if server is None or server.process.poll() is not None:
        server = _servers[module] = _Server(module)
    line = server.ask({"path": path, "arrays": arrays, "count": count, "several": several},
                      timeout)
    if line.startswith("ERROR "):
        raise AssertionError("reloading in a fresh process failed:\n"
                             + json.loads(line[len("ERROR "):]))
    return {k: np.asarray(v) for k, v in json.loads(line[len("RESULT "):]).items()}
