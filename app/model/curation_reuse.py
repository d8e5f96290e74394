"""Which results a view drew for a sorting still hold after a curation action.

A curated sorting (`core.curation.CuratedSorting`) holds each unit as the rows of its spikes
in the base sorting's spike vector; the versions of a curation that keep a unit share its rows
array. A unit whose rows array is the same object in two versions has the same spikes in both,
so whatever was computed from its spikes (amplitudes, templates) holds for both.
"""

from __future__ import annotations

from app.model.raster_data import curation_base


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
