"""The Frechet distance between two Gaussians, the core of FID and FVD.

Fit a Gaussian to the features of real clips ``(mu1, sigma1)`` and one to the features of
generated clips ``(mu2, sigma2)``; their Frechet (2-Wasserstein) distance is

    d^2 = |mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)).

Computed in float64 with symmetric eigen-decompositions:
``tr (sigma1 sigma2)^(1/2) = sum sqrt(eig(s sigma2 s))`` with ``s = sigma1^(1/2)``, a
symmetric positive semi-definite matrix whose eigenvalues are real, so rank-deficient
covariances (fewer samples than features) need no ``eps`` and give no complex parts, unlike
``scipy.linalg.sqrtm(sigma1 @ sigma2)``.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np


def _psd_eigenvalues(values):
    """Eigenvalues of a PSD matrix with rounding noise removed: values below the numerical
    rank threshold ``d * eps * max|value|`` are zero (their square roots, about 1e-8 each,
    would otherwise add up)."""
    tolerance = values.size * np.finfo(np.float64).eps * max(np.abs(values).max(), 1e-300)
    return np.where(values > tolerance, values, 0.0)


def _psd_sqrt(matrix):
    """Square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(_psd_eigenvalues(values))) @ vectors.T


def _check(mu, sigma, name):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise ValueError(f"frechet_distance: {name} needs mu of shape (d,) and sigma of shape "
                         f"(d, d), got {mu.shape} and {sigma.shape}.")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"frechet_distance: {name} holds NaN or infinite values.")
    return mu, (sigma + sigma.T) / 2.0


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Frechet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    Args:
        mu1, mu2: arrays ``(d,)``. Means.
        sigma1, sigma2: arrays ``(d, d)``. Covariances (symmetric positive semi-definite).

    Returns:
        float, >= 0. (The squared 2-Wasserstein distance, as FID and FVD report it.)
    """
    mu1, sigma1 = _check(mu1, sigma1, "the first Gaussian")
    mu2, sigma2 = _check(mu2, sigma2, "the second Gaussian")
    if mu1.shape != mu2.shape:
        raise ValueError(f"frechet_distance: the Gaussians have different dimensions, "
                         f"{mu1.size} and {mu2.size}.")
    root = _psd_sqrt(sigma1)
    middle = root @ sigma2 @ root
    trace_sqrt = np.sqrt(_psd_eigenvalues(np.linalg.eigvalsh((middle + middle.T) / 2.0))).sum()
    distance = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return float(max(distance, 0.0))


def gaussian_statistics(features):
    """Mean ``(d,)`` and covariance ``(d, d)`` (unbiased) of features ``(n, d)``, float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"gaussian_statistics: need features (n, d) with n >= 2, got shape "
                         f"{features.shape}.")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(
        features.shape[1], features.shape[1])


def frechet_distance_from_features(features1, features2):
    """Frechet distance between Gaussians fitted to two sets of features.

    Args:
        features1: ``(n1, d)``. For example features of real clips.
        features2: ``(n2, d)``. Features of generated clips.

    Returns:
        float. Depends on the sample sizes (it is biased upwards for small n): compare
        distances computed with the same numbers of samples.
    """
    features1, features2 = np.asarray(features1), np.asarray(features2)
    if features1.ndim != 2 or features2.ndim != 2 or features1.shape[1] != features2.shape[1]:
        raise ValueError(f"frechet_distance_from_features: need (n1, d) and (n2, d) features, "
                         f"got {features1.shape} and {features2.shape}.")
    return frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2))
