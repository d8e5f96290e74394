"""Benchmark: correlograms, ISI histograms and quality metrics, SpikeDesk vs SpikeInterface.

Part 1, spike trains: a sorting of 500 units and 10 M spikes over one hour at 30 kHz (one
segment; lognormal rates, uniform times, as ``bench_sorting.py``). Timed: ``compute_correlograms``
(window 50 ms, bin 1 ms) and ``compute_isi_histograms`` (50 ms, 1 ms) on the sorting, with
SpikeInterface's numpy method; the units-table metrics from spike trains alone (number of
spikes, firing rate, ISI violations, presence ratio, in one go); and the other spike-train
metrics one by one. SpikeInterface's metric functions take a WaveformExtractor: they get a small
object that gives the sorting and the recording's duration. ``rp_violation`` needs numba in
SpikeInterface 0.100.8 and is timed there with ``--si-numba-venv``.

Part 2, waveforms: a 64-channel int16 recording of 5 minutes with 100 units (raw file), sparse
waveforms extracted by each package (not timed); timed: ``compute_spike_amplitudes`` (1 s
chunks, one job) and ``compute_quality_metrics`` with the default metrics. SpikeInterface 0.100.8
needs numba for its default metrics (``--si-numba-venv``); 0.105.3 computes its SortingAnalyzer
extensions ``spike_amplitudes`` and ``quality_metrics``. Noise levels are computed before (an
extension on every side), as 0.105.3 requires.

Each timing runs in a fresh process (data loading and the spike vector excluded), sides in
alternating order, best of ``--repeats``; a SpikeInterface run longer than ``--si-max-seconds``
is not repeated. The ratio is SpikeDesk's time over the faster SpikeInterface's (< 1: SpikeDesk
is faster). Missing virtualenvs are created. Run it under ``flock /work/bench.lock``.

Usage: ``python tests/benchmarks/bench_postprocessing.py [--spikes 10_000_000] [--units 500]
[--repeats 3] [--part trains|waveforms|all] [--tasks correlograms table_metrics ...]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FS = 30_000.0
SI_PACKAGES = {
    "si0100": ["spikeinterface==0.100.8", "numpy==1.26.4", "zarr==2.17.2", "scipy", "pandas"],
    "si0100-numba": [
        "spikeinterface==0.100.8", "numpy==1.26.4", "zarr==2.17.2", "scipy", "pandas", "numba",
        "xarray<2025",
    ],
    "si0105": ["spikeinterface==0.105.3", "zarr<3", "scipy", "pandas"],
}  # fmt: skip
TRAIN_TASKS = [
    "correlograms",
    "isi_histograms",
    "table_metrics",
    "firing_range",
    "synchrony",
    "sliding_rp_violation",
    "rp_violation",
]
WAVEFORM_TASKS = ["spike_amplitudes", "quality_metrics"]


# --------------------------------------------------------------------------- worker side
def _import(side: str):
    if side == "core":
        import core as si
        import core.postprocessing as spost
        import core.qualitymetrics as sqm
    else:
        import spikeinterface.core as si
        import spikeinterface.postprocessing as spost

        try:
            import spikeinterface.qualitymetrics as sqm
        except ImportError:  # SpikeInterface >= 0.104: metrics in two modules
            import types

            import spikeinterface.metrics.quality as quality
            import spikeinterface.metrics.spiketrain as spiketrain

            names = {**vars(quality), **vars(spiketrain)}
            sqm = types.SimpleNamespace(
                **{k: v for k, v in names.items() if k.startswith("compute")}
            )
        if not hasattr(spost, "compute_isi_histograms_numpy"):
            from spikeinterface.postprocessing.isi import compute_isi_histograms_numpy

            spost.compute_isi_histograms_numpy = compute_isi_histograms_numpy
    # imported before timing: an import is not a computation
    import pandas  # noqa: F401
    import scipy.ndimage
    import scipy.stats  # noqa: F401

    return si, spost, sqm


def _sorting(si, data: Path):
    spikes = np.load(data / "spikes.npz")
    build = getattr(si.NumpySorting, "from_times_labels", None)
    if build is None:  # SpikeInterface >= 0.102
        build = si.NumpySorting.from_samples_and_labels
    sorting = build([spikes["times"]], [spikes["labels"]], FS)
    sorting.to_spike_vector()
    return sorting, int(spikes["num_samples"])


class _Duration:
    """What SpikeInterface's spike-train metrics use of a WaveformExtractor."""

    def __init__(self, sorting, num_samples: int) -> None:
        self.sorting = sorting
        self.sampling_frequency = sorting.get_sampling_frequency()
        self.unit_ids = sorting.unit_ids
        self._num_samples = num_samples

    def get_num_segments(self) -> int:
        return 1

    def get_num_samples(self, segment_index=None) -> int:
        return self._num_samples

    def get_total_samples(self) -> int:
        return self._num_samples

    def get_total_duration(self) -> float:
        return self._num_samples / self.sampling_frequency

    def has_extension(self, name) -> bool:
        return False


