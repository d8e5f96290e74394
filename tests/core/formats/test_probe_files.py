"""Probe files of each kind written in tmp_path: read_probe_file, write_probe_file, parse_prb."""

import numpy as np
import pytest
from probeinterface import Probe, ProbeGroup, generate_linear_probe, write_probeinterface

from core.formats.probe_files import parse_prb, read_probe_file, write_probe_file

TWO_GROUPS_PRB = """\
total_nb_channels = 6
radius = 100
# first shank lists its geometry by channel, the second one per entry of 'channels'
channel_groups = {
    0: {
        "channels": [0, 1, 2],
        "geometry": {0: (0, 0), 1: (0, 20), 2: (0.5, 40)},
        "graph": [(0, 1), (1, 2)],
    },
    1: {
        "channels": list(range(3, 6)),
        "geometry": [[200, 0], [200, 20], [200, -40]],
    },
}
"""

SETTINGS_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<SETTINGS>
  <INFO><VERSION>0.6.0</VERSION></INFO>
  <SIGNALCHAIN>
    <PROCESSOR name="Sources/Neuropix-PXI" libraryVersion="0.4.0" nodeId="100">
      <STREAM name="ProbeA-AP"/>
      <STREAM name="ProbeA-LFP"/>
      <EDITOR>
        <NP_PROBE slot="2" port="1" dock="1" probe_part_number="NP1000" probe_serial_number="17">
          <SELECTED_ELECTRODES CH0="0" CH1="1" CH2="2" CH3="3"/>
        </NP_PROBE>
      </EDITOR>
    </PROCESSOR>
  </SIGNALCHAIN>
</SETTINGS>
"""


def wired_probe(num_channels: int = 4, first_channel: int = 0) -> Probe:
    probe = generate_linear_probe(num_elec=num_channels, ypitch=20)
    probe.set_device_channel_indices(np.arange(first_channel, first_channel + num_channels))
    return probe


def spikeglx_meta(num_channels: int = 8) -> str:
    """The keys probeinterface's read_spikeglx needs, for a Neuropixels 1.0 probe."""
    entries = "".join(f"({c} 0 0 500 250 1)" for c in range(num_channels))
    return (
        "imDatPrb_pn=NP1000\nimDatPrb_sn=123\n"
        f"nSavedChans={num_channels + 1}\nsnsSaveChanSubset=all\n"
        f"~imroTbl=(0,{num_channels}){entries}\n"
    )


# --------------------------------------------------------------------------- PRB
def test_prb_with_two_groups(tmp_path):
    path = tmp_path / "probe.prb"
    path.write_text(TWO_GROUPS_PRB)
    group = read_probe_file(path)
    assert isinstance(group, ProbeGroup)
    first, second = group.probes
    assert first.device_channel_indices.tolist() == [0, 1, 2]
    assert first.contact_positions.tolist() == [[0, 0], [0, 20], [0.5, 40]]
    assert second.device_channel_indices.tolist() == [3, 4, 5]
    assert second.contact_positions.tolist() == [[200, 0], [200, 20], [200, -40]]


def test_prb_never_runs_code(tmp_path):
    pwned = tmp_path / "pwned"
    path = tmp_path / "evil.prb"
    path.write_text(TWO_GROUPS_PRB + f'__import__("os").system("touch {pwned}")\n')
    with pytest.raises(ValueError, match=r"evil\.prb: line 15: only assignments are allowed"):
        read_probe_file(path)
    assert not pwned.exists()


def test_prb_rejects_calls_in_values(tmp_path):
    pwned = tmp_path / "pwned"
    path = tmp_path / "evil.prb"
    path.write_text(TWO_GROUPS_PRB + f'radius = __import__("os").system("touch {pwned}")\n')
    with pytest.raises(ValueError, match="is not allowed in a PRB file"):
        read_probe_file(path)
    assert not pwned.exists()


def test_prb_accepts_names_and_numpy_scalars():
    text = (
        "positions = {7: [np.float64(0.0), np.float64(25.0)], 8: [0, 50]}\n"
        "channel_groups = {0: {'channels': [np.int64(7), 8], 'geometry': positions}}\n"
    )
    probe = parse_prb(text).probes[0]
    assert probe.device_channel_indices.tolist() == [7, 8]
    assert probe.contact_positions.tolist() == [[0, 25], [0, 50]]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("channel_groups = {}\n", "non-empty dict"),
        ("channel_groups = {0: {'channels': [0, 1]}}\n", "'channels' and 'geometry'"),
        ("channel_groups = {0: {'channels': [0, 1], 'geometry': {0: (0, 0)}}}\n", "channel 1"),
        ("channel_groups = {0: {'channels': [0], 'geometry': {0: (0, 0, 1)}}}\n", "two numbers"),
        ("channel_groups = {0: {'channels': [0.5], 'geometry': [[0, 0]]}}\n", "integers"),
        ("channel_groups = {0: {'channels': [1, 1], 'geometry': [[0, 0], [0, 1]]}}\n", "twice"),
        ("channel_groups = {0: {'channels': list(range(10**9)), 'geometry': []}}\n", "range"),
        (
            "channel_groups = {0: {'channels': [0], 'geometry': [[0, 0]]},"
            " 1: {'channels': [0], 'geometry': [[9, 9]]}}\n",
            "channel group 1: channel 0 is in another group",
        ),
    ],
)
def test_prb_malformed_groups_are_named(text, match):
    with pytest.raises(ValueError, match=match):
        parse_prb(text, "bad.prb")


