"""Benchmark: saving a 384-channel int16 recording, SpikeDesk vs SpikeInterface 0.100.8 and 0.105.3.

A raw file of ephys-like int16 data (correlated noise plus sparse spikes; 20 s at 30 kHz by
default, 0.46 GB) is opened by each side with ``read_binary`` and saved with
``recording.save(format=..., n_jobs=..., chunk_duration="1s")``: binary folder and zarr store
(default compressor: Blosc zstd level 5, bit shuffle), ``n_jobs`` 1 and 2, each side with its
own default pool (SpikeDesk: threads; SpikeInterface: processes). Every run is a fresh
subprocess (SpikeInterface in its own virtual environment, created if missing); the order of
the three sides rotates from round to round; the best of ``--repeat`` rounds is kept, with the
peak memory of the process tree over all rounds (polled from this process; RSS counts mapped
pages of the source file, private memory is what the processes allocated).

``equal`` says that every side read back the same traces from its own output and that both
SpikeInterface versions read SpikeDesk's output back to the same traces (sha256 of the traces).

Usage: ``flock /work/bench.lock python tests/benchmarks/bench_save.py [--duration 20]
[--folder DIR] [--repeat 3] [--only zarr] [--si0100-venv DIR] [--si0105-venv DIR]``
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
CONFIGS = {
    "binary n_jobs=1": ("binary", 1),
    "binary n_jobs=2": ("binary", 2),
    "zarr n_jobs=1": ("zarr", 1),
    "zarr n_jobs=2": ("zarr", 2),
}


def make_source(path: Path, duration: float) -> None:
    """Write ephys-like int16 data: correlated noise plus sparse spikes, in 1 s blocks."""
    rng = np.random.default_rng(0)
    num_samples = int(duration * SAMPLING_FREQUENCY)
    block = int(SAMPLING_FREQUENCY)
    with open(path, "wb") as file:
        for start in range(0, num_samples, block):
            n = min(block, num_samples - start)
            common = rng.normal(0, 8, size=(n, 1))
            noise = rng.normal(0, 15, size=(n, NUM_CHANNELS)) + common
            spikes = rng.random((n, NUM_CHANNELS)) < 2e-4
            noise[spikes] -= 120
            file.write(noise.astype("int16").tobytes())


def import_side(side: str):
    if side == "spikedesk":
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        import core as si
    else:
        import spikeinterface.core as si
    return si


def traces_digest(recording) -> str:
    """sha256 of all traces, read back in 1 s windows."""
    sha = hashlib.sha256()
    step = int(recording.get_sampling_frequency())
    for segment in range(recording.get_num_segments()):
        num_samples = recording.get_num_samples(segment_index=segment)
        for start in range(0, num_samples, step):
            traces = recording.get_traces(
                segment_index=segment, start_frame=start, end_frame=min(start + step, num_samples)
            )
            sha.update(np.ascontiguousarray(traces).tobytes())
    return sha.hexdigest()


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def run_one(side: str, config: str, source: Path, work: Path) -> dict:
    """One save in this process (the side's library); prints nothing, returns figures."""
    si = import_side(side)
    save_format, n_jobs = CONFIGS[config]
    if side == "spikedesk":
        import_like_spikeinterface(
            si, ("read_binary", "BinaryFolderRecording", "ZarrRecordingExtractor")
        )
    baseline_rss, baseline_private = baseline_mb()
    marker = work / MEASURING
    marker.touch()
    start = time.perf_counter()
    recording = si.read_binary(source, SAMPLING_FREQUENCY, "int16", num_channels=NUM_CHANNELS)
    saved = recording.save(
        folder=work / "target",
        format=save_format,
        n_jobs=n_jobs,
        chunk_duration="1s",
        progress_bar=False,
    )
    seconds = time.perf_counter() - start
    marker.unlink()
    output = work / ("target.zarr" if save_format == "zarr" else "target")
    return {
        "seconds": seconds,
        "baseline_rss_mb": baseline_rss,
        "baseline_private_mb": baseline_private,
        "digest": traces_digest(saved),
        "output_mb": folder_mb(output),
    }


def read_back(side: str, folder: Path) -> str:
    """Digest of the traces of a saved folder or store, read by ``side``'s library."""
    si = import_side(side)
    load = getattr(si, "load_extractor", None) or si.load  # SpikeInterface 0.105: load()
    return traces_digest(load(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=None, help="configurations whose name contains this")
    add_venv_options(parser)
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--config", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--read-back", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.read_back:
        print(json.dumps({"digest": read_back(args.run, args.read_back)}))
        return
    if args.run:
        print(json.dumps(run_one(args.run, args.config, args.source, args.work)))
        return

    interpreters = pythons(args)
    folder = Path(tempfile.mkdtemp(dir=args.folder, prefix="bench_save_"))
    script = str(Path(__file__).resolve())
    try:
        source = folder / "source.raw"
        make_source(source, args.duration)
        size_gb = source.stat().st_size / 1e9
        start = time.perf_counter()
        shutil.copyfile(source, folder / "copy.raw")
        copy_s = time.perf_counter() - start
        (folder / "copy.raw").unlink()
        print(
            f"source: {args.duration:g} s x {NUM_CHANNELS} channels int16 ({size_gb:.2f} GB); "
            f"1 s chunks; plain file copy {copy_s:.2f} s. Best of {args.repeat}, sides in "
            "rotating order; speed-up = faster SpikeInterface / SpikeDesk; memory = peak above "
            "the process baseline (RSS counts mapped source pages; private = anonymous + shm)",
            flush=True,
        )
        width = 18
        print(header("configuration", width), flush=True)
        sizes = []
        for config in CONFIGS:
            if args.only and args.only not in config:
                continue
            runs = {side: [] for side in SIDES}
            for round_index in range(args.repeat):
                for side in side_order(round_index):
                    work = folder / "work"
                    arguments = ["--run", side, "--config", config]
                    arguments += ["--source", str(source), "--work", str(work)]
                    runs[side].append(measure(interpreters[side], script, arguments, work))
                    if side == "spikedesk" and round_index == 0:
                        kept = folder / "spikedesk_output"
                        output = work / ("target.zarr" if "zarr" in config else "target")
                        shutil.move(output, kept / output.name)
                        read_backs = {
                            si: read_back_in(interpreters[si], script, si, kept / output.name)
                            for si in ("si0100", "si0105")
                        }
                        remove(kept)
                    remove(work)
            sides = {side: best_of(side_runs) for side, side_runs in runs.items()}
            digests = {sides[s]["digest"] for s in SIDES} | set(read_backs.values())
            print(row(config, width, sides, "yes" if len(digests) == 1 else "NO"), flush=True)
            sizes.append((config, {s: sides[s]["output_mb"] for s in SIDES}))
        print("\noutput size MB (SpikeDesk / SI 0.100.8 / SI 0.105.3):")
        for config, by_side in sizes:
            print(f"  {config:<18}" + " / ".join(f"{by_side[s]:.0f}" for s in SIDES))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_back_in(python: Path, script: str, side: str, path: Path) -> str:
    """Digest of ``path`` read back by ``side`` in a subprocess of ``python``."""
    output = subprocess.run(
        [str(python), script, "--run", side, "--read-back", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])["digest"]


if __name__ == "__main__":
    main()
