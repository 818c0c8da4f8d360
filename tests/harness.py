"""The shared test harness for every public layer and model (DESIGN.md section 6).

``run_model_test`` checks, for one small instance:

1. an eager call gives the expected output shapes, with finite values;
2. a symbolic call (``keras.Input`` through the layer or model) gives the same shapes with a
   free batch axis, and so does ``compute_output_shape`` (required of layers; of models
   checked where they implement it), for a free and for the given batch;
3. the weight counts: trainable and non-trainable numbers, against the numbers the caller
   passes in (counted by hand, with ``conv_params``, ``dense_params`` and ``norm_params``);
4. the config round trip: ``from_config(get_config())`` gives an equal config, the same
   weight counts and, with the same weights, the same outputs;
5. saving to a ``.keras`` file and reloading it **in a fresh Python process** gives the same
   outputs (custom classes must be registered and importable);
6. one ``fit`` step on the given targets runs, gives a finite loss and changes the weights;
7. under each precision policy (``float32``, ``mixed_float16``, ``mixed_bfloat16``) an
   instance built from the config (under that global policy) keeps float32 variables and
   returns finite outputs of the policy's compute dtype, or float32 for the outputs the
   class documents as float32 (``float32_outputs``), or int32 for integer outputs (tokens,
   ``int32_outputs``); the global policy is restored afterwards (``run_precision_test``
   runs this step alone).

Inputs are one NumPy batch, or a list of them for layers and models with several inputs.
"""

from __future__ import annotations

import math
import os

import numpy as np

from tests.fresh_process import reload_outputs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


# --- hand counts of parameters ---------------------------------------------------------------

def conv_params(kernel, channels_in, channels_out, bias=True):
    """Parameters of a convolution: ``prod(kernel) * in * out`` (+ ``out`` biases)."""
    volume = math.prod(kernel) if isinstance(kernel, (tuple, list)) else int(kernel)
    return volume * channels_in * channels_out + (channels_out if bias else 0)


def dense_params(units_in, units_out, bias=True):
    """Parameters of a dense layer (or an embedding table, with ``bias=False``)."""
    return units_in * units_out + (units_out if bias else 0)


def norm_params(channels):
    """Trainable parameters of a Group-, Layer- or BatchNormalization: a scale and an offset
    per channel (BatchNormalization adds as many non-trainable: its moving mean and
    variance)."""
    return 2 * channels


def count_params(weights):
    return int(sum(math.prod(w.shape) for w in weights))


# --- the harness -----------------------------------------------------------------------------

def _as_list(inputs):
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def _as_dict(outputs):
    if isinstance(outputs, dict):
        return {k: np.asarray(v) for k, v in outputs.items()}
    return {"output": np.asarray(outputs)}


def _shapes(outputs):
    """``{name: shape}`` of outputs (tensors, arrays or shape tuples)."""
    def shape(v):
        return tuple(v) if isinstance(v, (tuple, list)) else tuple(v.shape)

    if isinstance(outputs, dict):
        return {k: shape(v) for k, v in outputs.items()}
    return {"output": shape(outputs)}


def _dtypes(outputs):
    from keras import backend

    items = outputs.items() if isinstance(outputs, dict) else [("output", outputs)]
    return {k: backend.standardize_dtype(v.dtype) for k, v in items}


def _declared_shapes(model, input_shapes):
    """``compute_output_shape`` of ``model``, or None when a model does not implement it."""
    import keras

    try:
        return model.compute_output_shape(input_shapes)
    except NotImplementedError:
        assert isinstance(model, keras.Model), (
            f"{type(model).__name__} is a layer and must implement compute_output_shape")
        return None


