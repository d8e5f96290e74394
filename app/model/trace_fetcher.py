"""Fetch trace windows on one background thread; the newest request wins (no Qt).

`TraceFetcher.request` returns at once. The worker reads the window with
``recording.get_traces``, reduces it to a min/max envelope of the requested pixel width and hands
a `TraceWindow` to the request's callback, on the worker thread: a Qt view forwards it to the GUI
thread with a signal. Only the newest request is kept waiting, and a reply that is no longer the
newest when it is ready is dropped, so scrolling quickly never queues up work. A request for the
same window as the last one read is answered from that read (same data array, new request id):
a view sends every change of its display as a request and only repaints when the window stayed.

No window reads more than ``max_raw_bytes`` of raw samples: a longer one comes from the display
pyramid of the request's `OverviewState` (a level whose bins are no wider than a pixel), or, while
the pyramid is being built, is not read at all and says so (``pending``). With a display filter
(`DisplayContext`), a window is filtered when its samples and margins fit the same budget, and
shown raw from the pyramid otherwise (with a ``note``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from app.model.decimation import decimate_min_max, decimate_min_max_in_chunks
from app.model.display_filters import DisplayContext, read_display_traces
from app.model.window_noise import NoiseSample, noise_step
from app.model.window_source import (
    FILTERED_BUDGET_FACTOR,
    LEVEL,
    MAX_RAW_WINDOW_BYTES,
    OverviewState,
    read_level_envelope,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TraceWindow:
    """A window of traces, reduced for drawing.

    Attributes
    ----------
    request_id : int
        Id returned by `TraceFetcher.request`.
    segment_index, start_frame, end_frame : int
        What was asked for (``end_frame`` exclusive, clamped to the segment).
    channel_ids : np.ndarray
        Channels, in the order of ``data``'s columns.
    return_scaled : bool
        Whether ``data`` is in µV (float32) rather than raw values.
    num_pixels : int
        Pixel columns the window was reduced for.
    times : np.ndarray
        float64 time in seconds (the recording's own time axis) of each row of ``data``.
    data : np.ndarray
        ``(rows, channels)``: the min/max envelope (see `decimate_min_max`), or the samples
        themselves when the window has at most ``2 * num_pixels`` of them.
    raw_shape : tuple of int
        ``(num_samples, num_channels)`` read from the recording.
    noise : NoiseSample | None
        What `noise_levels` are estimated from (None: no samples).
    error : str | None
        Why the window could not be read (then ``data`` is empty).
    pending : str
        Why the window is not read yet, e.g. ``"building overview… 42%"`` ("" once read; then
        ``data`` is empty).
    source : str
        Where ``data`` comes from: ``"raw"``, ``"filtered"`` or ``"overview x<factor>"`` (a
        pyramid level of ``factor`` samples per bin).
    note : str
        What the view should say about the window, e.g. that filters are off at this zoom.
    """

    request_id: int
    segment_index: int
    start_frame: int
    end_frame: int
    channel_ids: np.ndarray
    return_scaled: bool
    num_pixels: int
    times: np.ndarray = field(default_factory=lambda: np.empty(0))
    data: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype="float32"))
    raw_shape: tuple[int, int] = (0, 0)
    noise: NoiseSample | None = None
    error: str | None = None
    pending: str = ""
    source: str = "raw"
    note: str = ""

    @cached_property
    def noise_levels(self) -> np.ndarray:
        """Median absolute deviation of each channel's samples (a strided subsample of the
        window, in the units of ``data``): the noise, whatever the pixel width. Computed when
        first asked for."""
        if self.noise is None:
            return np.empty(0, dtype="float32")
        return self.noise.levels()

    @property
    def decimated(self) -> bool:
        """Whether ``data`` is a min/max envelope (pairs of rows per pixel column)."""
        return self.data.shape[0] != self.raw_shape[0]


@dataclass(frozen=True)
class _Request:
    request_id: int
    recording: object
    segment_index: int
    start_frame: int
    end_frame: int
    channel_ids: np.ndarray
    return_scaled: bool
    num_pixels: int
    callback: Callable[[TraceWindow], None]
    overview: OverviewState = field(default_factory=OverviewState)
    display: DisplayContext | None = None
    max_raw_bytes: int = MAX_RAW_WINDOW_BYTES

    def reads_same_as(self, other: _Request | None) -> bool:
        """Whether ``other`` reads the same samples, channels and pixel width, the same way."""
        return (
            other is not None
            and self.recording is other.recording
            and self.display is other.display
            and self.overview.key == other.overview.key
            and (
                self.segment_index,
                self.start_frame,
                self.end_frame,
                self.return_scaled,
                self.num_pixels,
            )
            == (
                other.segment_index,
                other.start_frame,
                other.end_frame,
                other.return_scaled,
                other.num_pixels,
            )
            and np.array_equal(self.channel_ids, other.channel_ids)
        )


class TraceFetcher:
    """One worker thread that reads trace windows; newer requests supersede older ones.

    Parameters
    ----------
    name : str
        Name of the worker thread (tests look for leftover ``TraceFetcher`` threads).
    max_raw_bytes : int
        Most raw bytes one window reads (longer ones come from the display pyramid).

    Notes
    -----
    Use one fetcher per view: a request from anyone supersedes every earlier one.
    """

    def __init__(
        self, name: str = "TraceFetcher", max_raw_bytes: int = MAX_RAW_WINDOW_BYTES
    ) -> None:
        self.max_raw_bytes = int(max_raw_bytes)
        self._condition = threading.Condition()
        self._pending: _Request | None = None
        self._latest_id = 0
        self._busy = False
        self._closed = False
        self._last_read: tuple[_Request, TraceWindow] | None = None  # worker thread only
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def request(
        self,
        recording,
        segment_index: int,
        start_frame: int,
        end_frame: int,
        channel_ids: Sequence | np.ndarray | None,
        return_scaled: bool,
        num_pixels: int,
        callback: Callable[[TraceWindow], None],
        overview: OverviewState | None = None,
        display: DisplayContext | None = None,
    ) -> int:
        """Ask for a window; ``callback(TraceWindow)`` runs on the worker thread when it is ready.

        Parameters
        ----------
        recording : BaseRecording
            Where to read.
        segment_index, start_frame, end_frame : int
            The window (``end_frame`` exclusive).
        channel_ids : sequence | None
            Channels in the order wanted (None: all).
        return_scaled : bool
            Return µV (needs gains and offsets; otherwise the reply carries an error).
        num_pixels : int
            Pixel width the window is drawn at: the envelope has ``2 * num_pixels`` rows.
        callback : callable
            Called with the `TraceWindow` (or one with ``error`` set) unless a newer request was
            made meanwhile. It must not touch widgets.
        overview : OverviewState | None
            The recording's display pyramid (`Session.overview`); None: no pyramid is managed
            and every window is read raw.
        display : DisplayContext | None
            Display filters (None: raw traces).

        Returns
        -------
        int
            The request id, also carried by the reply.

        Raises
        ------
        RuntimeError
            If the fetcher is closed.
        """
        if channel_ids is None:
            channel_ids = recording.channel_ids
        with self._condition:
            if self._closed:
                raise RuntimeError("TraceFetcher is closed")
            self._latest_id += 1
            self._pending = _Request(
                request_id=self._latest_id,
                recording=recording,
                segment_index=int(segment_index),
                start_frame=int(start_frame),
                end_frame=int(end_frame),
                channel_ids=np.asarray(channel_ids),
                return_scaled=bool(return_scaled),
                num_pixels=max(int(num_pixels), 1),
                callback=callback,
                overview=OverviewState() if overview is None else overview,
                display=display,
                max_raw_bytes=self.max_raw_bytes,
            )
            self._condition.notify_all()
            return self._latest_id

    def cancel(self) -> None:
        """Forget the waiting request, drop the reply of the one being read and forget the last
        window read (and the recording it came from)."""
        with self._condition:
            self._latest_id += 1
            self._pending = None
            self._last_read = None
            self._condition.notify_all()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until no request is waiting or being read (and its callback has returned).

        Parameters
        ----------
        timeout : float | None
            Seconds to wait at most (None: no limit).

        Returns
        -------
        bool
            False if the timeout expired first.
        """
        with self._condition:
            return self._condition.wait_for(
                lambda: self._pending is None and not self._busy, timeout
            )

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop the worker after the window being read, dropping the waiting request.

        Parameters
        ----------
        timeout : float | None
            Seconds to wait for the worker to finish.
        """
        with self._condition:
            self._closed = True
            self._pending = None
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def is_latest(self, request_id: int) -> bool:
        """Whether ``request_id`` is still the newest request (no newer one was made and the
        fetcher was not cancelled): work for an older one is thrown away."""
        with self._condition:
            return request_id == self._latest_id and not self._closed

    @property
    def is_alive(self) -> bool:
        """Whether the worker thread is running."""
        return self._thread.is_alive()

    # ------------------------------------------------------------------ worker
    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    self._busy = False
                    self._condition.notify_all()
                    return
                request, self._pending = self._pending, None
                self._busy = True
            window = self._read(request)
            with self._condition:
                current = request.request_id == self._latest_id and not self._closed
            if current:
                try:
                    request.callback(window)
                except Exception:  # a failing view must not stop the worker
                    logger.exception("TraceFetcher callback failed")
            with self._condition:
                self._busy = False
                self._condition.notify_all()

    def _read(self, request: _Request) -> TraceWindow:
        """The window of ``request``: from the last read when it read the same."""
        with self._condition:
            last = self._last_read
        if last is not None and request.reads_same_as(last[0]):
            return replace(last[1], request_id=request.request_id)
        window = _read_window(request)
        with self._condition:
            kept = window.error is None and not window.pending
            self._last_read = (request, window) if kept else None
        return window


def _read_window(request: _Request) -> TraceWindow:
    """Read and reduce one window; errors are returned, never raised."""
    recording = request.recording
    base = {
        "request_id": request.request_id,
        "segment_index": request.segment_index,
        "start_frame": request.start_frame,
        "end_frame": request.end_frame,
        "channel_ids": request.channel_ids,
        "return_scaled": request.return_scaled,
        "num_pixels": request.num_pixels,
    }
    try:
        num_samples = recording.get_num_samples(request.segment_index)
        start = min(max(request.start_frame, 0), num_samples)
        end = min(max(request.end_frame, start), num_samples)
        base.update(start_frame=start, end_frame=end)
        if request.return_scaled and not recording.has_scaled():
            raise ValueError("the recording has no gain_to_uV/offset_to_uV: it can only be raw")
        note = ""
        display = request.display
        if display is not None and not display.display_filter.is_identity:
            # filtered in float32, margins included
            budget = FILTERED_BUDGET_FACTOR * request.max_raw_bytes
            filtered_bytes = (end - start + 2 * display.margin) * 4 * display.groups.size
            if filtered_bytes <= budget:
                return _read_filtered(request, base, start, end)
            seconds = budget / (4 * display.groups.size) / recording.sampling_frequency
            note = f"Filters apply to windows up to {seconds:.2g} s: raw traces shown"
        bytes_per_frame = len(request.channel_ids) * recording.get_dtype().itemsize
        plan = request.overview.plan(
            request.segment_index, end - start, request.num_pixels, bytes_per_frame,
            request.max_raw_bytes,
        )  # fmt: skip
        if not plan.readable:
            return TraceWindow(**base, pending=plan.message(), note=note)
        if plan.source == LEVEL:
            return _read_level(request, base, start, end, plan.level, note)
        # reduce the raw samples, then scale the small envelope: same values as reducing
        # get_traces(return_scaled=True), without converting the whole window to float
        data, offsets, noise, passthrough = _read_raw(request, start, end)
        if request.return_scaled:
            data = _scaled(recording, data, request.channel_ids, pairs=not passthrough)
            noise = noise.scaled(recording.get_channel_gains(channel_ids=request.channel_ids))
    except Exception as error:  # delivered to the view, which shows it
        logger.debug("trace window %s failed", request.request_id, exc_info=True)
        return TraceWindow(**base, error=f"{type(error).__name__}: {error}")
    return TraceWindow(
        **base,
        times=_times(recording, request.segment_index, start + offsets),
        data=data,
        raw_shape=(end - start, len(request.channel_ids)),
        noise=noise,
        note=note,
    )


#: Raw windows longer than the pixels are read and reduced this many bytes at a time: pieces that
#: the recording reads straight from the disk when the page cache does not hold them (each at
#: least `core.recording.file_reads.DIRECT_READ_MIN_BYTES`) and that are reduced while they are
#: still in the CPU cache. 1 s of 384 channels: 2.6 ms to reduce against 4.6 ms for one 23 MB
#: read (the read itself as fast), 17 ms from request to painted frame against 20.
RAW_CHUNK_BYTES = 3 << 19


def _read_raw(request: _Request, start: int, end: int):
    """``(data, offsets, noise, passthrough)``: the raw samples ``start .. end - 1`` (a copy;
    ``passthrough`` True) when they are few enough to draw one by one, else their min/max
    envelope (as `decimate_min_max` gives it), read `RAW_CHUNK_BYTES` at a time (longer windows,
    of a segment too short to have an overview, are read in pieces so that none is held whole)."""
    recording, num_pixels = request.recording, request.num_pixels
    # every channel in order: no ids to look up again at each piece's read
    every = np.array_equal(request.channel_ids, recording.channel_ids)
    channel_ids = None if every else request.channel_ids

    def read(first: int, stop: int) -> np.ndarray:
        return recording.get_traces(
            segment_index=request.segment_index,
            start_frame=start + first,
            end_frame=start + stop,
            channel_ids=channel_ids,
        )

    num_samples = end - start
    if num_samples <= 2 * num_pixels:
        traces = np.array(read(0, num_samples))  # detached from a memmap, closed later
        noise = NoiseSample.of_samples(traces)
        return traces, np.arange(num_samples, dtype="int64"), noise, True
    step = noise_step(num_samples)
    sample = []

    def read_and_sample(first: int, stop: int) -> np.ndarray:
        traces = read(first, stop)
        sample.append(np.array(traces[-first % step :: step]))  # rows 0, step, 2 step...
        return traces

    frame_bytes = len(request.channel_ids) * recording.get_dtype().itemsize
    chunk_samples = max(1, RAW_CHUNK_BYTES // frame_bytes)
    data, offsets = decimate_min_max_in_chunks(
        read_and_sample, num_samples, num_pixels, chunk_samples
    )
    return data, offsets, NoiseSample(np.concatenate(sample)), False


def _read_filtered(request: _Request, base: dict, start: int, end: int) -> TraceWindow:
    """The window filtered for display (float32, µV when scaled), reduced to the pixels."""
    recording = request.recording
    traces = read_display_traces(
        recording,
        request.segment_index,
        start,
        end,
        request.channel_ids,
        request.display,
        request.return_scaled,
    )
    data, offsets = decimate_min_max(traces, request.num_pixels)
    return TraceWindow(
        **base,
        times=_times(recording, request.segment_index, start + offsets),
        data=np.array(data) if data is traces else data,
        raw_shape=tuple(traces.shape),
        noise=NoiseSample.of_samples(traces),
        source="filtered",
    )


def _read_level(
    request: _Request, base: dict, start: int, end: int, level: int, note: str
) -> TraceWindow:
    """The window from a pyramid level: bins grouped into at most ``num_pixels`` columns."""
    recording, pyramid = request.recording, request.overview.pyramid
    # every channel in the recording's order is read as the level stores it: picking channels
    # copies the bins into a layout that the reduction then crawls through ten times slower
    every = np.array_equal(request.channel_ids, recording.channel_ids)
    data, frames = read_level_envelope(
        pyramid,
        level,
        request.segment_index,
        start,
        end,
        None if every else request.channel_ids,
        request.num_pixels,
    )
    column_frames = int(frames[2] - frames[0]) if data.shape[0] > 2 else end - start
    noise = NoiseSample.of_envelope(data, column_frames)
    if request.return_scaled:
        data = _scaled(recording, data, request.channel_ids, pairs=True)
        noise = noise.scaled(recording.get_channel_gains(channel_ids=request.channel_ids))
    factor = pyramid.factors(request.segment_index)[level]
    return TraceWindow(
        **base,
        times=_times(recording, request.segment_index, frames),
        data=data,
        raw_shape=(end - start, len(request.channel_ids)),
        noise=noise,
        source=f"overview x{factor}",
        note=note,
    )


def _times(recording, segment_index: int, frames: np.ndarray) -> np.ndarray:
    return np.asarray(
        recording.sample_index_to_time(frames, segment_index=segment_index), dtype="float64"
    )


def _scaled(recording, data: np.ndarray, channel_ids: np.ndarray, pairs: bool) -> np.ndarray:
    """``data`` in µV as ``get_traces(return_scaled=True)`` computes it (float32)."""
    gains = recording.get_channel_gains(channel_ids=channel_ids).astype("float32")
    offsets = recording.get_channel_offsets(channel_ids=channel_ids).astype("float32")
    scaled = np.multiply(data, gains, dtype="float32")  # one pass, no float copy of data
    if offsets.any():
        scaled += offsets
    if pairs and np.any(gains < 0):
        # a negative gain swaps each column's min and max
        low, high = scaled[0::2].copy(), scaled[1::2].copy()
        scaled[0::2], scaled[1::2] = np.minimum(low, high), np.maximum(low, high)
    return scaled
