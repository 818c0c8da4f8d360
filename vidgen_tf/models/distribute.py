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


def multiworker_safe_logs(logs):
    """Give each logged scalar a length-1 axis under ``MultiWorkerMirroredStrategy``.

    Keras 3 (up to at least 3.15) reduces the logs of a multi-worker step with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails on scalars ("Invalid reduction
    dimension 0 for input with 0 dimensions", tensorflow/tensorflow#72388). With a length-1
    axis the same call averages the workers' values into the scalar Keras expects.
    """
    if keras.backend.backend() != "tensorflow":
        return logs
    import tensorflow as tf

    if not isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return logs
    return {key: tf.reshape(value, (1,)) if len(getattr(value, "shape", ())) == 0 else value
            for key, value in logs.items()}
