"""Evaluator networks for the embedded domain: the eyes of the evaluation kit.

Trained once on the embedded datasets by ``python -m vidgen_tf.metrics.train_evaluators``
and shipped inside the package, in ``vidgen_tf/weights/evaluators/``:

- ``DigitClassifier``: a frame classifier, digit 0-9 or 10 = "no digit / noise". It scores how
  recognisable and how varied generated digits are (``digit_score``) and whether a clip keeps
  its digit over time (``identity_consistency``).
- ``VideoFeatureNet``: a spatio-temporal network trained to predict what defines a clip (which
  digits or shapes and colours, how many, which way and how fast they move). Its penultimate
  features feed a Fréchet distance (``proxy_fvd``): FVD's idea, with features that understand
  this domain.

How ``VideoFeatureNet`` sees a clip. A ``FrameEncoder`` (the convolutional trunk of a frame
classifier, trained first and then frozen) turns every frame into feature maps. From the maps
of each frame it takes *moments*: for every channel its total activation ("how much of this
pattern") and the centre of that activation ("where"); also the centre of the raw brightness.
Consecutive differences of these moments are motion ("where did it go"). A small temporal
network (1-D convolutions over frames, then average and max over time) turns the sequence of
moments and motions into one feature vector per clip. Training the temporal part on moments
computed once is what makes the whole network trainable in minutes on a CPU.

Both networks take videos ``(batch, frames, height, width, channels)`` (frames alone for the
classifier) as float in ``[-1, 1]`` at any size; they resize to ``input_size`` themselves (and
turn colour to grey where they work in grey).

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import keras
from keras import layers, ops

DIGIT_CLASSES = 11          # 0-9, and 10 = no digit / noise
NOISE_CLASS = 10


def resize_frames(frames, size, grey):
    """``(N, H, W, C)`` -> ``(N, size, size, 1 or C)``, antialiased bilinear resize."""
    if grey and frames.shape[-1] != 1:
        frames = ops.mean(frames, axis=-1, keepdims=True)
    if frames.shape[1] == size and frames.shape[2] == size:
        return frames
    return ops.image.resize(frames, (size, size), interpolation="bilinear", antialias=True)


def spatial_moments(maps):
    """Per channel: mean activation and centre ``(y, x)`` in ``[0, 1]`` of ``(N, S, S, C)``
    non-negative maps; returns ``(N, 3 C)``."""
    maps = ops.cast(maps, "float32")      # sums over S*S values: float32 under any policy
    size = maps.shape[1]
    mass = ops.sum(maps, axis=(1, 2)) + 1e-4                              # (N, C)
    grid = ops.arange(size, dtype="float32") / max(size - 1, 1)
    cy = ops.sum(ops.sum(maps, axis=2) * grid[None, :, None], axis=1) / mass
    cx = ops.sum(ops.sum(maps, axis=1) * grid[None, :, None], axis=1) / mass
    return ops.concatenate([mass / (size * size), cy, cx], axis=-1)


@keras.saving.register_keras_serializable(package="vidgen_tf")
class FrameEncoder(layers.Layer):
    """The convolutional trunk of the frame classifiers: three conv-norm-ReLU blocks, the
    first two followed by 2x2 max pooling.

    Args:
        input_size: int. Frames are resized to this square size.
        channels: int. 1 (frames averaged to grey) or 3.
        filters: list of 3 ints.

    Call arguments:
        frames: ``(N, H, W, C)`` float in ``[-1, 1]``.
        training: bool.

    Returns:
        maps ``(N, input_size / 4, input_size / 4, filters[-1])``. ``moments(frames)``
        returns ``(N, D)`` spatial moments of the raw brightness and of the last two blocks.
    """

    def __init__(self, input_size=32, channels=1, filters=(32, 64, 128), **kwargs):
        super().__init__(**kwargs)
        self.input_size = int(input_size)
        self.channels = int(channels)
        self.filters = tuple(int(f) for f in filters)
        if self.channels not in (1, 3):
            raise ValueError(f"FrameEncoder: channels must be 1 or 3, got {channels}.")
        if len(self.filters) != 3:
            raise ValueError(f"FrameEncoder: filters must list 3 ints, got {filters}.")
        self.convs = [layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i}")
                      for i, f in enumerate(self.filters)]
        self.norms = [layers.BatchNormalization(name=f"norm{i}") for i in range(3)]
        self.pools = [layers.MaxPooling2D(name=f"pool{i}") for i in range(2)]

    @property
    def moment_size(self):
        return 3 * (self.channels + self.filters[1] + self.filters[2])

    def build(self, input_shape=None):
        size, channels = self.input_size, self.channels
        for i in range(3):
            self.convs[i].build((None, size, size, channels))
            self.norms[i].build((None, size, size, self.filters[i]))
            channels = self.filters[i]
            if i < 2:
                size //= 2
        self.built = True

    def _blocks(self, frames, training):
        x = resize_frames(frames, self.input_size, grey=self.channels == 1)
        if x.shape[-1] != self.channels:
            raise ValueError(f"FrameEncoder expects {self.channels}-channel frames, got "
                             f"{x.shape[-1]}.")
        outputs = [(x + 1.0) / 2.0]
        for i in range(3):
            x = ops.relu(self.norms[i](self.convs[i](x), training=training))
            if i < 2:
                if i == 1:
                    outputs.append(x)
                x = self.pools[i](x)
        outputs.append(x)
        return outputs

    def call(self, frames, training=False):
        return self._blocks(frames, training)[-1]

    def moments(self, frames, training=False):
        """``(N, moment_size)``: mass and centre of every channel of the raw frame (in
        ``[0, 1]``), of the second block's maps and of the third block's maps."""
        return ops.concatenate([spatial_moments(m) for m in self._blocks(frames, training)],
                               axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update(input_size=self.input_size, channels=self.channels,
                      filters=list(self.filters))
        return config


@keras.saving.register_keras_serializable(package="vidgen_tf")
class DigitClassifier(keras.Model):
    """Classifies single frames: which digit, or no digit at all.

    Args:
        input_size: int. Frames are turned grey and resized to ``input_size`` pixels square.
        filters: list of 3 ints. Filters of the ``FrameEncoder`` blocks.
        dense_units: int. Units of the hidden dense layer.
        dropout: float. Dropout before the output layer.

    Call arguments:
        frames: ``(batch, height, width, channels)`` float in ``[-1, 1]``.
        training: bool.

    Returns:
        logits ``(batch, 11)``; class 10 is "no digit / noise".

    Example:

        classifier = load_evaluator("digit_classifier")
        probabilities = keras.ops.softmax(classifier(frames))
    """

    def __init__(self, input_size=32, filters=(32, 64, 128), dense_units=128, dropout=0.3,
                 **kwargs):
        super().__init__(**kwargs)
        self.input_size = int(input_size)
        self.filters = tuple(int(f) for f in filters)
        self.dense_units = int(dense_units)
        self.dropout = float(dropout)
        self.encoder = FrameEncoder(self.input_size, 1, self.filters, name="encoder")
        self.pool = layers.GlobalAveragePooling2D(name="global_pool")
        self.hidden = layers.Dense(self.dense_units, activation="relu", name="hidden")
        self.drop = layers.Dropout(self.dropout, name="dropout")
        self.logits = layers.Dense(DIGIT_CLASSES, name="logits")

    def call(self, frames, training=False):
        x = self.hidden(self.pool(self.encoder(frames, training=training)))
        return self.logits(self.drop(x, training=training))

    def get_config(self):
        config = super().get_config()
        config.update(input_size=self.input_size, filters=list(self.filters),
                      dense_units=self.dense_units, dropout=self.dropout)
        return config


@keras.saving.register_keras_serializable(package="vidgen_tf")
class FrameAttributeClassifier(keras.Model):
    """A frame classifier with several softmax heads (for example shape, colour and size of a
    single shape); used to train the ``FrameEncoder`` of the shapes ``VideoFeatureNet``.

    Args:
        heads: dict ``{name: classes}``.
        channels, input_size, filters: as ``FrameEncoder``.

    Returns:
        dict ``{head: logits}``.
    """

    def __init__(self, heads, channels=3, input_size=32, filters=(32, 64, 128), **kwargs):
        super().__init__(**kwargs)
        # Sorted: weights files address layers by position, and a config read back from
        # JSON may list the heads in another order.
        self.heads = {str(k): int(v) for k, v in sorted(dict(heads).items())}
        self.channels = int(channels)
        self.input_size = int(input_size)
        self.filters = tuple(int(f) for f in filters)
        self.encoder = FrameEncoder(self.input_size, self.channels, self.filters,
                                    name="encoder")
        self.pool = layers.GlobalAveragePooling2D(name="global_pool")
        self.hidden = layers.Dense(128, activation="relu", name="hidden")
        self.outputs_by_head = {name: layers.Dense(units, name=f"head_{name}")
                                for name, units in self.heads.items()}

    def call(self, frames, training=False):
        x = self.hidden(self.pool(self.encoder(frames, training=training)))
        return {name: head(x) for name, head in self.outputs_by_head.items()}

    def get_config(self):
        config = super().get_config()
        config.update(heads=dict(self.heads), channels=self.channels,
                      input_size=self.input_size, filters=list(self.filters))
        return config


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VideoFeatureNet(keras.Model):
    """Describes a clip with one feature vector; trained to predict what defines the clip.

    Args:
        heads: dict ``{name: units}`` of the output heads (dense layers of logits on the
            features); what they predict is decided by the training targets.
        channels: int. 1 (grey) or 3.
        input_size: int. Frames are resized to this square size.
        filters: list of 3 ints. Filters of the ``FrameEncoder``.
        temporal_filters: int. Filters of the two 1-D convolutions over time.
        feature_dim: int. Size of the feature vector.

    Call arguments:
        videos: ``(batch, frames, height, width, channels)`` float in ``[-1, 1]``, at least
            3 frames.
        training: bool.

    Returns:
        dict ``{head: logits}``. ``features(videos)`` returns the ``(batch, feature_dim)``
        vectors a Fréchet distance compares; ``moments(videos)`` the per-frame moments
        ``(batch, frames, D)`` the temporal part starts from.
    """

    def __init__(self, heads, channels=1, input_size=32, filters=(32, 64, 128),
                 temporal_filters=128, feature_dim=128, **kwargs):
        super().__init__(**kwargs)
        # Sorted: weights files address layers by position, and a config read back from
        # JSON may list the heads in another order.
        self.heads = {str(k): int(v) for k, v in sorted(dict(heads).items())}
        self.channels = int(channels)
        self.input_size = int(input_size)
        self.filters = tuple(int(f) for f in filters)
        self.temporal_filters = int(temporal_filters)
        self.feature_dim = int(feature_dim)
        self.encoder = FrameEncoder(self.input_size, self.channels, self.filters,
                                    name="encoder")
        self.norm = layers.LayerNormalization(name="moment_norm")
        self.temporal = [
            layers.Conv1D(self.temporal_filters, 3, padding="same", activation="relu",
                          name="temporal0"),
            layers.Conv1D(self.temporal_filters, 3, strides=2, padding="same",
                          activation="relu", name="temporal1"),
        ]
        self.embed = layers.Dense(self.feature_dim, activation="relu", name="features")
        self.outputs_by_head = {name: layers.Dense(units, name=f"head_{name}")
                                for name, units in self.heads.items()}

    def build(self, input_shape=None):
        self.encoder.build()
        width = 2 * self.encoder.moment_size
        self.norm.build((None, None, self.encoder.moment_size))
        self.temporal[0].build((None, None, width))
        self.temporal[1].build((None, None, self.temporal_filters))
        self.embed.build((None, 2 * self.temporal_filters))
        for head in self.outputs_by_head.values():
            head.build((None, self.feature_dim))
        self.built = True

    def moments(self, videos, training=False):
        """``(batch, T, D)`` per-frame moments (see ``FrameEncoder.moments``)."""
        shape = ops.shape(videos)
        frames = ops.reshape(videos, (-1, shape[2], shape[3], shape[4]))
        moments = self.encoder.moments(frames, training=training)
        return ops.reshape(moments, (shape[0], shape[1], self.encoder.moment_size))

    def features_from_moments(self, moments, training=False):
        """``(batch, feature_dim)`` features from per-frame moments ``(batch, T, D)``."""
        x = self.norm(moments)
        motion = ops.concatenate([x[:, 1:] - x[:, :-1], ops.zeros_like(x[:, :1])], axis=1)
        x = ops.concatenate([x, motion], axis=-1)
        for conv in self.temporal:
            x = conv(x)
        x = ops.concatenate([ops.mean(x, axis=1), ops.max(x, axis=1)], axis=-1)
        return self.embed(x)

    def heads_from_moments(self, moments, training=False):
        features = self.features_from_moments(moments, training=training)
        return {name: head(features) for name, head in self.outputs_by_head.items()}

    def features(self, videos, training=False):
        """``(batch, feature_dim)`` features of videos ``(batch, T, H, W, C)``."""
        return self.features_from_moments(self.moments(videos, training), training)

    def call(self, videos, training=False):
        return self.heads_from_moments(self.moments(videos, training), training)

    def get_config(self):
        config = super().get_config()
        config.update(heads=dict(self.heads), channels=self.channels,
                      input_size=self.input_size, filters=list(self.filters),
                      temporal_filters=self.temporal_filters, feature_dim=self.feature_dim)
        return config
