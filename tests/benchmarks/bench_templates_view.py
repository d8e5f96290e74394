"""Benchmark: select one unit → its template drawn, on a 384-channel 30 kHz recording of one hour
with 500 units and 10 M spikes; compared with SpikeInterface 0.100.8 and 0.105.3.

The recording is an int16 binary file of one hour: its first ``--written`` seconds hold noise
with spikes, the rest is a sparse hole (the disk need not hold 83 GB). Before each side runs, the
file's pages are evicted from the page cache (``posix_fadvise(DONTNEED)``), so that every side
reads a cold file (the hole's pages are allocated again on first touch). The sorting has 500
units and 10 M spikes spread over the hour.

Printed, per round (``--rounds``, the order of the three sides alternating):

- SpikeDesk, in the window: from ``session.select_units([unit])`` to the templates view's
  ``drawn`` signal and a forced render (``view.grab()``), for units never shown before (each
  reads its spikes from the recording: 100 random spikes cut on every channel), median and p95;
  the same units shown again (cached); the longest gap of a 5 ms GUI-thread timer meanwhile;
  the GUI thread's CPU time per selection (``time.thread_time``: the selection, the drawing
  handed to the view, its paint and the forced render; independent of the machine's load).
- SpikeDesk, data only: `WaveformSource.load` of the same units (no drawing), cold file again.
- SpikeInterface 0.100.8 / 0.105.3 (``templates_si_runner.py`` in their virtualenvs): the same
  units' average templates from the same 100 spikes per unit, as each version computes them
  (``extract_waveforms`` of the unit; a memory ``SortingAnalyzer`` of the unit).

The best of the rounds is kept per side, and the ratio of SpikeDesk's median to the faster
SpikeInterface's. Target: < 100 ms from selection to drawn template. Run it under
``flock /work/bench.lock``.

Usage: ``python tests/benchmarks/bench_templates_view.py [--units-timed 12] [--rounds 3]
[--si0100 PYTHON] [--si0105 PYTHON] [--folder DIR] [--no-si]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

import core as si
from app.model.session import Session
from app.model.waveform_source import TEMPLATE_SPIKES, WaveformSource
from app.views.templates import TemplateView

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules
from stall_meter import StallMeter

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "templates_si_runner.py"
NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
GAIN = 0.195
DURATION_S = 3600.0
NUM_UNITS = 500
NUM_SPIKES = 10_000_000
SI_VENVS = {
    "si0100": (Path("/work/si-venvs/si0100"), ["spikeinterface==0.100.8", "numpy==1.26.4"]),
    "si0105": (Path("/work/si-venvs/si0105"), ["spikeinterface==0.105.3", "zarr<3"]),
}


# --------------------------------------------------------------------------- data
def neuropixels_locations() -> np.ndarray:
    """Neuropixels 1.0-like: 4 staggered columns, 20 µm rows, 3.84 mm."""
    rows = np.arange(NUM_CHANNELS // 2) * 20.0
    return np.column_stack(
        [np.tile([16.0, 48.0, 0.0, 32.0], NUM_CHANNELS // 4), np.repeat(rows, 2)]
    )


def write_data(folder: Path, written_s: float) -> None:
    """``traces.raw`` (one hour, the first ``written_s`` seconds written), ``sorting.npz`` and
    ``meta.json``."""
    rng = np.random.default_rng(0)
    block = int(SAMPLING_FREQUENCY)
    path = folder / "traces.raw"
    with open(path, "wb") as file:
        for _ in range(int(written_s)):
            noise = rng.normal(0, 15, size=(block, NUM_CHANNELS)).astype("float32")
            noise[rng.random((block, NUM_CHANNELS)) < 2e-4] -= 120
            file.write(noise.astype("int16").tobytes())
        file.truncate(int(DURATION_S * SAMPLING_FREQUENCY) * NUM_CHANNELS * 2)  # a sparse hole
    rates = rng.lognormal(0.0, 0.8, NUM_UNITS)
    counts = rng.multinomial(NUM_SPIKES, rates / rates.sum())
    labels = np.repeat(np.arange(NUM_UNITS), counts)
    samples = rng.integers(100, int(DURATION_S * SAMPLING_FREQUENCY) - 100, NUM_SPIKES)
    order = np.argsort(samples, kind="stable")
    sorting = si.NumpySorting.from_times_labels(
        [samples[order]], [labels[order]], SAMPLING_FREQUENCY
    )
    si.NpzSortingExtractor.write_sorting(sorting, folder / "sorting.npz")
    meta = {
        "sampling_frequency": SAMPLING_FREQUENCY,
        "num_channels": NUM_CHANNELS,
        "gain_to_uV": GAIN,
        "locations": neuropixels_locations().tolist(),
        "spikes_per_template": TEMPLATE_SPIKES,
    }
    (folder / "meta.json").write_text(json.dumps(meta))


def open_data(folder: Path):
    recording = si.read_binary(
        folder / "traces.raw",
        sampling_frequency=SAMPLING_FREQUENCY,
        dtype="int16",
        num_channels=NUM_CHANNELS,
        gain_to_uV=GAIN,
        offset_to_uV=0.0,
    )
    recording.set_channel_locations(neuropixels_locations())
    sorting = si.read_npz_sorting(folder / "sorting.npz")
    return recording, sorting


def drop_cache(folder: Path) -> None:
    """Evict the recording's pages from the page cache: every side starts from a cold file."""
    descriptor = os.open(folder / "traces.raw", os.O_RDONLY)
    try:
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


