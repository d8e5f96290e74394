"""BaseSorting and BaseSortingSegment: spike trains, the spike vector and their caches."""

from __future__ import annotations

import threading
import warnings

import numpy as np

from ..argument_checks import (
    checked_frame,
    checked_sampling_frequency,
    sampling_frequency_mismatch,
)
from ..base import BaseExtractor, BaseSegment

#: dtype of the spike vector: one row per spike, sorted by segment then sample.
minimum_spike_dtype = np.dtype(
    [("sample_index", "int64"), ("unit_index", "int64"), ("segment_index", "int64")]
)
# held while a spike vector is split into trains: threads asking for trains at once (e.g. the
# background jobs of an app) wait for one split instead of each making its own copy
_SPLIT_LOCK = threading.RLock()


class BaseSorting(BaseExtractor):
    """Spike-sorting result: per-unit spike trains (sample indices) over one or more segments.

    Two caches make access fast: per segment, a dict of per-unit spike trains, and the spike
    vector (all spikes in one structured array, ``minimum_spike_dtype``).

    Parameters
    ----------
    sampling_frequency : float
        Hz.
    unit_ids : array-like
        Unit ids (integers or strings).
    """

    _ids_argument = "unit_ids"

    def __init__(self, sampling_frequency: float, unit_ids) -> None:
        sampling_frequency = checked_sampling_frequency(sampling_frequency)
        super().__init__(unit_ids)
        self._sampling_frequency = sampling_frequency
        self._sorting_segments: list[BaseSortingSegment] = []
        self._recording = None
        self._cached_spike_vector: np.ndarray | None = None
        self._cached_spike_trains: dict[int, dict] = {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}: {self.get_num_units()} units - "
            f"{self.get_num_segments()} segments - {self.sampling_frequency / 1000:.1f}kHz"
        )

    # ------------------------------------------------------------------ basic facts
    @property
    def unit_ids(self) -> np.ndarray:
        """Unit ids."""
        return self._main_ids

    def get_unit_ids(self) -> np.ndarray:
        """Unit ids."""
        return self._main_ids

    def get_num_units(self) -> int:
        """Number of units."""
        return len(self._main_ids)

    @property
    def sampling_frequency(self) -> float:
        """Sampling frequency in Hz."""
        return self._sampling_frequency

    def get_sampling_frequency(self) -> float:
        """Sampling frequency in Hz."""
        return self._sampling_frequency

    def get_num_segments(self) -> int:
        """Number of segments."""
        return len(self._sorting_segments)

    def add_sorting_segment(self, sorting_segment: BaseSortingSegment) -> None:
        """Append a segment and make this object its parent."""
        self._sorting_segments.append(sorting_segment)
        sorting_segment.set_parent_extractor(self)

    def get_unit_property(self, unit_id, key: str):
        """One unit's value of property ``key``."""
        return self.get_property(key)[self.id_to_index(unit_id)]

    # ------------------------------------------------------------------ recording link
    def register_recording(self, recording, check_spike_frames: bool = True) -> None:
        """Attach the recording this sorting comes from (for times and sample counts).

        Parameters
        ----------
        recording : BaseRecording
        check_spike_frames : bool, default: True
            Warn (as SpikeInterface does) when a spike lies outside its recording segment.

        Raises
        ------
        ValueError
            If sampling frequencies differ by more than 0.1 Hz or segment counts differ.
        """
        if not np.isclose(recording.sampling_frequency, self.sampling_frequency, atol=0.1):
            raise ValueError(
                "register_recording(): "
                + sampling_frequency_mismatch(
                    "the recording",
                    recording.sampling_frequency,
                    "the sorting",
                    self.sampling_frequency,
                )
            )
        if recording.get_num_segments() != self.get_num_segments():
            raise ValueError(
                f"register_recording(): the recording has {recording.get_num_segments()} "
                f"segments, the sorting {self.get_num_segments()}"
            )
        if check_spike_frames:
            self._warn_spikes_outside(recording)
        self._recording = recording

    def _warn_spikes_outside(self, recording) -> None:
        """Warn if a spike lies before 0 or past the end of its segment of ``recording``."""
        for segment_index, spikes in enumerate(self.to_spike_vector(concatenated=False)):
            num_samples = recording.get_num_samples(segment_index)
            outside = (spikes["sample_index"] < 0) | (spikes["sample_index"] >= num_samples)
            if outside.any():
                spike = spikes[np.argmax(outside)]
                unit_id = self.unit_ids[spike["unit_index"]].item()
                warnings.warn(
                    f"register_recording(): unit {unit_id!r} has a spike at sample "
                    f"{spike['sample_index']} of segment {segment_index}, outside the recording "
                    f"({num_samples} samples): remove such spikes before extracting waveforms",
                    stacklevel=3,
                )
                return

    def has_recording(self) -> bool:
        """Whether a recording is registered."""
        return self._recording is not None

    def _require_recording(self, what: str):
        if self._recording is None:
            raise ValueError(f"{what} needs a registered recording (use register_recording)")
        return self._recording

    def get_num_samples(self, segment_index: int | None = None) -> int:
        """Samples of a segment of the registered recording."""
        return self._require_recording("get_num_samples()").get_num_samples(
            self._check_segment_index(segment_index)
        )

    def get_total_samples(self) -> int:
        """Samples of the registered recording, summed over segments."""
        return sum(self.get_num_samples(i) for i in range(self.get_num_segments()))

    def get_total_duration(self) -> float:
        """Duration of the registered recording in seconds."""
        return self.get_total_samples() / self.sampling_frequency

    def has_time_vector(self, segment_index: int | None = None) -> bool:
        """Whether the registered recording has a time vector for that segment."""
        segment_index = self._check_segment_index(segment_index)
        return self._recording is not None and self._recording.has_time_vector(segment_index)

    def get_times(self, segment_index: int | None = None):
        """Times of the registered recording for that segment, or None."""
        segment_index = self._check_segment_index(segment_index)
        return None if self._recording is None else self._recording.get_times(segment_index)

    @property
    def sorting_info(self):
        """The ``__sorting_info__`` annotation (recording, params, log), or None."""
        return self.get_annotation("__sorting_info__")

    def set_sorting_info(self, recording_dict, params_dict, log_dict) -> None:
        """Store how the sorting was made."""
        self.annotate(
            __sorting_info__={"recording": recording_dict, "params": params_dict, "log": log_dict}
        )

    # ------------------------------------------------------------------ spike trains
    def get_unit_spike_train(
        self,
        unit_id,
        segment_index: int | None = None,
        start_frame: int | None = None,
        end_frame: int | None = None,
        return_times: bool = False,
        use_cache: bool = True,
    ) -> np.ndarray:
        """Spike train of one unit: sample indices (int64) or times in seconds.

        Parameters
        ----------
        unit_id : int | str
        segment_index : int | None
            Required for multi-segment sortings.
        start_frame, end_frame : int | None
            Keep spikes with ``start_frame <= s < end_frame``.
        return_times : bool
            Seconds (using the registered recording's times when there is one).
        use_cache : bool
            Keep the unit's full train in memory for the next calls.
        """
        segment_index = self._check_segment_index(segment_index)
        self.id_to_index(unit_id)  # unknown ids raise
        start_frame = checked_frame(start_frame, "start_frame")
        end_frame = checked_frame(end_frame, "end_frame")
        if use_cache:
            train = self._cached_train(unit_id, segment_index)
            start = 0 if start_frame is None else np.searchsorted(train, start_frame, "left")
            end = train.size if end_frame is None else np.searchsorted(train, end_frame, "left")
            frames = train[start:end]
        else:
            frames = np.asarray(
                self._sorting_segments[segment_index].get_unit_spike_train(
                    unit_id=unit_id, start_frame=start_frame, end_frame=end_frame
                ),
                dtype="int64",
            )
        if not return_times:
            return frames
        return self._frames_to_times(frames, segment_index)

    def _cached_train(self, unit_id, segment_index: int) -> np.ndarray:
        cache = self._cached_spike_trains.setdefault(segment_index, {})
        train = cache.get(unit_id)
        if train is None:
            if self._cached_spike_vector is not None:
                # one split of the spike vector however many threads ask at once
                with _SPLIT_LOCK:
                    if unit_id not in self._cached_spike_trains.get(segment_index, {}):
                        self.precompute_spike_trains(from_spike_vector=True)
                return self._cached_spike_trains[segment_index][unit_id]
            train = np.asarray(
                self._sorting_segments[segment_index].get_unit_spike_train(
                    unit_id=unit_id, start_frame=None, end_frame=None
                ),
                dtype="int64",
            )
            train.flags.writeable = False
            cache[unit_id] = train
        return train

    def _frames_to_times(self, frames: np.ndarray, segment_index: int) -> np.ndarray:
        if self._recording is not None:
            return self._recording.sample_index_to_time(frames, segment_index=segment_index)
        t_start = self._sorting_segments[segment_index]._t_start or 0.0
        return frames / self.sampling_frequency + t_start

    def precompute_spike_trains(self, from_spike_vector: bool | None = None) -> None:
        """Fill the per-unit cache of every segment (from the spike vector when available)."""
        if from_spike_vector is None:
            from_spike_vector = self._cached_spike_vector is not None
        if not from_spike_vector:
            for segment_index in range(self.get_num_segments()):
                for unit_id in self.unit_ids:
                    self._cached_train(unit_id, segment_index)
            return
        from .spike_vector import spike_vector_to_spike_trains

        trains = spike_vector_to_spike_trains(
            self.to_spike_vector(concatenated=False), self.unit_ids
        )
        for segment_index, per_unit in trains.items():
            for train in per_unit.values():
                train.flags.writeable = False
            self._cached_spike_trains[segment_index] = per_unit

    def get_all_spike_trains(self, outputs: str = "unit_id") -> list:
        """Deprecated: per segment ``(times, labels)`` sorted by time."""
        warnings.warn(
            "get_all_spike_trains() is deprecated: use to_spike_vector()",
            DeprecationWarning,
            stacklevel=2,
        )
        result = []
        for spikes in self.to_spike_vector(concatenated=False):
            labels = (
                spikes["unit_index"]
                if outputs == "unit_index"
                else self.unit_ids[spikes["unit_index"]]
            )
            result.append((spikes["sample_index"].copy(), labels))
        return result

    # ------------------------------------------------------------------ spike vector
    def to_spike_vector(
        self,
        concatenated: bool = True,
        extremum_channel_inds: dict | None = None,
        use_cache: bool = True,
    ):
        """All spikes in one structured array sorted by segment, then sample, then unit index.

        Parameters
        ----------
        concatenated : bool
            One array (True) or a list with one array per segment.
        extremum_channel_inds : dict | None
            ``unit_id -> channel index``: adds a ``channel_index`` field.
        use_cache : bool
            Keep the vector for the next calls.

        Returns
        -------
        np.ndarray | list of np.ndarray
            Read-only: the cache cannot be corrupted through it.
        """
        if use_cache and self._cached_spike_vector is not None:
            spikes = self._cached_spike_vector
        else:
            spikes = self._compute_spike_vector()
            spikes.flags.writeable = False
            if use_cache:
                self._cached_spike_vector = spikes
        if extremum_channel_inds is not None:
            spikes = _with_channel_index(spikes, extremum_channel_inds, self.unit_ids)
        if concatenated:
            return spikes
        bounds = np.searchsorted(spikes["segment_index"], np.arange(self.get_num_segments() + 1))
        return [spikes[bounds[i] : bounds[i + 1]] for i in range(self.get_num_segments())]

    def _compute_spike_vector(self) -> np.ndarray:
        """Build the spike vector from the segments (subclasses may do it faster)."""
        from .spike_vector import spike_vector_from_trains

        per_segment = []
        for segment_index in range(self.get_num_segments()):
            trains = [self._cached_train(unit_id, segment_index) for unit_id in self.unit_ids]
            per_segment.append(trains)
        return spike_vector_from_trains(per_segment)

    # ------------------------------------------------------------------ counting
    def count_num_spikes_per_unit(self, outputs: str = "dict"):
        """Spikes per unit over all segments: ``{unit_id: count}`` or an int64 array."""
        if outputs not in ("dict", "array"):
            raise ValueError(f"outputs must be 'dict' or 'array', got {outputs!r}")
        counts = np.bincount(
            self.to_spike_vector()["unit_index"], minlength=self.get_num_units()
        ).astype("int64")
        if outputs == "array":
            return counts
        return {unit_id: int(c) for unit_id, c in zip(self.unit_ids.tolist(), counts)}

    def count_total_num_spikes(self) -> int:
        """Number of spikes."""
        return int(self.to_spike_vector().size)

    def get_total_num_spikes(self) -> dict:
        """Deprecated alias of ``count_num_spikes_per_unit()``."""
        warnings.warn(
            "get_total_num_spikes() is deprecated: use count_num_spikes_per_unit()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.count_num_spikes_per_unit()

    def get_non_empty_unit_ids(self) -> np.ndarray:
        """Units with at least one spike."""
        return self.unit_ids[self.count_num_spikes_per_unit(outputs="array") > 0]

    def get_empty_unit_ids(self) -> np.ndarray:
        """Units without spikes."""
        return self.unit_ids[self.count_num_spikes_per_unit(outputs="array") == 0]

    def remove_empty_units(self):
        """A view without empty units."""
        return self.select_units(self.get_non_empty_unit_ids())

    # ------------------------------------------------------------------ views
    def select_units(self, unit_ids, renamed_unit_ids=None):
        """A lazy view on ``unit_ids`` (in that order), optionally renamed."""
        from .slicing import UnitsSelectionSorting

        return UnitsSelectionSorting(self, unit_ids=unit_ids, renamed_unit_ids=renamed_unit_ids)

    def rename_units(self, new_unit_ids):
        """A lazy view with every unit renamed."""
        if len(new_unit_ids) != self.get_num_units():
            raise ValueError(
                f"new_unit_ids has {len(new_unit_ids)} ids for {self.get_num_units()} units"
            )
        return self.select_units(self.unit_ids, renamed_unit_ids=new_unit_ids)

    def remove_units(self, remove_unit_ids):
        """A lazy view without ``remove_unit_ids`` (other units in their order)."""
        self.ids_to_indices(list(remove_unit_ids))  # unknown ids raise
        return self.select_units(self.unit_ids[~np.isin(self.unit_ids, remove_unit_ids)])

    def frame_slice(
        self, start_frame: int | None, end_frame: int | None, check_spike_frames: bool = True
    ):
        """A lazy view on ``[start_frame, end_frame)``, spike frames re-referenced to 0."""
        from .slicing import FrameSliceSorting

        return FrameSliceSorting(
            self,
            start_frame=start_frame,
            end_frame=end_frame,
            check_spike_frames=check_spike_frames,
        )

    # ------------------------------------------------------------------ conversion and saving
    def to_numpy_sorting(self, propagate_cache: bool = True):
        """A NumpySorting sharing this sorting's spike vector."""
        from .numpy import NumpySorting

        sorting = NumpySorting.from_sorting(self, with_metadata=True)
        if propagate_cache:
            sorting._cached_spike_trains.update(
                {k: dict(v) for k, v in self._cached_spike_trains.items()}
            )
        return sorting

    def to_shared_memory_sorting(self):
        """A SharedMemorySorting holding a copy of the spike vector."""
        from .numpy import SharedMemorySorting

        return SharedMemorySorting.from_sorting(self, with_metadata=True)

    def to_multiprocessing(self, n_jobs: int):
        """A version of this sorting that is cheap to send to ``n_jobs`` worker processes.

        Memory-mapped folders travel as a path; other sortings become a NumpySorting (one job)
        or a SharedMemorySorting (several).
        """
        from .folders import NumpyFolderSorting
        from .numpy import NumpySorting, SharedMemorySorting

        cheap = (
            (NumpySorting, SharedMemorySorting, NumpyFolderSorting)
            if n_jobs == 1
            else (SharedMemorySorting, NumpyFolderSorting)
        )
        if isinstance(self, cheap):
            return self
        return self.to_numpy_sorting() if n_jobs == 1 else self.to_shared_memory_sorting()

    def _saved_folder_class_path(self) -> str:
        from .folders import saved_folder_class_path

        return saved_folder_class_path(self._save_format)

    def _save_data_to_folder(self, folder, format: str | None = None, **save_kwargs) -> None:
        from .folders import write_sorting_folder_data

        self._save_format = write_sorting_folder_data(self, folder, format=format)
        if self._recording is not None:
            warnings.warn("the registered recording is not saved with the sorting")

    def _save_to_memory(self, sharedmem: bool = True, **save_kwargs):
        return self.to_shared_memory_sorting() if sharedmem else self.to_numpy_sorting()

    def save_to_zarr(
        self,
        name=None,
        folder=None,
        overwrite: bool = False,
        storage_options=None,
        channel_chunk_size=None,
        verbose: bool = True,
        **save_kwargs,
    ):
        """Write a zarr store (SpikeInterface 0.100 sorting layout) and return it read back."""
        from .zarr import save_sorting_to_zarr

        return save_sorting_to_zarr(
            self,
            name=name,
            folder=folder,
            overwrite=overwrite,
            storage_options=storage_options,
            verbose=verbose,
            **save_kwargs,
        )


class BaseSortingSegment(BaseSegment):
    """One segment of a sorting.

    Subclasses implement ``get_unit_spike_train(unit_id, start_frame, end_frame)``: sorted sample
    indices with ``start_frame <= s < end_frame`` (either bound may be None).
    """

    def __init__(self, t_start: float | None = None) -> None:
        self._t_start = t_start

    def get_unit_spike_train(
        self, unit_id, start_frame: int | None, end_frame: int | None
    ) -> np.ndarray:
        """Sample indices of one unit's spikes in ``[start_frame, end_frame)``."""
        raise NotImplementedError


def _with_channel_index(
    spikes: np.ndarray, extremum_channel_inds: dict, unit_ids: np.ndarray
) -> np.ndarray:
    missing = [u for u in unit_ids.tolist() if u not in extremum_channel_inds]
    if missing:
        raise ValueError(f"extremum_channel_inds has no channel for units {missing}")
    lookup = np.array([extremum_channel_inds[u] for u in unit_ids.tolist()], dtype="int64")
    out = np.zeros(spikes.size, dtype=minimum_spike_dtype.descr + [("channel_index", "int64")])
    for name in minimum_spike_dtype.names:
        out[name] = spikes[name]
    out["channel_index"] = lookup[spikes["unit_index"]] if spikes.size else []
    return out
