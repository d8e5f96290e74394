"""DisplayPyramid: exact min/max levels, on-disk cache keyed by the files, resumable builds."""

import json
import os
import tracemalloc

import numpy as np
import pytest

import core as si
from app.model.display_pyramid import (
    DisplayPyramid,
    LayoutParameters,
    PyramidLayout,
    PyramidNotReady,
    builder,
    choose_level,
    clear_pyramid_cache,
    default_cache_limit,
    pyramid_cache_bytes,
    trim_pyramid_cache,
)
from core.jobs import CancelToken, JobCancelled
from tests.test_headless import run_with_qt_blocked

#: Small levels so that small files have several (4, 12, 36, 108, ...); a ratio of 3 checks
#: that nothing assumes powers of two.
SMALL = LayoutParameters(base_factor=4, ratio=3, min_top_bins=3)
NUM_CHANNELS = 5


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of a few hundred samples: builds take many steps, none aligned with the levels."""
    monkeypatch.setattr(builder, "CHUNK_BYTES", 4 * 1000)


def write_binary(folder, num_samples, seed=0, name="traces.raw"):
    folder.mkdir(parents=True, exist_ok=True)
    traces = np.random.default_rng(seed).integers(-2000, 2000, (num_samples, NUM_CHANNELS))
    traces = traces.astype("int16")
    traces.tofile(folder / name)
    return traces, folder / name


def open_binary(paths):
    return si.BinaryRecordingExtractor(
        file_paths=[str(path) for path in paths],
        sampling_frequency=1000.0,
        dtype="int16",
        num_channels=NUM_CHANNELS,
    )


@pytest.fixture
def recorded(tmp_path):
    traces, path = write_binary(tmp_path / "data", 4001)
    return traces, open_binary([path]), tmp_path / "cache"


def expected_bins(traces, factor):
    count = -(-traces.shape[0] // factor)
    lo = np.array([traces[b * factor : (b + 1) * factor].min(axis=0) for b in range(count)])
    hi = np.array([traces[b * factor : (b + 1) * factor].max(axis=0) for b in range(count)])
    return lo, hi


def level_files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.glob("level*.bin"))}


# ---------------------------------------------------------------------------------------- levels
def test_every_level_is_the_min_max_of_the_raw_samples_it_covers_last_partial_bin_included(
    recorded,
):
    traces, recording, cache = recorded
    pyramid = DisplayPyramid(recording, cache, SMALL)
    pyramid.build()
    factors = pyramid.factors(0)
    assert factors[:4] == (4, 12, 36, 108) and traces.shape[0] % factors[-1] != 0
    for level, factor in enumerate(factors):
        lo, hi = pyramid.read(level, 0, 0, traces.shape[0])
        expected_lo, expected_hi = expected_bins(traces, factor)
        np.testing.assert_array_equal(lo, expected_lo, err_msg=f"level {level}")
        np.testing.assert_array_equal(hi, expected_hi, err_msg=f"level {level}")
    pyramid.close()


def test_read_returns_the_bins_covering_the_window_for_the_channels_asked(recorded):
    traces, recording, cache = recorded
    pyramid = DisplayPyramid(recording, cache, SMALL)
    pyramid.build()
    channel_ids = recording.channel_ids[[3, 0]]
    lo, hi = pyramid.read(1, 0, 25, 61, channel_ids=channel_ids)
    assert pyramid.bin_range(1, 0, 25, 61) == (2, 6)  # bins of 12 frames: [24, 72)
    expected_lo, expected_hi = expected_bins(traces, 12)
    np.testing.assert_array_equal(lo, expected_lo[2:6][:, [3, 0]])
    np.testing.assert_array_equal(hi, expected_hi[2:6][:, [3, 0]])
    assert lo.dtype == np.int16
    pyramid.close()


def test_each_segment_has_its_own_pyramid(tmp_path):
    first, first_path = write_binary(tmp_path / "data", 1500, seed=1, name="a.raw")
    second, second_path = write_binary(tmp_path / "data", 900, seed=2, name="b.raw")
    recording = open_binary([first_path, second_path])
    pyramid = DisplayPyramid(recording, tmp_path / "cache", SMALL)
    pyramid.build()
    for segment, traces in enumerate((first, second)):
        lo, hi = pyramid.read(0, segment, 0, traces.shape[0])
        np.testing.assert_array_equal(lo, expected_bins(traces, 4)[0])
        np.testing.assert_array_equal(hi, expected_bins(traces, 4)[1])
    assert len(list((tmp_path / "cache").iterdir())) == 2
    pyramid.close()


def test_build_memory_stays_bounded_by_the_chunks(tmp_path):
    _, path = write_binary(tmp_path / "data", 400_000)  # 4 MB
    pyramid = DisplayPyramid(open_binary([path]), tmp_path / "cache", SMALL)
    tracemalloc.start()
    try:
        pyramid.build()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    pyramid.close()


# ----------------------------------------------------------------------------------------- cache
def test_a_second_opening_of_the_same_file_reads_the_cache_without_reading_traces(recorded):
    traces, recording, cache = recorded
    DisplayPyramid(recording, cache, SMALL).build()
    reopened = open_binary(recording.get_source_paths())
    reopened.get_traces = None  # any read of the raw file would fail
    pyramid = DisplayPyramid(reopened, cache, SMALL)
    assert pyramid.is_complete() and pyramid.build_fraction() == 1.0
    pyramid.build()
    lo, _ = pyramid.read(0, 0, 0, 8)
    np.testing.assert_array_equal(lo, expected_bins(traces[:8], 4)[0])
    pyramid.close()


@pytest.mark.parametrize("change", ["mtime", "size"])
def test_a_changed_file_invalidates_the_pyramid_and_its_rebuild_replaces_it(recorded, change):
    traces, recording, cache = recorded
    DisplayPyramid(recording, cache, SMALL).build()
    (old,) = list(cache.iterdir())
    path = recording.get_source_paths()[0]
    if change == "mtime":
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    else:
        traces = np.concatenate([traces, traces[:40]])
        traces.tofile(path)
    changed = DisplayPyramid(open_binary([path]), cache, SMALL)
    assert not changed.is_complete()
    with pytest.raises(PyramidNotReady):
        changed.read(0, 0, 0, 10)
    changed.build()
    assert [entry.name for entry in cache.iterdir()] == [changed.folder(0).name] != [old.name]
    np.testing.assert_array_equal(changed.read(0, 0, 0, 10**6)[1], expected_bins(traces, 4)[1])
    changed.close()


def test_a_different_channel_selection_is_a_different_pyramid(recorded):
    traces, recording, cache = recorded
    DisplayPyramid(recording, cache, SMALL).build()
    sliced = recording.channel_slice(recording.channel_ids[[4, 1]])
    pyramid = DisplayPyramid(sliced, cache, SMALL)
    assert not pyramid.is_complete()
    pyramid.build()
    np.testing.assert_array_equal(
        pyramid.read(0, 0, 0, 100)[0], expected_bins(traces, 4)[0][:25, [4, 1]]
    )
    assert len(list(cache.iterdir())) == 2
    pyramid.close()


def test_gains_and_probe_properties_do_not_invalidate_the_raw_pyramid(recorded):
    _, recording, cache = recorded
    DisplayPyramid(recording, cache, SMALL).build()
    reopened = open_binary(recording.get_source_paths())
    reopened.set_channel_gains(0.195)
    reopened.set_property("bad_channel", np.array([True, False, False, False, False]))
    assert DisplayPyramid(reopened, cache, SMALL).is_complete()


def test_the_cache_is_never_put_in_the_data_folder_unless_asked(recorded):
    _, recording, _ = recorded
    data_folder = recording.get_source_paths()[0].parent
    with pytest.raises(ValueError, match="data folder"):
        DisplayPyramid(recording, data_folder, SMALL)
    pyramid = DisplayPyramid(recording, data_folder, SMALL, allow_in_data_folder=True)
    pyramid.build()
    assert pyramid.is_complete()
    pyramid.close()


def test_clear_cache_removes_pyramids_only(recorded):
    _, recording, cache = recorded
    pyramid = DisplayPyramid(recording, cache, SMALL)
    pyramid.build()
    (cache / "notes.txt").write_text("not a pyramid")
    assert pyramid_cache_bytes(cache) > 0
    pyramid.close()
    assert clear_pyramid_cache(cache) > 0
    assert [entry.name for entry in cache.iterdir()] == ["notes.txt"]
    assert not DisplayPyramid(recording, cache, SMALL).is_complete()


def built_pyramid(tmp_path, name, cache, seed, limit=None):
    _, path = write_binary(tmp_path / name, 4001, seed=seed)
    pyramid = DisplayPyramid(open_binary([path]), cache, SMALL, cache_limit_bytes=limit)
    pyramid.build()
    return pyramid


def test_past_the_cache_limit_the_pyramids_used_least_recently_go_first(tmp_path):
    cache = tmp_path / "cache"
    first = built_pyramid(tmp_path, "a", cache, 1)
    second = built_pyramid(tmp_path, "b", cache, 2)
    each = pyramid_cache_bytes(cache) // 2
    # the first was built before the second but opened again since: the second goes first
    for pyramid, age_s in ((first, 300), (second, 200)):
        folder = pyramid.folder(0)
        os.utime(folder, (folder.stat().st_atime, folder.stat().st_mtime - age_s))
    first.close()
    assert DisplayPyramid(first.recording, cache, SMALL).is_complete()  # opened: used now
    third = built_pyramid(tmp_path, "c", cache, 3, limit=2 * each + each // 2)
    assert sorted(path.name for path in cache.iterdir()) == sorted(
        [first.folder(0).name, third.folder(0).name]
    )
    assert third.is_complete() and pyramid_cache_bytes(cache) <= 2 * each + each // 2
    # a pyramid is kept when it alone exceeds the limit; other files and partial builds stay
    (cache / "notes.txt").write_text("not a pyramid")
    partial = cache / f"{'0' * 16}-{'1' * 16}.building"
    partial.mkdir()
    (partial / "level00-x4.bin").write_bytes(b"x" * 100)
    fourth = built_pyramid(tmp_path, "d", cache, 4, limit=1)
    names = {path.name for path in cache.iterdir()}
    assert names == {fourth.folder(0).name, partial.name, "notes.txt"}
    assert fourth.is_complete()


def test_trimming_frees_nothing_under_the_limit_and_the_limit_fits_the_disk(recorded):
    _, recording, cache = recorded
    DisplayPyramid(recording, cache, SMALL).build()
    assert trim_pyramid_cache(cache, pyramid_cache_bytes(cache)) == 0
    assert DisplayPyramid(recording, cache, SMALL).is_complete()
    assert 0 < default_cache_limit(cache / "not" / "made" / "yet") <= 50 << 30


def test_an_in_memory_recording_has_no_cache_key(tmp_path):
    traces = np.zeros((10_000, 2), dtype="int16")
    recording = si.NumpyRecording([traces], sampling_frequency=1000.0)
    pyramid = DisplayPyramid(recording, tmp_path, SMALL)
    assert not pyramid.cacheable
    with pytest.raises(ValueError, match="JSON description"):
        pyramid.build()


def test_a_generated_recording_is_keyed_by_its_json_description(tmp_path):
    recording = si.generate_recording(num_channels=3, durations=[0.2], seed=4)
    pyramid = DisplayPyramid(recording, tmp_path, SMALL)
    pyramid.build()
    traces = recording.get_traces()
    np.testing.assert_array_equal(pyramid.read(2, 0, 0, 6000)[0], expected_bins(traces, 36)[0])
    other_seed = si.generate_recording(num_channels=3, durations=[0.2], seed=5)
    assert not DisplayPyramid(other_seed, tmp_path, SMALL).is_complete()
    pyramid.close()


def test_a_segment_too_short_for_levels_needs_no_build(tmp_path):
    recording = si.NumpyRecording([np.zeros((8, 2), dtype="int16")], sampling_frequency=1000.0)
    pyramid = DisplayPyramid(recording, tmp_path, SMALL)  # 8 samples: 2 bins of 4, fewer than 3
    assert pyramid.factors(0) == () and pyramid.is_complete()
    assert pyramid.choose_level(0, 0, 8, 1) is None
    pyramid.build()  # nothing to do, no error


# -------------------------------------------------------------------------------- resume, partial
class Interrupted(Exception):
    pass


class FailingRecording:
    """A recording whose reads fail from the ``fail_at``-th on (a crash in the middle)."""

    def __init__(self, recording, fail_at):
        self._recording = recording
        self.fail_at = fail_at
        self.reads = 0
        self.frames_read = 0

    def __getattr__(self, name):
        return getattr(self._recording, name)

    def get_traces(self, **kwargs):
        self.reads += 1
        if self.reads >= self.fail_at:
            raise Interrupted("disk unplugged")
        traces = self._recording.get_traces(**kwargs)
        self.frames_read += traces.shape[0]
        return traces


def test_a_cancelled_build_resumes_where_it_stopped_and_gives_the_same_pyramid(recorded, tmp_path):
    traces, recording, cache = recorded
    token, reports = CancelToken(), []

    def progress(done, total):
        reports.append((done, total))
        if len(reports) == 3:
            token.cancel()

    pyramid = DisplayPyramid(recording, cache, SMALL)
    with pytest.raises(JobCancelled):
        pyramid.build(progress_callback=progress, cancel_token=token)
    assert not pyramid.is_complete()
    stopped_at = pyramid.build_fraction()
    assert 0 < stopped_at < 1 and reports[-1][0] == round(stopped_at * traces.shape[0])

    counting = FailingRecording(open_binary(recording.get_source_paths()), fail_at=10**9)
    resumed = DisplayPyramid(counting, cache, SMALL)
    resumed.build()
    assert counting.frames_read == traces.shape[0] - reports[-1][0]
    reference = DisplayPyramid(recording, tmp_path / "fresh", SMALL)
    reference.build()
    assert level_files(resumed.folder(0)) == level_files(reference.folder(0))
    resumed.close()
    reference.close()


def test_a_build_that_fails_midway_resumes_to_the_same_pyramid(recorded, tmp_path):
    traces, recording, cache = recorded
    failing = FailingRecording(recording, fail_at=5)
    with pytest.raises(Interrupted):
        DisplayPyramid(failing, cache, SMALL).build()
    resumed = DisplayPyramid(recording, cache, SMALL)
    assert 0 < resumed.build_fraction() < 1
    resumed.build()
    reference = DisplayPyramid(recording, tmp_path / "fresh", SMALL)
    reference.build()
    assert level_files(resumed.folder(0)) == level_files(reference.folder(0))


def test_a_build_killed_between_checkpoints_redoes_what_came_after_the_last_one(recorded, tmp_path):
    """A kill loses the work since the last checkpoint: simulated by putting an older state back
    (the level files hold more than it says, as after a kill)."""
    _, recording, cache = recorded
    failing = FailingRecording(recording, fail_at=4)
    with pytest.raises(Interrupted):
        DisplayPyramid(failing, cache, SMALL).build()
    (partial,) = list(cache.iterdir())
    state_path = partial / builder.STATE
    state = json.loads(state_path.read_text())
    state["bins_done"] = [count // 2 for count in state["bins_done"]]
    state_path.write_text(json.dumps(state))
    resumed = DisplayPyramid(recording, cache, SMALL)
    resumed.build()
    reference = DisplayPyramid(recording, tmp_path / "fresh", SMALL)
    reference.build()
    assert level_files(resumed.folder(0)) == level_files(reference.folder(0))


def test_a_partial_pyramid_is_never_read_as_complete(recorded):
    _, recording, cache = recorded
    failing = FailingRecording(recording, fail_at=3)
    with pytest.raises(Interrupted):
        DisplayPyramid(failing, cache, SMALL).build()
    (partial,) = list(cache.iterdir())
    assert partial.name.endswith(".building") and not (partial / builder.MANIFEST).exists()
    pyramid = DisplayPyramid(recording, cache, SMALL)
    assert not pyramid.is_complete()
    with pytest.raises(PyramidNotReady):
        pyramid.read(0, 0, 0, 10)
    # even renamed by hand to the final name, a folder without a manifest is not a pyramid
    partial.rename(pyramid.folder(0))
    assert not DisplayPyramid(recording, cache, SMALL).is_complete()


@pytest.mark.parametrize("damage", ["truncated level", "other digest"])
def test_a_damaged_pyramid_is_not_complete(recorded, damage):
    _, recording, cache = recorded
    pyramid = DisplayPyramid(recording, cache, SMALL)
    pyramid.build()
    folder = pyramid.folder(0)
    pyramid.close()
    if damage == "truncated level":
        level = sorted(folder.glob("level*.bin"))[-1]
        os.truncate(level, level.stat().st_size - 1)
    else:
        manifest = json.loads((folder / builder.MANIFEST).read_text())
        manifest["digest"] = "0" * 64
        (folder / builder.MANIFEST).write_text(json.dumps(manifest))
    assert not DisplayPyramid(recording, cache, SMALL).is_complete()


def test_two_builds_of_one_pyramid_never_run_at_once(recorded):
    _, recording, cache = recorded
    pyramid = DisplayPyramid(recording, cache, SMALL)
    identity = pyramid._segment(0).identity
    partial = cache / f"{identity.folder_name}{builder.BUILDING_SUFFIX}"
    partial.mkdir(parents=True)
    lock = builder.BuildLock(partial)
    try:
        with pytest.raises(BlockingIOError):
            pyramid.build()
        assert clear_pyramid_cache(cache) == 0 and partial.exists()
    finally:
        lock.release()
    pyramid.build()
    assert pyramid.is_complete()
    pyramid.close()


# --------------------------------------------------------------------------------------- chooser
@pytest.mark.parametrize(
    ("num_frames", "num_pixels", "expected"),
    [
        (63, 1, None),  # fewer samples per pixel than the finest bin: raw samples
        (64 * 1000 - 1, 1000, None),
        (64 * 1000, 1000, 0),
        (256 * 1000 - 1, 1000, 0),
        (256 * 1000, 1000, 1),
        (10**12, 1000, 3),  # beyond the top level: the top level
    ],
)
def test_the_chooser_picks_the_coarsest_level_no_wider_than_a_pixel(
    num_frames, num_pixels, expected
):
    assert choose_level((64, 256, 1024, 4096), num_frames, num_pixels) == expected


def test_the_chosen_level_reads_a_bounded_number_of_bins_at_any_zoom():
    """Two hours of 384 int16 channels at 30 kHz: every window width reads < 4 bins per pixel."""
    layout = PyramidLayout(
        num_samples=2 * 3600 * 30_000,
        num_channels=384,
        dtype="int16",
        factors=LayoutParameters().factors(2 * 3600 * 30_000),
    )
    assert layout.factors[:4] == (64, 256, 1024, 4096)
    assert layout.num_bins(layout.num_levels - 1) >= 256
    for num_pixels in (1600, 2400, 3200):
        for num_frames in np.unique(
            np.geomspace(64 * num_pixels, layout.num_samples, 200).astype(int)
        ):
            start = (layout.num_samples - num_frames) // 3
            level = choose_level(layout.factors, num_frames, num_pixels)
            first, stop = layout.bin_range(level, start, start + num_frames)
            assert num_pixels <= stop - first <= 4 * num_pixels + 1
    assert (4 * 1600 + 1) * layout.bin_bytes < 10 * 2**20  # under 10 MB at 1600 pixels


def test_the_pyramid_imports_and_builds_with_qt_blocked(tmp_path):
    result = run_with_qt_blocked(f"""
        import core as si
        from app.model.display_pyramid import DisplayPyramid, LayoutParameters
        recording = si.generate_recording(num_channels=2, durations=[0.1], seed=0)
        pyramid = DisplayPyramid(recording, {str(tmp_path)!r}, LayoutParameters(4, 2, 2))
        pyramid.build()
        print(pyramid.is_complete())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_a_private_pyramid_serves_in_memory_data_and_only_its_maker(tmp_path):
    traces = np.random.default_rng(5).integers(-50, 50, (3000, 2)).astype("int16")
    recording = si.NumpyRecording([traces], sampling_frequency=1000.0)
    pyramid = DisplayPyramid(recording, tmp_path, SMALL, private=True)
    assert pyramid.cacheable
    pyramid.build()
    np.testing.assert_array_equal(pyramid.read(1, 0, 0, 3000)[1], expected_bins(traces, 12)[1])
    assert not DisplayPyramid(recording, tmp_path, SMALL, private=True).is_complete()
    pyramid.close()
