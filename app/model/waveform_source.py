"""Templates and a few waveforms of one unit at a time, for the templates view (no Qt).

`WaveformSource` reads them from an open WaveformExtractor (SpikeDesk's own, SpikeInterface 0.100
folders and zarr stores, SortingAnalyzer folders) or, with only a recording and a sorting open,
cuts the windows of a few randomly drawn spikes straight from the lazy recording
(`core.waveforms.spike_windows`). Each unit is read once and kept in a small cache; every call
may run on a worker thread.

After a curation action, the units the action changed stay at hand (`keep_units_of`): a merged
unit is drawn at once from its parts' templates (`provisional`) while its own are read, and an
undo finds its parts again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.model.curation_reuse import same_unit_spikes, split_from, union_parts
from core.sorted_lookup import in_sorted
from core.waveforms.spike_windows import read_spike_windows, sample_unit_spikes

#: Spikes averaged into a template cut from the recording (more when more waveforms are shown).
TEMPLATE_SPIKES = 100
#: Window cut around each spike from the recording, in milliseconds (extract_waveforms' default).
MS_BEFORE, MS_AFTER = 1.0, 2.0
#: Individual waveforms are kept on at most this many channels nearest the unit's extremum.
MAX_WAVEFORM_CHANNELS = 64
#: Bytes of units kept in the cache (least recently used units are dropped first).
CACHE_BYTES = 256 * 1024**2
#: Seed of the spike draws and of the order in which individual waveforms are shown.
SEED = 0


@dataclass(frozen=True)
class UnitWaveforms:
    """A unit's template, spread and some of its waveforms, on the channels that have data.

    Attributes
    ----------
    unit_id : int or str
    channel_ids : np.ndarray
        Channels of ``template`` and ``std`` (every channel, or the unit's sparse channels for
        sparse waveforms), in recording order.
    template, std : np.ndarray
        ``(num_samples, num_channels)`` float32: mean and standard deviation over the spikes;
        ``std`` is NaN when there are no individual waveforms to measure it.
    waveform_channel_ids : np.ndarray
        Channels of ``waveforms`` (a subset of ``channel_ids``, nearest the extremum first).
    waveforms : np.ndarray
        ``(num_waveforms, num_samples, len(waveform_channel_ids))`` float32, in random order
        (the first N are a random sample of N).
    nbefore : int
        Sample of the spike in the window.
    sampling_frequency : float
    scaled : bool
        Whether values are µV (else raw values).
    num_spikes : int
        Spikes averaged into ``template``.
    from_extractor : bool
        Whether the data comes from a waveform extractor (else cut from the recording).
    complete : bool
        Whether ``template`` averages every spike of the unit (else a sample of them).
    provisional : bool
        Whether it was combined from the templates of the units merged into it
        (`combine_parts`), or estimated from the unit it was split off (`split_part`), to be
        replaced by the unit's own.
    sampled_spikes : np.ndarray | None
        Positions (``sample_index``, ``segment_index``) of the spikes ``template`` averages, when
        they were cut from the recording (else None).
    sampled_windows : np.ndarray | None
        Their windows on ``waveform_channel_ids``, in the same order (what a part split off the
        unit is first drawn from).
    """

    unit_id: Any
    channel_ids: np.ndarray
    template: np.ndarray
    std: np.ndarray
    waveform_channel_ids: np.ndarray
    waveforms: np.ndarray
    nbefore: int
    sampling_frequency: float
    scaled: bool
    num_spikes: int
    from_extractor: bool
    complete: bool = False
    provisional: bool = False
    sampled_spikes: np.ndarray | None = None
    sampled_windows: np.ndarray | None = None

    @property
    def num_samples(self) -> int:
        """Samples per window."""
        return int(self.template.shape[0])

    def times_ms(self) -> np.ndarray:
        """Time of each sample relative to the spike, in milliseconds."""
        return (np.arange(self.num_samples) - self.nbefore) * 1000.0 / self.sampling_frequency

    def extremum_channel_id(self):
        """The channel where the template dips the most (its largest negative peak)."""
        return self.channel_ids[int(np.argmin(self.template.min(axis=0)))].item()

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        kept = [self.template, self.std, self.waveforms, self.sampled_spikes, self.sampled_windows]
        return int(sum(array.nbytes for array in kept if array is not None))


@dataclass(frozen=True)
class ChannelLayout:
    """Where the channels are: ids, positions (µm) and groups (shanks, tetrodes)."""

    channel_ids: np.ndarray
    locations: np.ndarray  # (num_channels, 2)
    groups: np.ndarray  # (num_channels,)

    def indices(self, channel_ids) -> np.ndarray:
        """Positions of ``channel_ids`` in the layout."""
        lookup = {c: i for i, c in enumerate(self.channel_ids.tolist())}
        return np.array([lookup[c] for c in np.asarray(channel_ids).tolist()], dtype="int64")

    def nearest(self, center_id, count: int, among=None, same_group: bool = True) -> np.ndarray:
        """Up to ``count`` channel ids nearest ``center_id`` (itself first), nearest first.

        Parameters
        ----------
        center_id : int or str
            The channel to start from.
        count : int
            Channels wanted.
        among : sequence or None
            Only these channels (all when None).
        same_group : bool, default: True
            Only channels of ``center_id``'s group (its shank or tetrode).
        """
        candidates = np.arange(self.channel_ids.size) if among is None else self.indices(among)
        center = self.indices([center_id])[0]
        if same_group:
            candidates = candidates[self.groups[candidates] == self.groups[center]]
        distances = np.hypot(*(self.locations[candidates] - self.locations[center]).T)
        order = np.lexsort((candidates, distances))
        return self.channel_ids[candidates[order[: max(int(count), 1)]]]


class WaveformSource:
    """Per-unit templates and waveforms from a waveform extractor, or cut from the recording.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or None
        Preferred source when given (its templates are the ones shown).
    recording, sorting : BaseRecording, BaseSorting or None
        Used when there is no waveform extractor (or it lost its waveforms), and for the units
        of ``sorting`` (e.g. a curated version of the extractor's) the extractor does not have.
    return_scaled : bool, default: True
        Cut µV from the recording when it has gains (a waveform extractor keeps its own units).
    cache_bytes : int
        Memory kept for units already read.

    Raises
    ------
    ValueError
        If neither a waveform extractor nor a recording with a sorting is given, or the
        channels have no locations.
    """

    def __init__(
        self,
        waveform_extractor=None,
        recording=None,
        sorting=None,
        return_scaled: bool = True,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        we = waveform_extractor
        if we is not None and not _has_waveforms(we) and recording is None:
            recording = we.recording if we.has_recording() else None
        if we is None and (recording is None or sorting is None):
            raise ValueError("a waveform extractor, or a recording and a sorting, are needed")
        self.waveform_extractor = we
        self.recording = recording
        # the open sorting may be a curated version of the extractor's: units it does not know
        # (merged, split) are cut from the recording
        self.sorting = sorting if sorting is not None else we.sorting
        self._extracted_units = set() if we is None else set(we.unit_ids.tolist())
        self.return_scaled = bool(return_scaled) and (
            recording is not None and recording.has_scaled()
        )
        self.layout = _layout(we, recording)
        self._cache_bytes = int(cache_bytes)
        self._cache: OrderedDict[Any, UnitWaveforms] = OrderedDict()
        self._lock = threading.Lock()
        # the sorting before the last curation action and its units that action changed
        self._former: tuple[Any, dict] = (None, {})

    @classmethod
    def from_session(cls, session) -> WaveformSource | None:
        """The source for what ``session`` holds, or None when nothing can give waveforms.

        Raises
        ------
        ValueError
            If what is open cannot be drawn (e.g. channels without locations).
        """
        we = session.waveform_extractor
        recording, sorting = session.recording, session.sorting
        if we is None and (recording is None or sorting is None):
            return None
        if (
            we is not None
            and recording is not None
            and we.get_num_channels() != (recording.get_num_channels())
        ):
            recording = None  # another channel set: the extractor's own data only
        return cls(we, recording, sorting, session.return_scaled)

    def keep_units_of(self, other: WaveformSource) -> None:
        """Keep the units ``other`` has read whose waveforms hold for this source too: same
        waveform extractor, recording and scaling, and the same spikes in both sortings (a
        curation action leaves the units it does not touch as they were).

        The others (the units the action merged or split) are kept aside as the parts a
        merged unit may be drawn from (`provisional`); with ``other``'s own such units, which
        an undo brings back.
        """
        if (
            other.waveform_extractor is not self.waveform_extractor
            or other.recording is not self.recording
            or other.return_scaled != self.return_scaled
        ):
            return
        with other._lock:
            read = list(other._cache.items())
            earlier_sorting, earlier = other._former
        kept = [(u, w) for u, w in read if same_unit_spikes(other.sorting, self.sorting, u)]
        back = [
            (u, w) for u, w in earlier.items() if same_unit_spikes(earlier_sorting, self.sorting, u)
        ]  # an undo: the units the undone action changed
        kept_ids = {u for u, _ in kept}
        changed = {u: w for u, w in read if u not in kept_ids}
        with self._lock:
            for unit_id, unit in kept + back:
                self._cache.setdefault(unit_id, unit)
            self._former = (other.sorting, changed)

    def cached(self, unit_id, num_waveforms: int) -> UnitWaveforms | None:
        """The unit as `load` would give it when it is read already (else None; reads
        nothing)."""
        with self._lock:
            cached = self._cache.get(unit_id)
        if cached is None or (
            cached.waveforms.shape[0] < int(num_waveforms)
            and cached.num_spikes > cached.waveforms.shape[0]
        ):
            return None
        return cached

    def provisional(self, unit_id, num_waveforms: int) -> UnitWaveforms | None:
        """A first estimate of a unit the last curation action made, from units read before it
        (`keep_units_of`): a merged unit combined from its parts' templates (`combine_parts`),
        or a part split off a unit cut from the recording, from that unit's sampled windows
        that are its spikes (`split_part`); else None.

        Costs lookups of the unit's spike rows in the units the action changed (milliseconds
        on 10 M spikes) and reads no waveform.
        """
        with self._lock:
            before, changed = self._former
        if not changed or unit_id in self._extracted_units:
            return None
        try:
            parts = union_parts(self.sorting, before, unit_id, list(changed))
            if parts:
                counts = [_spike_count(before, u) for u in parts]
                return combine_parts(unit_id, [changed[u] for u in parts], num_waveforms, counts)
            whole = split_from(self.sorting, before, unit_id, list(changed))
        except (KeyError, ValueError, IndexError):
            return None  # a unit one of the sortings lacks
        if whole is None or changed[whole].sampled_spikes is None:
            return None
        trains = [
            self.sorting.get_unit_spike_train(unit_id, segment_index=segment)
            for segment in range(self.sorting.get_num_segments())
        ]
        return split_part(unit_id, changed[whole], trains, num_waveforms)

    @property
    def uses_extractor(self) -> bool:
        """Whether templates come from a waveform extractor (else cut from the recording)."""
        return self.waveform_extractor is not None

    def prepare(self) -> None:
        """Read what the first `load` would wait for (the sorting's per-unit spike index, the
        extractor's templates), so that the first unit shown does not."""
        unit_ids = self.sorting.unit_ids
        if len(unit_ids) == 0:
            return
        self.sorting.get_unit_spike_train(unit_ids[0], segment_index=0)
        we = self.waveform_extractor
        if we is not None and unit_ids[0] in self._extracted_units:
            we.get_template(unit_ids[0])

    def load(self, unit_id, num_waveforms: int) -> UnitWaveforms:
        """The template, spread and ``num_waveforms`` (or all there are) waveforms of a unit.

        Raises
        ------
        ValueError
            If the unit is unknown or has no spikes to average.
        """
        num_waveforms = int(num_waveforms)
        cached = self.cached(unit_id, num_waveforms)
        if cached is not None:
            with self._lock:
                if unit_id in self._cache:
                    self._cache.move_to_end(unit_id)
            return cached
        we = self.waveform_extractor
        if we is not None and unit_id in self._extracted_units and _has_waveforms(we):
            unit = self._from_extractor(unit_id, num_waveforms)
        else:
            unit = self._from_recording(unit_id, num_waveforms)
        with self._lock:
            self._cache[unit_id] = unit
            self._cache.move_to_end(unit_id)
            total = sum(u.nbytes for u in self._cache.values())
            while total > self._cache_bytes and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                total -= dropped.nbytes
        return unit

    # ------------------------------------------------------------------ readers
    def _from_extractor(self, unit_id, num_waveforms: int) -> UnitWaveforms:
        we = self.waveform_extractor
        if we.sparsity is not None:
            channel_ids = np.asarray(we.sparsity.unit_id_to_channel_ids[unit_id])
        else:
            channel_ids = np.asarray(we.channel_ids)
        template = np.asarray(we.get_template(unit_id), dtype="float32")
        stored = we.get_waveforms(unit_id)
        total = int(stored.shape[0])
        if total == 0:
            raise ValueError(f"unit {unit_id!r} has no waveforms in the extractor")
        wanted = max(num_waveforms, min(total, TEMPLATE_SPIKES))
        # a random subset in random order, read in file order (memmaps read forward)
        rows = np.random.default_rng(SEED).permutation(total)[:wanted]
        waveforms = _read_rows(stored, np.sort(rows))[np.argsort(np.argsort(rows))]
        std = waveforms.std(axis=0)
        keep = self._waveform_channels(channel_ids, template)
        return UnitWaveforms(
            unit_id=_plain(unit_id),
            channel_ids=channel_ids,
            template=template,
            std=std.astype("float32"),
            waveform_channel_ids=channel_ids[keep],
            waveforms=np.ascontiguousarray(waveforms[:num_waveforms][:, :, keep]),
            nbefore=int(we.nbefore),
            sampling_frequency=float(we.sampling_frequency),
            scaled=bool(we.return_scaled),
            num_spikes=total,
            from_extractor=True,
            complete=total == _spike_count(we.sorting, unit_id),
        )

    def _from_recording(self, unit_id, num_waveforms: int) -> UnitWaveforms:
        recording, sorting = self.recording, self.sorting
        if recording is None:
            raise ValueError(
                f"no waveforms of unit {unit_id!r}: open the recording, or extract waveforms again"
            )
        fs = recording.sampling_frequency
        nbefore, nafter = int(MS_BEFORE * fs / 1000.0), int(MS_AFTER * fs / 1000.0)
        num_samples = [recording.get_num_samples(s) for s in range(recording.get_num_segments())]
        drawn = max(num_waveforms, TEMPLATE_SPIKES)
        spikes = sample_unit_spikes(
            sorting,
            unit_id,
            drawn,
            seed=SEED,
            num_samples=num_samples,
            margin=max(nbefore, nafter),
        )
        if spikes.size == 0:
            raise ValueError(f"unit {unit_id!r} has no spikes to average")
        windows = read_spike_windows(
            recording, spikes, nbefore, nafter, return_scaled=self.return_scaled
        ).astype("float32", copy=False)
        template = windows.mean(axis=0)
        std = windows.std(axis=0)
        channel_ids = np.asarray(recording.channel_ids)
        keep = self._waveform_channels(channel_ids, template)
        order = np.random.default_rng(SEED).permutation(spikes.size)[:num_waveforms]
        return UnitWaveforms(
            unit_id=_plain(unit_id),
            channel_ids=channel_ids,
            template=template,
            std=std,
            waveform_channel_ids=channel_ids[keep],
            waveforms=np.ascontiguousarray(windows[order][:, :, keep]),
            nbefore=nbefore,
            sampling_frequency=float(fs),
            scaled=self.return_scaled,
            num_spikes=int(spikes.size),
            from_extractor=False,
            complete=spikes.size < drawn,  # fewer than asked: all there are (off the margins)
            sampled_spikes=spikes,
            sampled_windows=np.ascontiguousarray(windows[:, :, keep]),
        )

    def _waveform_channels(self, channel_ids: np.ndarray, template: np.ndarray) -> np.ndarray:
        """Positions in ``channel_ids`` of the channels nearest the template's extremum."""
        if channel_ids.size <= MAX_WAVEFORM_CHANNELS:
            return np.arange(channel_ids.size)
        center = channel_ids[int(np.argmin(template.min(axis=0)))]
        nearest = self.layout.nearest(
            center, MAX_WAVEFORM_CHANNELS, among=channel_ids, same_group=False
        )
        positions = {c: i for i, c in enumerate(channel_ids.tolist())}
        return np.array([positions[c] for c in nearest.tolist()], dtype="int64")


def combine_parts(
    unit_id, parts: list[UnitWaveforms], num_waveforms: int, unit_spike_counts=None
) -> UnitWaveforms | None:
    """The template of the union of the spikes of ``parts`` (the units merged into
    ``unit_id``), from theirs: the mean weighted by their spike counts, the pooled spread and
    their waveforms; on the channels all of them have. None when they do not fit together
    (other windows, scaling, or no common channel).

    The mean is exact when every part's template averages all its spikes (``complete``): the
    mean of a union is the count-weighted mean of the parts' means, and its variance is
    ``sum(n_i * (s_i**2 + (m_i - m)**2)) / N``. When the parts' templates average samples of
    their spikes, weighting by the parts' spike counts in the sorting (``unit_spike_counts``)
    estimates the union's mean, which a sample of the merged unit's spikes then draws near;
    weighting by the samples' sizes would count a small part as much as a large one.

    Parameters
    ----------
    unit_id
        The merged unit.
    parts : list of UnitWaveforms
        The parts' templates, as read before the merge.
    num_waveforms : int
        Individual waveforms to keep (from the parts' own).
    unit_spike_counts : sequence of int | None
        Spikes of each part in the sorting (None, or a count below 1: the spikes averaged
        into its template, ``num_spikes``).
    """
    first = parts[0]
    if any(
        p.nbefore != first.nbefore
        or p.num_samples != first.num_samples
        or p.sampling_frequency != first.sampling_frequency
        or p.scaled != first.scaled
        for p in parts
    ):
        return None
    channel_ids = _common_channels([p.channel_ids for p in parts])
    if channel_ids.size == 0:
        return None
    counts = np.array([p.num_spikes for p in parts], dtype="float64")
    total = counts.sum()
    if unit_spike_counts is not None and min(unit_spike_counts) >= 1:
        counts = np.asarray(unit_spike_counts, dtype="float64")
    means = np.stack([_columns(p.template, p.channel_ids, channel_ids) for p in parts])
    stds = np.stack([_columns(p.std, p.channel_ids, channel_ids) for p in parts])
    weights = (counts / counts.sum())[:, None, None]
    template = (weights * means).sum(axis=0)
    variance = (weights * (stds**2 + (means - template) ** 2)).sum(axis=0)
    waveform_channel_ids = _common_channels([p.waveform_channel_ids for p in parts])
    waveforms = np.concatenate(
        [_columns(p.waveforms, p.waveform_channel_ids, waveform_channel_ids) for p in parts]
    )
    order = np.random.default_rng(SEED).permutation(waveforms.shape[0])[: int(num_waveforms)]
    return UnitWaveforms(
        unit_id=_plain(unit_id),
        channel_ids=channel_ids,
        template=template.astype("float32"),
        std=np.sqrt(variance).astype("float32"),
        waveform_channel_ids=waveform_channel_ids,
        waveforms=np.ascontiguousarray(waveforms[order], dtype="float32"),
        nbefore=first.nbefore,
        sampling_frequency=first.sampling_frequency,
        scaled=first.scaled,
        num_spikes=int(total),
        from_extractor=all(p.from_extractor for p in parts),
        complete=all(p.complete for p in parts),
        provisional=True,
    )


def split_part(
    unit_id, whole: UnitWaveforms, spike_trains: list, num_waveforms: int
) -> UnitWaveforms | None:
    """A part split off ``whole`` (a unit cut from the recording), estimated from the sampled
    windows of ``whole`` that are the part's spikes: a random sample of the whole unit's spikes
    restricted to a part is a random sample of the part's. None when no sampled spike is the
    part's.

    Parameters
    ----------
    unit_id
        The part.
    whole : UnitWaveforms
        The unit it was split off, with ``sampled_spikes`` and ``sampled_windows``.
    spike_trains : list of np.ndarray
        The part's spike train in each segment (sorted sample indices).
    num_waveforms : int
        Individual waveforms to keep.
    """
    spikes = whole.sampled_spikes
    inside = np.zeros(spikes.size, dtype=bool)
    for segment, train in enumerate(spike_trains):
        in_segment = np.flatnonzero(spikes["segment_index"] == segment)
        inside[in_segment] = in_sorted(spikes["sample_index"][in_segment], train)
    if not inside.any():
        return None
    windows = whole.sampled_windows[inside]
    order = np.random.default_rng(SEED).permutation(windows.shape[0])[: int(num_waveforms)]
    return UnitWaveforms(
        unit_id=_plain(unit_id),
        channel_ids=whole.waveform_channel_ids,
        template=windows.mean(axis=0),
        std=windows.std(axis=0),
        waveform_channel_ids=whole.waveform_channel_ids,
        waveforms=np.ascontiguousarray(windows[order]),
        nbefore=whole.nbefore,
        sampling_frequency=whole.sampling_frequency,
        scaled=whole.scaled,
        num_spikes=int(np.count_nonzero(inside)),
        from_extractor=False,
        complete=False,
        provisional=True,
    )


def _common_channels(channel_lists: list) -> np.ndarray:
    """The channels in every list, in the first list's order."""
    common = set(channel_lists[0].tolist()).intersection(*(c.tolist() for c in channel_lists))
    return np.array(
        [c for c in channel_lists[0].tolist() if c in common], dtype=channel_lists[0].dtype
    )


def _columns(values: np.ndarray, channel_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` (channels on the last axis, ``channel_ids``) on the ``wanted`` channels."""
    position = {c: i for i, c in enumerate(channel_ids.tolist())}
    return values[..., [position[c] for c in wanted.tolist()]]


def _spike_count(sorting, unit_id) -> int:
    """Spikes of ``unit_id`` over every segment (-1 when the sorting cannot say)."""
    try:
        return sum(
            int(sorting.get_unit_spike_train(unit_id, segment_index=s).size)
            for s in range(sorting.get_num_segments())
        )
    except (AttributeError, KeyError, ValueError):  # no sorting, or not this unit
        return -1


def _has_waveforms(we) -> bool:
    try:
        return bool(we.has_waveforms())
    except (OSError, ValueError):
        return False


def _read_rows(stored, rows: np.ndarray) -> np.ndarray:
    """float32 copy of ``stored[rows]`` (a numpy array, memmap or zarr array; sorted rows)."""
    if hasattr(stored, "oindex"):  # zarr: orthogonal selection reads only the chunks it needs
        return np.asarray(stored.oindex[rows], dtype="float32")
    return np.asarray(stored[rows], dtype="float32")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _layout(we, recording) -> ChannelLayout:
    """Channel ids, locations and groups of the recording (or of the extractor's records)."""
    if recording is not None and recording.has_channel_location():
        ids = np.asarray(recording.channel_ids)
        locations = np.asarray(recording.get_channel_locations(), dtype="float64")
        groups = recording.get_channel_groups()
    elif we is not None:
        ids = np.asarray(we.channel_ids)
        locations = np.asarray(we.get_channel_locations(), dtype="float64")
        try:
            groups = we.get_recording_property("group")
        except ValueError:  # a store that kept no channel properties
            groups = None
    else:
        raise ValueError("the recording has no channel locations: set a probe to draw templates")
    if groups is None:
        groups = np.zeros(ids.size, dtype="int64")
    return ChannelLayout(ids, locations[:, :2], np.asarray(groups))
