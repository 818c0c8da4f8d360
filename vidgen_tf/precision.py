"""Precision policies (lesson 02).

The profile's ``precision`` names a Keras dtype policy: ``"float32"`` (CPUs),
``"mixed_float16"`` (GPUs: float16 compute, float32 weights) or ``"mixed_bfloat16"`` (TPUs
and recent CPUs/GPUs). With float16 the gradients of small losses underflow, so each
optimizer is wrapped in a ``LossScaleOptimizer``: the loss is multiplied by a large factor
before differentiation and the gradients divided by it before the update; steps whose
gradients overflow are skipped and the factor lowered. bfloat16 has float32's range and
needs no scaling.

A custom train step then computes ``optimizer.scale_loss(loss)`` before ``tape.gradient``
and hands the gradients to ``optimizer.apply_gradients`` as usual: for an optimizer that is
not wrapped, ``scale_loss`` is the identity.

This module sits at the package's base, beside ``config``: training sets the policy
(``set_precision``) and models wrap their own optimizers (``scaled_optimizer`` in
``VideoGAN.compile``), and models must not import ``training`` (DESIGN.md section 2).
``vidgen_tf.training`` re-exports these functions.
"""

from __future__ import annotations

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def set_precision(policy):
    """Make ``policy`` (a name, or a profile with a ``precision`` field) the global policy.

    Call it before building a model. Returns the policy name.
    """
    import keras

    name = getattr(policy, "precision", policy)
    if name not in POLICIES:
        raise ValueError(f"Unknown precision {name!r}; choose one of {', '.join(POLICIES)}.")
    keras.mixed_precision.set_dtype_policy(name)
    return name


def needs_loss_scaling(dtype_policy=None):
    """Whether a model with ``dtype_policy`` (default: the global one) needs loss scaling."""
    import keras

    policy = dtype_policy or keras.mixed_precision.dtype_policy()
    return getattr(policy, "compute_dtype", policy) == "float16"


def scaled_optimizer(optimizer, dtype_policy=None):
    """``optimizer`` wrapped in a ``LossScaleOptimizer`` when the policy computes in float16.

    Args:
        optimizer: a Keras optimizer (or a name such as ``"adam"``).
        dtype_policy: the model's ``dtype_policy``; default the global policy.
    """
    import keras

    optimizer = keras.optimizers.get(optimizer)
    if needs_loss_scaling(dtype_policy) and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
