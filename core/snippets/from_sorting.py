"""Snippets cut from a recording at a sorting's spikes, and generated snippets."""

from __future__ import annotations

import numpy as np

from ..argument_checks import sampling_frequency_mismatch
from ..jobs import split_job_kwargs
from ..recording.base import BaseRecording
from ..sorting.base import BaseSorting
from .numpy import NumpySnippets

#: Samples of recording read at a time: bounds memory whatever the spike density.
_CHUNK_SAMPLES = 30_000


def _cut_segment(
    recording: BaseRecording, frames: np.ndarray, segment_index: int, nbefore: int, nafter: int
) -> np.ndarray:
    """Snippets ``(n, nbefore + nafter, channels)`` at ``frames``; zero-padded past the edges.

    The segment is read chunk by chunk (only chunks holding spikes), each with the margins its
    spikes need, so memory stays bounded by one chunk.
    """
    num_samples = recording.get_num_samples(segment_index)
    snippet_len = nbefore + nafter
    snippets = np.zeros(
        (frames.size, snippet_len, recording.get_num_channels()), dtype=recording.get_dtype()
    )
    offsets = np.arange(-nbefore, nafter)
    chunk_of_spike = frames // _CHUNK_SAMPLES
    bounds = np.flatnonzero(np.diff(chunk_of_spike)) + 1
    for batch_start, batch_end in zip(np.r_[0, bounds], np.r_[bounds, frames.size]):
        batch = frames[batch_start:batch_end]
        first = max(int(batch[0]) - nbefore, 0)
        last = min(int(batch[-1]) + nafter, num_samples)
        traces = recording.get_traces(
            segment_index=segment_index, start_frame=first, end_frame=last
        )
        rows = batch[:, None] + offsets[None, :]
        inside = (rows >= first) & (rows < last)
        cut = traces[np.clip(rows - first, 0, last - first - 1)]
        cut[~inside] = 0
        snippets[batch_start:batch_end] = cut
    return snippets


def snippets_from_sorting(
    recording: BaseRecording,
    sorting: BaseSorting,
    nbefore: int = 20,
    nafter: int = 44,
    wf_folder=None,
    **job_kwargs,
) -> NumpySnippets:
    """One snippet per spike of ``sorting`` (all units), cut from ``recording``.

    Parameters
    ----------
    recording : BaseRecording
    sorting : BaseSorting
        Same sampling frequency and segment count as the recording.
    nbefore, nafter : int
        Samples before and after each spike.
    wf_folder : str | Path | None
        Accepted for compatibility; snippets are kept in memory.
    **job_kwargs
        Accepted for compatibility.

    Returns
    -------
    NumpySnippets
        Frames are the spike samples; only the ``gain_to_uV`` property is copied. Spikes closer
        than ``nbefore``/``nafter`` to a segment edge are zero-padded. The sorting is not changed.
    """
    split_job_kwargs(job_kwargs)  # validates the job keys
    if recording.get_num_segments() != sorting.get_num_segments():
        raise ValueError(
            f"the recording has {recording.get_num_segments()} segments, the "
            f"sorting {sorting.get_num_segments()}"
        )
    if not np.isclose(recording.sampling_frequency, sorting.sampling_frequency, atol=0.1):
        raise ValueError(
            sampling_frequency_mismatch(
                "the recording",
                recording.sampling_frequency,
                "the sorting",
                sorting.sampling_frequency,
            )
        )
    snippets_list, frames_list = [], []
    for segment_index, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        frames = spikes["sample_index"].astype("int64")
        num_samples = recording.get_num_samples(segment_index)
        if frames.size and (frames[0] < 0 or frames[-1] >= num_samples):
            raise ValueError(
                f"segment {segment_index}: spike frames go past the recording "
                f"(0..{num_samples - 1})"
            )
        snippets_list.append(_cut_segment(recording, frames, segment_index, nbefore, nafter))
        frames_list.append(frames)
    snippets = NumpySnippets(
        snippets_list,
        frames_list,
        recording.sampling_frequency,
        nbefore=nbefore,
        channel_ids=recording.channel_ids,
    )
    gains = recording.get_channel_gains()
    if gains is not None:
        snippets.set_property("gain_to_uV", gains)
    if recording.has_probe():
        snippets.set_probegroup(recording.get_probegroup(), in_place=True)
    return snippets


class GeneratedSnippets(tuple):
    """``(snippets, sorting)`` that also behaves as the snippets.

    SpikeInterface returns the pair; scripts written from the user documentation use the result
    directly as snippets. Both work: it unpacks as a pair and forwards attributes to the snippets.
    """

    def __new__(cls, snippets: NumpySnippets, sorting: BaseSorting) -> GeneratedSnippets:
        return super().__new__(cls, (snippets, sorting))

    @property
    def snippets(self) -> NumpySnippets:
        """The snippets."""
        return self[0]

    @property
    def sorting(self) -> BaseSorting:
        """The sorting the snippets were cut at."""
        return self[1]

    def __getattr__(self, name: str):
        return getattr(self[0], name)


def generate_snippets(
    nbefore: int = 20,
    nafter: int = 44,
    num_channels: int = 2,
    wf_folder=None,
    sampling_frequency: float = 30000.0,
    durations=(10.325, 3.5),
    set_probe: bool = True,
    ndim: int = 2,
    num_units: int = 5,
    empty_units=None,
    seed: int | None = None,
    **job_kwargs,
) -> GeneratedSnippets:
    """Generated snippets: a noise recording cut at a generated sorting's spikes.

    Returns
    -------
    GeneratedSnippets
        ``(snippets, sorting)``; also usable directly as the snippets.
    """
    from ..generate import generate_recording, generate_sorting

    recording = generate_recording(
        num_channels=num_channels,
        sampling_frequency=sampling_frequency,
        durations=list(durations),
        set_probe=set_probe,
        ndim=ndim,
        seed=seed,
    )
    sorting = generate_sorting(
        num_units=num_units,
        sampling_frequency=sampling_frequency,
        durations=list(durations),
        empty_units=empty_units,
        seed=seed,
    )
    snippets = snippets_from_sorting(
        recording, sorting, nbefore=nbefore, nafter=nafter, wf_folder=wf_folder, **job_kwargs
    )
    return GeneratedSnippets(snippets, sorting)