def test_prb_round_trip(tmp_path):
    group = ProbeGroup()
    group.add_probe(wired_probe(4))
    group.add_probe(wired_probe(3, first_channel=4))
    path = tmp_path / "out.prb"
    write_probe_file(path, group)
    assert "np." not in path.read_text()
    loaded = read_probe_file(path)
    for written, read in zip(group.probes, loaded.probes):
        np.testing.assert_array_equal(read.contact_positions, written.contact_positions)
        np.testing.assert_array_equal(read.device_channel_indices, written.device_channel_indices)


def test_prb_write_needs_wiring(tmp_path):
    with pytest.raises(ValueError, match="no device channel indices"):
        write_probe_file(tmp_path / "out.prb", generate_linear_probe(num_elec=2))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- JSON
def test_json_round_trip_leaves_the_probe_untouched(tmp_path):
    probe = wired_probe(4)
    path = tmp_path / "sub" / "probe.json"
    write_probe_file(path, probe)
    assert probe._probe_group is None
    loaded = read_probe_file(path).probes[0]
    np.testing.assert_array_equal(loaded.contact_positions, probe.contact_positions)
    np.testing.assert_array_equal(loaded.device_channel_indices, probe.device_channel_indices)


def test_json_is_recognised_by_content(tmp_path):
    path = tmp_path / "probe.txt"
    write_probeinterface(path, wired_probe(2))
    assert read_probe_file(path).probes[0].get_contact_count() == 2


def test_damaged_json_is_named(tmp_path):
    path = tmp_path / "probe.json"
    path.write_text('{"probes": [{"ndim": 2}')
    with pytest.raises(ValueError, match=r"probe\.json: unreadable probeinterface JSON file"):
        read_probe_file(path)


# --------------------------------------------------------------------------- SpikeGLX and Open Ephys
def test_spikeglx_meta(tmp_path):
    path = tmp_path / "rec_g0_t0.imec0.ap.meta"
    path.write_text(spikeglx_meta(8))
    probe = read_probe_file(path).probes[0]
    assert probe.get_contact_count() == 8
    assert probe.device_channel_indices.tolist() == list(range(8))
    assert probe.model_name == "NP1000"


def test_spikeglx_content_needs_meta_suffix(tmp_path):
    path = tmp_path / "rec.txt"
    path.write_text(spikeglx_meta(8))
    with pytest.raises(ValueError, match=r"must be named \*\.meta"):
        read_probe_file(path)


def test_openephys_settings(tmp_path):
    path = tmp_path / "settings.xml"
    path.write_text(SETTINGS_XML)
    probe = read_probe_file(path).probes[0]
    assert probe.get_contact_count() == 4
    assert probe.model_name == "NP1000"


def test_openephys_without_neuropixels_is_named(tmp_path):
    path = tmp_path / "settings.xml"
    path.write_text('<?xml version="1.0"?>\n<SETTINGS><INFO/></SETTINGS>\n')
    with pytest.raises(ValueError, match=r"settings\.xml: unreadable Open Ephys settings file"):
        read_probe_file(path)


# --------------------------------------------------------------------------- unknown input
@pytest.mark.parametrize("content", [b"\x00\xff\xfe binary", b"just some text\n", b"x = 1\n"])
def test_unknown_content_names_path_and_kinds(tmp_path, content):
    path = tmp_path / "mystery.dat"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"mystery\.dat.*PRB file.*SpikeGLX.*settings\.xml"):
        read_probe_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such probe file"):
        read_probe_file(tmp_path / "absent.prb")


def test_write_rejects_other_suffixes_and_objects(tmp_path):
    with pytest.raises(ValueError, match=r"must end with \.json or \.prb"):
        write_probe_file(tmp_path / "probe.csv", wired_probe())
    with pytest.raises(TypeError, match="Probe or ProbeGroup"):
        write_probe_file(tmp_path / "probe.json", {"probes": []})
