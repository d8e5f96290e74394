"""Benchmark: the display pyramid and display filters on a two-hour 384-channel recording.

Prints:

- the pyramid build of a 2-hour, 384-channel, 30 kHz int16 file (166 GB, sparse: made with
  ``truncate``, 1 % of it written with synthetic spikes and noise): time, throughput, size on disk
  and the build's peak resident memory (in a fresh subprocess);
- reading a window drawn 1600 pixels wide, from request to envelope (what the trace view's worker
  does: the window plan, then a raw read reduced to min/max per pixel or a pyramid level), for
  windows of 10 ms, 1 s, 1 min, 10 min and 2 h at random places: median / p95 and bytes read;
  the same raw reads through SpikeInterface 0.100.8 and 0.105.3 (``get_traces`` then min/max per
  pixel) for the widths they can read in reasonable time;
- the overview image of the whole segment (1600 columns);
- a 1 s window of the 384 channels high-pass / band-pass filtered and median-referenced, against
  ``spikeinterface.preprocessing`` (on a 60 s file with content everywhere).

Best of ``--runs`` runs, SpikeDesk and SpikeInterface alternating in order. Targets: every width
< 30 ms median once the pyramid exists; build memory bounded (< 300 MB).

Usage::

    flock /work/bench.lock python tests/benchmarks/bench_display_pyramid.py [--hours 2]
        [--folder DIR] [--runs 3] [--si0100 PATH] [--si0105 PATH] [--skip-si] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.long_recording import (
    FRAME_BYTES,
    SAMPLING_FREQUENCY,
    make_recording_folder,
)

PIXELS = 1600
WINDOWS_S = {"10 ms": 0.01, "1 s": 1.0, "1 min": 60.0, "10 min": 600.0, "2 h": 7200.0}
#: SpikeInterface reads these raw (longer windows take seconds to minutes each).
SI_WINDOWS = ("10 ms", "1 s", "1 min")
READS_PER_WIDTH = 20
FILTERS = {
    "HP 300 Hz + CMR": {"band": "highpass", "low_hz": 300.0, "high_hz": 6000.0, "order": 3,
                        "reference": "median"},
    "BP 300-6000 Hz": {"band": "bandpass", "low_hz": 300.0, "high_hz": 6000.0, "order": 3,
                       "reference": "none"},
}  # fmt: skip
SI_VENVS = {
    "si0100": ("/work/si-venvs/si0100/bin/python", "spikeinterface==0.100.8"),
    "si0105": ("/work/si-venvs/si0105/bin/python", "spikeinterface==0.105.3"),
}
WORKER = Path(__file__).with_name("si_display_worker.py")


def status_mb(key: str) -> float:
    """VmRSS / VmHWM of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------- build (subprocess)
def child_build(folder: str, cache: str) -> None:
    import core as si
    from app.model.display_pyramid import DisplayPyramid

    recording = si.load_extractor(folder)
    pyramid = DisplayPyramid(recording, cache)
    baseline = status_mb("VmRSS")
    began = time.perf_counter()
    pyramid.build()
    seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "seconds": seconds,
                "raw_bytes": recording.get_total_memory_size(),
                "pyramid_bytes": pyramid.bytes_on_disk(),
                "factors": list(pyramid.factors(0)),
                "baseline_mb": baseline,
                "peak_mb": status_mb("VmHWM"),
            }
        )
    )


