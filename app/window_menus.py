"""The main window's menus, built from one table of actions, and its list of recent files.

`ACTIONS` names every menu entry: its menu, text, icon, shortcut, the window command it runs and
when it is enabled. `WindowMenus` builds the menu bar from that table and a dict of commands, so
neither it nor the window reaches into the other. `RecentFiles` emits ``changed`` and the File ▸
Open Recent menu follows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from app.model.curation_controller import CurationController
from app.model.session import Session
from app.model.window_source import IDLE

#: Most recent entries remembered.
MAX_RECENT = 10
RECENT_KEY = "recent/paths"
#: Longest text of an Open Recent entry, in pixels (longer paths are elided in the middle).
RECENT_TEXT_PX = 560


class RecentFiles(QObject):
    """Recently opened paths, most recent first, kept in ``settings``.

    An entry is the tuple of paths that were opened together (a recording and its sorting, say),
    so reopening it restores the set.

    Parameters
    ----------
    settings : QSettings
        Where the list lives (key ``recent/paths``).
    limit : int
        Entries kept.

    Signals
    -------
    changed()
        The list changed.
    """

    changed = Signal()

    def __init__(self, settings: QSettings, limit: int = MAX_RECENT) -> None:
        super().__init__()
        self.settings = settings
        self.limit = limit

    def entries(self) -> list[tuple[str, ...]]:
        """The remembered entries, most recent first."""
        return [_decode(text) for text in self.settings.value(RECENT_KEY, [], type=list)]

    def paths(self) -> list[str]:
        """Every remembered path, entry after entry."""
        return [path for entry in self.entries() for path in entry]

    def add(self, *paths: str | Path) -> None:
        """Put the entry of ``paths`` (made absolute) first."""
        entry = tuple(str(Path(path).absolute()) for path in paths)
        if entry:
            self._store([entry, *(e for e in self.entries() if e != entry)])

    def remove(self, entry: Sequence[str]) -> None:
        """Forget an entry."""
        entry = tuple(str(path) for path in entry)
        self._store([e for e in self.entries() if e != entry])

    def clear(self) -> None:
        """Forget every entry."""
        self._store([])

    def drop_missing(self) -> list[str]:
        """Forget the entries with a path that no longer exists; returns those paths."""
        entries = self.entries()
        missing = [p for entry in entries for p in entry if not Path(p).exists()]
        if missing:
            self._store([e for e in entries if not set(e) & set(missing)])
        return missing

    def _store(self, entries: list[tuple[str, ...]]) -> None:
        self.settings.setValue(RECENT_KEY, [_encode(e) for e in entries[: self.limit]])
        self.settings.sync()
        self.changed.emit()


def _encode(entry: tuple[str, ...]) -> str:
    return entry[0] if len(entry) == 1 else json.dumps(list(entry))


def _decode(text: str) -> tuple[str, ...]:
    if text.startswith("["):
        try:
            return tuple(str(p) for p in json.loads(text))
        except ValueError:
            pass  # a path that happens to start with "[" is a path
    return (text,)


@dataclass(frozen=True)
class MenuContext:
    """What menu entries look at to know whether they apply."""

    session: Session
    curation: CurationController

    def has_data(self) -> bool:
        """Anything open."""
        return self.session.has_data()

    def units_selected(self, at_least: int = 1) -> bool:
        """A sorting is open with at least ``at_least`` selected units."""
        return self.session.sorting is not None and len(self.session.selected_unit_ids) >= at_least


@dataclass(frozen=True)
class ActionSpec:
    """One menu entry.

    Attributes
    ----------
    name : str
        Key in ``WindowMenus.actions`` and in the commands dict.
    menu : str
        Title of its menu (``"&File"``...).
    text : str
        Entry text (``&`` marks the mnemonic).
    icon : str or None
        qtawesome icon name.
    shortcut : str, QKeySequence.StandardKey or None
    enabled_when : callable or None
        ``enabled_when(context: MenuContext) -> bool``; always enabled when None.
    separator_before : bool
        Draw a separator above the entry.
    tip : str
        Status tip.
    """

    name: str
    menu: str
    text: str
    icon: str | None = None
    shortcut: str | QKeySequence.StandardKey | None = None
    enabled_when: Callable[[MenuContext], bool] | None = None
    separator_before: bool = False
    tip: str = ""


#: Placeholder entries: File ▸ Open Recent and the View menu's dock toggles go where they stand.
RECENT_MENU, DOCK_TOGGLES = "open_recent", "dock_toggles"

_selected = MenuContext.units_selected

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "open", "&File", "&Open File…", "mdi6.file-outline", QKeySequence.StandardKey.Open,
        tip="Open a recording, sorting, waveforms or events file (adds to what is open)",
    ),
    ActionSpec(
        "open_folder", "&File", "Open &Folder…", "mdi6.folder-open-outline", "Ctrl+Shift+O",
        tip="Open a SpikeInterface, phy/Kilosort, waveform or acquisition folder",
    ),
    ActionSpec("open_binary", "&File", "Open Raw &Binary…", "mdi6.file-cog-outline"),
    ActionSpec(RECENT_MENU, "&File", "Open &Recent", "mdi6.history"),
    ActionSpec(
        "save_recording", "&File", "&Save Recording As…", "mdi6.content-save-outline",
        QKeySequence.StandardKey.SaveAs, lambda c: c.session.recording is not None,
        separator_before=True,
    ),
    ActionSpec(
        "job_location", "&File", "Run &Jobs On…", "mdi6.server-network",
        tip="Run saves and waveform extractions on this machine or on a Dask cluster",
    ),
    ActionSpec(
        "close_all", "&File", "&Close All", "mdi6.close-box-multiple-outline", "Ctrl+Shift+W",
        MenuContext.has_data, separator_before=True,
        tip="Close every open recording, sorting and file",
    ),
    ActionSpec(
        "quit", "&File", "&Quit", "mdi6.exit-to-app", QKeySequence.StandardKey.Quit,
        separator_before=True,
    ),
    ActionSpec(
        "undo", "&Curation", "&Undo", "mdi6.undo", QKeySequence.StandardKey.Undo,
        lambda c: c.curation.can_undo,
    ),
    ActionSpec(
        "redo", "&Curation", "&Redo", "mdi6.redo", "Ctrl+Shift+Z", lambda c: c.curation.can_redo,
    ),
    ActionSpec(
        "label_good", "&Curation", "Label &Good", "mdi6.check-circle-outline", "Alt+G", _selected,
        separator_before=True, tip="Label the selected units good",
    ),
    ActionSpec(
        "label_mua", "&Curation", "Label &MUA", "mdi6.dots-horizontal-circle-outline", "Alt+M",
        _selected, tip="Label the selected units multi-unit activity",
    ),
    ActionSpec(
        "label_noise", "&Curation", "Label &Noise", "mdi6.close-circle-outline", "Alt+N",
        _selected, tip="Label the selected units noise",
    ),
    ActionSpec(
        "label_clear", "&Curation", "C&lear Label", "mdi6.circle-off-outline", "Alt+0",
        _selected, tip="Remove the quality label of the selected units",
    ),
    ActionSpec(
        "add_label_category", "&Curation", "Add Label &Category…", "mdi6.tag-plus-outline", None,
        lambda c: c.session.sorting is not None,
        tip="Add a label category of your own (its options appear in the units table's menu)",
    ),
    ActionSpec(
        "merge", "&Curation", "&Merge Selected Units", "mdi6.call-merge", "Ctrl+M",
        lambda c: c.units_selected(2), separator_before=True,
    ),
    ActionSpec(
        "split", "&Curation", "&Split Off Picked Spikes", "mdi6.call-split", "Ctrl+K",
        lambda c: c.session.spike_selection is not None,
        tip="Make a new unit of the spikes picked with the lasso on the amplitudes view",
    ),
    ActionSpec(
        "remove", "&Curation", "&Remove Selected Units", "mdi6.delete-outline", "Del", _selected,
    ),
    ActionSpec(
        "select_similar", "&Curation", "Select Most Similar &Unit", "mdi6.vector-link", "Alt+S",
        _selected, separator_before=True,
        tip="Add the unit whose template is most like the selected unit's to the selection",
    ),
    ActionSpec(
        "merge_similar", "&Curation", "Merge with Most S&imilar Unit", "mdi6.merge",
        "Ctrl+Shift+M", _selected,
    ),
    ActionSpec(
        "next_unit", "&Curation", "&Next Unit", "mdi6.chevron-down", "Alt+Down",
        lambda c: c.session.sorting is not None,
        tip="Select the next unit of the units table",
    ),
    ActionSpec(
        "previous_unit", "&Curation", "&Previous Unit", "mdi6.chevron-up", "Alt+Up",
        lambda c: c.session.sorting is not None,
    ),
    ActionSpec(
        "export_curation", "&Curation", "&Export Curation (SpikeInterface JSON)…",
        "mdi6.code-json", None, lambda c: c.curation.curation is not None, separator_before=True,
    ),
    ActionSpec(
        "save_curated", "&Curation", "Save Curated &Sorting As…", "mdi6.content-save-all-outline",
        None, lambda c: c.curation.curation is not None,
    ),
    ActionSpec(
        "phy_write_back", "&Curation", "&Write Back to phy Folder", "mdi6.folder-sync-outline",
        None, lambda c: c.curation.curation is not None and c.curation.can_write_back_to_phy(),
        tip="Write spike_clusters.npy, cluster_group.tsv and cluster_info.tsv (after a backup)",
    ),
    ActionSpec(DOCK_TOGGLES, "&View", "Docks"),
    ActionSpec(
        "reset_layout", "&View", "&Reset Layout", "mdi6.view-dashboard-outline",
        separator_before=True,
    ),
    ActionSpec(
        "build_overview", "&View", "&Build Overview", "mdi6.image-filter-hdr", None,
        lambda c: c.session.overview.status == IDLE, separator_before=True,
        tip="Read the whole recording once in the background to browse it at any zoom",
    ),
    ActionSpec(
        "clear_overview_cache", "&View", "Clear Overview &Cache", "mdi6.delete-sweep-outline",
        tip="Remove the overviews of every recording (each is built again when needed)",
    ),
    ActionSpec(
        "extract_waveforms", "&Units", "&Extract Waveforms…", "mdi6.waveform", "Ctrl+E",
        lambda c: c.session.recording is not None and c.session.sorting is not None,
        tip="Cut each unit's waveforms from the recording and compute its templates (a job)",
    ),
    ActionSpec(
        "compute_sparsity", "&Units", "Compute &Sparsity…", "mdi6.select-group",
        enabled_when=lambda c: c.session.waveform_extractor is not None or (
            c.session.recording is not None and c.session.sorting is not None
        ),
        tip="Choose each unit's channels: radius, best channels, SNR, by property…",
    ),
    ActionSpec(
        "open_waveforms", "&Units", "&Open Waveforms…", "mdi6.folder-open-outline",
        separator_before=True,
        tip="Open a waveform folder, zarr store or SortingAnalyzer folder",
    ),
    ActionSpec("shortcuts", "&Help", "&Keyboard Shortcuts", "mdi6.keyboard-outline", "F1"),
    ActionSpec("about", "&Help", "&About SpikeDesk", "mdi6.information-outline"),
)  # fmt: skip


class WindowMenus:
    """The menu bar, built from `ACTIONS`.

    Parameters
    ----------
    menu_bar : QMenuBar
        Filled with the menus, in the order their first entry appears in ``specs``.
    commands : dict of str to callable
        What each entry runs, by action name (every name of ``specs`` but the placeholders).
    context : MenuContext
        Entries with ``enabled_when`` follow its session and curation.
    recent_files : RecentFiles
        File ▸ Open Recent follows it; choosing an entry calls ``open_recent(entry)``.
    open_recent : callable
        ``open_recent(entry)`` with the tuple of paths of the chosen entry.
    dock_actions : list of QAction
        Toggle actions of the docks, for the View menu.
    extra_menus : sequence of QMenu
        Inserted before the Help menu (e.g. the Probe menu).
    parent : QWidget
        Owner of the actions.
    specs : tuple of ActionSpec
        The table (`ACTIONS` by default).

    Attributes
    ----------
    actions : dict of str to QAction
    menus : dict of str to QMenu
        By title without ``&``.
    recent_menu : QMenu
    """

    def __init__(
        self,
        menu_bar: QMenuBar,
        commands: dict[str, Callable[[], None]],
        context: MenuContext,
        recent_files: RecentFiles,
        open_recent: Callable[[tuple[str, ...]], None],
        dock_actions: list[QAction],
        extra_menus: Sequence[QMenu],
        parent: QWidget,
        specs: tuple[ActionSpec, ...] = ACTIONS,
    ) -> None:
        self.context = context
        self.recent_files = recent_files
        self._open_recent = open_recent
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        self._specs = specs
        titles = list(dict.fromkeys(spec.menu for spec in specs))
        for title in titles:
            if title == "&Help":
                for menu in extra_menus:
                    menu_bar.addMenu(menu)
            self.menus[title.replace("&", "")] = menu_bar.addMenu(title)
        for spec in specs:
            menu = self.menus[spec.menu.replace("&", "")]
            if spec.separator_before:
                menu.addSeparator()
            if spec.name == RECENT_MENU:
                self.recent_menu = menu.addMenu(qta.icon(spec.icon), spec.text)
            elif spec.name == DOCK_TOGGLES:
                for action in dock_actions:
                    menu.addAction(action)
            else:
                self.actions[spec.name] = self._action(spec, commands[spec.name], parent)
                menu.addAction(self.actions[spec.name])
        recent_files.changed.connect(self._fill_recent)
        signals = context.session.signals
        for name in (
            "recording", "sorting", "events", "snippets", "waveform_extractor",
            "selected_unit_ids", "spike_selection", "overview",
        ):  # fmt: skip
            getattr(signals, name).connect(self.update_enabled)
        context.curation.changed.connect(self.update_enabled)
        self._fill_recent()
        self.update_enabled()

    def update_enabled(self, *_) -> None:
        """Enable the entries whose ``enabled_when`` holds now."""
        for spec in self._specs:
            if spec.enabled_when is not None:
                self.actions[spec.name].setEnabled(bool(spec.enabled_when(self.context)))

    def shortcut_table(self) -> list[tuple[str, str, str]]:
        """``(menu, entry, shortcut)`` of every entry that has a shortcut, in menu order."""
        rows = []
        for spec in self._specs:
            action = self.actions.get(spec.name)
            if action is not None and not action.shortcut().isEmpty():
                text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                rows.append((spec.menu.replace("&", ""), spec.text.replace("&", ""), text))
        return rows

    def _action(self, spec: ActionSpec, command: Callable[[], None], parent: QWidget) -> QAction:
        action = QAction(spec.text, parent)
        if spec.icon:
            action.setIcon(qta.icon(spec.icon))
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.triggered.connect(lambda _checked=False: command())
        return action

    def _fill_recent(self) -> None:
        menu = self.recent_menu
        menu.clear()
        entries = self.recent_files.entries()
        metrics = menu.fontMetrics()
        for index, entry in enumerate(entries, start=1):
            full = " + ".join(entry)
            text = metrics.elidedText(full, Qt.TextElideMode.ElideMiddle, RECENT_TEXT_PX)
            action = menu.addAction(f"&{index % 10}  {text.replace('&', '&&')}")
            action.setToolTip(full)
            action.setStatusTip(full)
            action.triggered.connect(lambda _checked=False, e=entry: self._open_recent(e))
        if entries:
            menu.addSeparator()
        clear = menu.addAction(qta.icon("mdi6.delete-sweep-outline"), "&Clear Recent")
        clear.setEnabled(bool(entries))
        clear.triggered.connect(self.recent_files.clear)
        menu.setEnabled(bool(entries))
