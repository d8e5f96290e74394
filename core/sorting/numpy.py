"""In-memory sortings over a spike vector: NumpySorting and SharedMemorySorting."""

from __future__ import annotations

from multiprocessing.shared_memory import SharedMemory

import numpy as np

from ..argument_checks import check_id_types
from ..registry import register_extractor_class
from .base import BaseSorting, BaseSortingSegment, minimum_spike_dtype
from .spike_vector import is_sorted_spike_vector, sort_spike_vector

_MISSING = object()


class SpikeVectorSortingSegment(BaseSortingSegment):
    """One segment read from a spike vector (sliced lazily with ``searchsorted``).

    Parameters
    ----------
    spikes : np.ndarray
        The whole spike vector (all segments).
    segment_index : int
    unit_ids : np.ndarray
    """

    def __init__(self, spikes: np.ndarray, segment_index: int, unit_ids) -> None:
        super().__init__(t_start=None)
        self.spikes = spikes
        self.segment_index = segment_index
        self.unit_ids = np.asarray(unit_ids)
        self._segment_spikes: np.ndarray | None = None

    def _spikes_of_segment(self) -> np.ndarray:
        if self._segment_spikes is None:
            bounds = np.searchsorted(
                self.spikes["segment_index"], [self.segment_index, self.segment_index + 1]
            )
            self._segment_spikes = self.spikes[bounds[0] : bounds[1]]
        return self._segment_spikes

    def get_unit_spike_train(self, unit_id, start_frame, end_frame) -> np.ndarray:
        spikes = self._spikes_of_segment()
        samples = spikes["sample_index"]
        start = 0 if start_frame is None else np.searchsorted(samples, start_frame, "left")
        end = samples.size if end_frame is None else np.searchsorted(samples, end_frame, "left")
        window = spikes[start:end]
        unit_index = int(np.flatnonzero(self.unit_ids == unit_id)[0])
        return window["sample_index"][window["unit_index"] == unit_index]


