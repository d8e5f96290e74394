"""The shape of a pyramid: its levels, their bins and files, and which level a view reads (no Qt).

Level ``k`` holds, for every channel, the minimum and the maximum of consecutive runs of
``factors[k]`` raw samples ("bins"); the last bin of a level holds what is left (fewer samples).
Factors grow by ``ratio`` from ``base_factor``: a view reads the coarsest level whose bins are no
wider than its pixels, so it reads between one and ``ratio`` bins per pixel column whatever the
width of its window. With the defaults (64, 256, 1024, ...), a 1600-pixel view of 384 int16
channels reads less than 4 x 1600 bins x 384 channels x 2 values x 2 bytes = 9.8 MB at any zoom,
and a window narrower than 64 samples per pixel is read from the raw file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: Samples per bin of the finest level.
BASE_FACTOR = 64
#: Ratio between the factors of two successive levels.
LEVEL_RATIO = 4
#: Levels are added while the next one still has at least this many bins.
MIN_TOP_BINS = 256


@dataclass(frozen=True)
class LayoutParameters:
    """How levels are chosen: ``base_factor * ratio ** k`` while a level has ``min_top_bins``.

    Raises
    ------
    ValueError
        If ``base_factor < 2``, ``ratio < 2`` or ``min_top_bins < 1``.
    """

    base_factor: int = BASE_FACTOR
    ratio: int = LEVEL_RATIO
    min_top_bins: int = MIN_TOP_BINS

    def __post_init__(self) -> None:
        if int(self.base_factor) < 2:
            raise ValueError(f"base_factor must be >= 2, got {self.base_factor}")
        if int(self.ratio) < 2:
            raise ValueError(f"ratio must be >= 2, got {self.ratio}")
        if int(self.min_top_bins) < 1:
            raise ValueError(f"min_top_bins must be >= 1, got {self.min_top_bins}")

    def to_dict(self) -> dict:
        """The parameters as a JSON-able dictionary."""
        return {key: int(value) for key, value in asdict(self).items()}

    def factors(self, num_samples: int) -> tuple[int, ...]:
        """Samples per bin of each level of a segment of ``num_samples`` samples (finest first).

        Empty when the segment is shorter than ``base_factor * min_top_bins`` samples: a view
        then always reads raw samples, which are few.
        """
        factors = []
        factor = int(self.base_factor)
        while -(-int(num_samples) // factor) >= self.min_top_bins:
            factors.append(factor)
            factor *= int(self.ratio)
        return tuple(factors)


@dataclass(frozen=True)
class PyramidLayout:
    """The levels of one segment's pyramid and how they lie on disk.

    Each level is one file of ``(num_bins, 2, num_channels)`` values of ``dtype`` in C order:
    ``[b, 0, c]`` is the minimum of channel ``c`` over bin ``b``, ``[b, 1, c]`` its maximum. A bin
    range is one contiguous byte range.

    Attributes
    ----------
    num_samples, num_channels : int
        Of the segment.
    dtype : str
        Of the raw samples (the pyramid holds raw values).
    factors : tuple of int
        Samples per bin of each level, finest first.
    """

    num_samples: int
    num_channels: int
    dtype: str
    factors: tuple[int, ...]

    @property
    def num_levels(self) -> int:
        """Number of levels."""
        return len(self.factors)

    @property
    def itemsize(self) -> int:
        """Bytes of one value."""
        return np.dtype(self.dtype).itemsize

    @property
    def bin_bytes(self) -> int:
        """Bytes of one bin (minimum and maximum of every channel)."""
        return 2 * self.num_channels * self.itemsize

    def num_bins(self, level: int) -> int:
        """Bins of ``level`` (the last one may be partial)."""
        return -(-self.num_samples // self.factors[level])

    def level_bytes(self, level: int) -> int:
        """Size of the file of ``level``."""
        return self.num_bins(level) * self.bin_bytes

    @property
    def total_bytes(self) -> int:
        """Size of all levels."""
        return sum(self.level_bytes(level) for level in range(self.num_levels))

    def file_name(self, level: int) -> str:
        """Name of the file of ``level``."""
        return f"level{level:02d}-x{self.factors[level]}.bin"

    def bin_range(self, level: int, start_frame: int, end_frame: int) -> tuple[int, int]:
        """Bins of ``level`` that cover frames ``[start_frame, end_frame)`` (clamped).

        Returns
        -------
        first, stop : int
            The bins ``[first, stop)``; bin ``b`` covers frames ``[b * f, (b + 1) * f)``.
        """
        factor = self.factors[level]
        start = min(max(int(start_frame), 0), self.num_samples)
        end = min(max(int(end_frame), start), self.num_samples)
        first = start // factor
        stop = -(-end // factor) if end > start else first
        return first, stop

    def to_dict(self) -> dict:
        """The layout as a JSON-able dictionary."""
        return {
            "num_samples": int(self.num_samples),
            "num_channels": int(self.num_channels),
            "dtype": str(self.dtype),
            "factors": [int(factor) for factor in self.factors],
        }

    @classmethod
    def from_dict(cls, values: dict) -> PyramidLayout:
        """The layout `to_dict` described."""
        return cls(
            num_samples=int(values["num_samples"]),
            num_channels=int(values["num_channels"]),
            dtype=str(values["dtype"]),
            factors=tuple(int(factor) for factor in values["factors"]),
        )


def choose_level(factors: tuple[int, ...], num_frames: int, num_pixels: int) -> int | None:
    """The coarsest level whose bins are no wider than one pixel column, or None for raw samples.

    Parameters
    ----------
    factors : tuple of int
        Samples per bin of each level, finest first (`PyramidLayout.factors`).
    num_frames : int
        Frames in the window drawn.
    num_pixels : int
        Pixel columns it is drawn on (>= 1).

    Returns
    -------
    int | None
        Index into ``factors``, or None when even the finest level's bins are wider than a
        pixel (the window has fewer than ``factors[0]`` samples per pixel): read the raw samples.

    Raises
    ------
    ValueError
        If ``num_pixels < 1``.
    """
    if num_pixels < 1:
        raise ValueError(f"num_pixels must be >= 1, got {num_pixels}")
    samples_per_pixel = max(int(num_frames), 0) / int(num_pixels)
    chosen = None
    for level, factor in enumerate(factors):
        if factor <= samples_per_pixel:
            chosen = level
    return chosen
