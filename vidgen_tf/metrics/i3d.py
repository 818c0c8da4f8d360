"""FVD with I3D: the published protocol (Unterthiner et al., 2018), in Keras.

The Fréchet Video Distance compares Gaussians fitted to features of real and generated clips,
the features being the 400 Kinetics logits of an I3D network (Inception-v1 inflated to 3-D,
Carreira & Zisserman, 2017). The reference implementation
(google-research/frechet_video_distance):

1. takes 16-frame RGB clips with values in ``[0, 255]``,
2. resizes every frame to 224x224 with TF1's bilinear resize (no half-pixel centres),
3. scales values to ``[-1, 1]``,
4. runs I3D and keeps its logits, averaged over time (``(batch, 400)``),
5. computes the Fréchet distance of the two sets of logits.

``InceptionI3D`` reproduces the architecture of deepmind/kinetics-i3d layer for layer, with
the same layer names, so that ``python -m vidgen_tf.metrics.i3d_convert`` can load the public
Kinetics-400 checkpoint (``rgb_imagenet/model.ckpt``) into it. **FVD numbers are comparable
with papers only with those converted weights.** Nothing is downloaded here: you supply the
converted file; without it ``fvd`` refuses to run. The course's own scores (``proxy_fvd``) use
a small network trained on the embedded data instead.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import os

import keras
import numpy as np
from keras import layers

from vidgen_tf.metrics.frechet import frechet_distance_from_features

FVD_FRAMES = 16
FVD_SIZE = 224
NUM_CLASSES = 400

# (name, branch 0, branch 1 reduce, branch 1, branch 2 reduce, branch 2, branch 3 pool proj)
MIXED = (
    ("Mixed_3b", 64, 96, 128, 16, 32, 32),
    ("Mixed_3c", 128, 128, 192, 32, 96, 64),
    ("Mixed_4b", 192, 96, 208, 16, 48, 64),
    ("Mixed_4c", 160, 112, 224, 24, 64, 64),
    ("Mixed_4d", 128, 128, 256, 24, 64, 64),
    ("Mixed_4e", 112, 144, 288, 32, 64, 64),
    ("Mixed_4f", 256, 160, 320, 32, 128, 128),
    ("Mixed_5b", 256, 160, 320, 32, 128, 128),
    ("Mixed_5c", 384, 192, 384, 48, 128, 128),
)


@keras.saving.register_keras_serializable(package="vidgen_tf")
class Unit3D(layers.Layer):
    """3-D convolution without bias, batch norm with offset only (as Sonnet's), ReLU.

    Args:
        filters: int. Output channels.
        kernel_size: tuple of 3 ints.
        strides: tuple of 3 ints.

    Call arguments:
        x: ``(batch, T, H, W, C)``.
    """

    def __init__(self, filters, kernel_size=(1, 1, 1), strides=(1, 1, 1), **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = tuple(int(k) for k in kernel_size)
        self.strides = tuple(int(s) for s in strides)
        self.conv = layers.Conv3D(self.filters, self.kernel_size, strides=self.strides,
                                  padding="same", use_bias=False, name="conv_3d")
        self.norm = layers.BatchNormalization(epsilon=1e-3, scale=False, name="batch_norm")

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.norm.build(self.conv.compute_output_shape(input_shape))

    def call(self, x, training=False):
        return keras.ops.relu(self.norm(self.conv(x), training=training))

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=list(self.kernel_size),
                      strides=list(self.strides))
        return config


@keras.saving.register_keras_serializable(package="vidgen_tf")
class InceptionI3D(keras.Model):
    """Inception-v1 I3D (RGB stream), laid out as deepmind/kinetics-i3d's ``InceptionI3d``.

    Args:
        num_classes: int. Logits (400 for Kinetics-400).

    Call arguments:
        videos: ``(batch, T, 224, 224, 3)`` float in ``[-1, 1]``, ``T >= 9``.
        training: bool.

    Returns:
        logits ``(batch, num_classes)``, averaged over time: the FVD features.
    """

    def __init__(self, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.stem = [
            Unit3D(64, (7, 7, 7), (2, 2, 2), name="Conv3d_1a_7x7"),
            layers.MaxPooling3D((1, 3, 3), (1, 2, 2), padding="same", name="MaxPool3d_2a_3x3"),
            Unit3D(64, name="Conv3d_2b_1x1"),
            Unit3D(192, (3, 3, 3), name="Conv3d_2c_3x3"),
            layers.MaxPooling3D((1, 3, 3), (1, 2, 2), padding="same", name="MaxPool3d_3a_3x3"),
        ]
        self.mixed = {}
        for name, b0, b1a, b1b, b2a, b2b, b3 in MIXED:
            # A quirk of the published checkpoint: this one layer is named "0a", not "0b".
            b2b_name = "Conv3d_0a_3x3" if name == "Mixed_5b" else "Conv3d_0b_3x3"
            self.mixed[name] = [
                [Unit3D(b0, name=f"{name}.Branch_0.Conv3d_0a_1x1")],
                [Unit3D(b1a, name=f"{name}.Branch_1.Conv3d_0a_1x1"),
                 Unit3D(b1b, (3, 3, 3), name=f"{name}.Branch_1.Conv3d_0b_3x3")],
                [Unit3D(b2a, name=f"{name}.Branch_2.Conv3d_0a_1x1"),
                 Unit3D(b2b, (3, 3, 3), name=f"{name}.Branch_2.{b2b_name}")],
                [layers.MaxPooling3D((3, 3, 3), (1, 1, 1), padding="same",
                                     name=f"{name}.Branch_3.MaxPool3d_0a_3x3"),
                 Unit3D(b3, name=f"{name}.Branch_3.Conv3d_0b_1x1")],
            ]
        self.pool_4a = layers.MaxPooling3D((3, 3, 3), (2, 2, 2), padding="same",
                                           name="MaxPool3d_4a_3x3")
        self.pool_5a = layers.MaxPooling3D((2, 2, 2), (2, 2, 2), padding="same",
                                           name="MaxPool3d_5a_2x2")
        self.logits_pool = layers.AveragePooling3D((2, 7, 7), (1, 1, 1), padding="valid",
                                                   name="Logits.AvgPool3d")
        self.logits = layers.Conv3D(self.num_classes, 1, use_bias=True,
                                    name="Logits.Conv3d_0c_1x1")

    def _mixed(self, name, x, training):
        outputs = []
        for branch in self.mixed[name]:
            y = x
            for layer in branch:
                y = layer(y, training=training) if isinstance(layer, Unit3D) else layer(y)
            outputs.append(y)
        return keras.ops.concatenate(outputs, axis=-1)

    def call(self, videos, training=False):
        x = videos
        for layer in self.stem:
            x = layer(x, training=training) if isinstance(layer, Unit3D) else layer(x)
        for name in ("Mixed_3b", "Mixed_3c"):
            x = self._mixed(name, x, training)
        x = self.pool_4a(x)
        for name in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"):
            x = self._mixed(name, x, training)
        x = self.pool_5a(x)
        for name in ("Mixed_5b", "Mixed_5c"):
            x = self._mixed(name, x, training)
        x = self.logits(self.logits_pool(x))                    # (batch, T', 1, 1, classes)
        return keras.ops.mean(x[:, :, 0, 0, :], axis=1)

    def units(self):
        """Every ``Unit3D`` with its checkpoint scope, in order."""
        found = [layer for layer in self.stem if isinstance(layer, Unit3D)]
        for branches in self.mixed.values():
            found += [layer for branch in branches for layer in branch
                      if isinstance(layer, Unit3D)]
        return found

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes)
        return config


def build_i3d(weights=None):
    """An ``InceptionI3D``, built for 16-frame 224x224 clips, with converted weights if given.

    Args:
        weights: str or None. A ``.weights.h5`` file written by ``i3d_convert``; None leaves
            the weights random (for tests: shapes, not numbers).

    Raises:
        FileNotFoundError: ``weights`` does not exist.
    """
    model = InceptionI3D(name="inception_i3d")
    model(np.zeros((1, FVD_FRAMES, FVD_SIZE, FVD_SIZE, 3), np.float32))
    if weights is not None:
        if not os.path.exists(weights):
            raise FileNotFoundError(
                f"I3D weights {weights!r} do not exist. Convert the public Kinetics-400 "
                f"checkpoint with `python -m vidgen_tf.metrics.i3d_convert CHECKPOINT {weights}` "
                f"(see the module docstring of vidgen_tf.metrics.i3d_convert).")
        model.load_weights(weights)
    model.trainable = False
    return model


def preprocess_for_i3d(videos):
    """Videos as the reference FVD feeds I3D: RGB, 224x224 (TF1 bilinear), ``[-1, 1]``.

    Args:
        videos: ``(batch, T, H, W, C)``, uint8 in ``[0, 255]`` or float in ``[-1, 1]``;
            C is 1 (repeated to RGB) or 3.

    Returns:
        float32 tensor ``(batch, T, 224, 224, 3)``.
    """
    import tensorflow as tf

    videos = np.asarray(videos)
    if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
        raise ValueError(f"preprocess_for_i3d: expected videos (batch, frames, height, width, "
                         f"1 or 3), got shape {videos.shape}.")
    values = (videos.astype(np.float32) if videos.dtype == np.uint8
              else (videos.astype(np.float32) + 1.0) * 127.5)      # the reference's [0, 255]
    if values.shape[-1] == 1:
        values = np.repeat(values, 3, axis=-1)
    b, t, h, w, _ = values.shape
    frames = tf.compat.v1.image.resize_bilinear(values.reshape(b * t, h, w, 3),
                                                (FVD_SIZE, FVD_SIZE), align_corners=False,
                                                half_pixel_centers=False)
    frames = tf.reshape(frames, (b, t, FVD_SIZE, FVD_SIZE, 3))
    return 2.0 * frames / 255.0 - 1.0


def i3d_features(videos, model, batch_size=8):
    """``(batch, 400)`` I3D logits of videos (preprocessed here), ``batch_size`` at a time."""
    videos = np.asarray(videos)
    if videos.ndim != 5 or videos.shape[1] != FVD_FRAMES:
        raise ValueError(f"FVD uses clips of {FVD_FRAMES} frames (the published protocol); got "
                         f"shape {videos.shape}.")
    outputs = [np.asarray(model(preprocess_for_i3d(videos[i:i + batch_size]), training=False))
               for i in range(0, len(videos), batch_size)]
    return np.concatenate(outputs)


def fvd(generated, real, weights, batch_size=8):
    """Fréchet Video Distance with I3D, as published.

    Args:
        generated: videos ``(n1, 16, H, W, C)``.
        real: videos ``(n2, 16, H, W, C)``.
        weights: str, or an ``InceptionI3D`` already built. The converted Kinetics-400 weights
            (``i3d_convert``); random weights give numbers that mean nothing.
        batch_size: int. Clips per forward pass (I3D needs about 1 GB per 8 clips).

    Returns:
        float. Papers use 256 or 2048 clips per set; report the counts with the number.
    """
    model = weights if isinstance(weights, InceptionI3D) else build_i3d(weights)
    return frechet_distance_from_features(i3d_features(generated, model, batch_size),
                                          i3d_features(real, model, batch_size))
