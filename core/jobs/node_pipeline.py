"""Node pipelines: per-peak computations chained over the chunks of a recording.

SpikeInterface 0.100's ``spikeinterface.core.node_pipeline``. A pipeline is a list of nodes,
parents before children. The first node is a `PeakSource`: it gives the peaks (or spikes) of a
chunk, with sample indices local to the chunk's traces (which carry a margin on both sides).
Every other node computes something per peak from the traces and its parents' outputs
(``compute(traces, *parent_outputs)``), e.g. waveforms, then features of the waveforms. The
outputs of nodes with ``return_output`` are gathered over all chunks, in memory
(`GatherToMemory`), into ``.npy`` files (`GatherToNpy`) or into an HDF5 file (`GatherToHdf5`).
Chunks are run by :class:`~core.jobs.ChunkRecordingExecutor`, so job keyword arguments apply.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .executor import ChunkRecordingExecutor
from .job_kwargs import fix_job_kwargs

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting

__all__ = [
    "ExtractDenseWaveforms",
    "ExtractSparseWaveforms",
    "GatherToHdf5",
    "GatherToMemory",
    "GatherToNpy",
    "PeakDetector",
    "PeakRetriever",
    "PeakSource",
    "PipelineNode",
    "SpikeRetriever",
    "WaveformsNode",
    "base_peak_dtype",
    "check_graph",
    "find_parent_of_type",
    "run_node_pipeline",
    "sorting_to_peaks",
]

#: Fields of a peak: sample, channel, amplitude at that channel, segment.
base_peak_dtype = [
    ("sample_index", "int64"),
    ("channel_index", "int64"),
    ("amplitude", "float64"),
    ("segment_index", "int64"),
]


class PipelineNode:
    """A step of a node pipeline.

    Subclasses define ``get_dtype()`` and ``compute(traces, *parent_outputs)`` (one result, or
    a tuple of results, with one row per peak), and ``get_trace_margin()`` when they read
    traces around the peaks.

    Parameters
    ----------
    recording : BaseRecording
    return_output : bool or tuple of bool, default: True
        Whether the pipeline returns this node's output (one flag per output for a node
        returning a tuple).
    parents : list of PipelineNode or None, default: None
        Nodes whose outputs ``compute`` receives, in this order.
    """

    def __init__(
        self,
        recording: BaseRecording,
        return_output: bool | tuple[bool, ...] = True,
        parents: list[PipelineNode] | None = None,
    ) -> None:
        self.recording = recording
        self.return_output = return_output
        self.parents = [parents] if isinstance(parents, PipelineNode) else parents
        self._kwargs: dict = {}

    def get_trace_margin(self) -> int:
        """Samples of traces this node needs on each side of the chunk."""
        return 0

    def get_dtype(self):
        """The dtype of this node's output."""
        raise NotImplementedError(f"{type(self).__name__} must define get_dtype()")

    def compute(self, traces: np.ndarray, *args):
        """This node's output for the peaks of one chunk."""
        raise NotImplementedError(f"{type(self).__name__} must define compute()")


class PeakSource(PipelineNode):
    """The first node of a pipeline: gives the peaks of each chunk (`base_peak_dtype`).

    Its ``compute(traces, start_frame, end_frame, segment_index, max_margin)`` returns a
    one-element tuple holding the peaks, sample indices relative to ``traces``.
    """

    def get_dtype(self):
        return base_peak_dtype


class PeakDetector(PeakSource):
    """A `PeakSource` that finds peaks in the traces (sorting components subclass it).

    It sees the traces with its own margin only; its peaks are returned with absolute sample
    indices.
    """


