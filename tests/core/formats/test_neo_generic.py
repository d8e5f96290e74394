"""The generic neo reader: format detection, any rawio, units, events, memory-mapped fast path."""

import pickle

import numpy as np
import pytest

from core import load_extractor
from core.formats import (
    NeoEvent,
    NeoRecording,
    get_neo_streams,
    read_neo,
    read_neo_all,
    read_spikeglx,
)
from core.formats.neo_rawio import detect_rawio_class
from core.formats.neo_recording import NeoBinaryRecordingSegment, NeoRecordingSegment

from .raw_writers import (
    np1_stream,
    write_brainvision,
    write_intan_rhd,
    write_openephys_binary,
    write_spikeglx_run,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("neo")
    return {
        "spikeglx": write_spikeglx_run(root / "sglx", num_samples=1200),
        "openephys": write_openephys_binary(
            root / "oe", [np1_stream("Neuropix-PXI-100.ProbeA-AP", 30000.0, 300, 0, seed=4)]
        ),
        "intan": write_intan_rhd(root / "rec.rhd", num_blocks=2),
        "brainvision": write_brainvision(root / "bv"),
    }


@pytest.fixture(scope="module")
def brainvision(files):
    return read_neo(files["brainvision"].vhdr, rawio_class="BrainVisionRawIO")


def test_formats_are_detected(files):
    sglx = files["spikeglx"]
    assert detect_rawio_class(files["openephys"]) == "OpenEphysBinaryRawIO"
    assert detect_rawio_class(sglx.folder) == "SpikeGLXRawIO"
    assert detect_rawio_class(sglx.ap_meta) == "SpikeGLXRawIO"
    assert detect_rawio_class(files["intan"].path) == "IntanRawIO"


def test_unknown_format_names_the_path_and_what_was_expected(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")

    with pytest.raises(ValueError, match="notes.txt.*expected.*structure.oebin"):
        NeoRecording(path)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here"):
        read_neo(tmp_path / "nothing_here")


def test_detected_format_reads_like_the_dedicated_reader(files):
    folder = files["spikeglx"].folder

    rec = NeoRecording(folder, stream_id="imec0.ap")

    expected = read_spikeglx(folder, stream_id="imec0.ap").get_traces()
    np.testing.assert_array_equal(rec.get_traces(), expected)
    assert rec.to_dict()["kwargs"]["rawio_class"] == "SpikeGLXRawIO"


def test_meta_file_opens_its_folder(files):
    rec = read_neo(files["spikeglx"].ap_meta, stream_id="imec0.ap")

    np.testing.assert_array_equal(rec.get_traces(), files["spikeglx"].ap[:, :384])


def test_int_stream_id_is_accepted(files):
    rec = read_neo(files["intan"].path, stream_id=0)

    assert rec.stream_id == "0"


def test_stream_id_and_name_must_agree(files):
    with pytest.raises(ValueError, match="stream_id '0'"):
        read_neo(files["intan"].path, stream_id="0", stream_name="RHD2000 auxiliary input channel")


def test_any_rawio_by_name(brainvision, files):
    bv = files["brainvision"]

    np.testing.assert_array_equal(brainvision.get_traces(), bv.data)
    assert brainvision.sampling_frequency == bv.sampling_rate
    assert list(brainvision.channel_ids) == ["1", "2", "3"]
    assert list(brainvision.get_property("channel_names")) == ["E1", "E2", "E3"]
    assert isinstance(brainvision._recording_segments[0], NeoRecordingSegment)


def test_millivolts_become_microvolts(brainvision, files):
    np.testing.assert_allclose(
        brainvision.get_channel_gains(), files["brainvision"].resolution * 1e3
    )
    assert list(brainvision.get_property("physical_unit")) == ["uV"] * 3


def test_non_voltage_streams_keep_gains_and_unit(files):
    digital = read_neo(files["intan"].path, stream_id="4")

    np.testing.assert_array_equal(digital.get_channel_gains(), 1.0)
    assert list(digital.get_property("physical_unit")) == ["a.u.", "a.u."]


def test_empty_window_through_neo(brainvision):
    traces = brainvision.get_traces(start_frame=5, end_frame=5, channel_ids=["1", "3"])

    assert traces.shape == (0, 2)


def test_unknown_rawio_class_lists_the_names(files):
    with pytest.raises(ValueError, match="SpikeGLXRawIO"):
        read_neo(files["intan"].path, rawio_class="NoSuchRawIO")


def test_rawio_class_must_be_a_name(files):
    with pytest.raises(TypeError, match="rawio_class"):
        read_neo(files["intan"].path, rawio_class=object)


def test_file_reader_refuses_a_folder(files):
    with pytest.raises(ValueError, match="not a folder"):
        read_neo(files["spikeglx"].folder, rawio_class="IntanRawIO")


def test_block_index_out_of_range(files):
    with pytest.raises(ValueError, match="block_index 2"):
        read_neo(files["intan"].path, stream_id="0", block_index=2)


def test_get_neo_streams(files):
    names, ids = get_neo_streams(files["brainvision"].vhdr, rawio_class="BrainVisionRawIO")

    assert (names, ids) == (["Signals"], ["0"])


def test_all_annotations_become_annotations_and_properties(files):
    rec = read_neo(files["intan"].path, stream_id="0", all_annotations=True)

    assert rec.get_annotation("intan_version") == "3.0"
    np.testing.assert_array_equal(rec.get_property("native_order"), [0, 1, 3])


def test_dictionary_and_pickle_round_trips(brainvision, tmp_path):
    brainvision.dump_to_json(tmp_path / "rec.json")

    for again in (load_extractor(tmp_path / "rec.json"), pickle.loads(pickle.dumps(brainvision))):
        assert isinstance(again, NeoRecording)
        np.testing.assert_array_equal(again.get_traces(), brainvision.get_traces())
        np.testing.assert_array_equal(again.get_channel_gains(), brainvision.get_channel_gains())


@pytest.mark.parametrize(
    ("source", "stream_id"), [("spikeglx", "imec0.ap"), ("spikeglx", "nidq"), ("openephys", "0")]
)
def test_memory_mapped_reads_equal_neo_chunks(files, source, stream_id):
    path = files[source].folder if source == "spikeglx" else files[source]
    rec = read_neo(path, stream_id=stream_id)
    rawio, index = (
        rec.neo_reader,
        list(rec.neo_reader.header["signal_streams"]["id"]).index(stream_id),
    )
    n = rec.get_num_channels()
    selections = [None, slice(1, n - 1), np.array([n - 1, 0, 2]), np.arange(n)[::-1].copy()]

    assert isinstance(rec._recording_segments[0], NeoBinaryRecordingSegment)
    for start, end in ((0, 10), (33, 290), (0, rec.get_num_samples())):
        for selection in selections:
            ids = None if selection is None else list(rec.channel_ids[selection])
            expected = rawio.get_analogsignal_chunk(0, 0, start, end, index, selection)
            got = rec.get_traces(start_frame=start, end_frame=end, channel_ids=ids)
            np.testing.assert_array_equal(got, expected)


def test_events_of_any_rawio(files):
    bv = files["brainvision"]

    events = NeoEvent(bv.vhdr, rawio_class="BrainVisionRawIO")

    assert list(events.channel_ids) == ["Response", "Stimulus"]
    stimuli = events.get_events("Stimulus")
    np.testing.assert_allclose(stimuli["time"], [10 / 2000.0, 300 / 2000.0])
    assert list(stimuli["label"]) == ["S  1", "S  3"]
    assert np.isnan(stimuli["duration"]).all()


def test_events_pickle_round_trip(files):
    events = NeoEvent(files["brainvision"].vhdr, rawio_class="BrainVisionRawIO")

    again = pickle.loads(pickle.dumps(events))

    for field in ("time", "duration", "label"):  # NaN durations: compare field by field
        np.testing.assert_array_equal(
            again.get_events("Response")[field], events.get_events("Response")[field]
        )


def test_format_without_events_has_no_event_channels(files):
    assert NeoEvent(files["intan"].path).get_num_channels() == 0


def test_read_neo_all_opens_the_first_stream_and_the_events(files):
    found = read_neo_all(files["spikeglx"].folder)

    assert found["recording"].stream_id == "imec0.ap"
    assert found["recording"].has_probe()
    assert list(found["events"].channel_ids) == ["XD0", "XD1", "XD2"]


def test_read_neo_all_without_events(files):
    found = read_neo_all(files["intan"].path)

    assert list(found) == ["recording"]
    assert found["recording"].stream_name == "RHD2000 amplifier channel"


def test_read_neo_all_of_open_ephys(files):
    found = read_neo_all(files["openephys"])

    assert found["recording"].get_num_channels() == 384
    assert list(found) == ["recording"]