def _train_task(side: str, task: str, data: Path):
    """``(seconds, checksum)`` of one spike-train task."""
    si, spost, sqm = _import(side)
    sorting, num_samples = _sorting(si, data)
    if side == "core":
        recording = si.NoiseGeneratorRecording(
            num_channels=1, sampling_frequency=FS, durations=[num_samples / FS]
        )
        sorting.register_recording(recording, check_spike_frames=False)
        source = sorting
    else:
        source = _Duration(sorting, num_samples)
    calls = {
        "correlograms": lambda: spost.compute_correlograms(
            sorting, window_ms=50.0, bin_ms=1.0, method="numpy"
        )[0],
        # 0.105 computes ISI histograms of a SortingAnalyzer only: its numpy function here
        "isi_histograms": lambda: spost.compute_isi_histograms_numpy(
            sorting, window_ms=50.0, bin_ms=1.0
        )[0],
        "table_metrics": lambda: [
            sqm.compute_num_spikes(source),
            sqm.compute_firing_rates(source),
            sqm.compute_isi_violations(source).isi_violations_ratio,
            sqm.compute_presence_ratios(source),
        ],
        "firing_range": lambda: sqm.compute_firing_ranges(source),
        "synchrony": lambda: sqm.compute_synchrony_metrics(source).sync_spike_2,
        "sliding_rp_violation": lambda: sqm.compute_sliding_rp_violations(source),
        "rp_violation": lambda: sqm.compute_refrac_period_violations(source).rp_violations,
    }
    start = time.perf_counter()
    result = calls[task]()
    seconds = time.perf_counter() - start
    if result is None:
        raise RuntimeError(f"{task} returned None (numba missing?)")
    return seconds, _checksum(result)


def _checksum(result) -> float:
    if isinstance(result, list):
        return float(sum(_checksum(item) for item in result))
    if isinstance(result, dict):
        return float(np.nansum([float(v) for v in result.values()]))
    return float(np.asarray(result, dtype="float64").sum())


def _waveform_dataset(si, data: Path):
    meta = json.loads((data / "meta.json").read_text())
    recording = si.read_binary(
        str(data / "traces.raw"), sampling_frequency=FS, dtype="int16",
        num_channels=meta["num_channels"], gain_to_uV=0.195, offset_to_uV=0.0,
    )  # fmt: skip
    from probeinterface import Probe

    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(positions=np.array(meta["locations"]), shapes="circle",
                       shape_params={"radius": 6})  # fmt: skip
    probe.set_device_channel_indices(np.arange(meta["num_channels"]))
    with_probe = recording.set_probe(probe)
    recording = recording if with_probe is None else with_probe
    recording.annotate(is_filtered=True)
    spikes = np.load(data / "waveform_spikes.npz")
    build = (
        getattr(si.NumpySorting, "from_times_labels", None)
        or si.NumpySorting.from_samples_and_labels
    )
    return recording, build([spikes["times"]], [spikes["labels"]], FS)


