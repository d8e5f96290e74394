"""InjectTemplatesRecording: templates added at the spikes of a sorting, lazily.

Nothing is computed at construction. Reading a window finds, by binary search in the sorted spike
vector, the spikes whose template overlaps the window and adds those templates (or the part of
them inside the window) to the parent's traces: any window is the same however the segment is cut
into reads.
"""

from __future__ import annotations

import numpy as np

from ..argument_checks import checked_numeric_dtype, sampling_frequency_mismatch
from ..recording.base import BaseRecording, BaseRecordingSegment
from ..registry import register_extractor_class
from ..sorting.base import BaseSorting
from ..sorting.spike_vector import segment_bounds


class InjectTemplatesRecording(BaseRecording):
    """A recording whose traces are a parent's traces (or zeros) plus a template at every spike.

    Parameters
    ----------
    sorting : BaseSorting
        Spikes to inject; unit ``i`` gets ``templates[i]``.
    templates : array-like
        ``(num_units, num_samples, num_channels)``, or with a last axis of sub-sample versions
        (then ``upsample_vector`` says which version each spike uses).
    nbefore : int | list of int | None
        Samples of the template before the spike sample, one for all units or one per unit;
        None: each template's peak (largest absolute value over channels).
    amplitude_factor : float | array-like | list of array-like | None
        Scale of each spike's template: one number, one per spike (spike-vector order), or one
        array per segment. None: 1.
    parent_recording : BaseRecording | None
        Recording the templates are added to; its metadata (probe, gains...) is copied.
    num_samples : int | list of int | None
        Samples per segment; required without ``parent_recording``, else checked against it.
    upsample_vector : array-like | None
        Version index of each spike (spike-vector order), for 4-D templates.
    check_borders : bool
        Raise if a template sticks out of its segment (otherwise only its inside part is added).
    dtype : numpy dtype-like | None
        Dtype of the traces without ``parent_recording`` (default: the templates' dtype); with
        one, the parent's dtype is used and this must be None or equal to it. The description
        records it when the templates alone would not restore it (JSON stores numbers, not
        their dtype).

    Raises
    ------
    ValueError
        On shapes, counts or sampling frequencies that do not match.
    """

    def __init__(
        self,
        sorting: BaseSorting,
        templates,
        nbefore=None,
        amplitude_factor=None,
        parent_recording: BaseRecording | None = None,
        num_samples=None,
        upsample_vector=None,
        check_borders: bool = False,
        dtype=None,
    ) -> None:
        templates = np.asarray(templates)
        requested_dtype = None if dtype is None else checked_numeric_dtype(dtype)
        if templates.ndim not in (3, 4) or templates.shape[1] == 0:
            raise ValueError(
                "templates must have shape (num_units, num_samples, num_channels[, upsample]), "
                f"got {templates.shape}"
            )
        if sorting.get_num_units() != templates.shape[0]:
            raise ValueError(
                f"templates has {templates.shape[0]} units, the sorting {sorting.get_num_units()}"
            )
        num_segments = sorting.get_num_segments()
        num_channels = templates.shape[2]
        num_samples = _checked_num_samples(num_samples, num_segments)
        if parent_recording is None:
            if num_samples is None:
                raise ValueError("num_samples is required without parent_recording")
            channel_ids = np.arange(num_channels)
            dtype = templates.dtype if requested_dtype is None else requested_dtype
        else:
            parent_num_samples = _parent_num_samples(parent_recording, sorting, num_channels)
            if num_samples is not None and num_samples != parent_num_samples:
                raise ValueError(
                    f"num_samples {num_samples} differs from parent_recording's "
                    f"{parent_num_samples}"
                )
            num_samples = parent_num_samples
            channel_ids, dtype = parent_recording.channel_ids, parent_recording.get_dtype()
            if requested_dtype is not None and requested_dtype != dtype:
                raise ValueError(
                    f"dtype {requested_dtype} differs from parent_recording's dtype {dtype}"
                )
        super().__init__(sorting.sampling_frequency, channel_ids, dtype)

        spikes = sorting.to_spike_vector()
        nbefore = _per_unit_nbefore(nbefore, templates)
        amplitude_factor = _per_spike_amplitudes(amplitude_factor, spikes.size)
        upsample_vector = _checked_upsample_vector(upsample_vector, templates, spikes.size)
        if check_borders:
            _check_borders(spikes, nbefore, templates.shape[1], num_samples)
        bounds = segment_bounds(spikes, num_segments)
        for segment_index in range(num_segments):
            rows = slice(bounds[segment_index], bounds[segment_index + 1])
            self.add_recording_segment(
                InjectTemplatesRecordingSegment(
                    sampling_frequency=self.sampling_frequency,
                    num_samples=num_samples[segment_index],
                    dtype=self.dtype,
                    spikes=spikes[rows],
                    templates=templates,
                    nbefore=nbefore,
                    amplitude_factor=None if amplitude_factor is None else amplitude_factor[rows],
                    upsample_vector=None if upsample_vector is None else upsample_vector[rows],
                    parent_segment=None
                    if parent_recording is None
                    else parent_recording._recording_segments[segment_index],
                )
            )
        if parent_recording is not None:
            parent_recording.copy_metadata(self)
        # SpikeInterface's attributes
        self.templates = templates
        self.nbefore = nbefore
        self.spike_vector = spikes
        self.amplitude_vector = amplitude_factor
        self.upsample_vector = upsample_vector
        self._kwargs = {
            "sorting": sorting,
            "templates": templates,
            "nbefore": nbefore.tolist(),
            "amplitude_factor": amplitude_factor,
            "parent_recording": parent_recording,
            "num_samples": num_samples,
            "upsample_vector": upsample_vector,
            "check_borders": bool(check_borders),
        }
        if parent_recording is None and self.dtype != np.float64:
            self._kwargs["dtype"] = self.dtype.str


