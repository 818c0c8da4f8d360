"""The VAEs: the Keras contract, the loss against the ELBO, sampling and learning."""

import numpy as np
import pytest

from tests.harness import conv_params, dense_params, norm_params, run_model_test
from vidgen_tf.losses import gaussian_kl
from vidgen_tf.models import FrameVAE, VideoVAE

RNG = np.random.default_rng(0)


def small_video_vae(**kwargs):
    return VideoVAE((4, 16, 16, 1), latent_channels=2, widths=(8, 16), patch=(1, 2, 2),
                    groups=4, **kwargs)


def test_video_vae_contract(tmp_path):
    x = RNG.uniform(-1, 1, (2, 4, 16, 16, 1)).astype("float32")
    model = small_video_vae()
    assert model.latent_shape == (2, 4, 4, 2)
    # a residual block of c channels: two group norms and two 3x3x3 convolutions c -> c
    block = lambda c: 2 * norm_params(c) + 2 * conv_params(27, c, c)          # noqa: E731
    # encoder: (1, 2, 2) patches fold 1 channel into 4; 3x3x3 conv 4 -> 8; block(8); fold
    # (2, 2, 2) 8 -> 64 and project 1x1x1 to 16; block(16); norm; 3x3x3 head 16 -> 2 x 2
    encoder = (conv_params(27, 4, 8) + block(8) + conv_params(1, 64, 16) + block(16)
               + norm_params(16) + conv_params(27, 16, 4))
    # decoder: 3x3x3 conv 2 -> 16; block(16); 1x1x1 16 -> 8 x 8 then unfold; block(8);
    # norm; 3x3x3 conv 8 -> 1 x 4 then unfold the patches
    decoder = (conv_params(27, 2, 16) + block(16) + conv_params(1, 16, 64) + block(8)
               + norm_params(8) + conv_params(27, 8, 4))
    run_model_test(model, x, {"reconstruction": x.shape, "mean": (2, 2, 4, 4, 2),
                              "log_var": (2, 2, 4, 4, 2)}, tmp_path=tmp_path,
                   trainable_params=encoder + decoder,
                   float32_outputs=("reconstruction", "mean", "log_var"))


def test_frame_vae_contract(tmp_path):
    x = RNG.uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    model = FrameVAE((16, 16, 1), latent_dim=4, widths=(8, 16))
    # encoder: 4x4 stride-2 convs 1 -> 8 -> 16, then 4 x 4 x 16 features -> 2 x 4 numbers;
    # decoder: 4 -> 4 x 4 x 16, then 4x4 transposed convs 16 -> 8 -> 1
    encoder = conv_params(16, 1, 8) + conv_params(16, 8, 16) + dense_params(256, 8)
    decoder = dense_params(4, 256) + conv_params(16, 16, 8) + conv_params(16, 8, 1)
    # the prior generate() draws from: a mean (4) and a 4x4 scale, fitted, not trained
    run_model_test(model, x, {"reconstruction": x.shape, "mean": (3, 4), "log_var": (3, 4)},
                   tmp_path=tmp_path, trainable_params=encoder + decoder,
                   non_trainable_params=4 + 16,
                   float32_outputs=("reconstruction", "mean", "log_var"))


def test_loss_is_the_negative_elbo_per_value():
    model = small_video_vae(beta=2.0, sigma=0.5)
    x = RNG.uniform(-1, 1, (3, 4, 16, 16, 1)).astype("float32")
    noise = RNG.normal(size=(3,) + model.latent_shape).astype("float32")
    out = model({"video": x, "noise": noise}, training=True)
    loss = float(model.compute_loss(x={"video": x, "noise": noise}, y_pred=out))
    recon, mean, log_var = (np.asarray(out[k]) for k in ("reconstruction", "mean", "log_var"))
    expected_z = mean + np.exp(0.5 * log_var) * noise
    np.testing.assert_allclose(model.decode(expected_z), recon, atol=1e-5)
    squared = np.sum((x - recon) ** 2, axis=(1, 2, 3, 4))
    expected = np.mean(squared / (2 * 0.25) + 2.0 * np.asarray(gaussian_kl(mean, log_var)))
    assert loss == pytest.approx(expected / x[0].size, rel=1e-5)


def test_inference_uses_the_posterior_mean():
    model = small_video_vae()
    x = RNG.uniform(-1, 1, (2, 4, 16, 16, 1)).astype("float32")
    first, second = model(x)["reconstruction"], model(x)["reconstruction"]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(model.reconstruct(x), first, atol=1e-6)
    noisy = [np.asarray(model(x, training=True)["reconstruction"]) for _ in range(2)]
    assert not np.allclose(noisy[0], noisy[1])


