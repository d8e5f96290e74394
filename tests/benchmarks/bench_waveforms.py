"""Benchmark: waveform extraction, SpikeDesk vs SpikeInterface 0.100.8 and 0.105.3.

A 384-channel int16 recording (20 s at 30 kHz by default, Neuropixels-like two-column probe,
gain 0.195 µV) with 100 units firing at ~5 Hz is written as a raw file plus an npz of spikes
(none within 100 samples of the ends). Each side opens it (``read_binary`` + a ``NumpySorting``)
and extracts the waveforms of at most 500 spikes per unit (so: all of them), 1 ms before and
2 ms after, scaled to µV, with the average templates, dense or sparse (radius 100 µm; the same
sparsity, computed once, is given to every side), into a folder or in memory, with ``n_jobs`` 1
and 2 (1 s chunks), each side with its default pool (SpikeDesk: threads; SpikeInterface:
processes):

- SpikeDesk and SpikeInterface 0.100.8: ``extract_waveforms(..., seed=0)``, ``mode="folder"``
  or ``"memory"``;
- SpikeInterface 0.105.3 (no WaveformExtractor): ``create_sorting_analyzer(format=
  "binary_folder" or "memory", sparsity=..., main_channel_indices=...)`` (the main channels are
  given, so that it does not traverse the recording to estimate them) and
  ``compute("random_spikes", max_spikes_per_unit=500, seed=0)``, ``compute("waveforms")``,
  ``compute("templates", operators=["average"])``.

Every run is a fresh subprocess (SpikeInterface in its own virtual environment, created if
missing); the order of the sides rotates from round to round; the best of ``--repeat`` rounds is
kept, with the peak memory of the process tree over all rounds (polled from this process; RSS
counts mapped pages of the source file, private memory is what the processes allocated).
``equal`` says that the three sides gave identical waveforms (sha256 of the waveforms of a few
units, read back through each side's API).

Usage: ``flock /work/bench.lock python tests/benchmarks/bench_waveforms.py [--duration 20]
[--folder DIR] [--repeat 3] [--only sparse] [--si0100-venv DIR] [--si0105-venv DIR]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from si_compare import (
    MEASURING,
    SIDES,
    add_venv_options,
    baseline_mb,
    best_of,
    header,
    import_like_spikeinterface,
    measure,
    pythons,
    remove,
    row,
    side_order,
)

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
NUM_UNITS = 100
FIRING_RATE = 5.0
GAIN = 0.195
MAX_SPIKES = 500
RADIUS_UM = 100.0
BORDER = 100
DIGEST_UNITS = (0, 37, 99)
CONFIGS = [
    (sparse, mode, n_jobs)
    for sparse in (False, True)
    for mode in ("folder", "memory")
    for n_jobs in (1, 2)
]


# --------------------------------------------------------------------------- data
def channel_locations() -> np.ndarray:
    """Neuropixels-like: two columns 32 µm apart, 20 µm rows, staggered by 16 µm."""
    rows = np.arange(NUM_CHANNELS) // 2
    columns = np.arange(NUM_CHANNELS) % 2
    x = columns * 32.0 + np.where(rows % 2 == 0, 16.0, 0.0)
    return np.column_stack([x, rows * 20.0])


def make_data(folder: Path, duration: float) -> None:
    """Write ``traces.raw`` (int16), ``spikes.npz`` and ``sparsity.json``."""
    rng = np.random.default_rng(0)
    num_samples = int(duration * SAMPLING_FREQUENCY)
    locations = channel_locations()
    unit_y = rng.uniform(100, locations[:, 1].max() - 100, NUM_UNITS)
    unit_x = rng.uniform(0, 48, NUM_UNITS)
    distances = np.hypot(
        locations[None, :, 0] - unit_x[:, None], locations[None, :, 1] - unit_y[:, None]
    )
    t = np.arange(90) - 30
    shape = -np.exp(-0.5 * (t / 4.0) ** 2) + 0.35 * np.exp(-0.5 * ((t - 12) / 8.0) ** 2)
    amplitude = rng.uniform(300, 900, NUM_UNITS)[:, None] / (1 + (distances / 35.0) ** 2)
    templates = (shape[None, :, None] * amplitude[:, None, :]).astype("float32")  # raw units

    times, labels = [], []
    for unit in range(NUM_UNITS):
        count = rng.poisson(FIRING_RATE * duration)
        # no spike within BORDER samples of the ends: SpikeInterface 0.100 drops such spikes
        # when sampling, 0.105 keeps them (zero padded); here all three cut the same spikes
        train = np.unique(rng.integers(BORDER, num_samples - BORDER, count))
        times.append(train)
        labels.append(np.full(train.size, unit))
    times, labels = np.concatenate(times), np.concatenate(labels)
    order = np.argsort(times, kind="stable")
    times, labels = times[order], labels[order]
    np.savez(folder / "spikes.npz", times=times, labels=labels)

    block = int(SAMPLING_FREQUENCY)
    with open(folder / "traces.raw", "wb") as file:
        for start in range(0, num_samples, block):
            stop = min(start + block, num_samples)
            chunk = rng.normal(0, 20, size=(stop - start + 90, NUM_CHANNELS)).astype("float32")
            inside = (times >= start - 60) & (times < stop + 30)
            for time_, unit in zip(times[inside], labels[inside]):
                begin = time_ - 30 - start + 60
                lo, hi = max(begin, 0), min(begin + 90, chunk.shape[0])
                chunk[lo:hi] += templates[unit][lo - begin : hi - begin]
            file.write(chunk[60 : 60 + stop - start].astype("int16").tobytes())

    # the sparsity both sides get: channels within RADIUS_UM of the template's peak channel
    peak = np.argmax(amplitude, axis=1)
    mask = np.linalg.norm(locations[peak][:, None] - locations[None], axis=2) <= RADIUS_UM
    sparsity = {
        "unit_id_to_channel_ids": {
            str(u): np.flatnonzero(mask[u]).tolist() for u in range(NUM_UNITS)
        },
        "channel_ids": list(range(NUM_CHANNELS)),
        "unit_ids": list(range(NUM_UNITS)),
        "main_channel_indices": peak.tolist(),
    }
    (folder / "sparsity.json").write_text(json.dumps(sparsity))


# --------------------------------------------------------------------------- one run
def digest(waveforms_of_unit) -> str:
    """sha256 over the waveforms of a few units."""
    sha = hashlib.sha256()
    for unit_id in DIGEST_UNITS:
        sha.update(np.ascontiguousarray(waveforms_of_unit(unit_id), dtype="float32").tobytes())
    return sha.hexdigest()


def open_data(si, data: Path):
    """The recording (with its probe) and sorting of the benchmark, built by ``si``."""
    from probeinterface import Probe

    spikes = np.load(data / "spikes.npz")
    recording = si.read_binary(
        data / "traces.raw",
        SAMPLING_FREQUENCY,
        "int16",
        num_channels=NUM_CHANNELS,
        gain_to_uV=GAIN,
        offset_to_uV=0.0,
        is_filtered=True,
    )
    probe = Probe(ndim=2)
    probe.set_contacts(channel_locations(), shapes="square", shape_params={"width": 12})
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    with_probe = recording.set_probe(probe)  # SpikeInterface 0.105: in place, returns None
    recording = recording if with_probe is None else with_probe
    from_labels = getattr(si.NumpySorting, "from_samples_and_labels", None)
    if from_labels is None:  # before 0.101
        from_labels = si.NumpySorting.from_times_labels
    sorting = from_labels([spikes["times"]], [spikes["labels"]], SAMPLING_FREQUENCY)
    return recording, sorting


def run_one(side: str, sparse: bool, mode: str, n_jobs: int, data: Path, work: Path) -> dict:
    """One extraction in this process, by ``side``'s library."""
    if side == "spikedesk":
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        import core as si
    else:
        import spikeinterface.core as si
    description = json.loads((data / "sparsity.json").read_text())
    main_channels = np.array(description.pop("main_channel_indices"))
    job = {"n_jobs": n_jobs, "chunk_duration": "1s", "progress_bar": False}
    if side == "spikedesk":
        import_like_spikeinterface(
            si, ("read_binary", "NumpySorting", "ChannelSparsity", "extract_waveforms")
        )
    baseline_rss, baseline_private = baseline_mb()
    marker = work / MEASURING
    marker.touch()
    start = time.perf_counter()
    recording, sorting = open_data(si, data)
    sparsity = si.ChannelSparsity.from_dict(description) if sparse else None
    if side == "si0105":
        analyzer = si.create_sorting_analyzer(
            sorting,
            recording,
            format="binary_folder" if mode == "folder" else "memory",
            folder=work / "analyzer" if mode == "folder" else None,
            sparse=False,
            sparsity=sparsity,
            main_channel_indices=main_channels,
            return_in_uV=True,
            job_kwargs=job,
        )
        analyzer.compute("random_spikes", max_spikes_per_unit=MAX_SPIKES, seed=0)
        analyzer.compute("waveforms", ms_before=1.0, ms_after=2.0, **job)
        analyzer.compute("templates", operators=["average"])
        seconds = time.perf_counter() - start
        extension = analyzer.get_extension("waveforms")
        result = digest(lambda u: extension.get_waveforms_one_unit(u, force_dense=False))
    else:
        we = si.extract_waveforms(
            recording,
            sorting,
            folder=work / "wf" if mode == "folder" else None,
            mode=mode,
            sparse=False,
            sparsity=sparsity,
            max_spikes_per_unit=MAX_SPIKES,
            seed=0,
            **job,
        )
        seconds = time.perf_counter() - start
        result = digest(lambda u: we.get_waveforms(u))
    marker.unlink()
    return {
        "seconds": seconds,
        "baseline_rss_mb": baseline_rss,
        "baseline_private_mb": baseline_private,
        "digest": result,
    }


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=None, help="configurations whose name contains this")
    add_venv_options(parser)
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sparse", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="folder", help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:
        result = run_one(args.run, bool(args.sparse), args.mode, args.n_jobs, args.data, args.work)
        print(json.dumps(result))
        return

    interpreters = pythons(args)
    folder = Path(tempfile.mkdtemp(dir=args.folder, prefix="bench_waveforms_"))
    script = str(Path(__file__).resolve())
    try:
        data = folder / "data"
        data.mkdir()
        make_data(data, args.duration)
        # virtual machines may back guest memory lazily: touch it once so that no side pays
        # for first use of the RAM the dense runs need (where the VM hands freed memory back to
        # its host this does not last, and every side pays a host fault on first use)
        subprocess.run([sys.executable, "-c", "import numpy; numpy.ones(10**9).sum()"], check=True)
        print(
            f"{args.duration:g} s x {NUM_CHANNELS} channels int16 "
            f"({args.duration * SAMPLING_FREQUENCY * NUM_CHANNELS * 2 / 1e9:.2f} GB), "
            f"{NUM_UNITS} units at ~{FIRING_RATE:g} Hz; best of {args.repeat}, sides in rotating "
            "order; speed-up = faster SpikeInterface / SpikeDesk; memory = peak above the "
            "process baseline (RSS counts mapped source pages; private = anonymous + shm)",
            flush=True,
        )
        width = 24
        print(header("configuration", width), flush=True)
        for sparse, mode, n_jobs in CONFIGS:
            name = f"{'sparse' if sparse else 'dense'} {mode} n_jobs={n_jobs}"
            if args.only and args.only not in name:
                continue
            runs = {side: [] for side in SIDES}
            for round_index in range(args.repeat):
                for side in side_order(round_index):
                    work = folder / "work"
                    arguments = ["--run", side, "--sparse", str(int(sparse)), "--mode", mode]
                    arguments += ["--n-jobs", str(n_jobs), "--data", str(data)]
                    arguments += ["--work", str(work)]
                    try:
                        runs[side].append(measure(interpreters[side], script, arguments, work))
                    finally:
                        remove(work)
            sides = {side: best_of(side_runs) for side, side_runs in runs.items()}
            equal = len({sides[s]["digest"] for s in SIDES}) == 1
            print(row(name, width, sides, "yes" if equal else "NO"), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
