"""Move sprites over a canvas: a differentiable translation (lesson 02's sprite generator).

A sprite is a small image ``(S, S, C)``; a position is where its top-left corner sits on an
``(H, W)`` canvas, in pixels, and need not be a whole number. Placing a sprite at ``(top,
left)`` samples it bilinearly:

    frame[y, x] = sum_{i, j} k(y - top - i) k(x - left - j) sprite[i, j],
    k(u) = max(0, 1 - |u|)

so a whole-pixel position copies the sprite, a half-pixel one averages two neighbours, and the
frame is a smooth (piecewise-linear) function of the position: gradients reach the numbers
that say where the sprite goes. Both sums are small matrix products (``(H, S)`` and ``(W, S)``
interpolation matrices), cheap on any device and free of gathers.

With ``whole_pixels=True`` the forward pass rounds each position and copies the sprite
exactly (as datasets like Moving MNIST paste their digits), while the backward pass uses the
bilinear placement's gradient: the *straight-through* estimator (Bengio et al. 2013), the same
trick that lets a VQ-VAE's gradient pass its quantiser (lesson 05):

    frame = bilinear(p) + stop_gradient(whole(round(p)) - bilinear(p))

A generator trained this way cannot hide a blurred drawing behind half-pixel positions, and a
discriminator cannot tell its frames from real ones by their blur.
"""

from __future__ import annotations

import keras
from keras import layers, ops


def interpolation_matrix(offsets, out_size, in_size):
    """Bilinear placement matrices ``k(o - offset - i)``.

    Args:
        offsets: ``(...,)`` float positions of the sprite's first row (or column).
        out_size: int. Canvas side ``H``.
        in_size: int. Sprite side ``S``.

    Returns:
        ``(..., out_size, in_size)``.
    """
    dtype = offsets.dtype
    out = ops.cast(ops.arange(out_size), dtype)[:, None]
    src = ops.cast(ops.arange(in_size), dtype)[None, :]
    u = out - src - offsets[..., None, None]
    return ops.relu(1.0 - ops.abs(u))


@keras.saving.register_keras_serializable(package="vidgen_tf")
class PlaceSprites(layers.Layer):
    """Draw ``K`` sprites on a black canvas at one position per frame each.

    Intensities are in ``[-1, 1]`` with ``-1`` black (the course's pixel range). Overlapping
    sprites combine by their maximum (as digits overlap in Moving MNIST); outside every
    sprite the canvas is black.

    Args:
        canvas_size: int. Side ``H = W`` of the frames.
        whole_pixels: bool. Place at rounded positions (sharp copies), with the bilinear
            placement's gradient (straight-through).

    Call arguments:
        inputs: ``[sprites, positions]``: sprites ``(B, S, S, K, C)`` in ``[-1, 1]``;
            positions ``(B, T, K, 2)``, ``(top, left)`` of each sprite in pixels.

    Returns:
        clips ``(B, T, H, H, C)`` in ``[-1, 1]``.

    Example:
        # sprites (8, 16, 16, 1, 1) and positions (8, 16, 1, 2) -> clips (8, 16, 32, 32, 1)
        PlaceSprites(32)([sprites, positions])
    """

    def __init__(self, canvas_size, whole_pixels=False, **kwargs):
        super().__init__(**kwargs)
        self.whole_pixels = bool(whole_pixels)
        if int(canvas_size) != canvas_size or canvas_size < 1:
            raise ValueError(f"PlaceSprites: canvas_size must be a positive integer, got "
                             f"{canvas_size!r}.")
        self.canvas_size = int(canvas_size)

    def compute_output_shape(self, input_shape):
        (b, _, _, _, c), (_, t, _, _) = input_shape
        return (b, t, self.canvas_size, self.canvas_size, c)

    def call(self, inputs):
        sprites, positions = inputs
        if len(sprites.shape) != 5 or len(positions.shape) != 4 or positions.shape[-1] != 2:
            raise ValueError(f"PlaceSprites: expected sprites (B, S, S, K, C) and positions "
                             f"(B, T, K, 2), got {tuple(sprites.shape)} and "
                             f"{tuple(positions.shape)}.")
        if sprites.shape[3] != positions.shape[2]:
            raise ValueError(f"PlaceSprites: {sprites.shape[3]} sprites but positions for "
                             f"{positions.shape[2]}.")
        positions = ops.cast(positions, sprites.dtype)
        light = (sprites + 1.0) * 0.5                                           # black is 0
        frames = self._place(light, positions)
        if self.whole_pixels:
            sharp = self._place(light, ops.round(positions))
            frames = frames + ops.stop_gradient(sharp - frames)
        return frames * 2.0 - 1.0

    def _place(self, light, positions):
        size = light.shape[1]
        rows = interpolation_matrix(positions[..., 0], self.canvas_size, size)  # (B,T,K,H,S)
        cols = interpolation_matrix(positions[..., 1], self.canvas_size, size)
        x = ops.einsum("btkyi,bijkc->btkyjc", rows, light)
        x = ops.einsum("btkyjc,btkxj->btkyxc", x, cols)
        return ops.max(x, axis=2)

    def get_config(self):
        return {**super().get_config(), "canvas_size": self.canvas_size,
                "whole_pixels": self.whole_pixels}


