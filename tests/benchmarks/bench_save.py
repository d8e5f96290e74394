"""Benchmark: saving a large 384-channel int16 memmapped recording.

Prints binary-save throughput (n_jobs 1 and 2, threads and processes), zarr-save throughput and
compression ratio, and a plain copy of the same bytes (the physical limit), each with the peak
resident memory of the process that did it. Every configuration runs in a fresh subprocess so that
peak memory is its own.

Usage: ``python tests/benchmarks/bench_save.py [--size-gb 1.2] [--folder DIR] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
CONFIGS = {
    "copy (shutil.copyfile)": {},
    "binary n_jobs=1": {"format": "binary", "n_jobs": 1},
    "binary n_jobs=2 threads": {"format": "binary", "n_jobs": 2, "pool_engine": "thread"},
    "binary n_jobs=2 processes": {"format": "binary", "n_jobs": 2, "pool_engine": "process"},
    "zarr n_jobs=1": {"format": "zarr", "n_jobs": 1},
    "zarr n_jobs=2 threads": {"format": "zarr", "n_jobs": 2, "pool_engine": "thread"},
}


def make_source(path: Path, size_gb: float) -> None:
    """Write ephys-like int16 data: correlated noise plus sparse spikes, in 1 s blocks."""
    rng = np.random.default_rng(0)
    num_samples = int(size_gb * 1e9 / (NUM_CHANNELS * 2))
    block = int(SAMPLING_FREQUENCY)
    with open(path, "wb") as file:
        for start in range(0, num_samples, block):
            n = min(block, num_samples - start)
            common = rng.normal(0, 8, size=(n, 1))
            noise = rng.normal(0, 15, size=(n, NUM_CHANNELS)) + common
            spikes = rng.random((n, NUM_CHANNELS)) < 2e-4
            noise[spikes] -= 120
            file.write(noise.astype("int16").tobytes())


class TreeMemorySampler(threading.Thread):
    """Polls the resident memory of this process plus its child processes (every 5 ms).

    ``ru_maxrss`` cannot be used: Linux carries it across ``exec``, so a subprocess would report
    its parent's peak.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self._stop_event = threading.Event()

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        children = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children += [int(c) for c in (task / "children").read_text().split()]
            except FileNotFoundError:
                pass
        return children

    def current_mb(self) -> float:
        pids, total = [os.getpid()], 0
        while pids:
            pid = pids.pop()
            total += self._rss_kb(pid)
            pids += self._children(pid)
        return total / 1024

    def run(self) -> None:
        while not self._stop_event.wait(0.005):
            self.peak_mb = max(self.peak_mb, self.current_mb())

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak_mb


def run_one(name: str, source: Path, target: Path) -> dict:
    """Run configuration ``name`` in this process; return its figures."""
    import core as si

    config = dict(CONFIGS[name])
    size_bytes = source.stat().st_size
    sampler = TreeMemorySampler()
    baseline = sampler.current_mb()
    sampler.start()
    start = time.perf_counter()
    if not config:
        shutil.copyfile(source, target)
        ratio = 1.0
    else:
        recording = si.read_binary(source, SAMPLING_FREQUENCY, "int16", num_channels=NUM_CHANNELS)
        saved = recording.save(
            folder=target, chunk_duration="1s", progress_bar=False, verbose=False, **config
        )
        ratio = saved.get_annotation("compression_ratio") or 1.0
    elapsed = time.perf_counter() - start
    peak = sampler.stop()
    return {
        "name": name,
        "seconds": elapsed,
        "mb_per_s": size_bytes / 1e6 / elapsed,
        "compression_ratio": ratio,
        "peak_mb": peak,
        "baseline_mb": baseline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-gb", type=float, default=1.2)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:
        target = args.folder / "target"
        print(json.dumps(run_one(args.run, args.source, target)))
        return

    folder = Path(tempfile.mkdtemp(dir=args.folder, prefix="bench_save_"))
    try:
        source = folder / "source.raw"
        print(f"writing a {args.size_gb:.2f} GB {NUM_CHANNELS}-channel int16 source file...")
        make_source(source, args.size_gb)
        size_gb = source.stat().st_size / 1e9
        duration = source.stat().st_size / (NUM_CHANNELS * 2) / SAMPLING_FREQUENCY
        print(
            f"source: {size_gb:.2f} GB, {duration:.0f} s at 30 kHz; chunks of 1 s "
            f"({NUM_CHANNELS * 2 * SAMPLING_FREQUENCY / 1e6:.1f} MB)"
        )
        results = []
        for name in CONFIGS:
            runs = []
            for _ in range(args.repeat):
                work = folder / "work"
                work.mkdir()
                output = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--run",
                        name,
                        "--source",
                        str(source),
                        "--folder",
                        str(work),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs.append(json.loads(output.stdout.strip().splitlines()[-1]))
                shutil.rmtree(work)
            best = max(runs, key=lambda r: r["mb_per_s"])
            best["peak_mb"] = max(r["peak_mb"] for r in runs)
            results.append(best)
        copy_rate = results[0]["mb_per_s"]
        print(
            f"best of {args.repeat} runs; memory = peak resident memory of the process tree "
            "above its import baseline (file pages mapped from the source count)"
        )
        print(
            f"\n{'configuration':<28}{'MB/s':>9}{'% of copy':>11}{'ratio':>8}"
            f"{'peak MB':>9}{'(baseline)':>11}"
        )
        for result in results:
            print(
                f"{result['name']:<28}{result['mb_per_s']:>9.0f}"
                f"{100 * result['mb_per_s'] / copy_rate:>10.0f}%"
                f"{result['compression_ratio']:>8.2f}"
                f"{result['peak_mb'] - result['baseline_mb']:>9.0f}"
                f"{result['baseline_mb']:>11.0f}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