class PeakRetriever(PeakSource):
    """Peaks already detected, handed out chunk by chunk.

    Parameters
    ----------
    recording : BaseRecording
    peaks : np.ndarray
        `base_peak_dtype` peaks sorted by segment then sample.
    """

    def __init__(self, recording: BaseRecording, peaks: np.ndarray) -> None:
        super().__init__(recording, return_output=False)
        self.peaks = peaks
        self.segment_slices = _segment_slices(peaks, recording.get_num_segments())

    def get_trace_margin(self) -> int:
        return 0

    def compute(self, traces, start_frame, end_frame, segment_index, max_margin):
        return (
            _local_peaks(
                self.peaks, self.segment_slices, segment_index, start_frame, end_frame, max_margin
            ),
        )


class SpikeRetriever(PeakSource):
    """The spikes of a sorting as peaks, with their amplitude read from the traces.

    Parameters
    ----------
    recording : BaseRecording
    sorting : BaseSorting
    channel_from_template : bool, default: True
        Each spike's channel is its unit's extremum channel; False: the channel with the
        largest value (of ``peak_sign``) within ``radius_um`` of it, spike by spike.
    extremum_channel_inds : dict
        ``unit_id -> channel index`` (e.g. ``get_template_extremum_channel(..., outputs="index")``).
    radius_um : float, default: 50
    peak_sign : {"neg", "pos", "both"}, default: "neg"
    """

    def __init__(
        self,
        recording: BaseRecording,
        sorting: BaseSorting,
        channel_from_template: bool = True,
        extremum_channel_inds: dict | None = None,
        radius_um: float = 50,
        peak_sign: str = "neg",
    ) -> None:
        super().__init__(recording, return_output=False)
        if extremum_channel_inds is None:
            raise TypeError("SpikeRetriever needs extremum_channel_inds (unit_id -> channel index)")
        if peak_sign not in ("neg", "pos", "both"):
            raise ValueError(f"peak_sign must be 'neg', 'pos' or 'both', got {peak_sign!r}")
        self.channel_from_template = channel_from_template
        self.peak_sign = peak_sign
        self.peaks = sorting_to_peaks(sorting, extremum_channel_inds)
        self.segment_slices = _segment_slices(self.peaks, recording.get_num_segments())
        if not channel_from_template:
            from ..recording.tools import get_channel_distances

            self.neighbours_mask = get_channel_distances(recording) <= radius_um

    def get_trace_margin(self) -> int:
        return 0

    def compute(self, traces, start_frame, end_frame, segment_index, max_margin):
        peaks = _local_peaks(
            self.peaks, self.segment_slices, segment_index, start_frame, end_frame, max_margin
        )
        values = traces[peaks["sample_index"]]  # (peaks, channels) at each spike's sample
        if not self.channel_from_template and peaks.size:
            candidates = np.where(self.neighbours_mask[peaks["channel_index"]], values, np.nan)
            if self.peak_sign == "neg":
                peaks["channel_index"] = np.nanargmin(candidates, axis=1)
            elif self.peak_sign == "pos":
                peaks["channel_index"] = np.nanargmax(candidates, axis=1)
            else:
                peaks["channel_index"] = np.nanargmax(np.abs(candidates), axis=1)
        peaks["amplitude"] = values[np.arange(peaks.size), peaks["channel_index"]]
        return (peaks,)


def _segment_slices(peaks: np.ndarray, num_segments: int) -> list[slice]:
    bounds = np.searchsorted(peaks["segment_index"], np.arange(num_segments + 1))
    return [slice(bounds[i], bounds[i + 1]) for i in range(num_segments)]


def _local_peaks(peaks, segment_slices, segment_index, start_frame, end_frame, max_margin):
    """A copy of the peaks of ``[start_frame, end_frame)``, samples relative to the traces."""
    in_segment = peaks[segment_slices[segment_index]]
    first, last = np.searchsorted(in_segment["sample_index"], [start_frame, end_frame])
    local = in_segment[first:last].copy()
    local["sample_index"] -= start_frame - max_margin
    return local


