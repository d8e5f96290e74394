"""Events: NumpyEvent, time windows, epochs, and saved npy folders."""

import json
import pickle

import numpy as np
import pytest

from core import load_extractor
from core.event import BaseEvent, NpyFolderEvent, NumpyEvent, NumpyEventSegment
from core.jobs import CancelToken, JobCancelled

EPOCH_DTYPE = np.dtype([("time", "<f8"), ("duration", "<f8"), ("label", "<U100")])


def epochs(times, durations=None, labels=None):
    times = np.asarray(times, dtype=float)
    events = np.zeros(times.size, dtype=EPOCH_DTYPE)
    events["time"] = times
    events["duration"] = 0.5 if durations is None else durations
    events["label"] = [f"e{i}" for i in range(times.size)] if labels is None else labels
    return events


@pytest.fixture
def event():
    return NumpyEvent.from_dict({"stim": epochs([1.0, 2.0, 3.0]), "reward": epochs([2.5])})


def test_core_module_example_runs(event):
    channel_ids = event.channel_ids
    num_channels = event.get_num_channels()
    event_dtype = event.get_dtype(channel_ids[0])
    events = event.get_events(channel_id=channel_ids[0], segment_index=0)
    event_times = event.get_event_times(channel_id=channel_ids[0], segment_index=0)

    assert num_channels == 2
    assert event_dtype == EPOCH_DTYPE
    assert events.dtype == EPOCH_DTYPE
    np.testing.assert_array_equal(event_times, [1.0, 2.0, 3.0])


def test_constructor_and_add_event_segment():
    event = NumpyEvent(channel_ids=["a", "b"], structured_dtype=EPOCH_DTYPE)
    event.add_event_segment(NumpyEventSegment({"a": epochs([1.0]), "b": epochs([])}))

    assert event.get_num_segments() == 1
    assert event.get_events("b").size == 0


def test_multi_segment_requires_segment_index():
    event = NumpyEvent.from_dict([{"a": epochs([1.0])}, {"a": epochs([5.0, 6.0])}])

    with pytest.raises(ValueError, match="segment_index"):
        event.get_events("a")
    np.testing.assert_array_equal(event.get_event_times("a", segment_index=1), [5.0, 6.0])


def test_time_window_is_inclusive(event):
    times = event.get_event_times("stim", start_time=2.0, end_time=3.0)

    np.testing.assert_array_equal(times, [2.0, 3.0])


def test_time_window_with_one_bound(event):
    np.testing.assert_array_equal(event.get_event_times("stim", start_time=2.0), [2.0, 3.0])
    np.testing.assert_array_equal(event.get_event_times("stim", end_time=1.0), [1.0])


def test_include_overlapping_returns_epochs_reaching_into_the_window():
    event = NumpyEvent.from_dict({"a": epochs([0.0, 1.0, 4.0], durations=[2.5, 0.5, 1.0])})

    default = event.get_events("a", start_time=2.0, end_time=5.0)
    overlapping = event.get_events("a", start_time=2.0, end_time=5.0, include_overlapping=True)

    np.testing.assert_array_equal(default["time"], [4.0])
    np.testing.assert_array_equal(overlapping["time"], [0.0, 4.0])


def test_plain_dtype_values_are_the_times():
    event = NumpyEvent.from_dict({"ttl": np.array([0.5, 1.5, 2.5])})

    np.testing.assert_array_equal(event.get_events("ttl", start_time=1.0), [1.5, 2.5])
    np.testing.assert_array_equal(event.get_event_times("ttl"), [0.5, 1.5, 2.5])


def test_legacy_timestamp_field_gives_the_times():
    dtype = [("timestamp", "<f8"), ("code", "<i4")]
    event = NumpyEvent.from_dict({"ttl": np.array([(0.5, 1), (1.5, 2)], dtype=dtype)})

    np.testing.assert_array_equal(event.get_event_times("ttl", start_time=1.0), [1.5])


