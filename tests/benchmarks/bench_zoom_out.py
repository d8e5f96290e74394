"""Benchmark: zooming the trace view out to a whole recording, before and after the display pyramid.

Issue 18 measured on the ``main`` of the time (384 channels x 600 s): zooming out to the whole
recording read all of it (34 s, 21.8 GB resident) and froze the traces. This script measures the
same gesture - a 1 s window on screen, then ``session.set_frame_window`` over the whole segment -
in a fresh process per case, on a SpikeInterface binary folder of 384 int16 channels at 30 kHz
made by ``tests/benchmarks/long_recording.py`` (sparse, 1 % written with content):

- ``--before DIR``: an export of an older version (``git archive <rev> app core | tar -x -C DIR``,
  e.g. the ``main`` before the pyramid landed); the view reads the window raw;
- ``building``: this checkout while the pyramid is being built (the view says so and reads
  nothing long from the raw file);
- ``ready``: this checkout with the pyramid built (in a subprocess, before the timing).

Printed per case: seconds from the request to the frame drawn (or to the "building overview"
message), bytes the view asked of the raw file (the recording segment's ``get_traces`` calls,
counted), resident memory growth (peak over the 1 s window's baseline) and the longest gap of a
5 ms GUI-thread timer. Run it under ``flock /work/bench.lock``; the older version's resident
memory grows with the recording (about 36 bytes per sample and channel in issue 18's figure), so
mind the machine's memory before passing a long ``--seconds`` with ``--before``.

Usage: ``python tests/benchmarks/bench_zoom_out.py [--seconds 600] [--before DIR]
[--folder DIR]``
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

HERE = Path(__file__).resolve()
CHECKOUT = HERE.parents[2]
TICK_MS = 5

CHILD = """
import json, os, sys, threading, time
from pathlib import Path
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
import core as si
from app.model.session import Session
from app.views.traces import TraceView

folder, case, cache = sys.argv[1], sys.argv[2], sys.argv[3]

def rss_mb(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

qt = QApplication([])
recording = si.load_extractor(folder)
segment = recording._recording_segments[0]
asked = [0]
original = segment.get_traces
frame_bytes = recording.get_num_channels() * recording.get_dtype().itemsize

def counting(start_frame=None, end_frame=None, channel_indices=None):
    start = 0 if start_frame is None else start_frame
    end = segment.get_num_samples() if end_frame is None else end_frame
    asked[0] += (end - start) * frame_bytes
    return original(start_frame, end_frame, channel_indices)

segment.get_traces = counting
session = Session()
view = TraceView(session)
view.resize(1600, 900)
view.show()
session.open(recording=recording, source="bench")
if case != "before":
    from app.model.display_pyramid import DisplayPyramid
    from app.model.window_source import BUILDING, READY, OverviewState
    pyramid = DisplayPyramid(recording, cache)
    if case == "ready":
        session.set_overview(OverviewState(READY, pyramid, 1.0))
    else:
        session.set_overview(OverviewState(BUILDING, pyramid, 0.0))

def shown():
    if case == "building":
        return bool(view.pending_message())
    return view.is_current() and view.displayed_window() is not None

def wait(predicate, timeout_s=600.0):
    loop = QEventLoop()
    poll = QTimer(interval=1)
    poll.timeout.connect(lambda: predicate() and loop.quit())
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()

session.set_time_window(0.0, 1.0)
wait(lambda: view.is_current() and view.displayed_window() is not None)
view.grab()
qt.processEvents()
Path("/proc/self/clear_refs").write_text("5")  # peak resident memory from here
baseline = rss_mb("VmRSS")
asked[0] = 0
longest = [0.0]
last = [time.perf_counter()]
def tick():
    now = time.perf_counter()
    longest[0] = max(longest[0], 1e3 * (now - last[0]))
    last[0] = now
timer = QTimer(interval=5)
timer.timeout.connect(tick)
timer.start()
started = time.perf_counter()
session.set_frame_window(0, recording.get_num_samples())
wait(shown)
view.grab()
elapsed = time.perf_counter() - started
tick()
timer.stop()
print(json.dumps({
    "seconds": elapsed,
    "asked_bytes": asked[0],
    "growth_mb": rss_mb("VmHWM") - baseline,
    "baseline_mb": baseline,
    "stall_ms": longest[0],
    "shown": getattr(view, "pending_message", str)() or ("drawn" if shown() else "nothing"),
}))
"""


def run_case(source: Path, folder: Path, case: str, cache: Path) -> dict:
    """One case in a fresh process importing ``app`` and ``core`` from ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source), "QT_QPA_PLATFORM": "offscreen"}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), case, str(cache)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    if completed.returncode != 0:
        raise RuntimeError(f"case {case} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the recording")
    parser.add_argument("--before", type=Path, default=None, help="an older version's export")
    parser.add_argument("--folder", type=Path, default=None, help="where to write the data")
    args = parser.parse_args()
    sys.path.insert(0, str(CHECKOUT))
    from tests.benchmarks.bench_display_pyramid import run_build
    from tests.benchmarks.long_recording import make_recording_folder

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = make_recording_folder(Path(tmp) / "recording", args.seconds, fill=0.01)
        raw_gb = (folder / "traces_cached_seg0.raw").stat().st_size / 1e9
        print(f"{args.seconds:g} s x 384 channels int16: {raw_gb:.1f} GB (sparse, 1 % written)")
        cases = []
        if args.before is not None:
            cases.append(("before", args.before.resolve(), Path(tmp) / "unused"))
        cases.append(("building", CHECKOUT, Path(tmp) / "empty-cache"))
        built = Path(tmp) / "cache"
        build = run_build(folder, built)
        print(f"pyramid built in {build['seconds']:.1f} s ({build['pyramid_bytes'] / 1e6:.0f} MB)")
        cases.append(("ready", CHECKOUT, built))
        print(f"\nzoom out from 1 s to the whole {args.seconds:g} s (384 channels, view 1600x900)")
        print(f"| {'case':<10} | {'seconds':>8} | {'raw bytes asked':>16} | {'RSS growth':>10} | "
              f"{'longest stall':>13} | shown")  # fmt: skip
        for name, source, cache in cases:
            started = time.perf_counter()
            result = run_case(source, folder, name, cache)
            wall = time.perf_counter() - started
            print(
                f"| {name:<10} | {result['seconds']:8.3f} | {result['asked_bytes'] / 1e6:13.1f} MB"
                f" | {result['growth_mb']:7.0f} MB | {result['stall_ms']:10.1f} ms | "
                f"{result['shown']} (process {wall:.0f} s, baseline {result['baseline_mb']:.0f} MB)",
                flush=True,
            )


if __name__ == "__main__":
    main()
