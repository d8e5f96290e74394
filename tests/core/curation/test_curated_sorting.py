"""CuratedSorting: steps on spike rows, incremental additions, its spike vector, laziness."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.curation import CuratedSorting
from core.loading import load_extractor
from core.sorting.numpy import NumpySorting
from core.sorting.spike_vector import sort_spike_vector

from .helpers import concatenated_train, small_sorting, trains, trains_from_pairs


def merge(groups, new_ids, censor_ms=None):
    return {"op": "merge", "unit_groups": groups, "new_unit_ids": new_ids, "censor_ms": censor_ms}


def split(unit_id, parts, new_ids):
    return {
        "op": "split",
        "splits": [{"unit_id": unit_id, "indices": parts, "new_unit_ids": new_ids}],
    }


def test_steps_apply_in_order():
    base = small_sorting(unit_ids=(0, 1, 2, 3))
    count = base.count_num_spikes_per_unit()[3]
    curated = CuratedSorting(
        base,
        [
            {"op": "remove", "unit_ids": [1]},
            merge([[0, 2]], [10]),
            split(3, [[0, 1], list(range(2, count))], [20, 21]),
        ],
    )
    assert curated.unit_ids.tolist() == [10, 20, 21]
    before = trains(base)
    assert trains(curated)[10] == [sorted(a + b) for a, b in zip(before[0], before[2])]
    pairs = concatenated_train(base, 3)
    assert trains(curated)[20] == trains_from_pairs(pairs[:2], 2)


def test_adding_steps_keeps_one_flat_description():
    base = small_sorting()
    first = CuratedSorting(base, [merge([[0, 1]], [10])])
    second = first.with_steps([{"op": "remove", "unit_ids": [2]}])
    nested = CuratedSorting(first, [{"op": "remove", "unit_ids": [2]}])
    for curated in (second, nested):
        description = curated.to_dict()
        assert description["kwargs"]["sorting"] is base
        assert [s["op"] for s in description["kwargs"]["steps"]] == ["merge", "remove"]
        assert trains(curated) == trains(CuratedSorting(base, curated.steps))
    assert first.unit_ids.tolist() == [2, 3, 10]  # the earlier sorting is unchanged


def test_description_is_plain_json_and_reloads():
    base = small_sorting()
    curated = CuratedSorting(base, [merge([[np.int64(0), np.int64(1)]], [np.int64(10)])])
    steps = curated.to_dict()["kwargs"]["steps"]
    assert json.loads(json.dumps(steps)) == steps  # numpy values became plain ones
    again = load_extractor(curated.to_dict())
    assert trains(again) == trains(curated)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"op": "remove", "unit_ids": [9]}, r"steps\[0\]: unit_ids\[0\]: unit 9 is not a unit"),
        (merge([[0]], [10]), "a merge needs at least two units"),
        (merge([[0, 1]], [2]), "new unit id 2 is the id of a unit outside the merge"),
        (merge([[0, 1]], ["10"]), "new unit id '10' is a string but unit_ids are integers"),
        (split(0, [[0]], [10]), "a split needs at least two parts"),
        (split(0, [[0], [0]], [10, 11]), "spike 0 is in two parts"),
        (split(0, [[0], [1]], [10, 11]), "is in no part"),
        (split(0, [[0], [10_000]], [10, 11]), "spike index 10000 is out of range"),
        ({"op": "rename"}, "op must be 'labels', 'remove', 'merge' or 'split'"),
    ],
)
def test_a_step_that_does_not_fit_is_refused_by_name(step, message):
    with pytest.raises(ValueError, match=message):
        CuratedSorting(small_sorting(), [step])


def test_spike_vector_is_ordered_with_simultaneous_spikes_by_unit():
    # units 0 and 1 fire together; after the merge of 0 with 2 the merged unit comes after 1
    spikes = {0: [10, 20, 30], 1: [10, 30, 40], 2: [5, 30]}
    base = NumpySorting.from_unit_dict([spikes], 30_000.0)
    curated = CuratedSorting(base, [merge([[0, 2]], [7])])
    vector = curated.to_spike_vector()
    assert np.array_equal(vector, sort_spike_vector(vector.copy()))
    assert [tuple(s) for s in vector[["sample_index", "unit_index"]]] == [
        (5, 1),
        (10, 0),
        (10, 1),
        (20, 1),
        (30, 0),
        (30, 1),
        (30, 1),
        (40, 0),
    ]


def test_counts_come_from_the_units_rows():
    curated = CuratedSorting(small_sorting(), [merge([[0, 3]], [9])])
    vector = curated.to_spike_vector()
    counts = np.bincount(vector["unit_index"], minlength=curated.get_num_units())
    assert curated.count_num_spikes_per_unit(outputs="array").tolist() == counts.tolist()
    assert curated.count_total_num_spikes() == vector.size


def test_censoring_does_not_compare_spikes_of_different_segments():
    units = [{0: [100, 29_990], 1: [105]}, {0: [2], 1: [50]}]
    base = NumpySorting.from_unit_dict(units, 30_000.0)
    curated = CuratedSorting(base, [merge([[0, 1]], [5], censor_ms=1.0)])  # 30 samples
    assert trains(curated)[5] == [[100, 29_990], [2, 50]]


def test_an_action_leaves_unchanged_units_and_the_spike_vector_alone():
    base = small_sorting(unit_ids=(0, 1, 2, 3))
    curated = CuratedSorting(base, [])
    kept = curated.get_unit_spike_train(3, segment_index=0)
    merged = curated.with_steps([merge([[0, 1]], [10])])
    # the train read before is shared, not gathered again
    assert np.shares_memory(merged.get_unit_spike_train(3, segment_index=0), kept)
    assert merged._cached_spike_vector is None
    merged.get_unit_spike_train(10, segment_index=1)
    assert merged._cached_spike_vector is None  # a train does not need the whole vector
    assert merged.unit_spike_rows(3) is curated.unit_spike_rows(3)


def test_earlier_sortings_keep_their_properties():
    base = small_sorting()
    first = CuratedSorting(base, [])
    second = first.with_steps([{"op": "remove", "unit_ids": [3]}])
    second.set_property("amplitude", np.array([7.0]), ids=[0])
    assert first.get_property("amplitude")[0] == 0.0
    assert base.get_property("amplitude")[0] == 0.0


def test_registered_recording_is_kept():
    from core.generate import generate_recording

    base = small_sorting()
    recording = generate_recording(
        num_channels=2, durations=[1.0, 1.0], sampling_frequency=30_000.0
    )
    base.register_recording(recording)
    curated = CuratedSorting(base, [merge([[0, 1]], [10])])
    assert curated.has_recording()
    assert curated.get_unit_spike_train(10, segment_index=1, return_times=True).max() < 1.0


# ---------------------------------------------------------------------- a reference model
def reference_units(sorting) -> dict:
    return {u: concatenated_train(sorting, u) for u in sorting.unit_ids.tolist()}


@st.composite
def step_sequences(draw):
    units = {u: 40 for u in range(5)}  # rough counts are enough to draw plausible steps
    steps, next_id = [], 100
    for _ in range(draw(st.integers(1, 6))):
        ids = sorted(units)
        kind = draw(st.sampled_from(["merge", "split", "remove"]))
        if kind == "merge" and len(ids) >= 2:
            group = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True))
            steps.append(("merge", group, next_id))
            units = {u: c for u, c in units.items() if u not in group} | {next_id: 0}
            next_id += 1
        elif kind == "split" and ids:
            steps.append(
                (
                    "split",
                    draw(st.sampled_from(ids)),
                    draw(st.integers(0, 2**32 - 1)),
                    [next_id, next_id + 1],
                )
            )
            units.pop(steps[-1][1])
            units |= {next_id: 0, next_id + 1: 0}
            next_id += 2
        elif ids:
            victim = draw(st.sampled_from(ids))
            steps.append(("remove", victim))
            units.pop(victim)
    return steps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step_sequences())
def test_steps_match_a_reference_model(sequence):
    rng = np.random.default_rng(3)  # a crowded sorting: many simultaneous spikes
    times = [np.sort(rng.integers(0, 300, 400)) for _ in range(2)]
    labels = [rng.integers(0, 5, 400) for _ in range(2)]
    base = NumpySorting.from_times_labels(times, labels, 30_000.0, unit_ids=[0, 1, 2, 3, 4])
    model = reference_units(base)
    curated = CuratedSorting(base, [])
    for step in sequence:
        if step[0] == "merge":
            _, group, new_id = step
            model[new_id] = sorted(sum((model.pop(u) for u in group), []))
            curated = curated.with_steps([merge([group], [new_id])])
        elif step[0] == "split":
            _, unit, seed, new_ids = step
            spikes = model.pop(unit)
            chosen = np.random.default_rng(seed).random(len(spikes)) < 0.5
            first = np.flatnonzero(chosen).tolist()
            rest = np.flatnonzero(~chosen).tolist()
            model[new_ids[0]] = [spikes[i] for i in first]
            model[new_ids[1]] = [spikes[i] for i in rest]
            curated = curated.with_steps([split(unit, [first, rest], new_ids)])
        else:
            model.pop(step[1])
            curated = curated.with_steps([{"op": "remove", "unit_ids": [step[1]]}])
    assert sorted(curated.unit_ids.tolist()) == sorted(model)
    assert {u: concatenated_train(curated, u) for u in model} == model
    rebuilt = CuratedSorting(base, curated.steps)
    assert trains(rebuilt) == trains(curated)
    vector = curated.to_spike_vector()
    assert vector.size == sum(len(v) for v in model.values())
    assert np.array_equal(vector, sort_spike_vector(vector.copy()))
    rows = curated.spike_vector_base_rows()
    assert np.array_equal(base.to_spike_vector()["sample_index"][rows], vector["sample_index"])
    assert sorted(rows.tolist()) == sorted(
        np.concatenate(
            [np.zeros(0, dtype=int), *(curated.unit_spike_rows(u) for u in model)]
        ).tolist()
    )


def test_base_spike_unit_indices_relabel_the_base_spikes():
    base = small_sorting(unit_ids=(0, 1, 2, 3), seed=5)
    curated = CuratedSorting(
        base,
        [
            {"op": "merge", "unit_groups": [[0, 1]], "new_unit_ids": [9], "censor_ms": None},
            {"op": "remove", "unit_ids": [2]},
        ],
    )
    labels = curated.base_spike_unit_indices()
    assert labels is curated.base_spike_unit_indices() and not labels.flags.writeable
    vector = base.to_spike_vector()
    ids = curated.unit_ids.tolist()
    for unit_id in ids:
        held = vector[labels == ids.index(unit_id)]
        pairs = sorted(zip(held["segment_index"].tolist(), held["sample_index"].tolist()))
        assert pairs == sorted(concatenated_train(curated, unit_id))
    removed = vector["unit_index"] == base.id_to_index(2)
    assert np.all(labels[removed] == -1) and np.all(labels[~removed] >= 0)


def test_threads_asking_a_new_units_train_at_once_read_it_once(monkeypatch):
    """After an action the views' threads ask for a new unit's train together: one reads it,
    the others get that train."""
    import threading
    import time

    from core.curation.curated_sorting import CuratedSortingSegment

    base = small_sorting(unit_ids=(0, 1, 2))
    count = base.count_num_spikes_per_unit()[2]
    curated = CuratedSorting(base, [split(2, [[0, 1], list(range(2, count))], [20, 21])])
    reads = []
    read = CuratedSortingSegment.get_unit_spike_train

    def slow_read(segment, unit_id, start_frame, end_frame):
        reads.append(unit_id)
        time.sleep(0.05)  # long enough for the other threads to ask meanwhile
        return read(segment, unit_id, start_frame, end_frame)

    monkeypatch.setattr(CuratedSortingSegment, "get_unit_spike_train", slow_read)
    start = threading.Barrier(4)
    trains_read = []

    def ask() -> None:
        start.wait()
        trains_read.append(curated.get_unit_spike_train(21, segment_index=0))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [21]
    assert all(np.shares_memory(train, trains_read[0]) for train in trains_read)
    np.testing.assert_array_equal(trains_read[0], base.get_unit_spike_train(2, 0)[2:])


def test_split_parts_take_their_trains_from_their_units_read_train(monkeypatch):
    from core.curation.curated_sorting import CuratedSortingSegment

    base = small_sorting(unit_ids=(0, 1, 2))
    before = CuratedSorting(base, [merge([[0, 1]], [5])])
    for segment in range(2):
        before.get_unit_spike_train(5, segment_index=segment)  # read, as views do
    count = before.count_num_spikes_per_unit()[5]
    rng = np.random.default_rng(1)
    picked = np.sort(rng.choice(count, 1 + count // 3, replace=False)).tolist()
    step = split(5, [picked, [i for i in range(count) if i not in picked]], [7, 8])
    after = before.with_steps([step])
    reads = []
    read = CuratedSortingSegment.get_unit_spike_train

    def counting_read(segment, unit_id, start_frame, end_frame):
        reads.append(unit_id)
        return read(segment, unit_id, start_frame, end_frame)

    monkeypatch.setattr(CuratedSortingSegment, "get_unit_spike_train", counting_read)
    fresh = CuratedSorting(base, before.steps + [step])
    for segment in range(2):
        for unit_id in (7, 8, 2):
            train = after.get_unit_spike_train(unit_id, segment_index=segment)
            expected = fresh.get_unit_spike_train(unit_id, segment_index=segment)
            np.testing.assert_array_equal(train, expected)
            assert train.dtype == expected.dtype and not train.flags.writeable
    # only the fresh sorting's trains and unit 2 (never read before) were read
    assert sorted(reads) == sorted([7, 8, 2] * 2 + [2] * 2)
