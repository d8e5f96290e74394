"""The main window's menus (File, View, Probe, Help) and its persisted list of recent files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import qtawesome as qta
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from .dialogs.probe_menu import ProbeMenu

if TYPE_CHECKING:
    from .main_window import MainWindow

#: Most recent files and folders remembered.
MAX_RECENT = 10
RECENT_KEY = "recent/paths"


class RecentFiles:
    """Recently opened paths, most recent first, kept in ``settings``.

    Parameters
    ----------
    settings : QSettings
        Where the list lives (key ``recent/paths``).
    limit : int
        Paths kept.
    """

    def __init__(self, settings: QSettings, limit: int = MAX_RECENT) -> None:
        self.settings = settings
        self.limit = limit

    def paths(self) -> list[str]:
        """The remembered paths, most recent first."""
        return [str(path) for path in self.settings.value(RECENT_KEY, [], type=list)]

    def add(self, path: str | Path) -> None:
        """Put ``path`` (made absolute) first."""
        path = str(Path(path).absolute())
        self._store([path, *(p for p in self.paths() if p != path)])

    def remove(self, path: str | Path) -> None:
        """Forget ``path``."""
        self._store([p for p in self.paths() if p != str(path)])

    def clear(self) -> None:
        """Forget every path."""
        self._store([])

    def drop_missing(self) -> list[str]:
        """Forget the paths that no longer exist; returns them."""
        paths = self.paths()
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            self._store([p for p in paths if p not in missing])
        return missing

    def _store(self, paths: list[str]) -> None:
        self.settings.setValue(RECENT_KEY, paths[: self.limit])
        self.settings.sync()


class WindowMenus:
    """Build the menu bar of a `MainWindow` and keep its actions.

    Parameters
    ----------
    window : MainWindow
        The window whose menu bar is filled; actions call its methods.

    Attributes
    ----------
    actions : dict of str to QAction
        By name: open, open_folder, open_binary, save_recording, quit, reset_layout, about.
    recent_menu : QMenu
        File > Open Recent, rebuilt by `rebuild_recent`.
    view_menu : QMenu
        One checkable action per dock, then Reset layout.
    probe_menu : ProbeMenu
        The Probe menu and its actions.
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.actions: dict[str, QAction] = {}
        bar = window.menuBar()

        file_menu = bar.addMenu("&File")
        self._add(
            file_menu,
            "open",
            "&Open File…",
            window.choose_and_open_file,
            "mdi6.file-outline",
            QKeySequence.StandardKey.Open,
        )
        self._add(
            file_menu,
            "open_folder",
            "Open &Folder…",
            window.choose_and_open_folder,
            "mdi6.folder-open-outline",
            "Ctrl+Shift+O",
        )
        self._add(
            file_menu,
            "open_binary",
            "Open Raw &Binary…",
            window.choose_and_open_binary,
            "mdi6.file-cog-outline",
        )
        self.recent_menu = file_menu.addMenu(qta.icon("mdi6.history"), "Open &Recent")
        file_menu.addSeparator()
        self._add(
            file_menu,
            "save_recording",
            "&Save Recording As…",
            window.save_recording_as,
            "mdi6.content-save-outline",
            QKeySequence.StandardKey.SaveAs,
        )
        file_menu.addSeparator()
        self._add(
            file_menu,
            "quit",
            "&Quit",
            window.close,
            "mdi6.exit-to-app",
            QKeySequence.StandardKey.Quit,
        )

        self.view_menu = bar.addMenu("&View")
        for dock in window.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self._add(
            self.view_menu,
            "reset_layout",
            "&Reset Layout",
            window.reset_layout,
            "mdi6.view-dashboard-outline",
        )

        self.probe_menu = ProbeMenu(window.session, window.probe_editor, window)
        bar.addMenu(self.probe_menu.menu)

        help_menu = bar.addMenu("&Help")
        self._add(
            help_menu, "about", "&About SpikeDesk", window.show_about, "mdi6.information-outline"
        )
        self.rebuild_recent()

    def rebuild_recent(self) -> None:
        """Refill File > Open Recent from the window's recent files."""
        menu = self.recent_menu
        menu.clear()
        paths = self.window.recent_files.paths()
        for index, path in enumerate(paths, start=1):
            action = menu.addAction(f"&{index % 10} {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.window.open_recent(p))
        if paths:
            menu.addSeparator()
        clear = menu.addAction(qta.icon("mdi6.delete-sweep-outline"), "&Clear Recent")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.window.clear_recent)
        menu.setEnabled(bool(paths))

    def _add(self, menu: QMenu, name: str, text: str, slot, icon: str, shortcut=None) -> QAction:
        action = QAction(qta.icon(icon), text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.actions[name] = action
        return action