def sorting_to_peaks(sorting: BaseSorting, extremum_channel_inds: dict) -> np.ndarray:
    """The spikes of a sorting as peaks on their unit's extremum channel (amplitude 0).

    Parameters
    ----------
    sorting : BaseSorting
    extremum_channel_inds : dict
        ``unit_id -> channel index``.

    Returns
    -------
    np.ndarray
        `base_peak_dtype`, in spike vector order.
    """
    spikes = sorting.to_spike_vector()
    channels = np.array([extremum_channel_inds[unit_id] for unit_id in sorting.unit_ids], "int64")
    peaks = np.zeros(spikes.size, dtype=base_peak_dtype)
    peaks["sample_index"] = spikes["sample_index"]
    peaks["channel_index"] = channels[spikes["unit_index"]]
    peaks["segment_index"] = spikes["segment_index"]
    return peaks


class WaveformsNode(PipelineNode):
    """Base of nodes giving waveforms: ``nbefore`` and ``nafter`` samples around each peak.

    Parameters
    ----------
    recording : BaseRecording
    ms_before, ms_after : float
    parents : list of PipelineNode or None, default: None
    return_output : bool, default: False
    """

    def __init__(
        self,
        recording: BaseRecording,
        ms_before: float,
        ms_after: float,
        parents: list[PipelineNode] | None = None,
        return_output: bool = False,
    ) -> None:
        super().__init__(recording, return_output=return_output, parents=parents)
        self.ms_before = ms_before
        self.ms_after = ms_after
        self.nbefore = int(ms_before * recording.get_sampling_frequency() / 1000.0)
        self.nafter = int(ms_after * recording.get_sampling_frequency() / 1000.0)

    def get_trace_margin(self) -> int:
        return max(self.nbefore, self.nafter)

    def get_dtype(self):
        return self.recording.get_dtype()


class ExtractDenseWaveforms(WaveformsNode):
    """The waveform of every peak on every channel: ``(peaks, nbefore + nafter, channels)``."""

    def __init__(
        self,
        recording: BaseRecording,
        ms_before: float,
        ms_after: float,
        parents: list[PipelineNode] | None = None,
        return_output: bool = False,
    ) -> None:
        super().__init__(recording, ms_before, ms_after, parents, return_output)
        # children tell dense from sparse waveforms by this attribute (SpikeInterface's way)
        self.neighbours_mask = None

    def compute(self, traces, peaks):
        return traces[peaks["sample_index"][:, None] + np.arange(-self.nbefore, self.nafter)]


class ExtractSparseWaveforms(WaveformsNode):
    """The waveform of every peak on the channels within ``radius_um`` of its channel.

    Output ``(peaks, nbefore + nafter, max_num_chans)``: each peak's neighbour channels first
    (in channel order), zeros after.

    Parameters
    ----------
    recording : BaseRecording
    ms_before, ms_after : float
    parents : list of PipelineNode or None, default: None
    return_output : bool, default: False
    radius_um : float, default: 100.0
    """

    def __init__(
        self,
        recording: BaseRecording,
        ms_before: float,
        ms_after: float,
        parents: list[PipelineNode] | None = None,
        return_output: bool = False,
        radius_um: float = 100.0,
    ) -> None:
        from ..recording.tools import get_channel_distances

        super().__init__(recording, ms_before, ms_after, parents, return_output)
        self.radius_um = radius_um
        self.contact_locations = recording.get_channel_locations()
        self.channel_distance = get_channel_distances(recording)
        self.neighbours_mask = self.channel_distance <= radius_um
        self.max_num_chans = int(self.neighbours_mask.sum(axis=1).max())

    def compute(self, traces, peaks):
        windows = traces[peaks["sample_index"][:, None] + np.arange(-self.nbefore, self.nafter)]
        sparse = np.zeros(
            (peaks.size, self.nbefore + self.nafter, self.max_num_chans), traces.dtype
        )
        for row, channel in enumerate(peaks["channel_index"]):
            neighbours = np.flatnonzero(self.neighbours_mask[channel])
            sparse[row, :, : neighbours.size] = windows[row][:, neighbours]
        return sparse


