"""What a model's loss needs to know about distribution.

Under a ``tf.distribute`` strategy each replica computes its loss on its share of the global
batch and the gradients of all replicas are *summed*; a replica's mean loss must therefore be
divided by the number of replicas for the update to equal the one-device update on the whole
batch. ``replica_share`` does that (and nothing outside a strategy, or on other backends).
"""

from __future__ import annotations

import keras


def num_replicas():
    """Replicas in sync under the current ``tf.distribute`` strategy (1 outside one)."""
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def replica_share(loss):
    """``loss / replicas``: this replica's share of the global mean loss."""
    replicas = num_replicas()
    return loss if replicas == 1 else loss * (1.0 / replicas)
