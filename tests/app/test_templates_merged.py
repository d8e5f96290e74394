"""After a merge the templates view draws the merged unit at once from its parts' templates (the
count-weighted mean, the pooled spread), then from its own spikes when they are read; an undo
meanwhile shows the parts again and the stale reading is never drawn."""

import threading

import numpy as np
import pytest

from app.model import waveform_source as waveform_source_module
from app.model.waveform_source import UnitWaveforms, WaveformSource, combine_parts, split_part
from app.views.templates import MAX_UNCACHED_WAVEFORM_POINTS, PROVISIONAL_NOTE, TemplateView
from tests.app.folders_window import draw_units, window_on_folders, write_ground_truth_folders

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return write_ground_truth_folders(tmp_path_factory.mktemp("merged-template"), 5, seed=11)


@pytest.fixture(scope="module")
def ground_truth_sorting(folders):
    import core as si

    return si.load_extractor(folders / "sorting")


@pytest.fixture
def window(qtbot, tmp_path, folders):
    with window_on_folders(qtbot, tmp_path, folders) as window:
        yield window


@pytest.fixture
def held_reads(monkeypatch):
    """Reads of units cut from the recording wait for ``release.set()`` once ``hold.set()``."""
    hold, release = threading.Event(), threading.Event()
    original = WaveformSource._from_recording

    def held(self, unit_id, num_waveforms):
        if hold.is_set():
            release.wait(20)
        return original(self, unit_id, num_waveforms)

    monkeypatch.setattr(WaveformSource, "_from_recording", held)
    yield hold, release
    release.set()


def show_parts(qtbot, window) -> tuple[TemplateView, list, dict]:
    """Select two units, wait for their drawing; returns the view, the units and their data."""
    parts = window.session.sorting.unit_ids.tolist()[1:3]  # not the first: read on opening
    view = draw_units(qtbot, window, parts)
    view.wait_until_idle()
    return view, parts, {u: view._unit_items[u]["drawing"].data for u in parts}


def merge(qtbot, window, view: TemplateView, parts: list):
    """Merge the selection; returns the merged unit once the view draws it."""
    before = set(window.session.sorting.unit_ids.tolist())
    window.menus.actions["merge"].trigger()
    (merged,) = set(window.session.sorting.unit_ids.tolist()) - before
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [merged], timeout=20_000)
    return merged


def weighted_mean(data: dict, channel_id) -> np.ndarray:
    counts = np.array([d.num_spikes for d in data.values()], dtype="float64")
    means = [d.template[:, d.channel_ids.tolist().index(channel_id)] for d in data.values()]
    return np.average(np.stack(means), axis=0, weights=counts)


def test_a_merged_unit_is_drawn_from_its_parts_before_its_own_spikes_are_read(
    qtbot, window, held_reads
):
    hold, release = held_reads
    view, parts, data = show_parts(qtbot, window)
    assert len({d.num_spikes for d in data.values()}) > 1  # unequal weights
    hold.set()
    merged = merge(qtbot, window, view, parts)
    assert not release.is_set()  # the merged unit's own reading is still held
    assert view.is_provisional(merged)
    assert view.num_spikes(merged) == sum(d.num_spikes for d in data.values())
    for channel_id in view.shown_channel_ids():
        expected = weighted_mean(data, channel_id)
        np.testing.assert_allclose(view.template_values(merged, channel_id), expected, atol=1e-3)
    release.set()
    qtbot.waitUntil(lambda: not view.is_provisional(merged), timeout=20_000)
    assert view.drawn_unit_ids() == [merged]


def test_sampled_parts_give_a_provisional_note_cleared_by_the_merged_units_own(
    qtbot, window, held_reads, monkeypatch
):
    hold, release = held_reads
    monkeypatch.setattr(waveform_source_module, "TEMPLATE_SPIKES", 10)
    window.views["templates"].set_waveform_count(3)
    view, parts, data = show_parts(qtbot, window)
    assert not any(d.complete for d in data.values())  # 10 of each unit's spikes
    plot_height = view.plot_widget.height()
    hold.set()
    merged = merge(qtbot, window, view, parts)
    assert PROVISIONAL_NOTE in view.info_text()
    # on the line shown (elided at the right), first
    assert view._info.text().startswith(f"unit {merged}: provisional")
    release.set()
    qtbot.waitUntil(lambda: not view.is_provisional(merged), timeout=20_000)
    assert PROVISIONAL_NOTE not in view.info_text()
    assert f"unit {merged}: 10 spikes" in view.info_text()
    # the line's height does not follow its text: the plot was never resized (drawn again)
    assert view.plot_widget.height() == plot_height


