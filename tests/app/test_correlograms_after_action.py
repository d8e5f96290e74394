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


@pytest.fixture
def involved(monkeypatch):
    """Per call (segment) of the counting of pairs involving some spikes: how many spikes
    are involved."""
    calls = []
    count = correlograms_module.correlograms_involving

    def counting(times, units, num_units, involved, *args, **kwargs):
        calls.append(int(np.count_nonzero(involved)))
        return count(times, units, num_units, involved, *args, **kwargs)

    monkeypatch.setattr(correlograms_module, "correlograms_involving", counting)
    return calls


def test_units_not_made_of_shown_ones_are_counted(
    sorting, tmp_path, counted, involved, monkeypatch
):
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    previous = shown(before, [0, 1])
    # a small unit not on display next to one on display: only its pairs are counted
    data = correlograms_after_action(before, [0, 3], WINDOW_MS, BIN_MS, previous)
    assert_counted_equal(data, before, [0, 3])
    assert counted == [] and sum(involved) == 600
    # a large one: every pair (counting the pairs of a spike costs twice as much)
    data = correlograms_after_action(before, [2, 0], WINDOW_MS, BIN_MS, previous)
    assert_counted_equal(data, before, [2, 0])
    assert counted == [[2, 0]]
    # a merge with a part not on display
    merged = curation.merge([1, 3])
    data = correlograms_after_action(curation.sorting, [merged], WINDOW_MS, BIN_MS, previous)
    assert_counted_equal(data, curation.sorting, [merged])
    # split parts of a shown unit, half and half: counted on the unit's train, labelled
    count = curation.sorting.count_num_spikes_per_unit()[0]
    split_from = curation.sorting
    parts = curation.split(0, indices=[np.arange(0, count, 2)])
    fetched = trains_fetched(monkeypatch, curation.sorting)
    data = correlograms_after_action(
        curation.sorting, parts, WINDOW_MS, BIN_MS, shown(split_from, [0])
    )
    assert fetched == []
    assert_counted_equal(data, curation.sorting, parts)
    # other bins
    data = correlograms_after_action(before, [0, 1], WINDOW_MS, 2.0, previous)
    np.testing.assert_array_equal(
        data.ccgs, compute_unit_correlograms(before, [0, 1], WINDOW_MS, 2.0).ccgs
    )
    assert len(counted) == 4


def trains_fetched(monkeypatch, sorting) -> list:
    """The units whose trains are asked of ``sorting`` from now on."""
    calls = []
    fetch = sorting.get_unit_spike_train

    def fetching(unit_id, *args, **kwargs):
        calls.append(unit_id)
        return fetch(unit_id, *args, **kwargs)

    monkeypatch.setattr(sorting, "get_unit_spike_train", fetching)
    return calls


def random_split(curation, unit_id, rng, sizes):
    """Split ``unit_id`` into parts of ``sizes`` spikes (the last part: the rest), its spikes
    dealt at random."""
    count = curation.sorting.count_num_spikes_per_unit()[unit_id]
    dealt = rng.permutation(count)
    bounds = np.cumsum(sizes)
    return curation.split(unit_id, indices=[np.sort(p) for p in np.split(dealt, bounds)[:-1]])


@pytest.mark.parametrize(
    ("sizes", "selected"),
    [
        ([1], "all"),  # a 1-spike part
        ([100], "all"),
        ([300], "all"),
        ([5, 40], "all"),  # three parts
        ([5, 40], "largest and one"),
        ([50], "with the other units"),
    ],
)
def test_split_parts_are_derived_from_the_unit_on_display(
    sorting, tmp_path, counted, involved, sizes, selected, monkeypatch
):
    rng = np.random.default_rng(len(sizes) * 1000 + sizes[0])
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    shown_units = [2, 0, 1] if selected == "with the other units" else [0]
    previous = shown(before, shown_units)
    parts = random_split(curation, 0, rng, sizes)
    after = curation.sorting
    counts = after.count_num_spikes_per_unit()
    largest = max(parts, key=counts.get)
    if selected == "all":
        units = parts[::-1]
    elif selected == "largest and one":
        units = [parts[0], largest]
    else:
        units = [1, *parts, 2]
    fetched = trains_fetched(monkeypatch, after)
    data = correlograms_after_action(after, units, WINDOW_MS, BIN_MS, previous)
    if selected == "all":  # the unit's train on display, labelled by part
        assert not set(fetched) & set(parts)
    assert_counted_equal(data, after, units)
    # only the pairs of the parts other than the largest were counted
    assert counted == []
    assert sum(involved) == sum(counts[p] for p in parts if p != largest)


