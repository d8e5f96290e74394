"""Benchmark: waveform extraction, SpikeDesk vs SpikeInterface 0.100.8, same data, same machine.

A 384-channel int16 recording (60 s at 30 kHz, Neuropixels-like two-column probe, gain 0.195
µV) with 100 units firing at ~5 Hz is written as a raw file plus an npz of spikes. Each side
loads it (SpikeDesk: ``core.read_binary``; SpikeInterface: ``read_binary`` + ``NumpySorting``)
and runs ``extract_waveforms(max_spikes_per_unit=500, seed=0)`` dense and sparse (radius 100 µm;
the same sparsity, computed once, is given to both sides so that results are comparable), into a
folder and in memory, with ``n_jobs`` 1 and 2 (1 s chunks). Every run is a fresh subprocess
(SpikeInterface runs in its own virtual environment, created if missing); the table gives the
seconds, the speed-up, whether both sides produced identical waveforms (sha256 of the waveforms
and sampled indices of a few units), and the peak resident memory of each process tree above its
import baseline (polled from /proc every 5 ms by the parent process; mapped pages of the
source file count).

Usage: ``python tests/benchmarks/bench_waveforms.py [--duration 60] [--folder DIR]
[--si-venv /tmp/z2venv] [--repeat 1]``
"""

from __future__ import annotations

import argparse
import hashlib
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
NUM_UNITS = 100
FIRING_RATE = 5.0
GAIN = 0.195
MAX_SPIKES = 500
RADIUS_UM = 100.0
DIGEST_UNITS = (0, 37, 99)
MEASURING = "measuring"  # file that exists while a run's extraction is measured
SI_PACKAGES = (
    "spikeinterface==0.100.8",
    "numpy==1.26.4",
    "zarr==2.17.2",
    "numcodecs==0.12.1",
    "probeinterface==0.2.21",
)
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
        train = np.unique(rng.integers(0, num_samples, count))
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
    }
    (folder / "sparsity.json").write_text(json.dumps(sparsity))


