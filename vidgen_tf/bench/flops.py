"""How close a train step runs to the machine: its FLOPs, counted from the traced graph, and the
machine's practical float32 peak, measured with one large matmul.

``train_step_flops(model, batch)`` traces ``model.train_step`` on the batch's shapes and adds
up the floating-point operations of the ops that dominate a network's cost: matrix products
(``MatMul``, ``BatchMatMul``, ``Einsum``) and convolutions with their two gradients
(``Conv2D``/``Conv3D`` and their ``BackpropInput``/``BackpropFilter``), 2 FLOPs per
multiply-add. Element-wise ops (activations, normalisation, the optimizer's update) are not
counted: they cost a few FLOPs per value, against hundreds per value for a convolution, so the
count is a slight underestimate. Branches of a conditional (a GAN's lazy R1 penalty) are
counted separately, so that a caller can weigh them by how often they run.

``matmul_peak_gflops()`` times ``tf.matmul`` of two 2048x2048 float32 matrices: what the
machine's BLAS reaches on the best-shaped work there is, the practical peak against which a
train step's GFLOP/s is read.
"""

from __future__ import annotations

import math
import time

import numpy as np

_CONVOLUTIONS = {
    # op type: index of the input whose shape is the filter's, of the one with the output's
    # (forward) shape; None: the op's own output
    "Conv2D": (1, None), "Conv3D": (1, None),
    "Conv2DBackpropInput": (1, 2), "Conv3DBackpropInputV2": (1, 2),
    "Conv2DBackpropFilter": (None, 2), "Conv3DBackpropFilterV2": (None, 2),
}


def _static_shape(tensor):
    shape = tensor.shape
    if shape.rank is None or not shape.is_fully_defined():
        return None
    return [int(d) for d in shape]


def _einsum_flops(op, shape_of):
    equation = op.get_attr("equation").decode()
    inputs, output = equation.split("->")
    sizes = {}
    for letters, tensor in zip(inputs.split(","), op.inputs):
        shape = shape_of(tensor)
        if shape is None or "." in letters:
            return None
        sizes.update(zip(letters, shape))
    contracted = set(sizes) - set(output)
    return (2 if contracted else 1) * math.prod(sizes.values())


