"""Recording tools: random chunks, noise levels, chunks with margins, channel distances and order.

These follow SpikeInterface 0.100's ``spikeinterface.core.recording_tools`` (API.md §13), with its
random draws (same chunks for the same seed). Where 0.100 asserts, they raise a ``ValueError`` that
names the argument; where it crashes (a chunk exactly as long as the space between the margins) they
give the only possible answer; ``get_chunk_with_margin`` also applies ``dtype`` without padding.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from ..jobs import get_global_job_kwargs
from ..jobs.job_kwargs import POOL_ENGINES
from .base import BaseRecording, BaseRecordingSegment

# median(|x - median(x)|) of a standard normal; hard-coded so that core does not need scipy.
_MAD_TO_STD = 0.6744897501960817
_NOISE_METHODS = ("mad", "std")
# get_noise_levels keyword arguments that choose where the chunks are read, not which
_JOB_KWARGS = ("pool_engine", "dask_client", "progress_callback", "cancel_token")
_AXES = "xyz"


# ---------------------------------------------------------------------- random chunks and noise
def get_random_data_chunks(
    recording: BaseRecording,
    return_scaled: bool = False,
    num_chunks_per_segment: int = 20,
    chunk_size: int = 10000,
    concatenated: bool = True,
    seed: int | None = 0,
    margin_frames: int = 0,
) -> np.ndarray | list[np.ndarray]:
    """Read chunks of traces at random positions of every segment.

    Parameters
    ----------
    recording : BaseRecording
        The recording to sample.
    return_scaled : bool
        Read traces in µV (needs gains and offsets).
    num_chunks_per_segment : int
        Chunks drawn in each segment.
    chunk_size : int
        Samples per chunk. A size larger than the shortest segment allows (``num_samples -
        2 * margin_frames``) is reduced to that limit minus one, with a warning.
    concatenated : bool
        Return one array instead of a list of chunks.
    seed : int | None
        Seed of ``np.random.default_rng`` that draws the chunk starts.
    margin_frames : int
        Samples kept clear at both ends of each segment.

    Returns
    -------
    np.ndarray | list of np.ndarray
        ``(num_segments * num_chunks_per_segment * chunk_size, num_channels)`` when
        ``concatenated``, else the list of ``(chunk_size, num_channels)`` chunks, segment by
        segment.

    Raises
    ------
    ValueError
        If a count or size is not positive, ``margin_frames`` is negative, or a segment is too
        short for ``margin_frames``.
    """
    positions = _random_chunk_positions(
        recording, num_chunks_per_segment, chunk_size, seed, margin_frames
    )
    chunks = [
        _read_random_chunk(*position, {"recording": recording, "return_scaled": return_scaled})
        for position in positions
    ]
    return np.concatenate(chunks, axis=0) if concatenated else chunks


def _random_chunk_positions(
    recording: BaseRecording,
    num_chunks_per_segment: int,
    chunk_size: int,
    seed: int | None,
    margin_frames: int,
) -> list[tuple[int, int, int]]:
    """``(segment_index, start_frame, end_frame)`` of the random chunks, segment by segment."""
    num_chunks_per_segment = _check_int(num_chunks_per_segment, "num_chunks_per_segment", 1)
    chunk_size = _check_int(chunk_size, "chunk_size", 1)
    margin_frames = _check_int(margin_frames, "margin_frames", 0)
    chunk_size = _fit_chunk_size(recording, chunk_size, margin_frames)

    rng = np.random.default_rng(seed)
    positions = []
    for segment_index in range(recording.get_num_segments()):
        starts = _random_starts(
            rng,
            recording.get_num_samples(segment_index),
            chunk_size,
            margin_frames,
            num_chunks_per_segment,
        )
        positions.extend((segment_index, int(start), int(start) + chunk_size) for start in starts)
    return positions


def _init_random_chunk_reader(recording: BaseRecording, return_scaled: bool) -> dict:
    return {"recording": recording, "return_scaled": return_scaled}


def _read_random_chunk(segment_index: int, start_frame: int, end_frame: int, ctx: dict):
    return ctx["recording"].get_traces(
        segment_index=segment_index,
        start_frame=start_frame,
        end_frame=end_frame,
        return_scaled=ctx["return_scaled"],
    )


def _random_chunks_on_dask(
    recording: BaseRecording,
    return_scaled: bool,
    job_kwargs: dict,
    num_chunks_per_segment: int = 20,
    chunk_size: int = 10000,
    seed: int | None = 0,
    margin_frames: int = 0,
) -> np.ndarray:
    """`get_random_data_chunks` (concatenated) with one Dask task per chunk."""
    from ..jobs.dask_engine import run_chunks_on_dask

    positions = _random_chunk_positions(
        recording, num_chunks_per_segment, chunk_size, seed, margin_frames
    )
    chunks: list[np.ndarray] = []
    progress_callback = job_kwargs.get("progress_callback")
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if progress_callback is not None:
            progress_callback(done, len(positions))

    run_chunks_on_dask(
        positions,
        _read_random_chunk,
        _init_random_chunk_reader,
        (recording, return_scaled),
        chunks.append,
        advance,
        job_name="noise_levels",
        dask_client=job_kwargs.get("dask_client"),
        cancel_token=job_kwargs.get("cancel_token"),
    )
    return np.concatenate(chunks, axis=0)


def _fit_chunk_size(recording: BaseRecording, chunk_size: int, margin_frames: int) -> int:
    """Shrink ``chunk_size`` to what every segment allows, as SpikeInterface does."""
    for segment_index in range(recording.get_num_segments()):
        num_samples = recording.get_num_samples(segment_index)
        limit = num_samples - 2 * margin_frames
        if chunk_size > limit:
            chunk_size = limit - 1
            if chunk_size < 1:
                raise ValueError(
                    f"segment {segment_index} has {num_samples} samples: too short for "
                    f"margin_frames={margin_frames} (chunks need at least 2 samples between the "
                    "margins)"
                )
            warnings.warn(
                f"chunk_size is greater than the number of samples for segment index "
                f"{segment_index}. Using {chunk_size}."
            )
    return chunk_size


def _random_starts(
    rng: np.random.Generator, num_samples: int, chunk_size: int, margin: int, count: int
) -> np.ndarray:
    """``count`` chunk starts in ``[margin, num_samples - chunk_size - margin)``."""
    low, high = margin, num_samples - chunk_size - margin
    if high <= low:  # the chunk fills the space between the margins: one possible start
        return np.full(count, low, dtype=np.int64)
    return rng.integers(low=low, high=high, size=count)


def get_noise_levels(
    recording: BaseRecording,
    return_scaled: bool = True,
    method: Literal["mad", "std"] = "mad",
    force_recompute: bool = False,
    **random_chunk_kwargs,
) -> np.ndarray:
    """Per-channel noise level estimated on random chunks, cached in a channel property.

    Parameters
    ----------
    recording : BaseRecording
        The recording.
    return_scaled : bool
        Estimate in µV (needs the ``gain_to_uV`` and ``offset_to_uV`` properties); pass False
        for recordings without gains, such as ``generate_recording()`` output.
    method : {"mad", "std"}
        ``"mad"``: median absolute deviation scaled to a standard deviation (robust to spikes);
        ``"std"``: standard deviation.
    force_recompute : bool
        Ignore the cached value.
    **random_chunk_kwargs
        Passed to `get_random_data_chunks` (``num_chunks_per_segment``, ``chunk_size``,
        ``seed``, ...). Also ``pool_engine="dask"`` (or set globally with
        `set_global_job_kwargs`) to read the chunks on a Dask cluster, one task per chunk, with
        ``dask_client``, ``progress_callback(done, total)`` and ``cancel_token``; the result
        is the same.

    Returns
    -------
    np.ndarray
        One value per channel. Also stored in the property ``noise_level_{method}_scaled`` (or
        ``_raw``), which later calls return unless ``force_recompute``.

    Raises
    ------
    ValueError
        If ``method`` is unknown, or ``return_scaled`` is True for a recording without gains.
    """
    job_kwargs = {k: random_chunk_kwargs.pop(k) for k in _JOB_KWARGS if k in random_chunk_kwargs}
    if method not in _NOISE_METHODS:
        raise ValueError(f"method must be 'mad' or 'std', got {method!r}")
    key = f"noise_level_{method}_{'scaled' if return_scaled else 'raw'}"
    cached = recording.get_property(key)
    if cached is not None and not force_recompute:
        return cached
    if return_scaled and not recording.has_scaled():
        raise ValueError(
            "get_noise_levels(return_scaled=True) needs the gain_to_uV and offset_to_uV channel "
            "properties, which this recording does not have: pass return_scaled=False to get "
            "noise levels in raw units"
        )
    pool_engine = job_kwargs.get("pool_engine") or get_global_job_kwargs().get("pool_engine")
    if pool_engine is not None and pool_engine not in POOL_ENGINES:
        raise ValueError(f"pool_engine must be one of {POOL_ENGINES}, got {pool_engine!r}")
    if pool_engine == "dask":
        chunks = [
            _random_chunks_on_dask(recording, return_scaled, job_kwargs, **random_chunk_kwargs)
        ]
    else:
        random_chunk_kwargs["concatenated"] = False
        chunks = get_random_data_chunks(
            recording, return_scaled=return_scaled, **random_chunk_kwargs
        )
    noise_levels = _noise_by_channel_block(chunks, method)
    recording.set_property(key, noise_levels)
    return noise_levels


#: Channels whose noise is computed together: the chunks are never concatenated for all
#: channels at once (384 channels of 20 chunks of 10,000 samples are 300 MB of float32, and
#: the medians copy them several times).
_NOISE_CHANNEL_BLOCK = 8


def _noise_by_channel_block(chunks: list[np.ndarray], method: str) -> np.ndarray:
    """Noise level of each channel of ``(samples, channels)`` chunks; MAD a block of channels
    at a time (medians are exact whatever the blocks; a float32 sum is not: std in one go)."""
    if method != "mad":
        return np.std(np.concatenate(chunks, axis=0), axis=0)
    num_channels = chunks[0].shape[1]
    levels = [
        _mad_noise(np.concatenate([c[:, first : first + _NOISE_CHANNEL_BLOCK] for c in chunks]))
        for first in range(0, num_channels, _NOISE_CHANNEL_BLOCK)
    ]
    return np.concatenate(levels) if levels else _mad_noise(np.concatenate(chunks, axis=0))


def _mad_noise(traces: np.ndarray) -> np.ndarray:
    # one contiguous row per channel: medians partition rows about twice as fast as columns
    channels = np.ascontiguousarray(traces.T)
    median = np.median(channels, axis=1, keepdims=True)
    return np.median(np.abs(channels - median), axis=1) / _MAD_TO_STD


# ---------------------------------------------------------------------- chunks with margins
def get_chunk_with_margin(
    rec_segment: BaseRecordingSegment,
    start_frame: int | None,
    end_frame: int | None,
    channel_indices,
    margin: int,
    add_zeros: bool = False,
    add_reflect_padding: bool = False,
    window_on_margin: bool = False,
    dtype=None,
) -> tuple[np.ndarray, int, int]:
    """Read ``[start_frame, end_frame)`` of a segment plus ``margin`` samples on both sides.

    Parameters
    ----------
    rec_segment : BaseRecordingSegment
        A recording **segment** (not a recording).
    start_frame, end_frame : int | None
        The chunk; None means the start / end of the segment. With padding, ``end_frame`` may
        lie past the segment (what is past it is padding).
    channel_indices : slice | array-like | None
        Channels to read (None: all).
    margin : int
        Samples wanted on each side of the chunk.
    add_zeros : bool
        Always return ``end - start + 2 * margin`` samples, zeros where the margin falls outside
        the segment.
    add_reflect_padding : bool
        Like ``add_zeros`` but the outside is a reflection of the data (``np.pad`` "reflect").
    window_on_margin : bool
        Multiply both margins by a raised-cosine taper rising from 0 to the chunk (needs
        ``add_zeros``).
    dtype : numpy dtype-like | None
        Cast the result to this dtype.

    Returns
    -------
    traces : np.ndarray
        ``(num_samples, num_channels)``.
    left_margin, right_margin : int
        Samples before and after the chunk in ``traces``. Without padding they shrink at the
        segment's edges; with padding they are ``margin`` (the right one grows when
        ``end_frame`` lies a margin or more past the segment, as in SpikeInterface).

    Raises
    ------
    ValueError
        If ``margin`` is negative, the frames are outside the segment or reversed, both paddings
        are asked for, or ``window_on_margin`` is used without ``add_zeros``.
    """
    margin = _check_int(margin, "margin", 0)
    if add_zeros and add_reflect_padding:
        raise ValueError("add_zeros and add_reflect_padding cannot both be True")
    if window_on_margin and not add_zeros:
        raise ValueError("window_on_margin requires add_zeros=True")
    num_samples = int(rec_segment.get_num_samples())
    padded = add_zeros or add_reflect_padding
    start, end = _resolve_chunk(start_frame, end_frame, num_samples, beyond_end=padded)
    if padded:
        traces = _padded_chunk(
            rec_segment, start, end, channel_indices, margin, add_zeros, window_on_margin, dtype
        )
        # as SpikeInterface: a chunk ending a margin or more past the segment reports all its
        # padding after the data as right margin
        right_margin = margin if end < num_samples + margin else end + margin - num_samples
        return traces, margin, right_margin
    # as in SpikeInterface, a None bound is the segment's edge: no margin is read beyond it
    left_margin = 0 if start_frame is None else min(margin, start)
    right_margin = 0 if end_frame is None else min(margin, num_samples - end)
    traces = rec_segment.get_traces(start - left_margin, end + right_margin, channel_indices)
    if dtype is not None:
        traces = traces.astype(dtype, copy=False)
    return traces, left_margin, right_margin


def _resolve_chunk(
    start_frame: int | None, end_frame: int | None, num_samples: int, beyond_end: bool = False
) -> tuple[int, int]:
    """Checked ``(start, end)``; with ``beyond_end`` (padding) ``end`` may pass the segment."""
    start = 0 if start_frame is None else int(start_frame)
    end = num_samples if end_frame is None else int(end_frame)
    if not 0 <= start <= num_samples:
        raise ValueError(f"start_frame {start} is outside the segment (0..{num_samples})")
    if end < start or (end > num_samples and not beyond_end):
        raise ValueError(f"end_frame {end} must be in [start_frame={start}, {num_samples}]")
    return start, end


def _padded_chunk(
    rec_segment: BaseRecordingSegment,
    start: int,
    end: int,
    channel_indices,
    margin: int,
    add_zeros: bool,
    window_on_margin: bool,
    dtype,
) -> np.ndarray:
    """The chunk with full margins, padded with zeros or a reflection outside the segment."""
    num_samples = int(rec_segment.get_num_samples())
    left_pad = max(margin - start, 0)
    right_pad = max(end + margin - num_samples, 0)
    traces = rec_segment.get_traces(
        start - margin + left_pad, end + margin - right_pad, channel_indices
    )
    if not (dtype is not None or window_on_margin or left_pad or right_pad):
        return traces  # nothing to pad, cast or taper: no copy
    dtype = traces.dtype if dtype is None else np.dtype(dtype)
    if not add_zeros:
        return np.pad(traces.astype(dtype), [(left_pad, right_pad), (0, 0)], mode="reflect")
    padded = np.zeros((end - start + 2 * margin, traces.shape[1]), dtype=dtype)
    padded[left_pad : left_pad + traces.shape[0]] = traces
    if window_on_margin and margin > 0:
        taper = _raised_cosine_taper(margin)[:, np.newaxis]
        # assignment rather than *= so that integer buffers take the (truncated) float product
        padded[:margin] = padded[:margin] * taper
        padded[-margin:] = padded[-margin:] * taper[::-1]
    return padded


def _raised_cosine_taper(size: int) -> np.ndarray:
    """``(1 - cos(pi * i / size)) / 2`` for ``i`` in ``0..size-1``: rises from 0 towards 1."""
    return (1 - np.cos(np.arange(size) / size * np.pi)) / 2


# ---------------------------------------------------------------------- channel geometry
def get_channel_distances(recording: BaseRecording) -> np.ndarray:
    """Euclidean distances between channel locations.

    Parameters
    ----------
    recording : BaseRecording
        A recording with a probe or channel locations.

    Returns
    -------
    np.ndarray
        ``(num_channels, num_channels)`` float64, in µm.
    """
    return _distance_matrix(recording.get_channel_locations())


def _distance_matrix(locations: np.ndarray) -> np.ndarray:
    return np.linalg.norm(locations[:, np.newaxis, :] - locations[np.newaxis, :, :], axis=2)


def get_closest_channels(
    recording: BaseRecording, channel_ids=None, num_channels: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each channel, the nearest other channels, nearest first.

    Parameters
    ----------
    recording : BaseRecording
        A recording with a probe or channel locations.
    channel_ids : array-like | None
        Channels to consider (None: all).
    num_channels : int | None
        Neighbours per channel; default all the others (``n - 1``).

    Returns
    -------
    indices : np.ndarray
        ``(n, num_channels)`` positions within ``channel_ids`` (or all channels); a channel
        never lists itself. Ties keep channel order.
    distances : np.ndarray
        ``(n, num_channels)`` the matching distances in µm.

    Raises
    ------
    ValueError
        If ``num_channels`` is negative or larger than ``n - 1``.
    """
    locations = recording.get_channel_locations(channel_ids=channel_ids)
    count = locations.shape[0]
    if num_channels is None:
        num_channels = max(count - 1, 0)
    num_channels = _check_int(num_channels, "num_channels", 0)
    if num_channels > max(count - 1, 0):
        raise ValueError(
            f"num_channels is {num_channels} but each of the {count} channels has only "
            f"{max(count - 1, 0)} other channels"
        )
    distances = _distance_matrix(locations)
    ranking = distances.copy()
    np.fill_diagonal(ranking, np.inf)  # a channel is never its own neighbour, even at distance 0
    indices = np.argsort(ranking, axis=1, kind="stable")[:, :num_channels]
    return indices, np.take_along_axis(distances, indices, axis=1)


