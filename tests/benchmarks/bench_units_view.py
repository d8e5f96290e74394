"""Benchmark: the units table and the rasters on one hour of 384 channels, 500 units, 10 M spikes.

The recording is a lazy int16 binary file of one hour at 30 kHz (made with ``truncate``: its
content is zeros, read from the file's holes); the sorting (lognormal rates) is saved as a
numpy folder and opened from it. The window's views run as in the application: the units table
with its metric jobs, the rasters, and the unit-channel estimate, on one `JobManager`.

Measured (each a function in `MEASUREMENTS`: add one there to add a figure):

- ``table``: opening the sorting folder to a filled table (the columns computed from spike
  trains: num_spikes, firing_rate, isi_violations_ratio, presence_ratio). Target < 1 s.
- ``stalls``: the longest gap between ticks of a 5 ms QTimer on the GUI thread while the table
  fills and then while amplitude and SNR compute (target: no gap > 50 ms), and how long those
  jobs take.
- ``raster``: redraw of a 10 s window at random places (set the window, paint, repaint the
  widget): median and 95th percentile. Target: median < 30 ms.
- ``memory``: the process's peak resident memory from the views' start (the peak is reset
  after the data are made in this process). Target < 2 GB.

Then the spike-train metrics alone (load the folder + compute) against SpikeInterface 0.100.8
and 0.105.3, each in its own virtual environment (created when missing), run alternately, best
of ``--rounds``.

Usage: ``flock /work/bench.lock python tests/benchmarks/bench_units_view.py [--units 500]
[--spikes 10_000_000] [--duration 3600] [--redraws 40] [--rounds 3] [--folder DIR]
[--si0100 /work/si-venvs/si0100/bin/python] [--si0105 /work/si-venvs/si0105/bin/python]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules
from stall_meter import StallMeter

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
RASTER_WINDOW_S = 10.0
SI_PACKAGES = {
    "si0100": ["spikeinterface==0.100.8", "numpy<2", "zarr<3"],
    "si0105": ["spikeinterface==0.105.3", "zarr<3"],
}
SPIKE_TRAIN_METRICS = ("num_spikes", "firing_rate", "isi_violations_ratio", "presence_ratio")


# --------------------------------------------------------------------------- data
def make_data(folder: Path, duration_s: float, num_units: int, num_spikes: int) -> None:
    """A sparse 384-channel binary file and a sorting saved as a numpy folder in ``folder``."""
    import core as si

    num_samples = int(duration_s * SAMPLING_FREQUENCY)
    with open(folder / "traces.raw", "wb") as file:
        file.truncate(num_samples * NUM_CHANNELS * 2)
    rng = np.random.default_rng(0)
    rates = rng.lognormal(mean=0.0, sigma=1.0, size=num_units)
    labels = rng.choice(num_units, size=num_spikes, p=rates / rates.sum()).astype("int64")
    times = np.sort(rng.integers(0, num_samples, size=num_spikes))
    sorting = si.NumpySorting.from_times_labels(times, labels, SAMPLING_FREQUENCY)
    sorting.save(folder=folder / "sorting")


def open_recording(folder: Path):
    """The binary file with gains and a linear 384-contact probe (20 µm pitch)."""
    import probeinterface as pi

    import core as si

    recording = si.read_binary(
        folder / "traces.raw",
        sampling_frequency=SAMPLING_FREQUENCY,
        dtype="int16",
        num_channels=NUM_CHANNELS,
        gain_to_uV=0.195,
        offset_to_uV=0.0,
    )
    probe = pi.generate_linear_probe(num_elec=NUM_CHANNELS, ypitch=20)
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    return recording.set_probe(probe)


# --------------------------------------------------------------------------- GUI helpers
def run_until(predicate: Callable[[], bool], timeout_s: float = 1800.0) -> float:
    """Run the Qt event loop until ``predicate()``; return the seconds it took."""
    from PySide6.QtCore import QEventLoop, QTimer

    start = time.perf_counter()
    loop = QEventLoop()
    poll = QTimer(interval=1)

    def check() -> None:
        if predicate() or time.perf_counter() - start > timeout_s:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()
    if not predicate():
        raise RuntimeError(f"not done within {timeout_s} s")
    return time.perf_counter() - start


@dataclass
class Bench:
    """What the measurements share: the data, the application objects and the results."""

    folder: Path
    args: argparse.Namespace
    app: object = None
    session: object = None
    jobs: object = None
    table_view: object = None
    raster_view: object = None
    results: list = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, target: str = "") -> None:
        self.results.append((name, value, unit, target))
        print(f"  {name}: {value:,.3f} {unit}  {target}", flush=True)

    def table_filled(self) -> bool:
        table = self.table_view.table
        return table is not None and all(table.state(k) != "pending" for k in SPIKE_TRAIN_METRICS)

    def traces_metrics_done(self) -> bool:
        table = self.table_view.table
        return table is not None and all(
            table.state(k) != "pending" for k in ("snr", "amplitude_median")
        )


def start_application(bench: Bench) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.jobs import JobManager
    from app.model.session import Session
    from app.unit_channels_runner import UnitChannelsRunner
    from app.views.rasters import RasterView
    from app.views.units_table import UnitsTableView

    bench.app = QApplication.instance() or QApplication([])
    from app.gui_thread_gc import collect_garbage_in_gui_thread

    collect_garbage_in_gui_thread()  # as `python -m app` runs
    bench.session = Session()
    bench.jobs = JobManager()
    bench.unit_channels = UnitChannelsRunner(bench.session, bench.jobs)
    bench.table_view = UnitsTableView(bench.session, job_manager=bench.jobs)
    bench.table_view.resize(420, 700)
    bench.raster_view = RasterView(bench.session)
    bench.raster_view.resize(1100, 320)
    bench.table_view.show()
    bench.raster_view.show()
    bench.session.open(recording=open_recording(bench.folder), source="bench")
    # as in the application, the window is on screen (exposed and painted once) before a
    # sorting is opened: its first paints are not the sorting's
    from PySide6.QtTest import QTest

    for view in (bench.table_view, bench.raster_view):
        QTest.qWaitForWindowExposed(view)
    settle = time.perf_counter() + 0.3
    run_until(lambda: time.perf_counter() > settle)


# --------------------------------------------------------------------------- measurements
def measure_table(bench: Bench) -> None:
    """Open the sorting folder: seconds until the spike-train columns are filled."""
    import core as si

    heartbeat = StallMeter()
    start = time.perf_counter()
    sorting = si.load_extractor(bench.folder / "sorting")
    bench.session.add(sorting=sorting, source="sorting")
    opened = time.perf_counter() - start
    heartbeat.start()  # the views' own work from here
    run_until(bench.table_filled)
    filled = time.perf_counter() - start
    stall = heartbeat.stop()
    bench.add("open (load_extractor + session.add, GUI thread)", opened, "s")
    bench.add("table filled after opening", filled, "s", "(target < 1 s)")
    bench.add("longest GUI stall while it fills", stall, "ms", "(target < 50 ms)")


def measure_metric_stalls(bench: Bench) -> None:
    """Longest GUI stall while amplitude and SNR compute (after the unit channels)."""
    heartbeat = StallMeter()
    heartbeat.start()
    seconds = run_until(bench.traces_metrics_done)
    longest = heartbeat.stop()
    bench.add("amplitude + SNR columns filled after", seconds, "s", "(background jobs)")
    bench.add("longest GUI stall while they compute", longest, "ms", "(target < 50 ms)")
    run_until(lambda: not bench.jobs.jobs)


def measure_raster(bench: Bench) -> None:
    """Redraw of a 10 s window at random places: median and 95th percentile."""
    view, session = bench.raster_view, bench.session
    run_until(view.is_ready)
    rng = np.random.default_rng(1)
    width = int(RASTER_WINDOW_S * SAMPLING_FREQUENCY)
    times = []
    spikes = []
    for _ in range(bench.args.redraws):
        start = int(rng.integers(0, session.num_samples - width))
        begin = time.perf_counter()
        session.set_frame_window(start, start + width)
        view.redraw()
        view.raster_plot.viewport().repaint()
        times.append(time.perf_counter() - begin)
        spikes.append(view.spikes_in_window()[0].size)
    times_ms = np.array(times) * 1000
    bench.add(
        f"raster redraw, 10 s window (~{int(np.mean(spikes)):,} spikes), median",
        float(np.median(times_ms)),
        "ms",
        "(target < 30 ms)",
    )
    bench.add("raster redraw, 95th percentile", float(np.percentile(times_ms, 95)), "ms")


def status_mb(key: str) -> float:
    """``VmRSS`` or ``VmHWM`` (peak) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_memory() -> None:
    """Start the peak (``VmHWM``) again from the current resident memory (Linux 4.0+), so that
    making the data in this process does not count as the application's peak."""
    Path("/proc/self/clear_refs").write_text("5")


