"""Tiny instances of every trainable model and a batch for one step (shared by the
distribution, precision and XLA tests)."""

from __future__ import annotations

import numpy as np

MODELS = ("video_vae", "frame_vae", "sprite_vae", "video_gan", "two_stream_gan", "sprite_gan",
          "mocogan", "convlstm", "simvp", "vqvae", "videogpt")


def build(name):
    """A small, built model called ``name``."""
    from vidgen_tf.models import (ConvLSTMPredictor, FrameVAE, MoCoGAN, SimVPPredictor,
                                  SpriteVAE, VideoGAN, VideoGPT, VideoVAE, VideoVQVAE)

    if name == "video_vae":
        # 8 frames, so that the latent has 4: with 4 frames its 2-frame latent meets a
        # oneDNN bug on CPUs with native bfloat16 (AVX512-BF16): Conv3DBackpropFilter in
        # bfloat16 with an input 2 frames deep and a temporal kernel of 3 returns garbage
        # (relative error 1e27, or NaN; 3e-3 at every other depth, as bfloat16's 8-bit
        # mantissa allows; right with TF_ENABLE_ONEDNN_OPTS=0). Seen with TF 2.21.
        model = VideoVAE((8, 16, 16, 1), latent_channels=2, widths=(8, 16), patch=(1, 2, 2),
                         groups=4)
    elif name == "frame_vae":
        model = FrameVAE((16, 16, 1), latent_dim=4, widths=(8, 16))
    elif name == "sprite_vae":
        # conditional, as the sprite-vae recipe, with bouncing paths
        model = SpriteVAE((4, 16, 16, 1), what_dim=3, where_dim=2, width=16,
                          encoder_widths=(4, 8), num_classes=10, motion="bounce")
    elif name == "video_gan":
        model = VideoGAN((4, 16, 16, 1), latent_dim=8, generator="temporal",
                         generator_width=32, discriminator_width=8, r1_gamma=1.0)
    elif name == "two_stream_gan":
        model = VideoGAN((4, 16, 16, 1), latent_dim=8, generator="two_stream",
                         generator_width=32, discriminator_width=8, frame_discriminator=False,
                         loss="wasserstein", r1_gamma=0.0, gp_weight=10.0)
    elif name == "sprite_gan":
        # class-conditional, as the gan recipe: labels in, projection discriminators, the
        # frame discriminator also a digit classifier
        model = VideoGAN((4, 16, 16, 1), latent_dim=8, generator="sprite", num_sprites=2,
                         num_classes=10, class_weight=1.0, generator_width=32,
                         discriminator_width=8, r1_gamma=1.0, r1_every=2)
    elif name == "mocogan":
        # as the mocogan recipe: the digit as its categorical code, the sprite frame
        # generator, projection discriminators; no instance noise, whose draws depend on how
        # a batch is split over devices
        model = MoCoGAN((4, 16, 16, 1), content_dim=6, motion_dim=3, num_classes=10,
                        generator_width=32, discriminator_width=8, noise_sigma=0.0,
                        frame_generator="sprite", projection=True, class_weight=3.0)
    elif name == "convlstm":
        # two given frames, two predicted; scheduled sampling on (its coins in the batch)
        model = ConvLSTMPredictor((16, 16, 1), 2, 2, filters=(4, 4), patch=4,
                                  sampling_steps=4)
    elif name == "simvp":
        model = SimVPPredictor((16, 16, 1), 2, 2, skip_width=4, hidden=4, translator_width=8,
                               translator_blocks=1)
    elif name == "vqvae":
        # the codebook set by one training call on a fixed batch, and no restarts: a restart
        # picks random encoder outputs, which differ between one device and two (each
        # replica draws its own) and between XLA and not (another RNG algorithm). 16 frames,
        # so that the token grid has 4 slices: a 2-slice grid meets the oneDNN bfloat16
        # Conv3DBackpropFilter bug described at video_vae above (NaN at the first step)
        model = VideoVQVAE((16, 16, 16, 1), widths=(8, 16), code_dim=4, num_codes=16, groups=4,
                           restart_threshold=0.0, seed=0)
        clips = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 16, 1)).astype("float32")
        model(clips, training=True)
    elif name == "videogpt":
        # no label dropout: its draws differ between one device and two, and under XLA
        model = VideoGPT((2, 2, 3), num_codes=7, dim=16, depth=2, heads=2, num_classes=3,
                         label_dropout=0.0, dropout=0.0)
    else:
        raise ValueError(name)
    model.build()
    return model


def batch(name, model, size=4, seed=0):
    """A global batch with its noise, so that every replica split sees the same numbers."""
    rng = np.random.default_rng(seed)
    if hasattr(model, "num_codes") and hasattr(model, "grid"):      # a prior over tokens
        return {"tokens": rng.integers(0, model.num_codes, (size, model.length)).astype("int32"),
                "labels": rng.integers(-1, model.num_classes, size).astype("int32")}
    video = rng.uniform(-1, 1, (size,) + tuple(model.data_shape)).astype("float32")
    data = {"video": video}
    if hasattr(model, "latent_shape"):
        data["noise"] = rng.normal(size=(size,) + tuple(model.latent_shape)).astype("float32")
    if getattr(model, "sampling_steps", 0):        # a predictor's scheduled-sampling draws
        data["coins"] = rng.uniform(size=(size, model.future_frames - 1)).astype("float32")
    if getattr(model, "num_classes", 0):
        low = 0 if type(model).__name__ == "MoCoGAN" else -1    # its label is never absent
        data["digits"] = rng.integers(low, model.num_classes,
                                      (size, getattr(model, "num_sprites", 1)))
    if getattr(model, "gp_weight", 0):
        data["mix"] = rng.uniform(size=size).astype("float32")
    return data


def compile_for_test(model, optimizer="sgd", jit_compile=False, run_eagerly=False):
    """Compile with plain SGD (default): unlike Adam's first step, its update is proportional
    to the gradient, so a wrongly scaled loss shows in the weights. ``optimizer`` may also be
    a name or a function returning a fresh optimizer (GANs get two). ``run_eagerly``: for
    tests of what runs between steps (callbacks), where tracing the step would be most of
    the cost."""
    import keras

    def make():
        if callable(optimizer):
            return optimizer()
        return keras.optimizers.SGD(0.05) if optimizer == "sgd" else keras.optimizers.get(
            optimizer)

    if type(model).__name__ == "MoCoGAN":
        model.compile(generator_optimizer=make(), image_discriminator_optimizer=make(),
                      video_discriminator_optimizer=make(), jit_compile=jit_compile,
                      run_eagerly=run_eagerly)
    elif hasattr(model, "generator_optimizer") or type(model).__name__ == "VideoGAN":
        model.compile(generator_optimizer=make(), discriminator_optimizer=make(),
                      jit_compile=jit_compile, run_eagerly=run_eagerly)
    else:
        model.compile(optimizer=make(), jit_compile=jit_compile, run_eagerly=run_eagerly)
    return model
