"""Benchmark: trace view latency on a lazy 384-channel 30 kHz int16 recording of one hour with a
sorting of 500 units (about 9 M spikes), and GUI stalls.

The recording is a binary file made with ``truncate`` (sparse: it takes no disk space) whose
first ``--filled`` seconds are written with noise and spikes through ``np.memmap``; it is opened
lazily with ``read_binary`` and a 4-column probe. Each unit has its channel in
``session.unit_channel_ids``, so every window also marks its spikes.

Prints, for 0.1 s, 1 s and 10 s windows and with 48 and 384 channels on screen, the median and
95th percentile of the time from a ``session.scroll()`` to the new window drawn on screen (the
view's ``frame_drawn`` signal plus a forced render with ``view.grab()``); the same for a change
of gain and for a scroll over channels (restyles of the window on display); then the longest gap
between the ticks of a 5 ms QTimer on the GUI thread while a binary save of a minute of the
recording runs in a background thread and the view keeps scrolling. Last, the read of a 1 s and
a 10 s window of the 384 channels by ``get_traces`` compared with SpikeInterface 0.100.8 and
0.105.3 (each in its own virtualenv; best of 3, order alternated; ratio to the faster one).
Targets: 1 s window < 30 ms median; no GUI stall > 50 ms.

Each version runs in a process of its own: ``--source DIR`` names the ``app`` and ``core``
packages to measure (this checkout by default) and ``--compare DIR`` a second version (e.g. an
export of an older commit, ``git archive <rev> app core``), measured on the same data in
alternating order for ``--rounds`` rounds; the best figures are printed, with the ratio of the
two. Options an older view lacks are skipped.

``--overview`` measures instead hours-long browsing with the display pyramid, on a 2-hour (or
``--overview-hours``) 384-channel SpikeInterface binary folder made by
``tests/benchmarks/long_recording.py`` (sparse, 1 % written with noise and spikes): the pyramid
build (time, size, peak memory, in a subprocess); the time to the first frame after
``spikedesk FOLDER`` (a subprocess that builds the main window as the command does), with the
pyramid cached and without; the frame time from request to drawn frame (see below) for windows
of 10 ms, 1 s, 1 min, 10 min and 2 h at random places once the pyramid exists, with 48 and 384
channels on screen (and the CPU time the process used meanwhile, all threads: on a shared
machine the wall time also counts other processes' turns); and a soak of ``--soak-steps`` random
navigation steps (scroll, zoom in and out, jumps, any width from 10 ms to the whole file) at
60 steps per second, printing the growth of resident memory and the longest gap of a 5 ms
QTimer on the GUI thread. Before timing, the view idles as the app does once a file is open and
drawn (`idle_after_opening`: the app's collector then collects everything and freezes the
survivors), and the raw file is evicted from the page cache (`evict_from_page_cache`).
Targets: every width < 30 ms median; first frame < 2 s; memory growth < 200 MB; no stall
> 50 ms. ``--frames-only`` skips the build and the first frames (the folder
must hold the recording and its pyramid, e.g. from an earlier ``--keep`` run): frame times and
soak only. Pass ``--keep`` with an existing ``--folder``, which is otherwise deleted.

How a frame is timed (``--overview``): from ``session.set_frame_window`` to the end of the
first paint event of the plot's viewport after the new frame is shown (`PaintWaiter`): the
paint the widget does anyway, once, as on screen. Runs before December 2026 (session 5) timed
to ``frame_drawn`` plus a forced ``view.grab()``, which renders the whole widget into a new
pixmap while the widget's own repaint still follows, in the next frame's interval: every frame
was painted twice. ``--grab`` also times as many other random windows that way, alternately
with the first ones, and prints them beside (``grab ms``, ``grab cpu``) for comparison.

Usage: ``python tests/benchmarks/bench_trace_view.py [--hours 1] [--filled 60] [--scrolls 40]
[--units 500] [--folder DIR] [--source DIR] [--compare DIR] [--rounds 3] [--si0100 PY]
[--si0105 PY] [--no-si]``, or ``python tests/benchmarks/bench_trace_view.py --overview
[--overview-hours 2] [--folder DIR] [--soak-steps 3000] [--keep] [--frames-only] [--grab]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules
from stall_meter import StallMeter

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
WINDOWS_S = (0.1, 1.0, 10.0)
CHANNELS_ON_SCREEN = (48, 384)
SI_VENVS = {
    "si0100": "/work/si-venvs/si0100/bin/python",
    "si0105": "/work/si-venvs/si0105/bin/python",
}
SI_REQUIREMENTS = {"si0100": "spikeinterface==0.100.8", "si0105": "spikeinterface==0.105.3"}


def write_recording(path: Path, hours: float, filled_s: float) -> None:
    """A sparse int16 file of ``hours``, its first ``filled_s`` seconds noise with spikes."""
    import numpy as np

    num_samples = int(hours * 3600 * SAMPLING_FREQUENCY)
    with open(path, "wb") as file:
        file.truncate(num_samples * NUM_CHANNELS * 2)
    traces = np.memmap(path, dtype="int16", mode="r+", shape=(num_samples, NUM_CHANNELS))
    rng = np.random.default_rng(0)
    block = int(SAMPLING_FREQUENCY)
    for second in range(int(filled_s)):
        noise = rng.normal(0, 15, size=(block, NUM_CHANNELS))
        noise[rng.random((block, NUM_CHANNELS)) < 2e-4] -= 120
        traces[second * block : (second + 1) * block] = noise.astype("int16")
    traces.flush()
    del traces


def open_recording(path: Path):
    """The file as a lazy recording with a 4-column probe."""
    import numpy as np
    import probeinterface as pi

    import core as si

    recording = si.read_binary(
        path,
        sampling_frequency=SAMPLING_FREQUENCY,
        dtype="int16",
        num_channels=NUM_CHANNELS,
        gain_to_uV=0.195,
        offset_to_uV=0.0,
    )
    probe = pi.generate_multi_columns_probe(
        num_columns=4, num_contact_per_column=NUM_CHANNELS // 4, xpitch=16, ypitch=20
    )
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    return recording.set_probe(probe)


def make_sorting(recording, num_units: int, rate_hz: float):
    """Units firing uniformly over the whole recording, and a channel for each."""
    import numpy as np

    import core as si

    rng = np.random.default_rng(1)
    num_samples = recording.get_num_samples()
    count = int(num_units * rate_hz * num_samples / SAMPLING_FREQUENCY)
    samples = np.sort(rng.integers(0, num_samples, count))
    labels = rng.integers(0, num_units, count)
    sorting = si.NumpySorting.from_times_labels(samples, labels, SAMPLING_FREQUENCY)
    channel_ids = recording.channel_ids
    channels = {u: channel_ids[rng.integers(0, NUM_CHANNELS)].item() for u in sorting.unit_ids}
    return sorting, channels


def wait_drawn(view, timeout_ms: int = 60_000) -> None:
    """Run the event loop until the newest window is drawn (blocking, without polling)."""
    from PySide6.QtCore import QEventLoop, QTimer

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


def timed(view, action) -> float:
    """Milliseconds from ``action()`` to the new frame drawn and rendered by ``view.grab()``
    (the method of the runs before `timed_to_paint`: the widget is painted twice, into the
    grabbed pixmap and then by its own pending repaint, which falls into the next interval)."""
    started = time.perf_counter()
    action()
    wait_drawn(view)
    view.grab()
    return 1e3 * (time.perf_counter() - started)


class PaintWaiter:
    """Runs the event loop until the plot's viewport has painted the newest frame once: the
    paint the widget does anyway (as on screen), not a forced render of its own."""

    def __init__(self, view) -> None:
        from PySide6.QtCore import QEvent, QObject

        self._view = view
        self._viewport = view.plot_widget.viewport()
        self._paint = QEvent.Type.Paint
        self._armed = False
        self._loop = None
        waiter = self

        class Filter(QObject):
            def eventFilter(self, watched, event) -> bool:
                # the loop quits once this paint event has been delivered (painted)
                if event.type() == waiter._paint and waiter._armed and waiter._loop is not None:
                    waiter._armed = False
                    waiter._loop.quit()
                return False

        self._filter = Filter()
        self._viewport.installEventFilter(self._filter)
        view.frame_drawn.connect(self._on_drawn)

    def _on_drawn(self, *_) -> None:
        self._armed = self._view.is_current()

    def flush(self, timeout_ms: int = 200) -> None:
        """Let a paint still pending (e.g. after a ``view.grab()``) happen, untimed."""
        self.wait(lambda: None, timeout_ms, armed=True)

    def wait(self, action, timeout_ms: int = 60_000, armed: bool = False) -> None:
        """Run ``action()`` and the event loop until the frame it asks for is painted."""
        from PySide6.QtCore import QEventLoop, QTimer

        self._armed = armed
        self._loop = QEventLoop()
        timer = QTimer(singleShot=True, interval=timeout_ms)
        timer.timeout.connect(self._loop.quit)
        timer.start()
        action()
        self._loop.exec()
        timer.stop()
        self._loop = None
        if not self._view.is_current():
            raise RuntimeError(f"no frame painted within {timeout_ms} ms")


def timed_to_paint(waiter: PaintWaiter, action) -> float:
    """Milliseconds from ``action()`` to the new frame painted on screen by the widget's own
    paint event (one paint, as the user sees it)."""
    started = time.perf_counter()
    waiter.wait(action)
    return 1e3 * (time.perf_counter() - started)


def timed_with_cpu(timer, action) -> tuple[float, float]:
    """``timer(action)`` (ms), and the CPU time this process used meanwhile (all its threads),
    in ms: on a shared machine the wall time also counts the other processes' turns."""
    cpu = time.process_time()
    wall = timer(action)
    return wall, 1e3 * (time.process_time() - cpu)