def reflect(x, extent):
    """Fold ``x`` into ``[0, extent]`` as a ball bounces between two walls: a triangle wave
    of period ``2 * extent`` (``reflect(extent + d) = extent - d``, ``reflect(-d) = d``)."""
    period = 2.0 * extent
    return extent - ops.abs(extent - (x - period * ops.floor(x / period)))


@keras.saving.register_keras_serializable(package="vidgen_tf")
class BouncingPath(layers.Layer):
    """Positions that move with bounded velocity and bounce off the frame's edges.

    A path generator that outputs positions directly must learn to turn sharply at a wall,
    and a network that cannot draws paths too slow to reach one. Here the network outputs a
    start and a velocity per frame; the path integrates the velocity and folds it back into
    the frame by reflection (as the data's objects bounce):

        p_0 = extent * start,   p_t = reflect(p_0 + max_speed * sum_{s < t} v_s, extent)

    with ``start`` in ``[0, 1]`` and ``v`` in ``[-1, 1]`` per axis. A constant ``v`` gives
    straight motion at constant speed, bouncing at the walls.

    Args:
        extent: float. The largest position (``canvas - sprite`` pixels); positions are in
            ``[0, extent]``.
        max_speed: float. Pixels per frame of a velocity of 1 along an axis.

    Call arguments:
        inputs: ``[start, velocity]``: start ``(B, K, 2)`` in ``[0, 1]`` (a sigmoid's output),
            velocity ``(B, T, K, 2)`` in ``[-1, 1]`` (a tanh's output).

    Returns:
        positions ``(B, T, K, 2)`` in ``[0, extent]`` (``PlaceSprites``' input).

    Example:
        # 16x16 sprites on a 32x32 canvas, up to 2 pixels per frame along each axis
        positions = BouncingPath(16.0, 2.0)([start, velocity])
    """

    def __init__(self, extent, max_speed, **kwargs):
        super().__init__(**kwargs)
        if not extent > 0 or not max_speed > 0:
            raise ValueError(f"BouncingPath: extent and max_speed must be > 0, got "
                             f"{extent!r} and {max_speed!r}.")
        self.extent = float(extent)
        self.max_speed = float(max_speed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[1])

    def call(self, inputs):
        start, velocity = inputs
        if len(start.shape) != 3 or len(velocity.shape) != 4 or start.shape[-1] != 2 or \
                velocity.shape[-1] != 2:
            raise ValueError(f"BouncingPath: expected start (B, K, 2) and velocity "
                             f"(B, T, K, 2), got {tuple(start.shape)} and "
                             f"{tuple(velocity.shape)}.")
        steps = self.max_speed * ops.cast(velocity, start.dtype)
        # displacement before frame t: the sum of the velocities of frames 0 .. t-1
        travelled = ops.cumsum(steps, axis=1) - steps
        return reflect(self.extent * start[:, None] + travelled, self.extent)

    def get_config(self):
        return {**super().get_config(), "extent": self.extent, "max_speed": self.max_speed}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class StraightVelocity(layers.Layer):
    """One velocity for every frame: a direction (normalised to length 1) times a speed.

    Objects that move in a straight line at constant speed (and bounce: ``BouncingPath``)
    need three numbers per object, not one velocity per frame. Written in polar form, every
    direction is equally easy to reach from a Gaussian code (a velocity drawn as two Gaussian
    numbers is slow near the middle of the code space, where real objects never are).

    Args:
        num_frames: int. ``T``.

    Call arguments:
        inputs: ``[direction, speed]``: direction ``(B, K, 2)`` (any length but 0), speed
            ``(B, K, 1)`` in ``[0, 1]`` (a sigmoid's output).

    Returns:
        velocities ``(B, T, K, 2)`` with length ``speed`` (``BouncingPath``'s input).

    Example:
        # 16 frames of one velocity per object, up to 1 (times BouncingPath's max_speed)
        velocity = StraightVelocity(16)([direction, speed])
        positions = BouncingPath(16.0, 2.5)([start, velocity])
    """

    def __init__(self, num_frames, **kwargs):
        super().__init__(**kwargs)
        if int(num_frames) != num_frames or num_frames < 1:
            raise ValueError(f"StraightVelocity: num_frames must be a positive integer, got "
                             f"{num_frames!r}.")
        self.num_frames = int(num_frames)

    def compute_output_shape(self, input_shape):
        b, k, _ = input_shape[0]
        return (b, self.num_frames, k, 2)

    def call(self, inputs):
        direction, speed = inputs
        if len(direction.shape) != 3 or direction.shape[-1] != 2 or len(speed.shape) != 3 \
                or speed.shape[-1] != 1:
            raise ValueError(f"StraightVelocity: expected direction (B, K, 2) and speed "
                             f"(B, K, 1), got {tuple(direction.shape)} and "
                             f"{tuple(speed.shape)}.")
        # normalised in float32: under mixed float16, 1e-12 rounds to 0 and a short direction
        # would divide by zero
        unit = ops.cast(direction, "float32")
        unit = unit / ops.sqrt(ops.sum(ops.square(unit), axis=-1, keepdims=True) + 1e-12)
        velocity = ops.cast(ops.cast(speed, "float32") * unit, direction.dtype)
        return ops.repeat(ops.expand_dims(velocity, 1), self.num_frames, axis=1)

    def get_config(self):
        return {**super().get_config(), "num_frames": self.num_frames}