def _conv_output_shape(op, shape_of):
    """A forward convolution's output shape from its input, kernel, strides and padding."""
    x, kernel = shape_of(op.inputs[0]), shape_of(op.inputs[1])
    if x is None or kernel is None or op.get_attr("data_format").decode() not in (
            "NHWC", "NDHWC"):
        return None
    strides = op.get_attr("strides")[1:-1]
    padding = op.get_attr("padding").decode()
    if padding not in ("SAME", "VALID"):
        return None
    spatial = [-(-(n - (0 if padding == "SAME" else k - 1)) // s)
               for n, k, s in zip(x[1:-1], kernel[:-2], strides)]
    return [x[0], *spatial, kernel[-1]]


def op_flops(op, shape_of=_static_shape):
    """FLOPs of one graph op: 0 for ops that are not counted, None when a shape is unknown.

    Args:
        op: a ``tf.Operation``.
        shape_of: ``tensor -> list of ints or None``, the tensor's shape.
    """
    kind = op.type
    if kind == "MatMul":
        a, b = shape_of(op.inputs[0]), shape_of(op.inputs[1])
        if a is None or b is None:
            return None
        m, k = (a[1], a[0]) if op.get_attr("transpose_a") else (a[0], a[1])
        n = b[0] if op.get_attr("transpose_b") else b[1]
        return 2 * m * n * k
    if kind in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
        out, a = shape_of(op.outputs[0]), shape_of(op.inputs[0])
        if out is None or a is None:
            return None
        k = a[-2] if op.get_attr("adj_x") else a[-1]
        return 2 * math.prod(out) * k
    if kind == "Einsum":
        return _einsum_flops(op, shape_of)
    if kind in _CONVOLUTIONS:
        filter_index, grad_index = _CONVOLUTIONS[kind]
        if filter_index is not None:
            kernel = shape_of(op.inputs[filter_index])
        else:       # a filter gradient: its shape, or that of the tensor its sizes come from
            kernel = shape_of(op.outputs[0])
            sizes = op.inputs[1]
            if kernel is None and sizes.op.type in ("Shape", "ShapeN"):
                kernel = shape_of(sizes.op.inputs[sizes.value_index])
        if grad_index is not None:
            output = shape_of(op.inputs[grad_index])
        else:
            output = shape_of(op.outputs[0]) or _conv_output_shape(op, shape_of)
        if kernel is None or output is None:
            return None
        # per output value: one multiply-add per kernel tap and input channel
        return 2 * math.prod(output) * math.prod(kernel[:-1])
    return 0


def _live_ops(graph):
    """The ops that run: those the graph's outputs or its stateful ops (variable updates)
    depend on. A traced gradient also holds results nobody uses (a convolution's gradient
    into the input data, say), which the runtime prunes: they are not counted."""
    stack = [t.op for t in graph.outputs]
    stack += [op for op in graph.get_operations()
              if op.op_def is not None and op.op_def.is_stateful and op.type not in (
                  "ReadVariableOp", "Placeholder", "VarHandleOp")]
    live = set()
    while stack:
        op = stack.pop()
        if op in live:
            continue
        live.add(op)
        stack += [t.op for t in op.inputs] + list(op.control_inputs)
    return live


def graph_flops(graph, shape_of=_static_shape):
    """``(flops, unknown)``: counted FLOPs of the ops of ``graph`` that run, and how many
    counted ops had shapes that could not be known (left out)."""
    total, unknown = 0, 0
    live = _live_ops(graph)
    for op in graph.get_operations():
        if op not in live:
            continue
        flops = op_flops(op, shape_of)
        if flops is None:
            unknown += 1
        else:
            total += flops
    return total, unknown


def _variable_shapes(concrete, variables):
    """``{id(placeholder): shape}`` for the function's captured variable handles."""
    by_handle = {id(v.handle): [int(d) for d in v.shape] for v in variables
                 if hasattr(v, "handle")}
    return {id(internal): by_handle[id(external)]
            for external, internal in concrete.graph.captures if id(external) in by_handle}


def _branch_shape_of(branch, outer_inputs, variable_shapes):
    """A ``shape_of`` for a conditional branch: a value read from a variable (through
    ``ReadVariableOp``, ``Identity`` or ``Cast``) has the variable's shape, which the branch's
    own graph does not know."""
    inputs = {id(t): outer for t, outer in zip(branch.inputs, outer_inputs)}

    def shape_of(tensor):
        shape = _static_shape(tensor)
        while shape is None and tensor.op.type in ("ReadVariableOp", "Identity", "Cast"):
            tensor = tensor.op.inputs[0]
            outer = inputs.get(id(tensor))
            if outer is not None:
                return variable_shapes.get(id(outer))
        return shape

    return shape_of


def _branches(graph):
    """``[(name, FuncGraph, outer input tensors)]`` of the conditionals' branches."""
    from tensorflow.python.framework.function_def_to_graph import function_def_to_graph

    library = {f.signature.name: f for f in graph.as_graph_def().library.function}
    found, seen = [], set()
    for op in graph.get_operations():
        if op.type not in ("If", "StatelessIf"):
            continue
        outer = list(op.inputs[1:])
        for attr in ("then_branch", "else_branch"):
            name = op.get_attr(attr).name
            if name in library and name not in seen:
                seen.add(name)
                branch = function_def_to_graph(library[name],
                                               input_shapes=[t.shape for t in outer])
                found.append((name, branch, outer))
    return found


def train_step_flops(model, batch):
    """FLOPs of one ``model.train_step`` on ``batch`` (an array or a dict of arrays).

    Returns:
        dict: ``"always"``, the FLOPs outside conditionals; ``"branches"``, ``{name: FLOPs}``
        of each branch of a conditional that counts any (e.g. ``cond_true_*``: a GAN step's
        R1 penalty when it is due, and ``cond_true_*_grad_*``, its gradient); ``"unknown"``,
        counted ops whose shapes could not be known (not added).
    """
    import tensorflow as tf

    specs = tf.nest.map_structure(lambda v: tf.TensorSpec(np.shape(v), tf.as_dtype(
        np.asarray(v).dtype)), batch)
    concrete = tf.function(model.train_step).get_concrete_function(specs)
    always, unknown = graph_flops(concrete.graph)
    variables = list(model.variables)
    for optimizer in {id(o): o for o in (getattr(model, n, None) for n in (
            "optimizer", "generator_optimizer", "discriminator_optimizer")) if o}.values():
        variables += list(optimizer.variables)
    shapes = _variable_shapes(concrete, variables)
    branches = {}
    for name, branch, outer in _branches(concrete.graph):
        flops, missing = graph_flops(branch, _branch_shape_of(branch, outer, shapes))
        unknown += missing
        if flops:
            branches[name] = flops
    return {"always": always, "branches": branches, "unknown": unknown}


def matmul_peak_gflops(size=2048, repeats=10):
    """Float32 GFLOP/s of ``tf.matmul`` on two ``size x size`` matrices (best of ``repeats``
    after a warm-up): the machine's practical peak."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    b = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``, else ``platform.processor()``) and its vector
    extensions that change numerics or speed (AVX-512, native bfloat16, AMX)."""
    import platform

    name, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and name in ("unknown", "", platform.machine()):
                    name = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    shown = sorted(f for f in flags if f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16",
                                              "avx512_vnni", "fma"))
    return name + (f" ({', '.join(shown)})" if shown else "")
