"""Spike slots: the unit of each base spike, patched from one curation to the next."""

import numpy as np

from core.curation import CurationSession
from core.curation.spike_slots import KEPT_VERSIONS

from .helpers import small_sorting


def expected_units(curated) -> np.ndarray:
    """Unit index of each base spike, from the curated units' own rows (-1: no unit)."""
    labels = np.full(curated.base_sorting.to_spike_vector().size, -1)
    for unit_index, unit_id in enumerate(curated.unit_ids.tolist()):
        labels[curated.unit_spike_rows(unit_id)] = unit_index
    return labels


def check(curated) -> None:
    slots = curated.base_spike_slots()
    assert np.array_equal(slots.unit_indices(), expected_units(curated))
    assert np.array_equal(slots.unit_indices(), curated.base_spike_unit_indices())
    assert np.array_equal(slots.unit_indices(5, 30), expected_units(curated)[5:30])
    assert not slots.slots.flags.writeable


def curate(tmp_path, num_units: int = 6) -> tuple[CurationSession, list]:
    """A session with label, removal, merge, split; the curated sorting after each action."""
    session = CurationSession(
        small_sorting(unit_ids=tuple(range(num_units))), journal_folder=tmp_path
    )
    versions = [session.sorting]
    session.label([0], "good", key="quality")
    versions.append(session.sorting)
    session.remove([1])
    versions.append(session.sorting)
    merged = session.merge([2, 3])
    versions.append(session.sorting)
    count = session.sorting.count_num_spikes_per_unit()[merged]
    session.split(merged, indices=[np.arange(0, count, 3)])
    versions.append(session.sorting)
    session.merge([0, 4])
    versions.append(session.sorting)
    return session, versions


def test_slots_follow_every_action_in_order(tmp_path):
    _, versions = curate(tmp_path)
    for curated in versions:
        check(curated)


def test_slots_of_versions_visited_out_of_order_and_after_eviction(tmp_path):
    session, versions = curate(tmp_path)
    assert len(versions) > KEPT_VERSIONS + 1  # older versions' slots are rebuilt
    for curated in (versions[-1], versions[0], versions[3], versions[1], versions[-1]):
        check(curated)
    for curated in reversed(versions):  # as undo shows them
        check(curated)
    while session.can_undo:
        session.undo()
        check(session.sorting)
    while session.can_redo:
        session.redo()
        check(session.sorting)


def test_unchanged_units_keep_their_slots_and_the_slots_are_not_shared_writably(tmp_path):
    _, versions = curate(tmp_path)
    before, after = versions[2], versions[3]  # the merge of 2 and 3
    old, new = before.base_spike_slots(), after.base_spike_slots()
    untouched = np.isin(old.unit_indices(), [before.id_to_index(4), before.id_to_index(5)])
    assert np.array_equal(old.slots[untouched], new.slots[untouched])
    merged = after.unit_spike_rows(after.unit_ids[-1])
    assert np.unique(new.slots[merged]).size == 1
    assert old.slots is not new.slots
    check(before)  # the earlier version still reads its own units


def test_many_new_units_widen_the_slots(tmp_path):
    session = CurationSession(small_sorting(unit_ids=(0, 1)), journal_folder=tmp_path)
    registry_dtype = session.sorting.base_spike_slots().slots.dtype
    assert registry_dtype == np.int16
    # more slots than int16 holds is impractical to reach by actions; the registry widens
    # when it must: check the rule on the registry directly
    from core.curation.spike_slots import SpikeSlotRegistry

    state = session.sorting.unit_state
    base_rows = {u: state.rows[u] for u in state.unit_ids}
    base_units = np.zeros(sum(r.size for r in base_rows.values()), dtype=np.int8)
    for i, u in enumerate(state.unit_ids):
        base_units[base_rows[u]] = i
    registry = SpikeSlotRegistry(state.unit_ids, base_rows, base_units)
    for _ in range(200):  # slots 2..201: past int8
        registry._slot_for(np.empty(0, dtype=np.int32))
    slots = registry.spike_slots(state)
    assert slots.slots.dtype == np.int32
    assert np.array_equal(slots.unit_indices(), base_units)
