"""What the benchmarks that race SpikeDesk against SpikeInterface 0.100.8 and 0.105.3 share.

- the three sides (``spikedesk`` in this interpreter, ``si0100`` and ``si0105`` each in its own
  virtual environment, created with pinned packages when missing);
- one measured run: a fresh subprocess of the benchmark script, polled from this process for
  the peak memory of its process tree while a marker file exists (so that the poller takes no
  core from the measured side's threads), returning the JSON line the run prints;
- the order of the sides in each round (rotated, so that no side always runs first or last);
- the summary: best time of each side, peak memory over its runs, and the ratio of the faster
  SpikeInterface to SpikeDesk.

Imports nothing from SpikeDesk or SpikeInterface: every interpreter runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

SIDES = ("spikedesk", "si0100", "si0105")
LABELS = {"spikedesk": "SpikeDesk", "si0100": "SI 0.100.8", "si0105": "SI 0.105.3"}
DEFAULT_VENVS = {"si0100": Path("/work/si-venvs/si0100"), "si0105": Path("/work/si-venvs/si0105")}
PACKAGES = {
    "si0100": (
        "spikeinterface==0.100.8",
        "numpy==1.26.4",
        "zarr==2.17.2",
        "numcodecs==0.15.2",
        "probeinterface==0.2.21",
    ),
    "si0105": (
        "spikeinterface==0.105.3",
        "numpy>=2,<2.5",
        "zarr==2.18.7",
        "numcodecs==0.15.2",
        "probeinterface==0.4.2",
    ),
}
MEASURING = "measuring"  # file that exists while a run is measured


def add_venv_options(parser) -> None:
    """``--si0100-venv`` and ``--si0105-venv`` options (defaults: /work/si-venvs/...)."""
    for side in ("si0100", "si0105"):
        parser.add_argument(
            f"--{side}-venv",
            type=Path,
            default=DEFAULT_VENVS[side],
            help=f"virtual environment of {LABELS[side]} (created if missing)",
        )


def pythons(args) -> dict[str, Path]:
    """The interpreter of each side (SpikeInterface venvs created when missing)."""
    result = {"spikedesk": Path(sys.executable)}
    for side in ("si0100", "si0105"):
        venv = getattr(args, f"{side}_venv")
        python = venv / "bin" / "python"
        if not python.is_file():
            print(f"creating {venv} with {', '.join(PACKAGES[side])}...", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", *PACKAGES[side]], check=True
            )
        result[side] = python
    return result


def side_order(round_index: int) -> list[str]:
    """The sides in round ``round_index``: rotated, and reversed every other rotation."""
    order = list(SIDES)
    shift = round_index % len(order)
    order = order[shift:] + order[:shift]
    return order[::-1] if (round_index // len(order)) % 2 else order


class TreeMemorySampler(threading.Thread):
    """Peak memory of a process and its children, polled every 5 ms while ``marker`` exists.

    Two peaks: resident memory (``VmRSS``, which also counts mapped pages of files such as the
    source recording) and private memory (``RssAnon + RssShmem``: what the processes allocated).
    """

    def __init__(self, pid: int, marker: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.marker = marker
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


#: What ``import spikeinterface.core`` loads (0.100.8 and 0.105.3 alike) and ``import core`` leaves
#: to first use: loaded before a SpikeDesk run's clock starts, so that both sides time the work,
#: not one side's first imports.
SPIKEINTERFACE_IMPORT_TIME_MODULES = ("zarr", "numcodecs", "probeinterface")


def import_like_spikeinterface(si, names: tuple[str, ...]) -> None:
    """Load what ``names`` of the library ``si`` need, as SpikeInterface does at its import.

    SpikeInterface imports its whole core (and zarr, numcodecs, probeinterface) when it is
    imported; SpikeDesk's ``core`` imports each module on first use. Reading the names a run
    uses (and importing `SPIKEINTERFACE_IMPORT_TIME_MODULES`) before the clock starts puts both
    sides in the same state: a run measures the save or the extraction only.
    """
    import importlib

    for module in SPIKEINTERFACE_IMPORT_TIME_MODULES:
        importlib.import_module(module)
    for name in names:
        getattr(si, name)


def baseline_mb() -> tuple[float, float]:
    """Memory of the calling process (a measured run, before its work starts)."""
    return TreeMemorySampler(os.getpid()).current_mb()


def measure(python: Path, script: str, arguments: list[str], work: Path) -> dict:
    """Run ``script`` with ``arguments`` in a fresh ``python`` process; return its JSON result.

    The run creates ``work/measuring`` when its measured part starts and removes it when it
    ends; its JSON must hold ``baseline_rss_mb`` and ``baseline_private_mb``. The result gains
    ``rss_mb`` and ``private_mb``: peaks above that baseline.
    """
    work.mkdir(parents=True, exist_ok=True)
    os.sync()  # start without the previous run's dirty pages being written back
    time.sleep(1.0)
    process = subprocess.Popen(
        [str(python), script, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeMemorySampler(process.pid, work / MEASURING)
    sampler.start()
    stdout, stderr = process.communicate()
    peak_rss, peak_private = sampler.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{python} {script} {' '.join(arguments)} failed:\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["rss_mb"] = peak_rss - result.pop("baseline_rss_mb")
    result["private_mb"] = peak_private - result.pop("baseline_private_mb")
    return result


def best_of(runs: list[dict]) -> dict:
    """The fastest run, with the peak memory over all runs."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["rss_mb"] = max(r["rss_mb"] for r in runs)
    best["private_mb"] = max(r["private_mb"] for r in runs)
    return best


def header(first_column: str, width: int) -> str:
    """Header line of a results table."""
    return (
        f"{first_column:<{width}}"
        + "".join(f"{LABELS[s] + ' s':>14}" for s in SIDES)
        + f"{'speed-up':>10}{'equal':>7}"
        + f"{'RSS MB SD/100/105':>20}{'private MB SD/100/105':>24}"
    )


def row(name: str, width: int, sides: dict[str, dict], equal: str) -> str:
    """One line of a results table: times, speed-up over the faster SI, memory."""
    faster_si = min(sides["si0100"]["seconds"], sides["si0105"]["seconds"])
    rss = "/".join(f"{sides[s]['rss_mb']:.0f}" for s in SIDES)
    private = "/".join(f"{sides[s]['private_mb']:.0f}" for s in SIDES)
    return (
        f"{name:<{width}}"
        + "".join(f"{sides[s]['seconds']:>14.2f}" for s in SIDES)
        + f"{faster_si / sides['spikedesk']['seconds']:>9.2f}x{equal:>7}"
        + f"{rss:>20}{private:>24}"
    )


def remove(path: Path) -> None:
    """Delete a file or folder if present."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