def measure_memory(bench: Bench) -> None:
    """Peak resident memory of the process since the data were made."""
    bench.add("peak resident memory (views, after the data were made)", status_mb("VmHWM"),
              "MB", "(target < 2048 MB)")  # fmt: skip


#: The measurements, in order (each may rely on the state the ones before it leave).
MEASUREMENTS: list[Callable[[Bench], None]] = [
    measure_table,
    measure_metric_stalls,
    measure_raster,
    measure_memory,
]


# --------------------------------------------------------------------------- SpikeInterface
def run_spike_train_metrics(side: str, folder: Path) -> dict:
    """Load the sorting folder, then compute the four spike-train metrics (in a subprocess).

    Returns the seconds of each step; SpikeInterface needs a WaveformExtractor (0.100) or a
    SortingAnalyzer (0.105) around the sorting first ("prepare").
    """
    if side == "spikedesk":
        import core as si
        from app.model.unit_metrics import spike_train_metrics

        start = time.perf_counter()  # imports left out, on both sides
        sorting = si.load_extractor(folder / "sorting")
        loaded = time.perf_counter()
        sorting.register_recording(open_recording(folder), check_spike_frames=False)
        prepared = time.perf_counter()
        values = spike_train_metrics(sorting)
    else:
        import importlib

        import probeinterface as pi
        import spikeinterface.core as sic

        try:  # 0.100; 0.105 moved them to spikeinterface.metrics
            qm = importlib.import_module("spikeinterface.qualitymetrics")
        except ModuleNotFoundError:
            qm = importlib.import_module("spikeinterface.metrics")
        load = getattr(sic, "load_extractor", None) or sic.load  # 0.105: load
        start = time.perf_counter()
        sorting = load(folder / "sorting")
        loaded = time.perf_counter()
        recording = sic.read_binary(
            folder / "traces.raw",
            sampling_frequency=SAMPLING_FREQUENCY,
            dtype="int16",
            num_channels=NUM_CHANNELS,
        )
        probe = pi.generate_linear_probe(num_elec=NUM_CHANNELS, ypitch=20)
        probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
        recording = recording.set_probe(probe) or recording  # 0.105 sets it in place
        if hasattr(sic, "create_sorting_analyzer"):
            source = sic.create_sorting_analyzer(
                sorting,
                recording,
                format="memory",
                sparse=False,
                main_channel_indices=np.zeros(sorting.get_num_units(), dtype="int64"),
            )
        else:
            source = sic.WaveformExtractor.create(
                recording, sorting, None, mode="memory", allow_unfiltered=True
            )
        prepared = time.perf_counter()
        values = {
            "num_spikes": qm.compute_num_spikes(source),
            "firing_rate": qm.compute_firing_rates(source),
            "isi_violations_ratio": qm.compute_isi_violations(source).isi_violations_ratio,
            "presence_ratio": qm.compute_presence_ratios(source),
        }
    done = time.perf_counter()
    checksum = {k: round(float(np.nansum(list(v.values()))), 6) for k, v in values.items()}
    return {
        "load": loaded - start,
        "prepare": prepared - loaded,
        "metrics": done - prepared,
        "checksum": checksum,
    }


