"""MoCoGAN: motion and content as separate codes (Tulyakov et al. 2018; lesson 03).

A clip is drawn from two kinds of code:

- a **content** code ``z_C`` (``content_dim`` numbers, default 50), drawn once per clip and
  given to every frame: what the clip shows (with ``num_classes``, also the label: the digit);
- **motion** codes ``z_M(t)`` (``motion_dim`` numbers, default 10), one per frame, from a GRU
  cell unrolled over the frames with a fresh Gaussian input ``eps_t`` at each step and a
  Gaussian initial state ``h_0``: ``z_M(t) = h_t = GRU(h_{t-1}, eps_t)``, ``t = 1..T``
  (``sergeytulyakov/mocogan``, ``src/models.py``: ``h_0`` is dropped, fresh noise per step).

One **image generator**, shared by all frames, draws frame ``t`` from ``[z_C, z_M(t)]``: it
has no memory, so everything that changes between frames comes through ``z_M(t)``, and
everything that stays comes through ``z_C``. The number of frames is free: ``generate(...,
num_frames=32)`` unrolls the GRU further than training did. That is the paper's generator
(``frame_generator="image"``). The ``"sprite"`` generator, which the lesson's recipe uses on
CPUs, keeps the split with lesson 02's inductive bias: ``z_C`` draws one sprite per clip and
the motion codes are its velocities, integrated and bounced at the walls
(``build_frame_generator``).

Two discriminators: an **image discriminator** ``D_I`` judges single frames (drawn at random
from real and generated clips: is each frame a real picture?) and a **video discriminator**
``D_V`` judges whole clips (is the motion real?). The step updates ``D_I``, then ``D_V``,
then the generator, as in the paper (here the three updates share one batch of generated
clips, drawn once per step). Instance noise (Gaussian, ``noise_sigma``) is added to every
input of both discriminators while training, real and fake alike: a generator's ``tanh``
never reaches the exact black of real frames, and without noise a discriminator wins on that
alone.

With ``num_classes`` the content includes a categorical code (MoCoGAN's ``z_A``): the label,
embedded. ``D_V`` then also classifies clips, from the frames ``D_I`` judges (an auxiliary
head, InfoGAN-style as in MoCoGAN's categorical variant): it learns the labels of real clips,
and the generator is trained to make clips that ``D_V`` classifies as the labels they were
drawn with.

Videos are ``(batch, frames, height, width, channels)`` floats in ``[-1, 1]``.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from vidgen_tf.layers import (BatchToFrames, BouncingPath, CropFrames, FramesToBatch,
                              PlaceSprites)
from vidgen_tf.losses.gan import (ADVERSARIAL_LOSSES, discriminator_loss, generator_loss,
                                  lazy_r1_penalty)
from vidgen_tf.models.distribute import multiworker_safe_logs, replica_share
from vidgen_tf.models.gan import _levels, build_frame_discriminator, build_video_discriminator
from vidgen_tf.models.streams import (batch_labels, gan_step_inputs, image_stream,
                                      label_embedding, one_label_per_clip)
from vidgen_tf.precision import scaled_optimizer


def build_motion_network(motion_dim, policy=None, update_gate_bias=0.0):
    """``[h0 (B, dm), eps (B, T, dm)] -> z_M (B, T, dm)``: a GRU cell unrolled over the T
    steps of ``eps`` from the state ``h0`` (``z_M(t) = h_t``; T is free).

    ``update_gate_bias``: the initial bias of the update gate (Keras and PyTorch start at
    0). At 2, the gate starts near ``sigmoid(2) = 0.88``: each step keeps most of the state,
    and consecutive motion codes start close (an untrained GRU of 10 units driven by N(0, I)
    moved its codes by 0.26 per step at 0, about their spread over a clip, 0.32; by 0.08 at
    2, a third of theirs), as an LSTM's forget-gate bias of 1 does (Jozefowicz et al. 2015).

    ``keras.layers.RNN`` over a ``GRUCell``, not ``keras.layers.GRU``: with the TensorFlow
    backend a cuDNN-eligible ``GRU`` switches XLA off for the whole model
    (keras-team/keras#18456), and a cell in a loop runs the same everywhere."""
    h0 = keras.Input((motion_dim,), name="h0")
    eps = keras.Input((None, motion_dim), name="eps")
    cell = layers.GRUCell(motion_dim, dtype=policy, name="gru_cell")
    z_m = layers.RNN(cell, return_sequences=True, dtype=policy, name="gru")(eps,
                                                                          initial_state=h0)
    network = keras.Model([h0, eps], z_m, name="motion_network")
    if update_gate_bias:
        # bias (2, 3 * dm): input and recurrent biases of the gates (update, reset, candidate)
        bias = ops.convert_to_numpy(cell.bias).copy()
        bias[0, :motion_dim] = update_gate_bias
        cell.bias.assign(bias)
    return network


FRAME_GENERATORS = ("image", "sprite")


def build_frame_generator(frame_shape, content_dim, motion_dim, width, policy=None,
                          num_classes=0, kind="image"):
    """The generator that turns codes into frames.

    ``kind="image"`` (the paper's): ``[content (B, dc), motion (B, dm)] -> frames (B, H, W,
    C)``, lesson 02's image stream drawing the whole frame from ``[z_C, z_M(t)]``, shared by
    every frame (``MoCoGAN.decode`` runs it on the ``B * T`` frame codes).

    ``kind="sprite"``: ``[content (B, dc), motion (B, T, dm)] -> clips (B, T, H, W, C)``.
    The content draws one sprite of half the frame's side (the same image stream, run once
    per clip: the drawing cannot change within a clip); the motion codes are read as
    velocities, ``v_t = tanh(W z_M(t))`` per axis, and the start from ``[z_C, z_M(1)]``;
    ``BouncingPath`` integrates the velocities and bounces at the frame's edges (up to a
    sixth of the free extent per frame), and ``PlaceSprites`` moves the sprite along the
    path, at whole pixels. Slowly changing motion codes (the GRU's) then give straight,
    steady motion, as the data's.

    With ``num_classes`` both also take ``labels (B, 1)``, embedded and joined to the
    content."""
    if kind not in FRAME_GENERATORS:
        raise ValueError(f"MoCoGAN: frame_generator must be one of {FRAME_GENERATORS}, got "
                         f"{kind!r}.")
    h, w, c = frame_shape
    if h != w:
        raise ValueError(f"MoCoGAN: frames must be square, got {h}x{w}.")
    spatial = _levels(h, "frame size")
    widths = [max(width // 2**i, 16) for i in range(spatial + 1)]
    content = keras.Input((content_dim,), name="content")
    per_frame = kind == "image"
    motion = keras.Input((motion_dim,) if per_frame else (None, motion_dim), name="motion")
    inputs, what = [content, motion], content
    if num_classes:
        labels = keras.Input((1,), dtype="int32", name="labels")
        inputs.append(labels)
        what = layers.Concatenate(dtype=policy, name="content_code")([content, label_embedding(
            labels, num_classes, content_dim, policy, "label_embedding", flatten=True)])
    if per_frame:
        code = layers.Concatenate(dtype=policy, name="code")([what, motion])
        frame = image_stream(code, widths, c, policy, "frame", "to_frame")
        return keras.Model(inputs, frame, name="frame_generator")
    if h < 8:
        raise ValueError(f"MoCoGAN: the sprite generator needs frames of at least 8x8, got "
                         f"{h}x{w}.")
    size = h // 2
    sprite = image_stream(what, widths[:-1], c, policy, "sprite", "to_sprite")
    sprite = layers.Reshape((size, size, 1, c), dtype=policy, name="sprites")(sprite)
    first = layers.Reshape((motion_dim,), dtype=policy, name="first_motion")(
        CropFrames(1, dtype=policy, name="motion_at_1")(motion))
    start = layers.Dense(2, activation="sigmoid", dtype=policy, name="to_start")(
        layers.Concatenate(dtype=policy, name="start_code")([what, first]))
    start = layers.Reshape((1, 2), dtype=policy, name="starts")(start)
    velocity = layers.Dense(2, activation="tanh", dtype=policy, name="to_velocity")(motion)
    velocity = layers.Reshape((-1, 1, 2), dtype=policy, name="velocities")(velocity)
    extent = h - size
    path = BouncingPath(extent, extent / 6, dtype=policy, name="positions")([start, velocity])
    clips = PlaceSprites(h, whole_pixels=True, dtype=policy, name="place")([sprite, path])
    return keras.Model(inputs, clips, name="frame_generator")


def build_clip_classifier(video_shape, width, num_classes, policy=None):
    """``clips (B, T, H, W, C) -> class logits (B, num_classes)``: the video discriminator's
    auxiliary head, a branch of its own (as lesson 02 found for the frame discriminator: 3x3
    convolutions with max pooling and a global max pool find a small digit anywhere in a
    frame), its per-frame features averaged over the clip's frames. ``MoCoGAN`` gives it the
    ``frames_per_clip`` frames the image discriminator judges: reading all 16 frames of 32x32
    clips, a training step took 1024 ms (batch 8, 2 CPU cores), reading 4 of them 617-682 ms
    (without the head: 484-682 ms, the machine's speed varying)."""
    t = video_shape[0]
    clips = keras.Input(video_shape, name="video")
    x = FramesToBatch(dtype=policy, name="frames_as_batch")(clips)
    filters = width
    for i in range(3):
        x = layers.Conv2D(filters, 3, padding="same", dtype=policy, name=f"class_conv{i}")(x)
        x = layers.LeakyReLU(0.2, dtype=policy)(x)
        x = layers.MaxPooling2D(dtype=policy, name=f"class_pool{i}")(x)
        filters *= 2
    x = layers.GlobalMaxPooling2D(dtype=policy, name="class_global_pool")(x)
    x = BatchToFrames(t, dtype=policy, name="frames_as_clips")(x)
    x = layers.GlobalAveragePooling1D(dtype=policy, name="over_frames")(x)
    logits = layers.Dense(num_classes, dtype=policy, name="classes")(x)
    return keras.Model(clips, logits, name="clip_classifier")


def image_critic_batch(videos, index, labels=None):
    """The image discriminator's batch: the frames ``index`` of every clip, one clip after
    the other.

    Args:
        videos: ``(B, T, H, W, C)``.
        index: int ``(k,)``: the frame numbers judged this step (the same for every clip;
            a number may repeat).
        labels: optional int ``(B, 1)``: each clip's label.

    Returns:
        ``(frames, frame_labels)``: ``frames (B * k, H, W, C)``, clip 0's ``k`` frames first,
        then clip 1's; ``frame_labels (B * k, 1)``, each frame's clip label in the same order
        (``None`` without ``labels``).
    """
    shape = ops.shape(videos)
    frames = ops.reshape(ops.take(videos, index, axis=1), (-1,) + tuple(shape[2:]))
    if labels is None:
        return frames, None
    return frames, ops.repeat(labels, ops.shape(index)[0], axis=0)


def _adam():
    # the paper's settings (src/train.py): Adam(2e-4, betas (0.5, 0.999)) for all three
    return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)


@keras.saving.register_keras_serializable(package="vidgen_tf")
class MoCoGAN(keras.Model):
    """MoCoGAN with its own three-part train step (see the module docstring).

    Args:
        video_shape: ``(T, H, W, C)`` of the training clips.
        content_dim: int. Size of ``z_C`` (50 in the paper).
        motion_dim: int. Size of ``z_M(t)``, the GRU's state and input (10 in the paper).
        num_classes: int. 0: unconditional; else the categorical code: the clip's label
            ``(B, 1)`` in ``[0, num_classes)``, given to the generator and predicted by the
            video discriminator's auxiliary head. It trains on dicts with the labels under
            ``label_key``.
        label_key: str. The batch key of the labels (``"digits"``, or ``"directions"`` for
            the motion's 8 directions).
        generator_width: int. Channels of the frame generator's first (4x4) feature map.
        discriminator_width: int. Channels of each discriminator's first layer.
        frames_per_clip: int. Frames of each clip the image discriminator (and the auxiliary
            head) judges.
        loss: ``"nonsaturating"`` (the paper's cross-entropy), ``"hinge"`` or
            ``"wasserstein"``.
        noise_sigma: float. Standard deviation of the instance noise added to the
            discriminators' inputs while training (0: none).
        noise_anneal_steps: int. 0: the noise keeps ``noise_sigma``; else it falls linearly
            to 0 at this generator step (Sønderby et al. 2017 anneal it): early on it keeps
            the discriminators from winning on details, later it would hide faint
            backgrounds that the generator should learn to make black.
        class_weight: float. Weight of the auxiliary classification losses.
        r1_gamma: float. Weight of an R1 penalty on both discriminators (0: none, the paper).
        r1_every: int. Lazy R1: computed on every ``r1_every``-th step of each discriminator,
            ``r1_every`` times as large (``losses.lazy_r1_penalty``).
        frame_generator: ``"image"`` (the paper's: draws each frame from ``[z_C, z_M(t)]``)
            or ``"sprite"`` (a sprite drawn from the content, moved with velocities read
            from the motion codes; see ``build_frame_generator``).
        update_gate_bias: float. The GRU's initial update-gate bias (see
            ``build_motion_network``; 0: Keras' and PyTorch's default).
        projection: bool. With classes, both discriminators are also told the clip's label
            (projection discriminators, lesson 02): they judge "a real clip *of this
            digit*?". False: the paper's unconditional discriminators.
        seed: int. Seed of the codes and the noise.

    Call arguments:
        inputs: ``[content (B, dc), h0 (B, dm), eps (B, T, dm)]``, and with
            ``num_classes`` also ``labels (B, 1)`` (``codes_list`` of ``sample_codes``).

    Returns:
        clips ``(B, T, H, W, C)`` (T from ``eps``).

    ``fit`` takes batches of videos, or dicts ``{"video": ..., "noise": (B,
    latent_shape[0]), label_key: (B, 1)}``: the noise (optional) holds a step's codes,
    ``split_noise`` shows how, so that a step repeats exactly across device splits.

    Example:
        model = MoCoGAN((16, 32, 32, 1), num_classes=10)
        model.compile()                       # three Adam(2e-4, beta_1=0.5) optimizers
        model.fit(make_dataset(source, 16, keys=("digits",)), steps_per_epoch=100)
        clips = model.generate(10, seed=0, labels=range(10), num_frames=32)
    """

    def __init__(self, video_shape=(16, 32, 32, 1), content_dim=50, motion_dim=10,
                 num_classes=0, label_key="digits", generator_width=256,
                 discriminator_width=32, frames_per_clip=4, loss="nonsaturating",
                 noise_sigma=0.1, class_weight=1.0, r1_gamma=0.0, frame_generator="image",
                 projection=False, update_gate_bias=0.0, r1_every=1, noise_anneal_steps=0,
                 seed=0, **kwargs):
        super().__init__(**kwargs)
        if loss not in ADVERSARIAL_LOSSES:
            raise ValueError(f"MoCoGAN: loss must be one of {sorted(ADVERSARIAL_LOSSES)}, "
                             f"got {loss!r}.")
        for name, value in (("content_dim", content_dim), ("motion_dim", motion_dim),
                            ("frames_per_clip", frames_per_clip)):
            if int(value) != value or value < 1:
                raise ValueError(f"MoCoGAN: {name} must be a positive integer, got {value!r}.")
        if int(num_classes) != num_classes or num_classes < 0:
            raise ValueError(f"MoCoGAN: num_classes must be 0 (unconditional) or a positive "
                             f"integer, got {num_classes!r}.")
        if int(r1_every) != r1_every or r1_every < 1:
            raise ValueError(f"MoCoGAN: r1_every must be a positive integer, got {r1_every!r}.")
        if noise_sigma < 0:
            raise ValueError(f"MoCoGAN: noise_sigma must be >= 0, got {noise_sigma!r}.")
        self.video_shape = tuple(int(s) for s in video_shape)
        self.content_dim, self.motion_dim = int(content_dim), int(motion_dim)
        self.num_classes, self.label_key = int(num_classes), str(label_key)
        self.generator_width = int(generator_width)
        self.discriminator_width = int(discriminator_width)
        self.frames_per_clip = int(frames_per_clip)
        self.loss_name = loss
        self.noise_sigma, self.class_weight = float(noise_sigma), float(class_weight)
        self.r1_gamma, self.seed = float(r1_gamma), int(seed)
        self.r1_every = int(r1_every)
        if int(noise_anneal_steps) != noise_anneal_steps or noise_anneal_steps < 0:
            raise ValueError(f"MoCoGAN: noise_anneal_steps must be an integer >= 0, got "
                             f"{noise_anneal_steps!r}.")
        self.noise_anneal_steps = int(noise_anneal_steps)
        self.frame_generator_kind = str(frame_generator)
        self.projection = bool(projection)
        self.update_gate_bias = float(update_gate_bias)
        if self.projection and not self.num_classes:
            raise ValueError("MoCoGAN: projection=True needs labels (num_classes > 0).")
        policy = self.dtype_policy
        t, h, w, c = self.video_shape
        self.motion_network = build_motion_network(self.motion_dim, policy,
                                                   self.update_gate_bias)
        self.frame_generator = build_frame_generator((h, w, c), self.content_dim,
                                                     self.motion_dim, self.generator_width,
                                                     policy, self.num_classes,
                                                     self.frame_generator_kind)
        projected = self.num_classes if self.projection else 0
        self.image_discriminator = build_frame_discriminator(
            (h, w, c), self.discriminator_width, policy, num_classes=projected)
        self.video_discriminator = build_video_discriminator(
            self.video_shape, self.discriminator_width, policy, num_classes=projected)
        self.clip_classifier = (build_clip_classifier((self.frames_per_clip, h, w, c),
                                                      self.discriminator_width,
                                                      self.num_classes, policy)
                                if self.num_classes and self.class_weight else None)
        self.latent_shape = (self.content_dim + self.motion_dim * (t + 1),)
        self.data_shape = self.video_shape
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="noise")
        names = ["d_image_loss", "d_video_loss", "g_loss", "real_image_logit",
                 "fake_image_logit", "real_video_logit", "fake_video_logit"]
        if self.clip_classifier is not None:
            names += ["class_loss", "fake_class_loss"]
        if self.r1_gamma:
            names += ["r1"]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.build()

    def build(self, input_shape=None):
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    # --- codes and generation -----------------------------------------------------------

    def sample_codes(self, num, num_frames=None, seed=None, labels=None):
        """Codes of ``num`` clips of ``num_frames`` (default: the training clips') frames:
        ``{"content": (num, dc), "h0": (num, dm), "eps": (num, T, dm)}`` drawn from
        N(0, I), with ``"labels" (num, 1)`` (given, or uniform) when the model has classes.
        Repeatable with an integer ``seed``."""
        num = int(num)
        t = self.video_shape[0] if num_frames is None else int(num_frames)
        seeds = ([seed + k for k in range(4)] if isinstance(seed, int)
                 else [self.seed_generator if seed is None else seed] * 4)
        codes = {"content": keras.random.normal((num, self.content_dim), seed=seeds[0]),
                 "h0": keras.random.normal((num, self.motion_dim), seed=seeds[1]),
                 "eps": keras.random.normal((num, t, self.motion_dim), seed=seeds[2])}
        if self.num_classes:
            codes["labels"] = (self._labels(labels, num) if labels is not None else
                               keras.random.randint((num, 1), 0, self.num_classes,
                                                    seed=seeds[3]))
        elif labels is not None:
            raise ValueError("MoCoGAN.sample_codes: labels given to an unconditional model "
                             "(num_classes=0).")
        return codes

    def sample_shared_codes(self, groups, per_group, share, num_frames=None, seed=None,
                            labels=None):
        """Codes of ``groups * per_group`` clips in groups of ``per_group`` (clips ``g *
        per_group`` to ``(g + 1) * per_group - 1``) that share one kind of code.

        Args:
            share: ``"content"``: the clips of a group share their content code (and label)
                and have motions of their own; ``"motion"``: they share the motion (``h0``
                and ``eps``) and have contents (and labels) of their own.
            labels: with classes, ``(groups,)`` for ``share="content"`` (a group's digit),
                ``(groups * per_group,)`` for ``"motion"``; None draws them uniformly.

        Returns:
            the dict of ``sample_codes``, the shared entries repeated within each group.
        """
        if share not in ("content", "motion"):
            raise ValueError(f"MoCoGAN.sample_shared_codes: share must be 'content' or "
                             f"'motion', got {share!r}.")
        groups, per_group = int(groups), int(per_group)
        if labels is not None and share == "content":
            labels = ops.repeat(self._labels(labels, groups), per_group, axis=0)
        codes = self.sample_codes(groups * per_group, num_frames, seed, labels)
        shared = ("content", "labels") if share == "content" else ("h0", "eps")
        for key in shared:
            if key in codes:
                value = codes[key]
                rest = tuple(ops.shape(value)[1:])
                first = ops.reshape(value, (groups, per_group) + rest)[:, :1]
                codes[key] = ops.reshape(ops.repeat(first, per_group, axis=1),
                                         (groups * per_group,) + rest)
        return codes

    def motion_codes(self, h0, eps, training=False):
        """``z_M (B, T, dm)`` from the GRU's initial state ``h0 (B, dm)`` and its inputs
        ``eps (B, T, dm)``."""
        return self.motion_network([h0, eps], training=training)

    def decode(self, content, motion, labels=None, training=False):
        """Clips ``(B, T, H, W, C)`` from ``content (B, dc)`` and motion codes ``(B, T,
        dm)``: every frame drawn by the one frame generator from ``[content, motion_t]``
        (the sprite generator: the content's sprite moved by the motion codes)."""
        if self.num_classes and labels is None:
            raise ValueError(f"MoCoGAN(num_classes={self.num_classes}).decode needs the "
                             f"labels (B, 1).")
        if self.frame_generator_kind == "sprite":
            inputs = [content, motion] + ([self._labels(labels)] if self.num_classes else [])
            return self.frame_generator(inputs, training=training)
        t = ops.shape(motion)[1]
        h, w, c = self.video_shape[1:]
        content = ops.reshape(ops.repeat(ops.expand_dims(content, 1), t, axis=1),
                              (-1, self.content_dim))
        inputs = [content, ops.reshape(motion, (-1, self.motion_dim))]
        if self.num_classes:
            inputs.append(ops.reshape(ops.repeat(self._labels(labels), t, axis=1), (-1, 1)))
        frames = self.frame_generator(inputs, training=training)
        return ops.reshape(frames, (-1, t, h, w, c))

    def call(self, inputs, training=False):
        content, h0, eps, *labels = inputs
        if len(labels) != (1 if self.num_classes else 0):
            raise ValueError(f"MoCoGAN(num_classes={self.num_classes}) takes [content, h0, "
                             f"eps{', labels' if self.num_classes else ''}], got "
                             f"{len(inputs)} inputs.")
        motion = self.motion_codes(h0, eps, training=training)
        return self.decode(content, motion, labels[0] if labels else None, training=training)

    def codes_list(self, codes):
        """The ``call`` inputs of a dict of codes: ``[content, h0, eps(, labels)]``."""
        return [codes[k] for k in ("content", "h0", "eps", "labels") if k in codes]

    def generate(self, num, seed=None, labels=None, num_frames=None):
        """``num`` clips of ``num_frames`` frames (default: as trained) from codes drawn
        from N(0, I) (repeatable with ``seed``); a model with classes draws the given
        ``labels (num,)`` or ``(num, 1)``, or labels drawn uniformly."""
        codes = self.sample_codes(num, num_frames, seed, labels)
        return self(self.codes_list(codes), training=False)

    def _labels(self, labels, batch=None):
        return one_label_per_clip(labels, "MoCoGAN", self.num_classes, batch)

    # --- training -----------------------------------------------------------------------

    def compile(self, generator_optimizer=None, image_discriminator_optimizer=None,
                video_discriminator_optimizer=None, **kwargs):
        """Set the three optimizers (default: the paper's Adam(2e-4, 0.5, 0.999)), built at
        once inside the current strategy scope, loss-scaled under mixed float16."""
        policy = self.dtype_policy
        self.generator_optimizer = scaled_optimizer(generator_optimizer or _adam(), policy)
        self.image_discriminator_optimizer = scaled_optimizer(
            image_discriminator_optimizer or _adam(), policy)
        self.video_discriminator_optimizer = scaled_optimizer(
            video_discriminator_optimizer or _adam(), policy)
        self.generator_optimizer.build(self._generator_variables())
        self.image_discriminator_optimizer.build(self.image_discriminator.trainable_variables)
        self.video_discriminator_optimizer.build(self._video_critic_variables())
        # ``model.optimizer`` is the generator's: its step counter is the run's step
        super().compile(optimizer=self.generator_optimizer, **kwargs)

    def _generator_variables(self):
        return self.motion_network.trainable_variables + self.frame_generator.trainable_variables

    def _video_critic_variables(self):
        variables = list(self.video_discriminator.trainable_variables)
        if self.clip_classifier is not None:
            variables += self.clip_classifier.trainable_variables
        return variables

    def noise_level(self, step):
        """The instance noise's standard deviation at optimizer step ``step``:
        ``noise_sigma``, or with ``noise_anneal_steps`` falling linearly to 0 at that step."""
        sigma = ops.cast(self.noise_sigma, "float32")
        if not self.noise_anneal_steps:
            return sigma
        done = ops.cast(step, "float32") / float(self.noise_anneal_steps)
        return sigma * ops.maximum(0.0, 1.0 - done)

    def _noisy(self, x):
        """Instance noise: ``x + sigma * N(0, I)`` (training only), sigma at the generator's
        step (``noise_level``)."""
        if not self.noise_sigma:
            return x
        sigma = (self.noise_level(self.generator_optimizer.iterations)
                 if self.noise_anneal_steps else self.noise_sigma)
        return x + ops.cast(sigma, x.dtype) * keras.random.normal(
            ops.shape(x), dtype=x.dtype, seed=self.seed_generator)

    def _image_logits(self, videos, index, labels=None):
        """Logits ``(B * k,)`` of the image discriminator on ``k`` frames of each clip (the
        frame indices ``index (k,)``), with instance noise; with ``projection``, each frame
        judged with its clip's label."""
        frames, frame_labels = image_critic_batch(videos, index, labels)
        frames = self._noisy(frames)
        inputs = [frames, frame_labels] if self.projection else frames
        return ops.cast(self.image_discriminator(inputs, training=True), "float32")

    def _video_logits(self, videos, labels=None):
        inputs = self._noisy(videos)
        if self.projection:
            inputs = [inputs, labels]
        return ops.cast(self.video_discriminator(inputs, training=True), "float32")

    def _class_loss(self, videos, labels, index):
        """Cross-entropy of the clips' labels under the auxiliary head, which reads the
        frames at ``index`` of each clip."""
        frames = ops.take(videos, index, axis=1)
        logits = ops.cast(self.clip_classifier(frames, training=True), "float32")
        return ops.mean(ops.sparse_categorical_crossentropy(labels[:, 0], logits,
                                                             from_logits=True))

    def split_noise(self, noise):
        """A flat noise ``(B, latent_shape[0])`` as the codes of clips of the training
        length: ``{"content": (B, dc), "h0": (B, dm), "eps": (B, T, dm)}`` (its first
        ``dc`` numbers, the next ``dm``, the rest)."""
        dc, dm = self.content_dim, self.motion_dim
        return {"content": noise[:, :dc], "h0": noise[:, dc:dc + dm],
                "eps": ops.reshape(noise[:, dc + dm:], (-1, self.video_shape[0], dm))}

    def _codes(self, data, batch):
        """The step's codes: from ``data["noise"]`` if the batch brings it (a step that
        repeats across device splits), else drawn here."""
        if isinstance(data, dict) and data.get("noise") is not None:
            return self.split_noise(ops.cast(data["noise"], "float32"))
        return self.split_noise(keras.random.normal((batch,) + self.latent_shape,
                                                    seed=self.seed_generator))

    def _data_labels(self, data):
        if not self.num_classes:
            return None
        return self._labels(batch_labels(data, self.label_key,
                                         f"MoCoGAN(num_classes={self.num_classes})"))

    def train_step(self, data):
        import tensorflow as tf

        data, videos, batch, index = gan_step_inputs(self, data)
        codes = self._codes(data, batch)
        labels = self._data_labels(data)          # the fakes are drawn with the real labels
        logs = {}

        def update(optimizer, scaled, variables, tape):
            grads = tape.gradient(scaled, variables)
            optimizer.apply_gradients(zip(grads, variables))

        g_vars = self._generator_variables()
        # The generator runs once, on the outer tape; both critics' steps treat its clips as
        # constants (the tape does not record them), and the generator's step differentiates
        # the same clips through the updated critics.
        with tf.GradientTape() as g_tape:
            motion = self.motion_codes(codes["h0"], codes["eps"], training=True)
            fake = self.decode(codes["content"], motion, labels, training=True)
            frozen = ops.stop_gradient(fake)
            with g_tape.stop_recording():
                # 1. the image discriminator, on k frames of each clip
                optimizer = self.image_discriminator_optimizer
                d_image_vars = self.image_discriminator.trainable_variables
                with tf.GradientTape() as tape:
                    real_i = self._image_logits(videos, index, labels)
                    fake_i = self._image_logits(frozen, index, labels)
                    d_image = discriminator_loss(self.loss_name, real_i, fake_i)
                    if self.r1_gamma:
                        r1 = lazy_r1_penalty(lambda x: self._image_logits(x, index, labels),
                                             videos, optimizer.iterations, self.r1_every)
                        d_image = d_image + 0.5 * self.r1_gamma * r1
                    scaled = optimizer.scale_loss(replica_share(d_image))
                update(optimizer, scaled, d_image_vars, tape)
                # 2. the video discriminator (and its auxiliary head, on real clips only)
                optimizer = self.video_discriminator_optimizer
                d_video_vars = self._video_critic_variables()
                with tf.GradientTape() as tape:
                    real_v = self._video_logits(videos, labels)
                    fake_v = self._video_logits(frozen, labels)
                    d_video = discriminator_loss(self.loss_name, real_v, fake_v)
                    if self.clip_classifier is not None:
                        logs["class_loss"] = self._class_loss(videos, labels, index)
                        d_video = d_video + self.class_weight * logs["class_loss"]
                    if self.r1_gamma:
                        r1_v = lazy_r1_penalty(lambda x: self._video_logits(x, labels), videos,
                                               optimizer.iterations, self.r1_every)
                        d_video = d_video + 0.5 * self.r1_gamma * r1_v
                        logs["r1"] = r1 + r1_v
                    scaled = optimizer.scale_loss(replica_share(d_video))
                update(optimizer, scaled, d_video_vars, tape)
            # 3. the generator, through both updated discriminators
            g_loss = (generator_loss(self.loss_name, self._image_logits(fake, index, labels))
                      + generator_loss(self.loss_name, self._video_logits(fake, labels)))
            if self.clip_classifier is not None:      # clips classified as their labels
                logs["fake_class_loss"] = self._class_loss(fake, labels, index)
                g_loss = g_loss + self.class_weight * logs["fake_class_loss"]
            scaled = self.generator_optimizer.scale_loss(replica_share(g_loss))
        update(self.generator_optimizer, scaled, g_vars, g_tape)

        logs.update({"d_image_loss": d_image, "d_video_loss": d_video, "g_loss": g_loss,
                     "real_image_logit": ops.mean(real_i), "fake_image_logit": ops.mean(fake_i),
                     "real_video_logit": ops.mean(real_v), "fake_video_logit": ops.mean(fake_v)})
        for name, value in logs.items():
            self.trackers[name].update_state(value, sample_weight=batch)
        return multiworker_safe_logs({name: t.result() for name, t in self.trackers.items()})

    def get_config(self):
        return {**super().get_config(), "video_shape": self.video_shape,
                "content_dim": self.content_dim, "motion_dim": self.motion_dim,
                "num_classes": self.num_classes, "label_key": self.label_key,
                "generator_width": self.generator_width,
                "discriminator_width": self.discriminator_width,
                "frames_per_clip": self.frames_per_clip, "loss": self.loss_name,
                "noise_sigma": self.noise_sigma, "class_weight": self.class_weight,
                "r1_gamma": self.r1_gamma, "r1_every": self.r1_every,
                "noise_anneal_steps": self.noise_anneal_steps,
                "frame_generator": self.frame_generator_kind,
                "projection": self.projection, "update_gate_bias": self.update_gate_bias,
                "seed": self.seed}
