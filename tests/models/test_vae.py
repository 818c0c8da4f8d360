"""The VAEs: the Keras contract, the loss against the ELBO, sampling and learning."""

import numpy as np
import pytest

from tests.harness import run_model_test
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
    run_model_test(model, x, {"reconstruction": x.shape, "mean": (2, 2, 4, 4, 2),
                              "log_var": (2, 2, 4, 4, 2)}, tmp_path=tmp_path)


def test_frame_vae_contract(tmp_path):
    x = RNG.uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    model = FrameVAE((16, 16, 1), latent_dim=4, widths=(8, 16))
    run_model_test(model, x, {"reconstruction": x.shape, "mean": (3, 4), "log_var": (3, 4)},
                   tmp_path=tmp_path)


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