def test_generate_is_repeatable_with_a_seed_and_in_range():
    model = small_video_vae()
    a, b = np.asarray(model.generate(3, seed=1)), np.asarray(model.generate(3, seed=1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (3, 4, 16, 16, 1) and a.min() >= -1 and a.max() <= 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="divisible"):
        VideoVAE((5, 16, 16, 1), widths=(8, 16), patch=(1, 2, 2))
    with pytest.raises(ValueError, match="beta"):
        small_video_vae(beta=-1.0)
    with pytest.raises(ValueError, match="divisible by 8"):
        FrameVAE((20, 20, 1))


def test_video_vae_learns_to_reconstruct_digits():
    """A few hundred steps on moving digits: held-out PSNR rises well above the start."""
    import keras

    from vidgen_tf.data import MovingDigits, make_dataset, to_float
    from vidgen_tf.metrics import psnr

    keras.utils.set_random_seed(0)
    model = VideoVAE((4, 16, 16, 1), latent_channels=4, widths=(16, 32), patch=(1, 2, 2),
                     groups=4)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    source = MovingDigits(num_frames=4, image_size=16, num_digits=1)
    test = np.asarray(to_float(MovingDigits(num_frames=4, image_size=16, num_digits=1,
                                            split="test").generate(32)["video"]))
    start = float(np.mean(psnr(test, np.asarray(model.reconstruct(test)))))
    model.fit(make_dataset(source, 16, shuffle=False), steps_per_epoch=150, epochs=1, verbose=0)
    end = float(np.mean(psnr(test, np.asarray(model.reconstruct(test)))))
    assert end > start + 6, (start, end)


def hand_loss_parts(model, x, out):
    """Per clip, by hand: the squared error, and the loss per value (-ELBO without the
    decoder's constant, over the values per clip)."""
    recon, mean, log_var = (np.asarray(out[k], np.float64)
                            for k in ("reconstruction", "mean", "log_var"))
    axes = tuple(range(1, x.ndim))
    squared = np.sum((x - recon) ** 2, axis=axes)
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=tuple(range(1, mean.ndim)))
    return squared, (squared / (2 * model.sigma**2) + model.beta * kl) / x[0].size


