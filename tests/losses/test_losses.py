"""Losses against NumPy and SciPy references and hand-computed values."""

import numpy as np
import pytest
from scipy import stats

from vidgen_tf import losses

RNG = np.random.default_rng(0)


def test_reparameterize_is_mean_plus_scaled_noise():
    mean, log_var, noise = (RNG.normal(size=(3, 4)).astype("float32") for _ in range(3))
    expected = mean + np.exp(0.5 * log_var) * noise
    np.testing.assert_allclose(losses.reparameterize(mean, log_var, noise), expected, rtol=1e-6)


def test_reparameterized_samples_have_the_posterior_moments():
    mean, log_var = np.full((200_000, 1), 1.5, "float32"), np.full((200_000, 1), np.log(4.0),
                                                                   "float32")
    z = np.asarray(losses.reparameterize(mean, log_var, RNG.normal(size=mean.shape)
                                         .astype("float32")))
    assert abs(z.mean() - 1.5) < 0.02 and abs(z.std() - 2.0) < 0.02


def test_gaussian_kl_matches_the_closed_form_and_monte_carlo():
    mean = RNG.normal(size=(2, 3, 5)).astype("float32")
    log_var = RNG.normal(size=(2, 3, 5)).astype("float32")
    var = np.exp(log_var)
    expected = 0.5 * np.sum(var + mean**2 - 1 - log_var, axis=(1, 2))
    np.testing.assert_allclose(losses.gaussian_kl(mean, log_var), expected, rtol=1e-5)
    # Monte Carlo estimate of E_q[log q - log p] for one 1-D Gaussian
    z = 0.7 + 0.5 * RNG.normal(size=400_000)
    mc = np.mean(stats.norm.logpdf(z, 0.7, 0.5) - stats.norm.logpdf(z))
    kl = float(losses.gaussian_kl(np.array([[0.7]]), np.array([[np.log(0.25)]]))[0])
    assert abs(kl - mc) < 0.01
    assert float(np.max(np.abs(losses.gaussian_kl(np.zeros((2, 4)), np.zeros((2, 4)))))) == 0


def test_gaussian_nll_is_the_negative_log_density():
    x = RNG.normal(size=(3, 2, 4, 4, 1)).astype("float32")
    x_hat = RNG.normal(size=x.shape).astype("float32")
    expected = -stats.norm.logpdf(x, x_hat, 0.3).sum(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(losses.gaussian_nll(x, x_hat, 0.3), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="sigma"):
        losses.gaussian_nll(x, x_hat, 0.0)


def test_elbo_combines_the_two_terms_with_beta():
    x, x_hat = RNG.normal(size=(2, 6)), RNG.normal(size=(2, 6))
    mean, log_var = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    expected = (-np.asarray(losses.gaussian_nll(x, x_hat, 0.5))
                - 4.0 * np.asarray(losses.gaussian_kl(mean, log_var)))
    np.testing.assert_allclose(losses.elbo(x, x_hat, mean, log_var, beta=4.0, sigma=0.5),
                               expected, rtol=1e-5)


def test_gaussian_nll_without_its_constant():
    """``full=False``: the squared error over 2 sigma^2, the density's normaliser left out
    (in the ELBO too)."""
    x = RNG.normal(size=(3, 2, 4, 4, 1)).astype("float32")
    x_hat = RNG.normal(size=x.shape).astype("float32")
    squared = ((x.astype(np.float64) - x_hat) ** 2).sum(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(losses.gaussian_nll(x, x_hat, 0.3, full=False),
                               squared / (2 * 0.09), rtol=1e-5)
    constant = x[0].size * (np.log(0.3) + 0.5 * np.log(2 * np.pi))
    np.testing.assert_allclose(losses.gaussian_nll(x, x_hat, 0.3),
                               squared / (2 * 0.09) + constant, rtol=1e-5)
    mean, log_var = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))
    kl = np.asarray(losses.gaussian_kl(mean, log_var))
    np.testing.assert_allclose(losses.elbo(x, x_hat, mean, log_var, 2.0, 0.3, full=False),
                               -squared / (2 * 0.09) - 2.0 * kl, rtol=1e-5)


def _softplus(v):
    return np.log1p(np.exp(v))


@pytest.mark.parametrize("name,d_ref,g_ref", [
    ("nonsaturating", lambda r, f: _softplus(-r).mean() + _softplus(f).mean(),
     lambda f: _softplus(-f).mean()),
    ("hinge", lambda r, f: np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean(),
     lambda f: -f.mean()),
    ("wasserstein", lambda r, f: f.mean() - r.mean(), lambda f: -f.mean()),
])
def test_adversarial_losses_match_numpy(name, d_ref, g_ref):
    real, fake = RNG.normal(size=(16, 1)) * 2, RNG.normal(size=(16, 1)) * 2
    assert float(losses.discriminator_loss(name, real, fake)) == pytest.approx(
        d_ref(real, fake), rel=1e-5)
    assert float(losses.generator_loss(name, fake)) == pytest.approx(g_ref(fake), rel=1e-5)


