"""apply_curation on SpikeInterface-written multi-segment sortings (0.100: int ids, 0.105: str ids).

Expected trains are computed here from the input's trains (sorted concatenations for merges,
positions along the concatenated train for splits), independently of the code under test.
"""

import json

import numpy as np
import pytest

from core.curation import (
    CuratedSorting,
    CurationFormatError,
    apply_curation,
    apply_merges_to_sorting,
    apply_splits_to_sorting,
    curation_label_to_dataframe,
)
from core.loading import load_extractor

from .helpers import concatenated_train, fixture_sorting, trains, trains_from_pairs

VERSIONS = ["si_0.100.8", "si_0.105.3"]


def ids_of(sorting):
    return sorting.unit_ids.tolist()


def curation_for(sorting, **sections) -> dict:
    return {"format_version": "2", "unit_ids": ids_of(sorting), **sections}


@pytest.fixture(params=VERSIONS)
def sorting(request, si_fixtures):
    return fixture_sorting(si_fixtures, request.param)


def test_labels_become_properties(sorting):
    first, second = ids_of(sorting)[:2]
    curation = curation_for(
        sorting,
        label_definitions={
            "quality": {"label_options": ["good", "noise"], "exclusive": True},
            "tags": {"label_options": ["burst", "drift"], "exclusive": False},
        },
        manual_labels=[
            {"unit_id": first, "labels": {"quality": ["good"], "tags": ["burst", "drift"]}},
            {"unit_id": second, "labels": {"quality": ["noise"]}},
        ],
    )
    curated = apply_curation(sorting, curation)
    assert curated.get_property("quality").tolist()[:3] == ["good", "noise", ""]
    assert curated.get_property("burst").tolist()[:2] == [True, False]
    assert curated.get_property("drift").dtype == np.bool_
    assert trains(curated) == trains(sorting)


def test_the_input_sorting_is_not_modified(sorting):
    before = sorting.get_property_keys()
    curation = curation_for(
        sorting,
        label_definitions={"quality": {"label_options": ["good", "noise"], "exclusive": True}},
        manual_labels=[{"unit_id": ids_of(sorting)[0], "labels": {"quality": ["good"]}}],
        removed=[ids_of(sorting)[1]],
    )
    apply_curation(sorting, curation)
    assert sorting.get_property_keys() == before
    assert ids_of(sorting) == ids_of(load_extractor(sorting.to_dict()))


def test_removal_keeps_the_other_units_and_their_order(sorting):
    ids = ids_of(sorting)
    curated = apply_curation(sorting, curation_for(sorting, removed=[ids[0], ids[2]]))
    assert ids_of(curated) == [ids[1]] + ids[3:]
    expected = trains(sorting)
    assert trains(curated) == {u: expected[u] for u in ids_of(curated)}


def test_merge_with_a_new_id_joins_the_trains_of_each_segment(sorting):
    ids = ids_of(sorting)
    new_id = 100 if isinstance(ids[0], int) else "merged"
    curated = apply_curation(
        sorting,
        curation_for(sorting, merges=[{"unit_ids": [ids[0], ids[2]], "new_unit_id": new_id}]),
    )
    assert ids_of(curated) == [ids[1]] + ids[3:] + [new_id]
    before = trains(sorting)
    assert trains(curated)[new_id] == [
        sorted(before[ids[0]][s] + before[ids[2]][s]) for s in range(sorting.get_num_segments())
    ]
    assert curated.get_property("is_merged").tolist() == [False] * (len(ids) - 2) + [True]


def test_merges_without_new_ids_append_above_the_largest_id(sorting):
    ids = ids_of(sorting)
    curated = apply_curation(
        sorting,
        curation_for(sorting, removed=[ids[-1]], merges=[[ids[0], ids[1]], [ids[2], ids[3]]]),
    )
    # SpikeInterface counts from the largest id left after the removal
    largest = max(int(u) for u in ids[:-1])
    expected_new = [largest + 1, largest + 2]
    if isinstance(ids[0], str):
        expected_new = [str(u) for u in expected_new]
    assert ids_of(curated)[-2:] == expected_new


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("take_first", [0, 2]), ("join", "joined"), ("append", "appended")],
)
def test_new_id_strategies(sorting, strategy, expected):
    ids = ids_of(sorting)
    curated = apply_curation(
        sorting,
        curation_for(sorting, merges=[[ids[0], ids[1]], [ids[2], ids[3]]]),
        new_id_strategy=strategy,
    )
    strings = isinstance(ids[0], str)
    if expected == "appended" or (expected == "joined" and not strings):
        wanted = [str(max(map(int, ids)) + i) if strings else max(ids) + i for i in (1, 2)]
    elif expected == "joined":
        wanted = [f"{ids[0]}-{ids[1]}", f"{ids[2]}-{ids[3]}"]
    else:
        wanted = [ids[i] for i in expected]
    new_ids = [u for u in ids_of(curated) if u not in ids[4:]]
    assert sorted(map(str, new_ids)) == sorted(map(str, wanted))
    if strategy == "take_first":
        # the merged unit keeps the place of the unit whose id it takes
        assert ids_of(curated) == [ids[0], ids[2]] + ids[4:]


