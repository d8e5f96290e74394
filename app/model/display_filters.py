"""Display filters: what the trace view shows, filtered on the fly; the data is never changed (no Qt).

A `DisplayFilter` says how traces are shown: raw, or high-pass / band-pass filtered (a Butterworth
filter in second-order sections, run forward and backward so that spikes keep their shape and
place), re-referenced to the common median or average of their channels (all of them, or their
group / shank), and optionally whitened. `read_display_traces` reads a window with enough extra
samples on both sides (`margin_frames`) that the filter has settled before the first sample shown:
a window filtered this way equals the whole segment filtered at once, cut to the window. At the
ends of the segment, where there is nothing more to read, the signal is extended by its odd
reflection, as ``scipy.signal.sosfiltfilt`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NO_BAND = "none"
HIGHPASS = "highpass"
BANDPASS = "bandpass"
BANDS = (NO_BAND, HIGHPASS, BANDPASS)
NO_REFERENCE = "none"
MEDIAN = "median"
AVERAGE = "average"
REFERENCES = (NO_REFERENCE, MEDIAN, AVERAGE)
ALL_CHANNELS = "all"
BY_GROUP = "group"
REFERENCE_SCOPES = (ALL_CHANNELS, BY_GROUP)
#: A filter's transient is followed until it has shrunk below this fraction of the step causing it.
SETTLING_TOLERANCE = 1e-6
#: Fewest extra samples read on each side of a filtered window.
MIN_MARGIN_FRAMES = 64
#: Property naming the channels left out of the reference and of the whitening.
BAD_CHANNEL_PROPERTY = "bad_channel"


@dataclass(frozen=True)
class DisplayFilter:
    """How the trace view shows traces.

    Attributes
    ----------
    enabled : bool
        The raw / filtered toggle: False shows the raw traces whatever the other settings.
    band : {"none", "highpass", "bandpass"}
        Frequency filter.
    low_hz, high_hz : float
        Cut-off frequencies (``high_hz`` only for a band-pass).
    order : int
        Butterworth order (a band-pass has twice as many poles).
    reference : {"none", "median", "average"}
        Subtract the common median or average of the channels at each sample.
    reference_scope : {"all", "group"}
        Over all channels of the recording, or over each channel's group (shank).
    whiten : bool
        Decorrelate the channels with a whitening matrix estimated from the recording.

    Raises
    ------
    ValueError
        If a setting is out of range (see each attribute).
    """

    enabled: bool = False
    band: str = HIGHPASS
    low_hz: float = 300.0
    high_hz: float = 6000.0
    order: int = 3
    reference: str = NO_REFERENCE
    reference_scope: str = ALL_CHANNELS
    whiten: bool = False

    def __post_init__(self) -> None:
        if self.band not in BANDS:
            raise ValueError(f"band must be one of {BANDS}, got {self.band!r}")
        if self.reference not in REFERENCES:
            raise ValueError(f"reference must be one of {REFERENCES}, got {self.reference!r}")
        if self.reference_scope not in REFERENCE_SCOPES:
            raise ValueError(
                f"reference_scope must be one of {REFERENCE_SCOPES}, got {self.reference_scope!r}"
            )
        if not float(self.low_hz) > 0:
            raise ValueError(f"low_hz must be > 0, got {self.low_hz}")
        if self.band == BANDPASS and not float(self.high_hz) > float(self.low_hz):
            raise ValueError(f"high_hz must be above low_hz ({self.low_hz}), got {self.high_hz}")
        if not 1 <= int(self.order) <= 8:
            raise ValueError(f"order must be in [1, 8], got {self.order}")

    @property
    def is_identity(self) -> bool:
        """Whether the traces are shown as they are (toggled off, or nothing to apply)."""
        return not self.enabled or (
            self.band == NO_BAND and self.reference == NO_REFERENCE and not self.whiten
        )

    def label(self) -> str:
        """A short description for the toolbar and the window title, e.g. ``"300 Hz HP, CMR"``."""
        if self.is_identity:
            return "raw"
        parts = []
        if self.band == HIGHPASS:
            parts.append(f"{self.low_hz:g} Hz HP")
        elif self.band == BANDPASS:
            parts.append(f"{self.low_hz:g}-{self.high_hz:g} Hz")
        if self.reference != NO_REFERENCE:
            name = "CMR" if self.reference == MEDIAN else "CAR"
            parts.append(name + (" by group" if self.reference_scope == BY_GROUP else ""))
        if self.whiten:
            parts.append("whitened")
        return ", ".join(parts)


def design_sos(display_filter: DisplayFilter, sampling_frequency: float) -> np.ndarray | None:
    """Second-order sections of the filter's band at ``sampling_frequency`` (None: no band).

    Raises
    ------
    ValueError
        If a cut-off frequency is not below the Nyquist frequency.
    """
    if display_filter.is_identity or display_filter.band == NO_BAND:
        return None
    from scipy.signal import butter

    nyquist = float(sampling_frequency) / 2
    if display_filter.band == HIGHPASS:
        if not display_filter.low_hz < nyquist:
            raise ValueError(
                f"low_hz ({display_filter.low_hz}) must be below the Nyquist frequency {nyquist}"
            )
        return butter(
            display_filter.order,
            display_filter.low_hz,
            "highpass",
            fs=sampling_frequency,
            output="sos",
        )
    if not display_filter.high_hz < nyquist:
        raise ValueError(
            f"high_hz ({display_filter.high_hz}) must be below the Nyquist frequency {nyquist}"
        )
    band = (display_filter.low_hz, display_filter.high_hz)
    return butter(display_filter.order, band, "bandpass", fs=sampling_frequency, output="sos")


def margin_frames(sos: np.ndarray | None) -> int:
    """Extra samples to filter on each side of a window so that its edges show no transient.

    The slowest pole of the filter, of radius ``r``, shrinks a transient by ``r`` per sample: the
    margin is the number of samples it needs to fall below `SETTLING_TOLERANCE`.

    Parameters
    ----------
    sos : np.ndarray | None
        Second-order sections (None: no filter, no margin).
    """
    if sos is None:
        return 0
    radius = max(float(np.max(np.abs(np.roots(section[3:])))) for section in np.asarray(sos))
    if radius >= 1.0:
        raise ValueError("the filter is unstable (a pole on or outside the unit circle)")
    if radius == 0.0:
        return MIN_MARGIN_FRAMES
    return max(MIN_MARGIN_FRAMES, math.ceil(math.log(SETTLING_TOLERANCE) / math.log(radius)))


def zero_phase_filter(
    traces: np.ndarray, sos: np.ndarray, pad_before: int = 0, pad_after: int = 0
) -> np.ndarray:
    """Filter ``traces`` forward then backward (zero phase), as ``scipy.signal.sosfiltfilt`` does.

    Each pass starts in the filter's steady state for its first sample. The signal is first
    extended by ``pad_before`` / ``pad_after`` samples of its odd reflection (where the segment
    ends and no real samples are left to read); the extension is dropped from the result.

    Parameters
    ----------
    traces : np.ndarray
        ``(num_samples, num_channels)``.
    sos : np.ndarray
        Second-order sections.
    pad_before, pad_after : int
        Samples of odd extension at each end (clamped to ``num_samples - 1``).

    Returns
    -------
    np.ndarray
        ``(num_samples, num_channels)`` float32.
    """
    from scipy.signal import sosfilt, sosfilt_zi

    # channels in rows: each channel's samples are contiguous for the recursive filter
    signal = np.ascontiguousarray(np.asarray(traces, dtype="float32").T)
    num_samples = signal.shape[1]
    if num_samples == 0:
        return np.empty(traces.shape, dtype="float32")
    pad_before = min(max(int(pad_before), 0), num_samples - 1)
    pad_after = min(max(int(pad_after), 0), num_samples - 1)
    if pad_before or pad_after:
        first, last = signal[:, :1], signal[:, -1:]
        parts = []
        if pad_before:
            parts.append(2 * first - signal[:, pad_before:0:-1])
        parts.append(signal)
        if pad_after:
            parts.append(2 * last - signal[:, -2 : -pad_after - 2 : -1])
        signal = np.concatenate(parts, axis=1)
    sections = np.asarray(sos, dtype="float32")
    steady = sosfilt_zi(sos).astype("float32")  # (sections, 2) for a unit step
    initial = steady[:, None, :] * signal[None, :, :1]
    forward, _ = sosfilt(sections, signal, axis=1, zi=initial)
    backward = np.ascontiguousarray(forward[:, ::-1])
    initial = steady[:, None, :] * backward[None, :, :1]
    filtered, _ = sosfilt(sections, backward, axis=1, zi=initial)
    filtered = filtered[:, ::-1]
    filtered = filtered[:, pad_before : filtered.shape[1] - pad_after]
    return np.ascontiguousarray(filtered.T, dtype="float32")


def common_reference(
    traces: np.ndarray,
    mode: str,
    groups: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """Subtract the common median or average of each group's channels, sample by sample.

    Parameters
    ----------
    traces : np.ndarray
        ``(num_samples, num_channels)``.
    mode : {"median", "average"}
    groups : np.ndarray | None
        Group label of each channel (None: one group of all channels).
    exclude : np.ndarray | None
        Boolean per channel: left out of the reference (bad channels), still re-referenced.

    Returns
    -------
    np.ndarray
        float32 re-referenced traces (a new array).

    Raises
    ------
    ValueError
        If ``mode`` is unknown or the per-channel arrays have the wrong length.
    """
    if mode not in (MEDIAN, AVERAGE):
        raise ValueError(f"mode must be 'median' or 'average', got {mode!r}")
    traces = np.asarray(traces, dtype="float32")
    num_channels = traces.shape[1]
    groups = np.zeros(num_channels, dtype="int64") if groups is None else np.asarray(groups)
    exclude = np.zeros(num_channels, dtype=bool) if exclude is None else np.asarray(exclude, bool)
    if groups.shape != (num_channels,) or exclude.shape != (num_channels,):
        raise ValueError(f"groups and exclude must have one value per channel ({num_channels})")
    out = np.array(traces, dtype="float32", copy=True)
    for group in np.unique(groups):
        members = groups == group
        used = np.flatnonzero(members & ~exclude)
        if used.size == 0:
            continue
        # slices where possible: gathering columns costs as much as the median itself
        block = traces if used.size == num_channels else traces[:, used]
        if mode == AVERAGE:
            reference = block.mean(axis=1, dtype="float64").astype("float32")
        else:
            reference = _median_of_rows(block)
        if members.all():
            out -= reference[:, None]
        else:
            out[:, members] -= reference[:, None]
    return out


def _median_of_rows(block: np.ndarray) -> np.ndarray:
    """Median of each row (a partial sort around the middle: several times faster than
    ``np.median``)."""
    count = block.shape[1]
    middle = count // 2
    parted = np.partition(block, middle, axis=1)
    upper = parted[:, middle]
    if count % 2:
        return upper
    # even count: the other middle value is the largest of the lower half
    return (parted[:, :middle].max(axis=1) + upper) / np.float32(2)


@dataclass(frozen=True)
class DisplayContext:
    """What filtering a recording's window needs besides the window, computed once per recording.

    Attributes
    ----------
    display_filter : DisplayFilter
    sos : np.ndarray | None
        The band filter at the recording's sampling frequency.
    margin : int
        Extra frames read on each side (0 without a band filter).
    groups : np.ndarray
        Reference group of each channel (recording order).
    bad : np.ndarray
        Boolean per channel: the ``bad_channel`` property (all False without it).
    whitening : np.ndarray | None
        ``(channels, channels)`` matrix applied after the reference when whitening.
    """

    display_filter: DisplayFilter
    sos: np.ndarray | None
    margin: int
    groups: np.ndarray
    bad: np.ndarray
    whitening: np.ndarray | None = None

    @classmethod
    def for_recording(
        cls, recording, display_filter: DisplayFilter, whitening: np.ndarray | None = None
    ) -> DisplayContext:
        """The context of ``recording`` (``whitening``: from `estimate_whitening`).

        Raises
        ------
        ValueError
            If the filter does not fit the sampling frequency, or whitening is asked for
            without a matrix of the recording's channel count.
        """
        sos = design_sos(display_filter, recording.get_sampling_frequency())
        num_channels = recording.get_num_channels()
        if display_filter.reference_scope == BY_GROUP and "group" in recording.get_property_keys():
            groups = np.asarray(recording.get_property("group"))
        else:
            groups = np.zeros(num_channels, dtype="int64")
        bad = recording.get_property(BAD_CHANNEL_PROPERTY)
        bad = np.zeros(num_channels, bool) if bad is None else np.asarray(bad, dtype=bool)
        needs_whitening = display_filter.whiten and not display_filter.is_identity
        if needs_whitening and (whitening is None or whitening.shape != (num_channels,) * 2):
            raise ValueError(
                f"whitening must be a ({num_channels}, {num_channels}) matrix from "
                "estimate_whitening when display_filter.whiten is set"
            )
        return cls(
            display_filter,
            sos,
            margin_frames(sos),
            groups,
            bad,
            whitening if needs_whitening else None,
        )


def read_display_traces(
    recording,
    segment_index: int,
    start_frame: int,
    end_frame: int,
    channel_ids,
    context: DisplayContext,
    return_scaled: bool,
) -> np.ndarray:
    """A window of traces as the view shows it: filtered, re-referenced, whitened per ``context``.

    Parameters
    ----------
    recording : BaseRecording
    segment_index, start_frame, end_frame : int
        The window (clamped to the segment).
    channel_ids : sequence | None
        Channels wanted, in order (None: all). The reference and the whitening use the
        channels they need whatever is asked.
    context : DisplayContext
        From `DisplayContext.for_recording`.
    return_scaled : bool
        Filter µV rather than raw values.

    Returns
    -------
    np.ndarray
        ``(frames, channels)`` float32; the raw traces as float32 when the filter is off.
    """
    settings = context.display_filter
    num_samples = recording.get_num_samples(segment_index)
    start = min(max(int(start_frame), 0), num_samples)
    end = min(max(int(end_frame), start), num_samples)
    all_ids = recording.channel_ids
    wanted = (
        np.arange(len(all_ids)) if channel_ids is None else recording.ids_to_indices(channel_ids)
    )
    wanted = np.asarray(wanted)
    if settings.is_identity:
        traces = recording.get_traces(
            segment_index=segment_index,
            start_frame=start,
            end_frame=end,
            channel_ids=all_ids[wanted],
            return_scaled=return_scaled,
        )
        return np.asarray(traces, dtype="float32")
    read = _channels_to_read(wanted, context)
    margin = context.margin
    first, stop = max(start - margin, 0), min(end + margin, num_samples)
    traces = recording.get_traces(
        segment_index=segment_index,
        start_frame=first,
        end_frame=stop,
        channel_ids=all_ids[read],
        return_scaled=return_scaled,
    )
    if context.sos is not None and stop > first:
        pad_before = margin - (start - first)
        pad_after = margin - (stop - end)
        traces = zero_phase_filter(traces, context.sos, pad_before, pad_after)
    traces = np.asarray(traces[start - first : end - first], dtype="float32")
    if settings.reference != NO_REFERENCE:
        traces = common_reference(
            traces, settings.reference, context.groups[read], context.bad[read]
        )
    if context.whitening is not None:
        traces = traces @ context.whitening  # all channels were read, in recording order
    position = np.full(len(all_ids), -1)
    position[read] = np.arange(read.size)
    return np.ascontiguousarray(traces[:, position[wanted]])


def _channels_to_read(wanted: np.ndarray, context: DisplayContext) -> np.ndarray:
    """Recording indices to read: the wanted channels, their whole groups when re-referencing,
    everything when whitening (sorted)."""
    settings = context.display_filter
    if context.whitening is not None or (
        settings.reference != NO_REFERENCE and settings.reference_scope == ALL_CHANNELS
    ):
        return np.arange(context.groups.size)
    if settings.reference != NO_REFERENCE:
        return np.flatnonzero(np.isin(context.groups, context.groups[wanted]))
    return np.unique(wanted)


def estimate_whitening(
    recording,
    segment_index: int,
    display_filter: DisplayFilter,
    return_scaled: bool,
    num_chunks: int = 8,
    chunk_frames: int = 3000,
    seed: int = 0,
) -> np.ndarray:
    """A whitening matrix of the recording's channels, estimated once from a few chunks.

    The chunks, spread at random over the segment, are filtered and re-referenced as the view
    shows them; the matrix is the symmetric (ZCA) inverse square root of their covariance,
    regularised by a thousandth of its mean eigenvalue, and scaled so that whitened traces keep
    the median noise level of the channels (they stay readable in the view's units). Bad
    channels are left out and pass through unchanged.

    Parameters
    ----------
    recording : BaseRecording
    segment_index : int
    display_filter : DisplayFilter
        Its band and reference are applied before estimating (its ``whiten`` is ignored).
    return_scaled : bool
        Estimate on µV (as the view will apply it).
    num_chunks, chunk_frames : int
        How much is read (8 x 3000 frames: 0.8 s at 30 kHz).
    seed : int
        Of the chunk positions.

    Returns
    -------
    np.ndarray
        ``(channels, channels)`` float32 matrix for ``traces @ matrix``.

    Raises
    ------
    ValueError
        If ``num_chunks`` or ``chunk_frames`` is below 1.
    """
    if num_chunks < 1 or chunk_frames < 1:
        raise ValueError(
            f"num_chunks and chunk_frames must be >= 1, got {num_chunks}, {chunk_frames}"
        )
    from dataclasses import replace

    settings = replace(display_filter, enabled=True, whiten=False)
    context = DisplayContext.for_recording(recording, settings)
    num_samples = recording.get_num_samples(segment_index)
    chunk_frames = min(int(chunk_frames), num_samples)
    rng = np.random.default_rng(seed)
    starts = np.sort(rng.integers(0, num_samples - chunk_frames + 1, size=num_chunks))
    chunks = [
        read_display_traces(
            recording, segment_index, start, start + chunk_frames, None, context, return_scaled
        )
        for start in starts
    ]
    data = np.concatenate(chunks, axis=0).astype("float64")
    good = np.flatnonzero(~context.bad)
    data = data[:, good] - data[:, good].mean(axis=0)
    covariance = data.T @ data / max(data.shape[0] - 1, 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    epsilon = 1e-3 * max(float(eigenvalues.mean()), np.finfo("float64").tiny)
    inverse_root = (eigenvectors / np.sqrt(np.maximum(eigenvalues, 0) + epsilon)) @ eigenvectors.T
    noise = float(np.median(np.sqrt(np.diag(covariance)))) or 1.0
    matrix = np.eye(recording.get_num_channels())
    matrix[np.ix_(good, good)] = inverse_root * noise
    return matrix.astype("float32")
