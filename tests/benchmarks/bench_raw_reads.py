"""Reading windows of a raw file the page cache does not hold: through the cache, or direct.

`core.recording.file_reads.read_rows` reads a window of at least ``DIRECT_READ_MIN_BYTES`` that
the page cache mostly does not hold straight from the disk (``O_DIRECT``). This script measures
what that choice is worth: random windows of ``--seconds`` of 384 int16 channels at 30 kHz,
each evicted from the cache first (``POSIX_FADV_DONTNEED``), read through the cache (``preadv``)
and direct (``read_direct``) in alternating order, plus the same windows read again while cached
(what `read_rows` does when the cache holds them). Files: ``--file`` (any raw file of 384 int16
channels, e.g. the 2-hour sparse file of ``bench_trace_view.py --overview``), and a written
(dense) file of ``--dense-mb`` made in ``--folder`` (deleted after unless ``--keep``).

Prints the median and minimum (ms) per method and file over ``--rounds`` rounds of ``--reads``
windows; the best round's median is the figure.

Then ``get_traces`` of the same kind of windows (evicted first, then every sample touched once
with ``np.max``: SpikeInterface returns a view of a memory map, which reads nothing until used)
by SpikeDesk (``core.read_binary``) and by SpikeInterface 0.100.8 and 0.105.3 (``read_binary``,
each in its own virtualenv, ``--si0100`` / ``--si0105``), on the same windows, in alternating
order, best of ``--rounds``; the ratio is against the faster SpikeInterface.

Usage: ``python tests/benchmarks/bench_raw_reads.py [--file PATH] [--dense-mb 768]
[--folder DIR] [--reads 20] [--rounds 3] [--seconds 1] [--si0100 PY] [--si0105 PY] [--no-si]``
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

import numpy as np

from core.recording.file_reads import read_direct

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000
SI_PYTHONS = {
    "SI 0.100.8": "/work/si-venvs/si0100/bin/python",
    "SI 0.105.3": "/work/si-venvs/si0105/bin/python",
}
GET_TRACES_SCRIPT = """
import json, os, sys, time
import numpy as np
path, starts, length, module = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if module == "core":
    import core as si
else:
    import spikeinterface.core as si
recording = si.read_binary(path, sampling_frequency=30000.0, dtype="int16", num_channels=384)
times = []
with open(path, "rb") as file:
    for start in starts:
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        began = time.perf_counter()
        np.max(recording.get_traces(start_frame=start, end_frame=start + length))
        times.append((time.perf_counter() - began) * 1e3)
print(json.dumps(times))
"""


def write_dense(path: Path, megabytes: int) -> None:
    """A raw file of random int16 values (every block written: no holes)."""
    rng = np.random.default_rng(0)
    block = rng.integers(-300, 300, (1 << 20) // 2, dtype=np.int16).tobytes()
    with open(path, "wb") as file:
        for _ in range(megabytes):
            file.write(block)
        file.flush()
        os.fsync(file.fileno())


def timed_reads(path: Path, window_bytes: int, reads: int, rng) -> dict[str, list[float]]:
    """Milliseconds per read of random evicted windows, by method (alternating order)."""
    size = path.stat().st_size
    frame = NUM_CHANNELS * 2
    times = {"through the cache (cold)": [], "direct (cold)": [], "cached": []}
    with open(path, "rb", buffering=0) as file:
        descriptor = file.fileno()
        buffer = np.empty(window_bytes, dtype=np.uint8)
        for index in range(reads):
            order = ["cache", "direct"] if index % 2 else ["direct", "cache"]
            for method in order:
                start = int(rng.integers(0, (size - window_bytes) // frame)) * frame
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                began = time.perf_counter()
                if method == "cache":
                    os.preadv(descriptor, [memoryview(buffer)], start)
                else:
                    if read_direct(path, start, window_bytes) is None:
                        raise SystemExit(f"{path}: the file system refuses O_DIRECT")
                elapsed = (time.perf_counter() - began) * 1e3
                if method == "cache":
                    times["through the cache (cold)"].append(elapsed)
                    began = time.perf_counter()
                    os.preadv(descriptor, [memoryview(buffer)], start)
                    times["cached"].append((time.perf_counter() - began) * 1e3)
                else:
                    times["direct (cold)"].append(elapsed)
    return times


def get_traces_times(python: str, path: Path, starts: list[int], length: int, module: str):
    """Milliseconds per cold ``get_traces`` (then ``np.max``) of each window, in a subprocess."""
    source = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [python, "-c", GET_TRACES_SCRIPT, str(path), json.dumps(starts), str(length), module],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": source},
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare_get_traces(path: Path, args, length: int, rng) -> None:
    """Cold get_traces of random windows: SpikeDesk against both SpikeInterface versions."""
    pythons = {"SpikeDesk": sys.executable}
    pythons.update(
        {name: getattr(args, key) for name, key in zip(SI_PYTHONS, ("si0100", "si0105"))}
    )
    num_frames = path.stat().st_size // (NUM_CHANNELS * 2)
    starts = [int(x) for x in rng.integers(0, num_frames - length, args.reads)]
    best = {name: float("inf") for name in pythons}
    names = list(pythons)
    for round_index in range(args.rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            module = "core" if name == "SpikeDesk" else "spikeinterface"
            median = float(np.median(get_traces_times(pythons[name], path, starts, length, module)))
            best[name] = min(best[name], median)
    faster = min(best[name] for name in SI_PYTHONS)
    figures = "   ".join(f"{name} {value:.1f} ms" for name, value in best.items())
    print(f"  get_traces, cold, median: {figures}   ratio {best['SpikeDesk'] / faster:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--dense-mb", type=int, default=768)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--si0100", default=SI_PYTHONS["SI 0.100.8"])
    parser.add_argument("--si0105", default=SI_PYTHONS["SI 0.105.3"])
    parser.add_argument("--no-si", action="store_true")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench_raw_reads_"))
    folder.mkdir(parents=True, exist_ok=True)
    dense = folder / "dense.raw"
    if not dense.exists():
        write_dense(dense, args.dense_mb)
    files = {"dense": dense}
    if args.file is not None:
        files["given"] = args.file
    window_bytes = int(args.seconds * SAMPLING_FREQUENCY) * NUM_CHANNELS * 2
    print(
        f"windows of {args.seconds:g} s x {NUM_CHANNELS} int16 channels ({window_bytes / 1e6:.1f} MB)"
    )
    rng = np.random.default_rng(int(time.time()))
    try:
        for name, path in files.items():
            allocated = os.stat(path).st_blocks * 512 / max(path.stat().st_size, 1)
            best: dict[str, tuple[float, float]] = {}
            for _ in range(args.rounds):
                for method, values in timed_reads(path, window_bytes, args.reads, rng).items():
                    median, low = float(np.median(values)), float(np.min(values))
                    if method not in best or median < best[method][0]:
                        best[method] = (median, low)
            print(
                f"\n{name}: {path} ({path.stat().st_size / 1e9:.2f} GB, {allocated:.0%} allocated)"
            )
            for method, (median, low) in best.items():
                print(f"  {method:26s} median {median:6.1f} ms   min {low:6.1f} ms")
            if not args.no_si:
                compare_get_traces(path, args, window_bytes // (NUM_CHANNELS * 2), rng)
    finally:
        if not args.keep and args.folder is None:
            dense.unlink()
            folder.rmdir()


if __name__ == "__main__":
    main()
