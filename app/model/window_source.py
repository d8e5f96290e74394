"""Where a trace window comes from: raw samples, a pyramid level, or nowhere yet (no Qt).

A window is read raw when that reads few bytes (at most `MAX_RAW_WINDOW_BYTES`), or when the
display pyramid has no level fine enough for it; otherwise from the coarsest pyramid level whose
bins are no wider than a pixel. While the pyramid is being built, a window too long to read raw
is not read at all: the view says "building overview… N%" instead of freezing on gigabytes.
`read_level_envelope` turns a level's bins into the min/max envelope the trace view draws, in the
same form as `app.model.decimation.decimate_min_max`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.model.display_pyramid import DisplayPyramid, choose_level

#: Bytes of raw samples a window may read (32 MiB: 1.4 s of 384 int16 channels at 30 kHz).
MAX_RAW_WINDOW_BYTES = 32 * 2**20
#: A filtered window holds float32 samples of every channel it filters, margins included: it may
#: take this many times the raw budget (96 MiB: about 2 s of 384 channels at 30 kHz, so the
#: default 1 s window of a Neuropixels probe is shown filtered).
FILTERED_BUDGET_FACTOR = 3

RAW = "raw"
LEVEL = "level"
BUILDING = "building"
UNAVAILABLE = "unavailable"

#: `OverviewState.status` values.
NO_OVERVIEW = "none"
LOOKING = "looking"
IDLE = "idle"
REQUESTED = "requested"
READY = "ready"
OVERVIEW_STATUSES = (NO_OVERVIEW, LOOKING, IDLE, REQUESTED, BUILDING, READY)


@dataclass(frozen=True)
class OverviewState:
    """The display pyramid of the open recording and how far it is built.

    Attributes
    ----------
    status : {"none", "looking", "idle", "requested", "building", "ready"}
        No pyramid managed (no recording, or no overview runner: windows are then read raw
        whatever their size); the runner is looking for it in the cache; a pyramid not built and
        not being built; asked for by a view (the runner starts building it); being built; built.
    pyramid : DisplayPyramid | None
        The pyramid (None with status "none").
    fraction : float
        Fraction built (1.0 when ready).

    Raises
    ------
    ValueError
        If ``status`` is unknown.
    """

    status: str = NO_OVERVIEW
    pyramid: DisplayPyramid | None = None
    fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in OVERVIEW_STATUSES:
            raise ValueError(f"status must be one of {OVERVIEW_STATUSES}, got {self.status!r}")

    def plan(
        self,
        segment_index: int,
        num_frames: int,
        num_pixels: int,
        bytes_per_frame: int,
        max_raw_bytes: int = MAX_RAW_WINDOW_BYTES,
    ) -> WindowPlan:
        """`plan_window` for a window of ``segment_index`` with this pyramid.

        Without a managed pyramid (status "none") every window is read raw; while the runner
        looks for the pyramid, a window too long to read raw waits ("building" at 0 %).
        """
        if self.status == NO_OVERVIEW:
            return WindowPlan(RAW)
        if self.pyramid is None:  # looking for it
            if num_frames * bytes_per_frame <= max_raw_bytes:
                return WindowPlan(RAW)
            return WindowPlan(BUILDING, fraction=0.0)
        return plan_window(
            num_frames,
            num_pixels,
            bytes_per_frame,
            self.pyramid.factors(segment_index),
            pyramid_ready=self.status == READY,
            building=self.status in (BUILDING, REQUESTED, LOOKING),
            build_fraction=self.fraction,
            max_raw_bytes=max_raw_bytes,
        )

    @property
    def key(self) -> tuple:
        """What a window read through this state depends on (not the build progress)."""
        return (self.status == READY, self.status == NO_OVERVIEW, id(self.pyramid))


@dataclass(frozen=True)
class WindowPlan:
    """How to get a window.

    Attributes
    ----------
    source : {"raw", "level", "building", "unavailable"}
        Read raw samples, read pyramid ``level``, or nothing: the pyramid is being built
        (``fraction`` done) or cannot be (no pyramid).
    level : int | None
        The level to read (``source == "level"``).
    fraction : float
        Build progress (``source == "building"``).
    """

    source: str
    level: int | None = None
    fraction: float = 0.0

    @property
    def readable(self) -> bool:
        """Whether the window can be read now."""
        return self.source in (RAW, LEVEL)

    def message(self) -> str:
        """What the view shows instead of a window it cannot read."""
        if self.source == BUILDING:
            return f"building overview… {int(self.fraction * 100)}%"
        if self.source == UNAVAILABLE:
            return "window too long to read without an overview: zoom in"
        return ""


def plan_window(
    num_frames: int,
    num_pixels: int,
    bytes_per_frame: int,
    factors: tuple[int, ...],
    pyramid_ready: bool,
    building: bool,
    build_fraction: float = 0.0,
    max_raw_bytes: int = MAX_RAW_WINDOW_BYTES,
) -> WindowPlan:
    """Decide where a window of ``num_frames`` drawn ``num_pixels`` wide is read from.

    Parameters
    ----------
    num_frames, num_pixels : int
        The window and its width on screen.
    bytes_per_frame : int
        Raw bytes of one frame of the channels read.
    factors : tuple of int
        The pyramid's levels (`DisplayPyramid.factors`); empty for a segment too short to need one.
    pyramid_ready : bool
        Whether the pyramid is built.
    building : bool
        Whether it is being built (else it will not be: no pyramid for this recording).
    build_fraction : float
        Progress of the build.
    max_raw_bytes : int
        Most raw bytes a window may read.

    Returns
    -------
    WindowPlan
        A segment too short to have levels (``factors`` empty) is always read raw.
    """
    level = choose_level(factors, num_frames, num_pixels)
    if pyramid_ready and level is not None:
        return WindowPlan(LEVEL, level)
    if not factors or num_frames * bytes_per_frame <= max_raw_bytes:
        return WindowPlan(RAW)
    if pyramid_ready:  # few samples per pixel, yet too many bytes: the finest level, a bit coarse
        return WindowPlan(LEVEL, 0)
    if building:
        return WindowPlan(BUILDING, fraction=float(build_fraction))
    return WindowPlan(UNAVAILABLE)


def read_level_envelope(
    pyramid: DisplayPyramid,
    level: int,
    segment_index: int,
    start_frame: int,
    end_frame: int,
    channel_ids,
    num_pixels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The min/max envelope of a window from a pyramid level, at most ``num_pixels`` columns.

    Bins are grouped ``g = ceil(bins / num_pixels)`` to a column, so that every column spans the
    same time (the last one may span less), as `decimate_min_max` groups samples.

    Parameters
    ----------
    pyramid : DisplayPyramid
        A complete pyramid.
    level, segment_index, start_frame, end_frame : int
        What to read; the window is widened to whole bins.
    channel_ids : sequence | None
        Channels, in the order wanted (None: all).
    num_pixels : int
        Columns available (>= 1).

    Returns
    -------
    envelope : np.ndarray
        ``(2 * columns, channels)`` raw values: row ``2 i`` column ``i``'s minimum, ``2 i + 1`` its
        maximum.
    frames : np.ndarray
        int64 frame (in the segment) where each row's column starts (both rows of a column).

    Raises
    ------
    ValueError
        If ``num_pixels < 1``.
    PyramidNotReady
        If the pyramid is not built.
    """
    if num_pixels < 1:
        raise ValueError(f"num_pixels must be >= 1, got {num_pixels}")
    lo, hi = pyramid.read(level, segment_index, start_frame, end_frame, channel_ids)
    first, _ = pyramid.bin_range(level, segment_index, start_frame, end_frame)
    factor = pyramid.factors(segment_index)[level]
    num_bins, num_channels = lo.shape
    group = max(1, -(-num_bins // num_pixels))
    count = -(-num_bins // group)
    full = num_bins // group
    envelope = np.empty((2 * count, num_channels), dtype=lo.dtype)
    lo[: full * group].reshape(full, group, num_channels).min(
        axis=1, out=envelope[0 : 2 * full : 2]
    )
    hi[: full * group].reshape(full, group, num_channels).max(
        axis=1, out=envelope[1 : 2 * full : 2]
    )
    if count > full:
        envelope[-2] = lo[full * group :].min(axis=0)
        envelope[-1] = hi[full * group :].max(axis=0)
    frames = np.repeat((first + np.arange(count, dtype="int64") * group) * factor, 2)
    return envelope, frames
