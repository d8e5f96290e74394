"""The table of docks: what the main window shows, where, and how large (one entry per view).

`DOCKS` drives dock creation, the default layout, the View menu and the layout version, so adding
a view is one entry here. The views themselves are built on first use (`DockViews`): the window
shows the traces first and builds the other views afterwards, so that start-up is not spent on
views nobody has looked at yet. The default layout has three columns: a narrow left one (units table,
probe, open data, jobs), the wide centre one (the overview strip over the traces over the event
lanes) and a right one (templates
over the unit analysis views); within a column, docks stack top to bottom or share a tab.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

if TYPE_CHECKING:
    from app.main_window import MainWindow

#: Default width of each column, as a fraction of the window's width.
COLUMN_WIDTHS = {"left": 0.22, "centre": 0.50, "right": 0.28}


@dataclass(frozen=True)
class DockSpec:
    """One dock of the main window.

    Attributes
    ----------
    name : str
        Key in ``MainWindow.docks`` and object name ``dock_<name>`` (saved layouts use it).
    title : str
        Dock title and View menu entry.
    factory : callable
        ``factory(window) -> QWidget``: builds the view from the window's session and services.
    column : {"left", "centre", "right"}
        Column of the default layout.
    height : float
        Share of its column's height (ignored for a dock in a tab).
    tab_with : str or None
        Name of an earlier dock of the same column to share a tab with.
    shortcut : str or None
        Shortcut of the View menu action that shows or hides the dock.
    """

    name: str
    title: str
    factory: Callable[[MainWindow], QWidget]
    column: str
    height: float = 1.0
    tab_with: str | None = None
    shortcut: str | None = None


def _traces(window: MainWindow) -> QWidget:
    from app.views.traces import TraceView

    return TraceView(window.session, fetcher=window.trace_fetcher)


def _overview(window: MainWindow) -> QWidget:
    from app.views.overview_strip import OverviewStrip

    return OverviewStrip(window.session)


def _probe(window: MainWindow) -> QWidget:
    from app.views.probe import ProbeView

    return ProbeView(window.session, editor=window.probe_editor)


def _units_table(window: MainWindow) -> QWidget:
    from app.views.units_table import UnitsTableView

    return UnitsTableView(window.session, job_manager=window.job_manager)


def _rasters(window: MainWindow) -> QWidget:
    from app.views.rasters import RasterView

    return RasterView(window.session)


def _open_data(window: MainWindow) -> QWidget:
    from app.views.open_data import OpenDataPanel

    return OpenDataPanel(window.session)


def _templates(window: MainWindow) -> QWidget:
    from app.views.templates import TemplateView

    return TemplateView(window.session, compute_sparsity=lambda: window.units.compute_sparsity())


def _event_lanes(window: MainWindow) -> QWidget:
    from app.views.event_lanes import EventLanesView

    return EventLanesView(window.session)


def _peri_event(window: MainWindow) -> QWidget:
    from app.views.peri_event import PeriEventView

    return PeriEventView(window.session)


def _correlograms(window: MainWindow) -> QWidget:
    from app.views.correlograms import CorrelogramsView

    return CorrelogramsView(window.session)


def _isi(window: MainWindow) -> QWidget:
    from app.views.isi import IsiView

    return IsiView(window.session)


def _amplitudes(window: MainWindow) -> QWidget:
    from app.views.amplitudes import AmplitudesView

    return AmplitudesView(window.session)


def _firing_rate(window: MainWindow) -> QWidget:
    from app.views.firing_rate import FiringRateView

    return FiringRateView(window.session)


def _snippets(window: MainWindow) -> QWidget:
    from app.views.snippets import SnippetsView

    return SnippetsView(window.session)


def _history(window: MainWindow) -> QWidget:
    from app.views.curation_history import CurationHistoryView

    return CurationHistoryView(window.curation)


def _jobs(window: MainWindow) -> QWidget:
    from app.views.jobs_panel import JobsPanel

    return JobsPanel(window.job_manager)


DOCKS: tuple[DockSpec, ...] = (
    DockSpec("units_table", "Units", _units_table, "left", height=0.45, shortcut="Alt+U"),
    DockSpec("probe", "Probe", _probe, "left", height=0.37, shortcut="Alt+P"),
    DockSpec("open_data", "Open data", _open_data, "left", height=0.18),
    DockSpec("jobs", "Jobs", _jobs, "left", tab_with="open_data", shortcut="Alt+J"),
    DockSpec("history", "History", _history, "left", tab_with="open_data", shortcut="Alt+H"),
    DockSpec("overview", "Overview", _overview, "centre", height=0.07, shortcut="Alt+O"),
    DockSpec("traces", "Traces", _traces, "centre", height=0.53, shortcut="Alt+T"),
    DockSpec("rasters", "Rasters", _rasters, "centre", height=0.28, shortcut="Alt+R"),
    DockSpec("events", "Events", _event_lanes, "centre", height=0.12, shortcut="Alt+E"),
    # 1.2 against the 1 of the two docks below: templates take about 55% of the column
    DockSpec("templates", "Templates", _templates, "right", height=1.2, shortcut="Alt+W"),
    DockSpec("correlograms", "Correlograms", _correlograms, "right", height=0.5, shortcut="Alt+C"),
    DockSpec("isi", "ISI", _isi, "right", tab_with="correlograms"),
    DockSpec("amplitudes", "Amplitudes", _amplitudes, "right", height=0.5, shortcut="Alt+A"),
    DockSpec("firing_rate", "Firing rate", _firing_rate, "right", tab_with="amplitudes"),
    DockSpec("peri_event", "Peri-event", _peri_event, "right", tab_with="amplitudes"),
    DockSpec("snippets", "Snippets", _snippets, "right", tab_with="amplitudes"),
)


def layout_version(specs: tuple[DockSpec, ...] = DOCKS) -> int:
    """A number that changes whenever docks are added, renamed or moved in the table: a layout
    saved under another version is not restored."""
    text = ";".join(f"{s.name}:{s.column}:{s.tab_with}" for s in specs)
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def make_docks(window: MainWindow, specs: tuple[DockSpec, ...] = DOCKS) -> dict[str, QDockWidget]:
    """Every dock of ``specs``, each holding an empty placeholder until `DockViews` builds its
    view."""
    docks = {}
    for spec in specs:
        dock = QDockWidget(spec.title, window)
        dock.setObjectName(f"dock_{spec.name}")
        dock.setWidget(QWidget())
        docks[spec.name] = dock
    return docks


class DockViews(Mapping[str, QWidget]):
    """The view of each dock, by name, built by its factory the first time it is asked for.

    Reading ``views[name]`` builds the view if needed, puts it in its dock and calls
    ``on_built(name, view)`` (where the window wires it); `build_next` builds the next view not
    yet built, so the window can build them one by one while idle. Views read the session when
    built, so a view built after a file was opened shows it like one built before.

    Parameters
    ----------
    window : MainWindow
        Passed to the factories.
    docks : dict of str to QDockWidget
        From `make_docks`.
    specs : tuple of DockSpec
        The table (`DOCKS` by default).
    on_built : callable or None
        ``on_built(name, view)``, called once per view just after it is built.
    """

    def __init__(
        self,
        window: MainWindow,
        docks: dict[str, QDockWidget],
        specs: tuple[DockSpec, ...] = DOCKS,
        on_built: Callable[[str, QWidget], None] | None = None,
    ) -> None:
        self._window = window
        self._docks = docks
        self._specs = {spec.name: spec for spec in specs}
        # docks in front first, the ones behind a tab last
        self._order = [s.name for s in specs if s.tab_with is None] + [
            s.name for s in specs if s.tab_with is not None
        ]
        self._built: dict[str, QWidget] = {}
        self._on_built = on_built

    def __getitem__(self, name: str) -> QWidget:
        view = self._built.get(name)
        if view is None:
            spec = self._specs[name]  # KeyError for a name that is not in the table
            view = spec.factory(self._window)
            self._docks[name].setWidget(view)
            self._built[name] = view
            if self._on_built is not None:
                self._on_built(name, view)
        return view

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def is_built(self, name: str) -> bool:
        """Whether the view of ``name`` exists."""
        return name in self._built

    def built(self) -> dict[str, QWidget]:
        """The views built so far, by name (reading them builds nothing)."""
        return dict(self._built)

    def build_next(self) -> bool:
        """Build the next view not yet built (docks in front before tabs behind them).

        Returns
        -------
        bool
            Whether views remain to be built.
        """
        pending = [name for name in self._order if name not in self._built]
        if pending:
            self[pending[0]]
        return len(pending) > 1


def place_docks(
    window: QMainWindow, docks: dict[str, QDockWidget], specs: tuple[DockSpec, ...] = DOCKS
) -> None:
    """Put every dock in its default column, stacked or tabbed, all shown and docked."""
    window.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    area = {
        "left": Qt.DockWidgetArea.LeftDockWidgetArea,
        "centre": Qt.DockWidgetArea.RightDockWidgetArea,
        "right": Qt.DockWidgetArea.RightDockWidgetArea,
    }
    # the columns first, side by side; then the docks stacked or tabbed within each column
    tops = _column_tops(specs)
    for column in ("left", "centre", "right"):
        if column not in tops:
            continue
        dock = docks[tops[column].name]
        if column == "right" and "centre" in tops:
            window.splitDockWidget(docks[tops["centre"].name], dock, Qt.Orientation.Horizontal)
        else:
            window.addDockWidget(area[column], dock)
    # stack before tabbing: Qt adds a dock split from a tabbed one as one more tab
    last = {column: docks[spec.name] for column, spec in tops.items()}
    for spec in specs:
        if spec.tab_with is None and spec is not tops[spec.column]:
            window.splitDockWidget(last[spec.column], docks[spec.name], Qt.Orientation.Vertical)
            last[spec.column] = docks[spec.name]
    for spec in specs:
        if spec.tab_with is not None:
            window.tabifyDockWidget(docks[spec.tab_with], docks[spec.name])
    for dock in docks.values():
        dock.setFloating(False)
        dock.show()
    for spec in specs:  # the first dock of each tab group is the one in front
        if spec.tab_with is None:
            docks[spec.name].raise_()


def size_docks(
    window: QMainWindow, docks: dict[str, QDockWidget], specs: tuple[DockSpec, ...] = DOCKS
) -> None:
    """Give each column its share of the window's width and each dock its share of the height.

    Only holds once the window has its geometry (after it was first shown).
    """
    width, height = window.width(), window.height()
    tops = {column: docks[spec.name] for column, spec in _column_tops(specs).items()}
    columns = [c for c in COLUMN_WIDTHS if c in tops]
    total = sum(COLUMN_WIDTHS[c] for c in columns)
    window.resizeDocks(
        [tops[c] for c in columns],
        [int(width * COLUMN_WIDTHS[c] / total) for c in columns],
        Qt.Orientation.Horizontal,
    )
    for column in columns:
        stacked = [s for s in specs if s.column == column and s.tab_with is None]
        share = sum(s.height for s in stacked)
        window.resizeDocks(
            [docks[s.name] for s in stacked],
            [int(height * s.height / share) for s in stacked],
            Qt.Orientation.Vertical,
        )


def _column_tops(specs: tuple[DockSpec, ...]) -> dict[str, DockSpec]:
    """The first stacked (not tabbed) dock of each column."""
    tops: dict[str, DockSpec] = {}
    for spec in specs:
        if spec.tab_with is None:
            tops.setdefault(spec.column, spec)
    return tops
