"""Video prediction: given the first frames of a clip, predict the next ones (lesson 04).

Two predictors, one contract. A clip of ``context_frames + future_frames`` frames is split in
the frames the model is given (the context, ``x_1 .. x_C``) and the frames it must predict
(``x_{C+1} .. x_{C+F}``):

- ``ConvLSTMPredictor`` (Shi et al. 2015): frames cut into ``patch x patch`` patches
  (space-to-depth, as OpenSTL's Moving MNIST configs), a stack of fused ConvLSTM cells
  (``layers.ConvLSTMCell``) run over the context and then *rolled out*: from step ``C`` on,
  each step's input is the previous step's prediction. In training, scheduled sampling
  (Bengio et al. 2015) gives it the true frame instead with probability ``eta``, which falls
  linearly from 1 (teacher forcing) to 0 (free running) over ``sampling_steps`` steps.
- ``SimVPPredictor`` (Gao et al. 2022): no recurrence. A per-frame encoder, a translator that
  sees all context frames at once (time stacked into channels) and writes all future frames at
  once, a per-frame decoder with a skip from the encoder. One forward pass per clip instead of
  ``C + F - 1`` recurrent steps.

Both train on clips ``(B, C + F, H, W, ch)`` (or ``{"video": ...}``; ``"coins"``
``(B, F - 1)`` uniform numbers may come with them, to make the scheduled-sampling draws
repeatable) with the mean squared error of the future frames plus ``l1_weight`` times their
mean absolute error (the median-seeking L1 pushes an empty background to exactly -1, which
SSIM rewards), and optionally ``flow_weight`` times ``losses.temporal_consistency_loss``.
With ``saturate`` the loss sees the predictions as ``forecast`` returns them, clipped to
``[-1, 1]``, but with a slope of 0.01 outside: a background pushed below -1 costs almost
nothing there and is exactly black once clipped (a faint haze of +0.01 over a perfect
prediction costs more SSIM than predicting black everywhere). In a first pilot (SimVP, batch
8, 5 minutes), mean SSIM 0.61 with it, 0.42 without.

``model(context)`` and ``model.forecast(context)`` take the context frames only, ``(B, C, H, W,
ch)`` (or a whole clip, of which only the first ``C`` frames are read) and return the
predicted frames ``(B, F, H, W, ch)``; ``forecast`` clips them to ``[-1, 1]``. Outside
training nothing after frame ``C`` is read: the tests poison those frames with NaN.

Video tensors are float ``(batch, frames, height, width, channels)`` in ``[-1, 1]``.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from vidgen_tf.layers.conv import DepthToSpace3D, SpaceToDepth3D
from vidgen_tf.layers.frames import BatchToFrames, FramesToBatch
from vidgen_tf.layers.recurrent import ConvLSTMCell
from vidgen_tf.losses.temporal import temporal_consistency_loss
from vidgen_tf.models.distribute import multiworker_safe_logs, replica_share


def sampling_rate(step, sampling_steps):
    """Scheduled sampling's ``eta`` at training step ``step``: the chance that a rollout step
    is fed the true frame, ``max(0, 1 - step / sampling_steps)`` (1: teacher forcing, 0: free
    running; always 0 when ``sampling_steps`` is 0)."""
    if not sampling_steps:
        return ops.convert_to_tensor(0.0)
    return ops.maximum(0.0, 1.0 - ops.cast(step, "float32") / float(sampling_steps))


def scheduled_input(predicted, truth, coins, eta):
    """The next rollout step's input: the true frame for the clips whose coin is below
    ``eta``, the model's own prediction for the others.

    Args:
        predicted, truth: ``(B, ...)``: the prediction of a frame and the frame.
        coins: ``(B,)`` uniform numbers in ``[0, 1)``, one per clip (the whole frame follows
            its clip's coin).
        eta: scalar, from ``sampling_rate``.

    Returns:
        ``(B, ...)``.
    """
    pick = ops.cast(coins, "float32") < eta
    pick = ops.reshape(pick, (-1,) + (1,) * (len(predicted.shape) - 1))
    return ops.where(pick, ops.cast(truth, predicted.dtype), predicted)


class _Predictor(keras.Model):
    """What both predictors share: the split of a clip, the loss, the trackers, the config."""

    def __init__(self, frame_shape, context_frames=10, future_frames=10, l1_weight=1.0,
                 flow_weight=0.0, saturate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        # the arguments: see ConvLSTMPredictor and SimVPPredictor
        name = type(self).__name__
        if len(frame_shape) != 3:
            raise ValueError(f"{name}: frame_shape must be (height, width, channels), got "
                             f"{frame_shape!r}.")
        for what, value in (("context_frames", context_frames),
                            ("future_frames", future_frames)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name}: {what} must be a positive integer, got {value!r}.")
        if l1_weight < 0 or flow_weight < 0:
            raise ValueError(f"{name}: l1_weight and flow_weight must be >= 0, got "
                             f"{l1_weight!r} and {flow_weight!r}.")
        self.frame_shape = tuple(int(n) for n in frame_shape)
        self.context_frames = int(context_frames)
        self.future_frames = int(future_frames)
        self.l1_weight = float(l1_weight)
        self.flow_weight = float(flow_weight)
        self.saturate = bool(saturate)
        self.seed = seed
        self.data_shape = (self.context_frames + self.future_frames,) + self.frame_shape
        self.trackers = {key: keras.metrics.Mean(name=key) for key in self._logged()}

    def build(self, input_shape=None):
        # the networks are built in the constructor (their shapes follow from frame_shape)
        self.built = True

    def _logged(self):
        return ("loss", "mse", "l1") + (("consistency",) if self.flow_weight else ())

    @property
    def metrics(self):
        return list(self.trackers.values())

    # -- inputs ---------------------------------------------------------------------------
    def _split(self, inputs):
        """``(video, coins)`` from a clip, a context, or ``{"video": ..., "coins": ...}``."""
        coins = None
        if isinstance(inputs, dict):
            coins = inputs.get("coins")
            inputs = inputs["video"]
        frames = inputs.shape[1]
        if inputs.shape[2:] != self.frame_shape or (
                frames is not None and frames < self.context_frames):
            raise ValueError(
                f"{type(self).__name__}: expected clips (batch, >= {self.context_frames}, "
                f"{', '.join(map(str, self.frame_shape))}) (the {self.context_frames} context "
                f"frames first), got {tuple(inputs.shape)}.")
        return inputs, coins

    def call(self, inputs, training=False):
        video, coins = self._split(inputs)
        context = video[:, :self.context_frames]
        teacher = None
        if (training and getattr(self, "sampling_steps", 0)
                and video.shape[1] == self.context_frames + self.future_frames):
            teacher = video[:, self.context_frames:-1]          # frames C+1 .. C+F-1
        return self.predict_frames(context, teacher, coins, training)

    def forecast(self, context):
        """The predicted future ``(B, F, H, W, ch)`` in ``[-1, 1]`` from the context
        ``(B, C, H, W, ch)`` (frames after ``C`` are never read)."""
        return ops.clip(self(context[:, :self.context_frames], training=False), -1.0, 1.0)

    # -- loss ------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        video, _ = self._split(x)
        if video.shape[1] != self.context_frames + self.future_frames:
            raise ValueError(f"{type(self).__name__}: training clips must have "
                             f"{self.context_frames} + {self.future_frames} frames, got "
                             f"{video.shape[1]}.")
        video = ops.cast(video, "float32")
        future = video[:, self.context_frames:]
        y_pred = ops.cast(y_pred, "float32")
        if self.saturate:
            # as forecast clips, with a slope of 0.01 outside [-1, 1] so that a pixel pushed
            # past -1 costs (almost) nothing and comes back: the background can sit safely
            # below -1 and is exactly black once clipped
            clipped = ops.clip(y_pred, -1.0, 1.0)
            y_pred = clipped + 0.01 * (y_pred - clipped)
        mse = ops.mean((y_pred - future) ** 2)
        l1 = ops.mean(ops.abs(y_pred - future))
        loss = mse + self.l1_weight * l1
        logs = {"mse": mse, "l1": l1}
        if self.flow_weight:
            logs["consistency"] = temporal_consistency_loss(
                y_pred, video[:, self.context_frames - 1:])
            loss = loss + self.flow_weight * logs["consistency"]
        logs["loss"] = loss
        for key, value in logs.items():
            self.trackers[key].update_state(value)
        return replica_share(loss)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return multiworker_safe_logs({key: t.result() for key, t in self.trackers.items()})

    def get_config(self):
        return {**super().get_config(), "frame_shape": self.frame_shape,
                "context_frames": self.context_frames, "future_frames": self.future_frames,
                "l1_weight": self.l1_weight, "flow_weight": self.flow_weight,
                "saturate": self.saturate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class ConvLSTMPredictor(_Predictor):
    """Stacked fused ConvLSTM cells on patches, rolled out over the future frames.

    Args:
        frame_shape: ``(H, W, ch)``; ``H`` and ``W`` divisible by ``patch``.
        context_frames, future_frames: int. ``C`` and ``F``.
        filters: tuple of int. Channels of each ConvLSTM layer (two layers of 32 at the cpu
            profile).
        kernel_size: int. The cells' kernel.
        patch: int. Space-to-depth block: a 64x64 frame becomes 16x16 cells of 16 values at
            4.
        sampling_steps: int. Scheduled sampling: the chance of feeding the true frame
            instead of the prediction falls from 1 at step 0 to 0 at this training step (0:
            free running from the start).
        l1_weight, flow_weight: the loss's weights; saturate: the loss sees clipped
            predictions (module docstring).

    The step at which ``eta`` is read is the optimizer's ``iterations``.
    """

    def __init__(self, frame_shape, context_frames=10, future_frames=10, filters=(32, 32),
                 kernel_size=3, patch=4, sampling_steps=0, **kwargs):
        super().__init__(frame_shape, context_frames, future_frames, **kwargs)
        h, w, c = self.frame_shape
        if h % patch or w % patch:
            raise ValueError(f"ConvLSTMPredictor: frames of {h}x{w} cannot be cut into "
                             f"{patch}x{patch} patches.")
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        self.patch = int(patch)
        self.sampling_steps = int(sampling_steps)
        policy = self.dtype_policy
        self.to_patches = SpaceToDepth3D((1, patch, patch), dtype=policy, name="to_patches")
        self.from_patches = DepthToSpace3D((1, patch, patch), dtype=policy,
                                           name="from_patches")
        self.cells = [ConvLSTMCell(f, self.kernel_size, dtype=policy, name=f"convlstm{i}")
                      for i, f in enumerate(self.filters)]
        self.head = layers.Conv2D(patch * patch * c, 1, dtype=policy, name="to_patch_values")
        # built now, so that the model has its weights before its first call (an optimizer
        # can be built on them, a checkpoint restored into them)
        cells_in = (None, h // patch, w // patch)
        for cell, width in zip(self.cells, (patch * patch * c,) + self.filters[:-1]):
            cell.build(cells_in + (width,))
        self.head.build(cells_in + (self.filters[-1],))
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="coins")
        self.build()

    def sampling_rate(self):
        """``eta`` at the optimizer's current step (``sampling_rate``; 0 before compile)."""
        if not self.sampling_steps or self.optimizer is None:
            return ops.convert_to_tensor(0.0)
        return sampling_rate(self.optimizer.iterations, self.sampling_steps)

    def predict_frames(self, context, teacher=None, coins=None, training=False):
        """``(B, F, H, W, ch)`` from ``context (B, C, H, W, ch)``; with ``teacher`` (the true
        frames ``C+1 .. C+F-1``) each rollout step takes the true frame where its coin is
        below ``eta``."""
        x = self.to_patches(context)                          # (B, C, h, w, p*p*ch)
        if teacher is not None:
            teacher = self.to_patches(ops.cast(teacher, x.dtype))
            if coins is None:
                coins = keras.random.uniform((ops.shape(x)[0], self.future_frames - 1),
                                             seed=self.seed_generator)
            eta = self.sampling_rate()
        states = [cell.initial_state(x[:, 0]) for cell in self.cells]
        outputs, previous = [], None
        for t in range(self.context_frames + self.future_frames - 1):
            if t < self.context_frames:
                step_input = x[:, t]
            elif teacher is not None:
                k = t - self.context_frames
                step_input = scheduled_input(previous, teacher[:, k], coins[:, k], eta)
            else:
                step_input = previous
            hidden = step_input
            for i, cell in enumerate(self.cells):
                states[i] = cell(hidden, states[i])
                hidden = states[i][0]
            previous = self.head(hidden)                      # the next frame, as patches
            if t >= self.context_frames - 1:
                outputs.append(previous)
        return self.from_patches(ops.stack(outputs, axis=1))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "patch": self.patch,
                "sampling_steps": self.sampling_steps}


