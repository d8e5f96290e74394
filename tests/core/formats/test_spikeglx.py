"""SpikeGLX run folders: streams, traces, gains, times, probes, NIDQ digital lines, laziness."""

import pickle
import shutil
import tracemalloc

import numpy as np
import probeinterface
import pytest

from core import load_extractor
from core.formats import (
    SpikeGLXRecordingExtractor,
    get_neo_streams,
    read_spikeglx,
    read_spikeglx_event,
)

from .raw_writers import (
    np1_expected_positions,
    np1_imro_table,
    write_sparse_spikeglx,
    write_spikeglx_run,
)

ALL_STREAMS = ["imec0.ap", "nidq", "imec0.lf", "imec0.ap-SYNC", "imec0.lf-SYNC"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return write_spikeglx_run(tmp_path_factory.mktemp("spikeglx"))


@pytest.fixture(scope="module")
def ap(run):
    return read_spikeglx(run.folder, stream_id="imec0.ap")


def copy_run(run, tmp_path):
    return shutil.copytree(run.folder, tmp_path / run.folder.name)


def test_streams_are_listed(run):
    names, ids = get_neo_streams(run.folder)

    assert ids == ALL_STREAMS
    assert names == ALL_STREAMS


def test_several_streams_need_stream_id(run):
    with pytest.raises(ValueError, match="stream_id") as info:
        read_spikeglx(run.folder)

    assert all(repr(stream_id) in str(info.value) for stream_id in ALL_STREAMS)


def test_unknown_stream_id_lists_the_streams(run):
    with pytest.raises(ValueError, match="'imec0.lf'"):
        read_spikeglx(run.folder, stream_id="imec1.ap")


def test_ap_traces_are_the_int16_values_written(ap, run):
    np.testing.assert_array_equal(ap.get_traces(), run.ap[:, :384])
    assert ap.get_dtype() == np.int16


def test_ap_window_and_channel_selection(ap, run):
    ids = ap.channel_ids[[300, 5, 6, 100]]

    traces = ap.get_traces(start_frame=1000, end_frame=1200, channel_ids=ids)

    np.testing.assert_array_equal(traces, run.ap[1000:1200, [300, 5, 6, 100]])


def test_ap_sampling_rate_is_the_full_float(ap, run):
    assert ap.sampling_frequency == run.ap_rate == 30000.113247


def test_ap_starts_at_first_sample(ap, run):
    assert ap.get_times()[0] == run.first_sample / run.ap_rate
    assert ap.get_num_samples() == run.ap.shape[0]


def test_ap_channel_ids_as_spikeinterface_names_them(ap):
    assert ap.channel_ids[0] == "imec0.ap#AP0"
    assert ap.channel_ids[-1] == "imec0.ap#AP383"
    assert ap.get_property("channel_names")[1] == "AP1"


def test_ap_gains_in_microvolts_from_the_imro_table(ap, run):
    np.testing.assert_allclose(ap.get_channel_gains(), run.ap_gains, rtol=1e-12)
    assert ap.get_channel_gains()[10] == pytest.approx(0.6 / 512 / 1000 * 1e6)
    np.testing.assert_array_equal(ap.get_channel_offsets(), 0.0)


def test_ap_scaled_traces(ap, run):
    scaled = ap.get_traces(end_frame=10, return_scaled=True)

    np.testing.assert_allclose(scaled, run.ap[:10, :384] * run.ap_gains, rtol=1e-6)


def test_ap_probe_is_np1_staggered(ap, run):
    electrodes = run.banks * 384 + np.arange(384)

    np.testing.assert_array_equal(
        ap.get_probe().contact_positions, np1_expected_positions(electrodes)
    )
    np.testing.assert_array_equal(ap.get_channel_locations()[0], [16.0, 20 * (384 // 2)])


def test_lf_stream(run):
    lf = read_spikeglx(run.folder, stream_id="imec0.lf")

    np.testing.assert_array_equal(lf.get_traces(), run.lf[:, :384])
    assert lf.sampling_frequency == run.lf_rate
    assert lf.get_times()[0] == (run.first_sample // 12) / run.lf_rate
    np.testing.assert_allclose(lf.get_channel_gains(), run.lf_gains, rtol=1e-12)
    assert lf.channel_ids[0] == "imec0.lf#LF0"


def test_lf_takes_its_probe_from_the_ap_meta(run, tmp_path):
    folder = copy_run(run, tmp_path)
    lf_meta = next(folder.rglob("*.lf.meta"))
    other_banks = np.zeros(384, dtype=int)  # the AP meta has bank 1 on channels 0-9
    imro = np1_imro_table(np.full(384, 500), np.full(384, 250), other_banks)
    lines = [
        f"~imroTbl={imro}" if line.startswith("~imroTbl=") else line
        for line in lf_meta.read_text().splitlines()
    ]
    lf_meta.write_text("\n".join(lines) + "\n")

    lf = read_spikeglx(folder, stream_id="imec0.lf")

    expected = np1_expected_positions(run.banks * 384 + np.arange(384))
    np.testing.assert_array_equal(lf.get_probe().contact_positions, expected)


def test_nidq_stream_keeps_the_digital_word(run):
    nidq = read_spikeglx(run.folder, stream_id="nidq")

    np.testing.assert_array_equal(nidq.get_traces(), run.nidq)
    assert list(nidq.channel_ids) == ["nidq#MN0", "nidq#MA0", "nidq#XA0", "nidq#XD0"]
    assert nidq.sampling_frequency == run.ni_rate
    np.testing.assert_allclose(nidq.get_channel_gains(), run.ni_gains, rtol=1e-12)
    assert not nidq.has_probe()


def test_sync_stream(run):
    sync = read_spikeglx(run.folder, stream_id="imec0.ap-SYNC")

    assert list(sync.channel_ids) == ["imec0.ap#SY0"]
    np.testing.assert_array_equal(sync.get_traces()[:, 0], run.ap[:, 384])
    assert not sync.has_probe()


def test_load_sync_channel_appends_the_sync_word(run):
    rec = read_spikeglx(run.folder, stream_id="imec0.ap", load_sync_channel=True)

    assert rec.get_num_channels() == 385
    assert rec.channel_ids[-1] == "imec0.ap#SY0"
    np.testing.assert_array_equal(rec.get_traces(start_frame=5, end_frame=50), run.ap[5:50])
    assert not rec.has_probe()


def test_load_sync_channel_needs_an_imec_stream(run):
    with pytest.raises(ValueError, match="load_sync_channel"):
        read_spikeglx(run.folder, stream_id="nidq", load_sync_channel=True)


def test_digital_lines_are_events_with_on_and_off_edges(run):
    events = read_spikeglx_event(run.folder)

    assert list(events.channel_ids) == ["XD0", "XD1", "XD2"]
    for line, (rising, falling) in run.digital_edges.items():
        got = events.get_events(line)
        on, off = got[got["label"] == f"{line} ON"], got[got["label"] == f"{line} OFF"]
        np.testing.assert_allclose(on["time"], np.array(rising) / run.ni_rate, rtol=1e-12)
        np.testing.assert_allclose(off["time"], np.array(falling) / run.ni_rate, rtol=1e-12)
        assert np.all(np.diff(got["time"]) >= 0)


def test_digital_line_events_in_a_time_window(run):
    events = read_spikeglx_event(run.folder)

    times = events.get_event_times("XD0", start_time=0.005, end_time=0.05)

    np.testing.assert_allclose(times, [200 / run.ni_rate, 1000 / run.ni_rate])


def test_pickle_keeps_traces_gains_and_probe(ap):
    again = pickle.loads(pickle.dumps(ap))

    assert isinstance(again, SpikeGLXRecordingExtractor)
    np.testing.assert_array_equal(again.get_traces(end_frame=100), ap.get_traces(end_frame=100))
    np.testing.assert_array_equal(again.get_channel_gains(), ap.get_channel_gains())
    np.testing.assert_array_equal(again.get_channel_locations(), ap.get_channel_locations())


def test_dictionary_names_spikeinterface_class_and_own_kwargs(ap, run):
    description = ap.to_dict()

    assert description["class"] == (
        "spikeinterface.extractors.neoextractors.spikeglx.SpikeGLXRecordingExtractor"
    )
    assert description["kwargs"]["stream_id"] == "imec0.ap"
    assert description["kwargs"]["folder_path"] == str(run.folder.absolute())


def test_json_round_trip(ap, tmp_path):
    ap.dump_to_json(tmp_path / "rec.json")

    again = load_extractor(tmp_path / "rec.json")

    np.testing.assert_array_equal(again.get_traces(end_frame=20), ap.get_traces(end_frame=20))
    assert again.has_probe()


def test_clone(ap):
    clone = ap.clone()

    assert clone.sampling_frequency == ap.sampling_frequency
    np.testing.assert_array_equal(
        clone.get_traces(start_frame=7, end_frame=9), ap.get_traces(start_frame=7, end_frame=9)
    )


def test_opening_does_not_read_the_data(tmp_path):
    folder = write_sparse_spikeglx(tmp_path, 20 * 10**9)
    tracemalloc.start()
    rec = read_spikeglx(folder, stream_id="imec0.ap")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50e6
    assert rec.get_num_samples() == 20 * 10**9 // (385 * 2)
    window = rec.get_traces(start_frame=rec.get_num_samples() - 30000)
    assert window.shape == (30000, 384) and not window.any()


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_spikeglx(tmp_path / "nowhere", stream_id="imec0.ap")


def test_missing_bin_file_is_named(run, tmp_path):
    folder = copy_run(run, tmp_path)
    ap_bin = next(folder.rglob("*.ap.bin"))
    ap_bin.unlink()

    with pytest.raises(FileNotFoundError, match=ap_bin.name):
        read_spikeglx(folder, stream_id="imec0.ap")


def test_damaged_meta_file_is_named(run, tmp_path):
    folder = copy_run(run, tmp_path)
    meta = next(folder.rglob("*.ap.meta"))
    meta.write_text(
        "".join(
            line + "\n"
            for line in meta.read_text().splitlines()
            if not line.startswith("imSampRate")
        )
    )

    with pytest.raises(ValueError, match=meta.name):
        read_spikeglx(folder, stream_id="imec0.ap")


def test_folder_without_meta_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        read_spikeglx(tmp_path)


def test_probe_unknown_to_probeinterface_does_not_hide_the_data(run, monkeypatch):
    def unknown_probe(meta):
        raise KeyError("NP9999")

    monkeypatch.setattr(probeinterface, "read_spikeglx", unknown_probe)

    with pytest.warns(UserWarning, match="no probe attached"):
        rec = read_spikeglx(run.folder, stream_id="imec0.ap")

    assert not rec.has_probe()
    np.testing.assert_array_equal(rec.get_traces(end_frame=3), run.ap[:3, :384])