def _prepare_waveforms(side: str, data: Path, folder: Path) -> None:
    si, _, _ = _import(side)
    recording, sorting = _waveform_dataset(si, data)
    job = dict(n_jobs=1, chunk_duration="1s", progress_bar=False)
    if side == "si0105":
        analyzer = si.create_sorting_analyzer(
            sorting, recording, format="binary_folder", folder=folder, sparse=True
        )
        analyzer.compute("random_spikes", method="uniform", max_spikes_per_unit=500, seed=0)
        analyzer.compute("waveforms", ms_before=1.0, ms_after=2.0, **job)
        analyzer.compute("templates")
        analyzer.compute("noise_levels")
        return
    we = si.extract_waveforms(recording, sorting, folder=folder, sparse=True, seed=0, **job)
    # as 0.105.3's noise_levels extension: SNRs read the levels instead of sampling the traces
    _, spost, _ = _import(side)
    spost.compute_noise_levels(we)


def _waveform_task(side: str, task: str, data: Path, folder: Path):
    si, spost, sqm = _import(side)
    recording, sorting = _waveform_dataset(si, data)
    job = dict(n_jobs=1, chunk_duration="1s", progress_bar=False)
    if side == "si0105":
        analyzer = si.load_sorting_analyzer(folder)
        analyzer.set_temporary_recording(recording)
        if task == "quality_metrics":
            analyzer.compute("spike_amplitudes", **job)
        start = time.perf_counter()
        if task == "spike_amplitudes":
            result = analyzer.compute("spike_amplitudes", **job).get_data()
        else:
            result = analyzer.compute("quality_metrics", skip_pc_metrics=True).get_data()
        return time.perf_counter() - start, _frame_checksum(result)
    we = si.load_waveforms(folder, with_recording=False, sorting=sorting)
    we.set_recording(recording)
    if task == "quality_metrics":
        spost.compute_spike_amplitudes(we, **job)
    start = time.perf_counter()
    if task == "spike_amplitudes":
        result = spost.compute_spike_amplitudes(we, **job)
    else:
        result = sqm.compute_quality_metrics(we)
    return time.perf_counter() - start, _frame_checksum(result)


def _frame_checksum(result) -> float:
    if hasattr(result, "to_numpy"):
        return float(np.nansum(result[["num_spikes", "firing_rate"]].to_numpy(float)))
    if isinstance(result, list):
        return float(sum(np.abs(np.asarray(r, "float64")).sum() for r in result))
    return float(np.abs(np.asarray(result, "float64")).sum())


def worker(argv: list[str]) -> None:
    side, task, data = argv[0], argv[1], Path(argv[2])
    if task == "prepare":
        _prepare_waveforms(side, data, Path(argv[3]))
        print(json.dumps({"seconds": 0.0, "checksum": 0.0}))
        return
    if task in WAVEFORM_TASKS:
        seconds, checksum = _waveform_task(side, task, data, Path(argv[3]))
    else:
        seconds, checksum = _train_task(side, task, data)
    print(json.dumps({"seconds": seconds, "checksum": checksum}))


# --------------------------------------------------------------------------- driver side
def make_trains(folder: Path, num_spikes: int, num_units: int, duration: float) -> None:
    rng = np.random.default_rng(0)
    rates = rng.lognormal(mean=0.0, sigma=1.0, size=num_units)
    labels = rng.choice(num_units, size=num_spikes, p=rates / rates.sum()).astype("int64")
    num_samples = int(FS * duration)
    times = np.sort(rng.integers(0, num_samples, size=num_spikes))
    np.savez(folder / "spikes.npz", times=times, labels=labels, num_samples=num_samples)