class InjectTemplatesRecordingSegment(BaseRecordingSegment):
    """One segment: the parent segment's traces (or zeros) plus the templates of its spikes.

    Parameters
    ----------
    sampling_frequency : float
        Hz.
    num_samples : int
        Samples of the segment.
    dtype : np.dtype
        Dtype of the returned traces.
    spikes : np.ndarray
        This segment's spike vector (sorted by sample).
    templates : np.ndarray
        All templates (3-D or 4-D).
    nbefore : np.ndarray
        Samples before the spike, per unit.
    amplitude_factor, upsample_vector : np.ndarray | None
        Per spike of this segment.
    parent_segment : BaseRecordingSegment | None
        Segment whose traces the templates are added to.
    """

    def __init__(
        self,
        sampling_frequency: float,
        num_samples: int,
        dtype: np.dtype,
        spikes: np.ndarray,
        templates: np.ndarray,
        nbefore: np.ndarray,
        amplitude_factor: np.ndarray | None,
        upsample_vector: np.ndarray | None,
        parent_segment: BaseRecordingSegment | None,
    ) -> None:
        if parent_segment is None:
            super().__init__(sampling_frequency=sampling_frequency)
        else:
            super().__init__(
                sampling_frequency=parent_segment.sampling_frequency,
                t_start=parent_segment.t_start,
                time_vector=parent_segment.time_vector,
            )
        self._num_samples = int(num_samples)
        self._dtype = np.dtype(dtype)
        # from the traces' dtype, not the templates': a description read back from JSON holds
        # float64 templates and must give the same traces
        self._work_dtype = np.result_type(self._dtype, np.float32)
        self._samples = spikes["sample_index"]
        self._units = spikes["unit_index"]
        self._templates = templates
        self._nbefore = nbefore
        self._min_nbefore = int(nbefore.min()) if nbefore.size else 0
        self._max_nbefore = int(nbefore.max()) if nbefore.size else 0
        self._amplitudes = amplitude_factor
        self._versions = upsample_vector
        self._parent_segment = parent_segment

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        start = 0 if start_frame is None else int(start_frame)
        end = self._num_samples if end_frame is None else min(int(end_frame), self._num_samples)
        channels = slice(None) if channel_indices is None else channel_indices
        if self._parent_segment is None:
            num_selected = np.arange(self._templates.shape[2])[channels].size
            traces = np.zeros((end - start, num_selected), dtype=self._work_dtype)
        else:  # a copy: the parent's array (e.g. in memory) must never be modified
            parent = self._parent_segment.get_traces(start, end, channel_indices)
            traces = np.array(parent, dtype=self._work_dtype, copy=True)
        templates = self._templates[:, :, channels]
        width = templates.shape[1]
        # Spike s of unit u covers [s - nbefore[u], s - nbefore[u] + width): this search range
        # holds every spike overlapping [start, end) whatever its unit.
        low = np.searchsorted(self._samples, start - width + self._min_nbefore, side="right")
        high = np.searchsorted(self._samples, end + self._max_nbefore, side="left")
        units = self._units[low:high]
        firsts = (self._samples[low:high] - self._nbefore[units]).tolist()
        versions = None if self._versions is None else self._versions[low:high].tolist()
        amplitudes = None if self._amplitudes is None else self._amplitudes[low:high].tolist()
        for i, (unit, first) in enumerate(zip(units.tolist(), firsts)):
            a, b = max(first, start), min(first + width, end)
            if b <= a:
                continue
            waveform = templates[unit, a - first : b - first]
            if versions is not None:
                waveform = waveform[..., versions[i]]
            if amplitudes is not None:
                waveform = waveform * amplitudes[i]
            traces[a - start : b - start] += waveform
        if self._dtype.kind in "iu":
            np.rint(traces, out=traces)
        return traces.astype(self._dtype, copy=False)