def test_loss_uses_the_elbo_of_the_losses_module():
    from vidgen_tf.losses import elbo

    model = small_video_vae(beta=0.5, sigma=0.2)
    x = RNG.uniform(-1, 1, (2, 4, 16, 16, 1)).astype("float32")
    out = model(x)
    expected = -np.mean(elbo(x, out["reconstruction"], out["mean"], out["log_var"], beta=0.5,
                             sigma=0.2, full=False)) / x[0].size
    assert float(model.compute_loss(x=x, y_pred=out)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("make", [small_video_vae,
                                  lambda **kw: FrameVAE((16, 16, 1), latent_dim=4,
                                                        widths=(8, 16), **kw)])
def test_sample_weight_is_a_weighted_mean_over_clips(make):
    """Per-clip weights: the loss (and the logged mse) is ``sum(w * loss) / sum(w)``, in
    ``compute_loss`` and through ``evaluate``."""
    model = make(beta=2.0, sigma=0.5)
    x = RNG.uniform(-1, 1, (3,) + model.data_shape).astype("float32")
    w = np.array([1.0, 0.0, 3.0], "float32")
    out = model(x)                                    # the posterior mean: deterministic
    squared, per_clip = hand_loss_parts(model, x, out)
    expected = np.sum(w * per_clip) / np.sum(w)
    assert not np.isclose(expected, per_clip.mean(), rtol=1e-3)
    for weights in (w, w[:, None]):
        loss = float(model.compute_loss(x=x, y_pred=out, sample_weight=weights))
        assert loss == pytest.approx(expected, rel=1e-5)
    assert float(model.compute_loss(x=x, y_pred=out, sample_weight=np.zeros(3))) == 0.0
    model.compile(optimizer="sgd")
    logs = model.evaluate(x, sample_weight=w, batch_size=3, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    assert logs["mse"] == pytest.approx(np.sum(w * squared) / np.sum(w) / x[0].size, rel=1e-5)
    logs = model.evaluate(x, batch_size=3, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(per_clip.mean(), rel=1e-5)
    # validation data with weights, (x, None, w), after a step of fit
    history = model.fit(x, sample_weight=w, batch_size=3, epochs=1, verbose=0,
                        validation_data=(x, None, w))
    _, per_clip = hand_loss_parts(model, x, model(x))
    assert history.history["val_loss"][0] == pytest.approx(
        np.sum(w * per_clip) / np.sum(w), rel=1e-5)


def test_fit_with_sample_weight_ignores_clips_of_weight_zero():
    """One SGD step on clips (a, b) with weights (1, 0) is the step on clip a alone (same
    noise), and differs from the unweighted step."""
    import keras

    x = RNG.uniform(-1, 1, (2, 4, 16, 16, 1)).astype("float32")
    noise = RNG.normal(size=(2, 2, 4, 4, 2)).astype("float32")
    start = small_video_vae().get_weights()

    def one_step(batch, **kwargs):
        model = small_video_vae()
        model.set_weights(start)
        model.compile(optimizer=keras.optimizers.SGD(0.1))
        model.fit(batch, batch_size=len(batch["video"]), epochs=1, verbose=0, shuffle=False,
                  **kwargs)
        return model.get_weights()

    weighted = one_step({"video": x, "noise": noise}, sample_weight=np.array([1.0, 0.0]))
    alone = one_step({"video": x[:1], "noise": noise[:1]})
    unweighted = one_step({"video": x, "noise": noise})
    for a, b in zip(weighted, alone):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert any(not np.allclose(a, b, atol=1e-6) for a, b in zip(weighted, unweighted))


def test_sample_weight_must_be_one_per_clip():
    model = small_video_vae()
    x = RNG.uniform(-1, 1, (2, 4, 16, 16, 1)).astype("float32")
    out = model(x)
    with pytest.raises(ValueError, match="one weight per clip"):
        model.compute_loss(x=x, y_pred=out, sample_weight=np.ones((2, 4)))
    with pytest.raises(ValueError, match="3 sample weights for a batch of 2 clips"):
        model.compute_loss(x=x, y_pred=out, sample_weight=np.ones(3))


def small_frame_vae(**kwargs):
    return FrameVAE((16, 16, 1), latent_dim=4, widths=(8, 16), **kwargs)


def test_fit_prior_matches_the_aggregate_posterior_moments():
    """The fitted Gaussian's mean and covariance against NumPy: the codes' mean, and their
    covariance plus the mean posterior variance (the moments of the mixture of posteriors)."""
    model = small_frame_vae()
    frames = RNG.uniform(-1, 1, (300, 16, 16, 1)).astype("float32")
    fitted = model.fit_prior(frames, batch_size=64)
    mean, log_var = (np.asarray(a, np.float64) for a in model.encode(frames))
    expected = np.cov(mean, rowvar=False) + np.diag(np.exp(log_var).mean(0))
    np.testing.assert_allclose(fitted["mean"], mean.mean(0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fitted["covariance"], expected, rtol=1e-6, atol=1e-9)
    # the stored weights are float32: the mean to float32 rounding, the covariance rebuilt
    # from its Cholesky factor to a few float32 ulps of its largest entry
    scale = np.asarray(model.prior_scale, np.float64)
    np.testing.assert_allclose(np.asarray(model.prior_mean), mean.mean(0), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_allclose(scale @ scale.T, expected, atol=1e-5 * np.abs(expected).max())
    assert np.allclose(scale, np.tril(scale))


def test_samples_follow_the_prior_and_reset_restores_the_standard_normal():
    """Samples against a prior set by hand, far from N(0, I): a mean of 3s and a scale with
    large off-diagonal entries (a sampler that ignored the scale, or used its transpose,
    would miss the covariance by several units)."""
    model = small_frame_vae()
    mean = np.array([3.0, -3.0, 3.0, 0.5])
    scale = np.array([[1.0, 0, 0, 0], [2.0, 0.5, 0, 0], [-1.5, 1.0, 0.3, 0], [0.5, 2.0, -1.0, 0.2]])
    covariance = scale @ scale.T
    model.prior_mean.assign(mean.astype("float32"))
    model.prior_scale.assign(scale.astype("float32"))
    n = 20000
    z = np.asarray(model.sample_prior(n, seed=3), np.float64)
    # Monte Carlo: the mean within 5 standard errors, the covariance within 5 standard errors
    # of a sample covariance (about sqrt(2 / n) of the variances' scale)
    sd = np.sqrt(np.diag(covariance))
    assert np.all(np.abs(z.mean(0) - mean) < 5 * sd / np.sqrt(n))
    assert np.all(np.abs(np.cov(z, rowvar=False) - covariance)
                  < 5 * np.sqrt(2 / n) * np.outer(sd, sd))
    assert not np.allclose(scale.T @ scale, covariance, atol=1.0)     # the test can tell
    # temperature scales the spread about the prior's mean, not about zero
    cold = np.asarray(model.sample_prior(n, seed=3, temperature=0.5), np.float64)
    np.testing.assert_allclose(cold - mean, 0.5 * (z - mean), atol=1e-4)
    np.testing.assert_allclose(model.generate(2, seed=3), model.decode(z[:2].astype("float32")),
                               atol=1e-5)
    # standard=True draws from N(0, I) although a prior is set: the noise itself
    np.testing.assert_allclose(model.sample_prior(n, seed=3, standard=True), (z - mean) @
                               np.linalg.inv(scale).T, atol=1e-3)
    model.reset_prior()
    z = np.asarray(model.sample_prior(n, seed=3))
    assert np.all(np.abs(z.mean(0)) < 5 / np.sqrt(n))
    assert np.all(np.abs(np.cov(z, rowvar=False) - np.eye(4)) < 5 * np.sqrt(2 / n))


def test_the_fitted_prior_is_saved_with_the_model(tmp_path):
    import keras

    model = small_frame_vae()
    model.fit_prior(RNG.uniform(-1, 1, (64, 16, 16, 1)).astype("float32"))
    path = str(tmp_path / "vae.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.prior_scale, model.prior_scale)
    np.testing.assert_array_equal(loaded.generate(3, seed=2), model.generate(3, seed=2))


def test_weights_saved_before_the_prior_existed_load_with_the_standard_normal(tmp_path):
    """A model file or checkpoint written before the VAEs had a fitted prior holds no weights
    of the model's own: it loads (the prior reset to N(0, I)) instead of failing."""
    model = small_frame_vae()
    model.prior_mean.assign(np.ones(4, "float32"))
    model.load_own_variables({})
    np.testing.assert_array_equal(model.prior_mean, np.zeros(4))
    np.testing.assert_array_equal(model.prior_scale, np.eye(4))
    saved = small_frame_vae()
    saved.fit_prior(RNG.uniform(-1, 1, (64, 16, 16, 1)).astype("float32"))
    store = {"0": np.asarray(saved.prior_mean), "1": np.asarray(saved.prior_scale)}
    model.load_own_variables(store)                   # a file with the prior: loaded as is
    np.testing.assert_array_equal(model.prior_scale, saved.prior_scale)
    with pytest.raises(ValueError):                   # a file with other weights still fails
        model.load_own_variables({"0": np.zeros(3)})


def test_fit_prior_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"a grid \(2, 4, 4, 2\).*learned prior"):
        small_video_vae().fit_prior(np.zeros((40, 4, 16, 16, 1), "float32"))
    with pytest.raises(ValueError, match="3 clips for a 4-number latent"):
        small_frame_vae().fit_prior(np.zeros((3, 16, 16, 1), "float32"))
    with pytest.raises(ValueError, match=r"shape \(N,\) \+ \(16, 16, 1\), got \(9, 8, 8, 1\)"):
        small_frame_vae().fit_prior(np.zeros((9, 8, 8, 1), "float32"))


def test_aggregate_gaussian_is_the_mixture_of_the_posteriors():
    """Against a Monte Carlo estimate: draw from each posterior in turn and take the moments
    of all draws (the mixture); the closed form agrees to the sampling error."""
    from vidgen_tf.models import aggregate_gaussian

    rng = np.random.default_rng(5)
    means = rng.normal(size=(5, 3)) * [1.0, 2.0, 0.5]
    variances = rng.uniform(0.1, 2.0, size=(5, 3))
    m, c = aggregate_gaussian(means, variances)
    draws = (means[:, None] + np.sqrt(variances)[:, None] * rng.normal(size=(5, 40000, 3)))
    draws = draws.reshape(-1, 3)
    # the closed form uses the unbiased 1/(N-1) for the means' spread; the mixture's moment
    # is the 1/N one: they differ by Cov(mu) / (N - 1)
    biased = c - np.cov(means, rowvar=False) / len(means)
    # 200000 draws of variances up to about 6: standard errors about 0.006 for the mean and
    # 0.02 for a covariance entry; the tolerances are 4-5 of them
    np.testing.assert_allclose(draws.mean(0), m, atol=0.03)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), biased, atol=0.08)
    with pytest.raises(ValueError, match=r"\(N, D\) with N >= 2, got \(5, 3\) and \(5, 2\)"):
        aggregate_gaussian(means, variances[:, :2])
