"""Evaluator networks for the embedded domain: the eyes of the evaluation kit.

Two small networks, trained once on the embedded datasets by
``python -m vidgen_tf.metrics.train_evaluators`` and shipped in ``data/evaluators/``:

- ``DigitClassifier``: a frame classifier, digit 0-9 or 10 = "no digit / noise". It scores how
  recognisable and how varied generated digits are (``digit_score``) and whether a clip keeps
  its digit over time (``identity_consistency``).
- ``VideoFeatureNet``: a small spatio-temporal network trained to predict what defines a clip
  (which digits, which way and how fast each moves; for shapes: shape, colour, size, motion).
  Its penultimate features feed a Fréchet distance (``proxy_fvd``), FVD's idea with features
  that understand this domain.

Both take videos ``(batch, frames, height, width, channels)`` (frames alone for the
classifier) as float in ``[-1, 1]`` at any size; they convert to grey (the classifier and the
digit net) and resize to ``input_size`` themselves.

Introduced in lesson 08 (evaluating video); used by every model lesson's benchmark.
"""

from __future__ import annotations

import keras
from keras import layers, ops

DIGIT_CLASSES = 11          # 0-9, and 10 = no digit / noise
NOISE_CLASS = 10


def _resize_frames(frames, size, grey):
    """``(N, H, W, C)`` -> ``(N, size, size, C or 1)``, area-like (antialiased) resize."""
    if grey:
        frames = ops.mean(frames, axis=-1, keepdims=True)
    if frames.shape[1] == size and frames.shape[2] == size:
        return frames
    return ops.image.resize(frames, (size, size), interpolation="bilinear", antialias=True)


@keras.saving.register_keras_serializable(package="vidgen_tf")
class DigitClassifier(keras.Model):
    """Classifies single frames: which digit, or no digit at all.

    Args:
        input_size: int. Frames are turned grey and resized to ``input_size`` pixels square.
        filters: list of ints. Filters of the three convolution blocks.
        dense_units: int. Units of the hidden dense layer.
        dropout: float. Dropout before the output layer.

    Call arguments:
        frames: ``(batch, height, width, channels)`` float in ``[-1, 1]``.
        training: bool.

    Returns:
        logits ``(batch, 11)``; class 10 is "no digit / noise".

    Example:

        classifier = load_evaluator("digit_classifier")
        probabilities = ops.softmax(classifier(frames))
    """

    def __init__(self, input_size=32, filters=(32, 64, 128), dense_units=128, dropout=0.3,
                 **kwargs):
        super().__init__(**kwargs)
        self.input_size = int(input_size)
        self.filters = tuple(int(f) for f in filters)
        self.dense_units = int(dense_units)
        self.dropout = float(dropout)
        self.blocks = []
        for i, f in enumerate(self.filters):
            self.blocks += [
                layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i}"),
                layers.BatchNormalization(name=f"norm{i}"),
                layers.ReLU(name=f"relu{i}"),
            ]
            if i < len(self.filters) - 1:
                self.blocks.append(layers.MaxPooling2D(name=f"pool{i}"))
        self.pool = layers.GlobalAveragePooling2D(name="global_pool")
        self.hidden = layers.Dense(self.dense_units, activation="relu", name="hidden")
        self.drop = layers.Dropout(self.dropout, name="dropout")
        self.logits = layers.Dense(DIGIT_CLASSES, name="logits")

    def call(self, frames, training=False):
        x = _resize_frames(frames, self.input_size, grey=True)
        for layer in self.blocks:
            x = layer(x, training=training)
        x = self.hidden(self.pool(x))
        return self.logits(self.drop(x, training=training))

    def get_config(self):
        config = super().get_config()
        config.update(input_size=self.input_size, filters=list(self.filters),
                      dense_units=self.dense_units, dropout=self.dropout)
        return config


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VideoFeatureNet(keras.Model):
    """A small 3-D convolutional network whose penultimate layer describes a clip.

    Args:
        heads: dict ``{name: units}`` of the output heads (each a dense layer of logits on
            the features); what they predict is decided by the training targets.
        channels: int. 1 (grey: frames are averaged to grey) or 3 (colour kept).
        input_size: int. Frames are resized to ``input_size`` pixels square.
        filters: list of ints. Filters of the 3-D convolutions; the first two halve space,
            the last two halve space and time.
        feature_dim: int. Size of the feature vector.

    Call arguments:
        videos: ``(batch, frames, height, width, channels)`` float in ``[-1, 1]``.
        training: bool.

    Returns:
        dict ``{head: logits}``. ``features(videos)`` returns the ``(batch, feature_dim)``
        features that a Fréchet distance compares.
    """

    def __init__(self, heads, channels=1, input_size=32, filters=(16, 32, 64, 96),
                 feature_dim=128, **kwargs):
        super().__init__(**kwargs)
        self.heads = {str(k): int(v) for k, v in dict(heads).items()}
        self.channels = int(channels)
        self.input_size = int(input_size)
        self.filters = tuple(int(f) for f in filters)
        self.feature_dim = int(feature_dim)
        if self.channels not in (1, 3):
            raise ValueError(f"VideoFeatureNet: channels must be 1 or 3, got {channels}.")
        self.convs = []
        for i, f in enumerate(self.filters):
            stride = (1, 2, 2) if i < 2 else (2, 2, 2)
            self.convs += [
                layers.Conv3D(f, 3, strides=stride, padding="same", use_bias=False,
                              name=f"conv{i}"),
                layers.BatchNormalization(name=f"norm{i}"),
                layers.ReLU(name=f"relu{i}"),
            ]
        self.pool = layers.GlobalAveragePooling3D(name="global_pool")
        self.embed = layers.Dense(self.feature_dim, activation="relu", name="features")
        self.outputs_by_head = {name: layers.Dense(units, name=f"head_{name}")
                                for name, units in self.heads.items()}

    def _prepare(self, videos):
        shape = ops.shape(videos)
        frames = ops.reshape(videos, (-1, shape[2], shape[3], shape[4]))
        if shape[4] != self.channels and self.channels == 3:
            raise ValueError(f"VideoFeatureNet expects {self.channels}-channel videos, got "
                             f"{shape[4]}.")
        frames = _resize_frames(frames, self.input_size, grey=self.channels == 1)
        return ops.reshape(frames, (-1, shape[1], self.input_size, self.input_size,
                                    self.channels))

    def features(self, videos, training=False):
        """``(batch, feature_dim)`` features of videos ``(batch, T, H, W, C)``."""
        x = self._prepare(videos)
        for layer in self.convs:
            x = layer(x, training=training)
        return self.embed(self.pool(x))

    def call(self, videos, training=False):
        features = self.features(videos, training=training)
        return {name: head(features) for name, head in self.outputs_by_head.items()}

    def get_config(self):
        config = super().get_config()
        config.update(heads=dict(self.heads), channels=self.channels,
                      input_size=self.input_size, filters=list(self.filters),
                      feature_dim=self.feature_dim)
        return config