# --------------------------------------------------------------------------- measuring
class TreeMemorySampler(threading.Thread):
    """Polls the memory of a process and its children every 5 ms, from the benchmark's parent.

    It runs in the parent, not in the measured process: a polling thread there would take the
    GIL (and a core) from the measured side's worker threads, but not from worker processes.

    Two peaks: resident memory (``VmRSS``, which also counts pages of files mapped by the
    process, e.g. the source recording) and private memory (``RssAnon + RssShmem``: what the
    process allocated, shared memory included).
    """

    def __init__(self, pid: int, marker: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.marker = marker  # samples count only while this file exists
        self.peak_rss_mb = 0.0
        self.peak_private_mb = 0.0
        self._stop_event = threading.Event()

    @staticmethod
    def _status_kb(pid: int) -> tuple[int, int]:
        values = {"VmRSS": 0, "RssAnon": 0, "RssShmem": 0}
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key = line.split(":", 1)[0]
                if key in values:
                    values[key] = int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
        return values["VmRSS"], values["RssAnon"] + values["RssShmem"]

    @staticmethod
    def _children(pid: int) -> list[int]:
        children = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children += [int(c) for c in (task / "children").read_text().split()]
            except FileNotFoundError:
                pass
        return children

    def current_mb(self) -> tuple[float, float]:
        pids, rss, private = [self.pid], 0, 0
        while pids:
            pid = pids.pop()
            pid_rss, pid_private = self._status_kb(pid)
            rss, private = rss + pid_rss, private + pid_private
            pids += self._children(pid)
        return rss / 1024, private / 1024

    def run(self) -> None:
        while not self._stop_event.wait(0.005):
            if self.marker is not None and not self.marker.exists():
                continue
            rss, private = self.current_mb()
            self.peak_rss_mb = max(self.peak_rss_mb, rss)
            self.peak_private_mb = max(self.peak_private_mb, private)

    def stop(self) -> tuple[float, float]:
        self._stop_event.set()
        self.join()
        return self.peak_rss_mb, self.peak_private_mb


def digest(we) -> str:
    """sha256 over the waveforms and sampled indices of a few units."""
    sha = hashlib.sha256()
    for unit_id in DIGEST_UNITS:
        waveforms, index = we.get_waveforms(unit_id, with_index=True)
        sha.update(np.ascontiguousarray(waveforms).tobytes())
        sha.update(np.ascontiguousarray(index["spike_index"]).astype("<i8").tobytes())
        sha.update(np.ascontiguousarray(index["segment_index"]).astype("<i8").tobytes())
    return sha.hexdigest()


def run_one(side: str, sparse: bool, mode: str, n_jobs: int, data: Path, work: Path) -> dict:
    """One extraction in this process (SpikeDesk or SpikeInterface, by ``side``)."""
    if side == "spikedesk":
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        import core as si
        from core.waveforms.api import extract_waveforms
        from core.waveforms.sparsity import ChannelSparsity
    else:
        import spikeinterface.core as si
        from spikeinterface.core import ChannelSparsity, extract_waveforms
    from probeinterface import Probe

    spikes = np.load(data / "spikes.npz")
    baseline_rss, baseline_private = TreeMemorySampler(os.getpid()).current_mb()
    marker = work / MEASURING
    marker.touch()  # the parent's sampler records from now until the extraction ends
    start = time.perf_counter()
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
    recording = recording.set_probe(probe)
    sorting = si.NumpySorting.from_times_labels(
        [spikes["times"]], [spikes["labels"]], SAMPLING_FREQUENCY
    )
    sparsity = None
    if sparse:
        sparsity = ChannelSparsity.from_dict(json.loads((data / "sparsity.json").read_text()))
    we = extract_waveforms(
        recording,
        sorting,
        folder=work / "wf" if mode == "folder" else None,
        mode=mode,
        sparse=False,
        sparsity=sparsity,
        max_spikes_per_unit=MAX_SPIKES,
        seed=0,
        n_jobs=n_jobs,
        chunk_duration="1s",
        progress_bar=False,
    )
    elapsed = time.perf_counter() - start
    marker.unlink()
    return {
        "seconds": elapsed,
        "baseline_rss_mb": baseline_rss,
        "baseline_private_mb": baseline_private,
        "digest": digest(we),
    }


def ensure_si_venv(venv: Path) -> Path:
    """Python of a virtual environment with SpikeInterface 0.100.8 (created if missing)."""
    python = venv / "bin" / "python"
    if not python.is_file():
        print(f"creating {venv} with {', '.join(SI_PACKAGES)}...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *SI_PACKAGES], check=True)
    return python


def measure(python: Path, side: str, config: tuple, data: Path, folder: Path) -> dict:
    sparse, mode, n_jobs = config
    work = folder / "work"
    work.mkdir()
    os.sync()  # start each run without the previous run's dirty pages being written back
    time.sleep(1.0)
    try:
        process = subprocess.Popen(
            [
                str(python),
                __file__,
                "--run",
                side,
                "--sparse",
                str(int(sparse)),
                "--mode",
                mode,
                "--n-jobs",
                str(n_jobs),
                "--data",
                str(data),
                "--folder",
                str(work),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = TreeMemorySampler(process.pid, work / MEASURING)
        sampler.start()
        stdout, stderr = process.communicate()
        peak_rss, peak_private = sampler.stop()
        if process.returncode != 0:
            raise RuntimeError(f"{side} {config} failed:\n{stderr[-3000:]}")
        result = json.loads(stdout.strip().splitlines()[-1])
        result["rss_mb"] = peak_rss - result.pop("baseline_rss_mb")
        result["private_mb"] = peak_private - result.pop("baseline_private_mb")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--si-venv", type=Path, default=Path("/tmp/z2venv"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default=None, help="run configurations whose name contains this")
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sparse", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="folder", help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:
        result = run_one(
            args.run, bool(args.sparse), args.mode, args.n_jobs, args.data, args.folder
        )
        print(json.dumps(result))
        return

    si_python = ensure_si_venv(args.si_venv)
    folder = Path(tempfile.mkdtemp(dir=args.folder, prefix="bench_waveforms_"))
    try:
        data = folder / "data"
        data.mkdir()
        print(
            f"writing {args.duration:.0f} s x {NUM_CHANNELS} channels int16 "
            f"({args.duration * SAMPLING_FREQUENCY * NUM_CHANNELS * 2 / 1e9:.2f} GB), "
            f"{NUM_UNITS} units at ~{FIRING_RATE:g} Hz..."
        )
        make_data(data, args.duration)
        # virtual machines may back guest memory lazily: touch it once so that neither side
        # pays for first use of the RAM the dense runs need. Where the VM hands freed memory
        # back to its host (virtio free page reporting) this does not last: both sides then pay
        # a host fault on first use of fresh memory, page cache included
        subprocess.run([sys.executable, "-c", "import numpy; numpy.ones(10**9).sum()"], check=True)
        header = (
            f"{'configuration':<24}{'SpikeDesk s':>12}{'SI 0.100.8 s':>13}{'speed-up':>9}"
            f"{'equal':>6}{'RSS MB SD / SI':>17}{'private MB SD / SI':>21}"
        )
        print(
            f"best of {args.repeat}; memory = peak of the process tree above its baseline "
            "(RSS counts mapped pages of the source file; private = anonymous + shared memory)"
        )
        print(header)
        for config in CONFIGS:
            sparse, mode, n_jobs = config
            name = f"{'sparse' if sparse else 'dense'} {mode} n_jobs={n_jobs}"
            if args.only and args.only not in name:
                continue
            runs = {"spikedesk": [], "si": []}
            pythons = {"spikedesk": Path(sys.executable), "si": si_python}
            for repeat in range(args.repeat):
                # alternate which side runs first: the page cache left by one run helps the next
                for side in ("spikedesk", "si") if repeat % 2 == 0 else ("si", "spikedesk"):
                    runs[side].append(measure(pythons[side], side, config, data, folder))
            sides = {}
            for side, side_runs in runs.items():
                best = dict(min(side_runs, key=lambda r: r["seconds"]))
                best["rss_mb"] = max(r["rss_mb"] for r in side_runs)
                best["private_mb"] = max(r["private_mb"] for r in side_runs)
                sides[side] = best
            ours, theirs = sides["spikedesk"], sides["si"]
            rss = f"{ours['rss_mb']:.0f} / {theirs['rss_mb']:.0f}"
            private = f"{ours['private_mb']:.0f} / {theirs['private_mb']:.0f}"
            print(
                f"{name:<24}{ours['seconds']:>12.2f}{theirs['seconds']:>13.2f}"
                f"{theirs['seconds'] / ours['seconds']:>8.1f}x"
                f"{'yes' if ours['digest'] == theirs['digest'] else 'NO':>6}"
                f"{rss:>17}{private:>21}",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
