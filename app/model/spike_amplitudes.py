"""The amplitude of each spike of a unit, for the amplitudes view (no Qt).

From the waveform extractor's ``spike_amplitudes`` extension when it was computed; otherwise read
from the lazy recording: the extremum of a short window around each spike on the unit's channel
(``session.unit_channel_ids``), one small read per spike, so that an hours-long recording costs
no more than the unit's spikes. Units with very many spikes are sampled (seeded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.model.curation_reuse import shared_spike_rows
from core.waveforms.spike_windows import read_spike_windows, spike_position_dtype

#: Spikes read per unit at most (a seeded sample beyond).
MAX_SPIKES = 30_000
#: Half-width of the window searched for a spike's peak, in ms.
PEAK_HALF_WIDTH_MS = 0.4


@dataclass(frozen=True)
class UnitAmplitudes:
    """Amplitudes of a unit's spikes in one segment.

    Attributes
    ----------
    unit_id : int or str
    segment_index : int
    times : np.ndarray
        Spike times (s, the recording's time axis).
    amplitudes : np.ndarray
        float64, µV when ``scaled``.
    spike_indices : np.ndarray
        Position of each spike in the unit's spike train concatenated across segments (the
        indices a curation split uses).
    total_spikes : int
        Spikes of the unit in the segment (more than shown when sampled).
    scaled : bool
    source : str
        ``"extension"`` or ``"recording"``.
    """

    unit_id: object
    segment_index: int
    times: np.ndarray
    amplitudes: np.ndarray
    spike_indices: np.ndarray
    total_spikes: int
    scaled: bool
    source: str


def unit_amplitudes(
    sorting,
    unit_id,
    segment_index: int,
    recording=None,
    channel_id=None,
    waveform_extractor=None,
    return_scaled: bool = True,
    seed: int = 0,
) -> UnitAmplitudes:
    """Amplitudes of ``unit_id``'s spikes in a segment.

    Parameters
    ----------
    sorting : BaseSorting
    unit_id : int or str
    segment_index : int
    recording : BaseRecording or None
        Read when there is no extension; gives the times.
    channel_id : int or str or None
        The unit's extremum channel (needed to read from the recording).
    waveform_extractor : WaveformExtractor or None
        Its ``spike_amplitudes`` extension is used when present.
    return_scaled : bool
        µV when the recording has gains.
    seed : int
        Seed of the sample of units with more than `MAX_SPIKES` spikes.

    Raises
    ------
    ValueError
        When there is neither an extension nor a recording and channel to read from.
    """
    train = np.asarray(sorting.get_unit_spike_train(unit_id, segment_index=segment_index))
    before = sum(
        sorting.get_unit_spike_train(unit_id, segment_index=s).size for s in range(segment_index)
    )
    indices = np.arange(train.size)
    times = _times(sorting, recording, train, segment_index)
    extension = _extension(waveform_extractor)
    if extension is not None:
        values = extension.get_data(outputs="by_unit")[segment_index][unit_id]
        # extensions keep their parameters in ``_params``, as SpikeInterface's do
        scaled = bool((extension._params or {}).get("return_scaled", True))
        return UnitAmplitudes(
            unit_id, segment_index, times, np.asarray(values, "float64"), indices + before,
            train.size, scaled, "extension",
        )  # fmt: skip
    if recording is None or channel_id is None:
        raise ValueError(
            "spike amplitudes need the recording and the unit's channel, or a waveform "
            "extractor with computed spike amplitudes"
        )
    if train.size > MAX_SPIKES:
        keep = np.sort(np.random.default_rng(seed).choice(train.size, MAX_SPIKES, replace=False))
        train, times, indices = train[keep], times[keep], indices[keep]
    half = max(int(round(PEAK_HALF_WIDTH_MS * recording.sampling_frequency / 1000)), 1)
    spikes = np.zeros(train.size, dtype=spike_position_dtype)
    spikes["sample_index"], spikes["segment_index"] = train, segment_index
    scaled = return_scaled and recording.has_scaled()
    windows = read_spike_windows(
        recording, spikes, half, half + 1, channel_ids=[channel_id], return_scaled=scaled
    )[:, :, 0].astype("float64")
    baseline = np.median(windows, axis=1)
    amplitudes = windows.min(axis=1) - baseline if windows.size else np.empty(0)
    return UnitAmplitudes(
        unit_id, segment_index, times, amplitudes, indices + before,
        int(sorting.get_unit_spike_train(unit_id, segment_index=segment_index).size),
        bool(scaled), "recording",
    )  # fmt: skip


def _times(sorting, recording, train: np.ndarray, segment_index: int) -> np.ndarray:
    if recording is not None:
        return np.asarray(recording.sample_index_to_time(train, segment_index=segment_index))
    return train / sorting.sampling_frequency


def _extension(waveform_extractor):
    if waveform_extractor is None or not waveform_extractor.has_extension("spike_amplitudes"):
        return None
    return waveform_extractor.load_extension("spike_amplitudes")


def amplitudes_from_parts(
    sorting, unit_id, segment_index: int, previous_sorting, parts: list, seed: int = 0
) -> UnitAmplitudes | None:
    """A unit's amplitudes taken from amplitudes read before for units of ``previous_sorting``
    (``parts``, read on the channel of the unit now, from the same recording), without reading
    the recording again.

    A spike's amplitude depends only on its sample, the channel and the recording. Two cases
    give the spikes reading would (all of them, or a uniform sample):

    - a split: the unit's spikes are all spikes of one part; it gets the part's read spikes
      that it holds (all its spikes when the part was read completely, else a uniform sample
      of them, smaller than the `MAX_SPIKES` reading would take);
    - a merge: its spikes are all the spikes of the parts it holds spikes of. Parts read
      completely give every spike. When some part was sampled (more than `MAX_SPIKES` spikes),
      each part's read spikes (a uniform sample of that part) are thinned, seeded, to the
      lowest sampling rate among the parts (and to at most `MAX_SPIKES` in all): every spike
      of the merged unit then has the same chance to be shown, so the dots and the histogram
      are as representative as a new sample read from the recording would be, without
      reading it.

    Spikes are matched by their row in the base sorting's spike vector when both sortings are
    curations of one base (or one is the other's base); else by sample, which needs the unit's
    spikes at distinct samples.

    Returns
    -------
    UnitAmplitudes or None
        None in any other case (read the recording then).
    """
    if not parts or any(p.source != "recording" or p.segment_index != segment_index for p in parts):
        return None
    counts = [
        sorting.get_unit_spike_train(unit_id, segment_index=s).size for s in range(segment_index)
    ]
    before = int(sum(counts))
    train = np.asarray(sorting.get_unit_spike_train(unit_id, segment_index=segment_index))
    rows = shared_spike_rows(sorting, previous_sorting)
    if rows is not None:
        keys = rows(sorting, unit_id)[before : before + train.size]
    elif train.size and np.all(np.diff(train) > 0):
        keys = train
    else:
        return None  # spikes at one sample: positions would be ambiguous
    if keys.size == 0:
        return None
    # per part holding spikes of the unit: (part, positions, mask of its read spikes, whether
    # all its spikes are the unit's)
    found = []
    split_of = None
    for part in parts:
        part_before = sum(
            previous_sorting.get_unit_spike_train(part.unit_id, segment_index=s).size
            for s in range(segment_index)
        )
        if rows is not None:
            part_keys = rows(previous_sorting, part.unit_id)
            read = part_keys[part.spike_indices]
            part_keys = part_keys[part_before : part_before + part.total_spikes]
        else:
            part_keys = np.asarray(
                previous_sorting.get_unit_spike_train(part.unit_id, segment_index=segment_index)
            )
            read = part_keys[part.spike_indices - part_before]
        positions = np.searchsorted(keys, read)
        held = positions < keys.size
        held[held] = keys[positions[held]] == read[held]
        if not held.any():
            continue
        wholly_inside = part_keys.size <= keys.size and _all_in(part_keys, keys)
        found.append((part, positions[held], held, wholly_inside))
        if split_of is None and keys.size <= part_keys.size and _all_in(keys, part_keys):
            split_of = found[-1][:3]
    if split_of is not None:
        chosen = [split_of]
    elif (
        found
        and all(whole for *_, whole in found)
        and sum(p.total_spikes for p, *_ in found) == keys.size
    ):
        chosen = _same_rate([entry[:3] for entry in found], min(MAX_SPIKES / keys.size, 1.0), seed)
    else:
        return None
    if len({p.scaled for p, _, _ in chosen}) != 1:
        return None
    positions = np.concatenate([positions for _, positions, _ in chosen])
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    if positions.size > 1 and not np.all(np.diff(positions) > 0):
        return None  # a spike in two parts: not a merge or a split of them
    times = np.concatenate([p.times[held] for p, _, held in chosen])[order]
    amplitudes = np.concatenate([p.amplitudes[held] for p, _, held in chosen])[order]
    if positions.size > MAX_SPIKES:
        keep = np.sort(np.random.default_rng(seed).choice(positions.size, MAX_SPIKES, False))
        positions, times, amplitudes = positions[keep], times[keep], amplitudes[keep]
    return UnitAmplitudes(
        unit_id, segment_index, times, amplitudes, positions + before, int(train.size),
        chosen[0][0].scaled, "recording",
    )  # fmt: skip


def _all_in(values: np.ndarray, sorted_keys: np.ndarray) -> bool:
    """Whether every one of the sorted ``values`` is in the sorted ``sorted_keys`` (a few of
    them looked up first: a unit that is not a part of another fails at once)."""
    for probe in (values[:: max(values.size // 64, 1)], values):
        at = np.searchsorted(sorted_keys, probe)
        if np.any(at >= sorted_keys.size) or not np.array_equal(sorted_keys[at], probe):
            return False
    return True


def _same_rate(found: list, most: float, seed: int) -> list:
    """The parts' read spikes thinned to one sampling rate: the lowest rate at which a part
    was read (read / total spikes), at most ``most``. Each part's read spikes are a uniform
    sample of it, so a uniform sample of them at the common rate makes the union a uniform
    sample of the merged unit (a part read completely keeps all its spikes at rate 1)."""
    rate = min([most] + [p.amplitudes.size / p.total_spikes for p, _, _ in found])
    rng = np.random.default_rng(seed)
    thinned = []
    for part, positions, held in found:
        where = np.flatnonzero(held)
        count = min(int(round(rate * part.total_spikes)), where.size)
        if count < where.size:
            pick = np.sort(rng.choice(where.size, count, replace=False))
            held = np.zeros_like(held)
            held[where[pick]] = True
            positions = positions[pick]
        thinned.append((part, positions, held))
    return thinned
