"""The raster index of a curated sorting, followed action by action, equals a full rebuild."""

import numpy as np

from app.model.raster_data import SpikeIndex
from app.model.spike_marks import SpikeTrainIndex
from core.curation import CurationSession
from core.sorting.numpy import NumpySorting


def sorting_with_segments(tmp_path):
    rng = np.random.default_rng(4)
    times, labels = [], []
    for _ in range(2):
        times.append(np.sort(rng.integers(0, 60_000, 3_000)))
        labels.append(rng.integers(0, 8, 3_000))
    sorting = NumpySorting.from_times_labels(times, labels, 30_000.0, unit_ids=list(range(8)))
    return sorting.save(folder=tmp_path / "sorting")


def rebuilt(curated) -> SpikeIndex:
    """An index of the curated sorting's own spike vector (no curation shortcut)."""
    vector = curated.to_spike_vector()
    copy = NumpySorting(vector.copy(), curated.sampling_frequency, curated.unit_ids)
    return SpikeIndex(copy)


def test_followed_index_and_spike_marks_equal_a_full_rebuild(tmp_path):
    session = CurationSession(sorting_with_segments(tmp_path), journal_folder=tmp_path / "j")
    index = SpikeIndex(session.sorting)
    actions = [
        lambda: session.merge([0, 1]),
        lambda: session.remove([2]),
        lambda: session.split(3, indices=[np.arange(0, 100)]),
        lambda: session.undo(),
        lambda: session.undo(),
        lambda: session.redo(),
        lambda: session.merge([4, 5, 6]),
        lambda: session.label([7], "good", key="quality"),
    ]
    for act in actions:
        act()
        curated = session.sorting
        index = SpikeIndex(curated, index)
        full = rebuilt(curated)
        marks = SpikeTrainIndex(curated)
        for segment in range(2):
            for start, end in ((0, 60_000), (1_000, 7_500), (59_990, 60_000)):
                samples, units = index.window(segment, start, end)
                want_samples, want_units = full.window(segment, start, end)
                # simultaneous spikes may come in another unit order: compare as pairs
                got = sorted(zip(samples.tolist(), units.tolist()))
                assert got == sorted(zip(want_samples.tolist(), want_units.tolist()))
                spikes = marks.spikes_between(segment, start, end)
                got_marks = sorted(
                    zip(spikes["sample_index"].tolist(), spikes["unit_index"].tolist())
                )
                assert got_marks == got
            samples, units = index.segment(segment)
            held = units >= 0
            want_samples, want_units = full.segment(segment)
            assert sorted(zip(samples[held].tolist(), units[held].tolist())) == sorted(
                zip(want_samples.tolist(), want_units.tolist())
            )


def test_an_index_serves_a_curation_that_only_changed_labels(tmp_path):
    session = CurationSession(sorting_with_segments(tmp_path), journal_folder=tmp_path / "j")
    session.merge([0, 1])
    index = SpikeIndex(session.sorting)
    merged = session.sorting
    session.label([2], "good", key="quality")
    assert index.same_spikes(session.sorting)
    relabelled = index.for_sorting(session.sorting)
    assert relabelled.sorting is session.sorting and index.sorting is merged
    for a, b in zip(relabelled.window(1, 0, 60_000), index.window(1, 0, 60_000), strict=True):
        np.testing.assert_array_equal(a, b)
    session.undo()
    assert index.same_spikes(session.sorting)  # undoing the label
    session.undo()
    assert not index.same_spikes(session.sorting)  # undoing the merge
    assert not SpikeIndex(session.base_sorting).same_spikes(session.sorting)