def order_channels_by_depth(
    recording: BaseRecording,
    channel_ids=None,
    dimensions: str | tuple[str, ...] = ("x", "y"),
    flip: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Order channels by their location.

    Parameters
    ----------
    recording : BaseRecording
        A recording with a probe or channel locations.
    channel_ids : array-like | None
        Channels to order (None: all).
    dimensions : str | tuple of str
        ``"x"``, ``"y"`` or ``"z"``, or several of them: sorted like ``np.lexsort``, so the
        **last** listed dimension is the primary key (the default ``("x", "y")`` orders by depth,
        then by x). Ties keep channel order.
    flip : bool
        Reverse the order (deepest first with the default dimensions).

    Returns
    -------
    order_f : np.ndarray
        Channel positions in sorted order: ``locations[order_f]`` is sorted.
    order_r : np.ndarray
        The inverse permutation: ``order_f[order_r]`` is ``0..n-1``.

    Raises
    ------
    ValueError
        If ``dimensions`` names an unknown axis or one the locations do not have.
    """
    axes = _check_dimensions(dimensions)
    try:
        locations = recording.get_channel_locations(channel_ids=channel_ids, axes=axes)
    except ValueError as error:
        raise ValueError(f"dimensions {dimensions!r}: {error}") from None
    order_f = np.lexsort([locations[:, column] for column in range(len(axes))])
    if flip:
        order_f = order_f[::-1]
    order_r = np.argsort(order_f, kind="stable")
    return order_f, order_r


def _check_dimensions(dimensions) -> str:
    """The axes of ``dimensions`` as a string (e.g. ``"xy"``), checked."""
    names = (dimensions,) if isinstance(dimensions, str) else dimensions
    valid = isinstance(names, tuple | list) and len(names) > 0
    if not valid or not all(isinstance(n, str) and len(n) == 1 and n in _AXES for n in names):
        raise ValueError(f"dimensions must be 'x', 'y', 'z' or a tuple of them, got {dimensions!r}")
    return "".join(names)


# ---------------------------------------------------------------------- probes and attributes
def check_probe_do_not_overlap(probes: list) -> None:
    """Check that no contact of a probe lies inside another probe's x/y bounding box.

    Channel locations of several probes can be stacked only when the probes do not overlap.

    Parameters
    ----------
    probes : list of probeinterface.Probe

    Raises
    ------
    ValueError
        If two probes overlap (SpikeInterface raises a plain ``Exception``).
    """
    for i, probe in enumerate(probes):
        low = probe.contact_positions[:, :2].min(axis=0)
        high = probe.contact_positions[:, :2].max(axis=0)
        for other in probes[i + 1 :]:
            inside = np.all(
                (other.contact_positions[:, :2] > low) & (other.contact_positions[:, :2] < high),
                axis=1,
            )
            if inside.any():
                raise ValueError(
                    "Probes are overlapping! Retrieve locations of single probes separately"
                )


def get_rec_attributes(recording: BaseRecording) -> dict:
    """What a WaveformExtractor keeps of a recording to work without it.

    Parameters
    ----------
    recording : BaseRecording

    Returns
    -------
    dict
        ``channel_ids``, ``sampling_frequency``, ``num_channels``, ``num_samples`` (list per
        segment), ``is_filtered`` and ``properties`` (copies of every property but
        ``contact_vector``).
    """
    return {
        "channel_ids": recording.channel_ids,
        "sampling_frequency": recording.get_sampling_frequency(),
        "num_channels": recording.get_num_channels(),
        "num_samples": [recording.get_num_samples(i) for i in range(recording.get_num_segments())],
        "is_filtered": recording.is_filtered(),
        "properties": {
            key: np.array(values, copy=True)
            for key, values in recording._properties.items()
            if key != "contact_vector"
        },
    }


# ---------------------------------------------------------------------- argument checks
def _check_int(value, name: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``; ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
