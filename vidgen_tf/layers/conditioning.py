"""Class conditioning: labels to embedding indices, and the projection discriminator's logit
(lesson 02's conditional GAN).

Labels are integers in ``[0, num_classes)``, with ``-1`` for "no object" (a clip with fewer
digits than slots). An embedding table of ``num_classes + 1`` rows keeps row 0 for "no
object": ``LabelIndex`` shifts the labels by one to index it. All layers use ``keras.ops``
and follow the Keras layer contract (constructor arguments kept, ``get_config``, registered
for saving).
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="vidgen_tf")
class LabelIndex(layers.Layer):
    """Labels in ``[-1, num_classes)`` -> int32 rows ``label + 1`` of an embedding table whose
    row 0 means "no object".

    Example:
        rows = LabelIndex()(labels)                          # (B, k) int32 in [0, 10]
        vectors = keras.layers.Embedding(11, 64)(rows)       # (B, k, 64)
    """

    def call(self, inputs):
        return ops.cast(inputs, "int32") + 1

    def get_config(self):
        # no arguments of its own; defined so that Keras does not try to build the config
        # from the constructor's arguments (a dtype policy object is not serializable)
        return super().get_config()


@keras.saving.register_keras_serializable(package="vidgen_tf")
class ProjectionLogit(layers.Layer):
    """The projection discriminator's logit (Miyato & Koyama 2018): an unconditional logit
    plus ``<embed(labels), features>``, how well the features match those of the labels'
    classes.

    Call arguments:
        inputs: ``[logit (B,), embedded (B, F), features (B, F)]``.

    Returns:
        logits ``(B,)``.

    Example:
        ProjectionLogit()([logit, label_vectors, features])
    """

    def call(self, inputs):
        logit, embedded, features = inputs
        if embedded.shape[-1] != features.shape[-1]:
            raise ValueError(f"ProjectionLogit: the label embedding {tuple(embedded.shape)} "
                             f"and the features {tuple(features.shape)} must have the same "
                             f"last axis.")
        return logit + ops.sum(embedded * features, axis=-1)

    def get_config(self):
        # no arguments of its own; defined so that Keras does not try to build the config
        # from the constructor's arguments (a dtype policy object is not serializable)
        return super().get_config()
