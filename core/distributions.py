"""Probability densities used by generators and filters."""

from __future__ import annotations

import numpy as np

__all__ = ["normal_pdf"]


def normal_pdf(x, mu: float = 0.0, sigma: float = 1.0):
    """The normal (Gaussian) probability density at ``x``.

    Parameters
    ----------
    x : float or np.ndarray
    mu : float, default: 0.0
        Mean.
    sigma : float, default: 1.0
        Standard deviation.

    Returns
    -------
    float or np.ndarray
        ``exp(-(x - mu)² / (2 sigma²)) / (sigma sqrt(2 pi))``, of the shape of ``x``.
    """
    return np.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
