"""Amplitude of every spike on its unit's extremum channel (``compute_spike_amplitudes``).

As SpikeInterface 0.100: each unit's extremum channel and peak shift come from its template;
each spike's amplitude is the trace at ``sample + peak_shift`` (clipped to the segment) on that
channel, in µV when ``return_scaled`` and the recording has gains. The recording is read chunk by
chunk through :class:`~core.jobs.ChunkRecordingExecutor` (threads by default), with progress and
cancel; each spike's value is picked from the chunk's raw traces (for a file, a memory map: only
the pages of the picked samples are read) and scaled as ``get_traces`` scales. The result is kept as the
``spike_amplitudes`` extension: ``amplitude_segment_<i>.npy``, one value per spike of segment
``i`` in spike-vector order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..jobs import CancelToken, ChunkRecordingExecutor, split_job_kwargs
from ..jobs.job_kwargs import default_pool_engine
from ..waveforms.extractor import WaveformExtractor
from ..waveforms.template_tools import (
    get_template_extremum_channel,
    get_template_extremum_channel_peak_shift,
)
from .computed_extension import ComputedExtension
from .correlogram_counts import group_by_unit

__all__ = ["SpikeAmplitudesCalculator", "compute_spike_amplitudes"]

_PEAK_SIGNS = ("neg", "pos", "both")
_OUTPUTS = ("concatenated", "by_unit")


def _init_amplitude_worker(
    recording,
    spikes_by_segment: list[np.ndarray],
    extremum_channels: np.ndarray,
    peak_shifts: np.ndarray,
    return_scaled: bool,
    dtype: np.dtype,
) -> dict[str, Any]:
    context = {
        "recording": recording,
        "spikes_by_segment": spikes_by_segment,
        "extremum_channels": extremum_channels,
        "peak_shifts": peak_shifts,
        "return_scaled": return_scaled,
        "dtype": dtype,
    }
    if return_scaled:
        context["gains"] = recording.get_property("gain_to_uV").astype("float32")
        context["offsets"] = recording.get_property("offset_to_uV").astype("float32")
    return context


def _amplitudes_of_chunk(
    segment_index: int, start_frame: int, end_frame: int, ctx: dict[str, Any]
) -> tuple[int, np.ndarray]:
    """Amplitudes of the spikes in ``[start_frame, end_frame)`` of a segment."""
    recording = ctx["recording"]
    spikes = ctx["spikes_by_segment"][segment_index]
    times = spikes["sample_index"]
    first, last = np.searchsorted(times, [start_frame, end_frame])
    if first == last:
        return segment_index, np.zeros(0, dtype=ctx["dtype"])
    labels = spikes["unit_index"][first:last]
    samples = times[first:last] + ctx["peak_shifts"][labels]
    np.clip(samples, 0, recording.get_num_samples(segment_index) - 1, out=samples)
    channels = ctx["extremum_channels"][labels]
    first = int(samples.min())
    # raw traces of a file are a memory map: only the pages of the picked samples are read
    traces = recording.get_traces(
        segment_index=segment_index, start_frame=first, end_frame=int(samples.max()) + 1
    )
    values = np.asarray(traces[samples - first, channels])
    if ctx["return_scaled"]:
        # as get_traces(return_scaled=True): float32 raw * gain + offset
        values = values.astype("float32") * ctx["gains"][channels] + ctx["offsets"][channels]
    return segment_index, values.astype(ctx["dtype"], copy=False)


class SpikeAmplitudesCalculator(ComputedExtension):
    """Spike amplitudes kept as the ``spike_amplitudes`` extension.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    """

    extension_name = "spike_amplitudes"

    @classmethod
    def _check_params(
        cls, waveform_extractor: WaveformExtractor, peak_sign: str = "neg", return_scaled=True
    ) -> dict:
        if peak_sign not in _PEAK_SIGNS:
            raise ValueError(f"peak_sign must be 'neg', 'pos' or 'both', got {peak_sign!r}")
        return dict(peak_sign=str(peak_sign), return_scaled=bool(return_scaled))

    @classmethod
    def _compute_data(
        cls,
        waveform_extractor: WaveformExtractor,
        params: dict,
        progress_callback: Callable[[int, int], None] | None = None,
        cancel_token: CancelToken | None = None,
        **job_kwargs,
    ) -> dict:
        we = waveform_extractor
        if not we.has_recording():
            raise ValueError(
                "compute_spike_amplitudes() needs the recording: this WaveformExtractor was "
                "loaded without it (with_recording=False); use set_recording()"
            )
        recording = we.recording
        unit_ids = we.unit_ids
        peak_sign = params["peak_sign"]
        channels = get_template_extremum_channel(we, peak_sign=peak_sign, outputs="index")
        shifts = get_template_extremum_channel_peak_shift(we, peak_sign=peak_sign)
        extremum_channels = np.array([channels[u] for u in unit_ids], dtype="int64")
        peak_shifts = np.array([shifts[u] for u in unit_ids], dtype="int64")
        return_scaled = params["return_scaled"]
        if return_scaled and not recording.has_scaled_traces():
            warnings.warn(
                "the recording has no gain_to_uV/offset_to_uV: amplitudes are in raw units "
                "(return_scaled=False)",
                stacklevel=4,
            )
            return_scaled = False
        dtype = np.dtype("float32") if return_scaled else np.dtype(recording.get_dtype())
        spikes_by_segment = we.sorting.to_spike_vector(concatenated=False)

        default_pool_engine(job_kwargs, "thread")
        _, job_kwargs = split_job_kwargs(job_kwargs)
        executor = ChunkRecordingExecutor(
            recording,
            _amplitudes_of_chunk,
            _init_amplitude_worker,
            (recording, spikes_by_segment, extremum_channels, peak_shifts, return_scaled, dtype),
            handle_returns=True,
            job_name="extract amplitudes",
            progress_callback=progress_callback,
            cancel_token=cancel_token,
            **job_kwargs,
        )
        pieces: list[list[np.ndarray]] = [[] for _ in spikes_by_segment]
        for segment_index, amplitudes in executor.run():
            pieces[segment_index].append(amplitudes)
        return {
            f"amplitude_segment_{i}": np.concatenate(parts) if parts else np.zeros(0, dtype)
            for i, parts in enumerate(pieces)
        }

    def _select_extension_data(self, unit_ids) -> dict:
        sorting = self.waveform_extractor.sorting
        keep = sorting.ids_to_indices(unit_ids)
        data = {}
        for segment_index, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
            name = f"amplitude_segment_{segment_index}"
            data[name] = self._extension_data[name][np.isin(spikes["unit_index"], keep)]
        return data

    def get_data(self, outputs: str = "concatenated") -> list:
        """The amplitudes of every spike.

        Parameters
        ----------
        outputs : {"concatenated", "by_unit"}, default: "concatenated"

        Returns
        -------
        list
            ``"concatenated"``: one array per segment, in spike-vector order;
            ``"by_unit"``: one dict per segment, ``{unit_id: amplitudes in time order}``.
        """
        if outputs not in _OUTPUTS:
            raise ValueError(f"outputs must be 'concatenated' or 'by_unit', got {outputs!r}")
        we = self.waveform_extractor
        names = [f"amplitude_segment_{i}" for i in range(we.get_num_segments())]
        self._require_data(*names)
        amplitudes = [self._extension_data[name] for name in names]
        if outputs == "concatenated":
            return amplitudes
        unit_ids = we.unit_ids
        by_unit = []
        for spikes, values in zip(we.sorting.to_spike_vector(concatenated=False), amplitudes):
            order, bounds = group_by_unit(spikes["unit_index"], len(unit_ids))
            grouped = values[order]
            by_unit.append(
                {unit_id: grouped[bounds[u] : bounds[u + 1]] for u, unit_id in enumerate(unit_ids)}
            )
        return by_unit

    @staticmethod
    def get_extension_function():
        """:func:`compute_spike_amplitudes`."""
        return compute_spike_amplitudes


WaveformExtractor.register_extension(SpikeAmplitudesCalculator)


def compute_spike_amplitudes(
    waveform_extractor: WaveformExtractor,
    load_if_exists: bool = False,
    peak_sign: str = "neg",
    return_scaled: bool = True,
    outputs: str = "concatenated",
    *,
    progress_callback: Callable[[int, int], None] | None = None,
    cancel_token: CancelToken | None = None,
    **job_kwargs,
) -> list:
    """Amplitude of every spike on its unit's extremum channel.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
        Gives the templates (extremum channel and peak shift of each unit) and the recording;
        the result is kept as its ``spike_amplitudes`` extension.
    load_if_exists : bool, default: False
        Return the stored extension if there is one (whatever its parameters).
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        Sign of the peak that defines the extremum channel and the peak shift.
    return_scaled : bool, default: True
        Amplitudes in µV when the recording has gains (else raw, with a warning).
    outputs : {"concatenated", "by_unit"}, default: "concatenated"
        See :meth:`SpikeAmplitudesCalculator.get_data`.
    progress_callback : callable or None, default: None
        ``progress_callback(done_chunks, total_chunks)``.
    cancel_token : CancelToken or None, default: None
        Stops the job between chunks (:class:`~core.jobs.JobCancelled`); nothing is saved.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``, ``pool_engine`` (default
        ``"thread"``)...

    Returns
    -------
    list
        One array per segment (``"concatenated"``) or one ``{unit_id: array}`` per segment
        (``"by_unit"``).

    Raises
    ------
    ValueError
        If the extractor has no recording, or an argument is invalid.
    """
    if outputs not in _OUTPUTS:
        raise ValueError(f"outputs must be 'concatenated' or 'by_unit', got {outputs!r}")
    if not isinstance(waveform_extractor, WaveformExtractor):
        raise TypeError(
            "waveform_extractor must be a WaveformExtractor, got "
            f"{type(waveform_extractor).__name__}"
        )
    extension = SpikeAmplitudesCalculator.compute(
        waveform_extractor,
        load_if_exists,
        dict(peak_sign=peak_sign, return_scaled=return_scaled),
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **job_kwargs,
    )
    return extension.get_data(outputs=outputs)