def test_missing_time_field_error_names_the_channel():
    with pytest.raises(ValueError, match="'bad'"):
        NumpyEvent(["ok", "bad"], {"ok": EPOCH_DTYPE, "bad": [("onset", "<f8")]})


def test_missing_channel_dtype_is_an_error():
    with pytest.raises(ValueError, match="'b'"):
        NumpyEvent(["a", "b"], {"a": EPOCH_DTYPE})


def test_per_channel_dtypes():
    event = NumpyEvent.from_dict({"ttl": np.array([1.0, 2.0]), "epoch": epochs([1.0])})

    assert event.get_dtype("ttl") == np.dtype("<f8")
    assert event.get_dtype("epoch") == EPOCH_DTYPE


def test_channel_id_may_be_omitted_with_one_channel_only(event):
    single = NumpyEvent.from_dict({"ttl": np.array([1.0])})

    np.testing.assert_array_equal(single.get_event_times(), [1.0])
    with pytest.raises(ValueError, match="channel_id"):
        event.get_events()


def test_unknown_channel_id_is_an_error(event):
    with pytest.raises(ValueError, match="'nope'"):
        event.get_events("nope")


def test_from_dict_sorts_by_time():
    event = NumpyEvent.from_dict({"a": epochs([3.0, 1.0, 2.0], labels=["c", "a", "b"])})

    np.testing.assert_array_equal(event.get_events("a")["label"], ["a", "b", "c"])


def test_from_dict_rejects_segments_that_do_not_fit_the_first():
    with pytest.raises(ValueError, match="segment 1"):
        NumpyEvent.from_dict([{"a": np.array([1.0])}, {"a": epochs([1.0])}])


def test_pickle_keeps_segments_and_metadata():
    event = NumpyEvent.from_dict([{"a": epochs([1.0])}, {"a": epochs([2.0, 3.0])}])
    event.annotate(session="s1")

    restored = pickle.loads(pickle.dumps(event))

    assert restored.get_annotation("session") == "s1"
    np.testing.assert_array_equal(restored.get_event_times("a", segment_index=1), [2.0, 3.0])


def test_serializability(event):
    assert event.check_if_memory_serializable()
    assert event.check_if_pickle_serializable()
    assert not event.check_if_json_serializable()


def test_save_to_memory_copies(event):
    event.set_property("color", np.array(["red", "blue"]))

    copy = event.save(format="memory")

    assert isinstance(copy, NumpyEvent)
    assert list(copy.get_property("color")) == ["red", "blue"]
    assert not np.shares_memory(copy.get_events("stim"), event.get_events("stim"))


def test_save_load_round_trip(tmp_path):
    original = NumpyEvent.from_dict(
        [
            {"stim": epochs([1.0, 2.0]), "ttl": np.array([0.1, 0.2])},
            {"stim": epochs([7.0]), "ttl": np.array([], dtype=float)},
        ]
    )
    original.annotate(experiment="opto")

    loaded = original.save(folder=tmp_path / "events")

    assert isinstance(loaded, NpyFolderEvent)
    assert loaded.get_num_segments() == 2
    assert loaded.get_annotation("experiment") == "opto"
    for channel_id in ("stim", "ttl"):
        assert loaded.get_dtype(channel_id) == original.get_dtype(channel_id)
        for segment_index in range(2):
            np.testing.assert_array_equal(
                loaded.get_events(channel_id, segment_index=segment_index),
                original.get_events(channel_id, segment_index=segment_index),
            )


def test_save_keeps_properties(tmp_path, event):
    event.set_property("quality", np.array([1.0, 0.5]))

    loaded = event.save(folder=tmp_path / "events")

    np.testing.assert_array_equal(loaded.get_property("quality"), [1.0, 0.5])


