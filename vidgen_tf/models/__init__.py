"""Models, one file per family; each owns its train step or loss.

- ``vae``: ``FrameVAE`` and ``VideoVAE`` (lesson 01).
- ``sprite_vae``: ``SpriteVAE``, a what/where VAE of one moving object that can sample
  (lesson 01).
- ``streams``: the image and temporal streams and label embeddings the generators share.
- ``gan``: ``VideoGAN`` with 3-D, two-stream (VGAN) and temporal (TGAN) generators
  (lesson 02).
- ``mocogan``: ``MoCoGAN``, content and motion as separate codes (lesson 03).
- ``prediction``: ``ConvLSTMPredictor`` and ``SimVPPredictor``, the next frames from the
  first ones (lesson 04).
- ``vqvae``: ``VideoVQVAE``, clips to a grid of tokens and back (lesson 05).
- ``videogpt``: ``VideoGPT``, a transformer prior over the tokens with a key-value cache
  (lesson 05).

Videos are ``(batch, frames, height, width, channels)`` floats in ``[-1, 1]``.
"""

from vidgen_tf.models.gan import VideoGAN
from vidgen_tf.models.mocogan import MoCoGAN
from vidgen_tf.models.prediction import ConvLSTMPredictor, SimVPPredictor
from vidgen_tf.models.sprite_vae import SpriteVAE
from vidgen_tf.models.vae import FrameVAE, VideoVAE, aggregate_gaussian
from vidgen_tf.models.videogpt import VideoGPT
from vidgen_tf.models.vqvae import VideoVQVAE

__all__ = ["ConvLSTMPredictor", "FrameVAE", "MoCoGAN", "SimVPPredictor", "SpriteVAE",
           "VideoGAN", "VideoGPT", "VideoVAE", "VideoVQVAE", "aggregate_gaussian"]
