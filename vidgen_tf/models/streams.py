"""Building blocks the generative models share: image and temporal streams, label embeddings,
and what a GAN's train step reads from its batch.

Functions that add layers to a functional graph (Keras tensors in, Keras tensors out), used by
``VideoGAN``'s generators (lesson 02), ``MoCoGAN``'s (lesson 03) and ``SpriteVAE``'s decoder
(lesson 01). ``policy`` is the dtype policy of the layers (None: the global one).
"""

from __future__ import annotations

import keras
from keras import KerasTensor, layers, ops

from vidgen_tf.layers import (BouncingPath, CropFrames, LabelIndex, ReduceSum, Scale,
                              StraightVelocity)


def up2d(x, filters, policy, name):
    x = layers.UpSampling2D(2, dtype=policy, name=f"{name}_up")(x)
    x = layers.Conv2D(filters, 3, padding="same", dtype=policy, name=f"{name}_conv")(x)
    x = layers.GroupNormalization(min(8, filters), dtype=policy, name=f"{name}_norm")(x)
    return layers.Activation("relu", dtype=policy)(x)


def image_stream(x, widths, channels, policy, name, out_name):
    """Vectors ``(B, d)`` -> images ``(B, 4 * 2^k, 4 * 2^k, channels)`` in [-1, 1]: a dense
    projection to 4x4 features, then one upsampling stage per entry of ``widths[1:]``."""
    x = layers.Dense(4 * 4 * widths[0], dtype=policy, name=f"{name}_project")(x)
    x = layers.Reshape((4, 4, widths[0]), dtype=policy)(x)
    x = layers.Activation("relu", dtype=policy)(x)
    for i, width in enumerate(widths[1:]):
        x = up2d(x, width, policy, f"{name}{i}")
    return layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype=policy,
                         name=out_name)(x)