def ensure_python(python: Path, packages: list[str]) -> Path:
    """``python``, after creating its virtual environment with ``packages`` when missing."""
    if not python.is_file():
        venv = python.parent.parent
        print(f"creating {venv} with {', '.join(packages)}...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return python


def compare_with_spikeinterface(bench: Bench) -> None:
    args = bench.args
    sides = {
        "SpikeDesk": Path(sys.executable),
        "SI 0.100.8": ensure_python(args.si0100, SI_PACKAGES["si0100"]),
        "SI 0.105.3": ensure_python(args.si0105, SI_PACKAGES["si0105"]),
    }
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    for round_index in range(args.rounds):
        order = list(sides) if round_index % 2 == 0 else list(reversed(sides))
        for name in order:
            side = "spikedesk" if name == "SpikeDesk" else "si"
            process = subprocess.run(
                [str(sides[name]), __file__, "--run", side, "--folder", str(bench.folder)],
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[2],
            )
            if process.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{process.stderr[-3000:]}")
            runs[name].append(json.loads(process.stdout.strip().splitlines()[-1]))
    print(f"\nspike-train metrics of the sorting folder, best of {args.rounds} (seconds):")
    print(f"  {'':<11}{'load':>8}{'prepare':>9}{'metrics':>9}   values")
    best = {}
    for name, side_runs in runs.items():
        fastest = min(side_runs, key=lambda r: r["metrics"])
        best[name] = fastest["metrics"]
        load = min(r["load"] for r in side_runs)
        prepare = min(r["prepare"] for r in side_runs)
        equal = all(
            np.isclose(fastest["checksum"][k], runs["SpikeDesk"][0]["checksum"][k], rtol=1e-9)
            for k in SPIKE_TRAIN_METRICS
        )
        print(
            f"  {name:<11}{load:8.3f}{prepare:9.3f}{fastest['metrics']:9.3f}   "
            f"{'equal' if equal else 'DIFFER'}"
        )
    fastest_si = min(best["SI 0.100.8"], best["SI 0.105.3"])
    print(f"  metrics: SpikeDesk {fastest_si / best['SpikeDesk']:.1f}x faster than the faster SI")


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--spikes", type=int, default=10_000_000)
    parser.add_argument("--duration", type=float, default=3600.0)
    parser.add_argument("--redraws", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None, help="where the data go (temp)")
    parser.add_argument("--no-si", action="store_true", help="skip the SpikeInterface runs")
    parser.add_argument("--si0100", type=Path, default=Path("/work/si-venvs/si0100/bin/python"))
    parser.add_argument("--si0105", type=Path, default=Path("/work/si-venvs/si0105/bin/python"))
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_spike_train_metrics(args.run, args.folder)))
        return

    folder = Path(tempfile.mkdtemp(dir=args.folder, prefix="bench_units_view_"))
    try:
        print(
            f"{args.duration / 3600:g} h x {NUM_CHANNELS} channels int16 (sparse file), "
            f"{args.units} units, {args.spikes / 1e6:g} M spikes"
        )
        make_data(folder, args.duration, args.units, args.spikes)
        print(f"  (peak resident memory while making the data: {status_mb('VmHWM'):,.0f} MB)")
        reset_peak_memory()
        bench = Bench(folder, args)
        start_application(bench)
        for measurement in MEASUREMENTS:
            measurement(bench)
            print(f"    (peak resident memory so far: {status_mb('VmHWM'):,.0f} MB)", flush=True)
        bench.table_view.shutdown()
        bench.jobs.shutdown()
        if not args.no_si:
            compare_with_spikeinterface(bench)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