def find_parent_of_type(list_of_parents, parent_type, unique: bool = True):
    """The parent of type ``parent_type`` in ``list_of_parents``, or None.

    With ``unique``, exactly one must match; otherwise the first of several is returned (and
    None when only one matches, as in SpikeInterface).
    """
    if list_of_parents is None:
        return None
    matching = [parent for parent in list_of_parents if isinstance(parent, parent_type)]
    if unique and len(matching) == 1:
        return matching[0]
    if not unique and len(matching) > 1:
        return matching[0]
    return None


def check_graph(nodes: Sequence[PipelineNode]) -> Sequence[PipelineNode]:
    """Check that ``nodes`` start with a `PeakSource` and list parents before children.

    Raises
    ------
    ValueError
        If the first node is not a peak source, a node's parent is missing or comes after it.
    TypeError
        If an element is not a `PipelineNode`.
    """
    if not nodes or not isinstance(nodes[0], PeakSource):
        raise ValueError(
            "a node pipeline must start with a PeakSource (PeakDetector, PeakRetriever or "
            "SpikeRetriever)"
        )
    for index, node in enumerate(nodes):
        if not isinstance(node, PipelineNode):
            raise TypeError(f"nodes[{index}] is not a PipelineNode: {node!r}")
        for parent in node.parents or []:
            if not any(parent is other for other in nodes):
                raise ValueError(f"{node!r} has a parent {parent!r} that is not in nodes")
            if next(i for i, other in enumerate(nodes) if other is parent) >= index:
                raise ValueError(
                    f"nodes are out of order: {node!r} comes before its parent {parent!r}"
                )
    return nodes


def run_node_pipeline(
    recording: BaseRecording,
    nodes: list[PipelineNode],
    job_kwargs: dict,
    job_name: str = "pipeline",
    mp_context: str | None = None,
    gather_mode: str = "memory",
    gather_kwargs: dict = {},  # noqa: B006  SpikeInterface's default, never mutated
    squeeze_output: bool = True,
    folder: str | Path | None = None,
    names: list[str] | None = None,
):
    """Run ``nodes`` over every chunk of ``recording`` and gather the returned outputs.

    Parameters
    ----------
    recording : BaseRecording
    nodes : list of PipelineNode
        A `PeakSource` first, parents before children.
    job_kwargs : dict
        ``n_jobs``, ``chunk_duration``, ``progress_bar``...
    job_name : str, default: "pipeline"
    mp_context : str or None, default: None
        Used when ``job_kwargs`` has none.
    gather_mode : {"memory", "npy"}, default: "memory"
    gather_kwargs : dict, default: {}
        Extra arguments of the gatherer (`GatherToNpy`).
    squeeze_output : bool, default: True
        A single output is returned alone rather than in a tuple.
    folder : str | Path | None, default: None
        Folder of ``"npy"`` mode.
    names : list of str or None, default: None
        File names (without ``.npy``) of the outputs in ``"npy"`` mode.

    Returns
    -------
    np.ndarray or tuple of np.ndarray
        The outputs of the nodes with ``return_output``, in node order, concatenated over
        chunks (memmaps in ``"npy"`` mode).
    """
    check_graph(nodes)
    job_kwargs = fix_job_kwargs(job_kwargs)
    if mp_context is not None and job_kwargs.get("mp_context") is None:
        job_kwargs["mp_context"] = mp_context
    if gather_mode == "memory":
        gather = GatherToMemory()
    elif gather_mode == "npy":
        if folder is None or names is None:
            raise ValueError("gather_mode='npy' needs folder and names")
        gather = GatherToNpy(folder, names, **gather_kwargs)
    else:
        raise ValueError(f"gather_mode must be 'memory' or 'npy', got {gather_mode!r}")
    executor = ChunkRecordingExecutor(
        recording,
        _compute_chunk,
        _init_worker,
        (recording, nodes),
        gather_func=gather,
        job_name=job_name,
        **job_kwargs,
    )
    try:
        executor.run()
    except BaseException:
        if isinstance(gather, GatherToNpy):
            gather.discard()
        raise
    return gather.finalize_buffers(squeeze_output=squeeze_output)