def test_parts_of_all_their_spikes_give_an_exact_template_without_a_note(
    qtbot, window, held_reads, monkeypatch
):
    hold, release = held_reads
    # every spike, in the parts' templates and in the merged unit's own
    monkeypatch.setattr(waveform_source_module, "TEMPLATE_SPIKES", 10_000)
    view, parts, data = show_parts(qtbot, window)
    assert all(d.complete for d in data.values())
    hold.set()
    merged = merge(qtbot, window, view, parts)
    assert view.is_provisional(merged) and PROVISIONAL_NOTE not in view.info_text()
    provisional = {c: view.template_values(merged, c) for c in view.shown_channel_ids()}
    release.set()
    qtbot.waitUntil(lambda: not view.is_provisional(merged), timeout=20_000)
    assert view.num_spikes(merged) == sum(d.num_spikes for d in data.values())
    for channel_id, values in provisional.items():
        np.testing.assert_allclose(view.template_values(merged, channel_id), values, atol=1e-3)


def test_an_undo_before_the_merged_unit_is_read_shows_the_parts_and_not_the_stale_reading(
    qtbot, window, held_reads
):
    hold, release = held_reads
    view, parts, data = show_parts(qtbot, window)
    hold.set()
    merged = merge(qtbot, window, view, parts)
    assert view.is_provisional(merged)
    drawn = []
    view.drawn.connect(lambda: drawn.append(view.drawn_unit_ids()))
    window.menus.actions["undo"].trigger()  # the merged unit leaves the selection
    window.session.select_units(parts)
    release.set()  # the merged unit's reading ends after the undo: it is stale
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == parts, timeout=20_000)
    assert view.wait_until_idle()
    qtbot.wait(50)  # let a stale result, if any was posted, reach the view
    assert view.drawn_unit_ids() == parts and merged not in sum(drawn, [])
    # the parts came back from what the view had read (not read again)
    assert all(view._unit_items[u]["drawing"].data is data[u] for u in parts)


def parts_of(counts: list, stds: list, seed: int = 0) -> list[UnitWaveforms]:
    rng = np.random.default_rng(seed)
    channels = np.array([0, 1, 2])
    return [
        UnitWaveforms(
            unit_id=i, channel_ids=channels,
            template=rng.normal(size=(5, 3)).astype("float32"),
            std=np.full((5, 3), s, "float32"), waveform_channel_ids=channels[:2],
            waveforms=rng.normal(size=(4, 5, 2)).astype("float32"), nbefore=2,
            sampling_frequency=1000.0, scaled=True, num_spikes=n, from_extractor=False,
            complete=True,
        )
        for i, (n, s) in enumerate(zip(counts, stds))
    ]  # fmt: skip


