"""Open Ephys binary folders: streams, traces, gains, start times, probes and TTL epochs."""

import pickle
import shutil

import numpy as np
import pytest

from core.formats import (
    OpenEphysBinaryRecordingExtractor,
    get_neo_streams,
    read_openephys,
    read_openephys_event,
)

from .raw_writers import (
    OpenEphysStream,
    OpenEphysTTL,
    np1_expected_positions,
    np1_settings_xml,
    np1_stream,
    write_openephys_binary,
)

AP = "Record Node 101#Neuropix-PXI-100.ProbeA-AP"
LFP = "Record Node 101#Neuropix-PXI-100.ProbeA-LFP"
ELECTRODES = [384 + c for c in range(10)] + list(range(10, 384))
PULSES = [(1, 123556, 123656), (2, 123606, 123856), (1, 123956, 123976)]


@pytest.fixture(scope="module")
def np_streams():
    return [
        np1_stream("Neuropix-PXI-100.ProbeA-AP", 30000.0, 600, 123456, seed=0),
        np1_stream("Neuropix-PXI-100.ProbeA-LFP", 2500.0, 50, 10288, seed=1),
    ]


@pytest.fixture(scope="module")
def np_folder(tmp_path_factory, np_streams):
    ttl = OpenEphysTTL("Neuropix-PXI-100.ProbeA-AP", "TTL Input", 30000.0, PULSES)
    return write_openephys_binary(
        tmp_path_factory.mktemp("oe"), np_streams, [ttl], np1_settings_xml(electrodes=ELECTRODES)
    )


@pytest.fixture(scope="module")
def adc_stream():
    data = np.random.default_rng(3).integers(-3000, 3000, size=(200, 6), dtype=np.int16)
    names = ["CH1", "CH2", "CH3", "CH4", "ADC1", "ADC2"]
    bit_volts = [0.195] * 4 + [0.00015258789] * 2
    units = ["uV"] * 4 + ["V"] * 2
    return OpenEphysStream(
        "Acquisition_Board-100.Rhythm Data", 30000.0, names, bit_volts, units, data, 5000
    )


@pytest.fixture(scope="module")
def adc_folder(tmp_path_factory, adc_stream):
    return write_openephys_binary(tmp_path_factory.mktemp("oe_adc"), [adc_stream], recordings=2)


def test_streams_are_named_after_the_record_node(np_folder):
    names, ids = get_neo_streams(np_folder)

    assert names == [AP, LFP]
    assert ids == ["0", "1"]


def test_several_streams_need_stream_id(np_folder):
    with pytest.raises(ValueError, match="stream_id") as info:
        read_openephys(np_folder)

    assert AP in str(info.value) and LFP in str(info.value) and "'1'" in str(info.value)


def test_traces_gains_and_rate(np_folder, np_streams):
    rec = read_openephys(np_folder, stream_id="0")

    np.testing.assert_array_equal(rec.get_traces(), np_streams[0].data)
    assert rec.sampling_frequency == 30000.0
    np.testing.assert_array_equal(rec.get_channel_gains(), 0.195)
    np.testing.assert_array_equal(rec.get_channel_offsets(), 0.0)
    assert rec.channel_ids[0] == "CH1" and rec.channel_ids[-1] == "CH384"


def test_stream_name_selects_a_stream(np_folder, np_streams):
    rec = read_openephys(np_folder, stream_name=LFP)

    assert rec.stream_id == "1"
    np.testing.assert_array_equal(
        rec.get_traces(channel_ids=["CH5", "CH2"]), np_streams[1].data[:, [4, 1]]
    )


def test_recording_starts_at_the_first_sample_number(np_folder):
    ap = read_openephys(np_folder, stream_id="0")
    lfp = read_openephys(np_folder, stream_id="1")

    assert ap.get_times()[0] == 123456 / 30000.0
    assert lfp.get_times()[0] == 10288 / 2500.0


def test_probe_from_settings_xml(np_folder):
    rec = read_openephys(np_folder, stream_id="0")

    np.testing.assert_array_equal(
        rec.get_probe().contact_positions, np1_expected_positions(ELECTRODES)
    )


def test_no_settings_means_no_probe(adc_folder):
    assert not read_openephys(adc_folder, stream_id="0").has_probe()


