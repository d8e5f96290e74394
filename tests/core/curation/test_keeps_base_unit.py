"""CuratedSorting.keeps_base_unit: whether a unit is the base's unit with exactly its spikes."""

import numpy as np
import pytest

from core.curation import CurationSession

from .helpers import small_sorting


def test_only_units_no_step_touched_are_the_base_units(tmp_path):
    base = small_sorting(unit_ids=tuple(range(6)))
    session = CurationSession(base, journal_folder=tmp_path)
    session.label([0], "good", key="quality")
    assert all(session.sorting.keeps_base_unit(u) for u in range(6))  # a label: no spike moved
    session.remove([1])
    merged = session.merge([2, 3])
    count = session.sorting.count_num_spikes_per_unit()[4]
    parts = session.split(4, indices=[np.arange(0, count, 2)])
    curated = session.sorting
    kept = [u for u in curated.unit_ids.tolist() if curated.keeps_base_unit(u)]
    assert kept == [0, 5]
    for unit_id in kept:  # the same spikes as the base unit
        for segment in range(base.get_num_segments()):
            np.testing.assert_array_equal(
                curated.get_unit_spike_train(unit_id, segment_index=segment),
                base.get_unit_spike_train(unit_id, segment_index=segment),
            )
    assert not any(curated.keeps_base_unit(u) for u in [1, 2, 3, merged, *parts])
    session.undo()  # the split: unit 4 is the base's again
    assert session.sorting.keeps_base_unit(4)
    assert not session.sorting.keeps_base_unit(merged)


def test_base_unit_rows_stay_whatever_the_curation_did(tmp_path):
    base = small_sorting(unit_ids=tuple(range(4)))
    session = CurationSession(base, journal_folder=tmp_path)
    first = session.sorting.unit_spike_rows(2)
    merged = session.merge([2, 3])
    curated = session.sorting
    np.testing.assert_array_equal(curated.base_unit_spike_rows(2), first)
    assert np.isin(first, curated.unit_spike_rows(merged)).all()
    with pytest.raises(KeyError, match="99"):
        curated.base_unit_spike_rows(99)