def test_an_unknown_strategy_is_refused(sorting):
    ids = ids_of(sorting)
    with pytest.raises(ValueError, match="new_id_strategy must be one of"):
        apply_curation(sorting, curation_for(sorting, merges=[ids[:2]]), new_id_strategy="max")


def test_censor_ms_drops_spikes_too_close_to_the_previous_one(sorting):
    ids = ids_of(sorting)
    censor_ms = 20.0
    curated = apply_curation(
        sorting,
        curation_for(sorting, merges=[{"unit_ids": ids[:3], "new_unit_id": ids[0]}]),
        censor_ms=censor_ms,
    )
    limit = int(sorting.sampling_frequency * censor_ms / 1000)
    before = trains(sorting)
    for segment in range(sorting.get_num_segments()):
        merged = sorted(sum((before[u][segment] for u in ids[:3]), []))
        kept = (
            [merged[0]] + [b for a, b in zip(merged, merged[1:]) if b - a >= limit]
            if merged
            else []
        )
        assert curated.get_unit_spike_train(ids[0], segment_index=segment).tolist() == kept


def test_split_indices_count_along_the_train_across_segments(sorting):
    ids = ids_of(sorting)
    unit = ids[0]
    pairs = concatenated_train(sorting, unit)
    first_part = [0, 2, len(pairs) - 1]  # the last index lies in segment 1
    curated = apply_curation(
        sorting,
        curation_for(
            sorting, splits=[{"unit_id": unit, "mode": "indices", "indices": [first_part]}]
        ),
    )
    new_ids = ids_of(curated)[-2:]
    assert unit not in ids_of(curated)
    listed = [pairs[i] for i in first_part]
    rest = [p for i, p in enumerate(pairs) if i not in first_part]
    n = sorting.get_num_segments()
    assert trains(curated)[new_ids[0]] == trains_from_pairs(listed, n)
    assert trains(curated)[new_ids[1]] == trains_from_pairs(rest, n)  # the unlisted spikes
    assert curated.get_property("is_split").tolist()[-2:] == [True, True]


def test_split_by_labels_gives_one_unit_per_label_in_order(sorting):
    ids = ids_of(sorting)
    unit = ids[1]
    pairs = concatenated_train(sorting, unit)
    labels = [(i * 7) % 3 + 5 for i in range(len(pairs))]
    new_ids = [90, 91, 92] if isinstance(unit, int) else ["a", "b", "c"]
    curated = apply_curation(
        sorting,
        curation_for(
            sorting,
            splits=[{"unit_id": unit, "mode": "labels", "labels": labels, "new_unit_ids": new_ids}],
        ),
    )
    n = sorting.get_num_segments()
    for new_id, label in zip(new_ids, [5, 6, 7]):
        chosen = [p for p, lab in zip(pairs, labels) if lab == label]
        assert trains(curated)[new_id] == trains_from_pairs(chosen, n)


def test_all_steps_together_in_spikeinterface_order(sorting):
    ids = ids_of(sorting)
    strings = isinstance(ids[0], str)
    curation = curation_for(
        sorting,
        label_definitions={"quality": {"label_options": ["good", "mua"], "exclusive": True}},
        manual_labels=[{"unit_id": u, "labels": {"quality": ["good"]}} for u in ids[:2]]
        + [{"unit_id": ids[3], "labels": {"quality": ["mua"]}}],
        removed=[ids[2]],
        merges=[{"unit_ids": ids[:2]}],
        splits=[{"unit_id": ids[3], "indices": [[0, 1]]}],
    )
    curated = apply_curation(sorting, curation)
    top = max(int(u) for u in ids if u != ids[2])
    merged, *parts = [top + 1, top + 2, top + 3]
    if strings:
        merged, parts = str(merged), [str(p) for p in parts]
    assert ids_of(curated) == ids[4:] + [merged] + parts
    quality = dict(zip(ids_of(curated), curated.get_property("quality").tolist()))
    assert quality[merged] == "good"  # both merged units were good
    assert [quality[p] for p in parts] == ["mua", "mua"]  # split units keep the label


