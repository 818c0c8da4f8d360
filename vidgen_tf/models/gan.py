"""Video GANs: generators, discriminators and the adversarial train step (lesson 02).

Generators map a noise vector ``z`` (``latent_dim`` numbers) to a clip ``(T, H, W, C)`` in
``[-1, 1]``:

- ``"conv3d"`` (VGAN's one-stream / TGAN-style 3-D generator): ``z`` becomes a small
  ``(T/4, H/8, W/8)`` block of features that 3-D upsampling and convolutions grow into the
  clip; space and time are generated together.
- ``"two_stream"`` (VGAN, Vondrick et al. 2016): a 3-D foreground stream gives a moving
  foreground ``f`` and a mask ``m`` in ``[0, 1]``; a 2-D stream gives one static background
  image ``b``; the clip is ``m * f + (1 - m) * b``.
- ``"temporal"`` (TGAN, Saito et al. 2017): a temporal generator turns ``z`` into one latent
  vector per frame with 1-D transposed convolutions; a 2-D image generator draws each frame
  from ``[z_content, z_t]``. Frames share their content code, which keeps the digit the same.
- ``"sprite"``: appearance and motion apart, the motion made explicit (as transformation-based
  video models do, e.g. Vondrick & Torralba 2017, and spatial transformers, Jaderberg et al.
  2015): a 2-D stream draws ``num_sprites`` images of half the frame's side once per clip, a
  temporal generator (TGAN's) draws one position per frame for each, and ``PlaceSprites``
  moves them over a black canvas (at whole pixels, as the data's digits move, with
  straight-through gradients to the positions). The sprite cannot change between frames, so
  the digit keeps its identity by construction; the networks must still learn what digits
  look like and how they move. Built for scenes of moving objects (Moving MNIST), not for
  general video.

The discriminator is a 3-D convolutional network on whole clips (it sees motion); with
``frame_discriminator=True`` a 2-D network also judges single frames (sharper pictures).

``VideoGAN`` owns the train step: one discriminator update, then one generator update, with
the loss of ``vidgen_tf.losses.gan`` chosen by ``loss`` and the penalties R1 (``r1_gamma``)
and WGAN-GP (``gp_weight``). Each network has its own optimizer (two time-scale learning
rates); under mixed float16 each is loss-scaled. ``fit`` takes batches of videos, or dicts
``{"video": ..., "noise": (B, latent_dim), "mix": (B,)}`` to supply the noise and the
gradient penalty's mixing weights (which makes a step reproducible across device splits).

With ``num_classes`` the GAN is class-conditional: the generator also takes the labels of the
clip's objects (the digits), the discriminators are projection discriminators (with
``class_weight`` the frame discriminator is also an auxiliary digit classifier, AC-GAN), and
batches are dicts with the labels under ``"digits"``. Conditioning splits the task: the
generator no longer has to choose a digit and keep drawing it, it is told which one to draw.

The networks are functional models made of Keras' layers and the package's registered ones
(``vidgen_tf.layers``; no ``Lambda``), so each saves and reloads on its own:
``gan.generator.save("g.keras")``, then ``keras.models.load_model("g.keras")`` in any process
that has imported ``vidgen_tf.layers``.

Videos are ``(batch, frames, height, width, channels)`` floats in ``[-1, 1]``.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from vidgen_tf.layers import (BatchToFrames, FramesToBatch, MaskedComposite, PlaceSprites,
                              ProjectionLogit, RepeatFrames, SpaceToDepth3D)
from vidgen_tf.losses.gan import (ADVERSARIAL_LOSSES, discriminator_loss, generator_loss,
                                  gradient_penalty, lazy_r1_penalty, multilabel_cross_entropy)
from vidgen_tf.models.distribute import multiworker_safe_logs, replica_share
from vidgen_tf.models.streams import (MOTIONS, batch_labels, frame_codes, gan_step_inputs,
                                      image_stream, label_embedding, sprite_path)
from vidgen_tf.precision import scaled_optimizer

GENERATORS = ("conv3d", "two_stream", "temporal", "sprite")


def _up3d(x, filters, scale, policy, name):
    x = layers.UpSampling3D(scale, dtype=policy, name=f"{name}_up")(x)
    x = layers.Conv3D(filters, 3, padding="same", dtype=policy, name=f"{name}_conv")(x)
    x = layers.GroupNormalization(min(8, filters), dtype=policy, name=f"{name}_norm")(x)
    return layers.Activation("relu", dtype=policy)(x)


def _levels(size, name):
    levels, n = 0, int(size)
    while n > 4:
        if n % 2:
            break
        n, levels = n // 2, levels + 1
    if n != 4:
        raise ValueError(f"VideoGAN: {name} {size} must be 4 times a power of two "
                         f"(8, 16, 32, 64, ...).")
    return levels


def build_generator(kind, video_shape, latent_dim, width, policy=None, num_sprites=1,
                    num_classes=0, motion="positions"):
    """The generator network ``z (B, latent_dim) -> clips (B, T, H, W, C)``, or with
    ``num_classes`` ``[z, labels (B, num_sprites)] -> clips``.

    Args:
        kind: one of ``GENERATORS``.
        video_shape: ``(T, H, W, C)``; H a power-of-two multiple of 4, T one of 4 * 2^k
            (``"conv3d"``, ``"two_stream"``) or any (``"temporal"``).
        latent_dim: int.
        width: int. Channels of the first (smallest) feature map; halved at each upsampling.
        num_sprites: int. Sprites of the ``"sprite"`` generator, and labels per clip.
        num_classes: int. 0 for an unconditional generator; else the labels are integers in
            ``[0, num_classes)`` (-1 for "no object"), embedded and joined to ``z``.
        motion: the sprite generator's paths, ``"positions"``, ``"bounce"`` or
            ``"straight"`` (see ``streams.sprite_path``).
    """
    t, h, w, c = video_shape
    spatial = _levels(h, "frame size")
    if h != w:
        raise ValueError(f"VideoGAN: frames must be square, got {h}x{w}.")
    if kind == "sprite" and h < 8:
        raise ValueError(f"VideoGAN: the sprite generator needs frames of at least 8x8, "
                         f"got {h}x{w}.")
    z = noise = keras.Input((latent_dim,), name="z")
    inputs = z
    if num_classes:
        labels = keras.Input((num_sprites,), dtype="int32", name="labels")
        inputs = [noise, labels]
        z = layers.Concatenate(dtype=policy, name="z_and_labels")(
            [noise, label_embedding(labels, num_classes, latent_dim, policy, "label_embedding",
                                     flatten=True)])
    widths = [max(width // 2**i, 16) for i in range(spatial + 1)]
    if kind in ("conv3d", "two_stream"):
        temporal = _levels(t, "number of frames")
        x = layers.Dense(4 * 4 * 4 * widths[0], dtype=policy, name="project")(z)
        x = layers.Reshape((4, 4, 4, widths[0]), dtype=policy)(x)
        x = layers.Activation("relu", dtype=policy)(x)
        for i in range(spatial):
            scale = (2 if i < temporal else 1, 2, 2)
            x = _up3d(x, widths[i + 1], scale, policy, f"up{i}")
        for i in range(spatial, temporal):          # more frames than spatial levels
            x = _up3d(x, widths[-1], (2, 1, 1), policy, f"time{i}")
        video = layers.Conv3D(c, 3, padding="same", activation="tanh", dtype=policy,
                              name="to_video")(x)
        if kind == "conv3d":
            return keras.Model(inputs, video, name="generator")
        mask = layers.Conv3D(1, 3, padding="same", activation="sigmoid", dtype=policy,
                             name="to_mask")(x)
        background = image_stream(z, widths, c, policy, "background", "to_background")
        clip = MaskedComposite(dtype=policy, name="composite")([video, mask, background])
        return keras.Model(inputs, clip, name="generator")
    if kind == "sprite":
        return keras.Model(inputs, _sprite_generator(z, video_shape, widths, num_sprites, policy,
                                                       motion),
                           name="generator")
    if kind != "temporal":
        raise ValueError(f"Unknown generator {kind!r}; choose one of {', '.join(GENERATORS)}.")
    # TGAN: z -> (T, latent) frame codes with 1-D transposed convolutions
    codes = frame_codes(z, t, widths[0], latent_dim, "tanh", policy, "temporal", "frame_codes")
    content = RepeatFrames(t, dtype=policy, name="content")(z)
    per_frame = layers.Concatenate(dtype=policy)([content, codes])   # (B, T, code + latent)
    f = FramesToBatch(dtype=policy, name="frames_as_batch")(per_frame)
    frames = image_stream(f, widths, c, policy, "frame", "to_frame")
    clip = BatchToFrames(t, dtype=policy, name="frames_as_clips")(frames)
    return keras.Model(inputs, clip, name="generator")


def _sprite_generator(z, video_shape, widths, num_sprites, policy, motion="positions"):
    """Appearance drawn once, motion drawn per frame: ``z`` -> ``num_sprites`` sprites of
    half the frame's side (a 2-D image stream) and a path for each inside the frame
    (``streams.sprite_path``: positions from a temporal generator, or a start and velocities
    that bounce off the edges); ``PlaceSprites`` moves each sprite along its path, at whole
    pixels with straight-through gradients."""
    t, h, _, c = video_shape
    size = h // 2
    sprite = image_stream(z, widths[:-1], num_sprites * c, policy, "sprite", "to_sprite")
    sprite = layers.Reshape((size, size, num_sprites, c), dtype=policy, name="sprites")(sprite)
    positions = sprite_path(z, t, widths[0], num_sprites, h - size, motion, policy)
    return PlaceSprites(h, whole_pixels=True, dtype=policy, name="place")([sprite, positions])


def _logit(features, labels, num_classes, policy):
    """``features (B, F)`` -> logits ``(B,)``: a linear layer, plus with labels the projection
    discriminator's term ``<embed(labels), features>`` (Miyato & Koyama 2018): how well the
    clip's features match the features of its labels' classes."""
    logit = layers.Reshape((), dtype=policy)(
        layers.Dense(1, dtype=policy, name="logit")(features))
    if labels is None:
        return logit
    embedded = label_embedding(labels, num_classes, features.shape[-1], policy, "projection")
    return ProjectionLogit(dtype=policy, name="projected_logit")([logit, embedded, features])


def build_video_discriminator(video_shape, width, policy=None, num_classes=0, num_labels=1):
    """3-D convolutional critic: clips ``(B, T, H, W, C)`` -> logits ``(B,)``; with
    ``num_classes``, ``[clips, labels (B, num_labels)] -> logits`` (a projection
    discriminator)."""
    t, h, w, c = video_shape
    x = video = keras.Input(video_shape, name="video")
    labels = keras.Input((num_labels,), dtype="int32", name="labels") if num_classes else None
    filters, size, length, i = width, h, t, 0
    while size > 4:
        # fold 2x2(x2) blocks into channels, then a stride-1 2x2x2 convolution: the same
        # receptive field and cost as a strided 4x4x4 convolution, and on CPUs many times
        # faster to train (TensorFlow's strided Conv3D gradients take a slow path there)
        stride_t = 2 if length >= 4 else 1
        x = SpaceToDepth3D((stride_t, 2, 2), dtype=policy, name=f"fold{i}")(x)
        x = layers.Conv3D(filters, 2, padding="same", dtype=policy, name=f"down{i}")(x)
        x = layers.LeakyReLU(0.2, dtype=policy)(x)
        filters, size, length, i = min(filters * 2, 8 * width), size // 2, length // stride_t, i + 1
    logits = _logit(layers.Flatten(dtype=policy)(x), labels, num_classes, policy)
    return keras.Model(video if labels is None else [video, labels], logits,
                       name="video_discriminator")


def build_frame_discriminator(frame_shape, width, policy=None, num_classes=0, num_labels=1,
                              classify=False):
    """2-D convolutional critic on single frames ``(B, H, W, C)`` -> logits ``(B,)``; with
    ``num_classes``, ``[frames, labels (B, num_labels)] -> logits``; with ``classify`` also
    class logits ``(B, num_classes)`` as a second output (AC-GAN's auxiliary classifier).

    The classifier is a branch of its own: 3x3 convolutions with max pooling and a global
    max pool over the frame, which finds a small digit anywhere in the frame. On the critic's
    strided features (a dense layer over the flattened 4x4 map) a digit classifier stayed at
    chance for the first 300 steps of 32 frames, and the GAN's auxiliary loss was still
    1.95 nats (chance 3.25) after 2800 steps; the pooled branch fell to 0.64 in 300 steps."""
    h = frame_shape[0]
    x = frame = keras.Input(frame_shape, name="frame")
    labels = keras.Input((num_labels,), dtype="int32", name="labels") if num_classes else None
    filters, size, i = width, h, 0
    while size > 4:
        x = layers.Conv2D(filters, 4, strides=2, padding="same", dtype=policy,
                          name=f"down{i}")(x)
        x = layers.LeakyReLU(0.2, dtype=policy)(x)
        filters, size, i = min(filters * 2, 8 * width), size // 2, i + 1
    features = layers.Flatten(dtype=policy)(x)
    logits = _logit(features, labels, num_classes, policy)
    if classify:
        x, filters = frame, width
        for i in range(3):
            x = layers.Conv2D(filters, 3, padding="same", dtype=policy, name=f"class_conv{i}")(x)
            x = layers.LeakyReLU(0.2, dtype=policy)(x)
            x = layers.MaxPooling2D(dtype=policy, name=f"class_pool{i}")(x)
            filters *= 2
        x = layers.GlobalMaxPooling2D(dtype=policy, name="class_global_pool")(x)
        logits = [logits, layers.Dense(num_classes, dtype=policy, name="classes")(x)]
    return keras.Model(frame if labels is None else [frame, labels], logits,
                       name="frame_discriminator")


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VideoGAN(keras.Model):
    """A video GAN with its own adversarial train step.

    Args:
        video_shape: ``(T, H, W, C)``.
        latent_dim: int. Size of ``z``.
        generator: one of ``GENERATORS`` (see the module docstring).
        generator_width, discriminator_width: int. Channels of the networks' widest layers
            (generator) and first layer (discriminator).
        frame_discriminator: bool. Add a 2-D discriminator on ``frames_per_clip`` random
            frames of each clip.
        frames_per_clip: int. Frames per clip the frame discriminator judges.
        loss: ``"hinge"``, ``"nonsaturating"`` or ``"wasserstein"``.
        r1_gamma: float. Weight ``gamma`` of the R1 penalty, added as ``gamma / 2 * R1``
            (0 to turn it off).
        r1_every: int. Lazy regularisation (StyleGAN2): compute R1 only on every
            ``r1_every``-th discriminator step, weighted ``r1_every`` times as much. The
            penalty's double back-propagation is the most expensive part of a step.
        gp_weight: float. Weight of the WGAN-GP penalty (0 to turn it off).
        num_sprites: int. Objects the ``"sprite"`` generator moves; with ``num_classes``, also
            the number of labels per clip.
        num_classes: int. 0: unconditional. Else a class-conditional GAN (Mirza & Osindero
            2014): the generator draws a clip of given labels ``(B, num_sprites)`` (integers
            in ``[0, num_classes)``, -1 for an absent object) and both discriminators are
            projection discriminators (Miyato & Koyama 2018). It trains on dicts with the
            labels under ``"digits"`` (``make_dataset(..., keys=("digits",))``); its fake
            clips get the labels of the real batch.
        class_weight: float. 0, or with ``num_classes`` the weight of an auxiliary
            classifier (AC-GAN, Odena et al. 2017): the frame discriminator also predicts
            which digits a frame shows; it learns that on real frames, and the generator is
            trained to make its frames classified as their labels. (Sigmoid cross-entropy
            over the classes, so that a frame may show several digits.)
        motion: ``"positions"``, ``"bounce"`` or ``"straight"``: how the sprite generator
            draws paths (``streams.sprite_path``).
        seed: int. Seed of the noise.

    Call arguments:
        inputs: noise ``(B, latent_dim)``, or ``[noise, labels (B, num_sprites)]`` with
            ``num_classes``.

    Returns:
        clips ``(B, T, H, W, C)``.

    Example:
        gan = VideoGAN((16, 32, 32, 1), generator="temporal")
        gan.compile(generator_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0),
                    discriminator_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0))
        gan.fit(videos_dataset, steps_per_epoch=100, epochs=10)
    """

    def __init__(self, video_shape=(16, 32, 32, 1), latent_dim=64, generator="temporal",
                 generator_width=256, discriminator_width=32, frame_discriminator=True,
                 frames_per_clip=2, loss="hinge", r1_gamma=1.0, r1_every=1, gp_weight=0.0,
                 num_sprites=1, num_classes=0, class_weight=0.0, motion="positions", seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        if loss not in ADVERSARIAL_LOSSES:
            raise ValueError(f"VideoGAN: loss must be one of {sorted(ADVERSARIAL_LOSSES)}, "
                             f"got {loss!r}.")
        if generator not in GENERATORS:
            raise ValueError(f"VideoGAN: generator must be one of {GENERATORS}, got "
                             f"{generator!r}.")
        self.video_shape = tuple(int(s) for s in video_shape)
        self.latent_dim = int(latent_dim)
        self.generator_kind = generator
        self.generator_width = int(generator_width)
        self.discriminator_width = int(discriminator_width)
        self.use_frame_discriminator = bool(frame_discriminator)
        self.frames_per_clip = int(frames_per_clip)
        self.loss_name = loss
        self.r1_gamma = float(r1_gamma)
        if int(r1_every) != r1_every or r1_every < 1:
            raise ValueError(f"VideoGAN: r1_every must be a positive integer, got {r1_every!r}.")
        self.r1_every = int(r1_every)
        self.gp_weight = float(gp_weight)
        if int(num_sprites) != num_sprites or num_sprites < 1:
            raise ValueError(f"VideoGAN: num_sprites must be a positive integer, got "
                             f"{num_sprites!r}.")
        self.num_sprites = int(num_sprites)
        if int(num_classes) != num_classes or num_classes < 0:
            raise ValueError(f"VideoGAN: num_classes must be 0 (unconditional) or a positive "
                             f"integer, got {num_classes!r}.")
        self.num_classes = int(num_classes)
        self.class_weight = float(class_weight)
        if self.class_weight and not (self.num_classes and frame_discriminator):
            raise ValueError(f"VideoGAN: class_weight={class_weight} needs labels and the "
                             f"frame discriminator that classifies them (num_classes > 0 and "
                             f"frame_discriminator=True), got num_classes={num_classes}, "
                             f"frame_discriminator={frame_discriminator}.")
        if motion not in MOTIONS:
            raise ValueError(f"VideoGAN: motion must be one of {MOTIONS}, got {motion!r}.")
        if motion != "positions" and generator != "sprite":
            raise ValueError(f"VideoGAN: motion={motion!r} is an option of the sprite "
                             f"generator, got generator={generator!r}.")
        self.motion = motion
        self.seed = int(seed)
        self.latent_shape = (self.latent_dim,)
        self.data_shape = self.video_shape
        policy = self.dtype_policy
        self.generator = build_generator(generator, self.video_shape, self.latent_dim,
                                         self.generator_width, policy, self.num_sprites,
                                         self.num_classes, self.motion)
        conditioning = dict(num_classes=self.num_classes, num_labels=self.num_sprites)
        self.discriminator = build_video_discriminator(self.video_shape,
                                                       self.discriminator_width, policy,
                                                       **conditioning)
        self.frame_discriminator = (build_frame_discriminator(
            self.video_shape[1:], self.discriminator_width, policy, **conditioning,
            classify=bool(self.class_weight))
            if self.use_frame_discriminator else None)
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="noise")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in
                         ("d_loss", "g_loss", "r1", "gp", "real_logit", "fake_logit")
                         + (("class_loss", "fake_class_loss") if self.class_weight else ())}
        self.build()                 # the networks are built functional models

    def build(self, input_shape=None):
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generate(self, num, seed=None, labels=None):
        """``num`` clips from ``z ~ N(0, I)`` (repeatable with ``seed``). A conditional GAN
        draws the given ``labels (num, num_sprites)``, or labels drawn uniformly."""
        seed = self.seed_generator if seed is None else seed
        z = keras.random.normal((int(num), self.latent_dim), seed=seed)
        if not self.num_classes:
            if labels is not None:
                raise ValueError("VideoGAN.generate: labels given to an unconditional GAN "
                                 "(num_classes=0).")
            return self.generator(z, training=False)
        if labels is None:
            labels = keras.random.randint((int(num), self.num_sprites), 0, self.num_classes,
                                          seed=seed + 1 if isinstance(seed, int) else seed)
        return self.generator([z, self._labels(labels, int(num))], training=False)

    def _labels(self, labels, batch=None):
        """Labels as int32 ``(B, num_sprites)``, checked where the shape is known."""
        labels = ops.cast(labels, "int32")
        if len(labels.shape) == 1 and self.num_sprites == 1:
            labels = ops.expand_dims(labels, 1)
        if len(labels.shape) != 2 or labels.shape[1] != self.num_sprites or (
                batch is not None and labels.shape[0] not in (None, batch)):
            raise ValueError(f"VideoGAN: labels must have shape (batch, num_sprites) = "
                             f"({batch if batch is not None else 'B'}, {self.num_sprites}), "
                             f"got {tuple(labels.shape)}.")
        return labels

    def _conditioned(self, network, inputs, labels):
        return network(inputs if labels is None else [inputs, labels], training=True)

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, **kwargs):
        """Set the two optimizers (built at once, inside the current strategy scope: see
        keras-team/keras#20164) and wrap them for loss scaling under mixed float16."""
        self.generator_optimizer = scaled_optimizer(
            generator_optimizer or keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.99),
            self.dtype_policy)
        self.discriminator_optimizer = scaled_optimizer(
            discriminator_optimizer or keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.99),
            self.dtype_policy)
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self._critic_variables())
        # ``model.optimizer`` is the generator's: its step counter is the run's step
        super().compile(optimizer=self.generator_optimizer, **kwargs)

    def _critic_variables(self):
        variables = list(self.discriminator.trainable_variables)
        if self.frame_discriminator is not None:
            variables += self.frame_discriminator.trainable_variables
        return variables

    def _frames(self, videos, index):
        """``frames_per_clip`` frames of each clip, at the frame indices ``index (k,)``."""
        t, h, w, c = self.video_shape
        frames = ops.take(videos, index, axis=1)
        return ops.reshape(frames, (-1, h, w, c))

    def _critic(self, videos, index, labels=None):
        """Video logits ``(B,)``, frame logits averaged per clip ``(B,)`` (or None), and the
        auxiliary classifier's loss on the frames given their clips' labels (or None)."""
        video_logits = ops.cast(self._conditioned(self.discriminator, videos, labels),
                                "float32")
        if self.frame_discriminator is None:
            return video_logits, None, None
        frame_labels = None if labels is None else ops.repeat(labels, self.frames_per_clip,
                                                               axis=0)
        out = self._conditioned(self.frame_discriminator, self._frames(videos, index),
                                frame_labels)
        class_loss = None
        if self.class_weight:
            out, class_logits = out
            class_loss = multilabel_cross_entropy(class_logits, frame_labels,
                                                  self.num_classes)
        frame_logits = ops.mean(ops.reshape(ops.cast(out, "float32"),
                                            (-1, self.frames_per_clip)), axis=1)
        return video_logits, frame_logits, class_loss

    def _noise(self, data, batch):
        if isinstance(data, dict) and data.get("noise") is not None:
            return ops.cast(data["noise"], "float32")
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def _data_labels(self, data):
        """The batch's labels ``(B, num_sprites)`` of a conditional GAN (None otherwise)."""
        if not self.num_classes:
            return None
        return self._labels(batch_labels(data, "digits",
                                         f"VideoGAN(num_classes={self.num_classes})"))

    def _generate_for(self, z, labels, training):
        return self.generator(z if labels is None else [z, labels], training=training)

    def train_step(self, data):
        import tensorflow as tf

        data, videos, batch, index = gan_step_inputs(self, data)
        z = self._noise(data, batch)
        labels = self._data_labels(data)       # the fakes are drawn with the real labels
        critic_vars = self._critic_variables()

        # The generator runs once: its clips feed the discriminator's step as constants, and
        # the generator's tape stays open (not recording the discriminator's update) so the
        # generator's step differentiates the same clips through the updated discriminator.
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as g_tape:
            fake = self._generate_for(z, labels, training=True)

            # --- discriminator step -----------------------------------------------------
            with g_tape.stop_recording():
                with tf.GradientTape() as tape:
                    d_loss, logits, r1, gp = self._discriminator_loss(
                        videos, ops.stop_gradient(fake), index, data, labels)
                    scaled = self.discriminator_optimizer.scale_loss(replica_share(d_loss))
                grads = tape.gradient(scaled, critic_vars)
                self.discriminator_optimizer.apply_gradients(zip(grads, critic_vars))

            # --- generator step (the same clips, the updated critic) --------------------
            fake_v, fake_f, fake_class = self._critic(fake, index, labels)
            g_loss = generator_loss(self.loss_name, fake_v)
            if fake_f is not None:
                g_loss = g_loss + generator_loss(self.loss_name, fake_f)
            if fake_class is not None:           # draw frames classified as their labels
                logits["fake_class_loss"] = fake_class
                g_loss = g_loss + self.class_weight * fake_class
            scaled = self.generator_optimizer.scale_loss(replica_share(g_loss))
        grads = g_tape.gradient(scaled, g_vars)
        self.generator_optimizer.apply_gradients(zip(grads, g_vars))

        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("r1", r1), ("gp", gp),
                            *logits.items()):
            self.trackers[name].update_state(value, sample_weight=batch)
        return multiworker_safe_logs({name: t.result() for name, t in self.trackers.items()})

    def _discriminator_loss(self, videos, fake, index, data, labels=None):
        """The discriminator's loss with its penalties, and what is logged of it."""
        real_v, real_f, real_class = self._critic(videos, index, labels)
        fake_v, fake_f, _ = self._critic(fake, index, labels)
        d_loss = discriminator_loss(self.loss_name, real_v, fake_v)
        logits = {"real_logit": ops.mean(real_v), "fake_logit": ops.mean(fake_v)}
        if real_f is not None:
            d_loss = d_loss + discriminator_loss(self.loss_name, real_f, fake_f)
        if real_class is not None:               # the classifier learns on real frames only
            logits["class_loss"] = real_class
            d_loss = d_loss + self.class_weight * real_class
        r1 = gp = ops.zeros(())
        if self.r1_gamma:
            critic = lambda x: self._critic_sum(x, index, labels)       # noqa: E731
            r1 = lazy_r1_penalty(critic, videos, self.discriminator_optimizer.iterations,
                                 self.r1_every)
            d_loss = d_loss + 0.5 * self.r1_gamma * r1
        if self.gp_weight:
            mix = data.get("mix") if isinstance(data, dict) else None
            gp = gradient_penalty(lambda x: self._critic_sum(x, index, labels), videos, fake,
                                  mix=mix, seed=self.seed_generator)
            d_loss = d_loss + self.gp_weight * gp
        return d_loss, logits, r1, gp

    def _critic_sum(self, videos, index, labels=None):
        video_logits, frame_logits, _ = self._critic(videos, index, labels)
        return video_logits if frame_logits is None else video_logits + frame_logits

    def test_step(self, data):
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        videos = data["video"] if isinstance(data, dict) else data
        batch = ops.shape(videos)[0]
        labels = self._data_labels(data)
        fake = self._generate_for(self._noise(data, batch), labels, training=False)
        critic = lambda x: ops.cast(self.discriminator(                  # noqa: E731
            x if labels is None else [x, labels], training=False), "float32")
        real_logits, fake_logits = critic(videos), critic(fake)
        self.trackers["d_loss"].update_state(
            discriminator_loss(self.loss_name, real_logits, fake_logits), sample_weight=batch)
        self.trackers["g_loss"].update_state(generator_loss(self.loss_name, fake_logits),
                                             sample_weight=batch)
        return multiworker_safe_logs({name: self.trackers[name].result()
                                      for name in ("d_loss", "g_loss")})

    def get_config(self):
        return {**super().get_config(), "video_shape": self.video_shape,
                "latent_dim": self.latent_dim, "generator": self.generator_kind,
                "generator_width": self.generator_width,
                "discriminator_width": self.discriminator_width,
                "frame_discriminator": self.use_frame_discriminator,
                "frames_per_clip": self.frames_per_clip, "loss": self.loss_name,
                "r1_gamma": self.r1_gamma, "r1_every": self.r1_every,
                "gp_weight": self.gp_weight, "num_sprites": self.num_sprites,
                "num_classes": self.num_classes, "class_weight": self.class_weight,
                "motion": self.motion, "seed": self.seed}