def run_model_test(model, inputs, expected_shapes, *, trainable_params, non_trainable_params=0,
                   loss=None, targets=None, tmp_path=None, fit=True, atol=1e-5,
                   float32_outputs=(), int32_outputs=(), policies=POLICIES):
    """Run the harness on ``model`` (already constructed, not yet called).

    Args:
        model: a Keras model or layer instance.
        inputs: a NumPy batch, or a list of them (one per input).
        expected_shapes: dict ``{output name: shape}`` (``"output"`` for a single tensor).
        trainable_params: int. Trainable parameters, counted by hand.
        non_trainable_params: int. Non-trainable parameters (BatchNormalization's moving
            statistics), counted by hand.
        loss: the loss (or dict of losses) for the fit step.
        targets: the targets of the fit step.
        tmp_path: a folder for the saved file.
        fit: bool. Run the fit step (False for inference-only networks and weightless
            layers).
        atol: float. Tolerance of output comparisons.
        float32_outputs: names of the outputs the class documents as float32 under every
            policy (``"output"`` for a single tensor).
        int32_outputs: names of the integer outputs (tokens), int32 under every policy.
        policies: the precision policies to check the output dtypes under.
    """
    import keras

    xs = _as_list(inputs)
    several = isinstance(inputs, (list, tuple))
    call_inputs = xs if several else xs[0]
    expected = {k: tuple(s) for k, s in expected_shapes.items()}

    # 1. eager call
    outputs = _as_dict(model(call_inputs, training=False))
    assert _shapes(outputs) == expected
    assert all(np.all(np.isfinite(v)) for v in outputs.values())

    # 2. symbolic call, and compute_output_shape
    symbols = [keras.Input(x.shape[1:], dtype=str(x.dtype)) for x in xs]
    symbolic = model(symbols if several else symbols[0])
    free = {k: (None,) + s[1:] for k, s in expected.items()}
    assert _shapes(symbolic) == free, "symbolic call"
    shapes_in = [(None,) + x.shape[1:] for x in xs]
    declared = _declared_shapes(model, shapes_in if several else shapes_in[0])
    if declared is not None:
        assert _shapes(declared) == free, "compute_output_shape, free batch"
        batch_shapes = [x.shape for x in xs]
        declared = model.compute_output_shape(batch_shapes if several else batch_shapes[0])
        assert _shapes(declared) == expected, "compute_output_shape, given batch"

    # 3. weight counts
    counts = (trainable_params, non_trainable_params)
    assert (count_params(model.trainable_weights),
            count_params(model.non_trainable_weights)) == counts, "(trainable, non-trainable)"

    # 4. config round trip
    config = model.get_config()
    clone = type(model).from_config(config)
    clone(call_inputs, training=False)
    assert clone.get_config() == config
    assert (count_params(clone.trainable_weights),
            count_params(clone.non_trainable_weights)) == counts
    clone.set_weights(model.get_weights())
    for key, value in _as_dict(clone(call_inputs, training=False)).items():
        np.testing.assert_allclose(value, outputs[key], atol=atol)

    # 5. save, and reload in a fresh process (a layer goes in a functional model)
    wrapper = model if isinstance(model, keras.Model) else keras.Model(
        symbols if several else symbols[0], symbolic)
    if tmp_path is not None:
        path = os.path.join(str(tmp_path), "model.keras")
        wrapper.save(path)
        arrays = os.path.join(str(tmp_path), "inputs.npz")
        np.savez(arrays, *xs)
        # a process that imported only NumPy, Keras and the classes' module (one per module,
        # kept for the next reload: tests/fresh_process.py)
        reloaded = reload_outputs(type(model).__module__, path, arrays, len(xs), several)
        assert set(reloaded) == set(outputs)
        for key, value in reloaded.items():
            np.testing.assert_allclose(value, outputs[key], atol=atol)

    # 6. one fit step
    if fit:
        before = [np.array(w) for w in model.trainable_weights]
        wrapper.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
        history = wrapper.fit(call_inputs, targets, epochs=1, batch_size=len(xs[0]), verbose=0)
        losses = history.history["loss"]
        assert len(losses) == 1 and np.isfinite(losses[0])
        after = [np.array(w) for w in model.trainable_weights]
        assert any(not np.allclose(a, b) for a, b in zip(before, after))

    # 7. output dtypes under each precision policy (built under it, from the config)
    run_precision_test(model, inputs, expected, float32_outputs=float32_outputs,
                       int32_outputs=int32_outputs, policies=policies)


def _expected_dtype(key, compute_dtype, float32_outputs, int32_outputs):
    if key in int32_outputs:
        return "int32"
    return "float32" if key in float32_outputs else compute_dtype


def run_precision_test(model, inputs, output_names, float32_outputs=(), int32_outputs=(),
                       policies=POLICIES):
    """Step 7 of the harness on its own: for each policy, an instance of ``model``'s class
    built from its config under that global policy returns finite outputs of the policy's
    compute dtype (float32 for ``float32_outputs``, int32 for ``int32_outputs``) and keeps
    variables of the policy's variable dtype. The global policy is restored afterwards."""
    import keras

    names = set(output_names)
    unknown = (set(float32_outputs) | set(int32_outputs)) - names
    assert not unknown, f"float32_outputs names no output: {sorted(unknown)}"
    xs = _as_list(inputs)
    call_inputs = xs if isinstance(inputs, (list, tuple)) else xs[0]
    config = {k: v for k, v in model.get_config().items() if k != "dtype"}
    previous = keras.config.dtype_policy()
    try:
        for name in policies:
            keras.config.set_dtype_policy(name)
            policy = keras.DTypePolicy(name)
            instance = type(model).from_config(config)
            result = instance(call_inputs, training=False)
            assert _dtypes(result) == {
                k: _expected_dtype(k, policy.compute_dtype, float32_outputs, int32_outputs)
                for k in names}, name
            values = result.values() if isinstance(result, dict) else [result]
            assert all(np.all(np.isfinite(np.asarray(keras.ops.cast(v, "float32"))))
                       for v in values), name
            assert {w.dtype for w in instance.weights} <= {policy.variable_dtype}, name
    finally:
        keras.config.set_dtype_policy(previous)