class NumpySorting(BaseSorting):
    """A sorting held in memory as a spike vector.

    Parameters
    ----------
    spikes : np.ndarray
        Spike vector (``minimum_spike_dtype``); sorted here if it is not already.
    sampling_frequency : float
        Hz.
    unit_ids : array-like
        Unit ids; ``unit_index`` of the spikes indexes them.
    num_segments : int | None
        Number of segments; default: one more than the last spike's segment (set it to keep
        trailing empty segments).
    """

    # SpikeInterface 0.100's descriptive class attributes
    name = "numpy"

    def __init__(self, spikes, sampling_frequency, unit_ids, num_segments: int | None = None):
        super().__init__(sampling_frequency, unit_ids)
        spikes = _validated_spike_vector(spikes, len(self.unit_ids))
        if num_segments is None:
            num_segments = int(spikes["segment_index"][-1]) + 1 if spikes.size else 1
        elif spikes.size and spikes["segment_index"][-1] >= num_segments:
            raise ValueError(
                f"spikes reach segment {spikes['segment_index'][-1]} but "
                f"num_segments is {num_segments}"
            )
        spikes.flags.writeable = False
        for segment_index in range(num_segments):
            self.add_sorting_segment(
                SpikeVectorSortingSegment(spikes, segment_index, self.unit_ids)
            )
        self._cached_spike_vector = spikes
        self._serializability["json"] = False
        self._kwargs = {
            "spikes": spikes,
            "sampling_frequency": self.sampling_frequency,
            "unit_ids": self.unit_ids,
            "num_segments": num_segments,
        }

    # ------------------------------------------------------------------ constructors
    @staticmethod
    def from_sorting(
        source_sorting: BaseSorting, with_metadata: bool = False, copy_spike_vector: bool = False
    ) -> NumpySorting:
        """Wrap the spike vector of ``source_sorting`` (copied with ``copy_spike_vector``)."""
        spikes = source_sorting.to_spike_vector()
        if copy_spike_vector:
            spikes = spikes.copy()
        sorting = NumpySorting(
            spikes,
            source_sorting.sampling_frequency,
            source_sorting.unit_ids,
            num_segments=source_sorting.get_num_segments(),
        )
        if with_metadata:
            source_sorting.copy_metadata(sorting)
        if source_sorting.has_recording():
            sorting.register_recording(source_sorting._recording, check_spike_frames=False)
        return sorting

    @staticmethod
    def from_spike_vector(
        spikes, sampling_frequency, unit_ids, num_segments: int | None = None
    ) -> NumpySorting:
        """A NumpySorting over a spike vector."""
        return NumpySorting(spikes, sampling_frequency, unit_ids, num_segments=num_segments)

    @staticmethod
    def from_times_labels(
        times_list=None,
        labels_list=None,
        sampling_frequency=_MISSING,
        unit_ids=None,
        times=None,
        labels=None,
    ) -> NumpySorting:
        """A sorting from spike sample indices and their unit labels.

        Parameters
        ----------
        times_list : np.ndarray | list of np.ndarray
            Sample indices (not seconds), one array per segment. ``times`` is accepted too.
        labels_list : np.ndarray | list of np.ndarray
            Unit id of each spike. ``labels`` is accepted too.
        sampling_frequency : float
        unit_ids : array-like | None
            Default: the sorted distinct labels. Every label must be one of them.
        """
        if sampling_frequency is _MISSING:
            raise TypeError("from_times_labels() missing required argument: 'sampling_frequency'")
        times_list = _first_given(times_list, times, "times_list")
        labels_list = _first_given(labels_list, labels, "labels_list")
        times_list, labels_list = _as_segment_lists(times_list, labels_list)
        all_labels = np.concatenate(labels_list) if labels_list else np.zeros(0)
        if unit_ids is None:
            unit_ids = np.unique(all_labels)
        unit_ids = np.asarray(unit_ids)
        parts = []
        for segment_index, (frames, labels) in enumerate(zip(times_list, labels_list)):
            spikes = np.zeros(frames.size, dtype=minimum_spike_dtype)
            spikes["sample_index"] = frames
            spikes["unit_index"] = _label_indices(labels, unit_ids, segment_index)
            spikes["segment_index"] = segment_index
            parts.append(spikes)
        spikes = sort_spike_vector(np.concatenate(parts))
        return NumpySorting(spikes, sampling_frequency, unit_ids, num_segments=len(times_list))

    @staticmethod
    def from_unit_dict(units_dict_list, sampling_frequency) -> NumpySorting:
        """A sorting from ``{unit_id: sample indices}`` (a dict, or a list: one per segment)."""
        if isinstance(units_dict_list, dict):
            units_dict_list = [units_dict_list]
        if (
            not isinstance(units_dict_list, list | tuple)
            or not units_dict_list
            or not all(isinstance(d, dict) for d in units_dict_list)
        ):
            raise TypeError(
                "units_dict_list must be a dict {unit_id: sample indices} or a non-empty list "
                f"of them (one per segment), got {type(units_dict_list).__name__}"
            )
        unit_ids = list(units_dict_list[0].keys())
        for segment_index, units_dict in enumerate(units_dict_list):
            if set(units_dict.keys()) != set(unit_ids):
                raise ValueError(
                    f"units_dict_list[{segment_index}] has other unit ids than the first segment"
                )
        from .spike_vector import spike_vector_from_trains

        trains = [
            [_as_frames(d[u], f"units_dict_list[{i}][{u!r}]") for u in unit_ids]
            for i, d in enumerate(units_dict_list)
        ]
        for segment_trains in trains:
            for k, train in enumerate(segment_trains):
                segment_trains[k] = np.sort(train, kind="stable")
        spikes = spike_vector_from_trains(trains)
        return NumpySorting(spikes, sampling_frequency, unit_ids, num_segments=len(units_dict_list))

    @staticmethod
    def from_peaks(peaks, sampling_frequency, unit_ids) -> NumpySorting:
        """A sorting whose units are the peaks' channels (``unit_index = channel_index``)."""
        spikes = np.zeros(peaks.size, dtype=minimum_spike_dtype)
        spikes["sample_index"] = peaks["sample_index"]
        spikes["unit_index"] = peaks["channel_index"]
        spikes["segment_index"] = peaks["segment_index"]
        return NumpySorting(sort_spike_vector(spikes), sampling_frequency, unit_ids)

    @staticmethod
    def from_neo_spiketrain_list(
        neo_spiketrains, sampling_frequency, unit_ids=None
    ) -> NumpySorting:
        """A sorting from ``neo.SpikeTrain`` objects (a list, or a list per segment)."""
        if neo_spiketrains and not isinstance(neo_spiketrains[0], list):
            neo_spiketrains = [neo_spiketrains]
        if unit_ids is None:
            unit_ids = np.arange(len(neo_spiketrains[0]))
        dicts = []
        for segment in neo_spiketrains:
            dicts.append(
                {
                    unit_id: np.round(train.rescale("s").magnitude * sampling_frequency).astype(
                        "int64"
                    )
                    for unit_id, train in zip(unit_ids, segment)
                }
            )
        return NumpySorting.from_unit_dict(dicts, sampling_frequency)