def test_saved_folder_layout(tmp_path, event):
    event.save(folder=tmp_path / "events")

    si_folder = json.loads((tmp_path / "events" / "si_folder.json").read_text())
    description = json.loads((tmp_path / "events" / "events.json").read_text())
    assert si_folder["class"] == "core.event.npy_folder.NpyFolderEvent"
    assert si_folder["kwargs"] == {"folder_path": "."}
    assert si_folder["relative_paths"] is True
    assert description["channel_ids"] == ["stim", "reward"]
    assert description["num_segments"] == 1
    assert (tmp_path / "events" / "events_seg0_ch1.npy").is_file()


def test_load_extractor_reads_a_saved_folder(tmp_path, event):
    event.save(folder=tmp_path / "events")

    loaded = load_extractor(tmp_path / "events")

    assert isinstance(loaded, BaseEvent)
    np.testing.assert_array_equal(loaded.get_event_times("stim"), [1.0, 2.0, 3.0])


def test_loaded_events_are_read_only_file_views(tmp_path, event):
    loaded = event.save(folder=tmp_path / "events")

    assert not loaded.get_events("stim").flags.writeable


def test_saved_folder_dumps_to_json_and_reloads(tmp_path, event):
    loaded = event.save(folder=tmp_path / "events")

    again = load_extractor(loaded.to_dict())

    assert again.get_events("reward", start_time=2.0)["label"][0] == "e0"


def test_string_objects_are_saved_without_pickle(tmp_path):
    dtype = np.dtype([("time", "<f8"), ("label", "O")])
    events = np.array([(1.0, "start"), (2.0, "a longer label")], dtype=dtype)
    event = NumpyEvent.from_dict({"a": events})

    loaded = event.save(folder=tmp_path / "events")

    for npy_file in (tmp_path / "events").rglob("*.npy"):
        assert not np.load(npy_file, allow_pickle=False).dtype.hasobject
    assert loaded.get_dtype("a")["label"] == np.dtype("<U14")
    assert list(loaded.get_events("a")["label"]) == ["start", "a longer label"]


def test_non_string_objects_are_refused(tmp_path):
    dtype = np.dtype([("time", "<f8"), ("meta", "O")])
    event = NumpyEvent.from_dict({"a": np.array([(1.0, {"x": 1})], dtype=dtype)})

    with pytest.raises(TypeError, match="'meta'"):
        event.save(folder=tmp_path / "events")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_no_folder(tmp_path, monkeypatch, event):
    real_save = np.save
    calls = []

    def failing_save(*args, **kwargs):
        if calls:
            raise OSError("disk full")
        calls.append(args[0])
        real_save(*args, **kwargs)

    monkeypatch.setattr(np, "save", failing_save)

    with pytest.raises(OSError, match="disk full"):
        event.save(folder=tmp_path / "events")
    assert calls
    assert list(tmp_path.iterdir()) == []


def test_cancelled_save_leaves_no_folder(tmp_path, event):
    token = CancelToken()
    token.cancel()

    with pytest.raises(JobCancelled):
        event.save(folder=tmp_path / "events", cancel_token=token)
    assert list(tmp_path.iterdir()) == []


def test_save_reports_progress(tmp_path, event):
    calls = []

    event.save(folder=tmp_path / "events", progress_callback=lambda *a: calls.append(a))

    assert calls == [(1, 2), (2, 2)]


def test_save_refuses_an_existing_folder(tmp_path, event):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "keep.txt").write_text("mine")

    with pytest.raises(FileExistsError):
        event.save(folder=tmp_path / "events")
    assert (tmp_path / "events" / "keep.txt").read_text() == "mine"


def test_save_overwrite_replaces_a_folder(tmp_path, event):
    event.save(folder=tmp_path / "events")
    smaller = NumpyEvent.from_dict({"ttl": np.array([9.0])})

    loaded = smaller.save(folder=tmp_path / "events", overwrite=True)

    np.testing.assert_array_equal(loaded.get_event_times(), [9.0])


def test_save_rejects_unknown_format(tmp_path, event):
    with pytest.raises(ValueError, match="format"):
        event.save(folder=tmp_path / "events", format="binary")