def frame_codes(z, t, width, channels, activation, policy, name, out_name):
    """TGAN's temporal generator: ``z (B, d) -> (B, t, channels)``, one code per frame, grown
    from ``ceil(t / 4)`` steps by 1-D transposed convolutions that double the length."""
    steps = max(1, (t + 3) // 4)
    x = layers.Dense(steps * width, dtype=policy, name=f"{name}_project")(z)
    x = layers.Reshape((steps, width), dtype=policy)(x)
    x = layers.Activation("relu", dtype=policy)(x)
    length = steps
    while length < t:
        x = layers.Conv1DTranspose(width, 4, strides=2, padding="same", activation="relu",
                                   dtype=policy, name=f"{name}_up{length}")(x)
        length *= 2
    codes = layers.Conv1D(channels, 3, padding="same", activation=activation, dtype=policy,
                          name=out_name)(x)
    return CropFrames(t, dtype=policy, name=f"{name}_crop")(codes)


def label_embedding(labels, num_classes, dim, policy, name, flatten=False):
    """Labels ``(B, k)`` in ``[-1, num_classes)`` -> embeddings ``(B, k * dim)`` (``flatten``:
    one slot per object) or ``(B, dim)`` (summed: the bag of objects). Index 0 of the table
    is "no object" (-1)."""
    shifted = LabelIndex(name=f"{name}_index")(labels)
    vectors = layers.Embedding(num_classes + 1, dim, dtype=policy, name=name)(shifted)
    if flatten:
        return layers.Flatten(dtype=policy, name=f"{name}_flat")(vectors)
    return ReduceSum(axis=1, dtype=policy, name=f"{name}_sum")(vectors)


MOTIONS = ("positions", "bounce", "straight")


def sprite_path(z, t, width, num_sprites, extent, motion, policy, name="motion"):
    """Where ``num_sprites`` sprites are in each of ``t`` frames: ``z (B, d) -> (B, t, K,
    2)`` positions ``(top, left)`` in ``[0, extent]`` pixels.

    ``motion="positions"``: the temporal generator (``frame_codes``) outputs every position,
    sigmoid-bounded. ``"bounce"``: it outputs a velocity per frame (tanh, up to
    ``extent / 6`` pixels per frame along each axis: 2.67 at 32x32, where the data's digits
    move 1 to 2) and a dense layer a start; the path
    integrates the velocities and reflects at the frame's edges (``BouncingPath``), so a
    constant velocity already gives the data's straight, bouncing motion. ``"straight"``:
    one velocity for the whole clip, a direction and a speed (``StraightVelocity``, up to
    ``extent / 6`` pixels per frame), bouncing the same way: straight motion at constant
    speed by construction, three numbers per object.
    """
    if motion not in MOTIONS:
        raise ValueError(f"motion must be one of {MOTIONS}, got {motion!r}.")
    k = num_sprites
    if motion == "positions":
        path = frame_codes(z, t, width, 2 * k, "sigmoid", policy, name, "to_path")
        return Scale(extent, dtype=policy, name="positions")(
            layers.Reshape((t, k, 2), dtype=policy)(path))
    if motion == "straight":
        direction = layers.Reshape((k, 2), dtype=policy, name="directions")(
            layers.Dense(2 * k, dtype=policy, name="to_direction")(z))
        speed = layers.Reshape((k, 1), dtype=policy, name="speeds")(
            layers.Dense(k, activation="sigmoid", dtype=policy, name="to_speed")(z))
        velocity = StraightVelocity(t, dtype=policy, name="velocities")([direction, speed])
    else:
        velocity = frame_codes(z, t, width, 2 * k, "tanh", policy, name, "to_velocity")
        velocity = layers.Reshape((t, k, 2), dtype=policy, name="velocities")(velocity)
    start = layers.Dense(2 * k, activation="sigmoid", dtype=policy, name="to_start")(z)
    start = layers.Reshape((k, 2), dtype=policy, name="starts")(start)
    return BouncingPath(extent, extent / 6, dtype=policy, name="positions")([start, velocity])


def _symbolic(value):
    """True for a graph tensor (inside ``fit``'s compiled step), whose values are unknown."""
    try:
        import tensorflow as tf
    except ImportError:                 # another backend: its tensors are concrete here
        return False
    return tf.is_tensor(value) and not tf.executing_eagerly()


def one_label_per_clip(labels, owner, num_classes, batch=None, absent=False):
    """Labels ``(B,)`` or ``(B, 1)`` as int32 ``(B, 1)``, with clear errors naming ``owner``
    (the model asking): the shape is checked where it is known (``batch``: the expected B),
    and concrete values must lie in ``[0, num_classes)`` (``absent``: -1, "no label", too)."""
    import numpy as np

    if not isinstance(labels, KerasTensor) and not _symbolic(labels):
        values = np.asarray(labels)
        low = -1 if absent else 0
        if values.size and (values.min() < low or values.max() >= num_classes):
            raise ValueError(f"{owner}: labels must be in [0, {num_classes})"
                             f"{' (or -1 for no label)' if absent else ''}, got values from "
                             f"{values.min()} to {values.max()}.")
    labels = ops.cast(labels, "int32")
    if len(labels.shape) == 1:
        labels = ops.expand_dims(labels, 1)
    if len(labels.shape) != 2 or labels.shape[1] != 1 or (
            batch is not None and labels.shape[0] not in (None, batch)):
        raise ValueError(f"{owner}: labels must have shape (batch,) or (batch, 1) with "
                         f"batch={batch if batch is not None else 'B'}, got "
                         f"{tuple(labels.shape)}.")
    return labels


def batch_labels(data, key, owner):
    """The labels under ``key`` of a training batch, which must be a dict that has them; the
    error names ``owner`` (the model asking) and what the batch holds instead."""
    if not isinstance(data, dict) or data.get(key) is None:
        given = (f"a dict with keys {sorted(data)}" if isinstance(data, dict)
                 else "videos without labels")
        raise ValueError(f"{owner} trains on dicts with the labels under {key!r} "
                         f"(make_dataset(..., keys=({key!r},))); got {given}.")
    return data[key]


def gan_step_inputs(model, data):
    """What a GAN's train step reads from its batch: ``(data, videos, batch, index)`` with
    ``data`` unpacked from Keras' ``(x, y, sample_weight)``, ``videos (B, T, H, W, C)`` (the
    batch's ``"video"``, or the batch itself) in the model's compute dtype, the batch size,
    and ``index (k,)``: the ``model.frames_per_clip`` frame indices the frame critic judges
    this step, drawn from ``model.seed_generator``."""
    data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
    videos = ops.cast(data["video"] if isinstance(data, dict) else data, model.compute_dtype)
    index = keras.random.randint((model.frames_per_clip,), 0, model.video_shape[0],
                                 seed=model.seed_generator)
    return data, videos, ops.shape(videos)[0], index
