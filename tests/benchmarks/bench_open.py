"""Benchmark: opening a 50 GB SpikeGLX recording and reading 1 s windows of it.

The recording is a sparse ``.ap.bin`` (385 channels including the sync word, made with
``truncate``: it takes no disk space and reads as zeros) with a valid ``.ap.meta``. Each
measurement runs in a fresh subprocess so that its memory is its own:

- open: time of ``read_spikeglx(folder, stream_id="imec0.ap")``, then of reading one 1 s window
  of the 384 channels; resident memory after the imports and peak resident memory (VmHWM); then
  the file memory still resident (RssFile) after a long scroll through the file.
- throughput: copies of random 1 s windows of the 384 channels through ``get_traces`` and through
  a bare ``np.memmap`` of the same file (and, for reference, neo's ``get_analogsignal_chunk``).
  Before each round the round's windows are read once with ``pread``, so every reader finds the
  same pages in the page cache and none in its own mapping; the order of the readers rotates
  from round to round. Medians over rounds are printed.

Targets: open < 1 s, peak memory < 300 MB, throughput >= 90 % of the bare memmap.

Usage: ``python tests/benchmarks/bench_open.py [--size-gb 50] [--folder DIR] [--windows 40]
[--rounds 15]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

NUM_CHANNELS = 384
FRAME_BYTES = 385 * 2
SCROLL_WINDOWS = 200


def status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_open(folder: Path) -> dict:
    from core.formats import read_spikeglx

    baseline = status_mb("VmRSS")
    started = time.perf_counter()
    recording = read_spikeglx(folder, stream_id="imec0.ap")
    opened = time.perf_counter()
    fs = int(recording.sampling_frequency)
    start = recording.get_num_samples() // 2
    window = np.array(recording.get_traces(start_frame=start, end_frame=start + fs))
    read = time.perf_counter()
    peak_rss = status_mb("VmHWM")
    for offset in range(SCROLL_WINDOWS):  # a long scroll: the map must not keep what it read
        s = offset * fs
        np.array(recording.get_traces(start_frame=s, end_frame=s + fs))
    return {
        "open_s": opened - started,
        "first_window_s": read - opened,
        "window_shape": list(window.shape),
        "rss_after_imports_mb": baseline,
        "peak_rss_mb": peak_rss,
        "scroll_rss_file_mb": status_mb("RssFile"),
    }


def child_throughput(folder: Path, windows: int, rounds: int) -> dict:
    from core.formats import read_spikeglx

    recording = read_spikeglx(folder, stream_id="imec0.ap")
    bin_path = next(folder.rglob("*.ap.bin"))
    num_samples = recording.get_num_samples()
    fs = int(recording.sampling_frequency)
    bare = np.memmap(bin_path, dtype="int16", mode="r", shape=(num_samples, 385))
    rawio = recording.neo_reader
    readers = {
        "np.memmap": lambda s: bare[s : s + fs, :NUM_CHANNELS],
        "get_traces": lambda s: recording.get_traces(start_frame=s, end_frame=s + fs),
        "neo chunk": lambda s: rawio.get_analogsignal_chunk(0, 0, s, s + fs, 0),
    }
    rng = np.random.default_rng(0)
    rates = {name: [] for name in readers}
    fd = os.open(bin_path, os.O_RDONLY)
    for round_index in range(rounds):
        starts = [int(s) for s in rng.integers(0, num_samples - fs, windows)]
        for s in starts:  # the same cached pages for every reader
            os.pread(fd, fs * FRAME_BYTES, s * FRAME_BYTES)
        names = list(readers)
        names = names[round_index % 3 :] + names[: round_index % 3]
        for name in names:
            started = time.perf_counter()
            for s in starts:
                np.array(readers[name](s))
            elapsed = time.perf_counter() - started
            rates[name].append(windows * fs * NUM_CHANNELS * 2 / elapsed / 1e6)
    os.close(fd)
    return {name: statistics.median(values) for name, values in rates.items()}


def run_child(args: list[str]) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=50.0)
    parser.add_argument("--folder", type=Path, default=None, help="where to make the file")
    parser.add_argument("--windows", type=int, default=40, help="1 s windows per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--child", choices=["open", "throughput"], help=argparse.SUPPRESS)
    parser.add_argument("--run-folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "open":
        print(json.dumps(child_open(args.run_folder)))
        return
    if args.child == "throughput":
        print(json.dumps(child_throughput(args.run_folder, args.windows, args.rounds)))
        return

    from tests.core.formats.raw_writers import write_sparse_spikeglx

    base = Path(tempfile.mkdtemp(dir=args.folder))
    try:
        run_folder = write_sparse_spikeglx(base, int(args.size_gb * 1e9))
        print(f"{args.size_gb:g} GB sparse SpikeGLX file (385 channels) in {run_folder}")
        opened = run_child(["--child", "open", "--run-folder", str(run_folder)])
        print(
            f"open: {opened['open_s'] * 1e3:.1f} ms (target < 1000 ms); first 1 s window "
            f"{opened['window_shape']}: {opened['first_window_s'] * 1e3:.1f} ms"
        )
        print(
            f"memory: {opened['rss_after_imports_mb']:.0f} MB after imports, peak "
            f"{opened['peak_rss_mb']:.0f} MB (target < 300 MB)"
        )
        print(
            f"after reading {SCROLL_WINDOWS} more 1 s windows in a row "
            f"({SCROLL_WINDOWS * 30000 * FRAME_BYTES / 1e9:.1f} GB): "
            f"{opened['scroll_rss_file_mb']:.0f} MB of the file resident in the process"
        )
        rates = run_child(
            [
                "--child",
                "throughput",
                "--run-folder",
                str(run_folder),
                "--windows",
                str(args.windows),
                "--rounds",
                str(args.rounds),
            ]
        )
        bare = rates["np.memmap"]
        for name, rate in rates.items():
            print(f"{name:>11}: {rate:7.0f} MB/s ({rate / bare:.0%} of np.memmap)")
        print("target: get_traces >= 90% of np.memmap")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
