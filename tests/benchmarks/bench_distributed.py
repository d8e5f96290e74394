"""Benchmark: chunked jobs on a Dask cluster (``pool_engine="dask"``) against the process pool.

Data: the recording of ``bench_waveforms.py`` (384-channel int16 at 30 kHz, Neuropixels-like
probe) with fewer units (``--units``, ~5 Hz each), written to a raw file.

1. Cluster start-up, reported apart: ``LocalCluster(n_workers=W, threads_per_worker=1,
   processes=True)`` plus a ``Client``, then the first job's extra cost (workers import SpikeDesk).
2. The same jobs on ``W`` workers: a binary save (1 s chunks) and ``extract_waveforms`` (dense,
   500 spikes per unit, into a folder), by SpikeDesk's process pool (``n_jobs=W``), by SpikeDesk
   on the warm LocalCluster, and by SpikeInterface 0.100.8 and 0.105.3 with ``n_jobs=W`` (their
   process pools; SpikeInterface has no Dask engine), each in its own virtual environment. Best
   of ``--repeat``, the order alternating; ratios are against the faster SpikeInterface.
3. Per-task overhead: the save of the first ``--sweep-seconds`` with chunk durations from 20 ms
   to 1 s, on the cluster and on the process pool. A straight line ``seconds = a + b * tasks``
   fitted to each gives ``b``, the wall time each extra task costs with ``W`` workers, and
   ``b * W``, its cost in worker time. Near-empty tasks (one sample read each) give the
   cluster's task rate when tasks cost nothing.
4. What the figures predict for a cluster of ``--nodes`` nodes with ``--node-workers`` workers
   each, for a one-hour Neuropixels recording (83 GB), ignoring storage (the model says how
   fast shared storage must be for the workers to be the limit).

Run it under the machine's benchmark lock:
``flock /work/bench.lock python tests/benchmarks/bench_distributed.py [--duration 30]
[--units 20] [--workers 2] [--repeat 3] [--folder DIR] [--si0100 PY] [--si0105 PY]``
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
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_waveforms

NUM_CHANNELS = bench_waveforms.NUM_CHANNELS
SAMPLING_FREQUENCY = bench_waveforms.SAMPLING_FREQUENCY
GAIN = bench_waveforms.GAIN
MAX_SPIKES = 500
SWEEP_CHUNKS_S = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
NEAR_EMPTY_TASKS = 1000
SI_VENVS = {
    "SI 0.100.8": (
        Path("/work/si-venvs/si0100"),
        ("spikeinterface==0.100.8", "numpy==1.26.4", "zarr==2.17.2", "numcodecs==0.12.1"),
    ),
    "SI 0.105.3": (
        Path("/work/si-venvs/si0105"),
        ("spikeinterface==0.105.3", "numpy>=2", "zarr==2.18.3"),
    ),
}
HOUR_BYTES = 3600 * SAMPLING_FREQUENCY * NUM_CHANNELS * 2


# --------------------------------------------------------------------------- shared set-up
def load(si, data: Path):
    """The recording (with probe and gains) and the sorting, with the ``si`` module given."""
    from probeinterface import Probe

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
    probe.set_contacts(
        bench_waveforms.channel_locations(), shapes="square", shape_params={"width": 12}
    )
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    # SpikeInterface 0.105 sets the probe in place (and returns None); 0.100 returns a copy
    recording = recording.set_probe(probe) or recording
    spikes = np.load(data / "spikes.npz")
    if hasattr(si.NumpySorting, "from_samples_and_labels"):
        sorting = si.NumpySorting.from_samples_and_labels(
            [spikes["times"]], [spikes["labels"]], SAMPLING_FREQUENCY
        )
    else:
        sorting = si.NumpySorting.from_times_labels(
            [spikes["times"]], [spikes["labels"]], SAMPLING_FREQUENCY
        )
    return recording, sorting


# --------------------------------------------------------------------------- SpikeInterface side
def run_spikeinterface(job: str, data: Path, work: Path, n_jobs: int) -> float:
    """One job with SpikeInterface's process pool (in its own venv); the seconds it took."""
    import spikeinterface.core as si

    recording, sorting = load(si, data)
    job_kwargs = {"n_jobs": n_jobs, "chunk_duration": "1s", "progress_bar": False}
    start = time.perf_counter()
    if job == "save":
        recording.save(folder=work / "saved", **job_kwargs)
    elif hasattr(si, "create_sorting_analyzer"):  # 0.105: the SortingAnalyzer way
        analyzer = si.create_sorting_analyzer(
            sorting, recording, format="binary_folder", folder=work / "wf", sparse=False
        )
        analyzer.compute("random_spikes", max_spikes_per_unit=MAX_SPIKES, seed=0)
        analyzer.compute("waveforms", ms_before=1.0, ms_after=2.0, **job_kwargs)
        analyzer.compute("templates", operators=["average"])
    else:
        si.extract_waveforms(
            recording,
            sorting,
            folder=work / "wf",
            sparse=False,
            max_spikes_per_unit=MAX_SPIKES,
            seed=0,
            **job_kwargs,
        )
    return time.perf_counter() - start


