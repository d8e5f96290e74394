"""Benchmark: merge and split in the real main window, on 500 units and 10 M spikes.

The recording is a lazy int16 binary file of 384 channels, one hour at 30 kHz (a sparse file:
its content is zeros read from the file's holes); the sorting (lognormal rates) is saved as a
numpy folder and opened from it. A `MainWindow` (offscreen platform, 1600x1000, every dock)
shows them; the background jobs it starts on opening (metrics, unit channels) are left to end
first.

Then, ``--reps`` times each, alternately:

- **merge** two units picked at random (the Curation ▸ Merge action, as Ctrl+M triggers it);
- **split** the largest unit: half of its spikes, drawn at random, picked as the amplitude
  lasso does (``session.select_spikes``), then Curation ▸ Split.

For each action: the time the action's call holds the GUI thread (the action, its journal
line written and synced, the session updated); the time until the units table has the new
row(s) and not the old one(s); until the rasters have redrawn with the new unit's row; until the
correlograms show the new unit; until the templates and the amplitudes draw the selection the
action leaves (after a label: the same unit, drawn for the labelled sorting; after a merge or a
split: the new units, drawn at first from the units before the action when the view can
estimate them, "provisional"; the time until the templates view draws them from their own
waveforms, read in the background, is printed too: "templates recomputed"); and the longest gap between ticks of a 5 ms timer on the GUI
thread from the trigger until the work the action set off has ended (views and background
jobs): the longest GUI stall; the GUI thread's CPU time from the trigger until the views show
the result (all views; and the templates view's share: its slots and the painting of its plot),
which does not depend on the machine's load. Target: views show the result within
200 ms. Between two actions the background jobs they start (metrics and templates of the new
units) are left to end, and the templates and amplitudes to draw the units the next pick
selects (and then paint them: 0.3 s of event loop), so that each action is timed in the
same state.

SpikeInterface has no window: there is nothing of it to run here (see ``bench_curation.py``
for the curation model itself against SpikeInterface 0.100.8 and 0.105.3).

Usage (one benchmark at a time on this machine)::

    flock /work/bench.lock python tests/benchmarks/bench_curation_view.py [--units 500]
        [--spikes 10_000_000] [--duration 3600] [--reps 7] [--folder DIR]
        [--actions label remove merge undo split]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_units_view import make_data, open_recording, run_until
from stall_meter import StallMeter

#: The views timed.
VIEWS = ("table", "rasters", "correlograms", "templates", "amplitudes")
#: Actions timed, in the order of one repetition.
ACTIONS = ("label", "remove", "merge", "undo", "split")
#: Longest wait for a view, and for the background jobs between two actions, in seconds.
VIEW_TIMEOUT_S = 120.0
JOBS_TIMEOUT_S = 900.0
#: Seconds of event loop after the views drew the pick, before an action is triggered.
SETTLE_PAINT_S = 0.3


@dataclass
class Timings:
    """Milliseconds per repetition of one action."""

    gui_call: list = field(default_factory=list)
    table: list = field(default_factory=list)
    rasters: list = field(default_factory=list)
    correlograms: list = field(default_factory=list)
    templates: list = field(default_factory=list)
    amplitudes: list = field(default_factory=list)
    all_views: list = field(default_factory=list)
    templates_exact: list = field(default_factory=list)  # the templates' own, not provisional
    stall: list = field(default_factory=list)
    gui_cpu: list = field(default_factory=list)  # GUI thread CPU until all views show it
    view_cpu: dict = field(default_factory=dict)  # view: GUI CPU until it shows it, per rep
    templates_cpu: list = field(default_factory=list)  # in the templates view's slots and paint


class TemplatesCpu:
    """GUI-thread CPU time (``time.thread_time``) spent in the templates view: its slots (new
    source, request, result) and the painting of its plot. Installed before the window is
    made (the view's signals connect the wrapped slots)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.plot = None  # the templates view's plot widget
        self._depth = 0

    def install(self) -> None:
        import pyqtgraph as pg

        from app.views.templates import TemplateView

        for name in ("_reset_source", "_request", "_on_result"):
            setattr(TemplateView, name, self._timed(getattr(TemplateView, name)))
        paint = pg.GraphicsView.paintEvent
        timed_paint = self._timed(paint)

        def paint_event(view, event):
            return (timed_paint if view is self.plot else paint)(view, event)

        pg.GraphicsView.paintEvent = paint_event

    def _timed(self, function):
        def timed(*args, **kwargs):
            self._depth += 1
            start = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds += time.thread_time() - start

        return timed


TEMPLATES_CPU = TemplatesCpu()


class Watch:
    """Times, from a start, at which each view first shows the expected units."""

    def __init__(self, window, new_ids: list, old_ids: list, views=VIEWS, label=None) -> None:
        self.window = window
        self.new_ids, self.old_ids = set(new_ids), set(old_ids)
        self.views = set(views)
        self.label = label  # (unit_id, text) the table must show in its quality column
        self.start = 0.0
        self.start_cpu = 0.0
        self.done: dict[str, float] = {}
        self.exact_templates: float | None = None  # when drawn from their own waveforms
        self.cpu: dict[str, float] = {}  # GUI-thread CPU ms from the trigger to each view
        rasters = window.views["rasters"]
        rasters.drawn.connect(self._rasters_drawn)
        window.views["correlograms"].drawn.connect(self._correlograms_drawn)
        window.views["templates"].drawn.connect(self._templates_drawn)
        window.views["amplitudes"].drawn.connect(self._amplitudes_drawn)

    def begin(self) -> None:
        self.start = time.perf_counter()
        self.start_cpu = time.thread_time()

    def _elapsed(self) -> float:
        return (time.perf_counter() - self.start) * 1000

    def _mark(self, view: str) -> None:
        """``view`` shows the result now (called on the GUI thread)."""
        self.done[view] = self._elapsed()
        self.cpu[view] = (time.thread_time() - self.start_cpu) * 1000

    def _rasters_drawn(self) -> None:
        rows = set(self.window.views["rasters"].row_unit_ids())
        if (
            "rasters" in self.views
            and "rasters" not in self.done
            and self.new_ids <= rows
            and not rows & self.old_ids
        ):
            self._mark("rasters")

    def _correlograms_drawn(self) -> None:
        data = self.window.views["correlograms"].data
        if (
            "correlograms" in self.views
            and "correlograms" not in self.done
            and data is not None
            and set(data.unit_ids) == (self.new_ids)
        ):
            self._mark("correlograms")

    def _shows_selection(self, drawn_ids: list) -> bool:
        """Whether a view draws the selected units (the first ones, as many as it draws), the
        new ones among them, no old one."""
        selected = list(self.window.session.selected_unit_ids)[: max(len(drawn_ids), 1)]
        drawn = set(drawn_ids)
        return (
            list(drawn_ids) == selected
            and self.new_ids & set(selected) <= drawn
            and not drawn & self.old_ids
        )

    def _templates_drawn(self) -> None:
        view = self.window.views["templates"]
        ids = view.drawn_unit_ids()
        if "templates" not in self.views or not self._shows_selection(ids):
            return
        if "templates" not in self.done:
            self._mark("templates")
        if self.exact_templates is None and not any(view.is_provisional(u) for u in ids):
            self.exact_templates = self._elapsed()

    def _amplitudes_drawn(self) -> None:
        ids = [u.unit_id for u in self.window.views["amplitudes"].units]
        if (
            "amplitudes" in self.views
            and "amplitudes" not in self.done
            and self._shows_selection(ids)
        ):
            self._mark("amplitudes")

    def poll(self) -> bool:
        table = self.window.views["units_table"].table
        if "table" not in self.done and table is not None:
            ids = set(table.unit_ids.tolist())
            if self.new_ids <= ids and not ids & self.old_ids and self._label_shown(table):
                self._mark("table")
        return self.views <= set(self.done)

    def _label_shown(self, table) -> bool:
        if self.label is None:
            return True
        unit_id, text = self.label
        try:
            return table.text(table.row_of(unit_id), "quality") == text
        except (KeyError, ValueError):
            return False

    def close(self) -> None:
        self.window.views["rasters"].drawn.disconnect(self._rasters_drawn)
        self.window.views["correlograms"].drawn.disconnect(self._correlograms_drawn)
        self.window.views["templates"].drawn.disconnect(self._templates_drawn)
        self.window.views["amplitudes"].drawn.disconnect(self._amplitudes_drawn)


def start_window(folder: Path, settings_folder: Path):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import core as si
    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    TEMPLATES_CPU.install()
    from app.gui_thread_gc import collect_garbage_in_gui_thread

    collect_garbage_in_gui_thread()  # as `python -m app` runs
    settings = QSettings(str(settings_folder / "spikedesk.ini"), QSettings.Format.IniFormat)
    settings.setValue("curation/journal_folder", str(settings_folder / "journals"))
    window = MainWindow(settings=settings)
    window.ask_yes_no = lambda title, text: False  # never restore an earlier run's curation
    window.show_error = lambda title, text: print(f"  ERROR {title}: {text}", flush=True)
    window.resize(1600, 1000)
    window.show()
    TEMPLATES_CPU.plot = window.views["templates"].plot_widget
    begin = time.perf_counter()
    window.session.open(recording=open_recording(folder), source="bench")
    window.session.add(sorting=si.load_extractor(folder / "sorting"), source="sorting")
    window.session.select_units(window.session.sorting.unit_ids[:1])
    run_until(lambda: not window.job_manager.jobs, JOBS_TIMEOUT_S)
    print(f"  opened, background jobs done after {time.perf_counter() - begin:.1f} s", flush=True)
    return app, window


def settle_views(window) -> None:
    """Wait until the templates and amplitudes draw the selected units (a pick selects units
    just before its action: the action is timed from views that show them)."""
    selected = list(window.session.selected_unit_ids)
    templates, amplitudes = window.views["templates"], window.views["amplitudes"]
    run_until(
        lambda: (
            templates.drawn_unit_ids() == selected[:8]
            and [u.unit_id for u in amplitudes.units] == selected[:6]
        ),
        VIEW_TIMEOUT_S,
    )
    # and until they have painted it (a view that just drew paints when the event loop next
    # runs: that paint, and the layout updates a drawing sets off, belong to the pick, not to
    # the action timed next)
    until = time.perf_counter() + SETTLE_PAINT_S
    run_until(lambda: time.perf_counter() >= until, VIEW_TIMEOUT_S)


def timed_action(window, prepare, trigger_name: str, timings: Timings) -> None:
    """Prepare the selection, trigger the action and time the views until they show it.

    ``prepare()`` returns ``(old_ids, views, label)``: the units that must go, the views to
    wait for and the label the table must show (or None)."""
    session = window.session
    old_ids, views, label = prepare()
    settle_views(window)
    before = set(session.sorting.unit_ids.tolist())
    heartbeat = StallMeter()
    watch = Watch(window, [], old_ids, views, label)
    action = window.menus.actions[trigger_name]
    if not action.isEnabled():
        raise RuntimeError(f"{trigger_name} is disabled")
    heartbeat.start()
    templates_start = TEMPLATES_CPU.seconds
    watch.begin()
    action.trigger()
    gui_call = watch._elapsed()
    watch.new_ids = set(session.sorting.unit_ids.tolist()) - before
    run_until(watch.poll, VIEW_TIMEOUT_S)
    timings.templates_cpu.append(1e3 * (TEMPLATES_CPU.seconds - templates_start))
    if "templates" in views:
        run_until(lambda: watch.exact_templates is not None, VIEW_TIMEOUT_S)
    watch.close()
    run_until(lambda: not window.job_manager.jobs, JOBS_TIMEOUT_S)
    stall = heartbeat.stop()  # the action and all the work it set off
    timings.gui_call.append(gui_call)
    nan = float("nan")
    timings.table.append(watch.done.get("table", nan))
    timings.rasters.append(watch.done.get("rasters", nan))
    timings.correlograms.append(watch.done.get("correlograms", nan))
    timings.templates.append(watch.done.get("templates", nan))
    timings.amplitudes.append(watch.done.get("amplitudes", nan))
    timings.all_views.append(max(watch.done.values()))
    exact = watch.exact_templates
    timings.templates_exact.append(float("nan") if exact is None else exact)
    timings.stall.append(stall)
    timings.gui_cpu.append(max(watch.cpu.values()))
    for view in VIEWS:
        timings.view_cpu.setdefault(view, []).append(watch.cpu.get(view, nan))


def run(args: argparse.Namespace, folder: Path) -> dict[str, Timings]:
    with tempfile.TemporaryDirectory(prefix="bench-curation-view-") as scratch:
        app, window = start_window(folder, Path(scratch))
        session = window.session
        rng = np.random.default_rng(7)
        results = {name: Timings() for name in ACTIONS}
        merged = []  # the last merge's units, which its undo brings back

        def pick_label():
            unit = rng.choice(session.sorting.unit_ids).item()
            session.select_units([unit])
            return [], ("table", "templates", "amplitudes"), (unit, "good")

        def pick_remove():
            unit = rng.choice(session.sorting.unit_ids).item()
            session.select_units([unit])
            return [unit], ("table", "rasters"), None

        def pick_merge():
            ids = session.sorting.unit_ids
            pair = [x.item() for x in rng.choice(ids, 2, replace=False)]
            session.select_units(pair)
            merged[:] = pair
            return pair, VIEWS, None

        def pick_undo():
            # the merged unit goes (the last new id), its units come back
            gone = [max(session.sorting.unit_ids.tolist())]
            return gone, ("table", "rasters"), None

        def pick_split():
            sorting = session.sorting
            counts = sorting.count_num_spikes_per_unit()
            unit = max(counts, key=counts.get)
            count = counts[unit]
            half = np.sort(rng.permutation(count)[: count // 2])
            session.select_units([unit])
            session.select_spikes(unit, half)
            return [unit], VIEWS, None

        picks = {
            "label": (pick_label, "label_good"),
            "remove": (pick_remove, "remove"),
            "merge": (pick_merge, "merge"),
            "undo": (pick_undo, "undo"),
            "split": (pick_split, "split"),
        }
        for rep in range(args.reps):
            for name in args.actions:
                prepare, action = picks[name]
                timed_action(window, prepare, action, results[name])
                t = results[name]
                print(
                    f"  {name} {rep + 1}: call {t.gui_call[-1]:.1f} ms, table {t.table[-1]:.1f} "
                    f"ms, rasters {t.rasters[-1]:.1f} ms, correlograms {t.correlograms[-1]:.1f} "
                    f"ms, templates {t.templates[-1]:.1f} ms, amplitudes {t.amplitudes[-1]:.1f} "
                    f"ms, stall {t.stall[-1]:.1f} ms, GUI CPU {t.gui_cpu[-1]:.1f} ms "
                    f"(templates view {t.templates_cpu[-1]:.1f} ms)",
                    flush=True,
                )
        window.close()
        app.processEvents()
    return results


def report(results: dict[str, Timings], args: argparse.Namespace) -> None:
    print()
    print(
        f"## Curation in the window: {args.units} units, {args.spikes:,} spikes, 384 channels, "
        f"{args.duration:g} s (median / max of {args.reps}, ms)"
    )
    print()
    print(
        "| action | GUI call | table row | rasters redrawn | correlograms | templates | "
        "amplitudes | all views | templates recomputed | longest GUI stall | GUI CPU | "
        "templates view CPU |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, t in results.items():
        if not t.gui_call:
            continue
        cells = [
            "-" if np.isnan(values).all() else f"{np.median(values):.1f} / {np.max(values):.1f}"
            for values in (
                t.gui_call,
                t.table,
                t.rasters,
                t.correlograms,
                t.templates,
                t.amplitudes,
                t.all_views,
                t.templates_exact,
                t.stall,
                t.gui_cpu,
                t.templates_cpu,
            )  # fmt: skip
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(
        "GUI-thread CPU (time.thread_time) from the trigger until each view shows the result "
        "(cumulative: all the GUI work done by then), median / max, ms:"
    )
    print()
    print("| action | " + " | ".join(VIEWS) + " | until all views |")
    print("| --- |" + " --- |" * (len(VIEWS) + 1))
    for name, t in results.items():
        if not t.gui_cpu:
            continue
        cells = [
            "-" if np.isnan(v).all() else f"{np.nanmedian(v):.1f} / {np.nanmax(v):.1f}"
            for v in [t.view_cpu.get(view, [np.nan]) for view in VIEWS] + [t.gui_cpu]
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nTarget: all views < 200 ms after the action.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--spikes", type=int, default=10_000_000)
    parser.add_argument("--duration", type=float, default=3600.0)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--folder", type=Path, default=None, help="keep the data here")
    parser.add_argument(
        "--actions",
        nargs="+",
        choices=ACTIONS,
        default=list(ACTIONS),
        help="actions of one repetition, in order (undo needs a merge before it)",
    )
    args = parser.parse_args()
    if args.folder is not None:
        folder = args.folder
        if not (folder / "sorting").exists():
            folder.mkdir(parents=True, exist_ok=True)
            make_data(folder, args.duration, args.units, args.spikes)
        report(run(args, folder), args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-curation-data-") as scratch:
        make_data(Path(scratch), args.duration, args.units, args.spikes)
        report(run(args, Path(scratch)), args)


if __name__ == "__main__":
    main()