def scroll_latencies(session, view, window_s: float, scrolls: int, filled_s: float):
    """Scrolls through the filled part of the file, half and whole windows at a time."""
    import numpy as np

    session.set_time_window(0.0, window_s)
    wait_drawn(view)
    latencies = []
    for index in range(scrolls):
        if session.frame_to_time(session.frame_window[1]) >= filled_s:
            session.go_to_start()
            wait_drawn(view)
        latencies.append(timed(view, lambda i=index: session.scroll(0.5 if i % 2 else 1.0)))
    return np.array(latencies)


def restyle_latencies(view, changes: int, channel_scroll: bool):
    """Gain changes, or scrolls over channels, of the window on display."""
    import numpy as np

    latencies = []
    for index in range(changes):
        if channel_scroll:
            step = 12 if (index // 8) % 2 == 0 else -12
            latencies.append(timed(view, lambda s=step: view.scroll_channels(s)))
        else:
            gain = 1.25 if index % 2 == 0 else 0.8
            latencies.append(timed(view, lambda g=gain: view.set_gain(view.gain * g)))
    return np.array(latencies)


def stall_during_save(app, session, view, recording, folder: Path, filled_s: float):
    """Longest GUI gap (ms) while saving a minute, the save's duration (s) and the scrolls."""
    from PySide6.QtCore import QEventLoop

    session.set_time_window(0.0, 1.0)
    wait_drawn(view)
    minute = recording.frame_slice(0, int(min(60.0, filled_s) * SAMPLING_FREQUENCY))
    failure: list[BaseException] = []

    def save() -> None:
        try:
            minute.save(
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
        if session.frame_to_time(session.frame_window[1]) >= filled_s:
            session.go_to_start()
        else:
            session.scroll(0.5)
        wait_drawn(view)
        scrolls += 1
        # let the timer tick between scrolls, as a user would not scroll without pause
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    elapsed = time.perf_counter() - started
    meter.timer.stop()
    if failure:
        raise failure[0]
    return meter.longest_ms, elapsed, scrolls


READ_SCRIPT = """
import json, sys, time
import numpy as np
path, windows, module = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
if module == "core":
    import core as si
    kwargs = {"return_scaled": True}
else:
    import spikeinterface
    import spikeinterface.core as si
    major_minor = tuple(int(p) for p in spikeinterface.__version__.split(".")[:2])
    kwargs = {"return_in_uV": True} if major_minor >= (0, 103) else {"return_scaled": True}
recording = si.read_binary(path, sampling_frequency=30000.0, dtype="int16", num_channels=384,
                           gain_to_uV=0.195, offset_to_uV=0.0)
times = {}
for seconds in windows:
    n = int(seconds * 30000)
    best = float("inf")
    for start in (0, n, 2 * n):
        t = time.perf_counter()
        np.asarray(recording.get_traces(start_frame=start, end_frame=start + n, **kwargs))
        best = min(best, time.perf_counter() - t)
    times[str(seconds)] = best * 1e3
print(json.dumps(times))
"""


def read_times(python: str, path: Path, windows, module: str, source: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source)}
    result = subprocess.run(
        [python, "-c", READ_SCRIPT, str(path), json.dumps(list(windows)), module],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def ensure_venv(name: str, python: str) -> str:
    """The SpikeInterface venv's python, created when missing."""
    if Path(python).exists():
        return python
    venv = Path(python).parents[1]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([python, "-m", "pip", "install", SI_REQUIREMENTS[name]], check=True)
    return python


def compare_reads(path: Path, args, source: Path) -> None:
    """get_traces of 1 s and 10 s windows: SpikeDesk vs both SpikeInterface versions."""
    windows = (1.0, 10.0)
    pythons = {"core": sys.executable}
    pythons.update({name: ensure_venv(name, getattr(args, name)) for name in SI_VENVS})
    best: dict = {name: {} for name in pythons}
    names = list(pythons)
    for round_index in range(3):  # alternate the order between rounds
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            module = "core" if name == "core" else "spikeinterface"
            for window, ms in read_times(pythons[name], path, windows, module, source).items():
                best[name][window] = min(best[name].get(window, float("inf")), ms)
    print("\nread of a window of 384 channels (µV), best of 3 rounds")
    print(f"{'window':>8} {'SpikeDesk':>10} {'SI 0.100':>9} {'SI 0.105':>9} {'ratio':>6}")
    for window in map(str, windows):
        ours, old, new = (best[n][window] for n in ("core", "si0100", "si0105"))
        print(
            f"{float(window):>7g}s {ours:>8.1f}ms {old:>7.1f}ms {new:>7.1f}ms "
            f"{ours / min(old, new):>6.2f}"
        )


# ---------------------------------------------------------------------- overview (pyramid)
OVERVIEW_WINDOWS_S = {"10 ms": 0.01, "1 s": 1.0, "1 min": 60.0, "10 min": 600.0, "2 h": 7200.0}
FIRST_FRAME_SCRIPT = """
import json, sys, time
from PySide6.QtWidgets import QApplication
import app.__main__ as entry
qt = QApplication([sys.argv[0]])
qt.setApplicationName(entry.APP_NAME)
qt.setOrganizationName(entry.APP_NAME)
window = entry.build_window([sys.argv[1]])
window.resize(1600, 1000)
window.show()
view = window.trace_view
def drawn(*_):
    if view.displayed_window() is not None and view.is_current():
        print(json.dumps({"drawn": time.time()}), flush=True)
        window.close()
        qt.quit()
view.frame_drawn.connect(drawn)
qt.exec()
"""


def idle_after_opening() -> None:
    """What the app does after a file is opened: the main window asks its collector for a
    collection of everything when the session's source changes (`request_full_collection`),
    which runs, and freezes the survivors, once the process has been idle for `IDLE_FOR_S`;
    the event loop runs idle here that long (plus two checks). Without it, the benchmark (no
    main window, never idle) had its first full collection, of every object made since the
    start (~100,000), forced into the soak `MAX_WAIT_S` after the start: a 138 ms stall,
    traced with /work/tools/stallwatch.py (7 December 2026)."""
    import gc

    from PySide6.QtCore import QEventLoop, QTimer

    from app.gui_thread_gc import CHECK_INTERVAL_S, IDLE_FOR_S, request_full_collection

    request_full_collection()
    loop = QEventLoop()
    QTimer.singleShot(int(1000 * (IDLE_FOR_S + 2 * CHECK_INTERVAL_S)), loop.quit)
    loop.exec()
    print(f"idle after opening: {gc.get_freeze_count()} objects frozen by the app's collector")


def evict_from_page_cache(folder: Path) -> None:
    """Drop the recording's raw files from the page cache (``POSIX_FADV_DONTNEED``), so that
    every run times the same cold windows whatever ran before it: the windows are drawn from a
    fixed seed, and a run just before (of another version, say) would otherwise leave them cached
    for the next one."""
    for path in sorted(folder.glob("*.raw")):
        with open(path, "rb") as file:
            os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def status_mb(key: str) -> float:
    """VmRSS / VmHWM of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_frame_seconds(folder: Path, xdg: Path, source: Path) -> float:
    """Seconds from starting ``spikedesk FOLDER`` (a fresh process) to its first trace frame."""
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "XDG_CACHE_HOME": str(xdg / "cache"),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])["drawn"] - started


def overview_frame_times(session, view, num_samples: int, reads: int, waiter, grab: bool):
    """Per width: median and p95 (ms) of set_frame_window to the frame painted once by the
    widget (``waiter``), the median CPU time of the process meanwhile (ms), where it was read,
    and, when ``grab``, the median and CPU of the earlier method (drawn + ``view.grab()``) over
    as many other random windows, timed alternately with the first ones."""
    import numpy as np

    rng = np.random.default_rng(5)
    results = {}
    methods = {
        "paint": lambda action: timed_to_paint(waiter, action),
        "grab": lambda action: timed(view, action),
    }
    order = ["paint", "grab"] if grab else ["paint"]
    for name, seconds in OVERVIEW_WINDOWS_S.items():
        length = min(int(seconds * SAMPLING_FREQUENCY), num_samples)
        figures = {method: ([], []) for method in order}
        starts = rng.integers(0, max(num_samples - length, 1), reads * len(order))
        for index, start in enumerate(starts):
            method = order[index % len(order)]
            if session.frame_window == (int(start), int(start) + length):
                # the same window again (a window as long as the file has one place) would not
                # be read again: come from a half-width window, as a zoom-out does (untimed)
                waiter.wait(lambda s=int(start), n=length: session.set_frame_window(s, s + n // 2))
            wall, used = timed_with_cpu(
                methods[method], lambda s=int(start), n=length: session.set_frame_window(s, s + n)
            )
            figures[method][0].append(wall)
            if method == "grab":  # its own repaint is still to come: untimed, not in the next
                waiter.flush()  # interval
            figures[method][1].append(used)
        paint_times, paint_cpu = figures["paint"]
        grab_times, grab_cpu = figures.get("grab", ([np.nan], [np.nan]))
        results[name] = {
            "median": np.median(paint_times),
            "p95": np.percentile(paint_times, 95),
            "cpu": np.median(paint_cpu),
            "source": view.displayed_window().source,
            "grab_median": np.median(grab_times),
            "grab_cpu": np.median(grab_cpu),
        }
    return results


def soak(app, session, view, steps: int, num_samples: int) -> dict:
    """Random navigation at 60 steps per second; memory growth and the longest GUI stall."""
    import numpy as np
    from PySide6.QtCore import QEventLoop, QTimer

    rng = np.random.default_rng(11)
    meter = StallMeter()
    baseline = status_mb("VmRSS")
    peak = baseline
    done = [0]
    loop = QEventLoop()

    def step() -> None:
        nonlocal peak
        action = rng.integers(0, 5)
        start, end = session.frame_window
        if action == 0:
            session.scroll(float(rng.choice([-1.0, -0.1, 0.1, 1.0])))
        elif action == 1:
            anchor = int(rng.integers(start, max(end, start + 1)))
            session.zoom(float(rng.choice([0.5, 0.8, 1.25, 2.0])), anchor_frame=anchor)
        elif action == 2:
            session.go_to_time(float(rng.uniform(0, num_samples / SAMPLING_FREQUENCY)))
        else:
            width = int(10 ** rng.uniform(np.log10(300), np.log10(num_samples)))
            first = int(rng.integers(0, max(num_samples - width, 1)))
            session.set_frame_window(first, first + width)
        done[0] += 1
        if done[0] % 100 == 0:
            peak = max(peak, status_mb("VmRSS"))
        if done[0] >= steps:
            timer.stop()
            loop.quit()

    timer = QTimer(interval=16)
    timer.timeout.connect(step)
    meter.start()
    started = time.perf_counter()
    timer.start()
    loop.exec()
    wait_drawn(view)
    app.processEvents()
    meter.timer.stop()
    return {
        "seconds": time.perf_counter() - started,
        "baseline_mb": baseline,
        "peak_mb": max(peak, status_mb("VmRSS")),
        "end_mb": status_mb("VmRSS"),
        "longest_stall_ms": meter.longest_ms,
        "longest_stall": meter.longest.describe(),
    }


def build_pyramid_and_first_frames(
    folder: Path, work: Path, xdg: Path, cache: Path, source: Path
) -> None:
    """Time the first frame without a pyramid, build the pyramid (in a subprocess), then time
    the first frame with it cached."""
    import shutil

    from tests.benchmarks.bench_display_pyramid import run_build

    no_pyramid = work / "xdg-empty"
    shutil.rmtree(no_pyramid, ignore_errors=True)
    cold = first_frame_seconds(folder, no_pyramid, source)
    shutil.rmtree(cache, ignore_errors=True)
    build = run_build(folder, cache)
    print(
        f"pyramid build: {build['seconds']:.0f} s for {build['raw_bytes'] / 1e9:.0f} GB "
        f"({build['raw_bytes'] / build['seconds'] / 1e9:.2f} GB/s); "
        f"{build['pyramid_bytes'] / 1e9:.2f} GB on disk "
        f"({100 * build['pyramid_bytes'] / build['raw_bytes']:.1f} %); resident memory "
        f"{build['baseline_mb']:.0f} MB before, peak {build['peak_mb']:.0f} MB"
    )
    warm = first_frame_seconds(folder, xdg, source)
    print(
        f"first frame after `spikedesk FOLDER`: {cold:.2f} s before the pyramid exists, "
        f"{warm:.2f} s with it cached (process start to the first trace frame drawn)"
    )


def overview_benchmark(args) -> None:
    """The ``--overview`` run: see the module docstring."""
    import shutil

    from PySide6.QtWidgets import QApplication

    import core as si
    from app.model.display_pyramid import DisplayPyramid
    from app.model.session import Session
    from app.model.window_source import READY, OverviewState
    from app.views.traces import TraceView
    from tests.benchmarks.long_recording import make_recording_folder

    app = QApplication.instance() or QApplication([])
    from app.gui_thread_gc import collect_garbage_in_gui_thread

    collect_garbage_in_gui_thread()  # as `python -m app` runs
    from app.jobs import GIL_SWITCH_INTERVAL_S

    # as the app's JobManager sets it (Python's 5 ms default made the GUI thread wait up to
    # 5 ms for the GIL each time it took it back from the fetcher's thread)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    work = Path(args.folder or tempfile.mkdtemp(prefix="bench-overview-"))
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "recording"
    xdg = work / "xdg"
    cache = xdg / "cache" / "SpikeDesk" / "SpikeDesk" / "overview"
    try:
        if not (folder / "binary.json").exists():
            make_recording_folder(folder, args.overview_hours * 3600, fill=0.01)
        recording = si.load_extractor(folder)
        print(f"recording: {recording}")
        if not args.frames_only:
            build_pyramid_and_first_frames(folder, work, xdg, cache, args.source)
        pyramid = DisplayPyramid(recording, cache)
        if not pyramid.is_complete():
            raise RuntimeError(f"the pyramid built in the subprocess is not in {cache}")
        session = Session()
        view = TraceView(session)
        view.resize(1600, 900)
        view.show()
        session.open(recording=recording, source="bench")
        session.set_overview(OverviewState(READY, pyramid, 1.0))
        wait_drawn(view)
        idle_after_opening()
        evict_from_page_cache(folder)
        num_samples = recording.get_num_samples()
        waiter = PaintWaiter(view)
        print(
            f"\nframe time, set_frame_window to the frame painted once ({args.scrolls} random "
            "windows)" + ("; grab: the same windows, drawn + view.grab()" if args.grab else "")
        )
        print(
            f"{'window':>8} {'channels':>9} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7} "
            f"{'grab ms':>8} {'grab cpu':>9}  read from"
        )
        for channels in CHANNELS_ON_SCREEN:
            view.set_channels_per_screen(channels)
            wait_drawn(view)
            for name, row in overview_frame_times(
                session, view, num_samples, args.scrolls, waiter, args.grab
            ).items():
                count = view.drawn_channel_count()
                print(
                    f"{name:>8} {count:>9} {row['median']:>10.1f} {row['p95']:>8.1f} "
                    f"{row['cpu']:>7.1f} {row['grab_median']:>8.1f} {row['grab_cpu']:>9.1f}  "
                    f"{row['source']}"
                )
        view.set_channels_per_screen(48)
        result = soak(app, session, view, args.soak_steps, num_samples)
        print(
            f"\nsoak: {args.soak_steps} random navigation steps in {result['seconds']:.0f} s; "
            f"resident memory {result['baseline_mb']:.0f} MB before, peak "
            f"{result['peak_mb']:.0f} MB (+{result['peak_mb'] - result['baseline_mb']:.0f} MB), "
            f"{result['end_mb']:.0f} MB after; longest GUI stall {result['longest_stall']}"
        )
        view.close()
        pyramid.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def measure(args, path: Path) -> dict:
    """One version's figures (in this process): ``{name: (median ms, p95 ms)}`` and the stall."""
    sys.path.insert(0, str(args.source))
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from app.model.session import Session
    from app.views.traces import TraceView

    app = QApplication.instance() or QApplication([])
    recording = open_recording(path)
    sorting, unit_channels = make_sorting(recording, args.units, args.rate)
    results: dict = {}
    session = Session()
    view = TraceView(session)
    view.resize(1600, 900)
    view.show()
    started = time.perf_counter()
    session.open(recording=recording, sorting=sorting, source="bench")
    session.set_unit_channels(unit_channels)
    wait_drawn(view)
    results["first window drawn"] = [1e3 * (time.perf_counter() - started)] * 2

    def record(name: str, latencies) -> None:
        results[name] = [float(np.median(latencies)), float(np.percentile(latencies, 95))]

    can_zoom = hasattr(view, "set_channels_per_screen")
    for channels in CHANNELS_ON_SCREEN if can_zoom else (NUM_CHANNELS,):
        if can_zoom:
            view.set_channels_per_screen(channels)
        for window_s in WINDOWS_S:
            scrolls = max(args.scrolls // 4, 5) if window_s >= 10 else args.scrolls
            latencies = scroll_latencies(session, view, window_s, scrolls, args.filled)
            record(f"scroll {window_s:g} s, {view.drawn_channel_count()} ch", latencies)
    session.set_time_window(0.0, 1.0)
    wait_drawn(view)
    for channels in CHANNELS_ON_SCREEN if can_zoom else (NUM_CHANNELS,):
        if can_zoom:
            view.set_channels_per_screen(channels)
            wait_drawn(view)
        gains = restyle_latencies(view, args.scrolls, channel_scroll=False)
        record(f"gain change 1 s, {view.drawn_channel_count()} ch", gains)
    if can_zoom:
        view.set_channels_per_screen(48)
        wait_drawn(view)
        record("channel scroll 1 s, 48 ch", restyle_latencies(view, args.scrolls, True))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        longest, _, _ = stall_during_save(app, session, view, recording, Path(tmp), args.filled)
    results["GUI stall during a save"] = [longest, longest]
    view.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0, help="length of the recording")
    parser.add_argument("--filled", type=float, default=60.0, help="seconds written with data")
    parser.add_argument("--scrolls", type=int, default=40, help="scrolls per window width")
    parser.add_argument("--units", type=int, default=500, help="units of the sorting")
    parser.add_argument("--rate", type=float, default=5.0, help="firing rate of each unit (Hz)")
    parser.add_argument("--folder", type=Path, default=None, help="where to write the data")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--compare", type=Path, default=None, help="another version to measure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (best of)")
    parser.add_argument("--si0100", default=SI_VENVS["si0100"], help="python of SI 0.100.8")
    parser.add_argument("--si0105", default=SI_VENVS["si0105"], help="python of SI 0.105.3")
    parser.add_argument("--no-si", action="store_true", help="skip the SpikeInterface reads")
    parser.add_argument("--overview", action="store_true", help="the display pyramid run only")
    parser.add_argument("--overview-hours", type=float, default=2.0)
    parser.add_argument("--soak-steps", type=int, default=3000)
    parser.add_argument("--keep", action="store_true", help="keep the --overview files")
    parser.add_argument(
        "--frames-only",
        action="store_true",
        help="--overview: frame times and soak only, with the pyramid already in --folder",
    )
    parser.add_argument(
        "--grab",
        action="store_true",
        help="--overview: also time the same windows the earlier way (drawn + view.grab())",
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.overview:
        sys.path.insert(0, str(args.source))
        overview_benchmark(args)
        return
    if args.child is not None:  # one version, in a process of its own
        print(json.dumps(measure(args, args.child)))
        return

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        path = Path(tmp) / "traces.raw"
        write_recording(path, args.hours, args.filled)
        sources = [args.source] + ([args.compare] if args.compare else [])
        best: dict = {str(source): {} for source in sources}
        common = ["--hours", str(args.hours), "--filled", str(args.filled)]
        common += ["--scrolls", str(args.scrolls), "--units", str(args.units)]
        common += ["--rate", str(args.rate)]
        for round_index in range(args.rounds):  # alternate the order between rounds
            for source in sources if round_index % 2 == 0 else sources[::-1]:
                output = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), "--source", str(source)]
                    + common,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                figures = json.loads(output.strip().splitlines()[-1])
                for name, (median, p95) in figures.items():
                    old = best[str(source)].get(name, [float("inf")] * 2)
                    best[str(source)][name] = [min(old[0], median), min(old[1], p95)]
        print(
            f"{args.hours:g} h lazy 384-channel int16 recording, {args.units} units at "
            f"{args.rate:g} Hz; view 1600x900; best of {args.rounds} rounds (ms)"
        )
        names = list(dict.fromkeys(n for figures in best.values() for n in figures))
        header = f"{'':<36}" + "".join(f"{Path(s).name[:22]:>24}" for s in sources)
        print(header + ("   ratio" if args.compare else ""))
        for name in names:
            cells, medians = "", []
            for source in sources:
                figure = best[str(source)].get(name)
                medians.append(None if figure is None else figure[0])
                cells += (
                    f"{'—':>24}"
                    if figure is None
                    else f"{figure[0]:>11.1f} (p95 {figure[1]:>6.1f})"
                )
            ratio = ""
            if args.compare and None not in medians:
                ratio = f"{medians[0] / medians[1]:>8.2f}"
            print(f"{name:<36}{cells}{ratio}")
        if not args.no_si:
            compare_reads(path, args, args.source)


if __name__ == "__main__":
    main()