def _init_worker(recording: BaseRecording, nodes: list[PipelineNode]) -> dict:
    return {
        "recording": recording,
        "nodes": nodes,
        "max_margin": max(node.get_trace_margin() for node in nodes),
    }


def _compute_chunk(segment_index: int, start_frame: int, end_frame: int, ctx: dict) -> tuple:
    from ..recording.tools import get_chunk_with_margin

    nodes, max_margin = ctx["nodes"], ctx["max_margin"]
    traces, left_margin, _ = get_chunk_with_margin(
        ctx["recording"]._recording_segments[segment_index],
        start_frame,
        end_frame,
        None,
        max_margin,
        add_zeros=True,
    )
    outputs: dict[int, Any] = {}
    for node in nodes:
        if isinstance(node, PeakDetector):
            # a detector sees its own margin only; its peaks are made relative to the traces
            extra = max_margin - node.get_trace_margin()
            detection_traces = traces[extra : traces.shape[0] - extra]
            output = node.compute(
                detection_traces, start_frame, end_frame, segment_index, max_margin
            )
            output[0]["sample_index"] += extra
        elif isinstance(node, PeakSource):
            output = node.compute(traces, start_frame, end_frame, segment_index, max_margin)
        else:
            inputs = []
            for parent in node.parents or []:
                parent_output = outputs[id(parent)]
                inputs.extend(
                    parent_output if isinstance(parent_output, tuple) else (parent_output,)
                )
            output = node.compute(traces, *inputs)
        outputs[id(node)] = output
    returned = []
    for node in nodes:
        output = outputs[id(node)]
        parts = output if isinstance(output, tuple) else (output,)
        flags = node.return_output
        if isinstance(flags, bool):
            flags = (flags,) * len(parts)
        returned.extend(part for part, flag in zip(parts, flags) if flag)
    if isinstance(nodes[0], PeakDetector):
        # detected peaks go back to absolute sample indices
        returned[0]["sample_index"] += start_frame - left_margin
    return tuple(returned)


class GatherToMemory:
    """Gatherer keeping every chunk's outputs, concatenated at the end."""

    def __init__(self) -> None:
        self.outputs: list = []
        self.tuple_mode: bool | None = None

    def __call__(self, res) -> None:
        if self.tuple_mode is None:
            self.tuple_mode = isinstance(res, tuple)
        self.outputs.append(res)

    def finalize_buffers(self, squeeze_output: bool = False):
        """The outputs concatenated over chunks (a tuple, or one array when squeezed)."""
        if not self.tuple_mode:
            return np.concatenate(self.outputs)
        concatenated = tuple(np.concatenate(parts, axis=0) for parts in zip(*self.outputs))
        return concatenated[0] if squeeze_output and len(concatenated) == 1 else concatenated