def make_waveform_data(folder: Path, num_channels=64, duration=300.0, num_units=100) -> None:
    """Raw int16 traces (noise plus each unit's spikes on nearby channels) and the spikes."""
    rng = np.random.default_rng(1)
    num_samples = int(FS * duration)
    locations = np.column_stack(
        [np.tile([0.0, 32.0], num_channels // 2), np.repeat(np.arange(num_channels // 2) * 20.0, 2)]
    )
    centers = np.column_stack(
        [rng.uniform(0, 32, num_units), rng.uniform(0, locations[:, 1].max(), num_units)]
    )
    distance = np.linalg.norm(locations[None] - centers[:, None], axis=2)
    t = np.arange(90) - 30.0
    shape = -np.exp(-0.5 * (t / 3.0) ** 2) + 0.3 * np.exp(-0.5 * ((t - 15) / 8.0) ** 2)
    amplitude = rng.uniform(50, 300, num_units)[:, None] * np.exp(-distance / 30.0)
    times, labels = [], []
    for unit, rate in enumerate(rng.uniform(1, 12, num_units)):
        train = np.cumsum(
            rng.exponential(FS / rate, int(rate * duration * 1.3)).astype("int64") + 60
        )
        train = train[(train > 100) & (train < num_samples - 100)]
        times.append(train), labels.append(np.full(train.size, unit))
    times, labels = np.concatenate(times), np.concatenate(labels)
    order = np.argsort(times, kind="stable")
    times, labels = times[order], labels[order]
    np.savez(folder / "waveform_spikes.npz", times=times, labels=labels)
    traces = np.memmap(
        folder / "traces.raw", dtype="int16", mode="w+", shape=(num_samples, num_channels)
    )
    block = int(FS * 10)
    for start in range(0, num_samples, block):
        stop = min(num_samples, start + block)
        chunk = rng.normal(0, 10.0, (stop - start, num_channels)).astype("float32")
        first, last = np.searchsorted(times, [start - 60, stop + 30])
        for offset in range(90):
            rows = times[first:last] - 30 + offset - start
            inside = (rows >= 0) & (rows < stop - start)
            np.add.at(chunk, rows[inside], shape[offset] * amplitude[labels[first:last][inside]])
        traces[start:stop] = np.round(chunk / 0.195).astype("int16")
    traces.flush()
    meta = {"num_channels": num_channels, "locations": locations.tolist()}
    (folder / "meta.json").write_text(json.dumps(meta))


def ensure_venv(venv: Path, packages: list[str]) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return python


def run_worker(python: Path, *args) -> dict:
    completed = subprocess.run(
        [str(python), __file__, "--worker", *map(str, args)], capture_output=True, text=True
    )
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-1] if completed.stderr else "failed"
        return {"error": message}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(
    pythons: dict, tasks: list[str], worker_args: dict, repeats: int, si_max: float
) -> dict:
    """``{task: {side: (best seconds or None, checksum, note, runs)}}``, sides alternating."""
    times = {task: {side: [] for side in pythons} for task in tasks}
    notes = {task: {side: "" for side in pythons} for task in tasks}
    sums = {task: {side: None for side in pythons} for task in tasks}
    for repeat in range(repeats):
        order = list(pythons) if repeat % 2 == 0 else list(reversed(pythons))
        for task in tasks:
            for side in order:
                done = times[task][side]
                if notes[task][side] or (done and side != "core" and min(done) > si_max):
                    continue
                result = run_worker(pythons[side], side, task, *worker_args[side])
                if "error" in result:
                    notes[task][side] = result["error"][:70]
                    continue
                done.append(result["seconds"])
                sums[task][side] = result["checksum"]
                print(f"  {task:<22} {side:<13} {result['seconds']:9.3f} s", flush=True)
    return {
        task: {
            side: (
                min(times[task][side]) if times[task][side] else None,
                sums[task][side],
                notes[task][side],
                len(times[task][side]),
            )
            for side in pythons
        }
        for task in tasks
    }


_SIDE_NAMES = {
    "si0100": "SI 0.100.8 (s)",
    "si0100-numba": "SI 0.100.8 + numba (s)",
    "si0105": "SI 0.105.3 (s)",
}


def print_results(title: str, results: dict, sides: list[str]) -> None:
    print(f"\n## {title}\n")
    columns = [_SIDE_NAMES[side] for side in sides if side != "core"]
    header = "| task | SpikeDesk (s) | " + " | ".join(columns) + " | SpikeDesk / fastest SI |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for task, by_side in results.items():
        core_time, core_sum = by_side["core"][0], by_side["core"][1]
        cells, si_times = [], []
        for side in sides:
            if side == "core":
                continue
            best, checksum, note, runs = by_side.get(side, (None, None, "", 0))
            if best is None:
                cells.append(note or "-")
                continue
            si_times.append(best)
            same = checksum is not None and core_sum is not None
            same = same and bool(np.isclose(checksum, core_sum, rtol=1e-9))
            runs_note = "1 run, " if runs == 1 else ""
            cells.append(f"{best:.3f} ({runs_note}{'same' if same else 'other'} result)")
        ratio = f"{core_time / min(si_times):.3f}" if si_times and core_time else "-"
        core_cell = f"{core_time:.3f}" if core_time is not None else by_side["core"][2]
        print(f"| {task} | {core_cell} | " + " | ".join(cells) + f" | {ratio} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spikes", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--duration", type=float, default=3600.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--si-max-seconds", type=float, default=60.0)
    parser.add_argument("--part", choices=["trains", "waveforms", "all"], default="all")
    parser.add_argument("--waveform-duration", type=float, default=300.0, help="seconds")
    parser.add_argument(
        "--tasks", nargs="*", default=None, help=f"subset of {TRAIN_TASKS + WAVEFORM_TASKS}"
    )
    parser.add_argument("--si-venv", type=Path, default=Path("/work/si-venvs/si0100"))
    parser.add_argument("--si-numba-venv", type=Path, default=Path("/work/si-venvs/si0100-extras"))
    parser.add_argument("--si0105-venv", type=Path, default=Path("/work/si-venvs/si0105"))
    parser.add_argument("--folder", type=Path, default=None, help="parent of the temp folder")
    args = parser.parse_args()
    pythons = {
        "core": Path(sys.executable),
        "si0100": ensure_venv(args.si_venv, SI_PACKAGES["si0100"]),
        "si0100-numba": ensure_venv(args.si_numba_venv, SI_PACKAGES["si0100-numba"]),
        "si0105": ensure_venv(args.si0105_venv, SI_PACKAGES["si0105"]),
    }
    with tempfile.TemporaryDirectory(prefix="bench_postprocessing_", dir=args.folder) as tmp:
        data = Path(tmp)
        if args.part in ("trains", "all"):
            make_trains(data, args.spikes, args.units, args.duration)
            print(
                f"{args.spikes / 1e6:g} M spikes, {args.units} units, {args.duration / 3600:g} h at 30 kHz"
            )
            train_sides = {s: pythons[s] for s in ("core", "si0100", "si0105")}
            worker_args = {side: [data] for side in pythons}
            tasks = [task for task in TRAIN_TASKS if task != "rp_violation"]
            results = measure(train_sides, tasks, worker_args, args.repeats, args.si_max_seconds)
            numba_sides = {s: pythons[s] for s in ("core", "si0100-numba")}
            rp = measure(
                numba_sides, ["rp_violation"], worker_args, args.repeats, args.si_max_seconds
            )
            results.update(rp)
            print_results(
                f"Spike trains (best of {args.repeats})",
                results,
                ["core", "si0100", "si0105", "si0100-numba"],
            )
        if args.part in ("waveforms", "all"):
            make_waveform_data(data, duration=args.waveform_duration)
            sides = {s: pythons[s] for s in ("core", "si0100-numba", "si0105")}
            folders = {side: data / f"we_{side}" for side in sides}
            for side, python in sides.items():
                prepared = run_worker(python, side, "prepare", data, folders[side])
                if "error" in prepared:
                    print(f"  prepare {side}: {prepared['error']}")
            worker_args = {side: [data, folders[side]] for side in sides}
            chosen = [t for t in WAVEFORM_TASKS if args.tasks is None or t in args.tasks]
            results = measure(sides, chosen, worker_args, args.repeats, args.si_max_seconds)
            print_results(
                f"Waveform folder: 64 channels, {args.waveform_duration:g} s, 100 units "
                f"(best of {args.repeats})",
                results,
                ["core", "si0100-numba", "si0105"],
            )


if __name__ == "__main__":
    main()