def test_combined_parts_have_the_mean_and_spread_of_the_union_of_their_spikes():
    rng = np.random.default_rng(3)
    spikes = [rng.normal(loc=i, size=(n, 5, 3)) for i, n in enumerate((30, 7, 12))]
    parts = parts_of([30, 7, 12], [1, 1, 1])
    parts = [
        UnitWaveforms(**{**vars(p), "template": s.mean(axis=0), "std": s.std(axis=0)})
        for p, s in zip(parts, spikes)
    ]
    union = np.concatenate(spikes)
    combined = combine_parts(9, parts, num_waveforms=5)
    np.testing.assert_allclose(combined.template, union.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(combined.std, union.std(axis=0), rtol=1e-5)
    assert combined.num_spikes == 49 and combined.provisional and combined.complete
    assert combined.waveforms.shape == (5, 5, 2)


def test_parts_on_other_channels_combine_on_the_channels_they_share():
    first, second = parts_of([3, 5], [1, 2])
    second = UnitWaveforms(
        **{
            **vars(second),
            "channel_ids": np.array([1, 2, 3]),
            "waveform_channel_ids": np.array([1, 2]),
        }
    )
    combined = combine_parts(9, [first, second], num_waveforms=8)
    assert combined.channel_ids.tolist() == [1, 2]
    expected = (3 * first.template[:, 1:] + 5 * second.template[:, :2]) / 8
    np.testing.assert_allclose(combined.template, expected, rtol=1e-5)
    assert combined.waveform_channel_ids.tolist() == [1] and combined.waveforms.shape == (8, 5, 1)


def test_union_parts_names_the_units_merged_into_a_unit_and_only_them(
    ground_truth_sorting, tmp_path
):
    from app.model.curation_reuse import union_parts
    from core.curation import CurationSession

    curation = CurationSession(ground_truth_sorting, journal_folder=tmp_path)
    before = curation.sorting
    ids = before.unit_ids.tolist()
    merged = curation.merge(ids[:2])
    after = curation.sorting
    assert union_parts(after, before, merged, ids) == ids[:2]
    assert union_parts(after, before, merged, ids[:1]) is None  # one part only: not its union
    assert union_parts(after, before, ids[3], ids[:3]) is None  # shares no spike with them
    split_off = curation.split(merged, indices=[np.arange(3)])[0]
    # a split part holds some of the merged unit's spikes, not all: it is no union of it
    assert union_parts(curation.sorting, after, split_off, [merged]) is None


def test_sampled_parts_are_weighted_by_their_spikes_in_the_sorting_not_by_the_samples():
    # two parts averaged from 100 sampled spikes each, one of 1,000 spikes, one of 10
    first, second = parts_of([100, 100], [1, 1])
    first = UnitWaveforms(**{**vars(first), "complete": False})
    combined = combine_parts(9, [first, second], num_waveforms=4, unit_spike_counts=[1000, 10])
    expected = (1000 * first.template + 10 * second.template) / 1010
    np.testing.assert_allclose(combined.template, expected, rtol=1e-5)
    assert combined.num_spikes == 200 and not combined.complete
    # the samples' sizes are the weights only when the sorting cannot say
    unknown = combine_parts(9, [first, second], num_waveforms=4, unit_spike_counts=[-1, 10])
    np.testing.assert_allclose(unknown.template, (first.template + second.template) / 2, rtol=1e-5)


def split_held(qtbot, window, hold) -> tuple[TemplateView, object, UnitWaveforms, list]:
    """Draw a unit, split a third of its spikes off with the reads held; returns the view, the
    unit, its data and the parts once the view draws them."""
    view = window.views["templates"]
    unit = window.session.sorting.unit_ids.tolist()[1]
    window.session.select_units([unit])
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [unit], timeout=20_000)
    view.wait_until_idle()
    whole = view._unit_items[unit]["drawing"].data
    assert whole.sampled_spikes is not None and whole.sampled_windows.shape[0] > 4
    count = window.session.sorting.get_unit_spike_train(unit).size
    window.session.select_spikes(unit, np.arange(0, count, 3))
    hold.set()
    before = set(window.session.sorting.unit_ids.tolist())
    window.menus.actions["split"].trigger()
    parts = sorted(set(window.session.sorting.unit_ids.tolist()) - before)
    qtbot.waitUntil(lambda: sorted(view.drawn_unit_ids()) == parts, timeout=20_000)
    return view, unit, whole, parts


def test_split_parts_are_drawn_at_once_from_the_units_sampled_windows_that_are_theirs(
    qtbot, window, held_reads
):
    hold, release = held_reads
    view, unit, whole, parts = split_held(qtbot, window, hold)
    assert not release.is_set()  # the parts' own readings are still held
    assert all(view.is_provisional(part) for part in parts)
    assert PROVISIONAL_NOTE in view.info_text()
    # each part: the mean of the whole unit's sampled windows whose spikes are the part's
    samples = whole.sampled_spikes["sample_index"]
    drawn = 0
    for part in parts:
        mine = np.isin(samples, window.session.sorting.get_unit_spike_train(part))
        assert view.num_spikes(part) == np.count_nonzero(mine)
        drawn += view.num_spikes(part)
        for channel_id in view.shown_channel_ids():
            if channel_id in whole.waveform_channel_ids.tolist():
                column = whole.waveform_channel_ids.tolist().index(channel_id)
                expected = whole.sampled_windows[mine][:, :, column].mean(axis=0)
                np.testing.assert_allclose(
                    view.template_values(part, channel_id), expected, atol=1e-3
                )
    assert drawn == whole.sampled_windows.shape[0]
    release.set()
    qtbot.waitUntil(lambda: not any(view.is_provisional(p) for p in parts), timeout=20_000)
    assert PROVISIONAL_NOTE not in view.info_text()


