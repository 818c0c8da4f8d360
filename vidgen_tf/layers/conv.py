"""Convolutional building blocks for video (lessons 01, 02 and 05).

Tensors are ``(batch, frames, height, width, channels)``. All layers use ``keras.ops`` and
follow the Keras layer contract (constructor arguments kept, ``get_config``, registered for
saving).
"""

from __future__ import annotations

import keras
from keras import layers, ops


def _triple(value, name):
    values = (value,) * 3 if isinstance(value, int) else tuple(int(v) for v in value)
    if len(values) != 3 or min(values) < 1:
        raise ValueError(f"{name} must be a positive int or three positive ints (t, h, w), "
                         f"got {value!r}.")
    return values


@keras.saving.register_keras_serializable(package="vidgen_tf")
class SpaceToDepth3D(layers.Layer):
    """Fold ``(t, h, w)`` blocks into channels: ``(B, T, H, W, C) -> (B, T/t, H/h, W/w,
    t*h*w*C)``.

    Args:
        block: int or ``(t, h, w)``. Block size; T, H, W must be divisible by it.

    Example:
        SpaceToDepth3D((1, 4, 4))(videos)   # (2, 16, 64, 64, 1) -> (2, 16, 16, 16, 16)
    """

    def __init__(self, block, **kwargs):
        super().__init__(**kwargs)
        self.block = _triple(block, "SpaceToDepth3D block")

    def compute_output_shape(self, input_shape):
        b, t, h, w, c = input_shape
        bt, bh, bw = self.block
        div = lambda n, k: None if n is None else n // k
        return (b, div(t, bt), div(h, bh), div(w, bw), c * bt * bh * bw)

    def call(self, inputs):
        _, t, h, w, c = inputs.shape
        bt, bh, bw = self.block
        if t % bt or h % bh or w % bw:
            raise ValueError(f"SpaceToDepth3D: input (T, H, W) = {(t, h, w)} is not "
                             f"divisible by the block {self.block}.")
        x = ops.reshape(inputs, (-1, t // bt, bt, h // bh, bh, w // bw, bw, c))
        x = ops.transpose(x, (0, 1, 3, 5, 2, 4, 6, 7))
        return ops.reshape(x, (-1, t // bt, h // bh, w // bw, bt * bh * bw * c))

    def get_config(self):
        return {**super().get_config(), "block": self.block}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class DepthToSpace3D(layers.Layer):
    """The inverse of ``SpaceToDepth3D``: ``(B, T, H, W, t*h*w*C) -> (B, T*t, H*h, W*w, C)``.

    Args:
        block: int or ``(t, h, w)``. Block size; the channels must be divisible by
            ``t * h * w``.
    """

    def __init__(self, block, **kwargs):
        super().__init__(**kwargs)
        self.block = _triple(block, "DepthToSpace3D block")

    def compute_output_shape(self, input_shape):
        b, t, h, w, c = input_shape
        bt, bh, bw = self.block
        mul = lambda n, k: None if n is None else n * k
        return (b, mul(t, bt), mul(h, bh), mul(w, bw), c // (bt * bh * bw))

    def call(self, inputs):
        _, t, h, w, c = inputs.shape
        bt, bh, bw = self.block
        if c % (bt * bh * bw):
            raise ValueError(f"DepthToSpace3D: {c} channels are not divisible by the block "
                             f"volume {bt * bh * bw}.")
        out = c // (bt * bh * bw)
        x = ops.reshape(inputs, (-1, t, h, w, bt, bh, bw, out))
        x = ops.transpose(x, (0, 1, 4, 2, 5, 3, 6, 7))
        return ops.reshape(x, (-1, t * bt, h * bh, w * bw, out))

    def get_config(self):
        return {**super().get_config(), "block": self.block}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class Conv2Plus1D(layers.Layer):
    """A (2+1)D convolution: a ``(1, k, k)`` spatial convolution, then a ``(k_t, 1, 1)``
    temporal one, with ``mid_filters`` channels between them.

    Cheaper than a full ``(k_t, k, k)`` Conv3D for the same receptive field, with an extra
    non-linearity between space and time.

    Args:
        filters: int. Output channels.
        kernel_size: int or ``(k_t, k, k)``.
        strides: int or ``(s_t, s, s)``.
        mid_filters: optional int; default ``filters``.
        activation: the activation between the two convolutions.
    """

    def __init__(self, filters, kernel_size=3, strides=1, mid_filters=None,
                 activation="silu", **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _triple(kernel_size, "Conv2Plus1D kernel_size")
        self.strides = _triple(strides, "Conv2Plus1D strides")
        self.mid_filters = int(mid_filters or filters)
        self.activation = activation
        kt, kh, kw = self.kernel_size
        st, sh, sw = self.strides
        self.spatial = layers.Conv3D(self.mid_filters, (1, kh, kw), (1, sh, sw), padding="same",
                                     activation=activation, name="spatial",
                                     dtype=self.dtype_policy)
        self.temporal = layers.Conv3D(self.filters, (kt, 1, 1), (st, 1, 1), padding="same",
                                      name="temporal", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.spatial.build(input_shape)
        self.temporal.build(self.spatial.compute_output_shape(input_shape))

    def compute_output_shape(self, input_shape):
        return self.temporal.compute_output_shape(self.spatial.compute_output_shape(input_shape))

    def call(self, inputs):
        return self.temporal(self.spatial(inputs))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "mid_filters": self.mid_filters, "activation": self.activation}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class CausalConv3D(layers.Layer):
    """A stride-1 Conv3D whose output at frame ``t`` sees frames ``t - k_t + 1 .. t`` only.

    Time is padded with ``k_t - 1`` zero frames at the start and none at the end; height and
    width are padded as ``"same"``. An encoder made of these (and of ``SpaceToDepth3D``
    folds, which are causal per block) gives a first latent slice that depends only on the
    first frames, so a clip's opening frames can be encoded alone and continued (lesson 05).

    Args:
        filters: int. Output channels.
        kernel_size: int or ``(k_t, k_h, k_w)`` (odd ``k_h``, ``k_w``).
    """

    def __init__(self, filters, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _triple(kernel_size, "CausalConv3D kernel_size")
        kt, kh, kw = self.kernel_size
        if kh % 2 == 0 or kw % 2 == 0:
            raise ValueError(f"CausalConv3D: the spatial kernel must be odd, got "
                             f"{self.kernel_size}.")
        self.conv = layers.Conv3D(self.filters, self.kernel_size, padding="valid", name="conv",
                                  dtype=self.dtype_policy)

    def _pads(self):
        kt, kh, kw = self.kernel_size
        return [[0, 0], [kt - 1, 0], [kh // 2, kh // 2], [kw // 2, kw // 2], [0, 0]]

    def build(self, input_shape):
        b, t, h, w, c = input_shape
        (_, _), (pt, _), (ph, _), (pw, _), _ = self._pads()
        grow = lambda n, p: None if n is None else n + 2 * p
        self.conv.build((b, None if t is None else t + pt, grow(h, ph), grow(w, pw), c))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def call(self, inputs):
        return self.conv(ops.pad(inputs, self._pads()))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class FrameGroupNormalization(layers.Layer):
    """GroupNormalization of each frame on its own: statistics over ``(H, W)`` and the
    group's channels of one frame, never across frames (so it is causal in time).

    Args:
        groups: int. Must divide the channels.
        epsilon: float.
    """

    def __init__(self, groups=8, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.groups = int(groups)
        self.epsilon = float(epsilon)
        self.norm = layers.GroupNormalization(self.groups, epsilon=self.epsilon, name="norm",
                                              dtype=self.dtype_policy)

    def build(self, input_shape):
        self.norm.build((None,) + tuple(input_shape[2:]))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs):
        _, t, h, w, c = inputs.shape
        x = self.norm(ops.reshape(inputs, (-1, h, w, c)))
        return ops.reshape(x, (-1, t, h, w, c))

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class ResidualBlock3D(layers.Layer):
    """``x + conv(silu(norm(conv(silu(norm(x))))))``, with a 1x1x1 projection of the skip
    when the channels change.

    GroupNorm normalises each clip on its own, so the block behaves the same whatever the
    batch is split into (one device or several) — unlike BatchNorm.

    Args:
        filters: int. Output channels.
        kind: ``"conv3d"`` (3x3x3 convolutions), ``"2plus1d"`` (``Conv2Plus1D``) or
            ``"causal"`` (3x3x3 ``CausalConv3D`` and ``FrameGroupNormalization``: output
            frame ``t`` never depends on later frames).
        groups: int. GroupNorm groups (must divide the channels).
    """

    def __init__(self, filters, kind="conv3d", groups=8, **kwargs):
        super().__init__(**kwargs)
        if kind not in ("conv3d", "2plus1d", "causal"):
            raise ValueError(f"ResidualBlock3D: kind must be 'conv3d', '2plus1d' or 'causal', "
                             f"got {kind!r}.")
        self.filters = int(filters)
        self.kind = kind
        self.groups = int(groups)
        policy = self.dtype_policy

        def conv(name):
            if kind == "conv3d":
                return layers.Conv3D(self.filters, 3, padding="same", name=name, dtype=policy)
            if kind == "causal":
                return CausalConv3D(self.filters, 3, name=name, dtype=policy)
            return Conv2Plus1D(self.filters, 3, name=name, dtype=policy)

        def norm(name):
            if kind == "causal":
                return FrameGroupNormalization(self.groups, name=name, dtype=policy)
            return layers.GroupNormalization(self.groups, name=name, dtype=policy)

        self.norm1 = norm("norm1")
        self.conv1 = conv("conv1")
        self.norm2 = norm("norm2")
        self.conv2 = conv("conv2")
        self.skip = None

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels % self.groups or self.filters % self.groups:
            raise ValueError(f"ResidualBlock3D: groups={self.groups} must divide the input "
                             f"({channels}) and output ({self.filters}) channels.")
        self.norm1.build(input_shape)
        self.conv1.build(input_shape)
        out_shape = tuple(input_shape[:-1]) + (self.filters,)
        self.norm2.build(out_shape)
        self.conv2.build(out_shape)
        if channels != self.filters:
            self.skip = layers.Conv3D(self.filters, 1, name="skip", dtype=self.dtype_policy)
            self.skip.build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def call(self, inputs):
        x = self.conv1(ops.silu(self.norm1(inputs)))
        x = self.conv2(ops.silu(self.norm2(x)))
        return x + (self.skip(inputs) if self.skip is not None else inputs)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kind": self.kind,
                "groups": self.groups}
