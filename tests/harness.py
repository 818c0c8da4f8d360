"""The shared test harness for every public layer and model (DESIGN.md section 6).

``run_model_test`` checks, for one small instance:

1. the config round trip: ``from_config(get_config())`` gives an equal config, and with the
   same weights the same outputs;
2. saving to a ``.keras`` file and reloading it **in a fresh Python process** gives the same
   outputs (custom classes must be registered and importable);
3. one ``fit`` step on the given targets runs, gives a finite loss and changes the weights;
4. the outputs have the expected shapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _as_dict(outputs):
    if isinstance(outputs, dict):
        return {k: np.asarray(v) for k, v in outputs.items()}
    return {"output": np.asarray(outputs)}


def run_model_test(model, inputs, expected_shapes, loss=None, targets=None, tmp_path=None,
                   fit=True, atol=1e-5):
    """Run the harness on ``model`` (already constructed, not yet built).

    Args:
        model: a Keras model or layer instance.
        inputs: a NumPy batch.
        expected_shapes: dict ``{output name: shape}`` (``"output"`` for a single tensor).
        loss: the loss (or dict of losses) for the fit step.
        targets: the targets of the fit step.
        tmp_path: a folder for the saved file.
        fit: bool. Run the fit step (False for inference-only networks).
        atol: float. Tolerance of output comparisons.
    """
    import keras

    outputs = _as_dict(model(inputs, training=False))
    assert {k: v.shape for k, v in outputs.items()} == {k: tuple(s) for k, s in
                                                        expected_shapes.items()}
    assert all(np.all(np.isfinite(v)) for v in outputs.values())

    # 1. config round trip
    config = model.get_config()
    clone = type(model).from_config(config)
    clone(inputs, training=False)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    for key, value in _as_dict(clone(inputs, training=False)).items():
        np.testing.assert_allclose(value, outputs[key], atol=atol)

    # 2. save, and reload in a fresh process (a layer goes in a Sequential model)
    wrapper = model if isinstance(model, keras.Model) else keras.Sequential(
        [keras.Input(inputs.shape[1:]), model])
    if tmp_path is not None:
        path = os.path.join(str(tmp_path), "model.keras")
        wrapper.save(path)
        np.save(os.path.join(str(tmp_path), "inputs.npy"), inputs)
        script = textwrap.dedent(f"""
            import importlib, json, numpy as np, keras
            importlib.import_module({type(model).__module__!r})   # registers the classes
            model = keras.models.load_model({path!r})
            out = model(np.load({os.path.join(str(tmp_path), 'inputs.npy')!r}), training=False)
            out = out if isinstance(out, dict) else {{"output": out}}
            print("RESULT " + json.dumps({{k: np.asarray(v).tolist() for k, v in out.items()}}))
        """)
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             cwd=REPO, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        line = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")][-1]
        reloaded = {k: np.asarray(v) for k, v in json.loads(line[len("RESULT "):]).items()}
        for key, value in reloaded.items():
            np.testing.assert_allclose(value, outputs[key], atol=atol)

    # 3. one fit step
    if fit:
        before = [np.array(w) for w in model.trainable_weights]
        wrapper.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
        history = wrapper.fit(inputs, targets, epochs=1, batch_size=len(inputs), verbose=0)
        losses = history.history["loss"]
        assert len(losses) == 1 and np.isfinite(losses[0])
        after = [np.array(w) for w in model.trainable_weights]
        assert any(not np.allclose(a, b) for a, b in zip(before, after))