class SharedMemorySorting(BaseSorting):
    """A sorting whose spike vector lives in a shared-memory block (cheap for worker processes).

    Parameters
    ----------
    shm_name : str
        Shared-memory block name.
    shape : tuple
        ``(num_spikes,)``.
    sampling_frequency : float
    unit_ids : array-like
    dtype : numpy dtype-like
        Spike vector dtype.
    main_shm_owner : bool
        The owner unlinks the block when deleted; copies sent to other processes are not owners.
    num_segments : int | None
        Number of segments (default: from the last spike).
    """

    def __init__(
        self,
        shm_name,
        shape,
        sampling_frequency,
        unit_ids,
        dtype=minimum_spike_dtype,
        main_shm_owner: bool = True,
        num_segments: int | None = None,
    ) -> None:
        super().__init__(sampling_frequency, unit_ids)
        self._shm = SharedMemory(name=shm_name, create=False)
        spikes = np.ndarray(tuple(shape), dtype=np.dtype(dtype), buffer=self._shm.buf)
        spikes.flags.writeable = False
        if num_segments is None:
            num_segments = int(spikes["segment_index"][-1]) + 1
        for segment_index in range(num_segments):
            self.add_sorting_segment(
                SpikeVectorSortingSegment(spikes, segment_index, self.unit_ids)
            )
        self._cached_spike_vector = spikes
        self.main_shm_owner = main_shm_owner
        self._serializability["json"] = False
        self._serializability["pickle"] = False
        self._kwargs = {
            "shm_name": shm_name,
            "shape": list(shape),
            "sampling_frequency": self.sampling_frequency,
            "unit_ids": self.unit_ids,
            "dtype": np.dtype(dtype).descr,
            "main_shm_owner": False,
            "num_segments": num_segments,
        }

    @property
    def shm(self) -> SharedMemory:
        """The shared memory block of the spike vector (SpikeInterface's attribute)."""
        return self._shm

    def __del__(self) -> None:
        self._sorting_segments = []
        self._cached_spike_vector = None
        self._cached_spike_trains = {}
        shm = getattr(self, "_shm", None)
        if shm is None:
            return
        try:
            shm.close()
            if self.main_shm_owner:
                shm.unlink()
        except (FileNotFoundError, BufferError):
            pass

    @staticmethod
    def from_sorting(
        source_sorting: BaseSorting, with_metadata: bool = False
    ) -> SharedMemorySorting:
        """Copy the spike vector of ``source_sorting`` into shared memory.

        Raises
        ------
        ValueError
            If the sorting has no spikes (a shared block cannot be empty).
        """
        spikes = source_sorting.to_spike_vector()
        if spikes.size == 0:
            raise ValueError("SharedMemorySorting cannot hold a sorting without spikes")
        shm = SharedMemory(create=True, size=spikes.nbytes)
        try:
            np.ndarray(spikes.shape, dtype=spikes.dtype, buffer=shm.buf)[:] = spikes
            sorting = SharedMemorySorting(
                shm.name,
                spikes.shape,
                source_sorting.sampling_frequency,
                source_sorting.unit_ids,
                dtype=spikes.dtype,
                main_shm_owner=True,
                num_segments=source_sorting.get_num_segments(),
            )
        finally:
            shm.close()
        if with_metadata:
            source_sorting.copy_metadata(sorting)
        return sorting