def test_nonsaturating_discriminator_loss_is_binary_cross_entropy():
    real, fake = RNG.normal(size=8), RNG.normal(size=8)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    bce = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake)))
    assert float(losses.nonsaturating_d_loss(real, fake)) == pytest.approx(bce, rel=1e-5)


def test_unknown_adversarial_loss_is_named():
    with pytest.raises(ValueError, match="hinge"):
        losses.generator_loss("least-squares", np.zeros(2))


def _linear_critic(weights):
    import tensorflow as tf

    w = tf.constant(weights)
    return lambda x: tf.reduce_sum(x * w, axis=list(range(1, len(weights.shape) + 1)))


def test_penalties_of_a_linear_critic_are_known():
    """A linear critic has the gradient w everywhere: R1 = ||w||^2, GP = (||w|| - 1)^2."""
    w = RNG.normal(size=(2, 3, 3, 1)).astype("float32")
    real = RNG.normal(size=(4, 2, 3, 3, 1)).astype("float32")
    fake = RNG.normal(size=real.shape).astype("float32")
    critic = _linear_critic(w)
    norm = np.sqrt(np.sum(w**2))
    assert float(losses.r1_penalty(critic, real)) == pytest.approx(norm**2, rel=1e-5)
    assert float(losses.gradient_penalty(critic, real, fake)) == pytest.approx(
        (norm - 1) ** 2, rel=1e-4)


def test_lazy_r1_is_every_times_r1_on_due_steps_and_zero_between():
    w = RNG.normal(size=(2, 3, 3, 1)).astype("float32")
    real = RNG.normal(size=(4, 2, 3, 3, 1)).astype("float32")
    critic = _linear_critic(w)
    r1 = float(np.sum(w**2))
    for step, expected in ((0, 3 * r1), (1, 0.0), (2, 0.0), (3, 3 * r1), (6, 3 * r1)):
        got = float(losses.lazy_r1_penalty(critic, real, np.int64(step), every=3))
        assert got == pytest.approx(expected, rel=1e-5), step
    assert float(losses.lazy_r1_penalty(critic, real, 5, every=1)) == pytest.approx(r1, rel=1e-5)


def test_penalties_of_a_quadratic_critic_follow_the_interpolation():
    """D(x) = sum(x^2) has gradient 2x: R1 = 4 mean ||x||^2, and GP at the given mixes."""
    import tensorflow as tf

    critic = lambda x: tf.reduce_sum(tf.square(x), axis=[1, 2])
    real = RNG.normal(size=(5, 3, 2)).astype("float32")
    fake = RNG.normal(size=real.shape).astype("float32")
    mix = RNG.uniform(size=5).astype("float32")
    assert float(losses.r1_penalty(critic, real)) == pytest.approx(
        np.mean(4 * np.sum(real**2, axis=(1, 2))), rel=1e-5)
    mixed = mix[:, None, None] * real + (1 - mix[:, None, None]) * fake
    norms = np.sqrt(np.sum((2 * mixed) ** 2, axis=(1, 2)))
    assert float(losses.gradient_penalty(critic, real, fake, mix=mix)) == pytest.approx(
        np.mean((norms - 1) ** 2), rel=1e-4)


def test_gradient_penalty_checks_shapes_and_differentiability():
    import tensorflow as tf

    with pytest.raises(ValueError, match="differ in shape"):
        losses.gradient_penalty(lambda x: x, np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="does not depend"):
        losses.r1_penalty(lambda x: tf.zeros((2,)), np.zeros((2, 3), "float32"))


def test_multilabel_cross_entropy_against_numpy():
    """Sigmoid cross-entropy summed over classes against multi-hot targets: -1 is no object,
    a digit shown twice is still one target; large logits stay finite."""
    logits = RNG.normal(size=(4, 10)).astype("float32") * 3
    logits[3, 4], logits[3, 7] = 60.0, -60.0             # log(1 - sigmoid(60)) would be -inf
    labels = np.array([[2, -1], [5, 5], [0, 9], [4, -1]])
    targets = np.zeros((4, 10))
    targets[0, 2] = targets[1, 5] = targets[2, 0] = targets[2, 9] = targets[3, 4] = 1
    x = logits.astype(np.float64)
    # -y log sigmoid(x) - (1 - y) log(1 - sigmoid(x)), with log sigmoid(x) = -log(1 + e^-x)
    per_class = targets * np.logaddexp(0, -x) + (1 - targets) * np.logaddexp(0, x)
    expected = per_class.sum(axis=1).mean()
    value = losses.multilabel_cross_entropy(logits, labels, 10)
    assert np.asarray(value).dtype == np.float32
    assert float(value) == pytest.approx(expected, rel=1e-5)
    # with no object at all the targets are all zero
    none = np.full((4, 2), -1)
    assert float(losses.multilabel_cross_entropy(logits, none, 10)) == pytest.approx(
        np.logaddexp(0, x).sum(axis=1).mean(), rel=1e-5)
