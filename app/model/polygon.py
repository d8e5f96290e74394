"""Which points lie inside a polygon (a lasso), vectorised (no Qt)."""

from __future__ import annotations

import numpy as np


def points_in_polygon(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Whether each point ``(x[i], y[i])`` lies inside ``polygon`` (even-odd rule).

    Parameters
    ----------
    x, y : np.ndarray
        Coordinates of the points.
    polygon : np.ndarray
        ``(vertices, 2)``; closed implicitly (the last vertex joins the first).

    Returns
    -------
    np.ndarray
        bool, one per point.
    """
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    polygon = np.asarray(polygon, dtype="float64")
    inside = np.zeros(x.shape, dtype=bool)
    if len(polygon) < 3:
        return inside
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for ax, ay, bx, by in zip(x0, y0, x1, y1):
        crosses = (ay > y) != (by > y)
        if not crosses.any():
            continue
        at_y = ax + (y[crosses] - ay) * (bx - ax) / (by - ay)
        inside[crosses] ^= x[crosses] < at_y
    return inside
