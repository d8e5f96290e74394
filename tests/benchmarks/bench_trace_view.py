"""Benchmark: trace view latency on a 384-channel 30 kHz int16 recording, and GUI stalls.

Prints, for 0.1 s, 1 s and 10 s windows, the median and 95th percentile of the time from a
``session.scroll()`` to the new window drawn on screen (the view's ``frame_drawn`` signal plus a
forced render with ``view.grab()``), then the longest gap between the ticks of a 5 ms QTimer on
the GUI thread while a binary save of the same recording runs in a background thread and the view
keeps scrolling. Targets: 1 s window < 30 ms median; no GUI stall > 50 ms.

Usage: ``python tests/benchmarks/bench_trace_view.py [--duration 60] [--scrolls 40]
[--folder DIR]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import probeinterface as pi
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

import core as si
from app.model.session import Session
from app.views.traces import TraceView

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
WINDOWS_S = (0.1, 1.0, 10.0)
TICK_MS = 5


def write_recording(folder: Path, duration_s: float) -> si.BaseRecording:
    """An int16 binary file of noise with sparse spikes, opened with a linear 384-contact probe."""
    path = folder / "traces.raw"
    rng = np.random.default_rng(0)
    block = int(SAMPLING_FREQUENCY)
    with open(path, "wb") as file:
        for _ in range(int(duration_s)):
            noise = rng.normal(0, 15, size=(block, NUM_CHANNELS))
            noise[rng.random((block, NUM_CHANNELS)) < 2e-4] -= 120
            file.write(noise.astype("int16").tobytes())
    recording = si.read_binary(
        path,
        sampling_frequency=SAMPLING_FREQUENCY,
        dtype="int16",
        num_channels=NUM_CHANNELS,
        gain_to_uV=0.195,
        offset_to_uV=0.0,
    )
    probe = pi.generate_linear_probe(num_elec=NUM_CHANNELS, ypitch=20)
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    return recording.set_probe(probe)


def wait_drawn(app: QApplication, view: TraceView, timeout_ms: int = 30_000) -> None:
    """Run the event loop until the newest window is drawn (blocking, without polling)."""
    if view.is_current():
        return
    loop = QEventLoop()

    def check() -> None:
        if view.is_current():
            loop.quit()

    view.frame_drawn.connect(check)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    view.frame_drawn.disconnect(check)
    if not view.is_current():
        raise RuntimeError(f"no frame drawn within {timeout_ms} ms")


def scroll_latencies(app, session, view, window_s: float, scrolls: int) -> np.ndarray:
    """Milliseconds from ``session.scroll(0.5)`` to the drawn and rendered window."""
    session.set_time_window(0.0, window_s)
    wait_drawn(app, view)
    latencies = []
    for index in range(scrolls):
        if session.frame_window[1] >= session.num_samples:
            session.go_to_start()
            wait_drawn(app, view)
        start = time.perf_counter()
        session.scroll(0.5 if index % 2 == 0 else 1.0)
        wait_drawn(app, view)
        view.grab()
        latencies.append(time.perf_counter() - start)
    return 1e3 * np.array(latencies)


class StallMeter:
    """Longest gap between the ticks of a QTimer on the GUI thread."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer(interval=TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest_ms = max(self.longest_ms, 1e3 * (now - self._last))
        self._last = now


def stall_during_save(app, session, view, recording, folder: Path) -> tuple[float, float, int]:
    """Longest GUI gap (ms) while saving, the save's duration (s) and the scrolls made."""
    session.set_time_window(0.0, 1.0)
    wait_drawn(app, view)
    failure: list[BaseException] = []

    def save() -> None:
        try:
            recording.save(
                folder=folder / "saved",
                n_jobs=2,
                pool_engine="thread",
                progress_bar=False,
                verbose=False,
            )
        except BaseException as error:  # reported by the main thread
            failure.append(error)

    saver = threading.Thread(target=save, name="bench-save")
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    saver.start()
    scrolls = 0
    while saver.is_alive():
        if session.frame_window[1] >= session.num_samples:
            session.go_to_start()
        else:
            session.scroll(0.5)
        wait_drawn(app, view)
        scrolls += 1
        # let the timer tick between scrolls, as a user would not scroll without pause
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    elapsed = time.perf_counter() - started
    meter.timer.stop()
    if failure:
        raise failure[0]
    return meter.longest_ms, elapsed, scrolls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of data (>= 60)")
    parser.add_argument("--scrolls", type=int, default=40, help="scrolls per window width")
    parser.add_argument("--folder", type=Path, default=None, help="where to write the data")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = Path(tmp)
        recording = write_recording(folder, args.duration)
        print(f"recording: {recording}")
        session = Session()
        view = TraceView(session)
        view.resize(1600, 900)
        view.show()
        session.open(recording=recording, source="bench")
        wait_drawn(app, view)
        print(f"view: 1600x900, {view.drawn_channel_count()} channels drawn")
        print(f"{'window':>8} {'median ms':>10} {'p95 ms':>8}")
        for window_s in WINDOWS_S:
            scrolls = max(args.scrolls // 4, 5) if window_s >= 10 else args.scrolls
            latencies = scroll_latencies(app, session, view, window_s, scrolls)
            print(
                f"{window_s:>7g}s {np.median(latencies):>10.1f} "
                f"{np.percentile(latencies, 95):>8.1f}"
            )
        longest, elapsed, scrolls = stall_during_save(app, session, view, recording, folder)
        print(
            f"longest GUI-thread stall during a binary save (n_jobs=2, threads, {elapsed:.1f} s, "
            f"{scrolls} scrolls of 1 s windows meanwhile): {longest:.1f} ms"
        )
        view.close()


if __name__ == "__main__":
    main()
