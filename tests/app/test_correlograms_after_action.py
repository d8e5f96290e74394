"""Correlograms after a curation action: derived from those on display when the units are
the shown ones or unions of them (a merge), counted otherwise; always equal to a count."""

import numpy as np
import pytest

import core as si
from app.views import correlograms as correlograms_module
from app.views.correlograms import compute_unit_correlograms, correlograms_after_action
from core.curation import CurationSession

WINDOW_MS, BIN_MS = 50.0, 1.0


@pytest.fixture
def sorting():
    """Three units over two segments, with spikes of different units at one sample and
    repeated samples within a unit (the lag-0 bin counts them)."""
    rng = np.random.default_rng(3)
    segments = []
    for _ in range(2):
        shared = np.sort(rng.integers(0, 300_000, 40))
        segments.append(
            {
                0: np.sort(np.concatenate([rng.integers(0, 300_000, 900), shared])),
                1: np.sort(np.concatenate([rng.integers(0, 300_000, 700), shared, shared[:5]])),
                2: np.sort(rng.integers(0, 300_000, 500)),
                3: np.sort(rng.integers(0, 300_000, 300)),
            }
        )
    return si.NumpySorting.from_unit_dict(segments, 30_000.0)


@pytest.fixture
def counted(monkeypatch):
    """Calls of the pair counting."""
    calls = []
    count = correlograms_module.compute_unit_correlograms

    def counting(*args, **kwargs):
        calls.append(args[1])
        return count(*args, **kwargs)

    monkeypatch.setattr(correlograms_module, "compute_unit_correlograms", counting)
    return calls


def shown(sorting, unit_ids):
    return sorting, compute_unit_correlograms(sorting, unit_ids, WINDOW_MS, BIN_MS)


def assert_counted_equal(data, sorting, unit_ids):
    fresh = compute_unit_correlograms(sorting, unit_ids, WINDOW_MS, BIN_MS)
    assert data.unit_ids == fresh.unit_ids
    np.testing.assert_array_equal(data.bins, fresh.bins)
    np.testing.assert_array_equal(data.ccgs, fresh.ccgs)


def test_a_merge_sums_the_shown_pairs_without_counting(sorting, tmp_path, counted):
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    previous = shown(before, [0, 1, 2])
    merged = curation.merge([0, 1])
    after = curation.sorting
    for units in ([merged], [merged, 2], [2, merged]):
        data = correlograms_after_action(after, units, WINDOW_MS, BIN_MS, previous)
        assert_counted_equal(data, after, units)
    assert counted == []
    # a label: every pair as shown
    curation.label([2], "good")
    data = correlograms_after_action(curation.sorting, [merged, 2], WINDOW_MS, BIN_MS, (
        after, correlograms_after_action(after, [merged, 2], WINDOW_MS, BIN_MS, previous)
    ))  # fmt: skip
    assert_counted_equal(data, curation.sorting, [merged, 2])
    assert counted == []


def test_units_not_made_of_shown_ones_are_counted(sorting, tmp_path, counted):
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    previous = shown(before, [0, 1])
    # a unit not on display
    data = correlograms_after_action(before, [0, 3], WINDOW_MS, BIN_MS, previous)
    assert_counted_equal(data, before, [0, 3])
    assert counted == [[0, 3]]
    # a merge with a part not on display
    merged = curation.merge([1, 3])
    data = correlograms_after_action(curation.sorting, [merged], WINDOW_MS, BIN_MS, previous)
    assert_counted_equal(data, curation.sorting, [merged])
    # split parts of a shown unit
    count = curation.sorting.count_num_spikes_per_unit()[0]
    split_from = curation.sorting
    parts = curation.split(0, indices=[np.arange(0, count, 2)])
    data = correlograms_after_action(
        curation.sorting, parts, WINDOW_MS, BIN_MS, shown(split_from, [0])
    )
    assert_counted_equal(data, curation.sorting, parts)
    # other bins
    data = correlograms_after_action(before, [0, 1], WINDOW_MS, 2.0, previous)
    np.testing.assert_array_equal(
        data.ccgs, compute_unit_correlograms(before, [0, 1], WINDOW_MS, 2.0).ccgs
    )
    assert len(counted) == 4


def test_the_view_derives_the_merged_unit_from_the_grid(qtbot, sorting, tmp_path, counted):
    from app.model.session import Session
    from app.views.correlograms import CorrelogramsView

    session = Session()
    curation = CurationSession(sorting, journal_folder=tmp_path)
    session.open(sorting=curation.sorting)
    view = CorrelogramsView(session)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units([0, 1, 2])
    counted.clear()
    merged = curation.merge([0, 1])
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.replace_sorting(curation.sorting, selected_unit_ids=[merged, 2])
    assert view.wait_until_idle()
    assert view.data.unit_ids == [merged, 2]
    assert_counted_equal(view.data, curation.sorting, [merged, 2])
    assert counted == []
    view.shutdown()
