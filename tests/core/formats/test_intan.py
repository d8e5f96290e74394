"""Intan .rhd files: streams, raw uint16 traces, gains and offsets, damaged files."""

import pickle

import numpy as np
import pytest

from core.formats import IntanRecordingExtractor, get_neo_streams, read_intan

from .raw_writers import RHD_BLOCK, write_intan_rhd

NUM_BLOCKS = 4
# one data block: timestamps, 3 amplifier channels, 1 aux channel (fs/4), 1 supply, digital word
BLOCK_BYTES = RHD_BLOCK * 4 + 3 * RHD_BLOCK * 2 + RHD_BLOCK // 4 * 2 + 2 + RHD_BLOCK * 2


@pytest.fixture(scope="module")
def rhd(tmp_path_factory):
    return write_intan_rhd(tmp_path_factory.mktemp("intan") / "session.rhd", NUM_BLOCKS)


@pytest.fixture(scope="module")
def amplifier(rhd):
    return read_intan(rhd.path, stream_id="0")


def test_streams_are_signal_types(rhd):
    names, ids = get_neo_streams(rhd.path)

    assert ids == ["0", "1", "2", "4"]
    assert names[0] == "RHD2000 amplifier channel"


def test_several_streams_need_stream_id(rhd):
    with pytest.raises(ValueError, match="RHD2000 amplifier channel"):
        read_intan(rhd.path)


def test_amplifier_traces_are_the_raw_uint16_values(amplifier, rhd):
    np.testing.assert_array_equal(amplifier.get_traces(), rhd.amplifier)
    assert amplifier.get_dtype() == np.uint16


def test_only_enabled_channels_are_channels(amplifier, rhd):
    assert list(amplifier.channel_ids) == rhd.amplifier_ids


def test_amplifier_gain_and_offset(amplifier, rhd):
    np.testing.assert_array_equal(amplifier.get_channel_gains(), 0.195)
    np.testing.assert_allclose(amplifier.get_channel_offsets(), -6389.76, rtol=1e-12)
    scaled = amplifier.get_traces(start_frame=100, end_frame=110, return_scaled=True)
    expected = rhd.amplifier[100:110] * 0.195 - 6389.76
    np.testing.assert_allclose(scaled, expected, rtol=1e-5)


def test_sampling_rate_and_start(amplifier, rhd):
    assert amplifier.sampling_frequency == rhd.sampling_rate
    assert amplifier.get_num_samples() == NUM_BLOCKS * RHD_BLOCK
    assert amplifier.get_times()[0] == 0.0


def test_window_across_blocks(amplifier, rhd):
    traces = amplifier.get_traces(start_frame=120, end_frame=300, channel_ids=["A-003", "A-000"])

    np.testing.assert_array_equal(traces, rhd.amplifier[120:300, [2, 0]])


def test_empty_window(amplifier):
    assert amplifier.get_traces(start_frame=10, end_frame=10).shape == (0, 3)


def test_aux_inputs_at_a_quarter_rate_in_microvolts(rhd):
    aux = read_intan(rhd.path, stream_id="1")

    assert aux.sampling_frequency == rhd.sampling_rate / 4
    np.testing.assert_allclose(aux.get_channel_gains(), 37.4)
    np.testing.assert_array_equal(aux.get_traces(), rhd.aux)


def test_supply_voltage_has_one_sample_per_block(rhd):
    supply = read_intan(rhd.path, stream_name="RHD2000 supply voltage channel")

    assert supply.sampling_frequency == rhd.sampling_rate / RHD_BLOCK
    np.testing.assert_array_equal(supply.get_traces(), rhd.supply)


def test_digital_inputs_keep_their_unit(rhd):
    digital = read_intan(rhd.path, stream_id="4")

    traces = digital.get_traces()
    np.testing.assert_array_equal(traces[:, 0], rhd.digital_in & 1)
    np.testing.assert_array_equal(traces[:, 1], (rhd.digital_in >> 1) & 1)
    assert list(digital.get_property("physical_unit")) == ["a.u.", "a.u."]
    np.testing.assert_array_equal(digital.get_channel_gains(), 1.0)


def test_pickle_round_trip(amplifier):
    again = pickle.loads(pickle.dumps(amplifier))

    assert isinstance(again, IntanRecordingExtractor)
    np.testing.assert_array_equal(again.get_traces(), amplifier.get_traces())
    assert again.to_dict()["kwargs"]["stream_id"] == "0"


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.rhd"):
        read_intan(tmp_path / "gone.rhd")


def test_not_an_intan_file(tmp_path):
    path = tmp_path / "fake.rhd"
    path.write_bytes(b"\x00" * 64)

    with pytest.raises(ValueError, match="fake.rhd"):
        read_intan(path)


def test_truncated_file_is_named(rhd, tmp_path):
    path = tmp_path / "cut.rhd"
    path.write_bytes(rhd.path.read_bytes()[:-100])

    with pytest.raises(ValueError, match="cut.rhd"):
        read_intan(path, stream_id="0")


def test_discontinuous_timestamps_are_named(rhd, tmp_path):
    data = bytearray(rhd.path.read_bytes())
    last_block = len(data) - BLOCK_BYTES
    stamps = np.arange(10_000, 10_000 + RHD_BLOCK, dtype=np.int32)
    data[last_block : last_block + RHD_BLOCK * 4] = stamps.tobytes()
    path = tmp_path / "gap.rhd"
    path.write_bytes(bytes(data))

    with pytest.raises(ValueError, match="gap.rhd"):
        read_intan(path, stream_id="0")