# --------------------------------------------------------------------------- SpikeDesk
def select_and_wait(
    session: Session, view: TemplateView, unit, timeout_ms=60_000, cpu: list | None = None
) -> float:
    """Seconds from selecting ``unit`` to its template drawn and rendered; the GUI thread's CPU
    seconds over the same span (and the 20 ms of events after it) go to ``cpu``."""
    loop = QEventLoop()

    def drawn() -> None:
        if view.drawn_unit_ids() == [unit]:
            loop.quit()

    view.drawn.connect(drawn)
    QTimer.singleShot(timeout_ms, loop.quit)
    cpu_start = time.thread_time()
    start = time.perf_counter()
    session.select_units([unit])
    if view.drawn_unit_ids() != [unit]:
        loop.exec()
    view.grab()
    elapsed = time.perf_counter() - start
    view.drawn.disconnect(drawn)
    if view.drawn_unit_ids() != [unit]:
        raise RuntimeError(f"unit {unit} not drawn within {timeout_ms} ms")
    # let the GUI timer tick between selections, as a user would not click without pause
    QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    if cpu is not None:
        cpu.append(time.thread_time() - cpu_start)
    return elapsed


def spikedesk_round(folder: Path, units: list) -> dict:
    recording, sorting = open_data(folder)
    session = Session()
    session.open(recording=recording, sorting=sorting, source="bench")
    started = time.perf_counter()
    view = TemplateView(session)
    view.resize(500, 900)
    view.show()
    view.wait_until_idle(120.0)  # the spikes are indexed in the background before any click
    prepared = time.perf_counter() - started
    QApplication.processEvents()
    meter = StallMeter()
    meter.start()
    cpu_first, cpu_again = [], []
    first = [select_and_wait(session, view, unit, cpu=cpu_first) for unit in units]
    again = [select_and_wait(session, view, unit, cpu=cpu_again) for unit in units]
    meter.timer.stop()
    view.shutdown()
    view.close()
    source = WaveformSource(recording=recording, sorting=sorting)
    drop_cache(folder)
    loads = []
    for unit in units:
        start = time.perf_counter()
        source.load(unit, 20)
        loads.append(time.perf_counter() - start)
    return {
        "first": np.array(first),
        "again": np.array(again),
        "cpu_first": np.array(cpu_first),
        "cpu_again": np.array(cpu_again),
        "load": np.array(loads),
        "stall_ms": meter.longest_ms,
        "stall": meter.longest.describe(),
        "prepare_s": prepared,
    }