inject_templates = InjectTemplatesRecording


# ---------------------------------------------------------------------- argument checks
def _checked_num_samples(num_samples, num_segments: int) -> list[int] | None:
    if num_samples is None:
        return None
    values = [int(n) for n in np.atleast_1d(num_samples)]
    if len(values) != num_segments or min(values) < 0:
        raise ValueError(
            f"num_samples must give {num_segments} non-negative sample counts, got {num_samples}"
        )
    return values


def _parent_num_samples(
    parent_recording: BaseRecording, sorting: BaseSorting, num_channels: int
) -> list[int]:
    if parent_recording.get_num_channels() != num_channels:
        raise ValueError(
            f"templates have {num_channels} channels, parent_recording "
            f"{parent_recording.get_num_channels()}"
        )
    if parent_recording.get_num_segments() != sorting.get_num_segments():
        raise ValueError(
            f"parent_recording has {parent_recording.get_num_segments()} segments, the sorting "
            f"{sorting.get_num_segments()}"
        )
    if not np.isclose(parent_recording.sampling_frequency, sorting.sampling_frequency):
        raise ValueError(
            sampling_frequency_mismatch(
                "parent_recording",
                parent_recording.sampling_frequency,
                "the sorting",
                sorting.sampling_frequency,
            )
        )
    return [parent_recording.get_num_samples(i) for i in range(sorting.get_num_segments())]


def _per_unit_nbefore(nbefore, templates: np.ndarray) -> np.ndarray:
    num_units, width = templates.shape[:2]
    if nbefore is None:
        peak = np.abs(templates).max(axis=(2, 3) if templates.ndim == 4 else 2)
        return np.argmax(peak, axis=1).astype("int64")
    values = np.asarray(nbefore, dtype="int64")
    if values.ndim == 0:
        values = np.full(num_units, values.item(), dtype="int64")
    if values.shape != (num_units,) or values.min() < 0 or values.max() >= width:
        raise ValueError(
            f"nbefore must be one or {num_units} sample counts in [0, {width}), got {nbefore}"
        )
    return values


def _per_spike_amplitudes(amplitude_factor, num_spikes: int) -> np.ndarray | None:
    if amplitude_factor is None:
        return None
    if isinstance(amplitude_factor, list | tuple) and all(
        np.ndim(a) == 1 for a in amplitude_factor
    ):
        amplitude_factor = np.concatenate([np.asarray(a) for a in amplitude_factor] or [[]])
    values = np.asarray(amplitude_factor, dtype="float64")
    if values.ndim == 0:
        values = np.full(num_spikes, values.item())
    if values.shape != (num_spikes,):
        raise ValueError(
            f"amplitude_factor must be one number or one per spike ({num_spikes}), "
            f"got shape {values.shape}"
        )
    return values


def _checked_upsample_vector(upsample_vector, templates: np.ndarray, num_spikes: int):
    if templates.ndim == 3:
        if upsample_vector is not None:
            raise ValueError("upsample_vector needs 4-D templates (with an upsample axis)")
        return None
    if upsample_vector is None:
        raise ValueError("4-D templates need an upsample_vector (one version per spike)")
    values = np.asarray(upsample_vector, dtype="int64")
    if values.shape != (num_spikes,):
        raise ValueError(f"upsample_vector must have one value per spike ({num_spikes})")
    if values.size and (values.min() < 0 or values.max() >= templates.shape[3]):
        raise ValueError(f"upsample_vector values must be in [0, {templates.shape[3]})")
    return values


def _check_borders(spikes: np.ndarray, nbefore: np.ndarray, width: int, num_samples) -> None:
    first = spikes["sample_index"] - nbefore[spikes["unit_index"]]
    limits = np.asarray(num_samples, dtype="int64")[spikes["segment_index"]]
    outside = (first < 0) | (first + width > limits)
    if outside.any():
        raise ValueError(
            f"check_borders: {int(outside.sum())} spikes have templates outside their segment "
            f"(first at sample {int(spikes['sample_index'][np.argmax(outside)])})"
        )


register_extractor_class(
    InjectTemplatesRecording, "spikeinterface.core.generate.InjectTemplatesRecording"
)