def test_any_split_and_selection_derived_equals_a_count(sorting, tmp_path, monkeypatch):
    """Whatever the share of spikes to count, the derivation gives the counts."""
    monkeypatch.setattr(correlograms_module, "MAX_COUNTED_SHARE", 1.0)
    rng = np.random.default_rng(5)
    curation = CurationSession(sorting, journal_folder=tmp_path)
    for trial in range(6):
        before = curation.sorting
        counts = before.count_num_spikes_per_unit()
        unit = rng.choice([u for u, n in counts.items() if n > 2])
        count = counts[unit]
        others = [u for u in before.unit_ids.tolist() if u != unit][: trial % 3]
        previous = shown(before, [unit, *others])
        cuts = np.sort(rng.choice(np.arange(1, count), size=1 + trial % 2, replace=False))
        parts = random_split(curation, unit, rng, np.diff(np.concatenate([[0], cuts])))
        after = curation.sorting
        units = [*others, *rng.permutation(parts)[: 1 + trial % len(parts)].tolist()]
        data = correlograms_after_action(after, units, WINDOW_MS, BIN_MS, previous)
        assert_counted_equal(data, after, units)


def test_an_undone_merge_derives_its_units_from_the_merged_one(
    sorting, tmp_path, counted, involved
):
    curation = CurationSession(sorting, journal_folder=tmp_path)
    merged = curation.merge([2, 3])
    merged_sorting = curation.sorting
    previous = shown(merged_sorting, [merged, 0])
    curation.undo()
    data = correlograms_after_action(curation.sorting, [2, 3, 0], WINDOW_MS, BIN_MS, previous)
    assert_counted_equal(data, curation.sorting, [2, 3, 0])
    assert counted == [] and sum(involved) == 600  # unit 3's spikes, unit 2 derived


def view_on_curation(qtbot, sorting, tmp_path, selected: list):
    """A correlograms view of a curation session's sorting, drawn for ``selected``; returns
    the session, the curation session and the view."""
    from app.model.session import Session
    from app.views.correlograms import CorrelogramsView

    session = Session()
    curation = CurationSession(sorting, journal_folder=tmp_path)
    session.open(sorting=curation.sorting)
    view = CorrelogramsView(session)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(selected)
    return session, curation, view


def test_the_view_derives_the_merged_unit_from_the_grid(qtbot, sorting, tmp_path, counted):
    session, curation, view = view_on_curation(qtbot, sorting, tmp_path, [0, 1, 2])
    counted.clear()
    merged = curation.merge([0, 1])
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.replace_sorting(curation.sorting, selected_unit_ids=[merged, 2])
    assert view.wait_until_idle()
    assert view.data.unit_ids == [merged, 2]
    assert_counted_equal(view.data, curation.sorting, [merged, 2])
    assert counted == []
    view.shutdown()


def test_the_view_derives_split_parts_from_the_grid(qtbot, sorting, tmp_path, counted, involved):
    session, curation, view = view_on_curation(qtbot, sorting, tmp_path, [0, 2])
    counted.clear()
    parts = random_split(curation, 0, np.random.default_rng(2), [1, 200])
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.replace_sorting(curation.sorting, selected_unit_ids=[*parts, 2])
    assert view.wait_until_idle()
    assert view.data.unit_ids == [*parts, 2]
    assert_counted_equal(view.data, curation.sorting, [*parts, 2])
    assert counted == [] and sum(involved) == 201
    # what the grid draws: each plot's curve holds its pair's counts
    for (row, col), plot in view.plots.items():
        _, counts = plot.listDataItems()[0].getData()
        np.testing.assert_array_equal(counts, view.data.ccgs[row, col])
    view.shutdown()