def run_build(folder: Path, cache: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child-build", str(folder), str(cache)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- reads
def window_starts(num_samples: int, length: int, count: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(s) for s in rng.integers(0, max(num_samples - length, 1), count)]


def time_our_reads(recording, pyramid, windows: dict) -> dict:
    from app.model.decimation import decimate_min_max
    from app.model.window_source import LEVEL, READY, OverviewState, read_level_envelope

    state = OverviewState(READY, pyramid, 1.0)
    results = {}
    for name, (starts, length) in windows.items():
        times, sources = [], set()
        for start in starts:
            began = time.perf_counter()
            plan = state.plan(0, length, PIXELS, FRAME_BYTES)
            if plan.source == LEVEL:
                read_level_envelope(pyramid, plan.level, 0, start, start + length, None, PIXELS)
                sources.add(f"level {plan.level} (x{pyramid.factors(0)[plan.level]})")
            else:
                traces = recording.get_traces(start_frame=start, end_frame=start + length)
                decimate_min_max(traces, PIXELS)
                sources.add("raw")
            times.append(time.perf_counter() - began)
        first, stop = (0, 0)
        if plan.source == LEVEL:
            first, stop = pyramid.bin_range(plan.level, 0, starts[0], starts[0] + length)
            read_bytes = (stop - first) * pyramid.layout(0).bin_bytes
        else:
            read_bytes = length * FRAME_BYTES
        results[name] = {"times": times, "source": ", ".join(sorted(sources)), "bytes": read_bytes}
    return results


def time_our_filters(folder: Path, starts: list[int], frames: int) -> dict:
    import core as si
    from app.model.display_filters import DisplayContext, DisplayFilter, read_display_traces

    recording = si.load_extractor(folder)
    results = {}
    for name, spec in FILTERS.items():
        display_filter = DisplayFilter(enabled=True, **spec)
        context = DisplayContext.for_recording(recording, display_filter)
        times = []
        for start in starts:
            began = time.perf_counter()
            read_display_traces(recording, 0, start, start + frames, None, context, True)
            times.append(time.perf_counter() - began)
        results[name] = times
    return results


def ensure_venv(python: str, requirement: str) -> str:
    """The venv's python, creating the venv with ``requirement`` if it is missing."""
    if Path(python).is_file():
        return python
    venv = Path(python).parents[1]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", requirement, "scipy"], check=True)
    return python


def run_spikeinterface(python: str, plan_file: Path) -> tuple[str, dict]:
    completed = subprocess.run(
        [python, str(WORKER), str(plan_file)], capture_output=True, text=True, check=True
    )
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    return output["version"], output["results"]


# ---------------------------------------------------------------------- report
def best(runs: list[dict]) -> dict:
    """Per key, the run with the lowest median: (median, p95) in seconds."""
    out = {}
    for run in runs:
        for key, times in run.items():
            stats = (float(np.median(times)), float(np.percentile(times, 95)))
            if key not in out or stats[0] < out[key][0]:
                out[key] = stats
    return out


def ms(stats) -> str:
    return "-" if stats is None else f"{stats[0] * 1e3:9.2f} / {stats[1] * 1e3:9.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--folder", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--si0100", default=SI_VENVS["si0100"][0])
    parser.add_argument("--si0105", default=SI_VENVS["si0105"][0])
    parser.add_argument("--skip-si", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the recordings and pyramid")
    parser.add_argument("--child-build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        child_build(*args.child_build)
        return

    import core as si
    from app.model.display_pyramid import DisplayPyramid
    from app.model.overview_image import compute_overview

    work = Path(args.folder or tempfile.mkdtemp(prefix="bench-pyramid-"))
    work.mkdir(parents=True, exist_ok=True)
    long_folder, short_folder, cache = work / "long", work / "short", work / "cache"
    try:
        began = time.perf_counter()
        if not (long_folder / "binary.json").exists():
            make_recording_folder(long_folder, args.hours * 3600, fill=0.01)
        if not (short_folder / "binary.json").exists():
            make_recording_folder(short_folder, 60.0, fill=1.0, seed=1)
        print(f"recordings written in {time.perf_counter() - began:.0f} s ({work})", flush=True)

        shutil.rmtree(cache, ignore_errors=True)
        build = run_build(long_folder, cache)
        print(
            f"\npyramid of {args.hours:g} h x 384 ch int16 ({build['raw_bytes'] / 1e9:.1f} GB): "
            f"{build['seconds']:.0f} s ({build['raw_bytes'] / build['seconds'] / 1e9:.2f} GB/s), "
            f"{build['pyramid_bytes'] / 1e9:.2f} GB on disk "
            f"({build['pyramid_bytes'] / build['raw_bytes'] * 100:.1f} % of the raw file), "
            f"factors {build['factors'][:3]}...{build['factors'][-1]}; resident memory "
            f"{build['baseline_mb']:.0f} MB before, peak {build['peak_mb']:.0f} MB",
            flush=True,
        )

        recording = si.load_extractor(long_folder)
        pyramid = DisplayPyramid(recording, cache)
        num_samples = recording.get_num_samples(0)
        windows = {}
        for index, (name, seconds) in enumerate(WINDOWS_S.items()):
            length = min(int(seconds * SAMPLING_FREQUENCY), num_samples)
            windows[name] = (window_starts(num_samples, length, READS_PER_WIDTH, index), length)
        si_windows = {name: (windows[name][0][:3], windows[name][1]) for name in SI_WINDOWS}
        short_samples = int(60 * SAMPLING_FREQUENCY)
        filter_starts = window_starts(short_samples, int(SAMPLING_FREQUENCY), 10, 99)
        plan_file = work / "plan.json"
        plan_file.write_text(
            json.dumps(
                {
                    "long_folder": str(long_folder),
                    "short_folder": str(short_folder),
                    "raw_windows": si_windows,
                    "pixels": PIXELS,
                    "filters": FILTERS,
                    "filter_starts": filter_starts,
                    "filter_frames": int(SAMPLING_FREQUENCY),
                }
            )
        )
        pythons = {}
        if not args.skip_si:
            pythons = {key: ensure_venv(getattr(args, key), SI_VENVS[key][1]) for key in SI_VENVS}

        ours_reads, ours_filters, theirs, info = [], [], {}, {}
        tools = ["spikedesk", *pythons]
        for run in range(args.runs):
            for tool in tools if run % 2 == 0 else tools[::-1]:
                if tool == "spikedesk":
                    reads = time_our_reads(recording, pyramid, windows)
                    info = {name: (r["source"], r["bytes"]) for name, r in reads.items()}
                    ours_reads.append({name: r["times"] for name, r in reads.items()})
                    ours_filters.append(
                        time_our_filters(short_folder, filter_starts, int(SAMPLING_FREQUENCY))
                    )
                else:
                    version, results = run_spikeinterface(pythons[tool], plan_file)
                    theirs.setdefault(f"SI {version}", []).append(results)
            print(f"run {run + 1}/{args.runs} done", flush=True)

        reads, filters = best(ours_reads), best(ours_filters)
        si_best = {name: best(runs) for name, runs in theirs.items()}
        print(f"\nwindow drawn {PIXELS} px wide, request to envelope: ms median / p95 (best of "
              f"{args.runs}), {READS_PER_WIDTH} random windows per width")  # fmt: skip
        header = f"{'window':<8} {'SpikeDesk':>21} {'read from':<22} {'bytes':>9}"
        header += "".join(f" {name + ' raw':>28}" for name in si_best)
        print(header + f" {'faster SI / ours':>17}")
        for name in WINDOWS_S:
            source, read_bytes = info[name]
            line = f"{name:<8} {ms(reads[name]):>21} {source:<22} {read_bytes / 1e6:7.1f}MB"
            medians = []
            for results in si_best.values():
                stats = results.get(f"raw {name}")
                line += f" {ms(stats):>28}"
                if stats is not None:
                    medians.append(stats[0])
            ratio = f"{min(medians) / reads[name][0]:.1f}x" if medians else "-"
            print(line + f" {ratio:>17}")

        began = time.perf_counter()
        image = compute_overview(pyramid, 0, PIXELS)
        print(
            f"\noverview image of the whole segment ({image.values.shape[0]} columns x "
            f"{image.values.shape[1]} channels, level x{pyramid.factors(0)[image.level]}): "
            f"{(time.perf_counter() - began) * 1e3:.0f} ms"
        )

        print("\n1 s x 384 channels filtered for display (60 s file): ms median / p95")
        header = f"{'filter':<18} {'SpikeDesk':>21}" + "".join(f" {n:>24}" for n in si_best)
        print(header + f" {'faster SI / ours':>17}")
        for name in FILTERS:
            line = f"{name:<18} {ms(filters[name]):>21}"
            medians = [r[name][0] for r in si_best.values() if name in r]
            line += "".join(f" {ms(r.get(name)):>24}" for r in si_best.values())
            ratio = f"{min(medians) / filters[name][0]:.1f}x" if medians else "-"
            print(line + f" {ratio:>17}")
        pyramid.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