def _conv_block(x, filters, kernel, policy, name):
    """Conv2D, GroupNorm, SiLU."""
    x = layers.Conv2D(filters, kernel, padding="same", dtype=policy, name=f"{name}_conv")(x)
    x = layers.GroupNormalization(min(4, filters), dtype=policy, name=f"{name}_norm")(x)
    return layers.Activation("silu", dtype=policy, name=f"{name}_silu")(x)


def _time_to_channels(x, policy, name):
    """``(B, T, h, w, c) -> (B, h, w, T * c)`` (channel ``t * c + k``)."""
    t, h, w, c = x.shape[1:]
    x = layers.Permute((2, 3, 1, 4), dtype=policy, name=f"{name}_permute")(x)
    return layers.Reshape((h, w, t * c), dtype=policy, name=f"{name}_reshape")(x)


def _channels_to_time(x, frames, policy, name):
    """``(B, h, w, T * c) -> (B, T, h, w, c)``."""
    h, w, tc = x.shape[1:]
    x = layers.Reshape((h, w, frames, tc // frames), dtype=policy, name=f"{name}_reshape")(x)
    return layers.Permute((3, 1, 2, 4), dtype=policy, name=f"{name}_permute")(x)


def build_simvp_networks(frame_shape, context_frames, future_frames, skip_width, hidden,
                         translator_width, translator_blocks, policy=None):
    """SimVP's three parts, all 2-D convolutions at reduced resolution.

    - ``encoder``: ``(B, C, H, W, ch) -> [skip (B, C, H/2, W/2, skip_width), z (B, C, H/4,
      W/4, hidden)]``: space-to-depth 2, a 3x3 block (the skip), space-to-depth 2, a 1x1 and a
      3x3 block. Each frame alone (frames folded into the batch).
    - ``translator``: ``z -> (B, F, H/4, W/4, hidden)``: the context's maps stacked along
      channels (``C * hidden``), a 1x1 to ``translator_width``, ``translator_blocks``
      residual blocks of two 3x3 blocks, a 1x1 to ``F * hidden``: every future frame sees
      every context frame.
    - ``decoder``: ``[z_future, skip] -> (B, F, H, W, ch)``: a 3x3 block, a 1x1 and
      depth-to-space 2, plus the skip of the context frame with the same index, a 3x3
      block, a 1x1 and depth-to-space 2. Linear output.

    Returns:
        ``(encoder, translator, decoder)`` functional models.
    """
    h, w, c = frame_shape
    if h % 4 or w % 4:
        raise ValueError(f"SimVPPredictor: frames of {h}x{w} must be divisible by 4.")
    if future_frames != context_frames:
        raise ValueError(f"SimVPPredictor: the decoder adds the skip of context frame i to "
                         f"future frame i, so future_frames must equal context_frames; got "
                         f"{future_frames} and {context_frames}.")
    clips = keras.Input((context_frames, h, w, c), name="context")
    x = SpaceToDepth3D((1, 2, 2), dtype=policy, name="enc_s2d1")(clips)
    x = FramesToBatch(dtype=policy, name="enc_fold")(x)
    skip = _conv_block(x, skip_width, 3, policy, "enc1")
    x = BatchToFrames(context_frames, dtype=policy, name="enc_unfold1")(skip)
    x = SpaceToDepth3D((1, 2, 2), dtype=policy, name="enc_s2d2")(x)
    x = FramesToBatch(dtype=policy, name="enc_fold2")(x)
    x = _conv_block(x, hidden, 1, policy, "enc2")
    x = _conv_block(x, hidden, 3, policy, "enc3")
    z = BatchToFrames(context_frames, dtype=policy, name="enc_unfold2")(x)
    skip = BatchToFrames(context_frames, dtype=policy, name="skip_unfold")(skip)
    encoder = keras.Model(clips, [skip, z], name="encoder")

    codes = keras.Input((context_frames, h // 4, w // 4, hidden), name="codes")
    x = _time_to_channels(codes, policy, "stack")
    x = layers.Conv2D(translator_width, 1, dtype=policy, name="translator_in")(x)
    for i in range(translator_blocks):
        y = _conv_block(x, translator_width, 3, policy, f"translator{i}a")
        y = _conv_block(y, translator_width, 3, policy, f"translator{i}b")
        x = layers.Add(dtype=policy, name=f"translator{i}_add")([x, y])
    x = layers.Conv2D(future_frames * hidden, 1, dtype=policy, name="translator_out")(x)
    translator = keras.Model(codes, _channels_to_time(x, future_frames, policy, "unstack"),
                             name="translator")

    future = keras.Input((future_frames, h // 4, w // 4, hidden), name="future_codes")
    skips = keras.Input((context_frames, h // 2, w // 2, skip_width), name="skips")
    x = FramesToBatch(dtype=policy, name="dec_fold")(future)
    x = _conv_block(x, hidden, 3, policy, "dec1")
    x = layers.Conv2D(4 * skip_width, 1, dtype=policy, name="dec_up1")(x)
    x = BatchToFrames(future_frames, dtype=policy, name="dec_unfold1")(x)
    x = DepthToSpace3D((1, 2, 2), dtype=policy, name="dec_d2s1")(x)
    x = layers.Add(dtype=policy, name="dec_skip")([x, skips])
    x = FramesToBatch(dtype=policy, name="dec_fold2")(x)
    x = _conv_block(x, skip_width, 3, policy, "dec2")
    x = layers.Conv2D(4 * c, 1, dtype=policy, name="dec_out")(x)
    x = BatchToFrames(future_frames, dtype=policy, name="dec_unfold2")(x)
    frames = DepthToSpace3D((1, 2, 2), dtype=policy, name="dec_d2s2")(x)
    decoder = keras.Model([future, skips], frames, name="decoder")
    return encoder, translator, decoder


@keras.saving.register_keras_serializable(package="vidgen_tf")
class SimVPPredictor(_Predictor):
    """SimVP: encoder, translator over stacked time, decoder with a skip; all future frames
    in one pass (``build_simvp_networks``).

    Args:
        frame_shape: ``(H, W, ch)``, ``H`` and ``W`` divisible by 4.
        context_frames, future_frames: int, equal (the skip pairs frame i with frame i).
        skip_width: int. Channels at half resolution (the skip).
        hidden: int. Channels per frame at quarter resolution (SimVP's ``hid_S``).
        translator_width: int. The translator's channels (``hid_T``).
        translator_blocks: int. Its residual blocks (``N_T``).
        l1_weight, flow_weight: the loss's weights; saturate: the loss sees clipped
            predictions (module docstring).
    """

    def __init__(self, frame_shape, context_frames=10, future_frames=10, skip_width=16,
                 hidden=32, translator_width=128, translator_blocks=4, **kwargs):
        super().__init__(frame_shape, context_frames, future_frames, **kwargs)
        self.skip_width = int(skip_width)
        self.hidden = int(hidden)
        self.translator_width = int(translator_width)
        self.translator_blocks = int(translator_blocks)
        self.encoder, self.translator, self.decoder = build_simvp_networks(
            self.frame_shape, self.context_frames, self.future_frames, self.skip_width,
            self.hidden, self.translator_width, self.translator_blocks, self.dtype_policy)
        self.build()

    def predict_frames(self, context, teacher=None, coins=None, training=False):
        """``(B, F, H, W, ch)`` from ``context (B, C, H, W, ch)`` in one pass (``teacher``
        and ``coins`` are not used: nothing is fed back)."""
        skip, z = self.encoder(context, training=training)
        return self.decoder([self.translator(z, training=training), skip], training=training)

    def get_config(self):
        return {**super().get_config(), "skip_width": self.skip_width,
                "hidden": self.hidden, "translator_width": self.translator_width,
                "translator_blocks": self.translator_blocks}
