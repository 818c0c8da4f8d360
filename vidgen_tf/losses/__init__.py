"""Loss functions: pure functions of tensors, one concern per module.

- ``vae``: the reparameterisation step, the Gaussian KL term, the Gaussian reconstruction
  term and the ELBO (lesson 01).
- ``gan``: adversarial losses (non-saturating, hinge, Wasserstein), the gradient
  penalties (WGAN-GP, R1) and an auxiliary classifier's multi-label loss (lesson 02).
- ``temporal``: Horn-Schunck optical flow, warping, and a temporal-consistency loss
  (lesson 04).
- ``vq``: vector quantization: nearest codes, the straight-through estimator, the
  commitment loss, the EMA codebook update, perplexity and code usage (lesson 05).

Video tensors are ``(batch, frames, height, width, channels)``, float in ``[-1, 1]``.
Every loss returns per-example values or their mean as documented, in float32.
"""

from vidgen_tf.losses.gan import (ADVERSARIAL_LOSSES, discriminator_loss, generator_loss,
                                  gradient_penalty, hinge_d_loss, hinge_g_loss, lazy_r1_penalty,
                                  multilabel_cross_entropy, nonsaturating_d_loss,
                                  nonsaturating_g_loss, r1_penalty, wasserstein_d_loss,
                                  wasserstein_g_loss)
from vidgen_tf.losses.temporal import horn_schunck_flow, temporal_consistency_loss, warp
from vidgen_tf.losses.vae import elbo, gaussian_kl, gaussian_nll, reparameterize

__all__ = [
    "ADVERSARIAL_LOSSES", "discriminator_loss", "generator_loss", "gradient_penalty",
    "hinge_d_loss", "hinge_g_loss", "lazy_r1_penalty", "multilabel_cross_entropy",
    "nonsaturating_d_loss", "nonsaturating_g_loss", "r1_penalty", "wasserstein_d_loss",
    "wasserstein_g_loss",
    "horn_schunck_flow", "temporal_consistency_loss", "warp",
    "elbo", "gaussian_kl", "gaussian_nll", "reparameterize",
]