class GatherToNpy:
    """Gatherer appending every chunk's outputs to ``.npy`` files, opened as memmaps at the end.

    The files are written as ``<name>.npy.partial`` and renamed once complete (with their
    header), so an interrupted pipeline leaves no file that loads as a result.

    Parameters
    ----------
    folder : str | Path
        Created if needed.
    names : list of str
        One file name (without ``.npy``) per output.
    npy_header_size : int, default: 1024
        Bytes reserved for the header.
    exist_ok : bool, default: False
        Accept an existing folder.
    """

    def __init__(
        self,
        folder: str | Path,
        names: list[str],
        npy_header_size: int = 1024,
        exist_ok: bool = False,
    ) -> None:
        if names is None:
            raise TypeError("GatherToNpy needs names (one per output)")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=exist_ok)
        self.names = list(names)
        self.npy_header_size = npy_header_size
        self.tuple_mode: bool | None = None
        self.files = []
        for name in self.names:
            file = open(self._partial(name), "wb+")
            file.seek(npy_header_size)
            self.files.append(file)
        self.dtypes: list = [None] * len(self.names)
        self.shapes0 = [0] * len(self.names)
        self.final_shapes: list = [None] * len(self.names)

    def _partial(self, name: str) -> Path:
        return self.folder / f"{name}.npy.partial"

    def __call__(self, res) -> None:
        if self.tuple_mode is None:
            self.tuple_mode = isinstance(res, tuple)
        parts = res if isinstance(res, tuple) else (res,)
        if len(parts) != len(self.names):
            raise ValueError(f"{len(parts)} outputs for {len(self.names)} names")
        for index, part in enumerate(parts):
            part = np.ascontiguousarray(part)
            if self.dtypes[index] is None:
                self.dtypes[index], self.final_shapes[index] = part.dtype, part.shape[1:]
            self.files[index].write(part.tobytes())
            self.shapes0[index] += part.shape[0]

    def discard(self) -> None:
        """Close and delete the unfinished files."""
        for file, name in zip(self.files, self.names):
            file.close()
            self._partial(name).unlink(missing_ok=True)

    def finalize_buffers(self, squeeze_output: bool = False):
        """Write the headers, move the files into place and open them as read-only memmaps."""
        arrays = []
        for index, (file, name) in enumerate(zip(self.files, self.names)):
            dtype = self.dtypes[index] if self.dtypes[index] is not None else np.dtype("float64")
            shape = (self.shapes0[index], *(self.final_shapes[index] or ()))
            header = _npy_header(dtype, shape, self.npy_header_size)
            file.seek(0)
            file.write(header)
            file.flush()
            os.fsync(file.fileno())
            file.close()
            target = self.folder / f"{name}.npy"
            os.replace(self._partial(name), target)
            arrays.append(np.load(target, mmap_mode="r"))
        if not self.tuple_mode:
            return arrays[0]
        return arrays[0] if squeeze_output and len(arrays) == 1 else tuple(arrays)


def _npy_header(dtype: np.dtype, shape: tuple, size: int) -> bytes:
    """A ``.npy`` version 1.0 header padded to ``size`` bytes."""
    description = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": False,
        "shape": shape,
    }
    text = repr(description).encode("latin1")
    header_length = size - 10
    if len(text) + 1 > header_length:
        raise ValueError(f"npy_header_size {size} is too small for the header of shape {shape}")
    padded = text + b" " * (header_length - len(text) - 1) + b"\n"
    return b"\x93NUMPY\x01\x00" + header_length.to_bytes(2, "little") + padded


class GatherToHdf5:
    """Gatherer appending every chunk's outputs to datasets of an HDF5 file (needs ``h5py``).

    Parameters
    ----------
    file_path : str | Path
        The file, created (an existing one is refused).
    names : list of str
        One dataset per output.
    """

    def __init__(self, file_path: str | Path, names: list[str]) -> None:
        try:
            import h5py
        except ImportError:
            raise ImportError("GatherToHdf5 needs h5py: pip install h5py") from None
        self.file = h5py.File(file_path, "w-")
        self.names = list(names)
        self.tuple_mode: bool | None = None

    def __call__(self, res) -> None:
        if self.tuple_mode is None:
            self.tuple_mode = isinstance(res, tuple)
        parts = res if isinstance(res, tuple) else (res,)
        if len(parts) != len(self.names):
            raise ValueError(f"{len(parts)} outputs for {len(self.names)} names")
        for name, part in zip(self.names, parts):
            part = np.asarray(part)
            if name not in self.file:
                self.file.create_dataset(
                    name, data=part, maxshape=(None, *part.shape[1:]), chunks=True
                )
                continue
            dataset = self.file[name]
            start = dataset.shape[0]
            dataset.resize(start + part.shape[0], axis=0)
            dataset[start:] = part

    def finalize_buffers(self, squeeze_output: bool = False):
        """The gathered arrays (read back into memory); the file is closed."""
        arrays = tuple(self.file[name][...] for name in self.names if name in self.file)
        self.file.close()
        if not self.tuple_mode:
            return arrays[0]
        return arrays[0] if squeeze_output and len(arrays) == 1 else arrays
