"""What the desktop entry hands over: files that a file manager opens with SpikeDesk."""

import subprocess
import sys
from pathlib import Path

import pytest

import core as si
from tests.core.formats.raw_writers import (
    np1_stream,
    write_intan_rhd,
    write_openephys_binary,
    write_sparse_spikeglx,
)

ROOT = Path(__file__).resolve().parents[2]


def spikeglx_meta(folder: Path) -> Path:
    run = write_sparse_spikeglx(folder, 385 * 2 * 3000)
    return next(run.rglob("*.ap.meta"))


def openephys_oebin(folder: Path) -> Path:
    root = write_openephys_binary(
        folder, [np1_stream("Record Node 101#Neuropix-PXI-100.ProbeA-AP", 30000.0, 600, 0, 0)]
    )
    return next(Path(root).rglob("structure.oebin"))


def intan_file(folder: Path) -> Path:
    folder.mkdir(parents=True)
    write_intan_rhd(folder / "session.rhd")
    return folder / "session.rhd"


def si_folder_json(folder: Path) -> Path:
    si.generate_recording(num_channels=3, durations=[0.2]).save(folder=folder, progress_bar=False)
    return folder / "si_folder.json"


@pytest.mark.parametrize(
    "make, channels",
    [(spikeglx_meta, 384), (openephys_oebin, 384), (intan_file, 3), (si_folder_json, 3)],
)
def test_each_associated_file_opens_its_recording(tmp_path, make, channels):
    recording = si.read_all(make(tmp_path / "data"))["recording"]
    assert recording.get_num_channels() == channels


def test_the_command_line_summarises_an_associated_file(tmp_path):
    path = si_folder_json(tmp_path / "saved")
    out = subprocess.run(
        [sys.executable, "-m", "app", "--print-summary", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert "Recording: 3 channels" in out


def test_the_desktop_entry_declares_the_types_the_mime_file_defines():
    linux = ROOT / "packaging" / "linux"
    desktop = (linux / "org.spikedesk.SpikeDesk.desktop").read_text()
    declared = next(line for line in desktop.splitlines() if line.startswith("MimeType="))
    mime = (linux / "org.spikedesk.SpikeDesk.mime.xml").read_text()
    for mime_type in declared.removeprefix("MimeType=").strip(";").split(";"):
        if mime_type != "inode/directory":
            assert f'type="{mime_type}"' in mime
