"""Which results a view drew for a sorting still hold after a curation action.

A curated sorting (`core.curation.CuratedSorting`) holds each unit as the rows of its spikes
in the base sorting's spike vector; the versions of a curation that keep a unit share its rows
array. A unit whose rows array is the same object in two versions has the same spikes in both,
so whatever was computed from its spikes (amplitudes, templates) holds for both.
"""

from __future__ import annotations

import numpy as np

from app.model.raster_data import curation_base
from core.curation import CuratedSorting
from core.sorted_lookup import in_sorted


def same_unit_spikes(before, after, unit_id) -> bool:
    """Whether ``unit_id`` has the same spikes in sorting ``before`` and sorting ``after``.

    True for the same sorting object, or for two curations of the same base that share the
    unit's spike rows (the unit was left alone by the actions between them); False otherwise
    (another sorting, a unit one of them lacks, or a plain sorting against a curation of it,
    whose units are not compared spike by spike).
    """
    if before is None or after is None:
        return False
    if before is after:
        return True
    unit_id = unit_id.item() if hasattr(unit_id, "item") else unit_id
    base = curation_base(after)
    if base is not None and before is base:  # the first action of a curation
        return after.keeps_base_unit(unit_id)
    if base is None and curation_base(before) is after:  # the curation closed
        return before.keeps_base_unit(unit_id)
    if base is None or curation_base(before) is not base:
        return False
    known = set(before.unit_ids.tolist()) & set(after.unit_ids.tolist())
    if unit_id not in known:
        return False
    return before.unit_spike_rows(unit_id) is after.unit_spike_rows(unit_id)


#: Spike rows of a new unit compared with the units it may come from (`seed_channels`).
SEED_ROWS = 1000


def seed_channels(sorting, previous, channels: dict, unit_ids=None) -> dict:
    """Provisional channels of the units of ``sorting`` that ``previous`` lacks (of
    ``unit_ids`` only, when given), when both are
    curations of one base (one action or a few apart): a unit holding spikes of units of
    ``previous`` gets the channel (in ``channels``) of the one it shares most spikes with (a
    split part: its unit's; a merged unit: its largest part's). Units sharing no spike with a
    unit of known channel get none.

    A sample of each new unit's spike rows (`SEED_ROWS` evenly spaced) is looked up in the
    rows of the units ``previous`` has and ``sorting`` lacks (few after an action): well
    under a millisecond per unit, on the GUI thread.
    """
    if not isinstance(sorting, CuratedSorting) or sorting is previous:
        return {}
    base = sorting.base_sorting
    if isinstance(previous, CuratedSorting):
        if previous.base_sorting is not base:
            return {}
        rows_before = previous.unit_spike_rows
    elif previous is base:
        rows_before = sorting.base_unit_spike_rows
    else:
        return {}
    now = set(sorting.unit_ids.tolist())
    before = [u for u in previous.unit_ids.tolist() if u not in now and u in channels]
    earlier = set(previous.unit_ids.tolist())
    seeds = {}
    for unit_id in sorting.unit_ids.tolist() if unit_ids is None else unit_ids:
        if unit_id in channels or unit_id in earlier or unit_id not in now:
            continue
        rows = sorting.unit_spike_rows(unit_id)
        if rows.size == 0:
            continue
        rows = rows[:: max(rows.size // SEED_ROWS, 1)]
        shared = {u: _shared_rows(rows, rows_before(u)) for u in before}
        shared = {u: n for u, n in shared.items() if n}
        if shared:
            seeds[unit_id] = channels[max(shared, key=shared.get)]
    return seeds


def _shared_rows(rows: np.ndarray, other: np.ndarray) -> int:
    """How many of the sorted ``rows`` are in the sorted ``other``."""
    if rows.size == 0 or other.size == 0 or rows[-1] < other[0] or other[-1] < rows[0]:
        return 0
    return int(np.count_nonzero(in_sorted(rows, other)))


def shared_spike_rows(sorting, previous_sorting):
    """``rows(sorting, unit_id)``: the rows of a unit's spikes (all segments) in the base
    spike vector shared by the two sortings, or None when they share none."""
    curated = [s for s in (sorting, previous_sorting) if isinstance(s, CuratedSorting)]
    if not curated:
        return None
    base = curated[0].base_sorting
    if any(s.base_sorting is not base for s in curated):
        return None
    if any(
        not isinstance(s, CuratedSorting) and s is not base for s in (sorting, previous_sorting)
    ):
        return None

    def rows(of, unit_id) -> np.ndarray:
        if isinstance(of, CuratedSorting):
            return of.unit_spike_rows(unit_id)
        return curated[0].base_unit_spike_rows(unit_id)

    return rows


def union_parts(sorting, previous_sorting, unit_id, candidates) -> list | None:
    """The units of ``candidates`` (units of ``previous_sorting``) whose spikes together are
    exactly those of ``unit_id`` in ``sorting`` (a merged unit's parts), or None when
    ``unit_id`` is not such a union of them (or the sortings share no spike rows).

    Candidates sharing no spike with ``unit_id`` are left out; one sharing some but not all of
    its spikes makes the answer None. The units of one sorting are disjoint, so parts held
    whole whose counts add up to ``unit_id``'s are its union.
    """
    rows_of = shared_spike_rows(sorting, previous_sorting)
    if rows_of is None:
        return None
    rows = rows_of(sorting, unit_id)
    parts, held = [], 0
    for candidate in candidates:
        part = rows_of(previous_sorting, candidate)
        # a few of its spikes first: most candidates share none
        if _shared_rows(part[:: max(part.size // 64, 1)], rows) == 0:
            continue
        if part.size > rows.size - held or _shared_rows(part, rows) != part.size:
            return None
        parts.append(candidate)
        held += part.size
    return parts if parts and held == rows.size else None


def split_from(sorting, previous_sorting, unit_id, candidates):
    """The unit of ``candidates`` (units of ``previous_sorting``) that holds every spike of
    ``unit_id`` in ``sorting`` (the unit a split part was cut from), or None (no such unit, or
    the sortings share no spike rows)."""
    rows_of = shared_spike_rows(sorting, previous_sorting)
    if rows_of is None:
        return None
    rows = rows_of(sorting, unit_id)
    if rows.size == 0:
        return None
    for candidate in candidates:
        whole = rows_of(previous_sorting, candidate)
        if whole.size > rows.size and _shared_rows(rows, whole) == rows.size:
            return candidate
    return None