def _first_given(value, alias, name: str):
    if value is not None and alias is not None:
        raise TypeError(f"give {name} or its alias, not both")
    if value is None and alias is None:
        raise TypeError(f"from_times_labels() missing required argument: {name!r}")
    return value if value is not None else alias


def _as_frames(values, argument: str) -> np.ndarray:
    frames = np.asarray(values)
    if frames.size == 0:
        return np.zeros(0, dtype="int64")
    if frames.dtype.kind not in "iu":
        if frames.dtype.kind == "f" and np.all(np.mod(frames, 1) == 0):
            frames = frames.astype("int64")
        else:
            raise TypeError(f"{argument} must hold integer sample indices, got {frames.dtype}")
    frames = frames.astype("int64", copy=False)
    if frames.ndim != 1:
        raise ValueError(f"{argument} must be one-dimensional")
    if frames.min() < 0:
        raise ValueError(f"{argument} has negative spike frames (first: {frames.min()})")
    return frames


def _as_segment_lists(times_list, labels_list) -> tuple[list, list]:
    if isinstance(times_list, np.ndarray) or (
        isinstance(times_list, list) and times_list and np.isscalar(times_list[0])
    ):
        times_list, labels_list = [times_list], [labels_list]
    if len(times_list) != len(labels_list):
        raise ValueError(
            f"times_list has {len(times_list)} segments, labels_list {len(labels_list)}"
        )
    frames_list, labels_out = [], []
    for i, (times, labels) in enumerate(zip(times_list, labels_list)):
        frames = _as_frames(times, f"times_list[{i}]")
        check_id_types(labels, f"labels_list[{i}]")
        labels = np.asarray(labels)
        if labels.shape != frames.shape:
            raise ValueError(
                f"labels_list[{i}] has {labels.size} labels for {frames.size} spike times"
            )
        frames_list.append(frames)
        labels_out.append(labels)
    kinds = {labels.dtype.kind for labels in labels_out if labels.size}
    if len(kinds - {"i", "u"}) > 1 or (kinds & {"i", "u"} and kinds - {"i", "u"}):
        raise TypeError(f"labels mix integer and string unit ids ({sorted(kinds)})")
    return frames_list, labels_out


def _label_indices(labels: np.ndarray, unit_ids: np.ndarray, segment_index: int) -> np.ndarray:
    if labels.size == 0:
        return np.zeros(0, dtype="int64")
    order = np.argsort(unit_ids, kind="stable")
    try:
        positions = np.clip(np.searchsorted(unit_ids, labels, sorter=order), 0, unit_ids.size - 1)
    except TypeError:
        raise TypeError("labels and unit_ids have different types") from None
    indices = order[positions]
    unknown = unit_ids[indices] != labels if unit_ids.size else np.ones(labels.size, bool)
    if np.any(unknown):
        raise ValueError(
            f"labels_list[{segment_index}] has label "
            f"{labels[np.argmax(unknown)].item()!r}, which is not in unit_ids"
        )
    return indices.astype("int64")


def _validated_spike_vector(spikes, num_units: int) -> np.ndarray:
    spikes = np.asarray(spikes)
    missing = set(minimum_spike_dtype.names) - set(spikes.dtype.names or ())
    if missing:
        raise ValueError(
            f"spikes must be a spike vector with fields "
            f"{minimum_spike_dtype.names}; missing {sorted(missing)}"
        )
    if spikes.dtype != minimum_spike_dtype:
        converted = np.zeros(spikes.size, dtype=minimum_spike_dtype)
        for name in minimum_spike_dtype.names:
            converted[name] = spikes[name]
        spikes = converted
    if spikes.size:
        if spikes["sample_index"].min() < 0:
            raise ValueError("spikes has negative sample_index values")
        if spikes["unit_index"].min() < 0 or spikes["unit_index"].max() >= num_units:
            raise ValueError(f"spikes has unit_index values outside 0..{num_units - 1}")
        if not is_sorted_spike_vector(spikes):
            spikes = sort_spike_vector(spikes)
    return spikes


register_extractor_class(NumpySorting, "spikeinterface.core.numpyextractors.NumpySorting")
register_extractor_class(
    SharedMemorySorting, "spikeinterface.core.numpyextractors.SharedMemorySorting"
)