def spikeinterface_seconds(python: Path, job: str, data: Path, work: Path, n_jobs: int) -> float:
    output = subprocess.run(
        [str(python), __file__, "--si-run", job, "--data", str(data), "--work", str(work),
         "--workers", str(n_jobs)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if output.returncode != 0:
        raise RuntimeError(f"{python} {job} failed:\n{output.stderr[-3000:]}")
    return float(json.loads(output.stdout.strip().splitlines()[-1])["seconds"])


def ensure_venv(venv: Path, packages: tuple[str, ...]) -> Path:
    """Python of ``venv``, created with ``packages`` if missing."""
    python = venv / "bin" / "python"
    if not python.is_file():
        print(f"creating {venv} with {', '.join(packages)}...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return python


# --------------------------------------------------------------------------- SpikeDesk side
def run_spikedesk(
    si, job: str, data: Path, work: Path, engine_kwargs: dict, chunk="1s", seconds=None
):
    """One job with SpikeDesk in this process; the seconds it took and the chunks it ran."""
    recording, sorting = load(si, data)
    if seconds is not None:
        recording = recording.frame_slice(0, int(seconds * SAMPLING_FREQUENCY))
    kwargs = {"chunk_duration": chunk, "progress_bar": False, **engine_kwargs}
    chunks = []
    start = time.perf_counter()
    if job == "save":
        recording.save(
            folder=work / "saved",
            verbose=False,
            progress_callback=lambda done, total: chunks.append(total),
            **kwargs,
        )
    else:
        si.extract_waveforms(
            recording,
            sorting,
            folder=work / "wf",
            sparse=False,
            max_spikes_per_unit=MAX_SPIKES,
            seed=0,
            progress_callback=lambda done, total: chunks.append(total),
            **kwargs,
        )
    return time.perf_counter() - start, chunks[-1] if chunks else 0


def fresh(work: Path) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.sync()  # no run pays for the previous run's dirty pages
    return work


def fit_line(tasks: list[int], seconds: list[float]) -> tuple[float, float]:
    """Least-squares ``seconds = a + b * tasks``; returns ``(a, b)``."""
    b, a = np.polyfit(np.asarray(tasks, float), np.asarray(seconds, float), 1)
    return float(a), float(b)


def near_empty_task_rate(client, data: Path, count: int) -> float:
    """Tasks per second when each task reads one sample (the engine's own cost)."""
    import core as si
    from core.jobs.dask_engine import run_chunks_on_dask
    from core.recording.tools import _init_random_chunk_reader, _read_random_chunk

    recording, _ = load(si, data)
    chunks = [(0, index, index + 1) for index in range(count)]
    start = time.perf_counter()
    run_chunks_on_dask(
        chunks,
        _read_random_chunk,
        _init_random_chunk_reader,
        (recording, False),
        lambda result: None,
        lambda: None,
        job_name="near_empty",
        dask_client=client,
    )
    return count / (time.perf_counter() - start)


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sweep-seconds", type=float, default=10.0)
    parser.add_argument("--nodes", type=int, default=16)
    parser.add_argument("--node-workers", type=int, default=8)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--si0100", type=Path, default=SI_VENVS["SI 0.100.8"][0])
    parser.add_argument("--si0105", type=Path, default=SI_VENVS["SI 0.105.3"][0])
    parser.add_argument("--si-run", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.si_run:
        seconds = run_spikeinterface(args.si_run, args.data, args.work, args.workers)
        print(json.dumps({"seconds": seconds}))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from distributed import Client, LocalCluster

    import core as si

    pythons = {
        "SI 0.100.8": ensure_venv(args.si0100, SI_VENVS["SI 0.100.8"][1]),
        "SI 0.105.3": ensure_venv(args.si0105, SI_VENVS["SI 0.105.3"][1]),
    }
    workers = args.workers
    folder = Path(tempfile.mkdtemp(dir=args.folder, prefix="bench_distributed_"))
    try:
        data = folder / "data"
        data.mkdir()
        bench_waveforms.NUM_UNITS = args.units
        print(
            f"writing {args.duration:.0f} s x {NUM_CHANNELS} channels int16 "
            f"({args.duration * SAMPLING_FREQUENCY * NUM_CHANNELS * 2 / 1e9:.2f} GB), "
            f"{args.units} units at ~{bench_waveforms.FIRING_RATE:g} Hz..."
        )
        bench_waveforms.make_data(data, args.duration)
        work = folder / "work"

        # 1. start-up
        start = time.perf_counter()
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        startup = time.perf_counter() - start
        dask = {"pool_engine": "dask", "dask_client": client}
        first, _ = run_spikedesk(si, "save", data, fresh(work), dask, seconds=1.0)
        again, _ = run_spikedesk(si, "save", data, fresh(work), dask, seconds=1.0)
        print(f"\nLocalCluster({workers} workers x 1 thread, processes) + Client: {startup:.2f} s")
        print(f"first job's extra cost (workers import SpikeDesk): {first - again:.2f} s")

        # 2. the same jobs
        engines = {
            "SpikeDesk processes": {"n_jobs": workers, "pool_engine": "process"},
            "SpikeDesk Dask": dask,
        }
        names = [*engines, *pythons]
        print(
            f"\nsame jobs on {workers} workers, best of {args.repeat} (order alternating); "
            "ratio = faster SpikeInterface / this"
        )
        print(f"{'job':<22}" + "".join(f"{name:>21}" for name in names))
        rates = {}
        for job in ("save", "extract"):
            runs: dict[str, list[float]] = {name: [] for name in names}
            chunk_counts = {}
            for repeat in range(args.repeat):
                order = names if repeat % 2 == 0 else names[::-1]
                for name in order:
                    if name in engines:
                        seconds, count = run_spikedesk(si, job, data, fresh(work), engines[name])
                        chunk_counts[name] = count
                        if job == "extract":
                            waveforms = (work / "wf" / "waveforms").glob("waveforms_*.npy")
                            waveform_bytes = sum(path.stat().st_size for path in waveforms)
                    else:
                        seconds = spikeinterface_seconds(
                            pythons[name], job, data, fresh(work), workers
                        )
                    runs[name].append(seconds)
            best = {name: min(values) for name, values in runs.items()}
            fastest_si = min(best[name] for name in pythons)
            label = "binary save" if job == "save" else "extract_waveforms"
            print(
                f"{label:<22}"
                + "".join(
                    f"{best[name]:>12.2f} s ({fastest_si / best[name]:.2f}x)" for name in names
                )
            )
            rates[job] = {name: (best[name], chunk_counts.get(name)) for name in engines}

        # 3. per-task overhead
        print(f"\nper-task overhead: save of the first {args.sweep_seconds:g} s, chunk sweep")
        print(f"{'chunk':>8}{'tasks':>7}{'processes s':>13}{'Dask s':>9}")
        sweep = {name: ([], []) for name in engines}
        for chunk in SWEEP_CHUNKS_S:
            row = []
            for name, engine in engines.items():
                seconds = min(
                    run_spikedesk(
                        si, "save", data, fresh(work), engine, f"{chunk}s", args.sweep_seconds
                    )[0]
                    for _ in range(args.repeat)
                )
                tasks = int(np.ceil(args.sweep_seconds / chunk))
                sweep[name][0].append(tasks)
                sweep[name][1].append(seconds)
                row.append(seconds)
            print(f"{chunk * 1000:>6.0f}ms{tasks:>7}{row[0]:>13.3f}{row[1]:>9.3f}")
        overhead = {}
        for name, (tasks, seconds) in sweep.items():
            a, b = fit_line(tasks, seconds)
            overhead[name] = b * workers
            print(
                f"{name}: seconds = {a:.3f} + {b * 1000:.2f} ms x tasks -> "
                f"{b * workers * 1000:.2f} ms of worker time per task"
            )
        rate = near_empty_task_rate(client, data, NEAR_EMPTY_TASKS)
        print(f"near-empty Dask tasks: {rate:.0f} tasks/s on {workers} workers")

        # 4. prediction
        total = args.nodes * args.node_workers
        save_s, save_chunks = rates["save"]["SpikeDesk Dask"]
        work_per_chunk = save_s * workers / save_chunks - overhead["SpikeDesk Dask"]
        chunks_per_hour = 3600
        hour_s = chunks_per_hour * (work_per_chunk + overhead["SpikeDesk Dask"]) / total
        print(
            f"\nprediction, {args.nodes} nodes x {args.node_workers} workers ({total}), one hour "
            f"of Neuropixels ({HOUR_BYTES / 1e9:.0f} GB, {chunks_per_hour} 1 s tasks), save:"
        )
        print(
            f"  per 1 s chunk: {work_per_chunk * 1000:.0f} ms of work + "
            f"{overhead['SpikeDesk Dask'] * 1000:.1f} ms of Dask overhead per task"
        )
        print(
            f"  workers-bound: {hour_s:.1f} s ({HOUR_BYTES / 1e9 / hour_s:.1f} GB/s read and "
            f"written: shared storage slower than this is the limit)"
        )
        print(
            f"  scheduler-bound: {chunks_per_hour / rate:.1f} s at {rate:.0f} tasks/s "
            "(measured on this machine; the scheduler is one process)"
        )
        extract_s = rates["extract"]["SpikeDesk Dask"][0]
        print(
            f"extraction: {waveform_bytes / 1e6:.0f} MB of waveforms written in {extract_s:.2f} s "
            f"({waveform_bytes / 1e6 / extract_s:.0f} MB/s; the workers write the pages they own, "
            "this process only the partial pages that chunks share)"
        )
        client.close()
        cluster.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
