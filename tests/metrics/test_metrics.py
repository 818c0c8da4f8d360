import numpy as np
import pytest
import scipy.linalg

from vidgen_tf.data import to_float
from vidgen_tf.metrics import (corruptions, frame_differences, frame_features,
                               frechet_distance, frechet_distance_from_features,
                               gaussian_statistics, motion_features, psnr, ssim)


def _pair(rng, shape=(3, 4, 16, 16, 1)):
    a = rng.integers(0, 256, size=shape, dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, size=shape), 0, 255).astype(np.uint8)
    return a, b


def test_psnr_by_hand(rng):
    a, b = _pair(rng)
    per_frame = psnr(a, b, per_frame=True).numpy()
    mse = ((a.astype(float) - b) ** 2).mean(axis=(2, 3, 4))
    np.testing.assert_allclose(per_frame, 10 * np.log10(255.0 ** 2 / mse), rtol=1e-5)
    clip_mse = ((a.astype(float) - b) ** 2).mean(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(psnr(a, b).numpy(), 10 * np.log10(255.0 ** 2 / clip_mse),
                               rtol=1e-5)
    # The same pictures as floats in [-1, 1] (MAX = 2) give the same values.
    np.testing.assert_allclose(psnr(to_float(a), to_float(b)).numpy(), psnr(a, b).numpy(),
                               rtol=1e-4)
    assert np.isinf(psnr(a, a).numpy()).all()


def test_psnr_of_half_range_error_is_6_db():
    a = np.zeros((1, 2, 4, 4, 1), np.float32)
    assert float(psnr(a, a + 1.0)[0]) == pytest.approx(10 * np.log10(4.0), rel=1e-6)


def test_ssim_is_tf_image_ssim_per_frame(rng):
    import tensorflow as tf

    a, b = _pair(rng, (2, 3, 24, 24, 3))
    per_frame = ssim(a, b, per_frame=True).numpy()
    for i in range(2):
        for t in range(3):
            expected = tf.image.ssim(a[i, t].astype(np.float32) / 255,
                                     b[i, t].astype(np.float32) / 255, max_val=1.0)
            assert per_frame[i, t] == pytest.approx(float(expected), abs=1e-6)
    np.testing.assert_allclose(ssim(a, b).numpy(), per_frame.mean(1), rtol=1e-6)
    np.testing.assert_allclose(ssim(to_float(a), to_float(b)).numpy(), ssim(a, b).numpy(),
                               atol=1e-5)
    np.testing.assert_allclose(ssim(a, a).numpy(), 1.0, atol=1e-6)


def test_ssim_falls_with_noise_and_works_on_tiny_frames(rng):
    clean = to_float(rng.integers(0, 256, size=(2, 2, 8, 8, 1), dtype=np.uint8))
    scores = [float(ssim(clean, corruptions.add_noise(clean, rng, s)).numpy().mean())
              for s in (0.05, 0.2, 0.5)]
    assert scores[0] > scores[1] > scores[2]


def test_quality_metrics_reject_mismatches():
    a = np.zeros((1, 2, 8, 8, 1), np.uint8)
    with pytest.raises(ValueError, match=r"same shape.*\(1, 2, 8, 8, 1\) and \(1, 2, 8, 8, 3\)"):
        psnr(a, np.zeros((1, 2, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r"uint8 in \[0, 255\] or both float"):
        ssim(a, a.astype(np.float32))


def test_float_precisions_mix(rng):
    a = rng.uniform(-1, 1, size=(1, 2, 8, 8, 1)).astype(np.float32)
    noisy = a + rng.normal(0, 0.1, size=a.shape)                     # float64
    assert float(psnr(noisy, a)[0]) == pytest.approx(float(psnr(noisy.astype(np.float32), a)[0]),
                                                     rel=1e-5)


def test_ssim_of_constant_frames_by_hand():
    # Flat frames have no contrast or structure: SSIM is the luminance term alone,
    # (2 mx my + C1) / (mx^2 + my^2 + C1) with C1 = (0.01 * 1)^2 on values in [0, 1].
    x = np.full((1, 1, 16, 16, 1), 0.2 * 2 - 1, np.float32)           # 0.2 in [0, 1]
    y = np.full((1, 1, 16, 16, 1), 0.6 * 2 - 1, np.float32)           # 0.6 in [0, 1]
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    expected = (2 * 0.2 * 0.6 + c1) / (0.2 ** 2 + 0.6 ** 2 + c1)
    # With a 1x1 window the local statistics are the pixels themselves: the variances are
    # x^2 - x^2 = 0 exactly, and only a few float32 roundings (2^-24 each) remain.
    assert float(ssim(x, y, filter_size=1)[0]) == pytest.approx(expected, rel=1e-6)
    # With the 11x11 Gaussian window, each variance is E[x^2] - E[x]^2 from two float32
    # weighted sums of 121 values: the cancellation leaves up to about 121 * 2^-24 * x^2
    # (3e-6 for x = 0.6), divided by c2 = 9e-4 in the contrast-structure term: a relative
    # error of up to ~3e-3 in the worst order of summation (1.3e-4 measured on an AVX-512
    # CPU, 9.9e-5 on an AVX2 one). A wrong c1 (say (0.01 * 2)^2) moves the value by 6e-4
    # and is caught by the exact check above.
    bound = 121 * 2.0 ** -24 * (0.2 ** 2 + 0.6 ** 2) / c2
    assert float(ssim(x, y)[0]) == pytest.approx(expected, rel=bound)


def _random_covariance(rng, d, rank):
    a = rng.normal(size=(d, rank))
    return a @ a.T / rank


def test_frechet_matches_scipy_sqrtm_on_full_rank(rng):
    for d in (2, 16, 64):
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        s1, s2 = _random_covariance(rng, d, 2 * d), _random_covariance(rng, d, 2 * d)
        expected = np.sum((mu1 - mu2) ** 2) + np.trace(
            s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_frechet_is_exact_on_rank_deficient_covariances(rng):
    # Diagonal covariances with zeros: the distance is sum (sqrt(a) - sqrt(b))^2, exactly.
    a = np.array([4.0, 0.0, 1.0, 0.0, 9.0])
    b = np.array([1.0, 0.0, 0.0, 2.0, 9.0])
    mu = np.zeros(5)
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu, np.diag(a), mu, np.diag(b)) == pytest.approx(expected, abs=1e-12)
    # Rotated into a random basis, the same number (sqrtm of a singular product is not
    # reliable; the symmetric form is).
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    got = frechet_distance(mu, q @ np.diag(a) @ q.T, mu, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(expected, abs=1e-9)
    # Fewer samples than features (rank 3 of 40): zero against itself, symmetric, and
    # equal to scipy's answer on slightly regularised matrices.
    s1, s2 = _random_covariance(rng, 40, 3), _random_covariance(rng, 40, 3)
    m1, m2 = rng.normal(size=40), rng.normal(size=40)
    assert frechet_distance(m1, s1, m1, s1) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(frechet_distance(m2, s2, m1, s1),
                                                             rel=1e-9)
    eps = 1e-10 * np.eye(40)
    reference = np.sum((m1 - m2) ** 2) + np.trace(
        s1 + s2 - 2 * scipy.linalg.sqrtm((s1 + eps) @ (s2 + eps)).real)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(reference, rel=1e-4)


def test_frechet_from_features(rng):
    f1 = rng.normal(size=(500, 3))
    f2 = rng.normal(size=(400, 3)) * 2 + 1
    mu1, s1 = gaussian_statistics(f1)
    np.testing.assert_allclose(s1, np.cov(f1.T))
    assert frechet_distance_from_features(f1, f2) == pytest.approx(
        frechet_distance(mu1, s1, *gaussian_statistics(f2)))
    # Two samples of one Gaussian are close; a shifted one is 1 per unit of squared shift.
    same = frechet_distance_from_features(f1, rng.normal(size=(500, 3)))
    assert same < 0.1
    shifted = frechet_distance_from_features(f1, f1 + np.array([1.0, 0, 0]))
    assert shifted == pytest.approx(1.0)


def test_frechet_rejects_bad_input():
    with pytest.raises(ValueError, match="different dimensions"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="sigma of shape"):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.array([np.nan, 0]), np.eye(2), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="n >= 2"):
        gaussian_statistics(np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"\(n1, d\) and \(n2, d\)"):
        frechet_distance_from_features(np.zeros((5, 2)), np.zeros((5, 3)))


def test_frame_differences_by_hand():
    video = np.zeros((3, 2, 2, 3), np.float32)
    video[1, 0, 0] = [0.3, 0.6, 0.9]
    motion = frame_differences(video)
    assert motion.shape == (2, 2, 2)
    np.testing.assert_allclose(motion[0], [[0.6, 0], [0, 0]])
    np.testing.assert_allclose(motion[1], [[0.6, 0], [0, 0]])
    assert frame_differences(np.zeros((4, 5, 3, 2, 2, 1))).shape == (4, 5, 2, 2, 2)
    with pytest.raises(ValueError, match="T >= 2"):
        frame_differences(np.zeros((1, 4, 4, 1)))


def test_corruptions_keep_and_break_what_they_say(rng):
    videos = rng.uniform(-1, 1, size=(4, 6, 8, 8, 1)).astype(np.float32)
    shuffled = corruptions.shuffle_frames(videos, rng)
    for i in range(4):      # the same frames, in another order
        assert sorted(map(bytes, shuffled[i])) == sorted(map(bytes, videos[i]))
    assert not np.array_equal(shuffled, videos)
    frozen = corruptions.freeze_first_frame(videos)
    assert np.all(frozen == videos[:, :1])
    noisy = corruptions.add_noise(np.zeros_like(videos), rng, sigma=0.1)
    assert noisy.std() == pytest.approx(0.1, rel=0.05) and noisy.dtype == np.float32
    blurred = corruptions.blur(videos)
    assert np.abs(np.diff(blurred, axis=3)).mean() < 0.5 * np.abs(np.diff(videos, axis=3)).mean()
    np.testing.assert_allclose(blurred.mean(), videos.mean(), atol=0.02)
    moved = corruptions.shift(videos, pixels=2)
    np.testing.assert_array_equal(moved[:, :, 2:, 2:], videos[:, :, :-2, :-2])
    with pytest.raises(ValueError, match="float videos"):
        corruptions.blur(np.zeros((2, 3, 4, 4, 1), np.uint8))


def test_pixel_features(rng):
    videos = rng.uniform(-1, 1, size=(3, 5, 16, 16, 3)).astype(np.float32)
    frames = frame_features(videos, grid=4)
    assert frames.shape == (15, 16)
    np.testing.assert_allclose(frames[0, 0], videos[0, 0, :4, :4].mean(), rtol=1e-5)
    motion = motion_features(corruptions.freeze_first_frame(videos), grid=4)
    assert motion.shape == (12, 16) and np.all(motion == 0)
    # Shuffling frames in time leaves frame features as a set unchanged.
    shuffled = frame_features(corruptions.shuffle_frames(videos, rng), grid=4)
    np.testing.assert_allclose(np.sort(shuffled.sum(1)), np.sort(frames.sum(1)), rtol=1e-6)
    with pytest.raises(ValueError, match="not divisible by grid=5"):
        frame_features(videos, grid=5)