def test_adc_channels_form_their_own_stream_in_microvolts(adc_folder, adc_stream):
    names, ids = get_neo_streams(adc_folder)
    adc = read_openephys(adc_folder, stream_name=names[1])

    assert names[1].endswith("Rhythm Data_ADC")
    assert list(adc.channel_ids) == ["ADC1", "ADC2"]
    np.testing.assert_allclose(adc.get_channel_gains(), 0.00015258789 * 1e6)
    np.testing.assert_array_equal(adc.get_traces(segment_index=1), adc_stream.data[:, 4:])


def test_neural_stream_excludes_adc_channels(adc_folder, adc_stream):
    rec = read_openephys(adc_folder, stream_id="0")

    assert list(rec.channel_ids) == ["CH1", "CH2", "CH3", "CH4"]
    np.testing.assert_array_equal(rec.get_traces(segment_index=0), adc_stream.data[:, :4])


def test_recordings_are_segments(adc_folder):
    rec = read_openephys(adc_folder, stream_id="0")

    assert rec.get_num_segments() == 2
    assert rec.get_times(segment_index=0)[0] == 5000 / 30000.0
    assert rec.get_times(segment_index=1)[0] == 5200 / 30000.0


def test_block_index_out_of_range(adc_folder):
    with pytest.raises(ValueError, match="block_index"):
        read_openephys(adc_folder, stream_id="0", block_index=3)


def test_ttl_pulses_are_epochs(np_folder):
    events = read_openephys_event(np_folder)

    assert list(events.channel_ids) == ["TTL Input"]
    epochs = events.get_events("TTL Input")
    rising = np.array([on for _, on, _ in PULSES])
    np.testing.assert_allclose(epochs["time"], rising / 30000.0, rtol=1e-12)
    np.testing.assert_allclose(epochs["duration"], [100 / 30000.0, 250 / 30000.0, 20 / 30000.0])
    assert list(epochs["label"]) == ["1", "2", "1"]


def test_ttl_epochs_in_a_time_window(np_folder):
    events = read_openephys_event(np_folder)

    times = events.get_event_times("TTL Input", start_time=123600 / 30000.0)

    np.testing.assert_allclose(times, [123606 / 30000.0, 123956 / 30000.0])


def test_pickle_round_trip(np_folder):
    rec = read_openephys(np_folder, stream_id="0")

    again = pickle.loads(pickle.dumps(rec))

    assert isinstance(again, OpenEphysBinaryRecordingExtractor)
    np.testing.assert_array_equal(again.get_traces(end_frame=50), rec.get_traces(end_frame=50))
    np.testing.assert_array_equal(again.get_channel_locations(), rec.get_channel_locations())
    assert again.to_dict()["kwargs"]["block_index"] == 0


def test_events_pickle_round_trip(np_folder):
    events = read_openephys_event(np_folder)

    again = pickle.loads(pickle.dumps(events))

    np.testing.assert_array_equal(again.get_events("TTL Input"), events.get_events("TTL Input"))


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent"):
        read_openephys(tmp_path / "absent")


def test_folder_without_structure_oebin(tmp_path):
    with pytest.raises(ValueError, match="structure.oebin"):
        read_openephys(tmp_path)


def test_damaged_structure_oebin_is_named(adc_folder, tmp_path):
    folder = shutil.copytree(adc_folder, tmp_path / "node")
    structure = next(folder.rglob("structure.oebin"))
    structure.write_text('{"continuous": [')

    with pytest.raises(ValueError, match="structure.oebin"):
        read_openephys(folder, stream_id="0")


def test_missing_continuous_dat_is_named(adc_folder, tmp_path):
    folder = shutil.copytree(adc_folder, tmp_path / "node")
    next(folder.rglob("continuous.dat")).unlink()

    with pytest.raises(FileNotFoundError, match="continuous.dat"):
        read_openephys(folder, stream_id="0")


def test_probe_with_other_channel_count_is_not_attached(tmp_path):
    stream = np1_stream("Neuropix-PXI-100.ProbeA-AP", 30000.0, 100, 0, seed=5)
    stream.data, stream.channel_names = stream.data[:, :100], stream.channel_names[:100]
    stream.bit_volts, stream.units = stream.bit_volts[:100], stream.units[:100]
    folder = write_openephys_binary(tmp_path, [stream], settings_xml=np1_settings_xml())

    with pytest.warns(UserWarning, match="no probe attached"):
        rec = read_openephys(folder)

    assert not rec.has_probe()
    assert rec.get_num_channels() == 100
