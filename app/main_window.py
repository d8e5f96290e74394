"""MainWindow: every view in a dock, menus, status bar, opening files, layout kept between runs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from core import read_all
from core.version import __version__

from .dialogs.open_binary import OpenBinaryDialog
from .dialogs.save_recording import SaveRecordingDialog
from .docks import CursorStatus, OpenDataPanel
from .jobs import JobManager, save_recording_job
from .model.demo import DemoDataset, make_demo_dataset
from .model.probe_editor import ProbeEditor
from .model.session import Session
from .model.trace_fetcher import TraceFetcher
from .views.jobs_panel import JobsPanel
from .views.probe import ProbeView
from .views.traces import TraceView
from .window_menus import RecentFiles, WindowMenus

_log = logging.getLogger(__name__)

#: The application icon (rendered from ``spikedesk.svg`` beside it), shipped as package data.
ICON_PATH = Path(__file__).parent / "resources" / "spikedesk.png"
#: Bump when docks are added or renamed: an older saved layout is then ignored.
LAYOUT_VERSION = 1
#: File suffixes offered to the Open Raw Binary dialog when no reader recognises the file.
RAW_BINARY_SUFFIXES = (".bin", ".dat", ".raw")
DATA_FILTER = (
    "Electrophysiology data (*.json *.npz *.zarr *.bin *.dat *.raw *.meta *.rhd *.rhs "
    "*.oebin);;All files (*)"
)
BINARY_FILTER = "Raw binary (*.bin *.dat *.raw);;All files (*)"


def app_icon() -> QIcon:
    """The SpikeDesk icon."""
    return QIcon(str(ICON_PATH))


class MainWindow(QMainWindow):
    """SpikeDesk's main window: traces, probe, open data and jobs docks over one `Session`.

    Parameters
    ----------
    session : Session | None
        The session the views show (a new empty one by default).
    settings : QSettings | None
        Where layout and recent files are kept (the application's settings by default).
    parent : QWidget | None
        Qt parent.

    Attributes
    ----------
    docks : dict of str to QDockWidget
        By name: traces, probe, open_data, jobs.
    ask_open_file : callable
        ``(caption, name_filter) -> path`` ("" when cancelled); a file dialog by default.
    ask_open_folder : callable
        ``(caption) -> path`` ("" when cancelled); a folder dialog by default.
    ask_binary_recording : callable
        ``(path) -> recording | None``: the Open Raw Binary dialog by default.
    ask_save_recording : callable
        ``(recording) -> (folder, save kwargs) | None``: the Save Recording As dialog by default.
    """

    def __init__(
        self,
        session: Session | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = Session() if session is None else session
        self.settings = QSettings() if settings is None else settings
        self.recent_files = RecentFiles(self.settings)
        self.job_manager = JobManager(self)
        # through a lambda so that a replaced show_error (tests) receives job errors too
        self.job_manager.error_occurred.connect(lambda title, text: self.show_error(title, text))
        self.trace_fetcher = TraceFetcher()
        self.probe_editor = ProbeEditor(self.session.recording)
        self.ask_open_file: Callable[[str, str], str] = self._file_dialog
        self.ask_open_folder: Callable[[str], str] = self._folder_dialog
        self.ask_binary_recording: Callable[[Path], Any] = lambda p: OpenBinaryDialog.ask(p, self)
        self.ask_save_recording: Callable[[Any], Any] = lambda r: SaveRecordingDialog.ask(r, self)
        self._closed = False

        self.setObjectName("SpikeDeskMainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.trace_view = TraceView(self.session, fetcher=self.trace_fetcher)
        self.probe_view = ProbeView(self.session, editor=self.probe_editor)
        self.open_data_panel = OpenDataPanel(self.session)
        self.jobs_panel = JobsPanel(self.job_manager)
        self.docks = {
            "traces": self._make_dock("traces", "Traces", self.trace_view),
            "probe": self._make_dock("probe", "Probe", self.probe_view),
            "open_data": self._make_dock("open_data", "Open data", self.open_data_panel),
            "jobs": self._make_dock("jobs", "Jobs", self.jobs_panel),
        }
        self.apply_default_layout()
        self.menus = WindowMenus(self)
        self.cursor_status = CursorStatus(self.session)
        self.statusBar().addPermanentWidget(self.cursor_status)

        signals = self.session.signals
        signals.source.connect(self._update_title)
        signals.recording.connect(self._update_actions)
        self.trace_view.cursor_moved.connect(self.cursor_status.show_cursor)
        self._update_title()
        self._update_actions()
        self.restore_layout()
        missing = self.recent_files.drop_missing()
        if missing:
            self.menus.rebuild_recent()
            self.statusBar().showMessage(f"Removed {len(missing)} missing recent file(s)", 5000)

    # ------------------------------------------------------------------ opening
    def open_demo(self, dataset: DemoDataset | None = None) -> None:
        """Show the embedded demo dataset (built when not given)."""
        demo = make_demo_dataset() if dataset is None else dataset
        self.session.open(
            recording=demo.recording,
            sorting=demo.sorting,
            events=demo.events,
            snippets=demo.snippets,
            source="demo dataset",
        )

    def open_path(self, path: str | Path) -> bool:
        """Open what ``path`` holds; errors are shown in a dialog. Returns whether it opened."""
        return self.open_paths([path])

    def open_paths(self, paths: Iterable[str | Path]) -> bool:
        """Open several paths together (e.g. a recording and its sorting) in one session.

        A later path replaces an object of the same kind from an earlier one. Paths that
        cannot be read are reported one by one and skipped.

        Returns
        -------
        bool
            Whether anything was opened.
        """
        found: dict[str, Any] = {}
        opened: list[Path] = []
        for path in map(Path, paths):
            objects = self._read(path)
            if objects:
                found.update(objects)
                opened.append(path)
        return self._show(found, opened)

    def _show(self, found: dict[str, Any], opened: list[Path]) -> bool:
        if not found:
            return False
        source = "; ".join(str(path) for path in opened)
        try:
            self.session.open(**found, source=source)
        except Exception as error:  # a view failing to draw must not leave a silent window
            self._report_open_error(source, error)
            return False
        for path in opened:
            self.recent_files.add(path)
        self.menus.rebuild_recent()
        self.statusBar().showMessage(f"Opened {source}", 5000)
        return True

    def open_recent(self, path: str) -> None:
        """Open a recent path; a missing one is removed from the list with a message."""
        if not Path(path).exists():
            self.recent_files.remove(path)
            self.menus.rebuild_recent()
            self.show_error(
                "Open Recent", f"{path} no longer exists; it was removed from the list."
            )
            return
        self.open_path(path)

    def clear_recent(self) -> None:
        """Forget every recent path."""
        self.recent_files.clear()
        self.menus.rebuild_recent()

    def choose_and_open_file(self) -> None:
        """File > Open File…"""
        path = self.ask_open_file("Open", DATA_FILTER)
        if path:
            self._remember_folder(path)
            self.open_path(path)

    def choose_and_open_folder(self) -> None:
        """File > Open Folder… (saved SpikeInterface folders, phy output, acquisition folders)."""
        path = self.ask_open_folder("Open Folder")
        if path:
            self._remember_folder(path)
            self.open_path(path)

    def choose_and_open_binary(self) -> None:
        """File > Open Raw Binary…: choose a file, then describe its layout."""
        path = self.ask_open_file("Open Raw Binary", BINARY_FILTER)
        if path:
            self._remember_folder(path)
            self._open_binary(Path(path))

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            found = read_all(path)
        except Exception as error:  # any reader failure becomes one dialog, never a lone traceback
            if path.is_file() and path.suffix.lower() in RAW_BINARY_SUFFIXES:
                return self._ask_binary(path)
            self._report_open_error(path, error)
            return None
        if not found:
            self.show_error(f"Could not open {path.name}", f"{path}\n\nNothing SpikeDesk shows.")
        return found

    def _open_binary(self, path: Path) -> None:
        self._show(self._ask_binary(path) or {}, [path])

    def _ask_binary(self, path: Path) -> dict[str, Any] | None:
        try:
            recording = self.ask_binary_recording(path)
        except Exception as error:
            self._report_open_error(path, error)
            return None
        return None if recording is None else {"recording": recording}

    def _report_open_error(self, path: str | Path, error: Exception) -> None:
        _log.warning("could not open %s", path, exc_info=error)
        self.show_error(
            f"Could not open {Path(path).name}", f"{path}\n\n{type(error).__name__}: {error}"
        )

    # ------------------------------------------------------------------ saving
    def save_recording_as(self) -> None:
        """File > Save Recording As…: ask where and how, then save in the background."""
        recording = self.session.recording
        if recording is None:
            return
        answer = self.ask_save_recording(recording)
        if answer is None:
            return
        folder, options = answer
        job = save_recording_job(recording, folder, **options)
        job.signals.finished.connect(lambda _saved: self._on_saved(folder))
        self.job_manager.submit(job)
        self.docks["jobs"].show()

    def _on_saved(self, folder: str | Path) -> None:
        self.recent_files.add(folder)
        self.menus.rebuild_recent()
        self.statusBar().showMessage(f"Saved {folder}", 5000)

    # ------------------------------------------------------------------ messages
    def show_error(self, title: str, message: str) -> None:
        """Show an error dialog (tests replace this method to capture the text)."""
        QMessageBox.critical(self, title, message)

    def show_about(self) -> None:
        """Help > About SpikeDesk."""
        QMessageBox.about(
            self,
            "About SpikeDesk",
            f"<h3>SpikeDesk {__version__}</h3>"
            "<p>Browse and curate extracellular electrophysiology data: raw recordings, spike "
            "sorting results, events, snippets and waveforms, on a headless core that speaks "
            "SpikeInterface.</p><p>Drop files or folders on the window to open them.</p>",
        )

    # ------------------------------------------------------------------ layout
    def apply_default_layout(self) -> None:
        """Probe and open data on the left, traces large on the right, jobs below the traces."""
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        docks = self.docks
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, docks["probe"])
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks["traces"])
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, docks["jobs"])
        self.splitDockWidget(docks["probe"], docks["open_data"], Qt.Orientation.Vertical)
        for dock in docks.values():
            dock.setFloating(False)
            dock.show()
        self._default_sizes_pending = True
        if self.isVisible():
            self._apply_default_sizes()

    def _apply_default_sizes(self) -> None:
        # dock sizes only hold once the window has its geometry, hence after the first show
        self._default_sizes_pending = False
        docks = self.docks
        width, height = self.width(), self.height()
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.resizeDocks([docks["probe"], docks["traces"]], [320, width - 320], horizontal)
        self.resizeDocks([docks["probe"], docks["open_data"]], [height - 230, 230], vertical)
        self.resizeDocks([docks["traces"], docks["jobs"]], [height - 130, 130], vertical)

    def reset_layout(self) -> None:
        """View > Reset Layout: every dock shown, back in its default place and size."""
        for dock in self.docks.values():
            self.removeDockWidget(dock)
        self.apply_default_layout()

    def save_layout(self) -> None:
        """Store window geometry and dock layout in the settings."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def restore_layout(self) -> None:
        """Restore geometry and dock layout saved by `save_layout` (if any)."""
        geometry = self.settings.value("window/geometry")
        if geometry is None:
            self.resize(1500, 900)
        else:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None and self.restoreState(state, LAYOUT_VERSION):
            self._default_sizes_pending = False

    def _make_dock(self, name: str, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        return dock

    # ------------------------------------------------------------------ events
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept local files and folders."""
        if _local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the dropped files and folders together."""
        paths = _local_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    def showEvent(self, event: QShowEvent) -> None:
        """Size the docks of the default layout on the first show."""
        super().showEvent(event)
        if self._default_sizes_pending:
            self._apply_default_sizes()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout, cancel and wait for jobs, stop the trace worker."""
        if not self._closed:
            self._closed = True
            self.save_layout()
            self.job_manager.shutdown()
            self.trace_view.shutdown()
            self.trace_fetcher.close()
        super().closeEvent(event)

    # ------------------------------------------------------------------ helpers
    def _update_title(self, *_: Any) -> None:
        source = self.session.source
        names = ", ".join(Path(part).name or part for part in source.split("; ")) if source else ""
        self.setWindowTitle(f"{names} — SpikeDesk" if names else "SpikeDesk")

    def _update_actions(self, *_: Any) -> None:
        self.menus.actions["save_recording"].setEnabled(self.session.recording is not None)

    def _remember_folder(self, path: str) -> None:
        self.settings.setValue("paths/last_folder", str(Path(path).parent))

    def _start_folder(self) -> str:
        return str(self.settings.value("paths/last_folder", str(Path.home())))

    def _file_dialog(self, caption: str, name_filter: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, caption, self._start_folder(), name_filter)
        return path

    def _folder_dialog(self, caption: str) -> str:
        return QFileDialog.getExistingDirectory(self, caption, self._start_folder())


def _local_paths(event: QDropEvent) -> list[str]:
    """Local file paths carried by a drag-and-drop event (empty when there are none)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
