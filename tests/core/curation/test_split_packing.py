"""Splits of large units are journalled with their parts packed, and replay exactly."""

import json

import numpy as np
import pytest

from core.curation import CurationSession, SplitAction, action_from_json
from core.curation.actions import COMPACT_SPLIT_SPIKES
from core.sorting.numpy import NumpySorting


def big_sorting(tmp_path):
    rng = np.random.default_rng(2)
    count = 2 * COMPACT_SPLIT_SPIKES + 500
    times = [np.sort(rng.integers(0, 3_000_000, count)) for _ in range(2)]
    labels = [rng.integers(0, 2, count) for _ in range(2)]
    sorting = NumpySorting.from_times_labels(times, labels, 30_000.0, unit_ids=[0, 1])
    return sorting.save(folder=tmp_path / "sorting")


def test_a_large_split_is_packed_and_reads_back():
    rng = np.random.default_rng(0)
    num_spikes = COMPACT_SPLIT_SPIKES + 7
    part_of_spike = rng.integers(0, 3, num_spikes)
    parts = tuple(np.flatnonzero(part_of_spike == i) for i in range(3))
    action = SplitAction(5, parts, (10, 11, 12))
    record = json.loads(json.dumps(action.to_json()))
    assert "parts" not in record and record["num_spikes"] == num_spikes
    assert len(json.dumps(record)) < num_spikes  # well under a byte per spike
    assert action_from_json(record) == action
    small = SplitAction(5, (np.array([0, 2]), np.array([1])), (10, 11))
    assert small.to_json()["parts"] == [[0, 2], [1]]
    assert action_from_json(small.to_json()) == small


@pytest.mark.parametrize(
    "change, message",
    [
        ({"part_of_spike": "not base64!"}, "cannot be decoded"),
        ({"num_spikes": COMPACT_SPLIT_SPIKES + 8}, "num_spikes says"),
        ({"num_spikes": "many"}, "num_spikes an integer"),
        ({"new_unit_ids": [10, 11]}, "names part 2 of 2"),
    ],
)
def test_a_bad_packed_split_is_refused(change, message):
    num_spikes = COMPACT_SPLIT_SPIKES + 7
    parts = tuple(np.arange(i, num_spikes, 3) for i in range(3))
    record = {**SplitAction(5, parts, (10, 11, 12)).to_json(), **change}
    with pytest.raises(ValueError, match=message):
        action_from_json(record)


def test_a_journalled_large_split_restores_the_same_units(tmp_path):
    sorting = big_sorting(tmp_path)
    session = CurationSession(sorting, journal_folder=tmp_path / "journal")
    count = session.sorting.count_num_spikes_per_unit()[0]
    assert count > COMPACT_SPLIT_SPIKES
    picked = np.sort(np.random.default_rng(1).permutation(count)[: count // 2])
    new_ids = session.split(0, indices=[picked])
    line = session.journal_path.read_text().splitlines()[-1]
    assert "part_of_spike" in line and len(line) < count
    restored = CurationSession.restore(session.journal_path, sorting)
    for unit_id in new_ids:
        for segment in range(2):
            assert np.array_equal(
                restored.sorting.get_unit_spike_train(unit_id, segment_index=segment),
                session.sorting.get_unit_spike_train(unit_id, segment_index=segment),
            )
    train = np.concatenate([sorting.get_unit_spike_train(0, segment_index=s) for s in range(2)])
    first = np.concatenate(
        [restored.sorting.get_unit_spike_train(new_ids[0], segment_index=s) for s in range(2)]
    )
    assert np.array_equal(first, train[picked])
    restored.close()
    session.close()
