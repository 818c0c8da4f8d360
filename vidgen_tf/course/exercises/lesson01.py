"""Exercises of lesson 01, variational autoencoders."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise
from vidgen_tf.losses.vae import elbo, gaussian_kl, reparameterize
from vidgen_tf.models.latent_paths import latent_loop


def _shape(rng):
    return (int(rng.integers(1, 5)),) + tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))


@exercise("1.1", "sample_latent(mean, log_var, noise)",
          reimplements="vidgen_tf.losses.reparameterize")
def check_reparameterize(answer, rng):
    trials = 10
    for _ in range(trials):
        shape = _shape(rng)
        mean, log_var, noise = (rng.normal(size=shape).astype(np.float32) for _ in range(3))
        compare("sample_latent", np.asarray(answer(mean, log_var, noise), np.float64),
                np.asarray(reparameterize(mean, log_var, noise), np.float64),
                f"inputs of shape {shape}", rtol=1e-5, atol=1e-6)
    return (f"sample_latent agrees with vidgen_tf.losses.reparameterize on {trials} random "
            f"batches.")


@exercise("1.2", "kl_to_standard_normal(mean, log_var)",
          reimplements="vidgen_tf.losses.gaussian_kl")
def check_kl(answer, rng):
    trials = 10
    for _ in range(trials):
        shape = _shape(rng)
        mean = rng.normal(size=shape).astype(np.float32)
        log_var = rng.normal(size=shape).astype(np.float32)
        compare("kl_to_standard_normal", np.asarray(answer(mean, log_var), np.float64),
                np.asarray(gaussian_kl(mean, log_var), np.float64),
                f"inputs of shape {shape} (one value per example expected)", rtol=1e-4,
                atol=1e-5)
    return f"kl_to_standard_normal agrees with vidgen_tf.losses.gaussian_kl on {trials} batches."


@exercise("1.3", "elbo_per_clip(x, x_hat, mean, log_var, beta, sigma)",
          reimplements="vidgen_tf.losses.elbo")
def check_elbo(answer, rng):
    trials = 10
    for _ in range(trials):
        n = int(rng.integers(1, 5))
        x = rng.uniform(-1, 1, size=(n, 2, 4, 4, 1)).astype(np.float32)
        x_hat = np.clip(x + rng.normal(0, 0.3, size=x.shape), -1, 1).astype(np.float32)
        mean = rng.normal(size=(n, 3)).astype(np.float32)
        log_var = rng.normal(size=(n, 3)).astype(np.float32)
        beta, sigma = float(rng.choice([0.5, 1.0, 4.0])), float(rng.choice([0.1, 0.5, 1.0]))
        compare("elbo_per_clip", np.asarray(answer(x, x_hat, mean, log_var, beta, sigma),
                                            np.float64),
                np.asarray(elbo(x, x_hat, mean, log_var, beta, sigma), np.float64),
                f"{n} clips, beta={beta}, sigma={sigma}", rtol=1e-4, atol=1e-3)
    return f"elbo_per_clip agrees with vidgen_tf.losses.elbo on {trials} random batches."


@exercise("1.4", "latent_circle(center, u, v, radius, steps)",
          reimplements="vidgen_tf.models.latent_paths.latent_loop")
def check_loop(answer, rng):
    trials = 10
    for _ in range(trials):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 3)))
        center, u, v = (rng.normal(size=shape).astype(np.float32) for _ in range(3))
        radius, steps = float(rng.uniform(0.1, 3)), int(rng.integers(2, 30))
        compare("latent_circle", np.asarray(answer(center, u, v, radius, steps), np.float64),
                latent_loop(center, u, v, radius, steps).astype(np.float64),
                f"center of shape {shape}, {steps} steps", rtol=1e-4, atol=1e-5)
    return (f"latent_circle agrees with vidgen_tf.models.latent_paths.latent_loop on {trials} "
            f"random loops.")


@exercise("1.5", "sprite_vae_loss(model, clips, labels, noise)",
          reimplements=("vidgen_tf.models.vae._VAE.compute_loss",
                        "vidgen_tf.models.sprite_vae.SpriteVAE._kl_terms",
                        "vidgen_tf.losses.vae.elbo", "vidgen_tf.losses.vae.gaussian_nll",
                        "vidgen_tf.losses.vae.gaussian_kl"))
def check_sprite_vae_loss(answer, rng):
    from vidgen_tf.models.sprite_vae import SpriteVAE

    checked = []
    # one model whose z_what and z_where weigh alike, one where they differ (as the recipe's)
    for beta, what_beta, sigma in ((1.0, 4.0, 0.3), (2.0, None, 0.1)):
        model = SpriteVAE((4, 16, 16, 1), what_dim=3, where_dim=2, width=16,
                          encoder_widths=(4, 8), num_classes=10, beta=beta,
                          what_beta=what_beta, sigma=sigma, seed=int(rng.integers(1000)))
        n = int(rng.integers(2, 5))
        clips = rng.uniform(-1, 1, size=(n, 4, 16, 16, 1)).astype(np.float32)
        labels = rng.integers(0, 10, size=(n, 1)).astype(np.int32)
        noise = rng.normal(size=(n, 5)).astype(np.float32)
        got = float(np.asarray(answer(model, clips, labels, noise)))
        batch = {"video": clips, "digits": labels, "noise": noise}
        expected = float(model.compute_loss(x=batch, y_pred=model(batch, training=True)))
        about = f"beta={beta:g}, what_beta={model.what_beta:g}, sigma={sigma:g}"
        compare("sprite_vae_loss", np.float64(got), np.float64(expected),
                f"{n} clips, {about}", rtol=1e-4, atol=1e-6)
        checked.append(about)
    return (f"sprite_vae_loss agrees with SpriteVAE.compute_loss ({'; '.join(checked)}).")


@exercise("1.6", "aggregate_moments(means, variances)",
          reimplements="vidgen_tf.models.vae.aggregate_gaussian")
def check_aggregate_moments(answer, rng):
    from vidgen_tf.models.vae import aggregate_gaussian

    trials = 10
    for _ in range(trials):
        n, d = int(rng.integers(2, 40)), int(rng.integers(1, 6))
        means = (rng.normal(size=(n, d)) * rng.uniform(0.2, 3, size=d)).astype(np.float32)
        variances = rng.uniform(0.01, 2, size=(n, d)).astype(np.float32)
        result = answer(means.copy(), variances.copy())
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise AssertionError(f"aggregate_moments must return a pair (m, C), got "
                                 f"{type(result).__name__}.")
        m, c = aggregate_gaussian(means, variances)
        case = f"{n} examples of {d} numbers"
        compare("aggregate_moments' m", np.asarray(result[0], np.float64), m, case,
                rtol=1e-4, atol=1e-5)
        compare("aggregate_moments' C (the means' covariance, 1/(N-1), plus the mean "
                "posterior variance on the diagonal)", np.asarray(result[1], np.float64), c,
                case, rtol=1e-4, atol=1e-5)
    return (f"aggregate_moments agrees with vidgen_tf.models.vae.aggregate_gaussian on "
            f"{trials} random sets of posteriors.")