# --------------------------------------------------------------------------- SpikeInterface
def ensure_venv(venv: Path, packages: list[str]) -> Path:
    """The venv's python, creating the venv (pip install ``packages``) if it is missing."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} ({' '.join(packages)})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return python


def si_round(python: Path, folder: Path, units: list) -> np.ndarray | None:
    completed = subprocess.run(
        [str(python), str(RUNNER), str(folder), *map(str, units)], capture_output=True, text=True
    )
    if completed.returncode != 0:
        print(f"--- {python} failed:\n{completed.stderr[-2000:]}", flush=True)
        return None
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return np.array([result["seconds"][str(u)] for u in units])


# --------------------------------------------------------------------------- report
def ms(values: np.ndarray) -> str:
    values = 1e3 * np.asarray(values)
    return f"{np.median(values):9.1f} | {np.percentile(values, 95):8.1f} | {values.max():8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units-timed", type=int, default=12, help="units selected per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--written", type=float, default=60.0, help="seconds of data written")
    parser.add_argument("--si0100", type=Path, default=SI_VENVS["si0100"][0] / "bin/python")
    parser.add_argument("--si0105", type=Path, default=SI_VENVS["si0105"][0] / "bin/python")
    parser.add_argument("--folder", type=Path, default=None, help="where to write the data")
    parser.add_argument("--no-si", action="store_true", help="skip the SpikeInterface rounds")
    args = parser.parse_args()
    pythons = {}
    if not args.no_si:
        pythons = {
            "si0100": ensure_venv(args.si0100.parent.parent, SI_VENVS["si0100"][1]),
            "si0105": ensure_venv(args.si0105.parent.parent, SI_VENVS["si0105"][1]),
        }
    app = QApplication.instance() or QApplication([])
    from app.gui_thread_gc import collect_garbage_in_gui_thread

    collect_garbage_in_gui_thread()  # as `python -m app` runs
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        write_data(folder, args.written)
        recording, sorting = open_data(folder)
        print(f"data written in {time.perf_counter() - started:.0f} s: {recording}; {sorting}")
        rng = np.random.default_rng(1)
        chosen = rng.choice(sorting.unit_ids, args.units_timed * args.rounds, replace=False)
        best: dict[str, dict] = {}
        sides = ["spikedesk", *pythons]
        for round_index in range(args.rounds):
            units = chosen[round_index * args.units_timed : (round_index + 1) * args.units_timed]
            units = [int(u) for u in units]
            shift = round_index % len(sides)
            order = sides[shift:] + sides[:shift]
            for side in order:
                drop_cache(folder)
                if side == "spikedesk":
                    result = spikedesk_round(folder, units)
                    median = float(np.median(result["first"]))
                else:
                    seconds = si_round(pythons[side], folder, units)
                    if seconds is None:
                        continue
                    result, median = {"template": seconds}, float(np.median(seconds))
                print(f"round {round_index + 1} {side}: median {1e3 * median:.1f} ms", flush=True)
                if side not in best or median < best[side]["median"]:
                    best[side] = {**result, "median": median}
        app.processEvents()
    print(
        f"\nselect one unit → template drawn; 384 channels, 1 h, {NUM_UNITS} units, "
        f"{NUM_SPIKES / 1e6:.0f} M spikes; {TEMPLATE_SPIKES} spikes per template; "
        f"best of {args.rounds} rounds of {args.units_timed} units\n"
    )
    print(f"| {'':52} | median ms |   p95 ms |   max ms |")
    print(f"|{'-' * 54}|-----------|----------|----------|")
    mine = best["spikedesk"]
    print(f"| {'SpikeDesk: select → drawn (first time)':52} | {ms(mine['first'])} |")
    print(f"| {'SpikeDesk: select → drawn (again, cached)':52} | {ms(mine['again'])} |")
    print(f"| {'SpikeDesk: WaveformSource.load (data only)':52} | {ms(mine['load'])} |")
    print(f"| {'SpikeDesk: GUI-thread CPU per select (first time)':52} | {ms(mine['cpu_first'])} |")
    print(f"| {'SpikeDesk: GUI-thread CPU per select (again)':52} | {ms(mine['cpu_again'])} |")
    for side, label in (("si0100", "SpikeInterface 0.100.8"), ("si0105", "SpikeInterface 0.105.3")):
        if side in best:
            print(f"| {label + ': template of the unit':52} | {ms(best[side]['template'])} |")
    print(f"\nlongest GUI-thread stall while selecting: {mine['stall']}")
    print(
        f"spikes indexed in the background after opening (once per sorting, before the first "
        f"click): {mine['prepare_s']:.2f} s"
    )
    faster = [best[s]["median"] for s in ("si0100", "si0105") if s in best]
    if faster:
        print(
            f"ratio SpikeDesk select→drawn / faster SpikeInterface template: "
            f"{mine['median'] / min(faster):.3f}"
        )


if __name__ == "__main__":
    main()