def test_an_undo_before_the_split_parts_are_read_shows_the_unit_and_not_the_stale_readings(
    qtbot, window, held_reads
):
    hold, release = held_reads
    view, unit, whole, parts = split_held(qtbot, window, hold)
    assert all(view.is_provisional(part) for part in parts)
    drawn = []
    view.drawn.connect(lambda: drawn.append(view.drawn_unit_ids()))
    window.menus.actions["undo"].trigger()  # the parts leave the selection
    window.session.select_units([unit])  # the unit is back
    release.set()  # the parts' readings end after the undo: they are stale
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [unit], timeout=20_000)
    assert view.wait_until_idle()
    qtbot.wait(50)  # let a stale result, if any was posted, reach the view
    assert view.drawn_unit_ids() == [unit]
    assert not set(parts) & set(sum(drawn, []))
    # from what the view read before the split (not read again)
    assert view._unit_items[unit]["drawing"].data is whole
    assert not view.is_provisional(unit) and PROVISIONAL_NOTE not in view.info_text()


def test_a_split_part_takes_the_sampled_spikes_of_its_train_in_each_segment():
    dtype = [("sample_index", "<i8"), ("segment_index", "<i8")]
    # the same sample index in both segments; the part has it in segment 1 only
    spikes = np.array([(10, 0), (10, 1), (20, 0), (35, 1), (50, 1)], dtype=dtype)
    windows = np.arange(5 * 4 * 2, dtype="float32").reshape(5, 4, 2)
    channels = np.array([7, 8])
    whole = UnitWaveforms(
        unit_id=1, channel_ids=channels, template=windows.mean(axis=0),
        std=windows.std(axis=0), waveform_channel_ids=channels, waveforms=windows[:3],
        nbefore=1, sampling_frequency=1000.0, scaled=True, num_spikes=5,
        from_extractor=False, sampled_spikes=spikes, sampled_windows=windows,
    )  # fmt: skip
    part = split_part(2, whole, [np.array([5, 20, 21]), np.array([10, 50, 60])], num_waveforms=8)
    mine = [2, 1, 4]  # (20, 0), (10, 1), (50, 1)
    np.testing.assert_allclose(part.template, windows[mine].mean(axis=0))
    np.testing.assert_allclose(part.std, windows[mine].std(axis=0))
    assert part.num_spikes == 3 and part.provisional and not part.complete
    assert part.waveforms.shape == (3, 4, 2)
    assert sorted(map(tuple, part.waveforms[:, 0, :].tolist())) == sorted(
        map(tuple, windows[mine][:, 0, :].tolist())
    )
    # past either end of a train, and no spike of the part among the sampled ones
    assert split_part(3, whole, [np.array([99]), np.array([0, 1])], num_waveforms=8) is None
    assert split_part(3, whole, [np.array([], "int64"), np.array([], "int64")], 8) is None


def test_few_waveforms_are_painted_into_the_view_many_through_a_cache(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QGraphicsItem

    from app.views import templates as templates_module

    unit = window.session.sorting.unit_ids.tolist()[1]
    view = draw_units(qtbot, window, [unit])
    view.wait_until_idle()

    def cache_mode(part="waveforms"):
        return view._unit_items[unit][part].cacheMode()

    count = view.waveform_count(unit)
    points = view.unit_curve(unit, "waveforms")[0].size
    assert count > 2 and 0 < points <= MAX_UNCACHED_WAVEFORM_POINTS
    assert cache_mode() == QGraphicsItem.CacheMode.NoCache
    # more points than the limit: cached
    monkeypatch.setattr(templates_module, "MAX_UNCACHED_WAVEFORM_POINTS", points // 2)
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_waveform_count(count - 1)
    assert view.unit_curve(unit, "waveforms")[0].size > points // 2
    assert cache_mode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    # and back under it
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_waveform_count(1)
    assert view.waveform_count(unit) == 1
    assert cache_mode() == QGraphicsItem.CacheMode.NoCache
    # the mean, band and outline stay cached whatever the waveforms
    for part in ("halo", "mean", "outside", "band"):
        assert cache_mode(part) == QGraphicsItem.CacheMode.DeviceCoordinateCache