def test_properties_of_merged_units_follow_spikeinterface(sorting):
    ids = ids_of(sorting)
    curated = apply_curation(
        sorting, curation_for(sorting, merges=[{"unit_ids": ids[:2], "new_unit_id": ids[0]}])
    )
    amplitude = curated.get_property("Amplitude")
    source = sorting.get_property("Amplitude")
    if source[0] == source[1]:
        assert amplitude[0] == source[0]
    else:
        assert np.isnan(amplitude[0])  # units disagree: the missing value
    assert amplitude[1:].tolist() == source[2:].tolist()


def test_unit_ids_of_the_curation_must_be_the_sortings(sorting):
    curation = curation_for(sorting)
    curation["unit_ids"] = curation["unit_ids"][:-1]
    with pytest.raises(CurationFormatError, match="is not in the curation's unit_ids"):
        apply_curation(sorting, curation)


def test_sequential_curations_apply_in_turn(sorting):
    ids = ids_of(sorting)
    new_id = 50 if isinstance(ids[0], int) else "50"
    first = curation_for(sorting, merges=[{"unit_ids": ids[:2], "new_unit_id": new_id}])
    second = {"format_version": "2", "unit_ids": ids[2:] + [new_id], "removed": [new_id]}
    curated = apply_curation(sorting, [first, second])
    assert ids_of(curated) == ids[2:]
    assert curated.num_steps == 2


def test_sequential_curations_need_explicit_new_ids_but_the_last(sorting):
    ids = ids_of(sorting)
    first = curation_for(sorting, merges=[ids[:2]])
    with pytest.raises(CurationFormatError, match="must give its new unit ids"):
        apply_curation(sorting, [first, curation_for(sorting)])


def test_result_is_lazy_json_describable_and_reloads(sorting, tmp_path):
    ids = ids_of(sorting)
    curated = apply_curation(
        sorting,
        curation_for(sorting, merges=[ids[:2]], splits=[{"unit_id": ids[3], "indices": [[0]]}]),
    )
    assert isinstance(curated, CuratedSorting)
    assert curated.check_if_json_serializable()
    description = json.loads(json.dumps(curated.to_dict(recursive=True)))
    again = load_extractor(description)
    assert ids_of(again) == ids_of(curated) and trains(again) == trains(curated)
    curated.dump_to_json(tmp_path / "curated.json")
    assert trains(load_extractor(tmp_path / "curated.json")) == trains(curated)


def test_save_writes_the_curated_sorting(sorting, tmp_path):
    ids = ids_of(sorting)
    curation = curation_for(
        sorting,
        label_definitions={"quality": {"label_options": ["good", "mua"], "exclusive": True}},
        manual_labels=[{"unit_id": ids[4], "labels": {"quality": ["good"]}}],
        merges=[ids[:2]],
    )
    curated = apply_curation(sorting, curation)
    saved = curated.save(folder=tmp_path / "curated", verbose=False)
    assert ids_of(saved) == ids_of(curated)
    assert trains(saved) == trains(curated)
    assert saved.get_property("quality").tolist() == curated.get_property("quality").tolist()
    assert np.array_equal(saved.to_spike_vector(), curated.to_spike_vector())


def test_apply_merges_to_sorting_returns_the_kept_spikes(sorting):
    ids = ids_of(sorting)
    merged, keep, new_ids = apply_merges_to_sorting(
        sorting, [ids[:2]], censor_ms=20.0, return_extra=True
    )
    spikes = sorting.to_spike_vector()
    assert keep.shape == (spikes.size,) and keep.sum() == merged.count_total_num_spikes()
    assert not keep.all()  # 20 ms censoring drops some spikes of these units
    assert ids_of(merged)[-1] == new_ids[0]


def test_apply_splits_to_sorting_needs_every_spike(sorting):
    ids = ids_of(sorting)
    count = sorting.count_num_spikes_per_unit()[ids[0]]
    split, new_ids = apply_splits_to_sorting(
        sorting, {ids[0]: [[0], list(range(1, count))]}, return_extra=True
    )
    assert [len(sum(trains(split)[u], [])) for u in new_ids[0]] == [1, count - 1]
    with pytest.raises(ValueError, match="is in no part"):
        apply_splits_to_sorting(sorting, {ids[0]: [[0], [1]]})


def test_analyzers_are_not_accepted():
    with pytest.raises(TypeError, match="pass their sorting"):
        apply_curation(object(), {"format_version": "2", "unit_ids": []})


def test_label_dataframe(sorting):
    pytest.importorskip("pandas")
    ids = ids_of(sorting)
    frame = curation_label_to_dataframe(
        curation_for(
            sorting,
            label_definitions={"quality": {"label_options": ["good", "mua"], "exclusive": True}},
            manual_labels=[{"unit_id": ids[1], "labels": {"quality": ["mua"]}}],
        )
    )
    assert frame.loc[ids[1], "quality"] == "mua" and list(frame.index) == ids
