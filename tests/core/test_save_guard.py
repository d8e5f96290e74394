"""A save never replaces a file that what it saves reads from (issue 16 §1).

Each test opens real files in ``tmp_path``, asks for a save whose target holds (is, or lies
inside) a source file with ``overwrite=True``, and checks that it is refused with an error naming
the source, before anything is written: the source is still there, byte for byte.
"""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

import core as si
from core.recording.writing import write_binary_recording
from core.snippets.npy import NpySnippetsExtractor
from core.sorting.npz import NpzSortingExtractor
from core.source_files import check_save_target, source_paths

from .formats.raw_writers import write_intan_rhd

FS = 30000.0


def digest(path: Path) -> dict[str, str]:
    """SHA-256 of every file under ``path`` (or of the file itself), by relative name."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def raw_recording(folder: Path) -> si.BaseRecording:
    folder.mkdir(parents=True, exist_ok=True)
    traces = np.arange(3000 * 4, dtype="int16").reshape(3000, 4)
    traces.tofile(folder / "session.raw")
    return si.read_binary(folder / "session.raw", FS, "int16", num_channels=4)


def npz_sorting(folder: Path) -> si.BaseSorting:
    folder.mkdir(parents=True, exist_ok=True)
    sorting = si.NumpySorting.from_unit_dict(
        {0: np.array([100, 900, 2000]), 1: np.array([50, 1500])}, FS
    )
    NpzSortingExtractor.write_sorting(sorting, folder / "spikes.npz")
    return si.read_npz_sorting(folder / "spikes.npz")


def refused(call, source: Path) -> None:
    """``call()`` must raise a ValueError naming ``source``."""
    with pytest.raises(ValueError, match="reads from") as info:
        call()
    assert str(source) in str(info.value)


def no_partials(folder: Path) -> bool:
    return not any(".partial-" in p.name for p in folder.parent.iterdir())


# --------------------------------------------------------------------------- recordings
def test_recording_save_onto_folder_of_its_raw_file_is_refused(tmp_path):
    recording = raw_recording(tmp_path / "session")
    before = digest(tmp_path / "session")
    refused(
        lambda: recording.save(folder=tmp_path / "session", overwrite=True, verbose=False),
        tmp_path / "session" / "session.raw",
    )
    assert digest(tmp_path / "session") == before
    assert no_partials(tmp_path / "session")


def test_binary_folder_saved_onto_itself_is_refused(tmp_path):
    saved = raw_recording(tmp_path / "raw").save(folder=tmp_path / "saved", verbose=False)
    before = digest(tmp_path / "saved")
    refused(
        lambda: saved.save(folder=tmp_path / "saved", overwrite=True, verbose=False),
        tmp_path / "saved",
    )
    assert digest(tmp_path / "saved") == before


def test_view_of_a_binary_folder_saved_onto_that_folder_is_refused(tmp_path):
    saved = raw_recording(tmp_path / "raw").save(folder=tmp_path / "saved", verbose=False)
    before = digest(tmp_path / "saved")
    view = saved.channel_slice([0, 2]).frame_slice(10, 2000)
    refused(
        lambda: view.save(folder=tmp_path / "saved", overwrite=True, verbose=False),
        tmp_path / "saved",
    )
    assert digest(tmp_path / "saved") == before


def test_zarr_store_saved_onto_itself_is_refused(tmp_path):
    store = raw_recording(tmp_path / "raw").save(
        format="zarr", folder=tmp_path / "rec.zarr", verbose=False
    )
    before = digest(tmp_path / "rec.zarr")
    refused(
        lambda: store.save(
            format="zarr", folder=tmp_path / "rec.zarr", overwrite=True, verbose=False
        ),
        tmp_path / "rec.zarr",
    )
    assert digest(tmp_path / "rec.zarr") == before


def test_binary_save_onto_the_zarr_store_it_reads_is_refused(tmp_path):
    store = raw_recording(tmp_path / "raw").save(
        format="zarr", folder=tmp_path / "rec.zarr", verbose=False
    )
    before = digest(tmp_path / "rec.zarr")
    refused(
        lambda: store.save(folder=tmp_path / "rec.zarr", overwrite=True, verbose=False),
        tmp_path / "rec.zarr",
    )
    assert digest(tmp_path / "rec.zarr") == before


def test_zarr_write_recording_into_the_folder_of_its_raw_file_is_refused(tmp_path):
    recording = raw_recording(tmp_path / "session")
    before = digest(tmp_path / "session")
    refused(
        lambda: si.ZarrRecordingExtractor.write_recording(recording, tmp_path / "session"),
        tmp_path / "session" / "session.raw",
    )
    assert digest(tmp_path / "session") == before


def test_save_inside_a_source_folder_over_existing_content_is_refused(tmp_path):
    store = raw_recording(tmp_path / "raw").save(
        format="zarr", folder=tmp_path / "rec.zarr", verbose=False
    )
    before = digest(tmp_path / "rec.zarr")
    with pytest.raises(ValueError, match="lies inside"):
        store.save(folder=tmp_path / "rec.zarr" / "traces_seg0", overwrite=True, verbose=False)
    assert digest(tmp_path / "rec.zarr") == before


def test_target_symlinked_to_the_source_folder_is_refused(tmp_path):
    recording = raw_recording(tmp_path / "session")
    before = digest(tmp_path / "session")
    (tmp_path / "link").symlink_to(tmp_path / "session", target_is_directory=True)
    refused(
        lambda: recording.save(folder=tmp_path / "link", overwrite=True, verbose=False),
        tmp_path / "session" / "session.raw",
    )
    assert digest(tmp_path / "session") == before


def test_write_binary_recording_onto_its_own_file_is_refused(tmp_path):
    recording = raw_recording(tmp_path / "session")
    before = digest(tmp_path / "session")
    refused(
        lambda: write_binary_recording(recording, tmp_path / "session" / "session.raw"),
        tmp_path / "session" / "session.raw",
    )
    assert digest(tmp_path / "session") == before


def test_write_binary_recording_onto_a_hard_link_of_its_file_is_refused(tmp_path):
    recording = raw_recording(tmp_path / "session")
    os.link(tmp_path / "session" / "session.raw", tmp_path / "other.raw")
    before = digest(tmp_path / "session")
    with pytest.raises(ValueError, match="reads from"):
        write_binary_recording(recording, tmp_path / "other.raw")
    assert digest(tmp_path / "session") == before


def test_neo_file_folder_is_protected(tmp_path):
    (tmp_path / "intan").mkdir()
    rhd = write_intan_rhd(tmp_path / "intan" / "session.rhd", num_blocks=2)
    recording = si.read_intan(rhd.path, stream_id="0")
    before = digest(tmp_path / "intan")
    refused(
        lambda: recording.save(folder=tmp_path / "intan", overwrite=True, verbose=False),
        tmp_path / "intan" / "session.rhd",
    )
    assert digest(tmp_path / "intan") == before


def test_save_next_to_the_source_with_overwrite_still_replaces(tmp_path):
    recording = raw_recording(tmp_path / "session")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old")
    saved = recording.save(folder=tmp_path / "out", overwrite=True, verbose=False)
    assert not (tmp_path / "out" / "old.txt").exists()
    np.testing.assert_array_equal(saved.get_traces(), recording.get_traces())


# --------------------------------------------------------------------------- sortings
def test_sorting_save_onto_folder_of_its_npz_file_is_refused(tmp_path):
    sorting = npz_sorting(tmp_path / "sorted")
    before = digest(tmp_path / "sorted")
    refused(
        lambda: sorting.save(folder=tmp_path / "sorted", overwrite=True, verbose=False),
        tmp_path / "sorted" / "spikes.npz",
    )
    assert digest(tmp_path / "sorted") == before


def test_sorting_zarr_save_onto_folder_of_its_npz_file_is_refused(tmp_path):
    sorting = npz_sorting(tmp_path / "sorted.zarr")
    before = digest(tmp_path / "sorted.zarr")
    refused(
        lambda: sorting.save(
            format="zarr", folder=tmp_path / "sorted.zarr", overwrite=True, verbose=False
        ),
        tmp_path / "sorted.zarr" / "spikes.npz",
    )
    assert digest(tmp_path / "sorted.zarr") == before


def test_zarr_write_sorting_into_the_folder_of_its_npz_file_is_refused(tmp_path):
    sorting = npz_sorting(tmp_path / "sorted")
    before = digest(tmp_path / "sorted")
    refused(
        lambda: si.ZarrSortingExtractor.write_sorting(sorting, tmp_path / "sorted"),
        tmp_path / "sorted" / "spikes.npz",
    )
    assert digest(tmp_path / "sorted") == before


def test_npz_written_over_the_archive_its_units_come_from_is_refused(tmp_path):
    sorting = npz_sorting(tmp_path / "sorted")
    before = digest(tmp_path / "sorted")
    with pytest.raises(ValueError, match="spikes.npz"):
        NpzSortingExtractor.write_sorting(sorting.select_units([0]), tmp_path / "sorted" / "spikes")
    assert digest(tmp_path / "sorted") == before


# --------------------------------------------------------------------------- snippets, events
def test_snippets_folder_saved_onto_itself_is_refused(tmp_path):
    arrays = [np.arange(6 * 10 * 3, dtype="float32").reshape(6, 10, 3)]
    frames = [np.array([10, 20, 30, 40, 50, 60])]
    saved = si.NumpySnippets(arrays, frames, FS, nbefore=4).save(
        folder=tmp_path / "snippets", verbose=False
    )
    before = digest(tmp_path / "snippets")
    refused(
        lambda: saved.save(folder=tmp_path / "snippets", overwrite=True, verbose=False),
        tmp_path / "snippets",
    )
    with pytest.raises(ValueError, match="reads from"):
        NpySnippetsExtractor.write_snippets(
            saved, [tmp_path / "snippets" / "traces_cached_seg0.npy"]
        )
    assert digest(tmp_path / "snippets") == before


def test_events_folder_saved_onto_itself_is_refused(tmp_path):
    events = si.NumpyEvent.from_dict([{"ttl": np.array([0.5, 1.5, 2.5])}])
    saved = events.save(folder=tmp_path / "events", verbose=False)
    before = digest(tmp_path / "events")
    refused(
        lambda: saved.save(folder=tmp_path / "events", overwrite=True, verbose=False),
        tmp_path / "events",
    )
    assert digest(tmp_path / "events") == before


# --------------------------------------------------------------------------- waveforms
def recording_with_probe(folder: Path) -> si.BaseRecording:
    recording = raw_recording(folder)
    recording.set_dummy_probe_from_locations(np.c_[np.zeros(4), np.arange(4) * 20.0])
    recording.annotate(is_filtered=True)
    recording.set_channel_gains(1.0)
    recording.set_channel_offsets(0.0)
    return recording


def test_extract_waveforms_onto_folder_of_the_recording_file_is_refused(tmp_path):
    recording = recording_with_probe(tmp_path / "session")
    sorting = npz_sorting(tmp_path / "sorted")
    before = digest(tmp_path / "session")
    refused(
        lambda: si.extract_waveforms(
            recording, sorting, folder=tmp_path / "session", overwrite=True, sparse=False
        ),
        tmp_path / "session" / "session.raw",
    )
    assert digest(tmp_path / "session") == before


def test_extract_waveforms_onto_folder_of_the_sorting_file_is_refused(tmp_path):
    recording = recording_with_probe(tmp_path / "session")
    sorting = npz_sorting(tmp_path / "sorted")
    before = digest(tmp_path / "sorted")
    refused(
        lambda: si.extract_waveforms(
            recording, sorting, folder=tmp_path / "sorted", overwrite=True, sparse=False
        ),
        tmp_path / "sorted" / "spikes.npz",
    )
    assert digest(tmp_path / "sorted") == before


def test_waveform_extractor_created_over_the_folder_of_its_recording_is_refused(tmp_path):
    recording = recording_with_probe(tmp_path / "session")
    sorting = npz_sorting(tmp_path / "sorted")
    before = digest(tmp_path / "session")
    refused(
        lambda: si.WaveformExtractor.create(
            recording, sorting, tmp_path / "session", remove_if_exists=True
        ),
        tmp_path / "session" / "session.raw",
    )
    assert digest(tmp_path / "session") == before


@pytest.mark.parametrize("fmt", ["binary", "zarr"])
def test_waveform_extractor_saved_onto_its_own_folder_is_refused(tmp_path, fmt):
    recording = recording_with_probe(tmp_path / "session")
    sorting = npz_sorting(tmp_path / "sorted")
    we = si.extract_waveforms(recording, sorting, folder=tmp_path / "wf", sparse=False)
    if fmt == "zarr":
        we = we.save(folder=tmp_path / "wf.zarr", format="zarr")
    before = digest(we.folder)
    refused(lambda: we.save(folder=we.folder, format=fmt, overwrite=True), we.folder)
    assert digest(we.folder) == before


def test_extract_waveforms_with_a_sorting_read_from_the_target_is_refused(tmp_path):
    recording = recording_with_probe(tmp_path / "session")
    in_memory = si.NumpySorting.from_unit_dict({0: np.array([100, 900, 2000])}, FS)
    we = si.extract_waveforms(recording, in_memory, folder=tmp_path / "wf", sparse=False)
    reloaded = si.load_waveforms(tmp_path / "wf")
    before = digest(tmp_path / "wf")
    with pytest.raises(ValueError, match="the sorting reads from"):
        si.extract_waveforms(
            recording, reloaded.sorting, folder=we.folder, overwrite=True, sparse=False
        )
    assert digest(tmp_path / "wf") == before


# --------------------------------------------------------------------------- the guard itself
def test_source_paths_walk_the_chain_of_views(tmp_path):
    recording = raw_recording(tmp_path / "session")
    view = si.aggregate_channels([recording.channel_slice([0, 1]), recording.channel_slice([2])])
    assert source_paths(view) == [(tmp_path / "session" / "session.raw").resolve()]


def test_a_missing_target_is_never_refused(tmp_path):
    recording = raw_recording(tmp_path / "session")
    check_save_target(tmp_path / "session" / "new", {"recording": recording})
