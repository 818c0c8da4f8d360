"""Layers along the frame axis: fold frames into the batch and back, repeat, crop, and
composite a moving foreground over a still background (lesson 02's generators).

A video model often runs a 2-D network on every frame (fold the frames into the batch, run
it, unfold), or gives every frame the same vector (repeat along time). As named layers these
steps are part of a model's saved config and reload without executing Python code (a
``keras.layers.Lambda`` does not load under Keras' default ``safe_mode``).

Tensors are ``(batch, frames, height, width, channels)`` (any trailing shape where a layer
says so). All layers use ``keras.ops`` and follow the Keras layer contract (constructor
arguments kept, ``get_config``, registered for saving).
"""

from __future__ import annotations

import keras
from keras import layers, ops


def _num_frames(value, name):
    if int(value) != value or value < 1:
        raise ValueError(f"{name}: num_frames must be a positive integer, got {value!r}.")
    return int(value)


class _FrameCountLayer(layers.Layer):
    """What the layers with a frame count share: ``num_frames`` checked, kept and saved."""

    def __init__(self, num_frames, **kwargs):
        super().__init__(**kwargs)
        self.num_frames = _num_frames(num_frames, type(self).__name__)

    def get_config(self):
        return {**super().get_config(), "num_frames": self.num_frames}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class FramesToBatch(layers.Layer):
    """Fold the frames into the batch: ``(B, T, ...) -> (B * T, ...)``.

    Frame ``t`` of clip ``b`` becomes row ``b * T + t``; ``BatchToFrames(T)`` undoes it.

    Example:
        # per-frame vectors (8, 16, 64) -> (128, 64), one row per frame
        FramesToBatch()(codes)
    """

    def call(self, inputs):
        return ops.reshape(inputs, (-1,) + tuple(inputs.shape[2:]))

    def get_config(self):
        # no arguments of its own; defined so that Keras does not try to build the config
        # from the constructor's arguments (a dtype policy object is not serializable)
        return super().get_config()


@keras.saving.register_keras_serializable(package="vidgen_tf")
class BatchToFrames(_FrameCountLayer):
    """Unfold a batch of frames into clips: ``(B * T, ...) -> (B, T, ...)``.

    Args:
        num_frames: int. ``T``, the frames per clip.

    Example:
        # frames (128, 32, 32, 1) drawn by a 2-D network -> clips (8, 16, 32, 32, 1)
        BatchToFrames(16)(frames)
    """

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.num_frames) + tuple(inputs.shape[1:]))


@keras.saving.register_keras_serializable(package="vidgen_tf")
class RepeatFrames(_FrameCountLayer):
    """Give every frame the same value: ``(B, ...) -> (B, T, ...)``.

    Args:
        num_frames: int. ``T``.

    Example:
        # one content code per clip (8, 64) -> (8, 16, 64), the same for each frame
        RepeatFrames(16)(z)
    """

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.num_frames, axis=1)


@keras.saving.register_keras_serializable(package="vidgen_tf")
class CropFrames(_FrameCountLayer):
    """Keep the first frames: ``(B, T', ...) -> (B, num_frames, ...)``.

    For networks that grow the time axis by doubling (``4, 8, 16, ...``) to a length that
    may exceed the one wanted.

    Args:
        num_frames: int. Frames kept (all of them if there are fewer).

    Example:
        CropFrames(12)(codes)      # (8, 16, 64) -> (8, 12, 64)
    """

    def call(self, inputs):
        return inputs[:, :self.num_frames]


@keras.saving.register_keras_serializable(package="vidgen_tf")
class MaskedComposite(layers.Layer):
    """A moving foreground over a still background: ``m * f + (1 - m) * b`` (VGAN's
    two-stream generator, Vondrick et al. 2016).

    Call arguments:
        inputs: ``[foreground, mask, background]``: foreground ``(B, T, H, W, C)``, mask
            ``(B, T, H, W, 1)`` in ``[0, 1]`` (1: foreground), background ``(B, H, W, C)``,
            the same image behind every frame.

    Returns:
        clips ``(B, T, H, W, C)``.

    Example:
        MaskedComposite()([foreground, mask, background])
    """

    def call(self, inputs):
        foreground, mask, background = inputs
        if len(foreground.shape) != 5 or len(mask.shape) != 5 or len(background.shape) != 4:
            raise ValueError(f"MaskedComposite: expected foreground (B, T, H, W, C), mask "
                             f"(B, T, H, W, 1) and background (B, H, W, C), got "
                             f"{tuple(foreground.shape)}, {tuple(mask.shape)} and "
                             f"{tuple(background.shape)}.")
        return mask * foreground + (1.0 - mask) * ops.expand_dims(background, 1)

    def get_config(self):
        # no arguments of its own; defined so that Keras does not try to build the config
        # from the constructor's arguments (a dtype policy object is not serializable)
        return super().get_config()
