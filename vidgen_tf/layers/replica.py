"""Sums across the replicas of a ``tf.distribute`` strategy, for layers with state statistics.

A layer that updates its own variables from batch statistics (an EMA codebook) must see the
statistics of the whole global batch, not of its replica's share, for a step on two devices to
equal the step on one. ``cross_replica_sum`` adds a tensor over the replicas in sync (under
TensorFlow; elsewhere, and outside a strategy, it returns the tensor unchanged).
"""

from __future__ import annotations

import keras


def cross_replica_sum(value):
    """``value`` summed over the replicas of the current strategy (``value`` itself with one
    replica, outside a strategy, or on another backend)."""
    if keras.backend.backend() != "tensorflow":
        return value
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.SUM, value)
