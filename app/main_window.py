"""MainWindow: the composition root. Docks come from `app.dock_table`, menus from
`app.window_menus`, opening files from `app.opening`; the window wires them to one `Session`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QShowEvent,
)
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from core.version import __version__

from .curation_commands import CurationCommands
from .dialogs.probe_menu import ProbeMenu
from .dialogs.units_commands import UnitsCommands
from .dock_table import DOCKS, DockViews, layout_version, make_docks, place_docks, size_docks
from .gui_thread_gc import request_full_collection
from .jobs import Job, JobManager, save_recording_job
from .model.curation_controller import CurationController
from .model.job_location import JobLocation
from .model.probe_editor import ProbeEditor
from .model.session import Session
from .model.trace_fetcher import TraceFetcher
from .opening import OpenChoice, Opener
from .overview_runner import OverviewRunner
from .unit_channels_runner import UnitChannelsRunner
from .views.cursor_status import CursorStatus
from .window_menus import MenuContext, RecentFiles, WindowMenus

if TYPE_CHECKING:
    from .model.demo import DemoDataset

_log = logging.getLogger(__name__)

#: The application icon (rendered from ``spikedesk.svg`` beside it), shipped as package data.
ICON_PATH = Path(__file__).parent / "resources" / "spikedesk.png"
#: Share of the screen's available area a new window takes.
SCREEN_SHARE = 0.9
#: Longest wait (ms after the window is shown) for the first trace frame before the other views
#: are built anyway.
FIRST_FRAME_WAIT_MS = 1500
DATA_FILTER = (
    "Electrophysiology data (*.json *.npz *.zarr *.bin *.dat *.raw *.meta *.rhd *.rhs "
    "*.oebin);;All files (*)"
)
BINARY_FILTER = "Raw binary (*.bin *.dat *.raw);;All files (*)"
#: Keys the views handle themselves, for Help > Keyboard Shortcuts.
VIEW_KEYS = (
    ("Traces", "scroll / by a window", "Left, Right / PageUp, PageDown"),
    ("Traces", "zoom in time / gain", "+ − / Up, Down"),
    ("Traces", "start / end of the segment", "Home / End"),
    ("Events", "previous / next event", "[ / ]"),
    ("Probe, amplitudes", "lasso", "Shift+drag"),
)


def app_icon() -> QIcon:
    """The SpikeDesk icon."""
    return QIcon(str(ICON_PATH))


class MainWindow(QMainWindow):
    """SpikeDesk's main window: every view in a dock over one `Session`.

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
        By name, as in `app.dock_table.DOCKS`.
    views : DockViews
        The view inside each dock, by the same names, built on first use. The traces (and the
        jobs panel, which follows every job) are built with the window. The others are built
        when it is first shown if no recording is open then; otherwise once the first trace
        frame is drawn (or after `FIRST_FRAME_WAIT_MS`), one per idle turn of the event loop.
    menus : WindowMenus
    opener : Opener
        Opens paths into the session (its ``ask_*`` callables are replaceable in tests).
    ask_open_file : callable
        ``(caption, name_filter) -> path`` ("" when cancelled); a file dialog by default.
    ask_open_folder : callable
        ``(caption) -> path`` ("" when cancelled); a folder dialog by default.
    ask_save_recording : callable
        ``(recording) -> (folder, save kwargs) | None``: the Save Recording As dialog by default.
    ask_save_file : callable
        ``(caption, name_filter) -> path`` ("" when cancelled): a save dialog by default.
    ask_yes_no : callable
        ``(title, text) -> bool``: a question box by default.
    curation : CurationController
        Label, merge, split, remove, undo; journal and restore.
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
        self.job_manager.set_location(JobLocation.from_settings(self.settings))
        self.job_manager.location_changed.connect(lambda place: place.to_settings(self.settings))
        # through a lambda so that a replaced show_error (tests) receives job errors too
        self.job_manager.error_occurred.connect(lambda title, text: self.show_error(title, text))
        # jobs the user started come forward; the window's own follow-up work (metrics,
        # channels, curation indexing after each action) does not hide the History tab
        self.job_manager.job_added.connect(lambda job: job.announce and self._show_dock("jobs"))
        self.trace_fetcher = TraceFetcher()
        self.probe_editor = ProbeEditor(self.session.recording)
        self.unit_channels = UnitChannelsRunner(self.session, self.job_manager)
        self.overview = OverviewRunner(self.session, self.job_manager, self.overview_cache_folder())
        self.curation = CurationController(
            self.session,
            self._journal_folder(),
            ask_restore=self._ask_restore,
            run_in_background=self._run_in_background,
        )
        self.opener = Opener(
            self.session,
            ask_binary_recording=self._binary_recording_dialog,
            ask_choice=self._ask_choice,
            ask_path=self._ask_path,
            report_error=lambda title, text: self.show_error(title, text),
        )
        self.ask_open_file: Callable[[str, str], str] = self._file_dialog
        self.ask_open_folder: Callable[[str], str] = self._folder_dialog
        self.ask_save_recording: Callable[[Any], Any] = self._save_recording_dialog
        self.ask_save_file: Callable[[str, str], str] = self._save_file_dialog
        self.ask_yes_no: Callable[[str, str], bool] = self._yes_no_dialog
        self.ask_label_category: Callable[[list], Any] = self._label_category_dialog
        self.units = UnitsCommands(self)
        self._closed = False
        self._default_sizes_pending = True

        self.setObjectName("SpikeDeskMainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.docks = make_docks(self)
        place_docks(self, self.docks)
        self.probe_menu = ProbeMenu(self.session, self.probe_editor, self)
        self.curation_commands = self._curation_commands()
        self.views = DockViews(self, self.docks, on_built=self._wire_view)
        self.trace_view = self.views["traces"]
        self.views["jobs"]  # lists every job from the first one on
        self._views_pending = True
        self._resize_when_built = False
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.timeout.connect(self._build_next_view)
        self.menus = WindowMenus(
            self.menuBar(),
            self._commands(),
            MenuContext(self.session, self.curation),
            self.recent_files,
            self.open_recent,
            [self._dock_toggle(spec.name, spec.shortcut) for spec in DOCKS],
            [self.probe_menu.menu],
            self,
        )
        self.cursor_status = CursorStatus(self.session)
        self.statusBar().addPermanentWidget(self.cursor_status)
        self.session.signals.source.connect(self._update_title)
        # data closed or replaced: most long-lived objects just died, frozen ones included
        self.session.signals.source.connect(request_full_collection)
        self.trace_view.cursor_moved.connect(self.cursor_status.show_cursor)
        self._update_title()
        self.restore_layout()
        missing = self.recent_files.drop_missing()
        if missing:
            self.statusBar().showMessage(f"Removed {len(missing)} missing recent file(s)", 5000)

    @property
    def probe_view(self) -> QWidget:
        """The probe view (built when first asked for)."""
        return self.views["probe"]

    def _wire_view(self, name: str, view: QWidget) -> None:
        """Connect a view just built to the window's commands."""
        if name == "units_table":
            view.label_requested.connect(self.curation_commands.label)
            view.label_toggled.connect(self.curation_commands.toggle_label)
            view.add_category_requested.connect(self.curation_commands.add_label_category)

    def _start_building_views(self, *_: Any) -> None:
        """Build the views not built yet, one per idle turn (after the first trace frame)."""
        if self._views_pending and not self._build_timer.isActive():
            self._views_pending = False
            self._build_timer.start(0)

    def _build_next_view(self) -> None:
        if self._closed:
            return
        if self.views.build_next():
            self._build_timer.start(0)
        elif self._resize_when_built:  # the default sizes again, now that the views set theirs
            self._resize_when_built = False
            self._apply_default_sizes()

    def _commands(self) -> dict[str, Callable[[], None]]:
        return {
            "open": self.choose_and_open_file,
            "open_folder": self.choose_and_open_folder,
            "open_binary": self.choose_and_open_binary,
            "save_recording": self.save_recording_as,
            "job_location": lambda: self.views["jobs"].choose_location(),
            "close_all": self.close_all,
            "quit": self.close,
            "reset_layout": self.reset_layout,
            "build_overview": self.session.request_overview,
            "clear_overview_cache": self.clear_overview_cache,
            "extract_waveforms": self.units.extract_waveforms,
            "compute_sparsity": self.units.compute_sparsity,
            "open_waveforms": self.units.open_waveforms,
            "shortcuts": self.show_shortcuts,
            "about": self.show_about,
            **self.curation_commands.commands(),
        }

    def _curation_commands(self) -> CurationCommands:
        return CurationCommands(
            self.session,
            self.curation,
            self.job_manager,
            ask_save_file=lambda caption, name_filter: self.ask_save_file(caption, name_filter),
            ask_folder=lambda caption: self.ask_save_file(caption, ""),
            ask_yes_no=lambda title, text: self.ask_yes_no(title, text),
            report=self._report,
            templates=self.unit_channels.coarse_templates,
            ask_label_category=lambda existing: self.ask_label_category(existing),
            inform=lambda title, text: self.show_info(title, text),
        )

    # ------------------------------------------------------------------ opening
    def open_demo(self, dataset: DemoDataset | None = None) -> None:
        """Show the embedded demo dataset (built when not given)."""
        from .model.demo import make_demo_dataset

        demo = make_demo_dataset() if dataset is None else dataset
        self.session.open(**demo.objects(), source="demo dataset")
        self.session.select_units(demo.sorting.unit_ids[:1])  # every unit view shows something

    def open_path(self, path: str | Path) -> bool:
        """Open what ``path`` holds (added to what is open when it fits). Returns whether it did."""
        return self.open_paths([path])

    def open_paths(self, paths: Iterable[str | Path]) -> bool:
        """Open several paths together (e.g. a recording and its sorting).

        What they hold is added to what is open when it fits; otherwise the user chooses to
        replace it or to close everything first (see `app.opening.Opener`). Paths that cannot
        be read are reported one by one and skipped.

        Returns
        -------
        bool
            Whether anything was opened.
        """
        opened = self.opener.open_paths([Path(p) for p in paths])
        if not opened:
            return False
        sorting = self.session.sorting
        if sorting is not None and not self.session.selected_unit_ids and sorting.unit_ids.size:
            self.session.select_units(sorting.unit_ids[:1])  # the unit views show a unit at once
        self.recent_files.add(*opened)
        self.statusBar().showMessage(f"Opened {'; '.join(map(str, opened))}", 5000)
        return True

    def open_recent(self, entry: tuple[str, ...]) -> None:
        """Reopen a recent entry (the paths opened together); a missing one is forgotten."""
        missing = [path for path in entry if not Path(path).exists()]
        if missing:
            self.recent_files.remove(entry)
            self.show_error(
                "Open Recent",
                f"{', '.join(missing)} no longer exists; the entry was removed from the list.",
            )
            return
        self.open_paths(entry)

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
            if self.opener.open_binary(Path(path)):
                self.recent_files.add(path)

    def close_all(self) -> None:
        """File > Close All: nothing open."""
        self.session.close()

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

    def _on_saved(self, folder: str | Path) -> None:
        self.recent_files.add(folder)
        self.statusBar().showMessage(f"Saved {folder}", 5000)

    # ------------------------------------------------------------------ messages
    def show_error(self, title: str, message: str) -> None:
        """Show an error dialog (tests replace this method to capture the text)."""
        QMessageBox.critical(self, title, message)

    def show_info(self, title: str, message: str) -> None:
        """Show a message the user should read (tests replace this method to capture it)."""
        QMessageBox.information(self, title, message)

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

    def show_shortcuts(self) -> None:
        """Help > Keyboard Shortcuts: every menu shortcut, and the keys of the views."""
        rows = "".join(
            f"<tr><td>{menu}</td><td>{entry}</td><td><b>{keys}</b></td></tr>"
            for menu, entry, keys in self.menus.shortcut_table()
        )
        views = "".join(
            f"<tr><td>{view}</td><td>{what}</td><td><b>{keys}</b></td></tr>"
            for view, what, keys in VIEW_KEYS
        )
        QMessageBox.information(
            self,
            "Keyboard Shortcuts",
            f"<table cellspacing='6'>{rows}{views}</table>",
        )

    def _run_in_background(self, title: str, fn: Callable[[], Any], done: Callable) -> None:
        job = Job(title, lambda progress, cancel: fn(), announce=False)
        job.signals.finished.connect(done)
        self.job_manager.submit(job)

    def _ask_restore(self, summary) -> bool:
        when = summary.created.replace("T", " ")[:19]
        return self.ask_yes_no(
            "Restore Curation",
            f"This sorting was curated before ({summary.num_actions} action(s) in effect, "
            f"started {when}).\n\nJournal: {summary.path}\n\nRestore that curation?",
        )

    def _yes_no_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def _report(self, title: str, text: str, error: bool) -> None:
        if error:
            self.show_error(title, text)
        else:
            self.statusBar().showMessage(text, 8000)

    def overview_cache_folder(self) -> Path:
        """Where overviews (display pyramids) are cached: the ``overview/cache_folder`` setting, or
        the application's cache location."""
        default = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
        )
        return Path(str(self.settings.value("overview/cache_folder", default / "overview")))

    def clear_overview_cache(self) -> None:
        """Remove every cached overview; the open recording's is built again when needed."""
        freed = self.overview.clear_cache()
        self.statusBar().showMessage(f"Overview cache cleared: {freed / 1e6:.0f} MB freed", 8000)

    def _journal_folder(self) -> Path:
        default = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(str(self.settings.value("curation/journal_folder", default))) / "curation"

    def _ask_choice(self, title: str, text: str, choices: list[OpenChoice]) -> OpenChoice | None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        buttons = {box.addButton(c.label, QMessageBox.ButtonRole.AcceptRole): c for c in choices}
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return buttons.get(box.clickedButton())

    def _ask_path(self, caption: str, folder: bool) -> str:
        return self.ask_open_folder(caption) if folder else self.ask_open_file(caption, DATA_FILTER)

    # ------------------------------------------------------------------ layout
    def apply_default_layout(self) -> None:
        """Every dock in its default column, shown; sizes follow on the first show."""
        place_docks(self, self.docks)
        self._default_sizes_pending = True
        if self.isVisible():
            self._apply_default_sizes()

    def _apply_default_sizes(self) -> None:
        self._default_sizes_pending = False
        size_docks(self, self.docks)

    def reset_layout(self) -> None:
        """View > Reset Layout: every dock shown, back in its default place and size."""
        for dock in self.docks.values():
            self.removeDockWidget(dock)
        self.apply_default_layout()

    def save_layout(self) -> None:
        """Store window geometry and dock layout in the settings."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(layout_version()))
        self.settings.sync()

    def restore_layout(self) -> None:
        """Restore geometry and dock layout saved by `save_layout`; a new window takes about
        90% of the screen."""
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self._fit_screen()
        state = self.settings.value("window/state")
        if state is not None and self.restoreState(state, layout_version()):
            self._default_sizes_pending = False

    def _fit_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        width, height = (
            int(available.width() * SCREEN_SHARE),
            int(available.height() * SCREEN_SHARE),
        )
        self.setGeometry(
            available.x() + (available.width() - width) // 2,
            available.y() + (available.height() - height) // 2,
            width,
            height,
        )

    def _dock_toggle(self, name: str, shortcut: str | None):
        action = self.docks[name].toggleViewAction()
        if shortcut:
            action.setShortcut(shortcut)
        return action

    def _show_dock(self, name: str) -> None:
        dock = self.docks[name]
        dock.show()
        dock.raise_()

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
        """Size the docks of the default layout on the first show; build the views not built yet
        at once when there are no traces to draw first, else after the first trace frame."""
        if self._views_pending and self.session.recording is None:
            self._views_pending = False
            while self.views.build_next():
                pass
        super().showEvent(event)
        if self._default_sizes_pending:
            self._apply_default_sizes()
            self._resize_when_built = self._views_pending
        if self._views_pending:
            self.trace_view.frame_drawn.connect(self._start_building_views)
            QTimer.singleShot(FIRST_FRAME_WAIT_MS, self._start_building_views)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout, cancel and wait for jobs, stop the views' workers."""
        if not self._closed:
            self._closed = True
            self.save_layout()
            self.unit_channels.shutdown()
            self.overview.shutdown()
            if self.curation.curation is not None:
                self.curation.curation.close()
            self.job_manager.shutdown()
            self._build_timer.stop()
            for view in self.views.built().values():
                shutdown = getattr(view, "shutdown", None)
                if shutdown is not None:
                    shutdown()
            self.trace_fetcher.close()
        super().closeEvent(event)

    # ------------------------------------------------------------------ helpers
    def _update_title(self, *_: Any) -> None:
        source = self.session.source
        names = ", ".join(Path(part).name or part for part in source.split("; ")) if source else ""
        self.setWindowTitle(f"{names} — SpikeDesk" if names else "SpikeDesk")

    def _remember_folder(self, path: str) -> None:
        self.settings.setValue("paths/last_folder", str(Path(path).parent))

    def _start_folder(self) -> str:
        return str(self.settings.value("paths/last_folder", str(Path.home())))

    def _file_dialog(self, caption: str, name_filter: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, caption, self._start_folder(), name_filter)
        return path

    def _save_file_dialog(self, caption: str, name_filter: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, caption, self._start_folder(), name_filter)
        return path

    def _folder_dialog(self, caption: str) -> str:
        return QFileDialog.getExistingDirectory(self, caption, self._start_folder())

    # dialogs are imported when first shown: they are not on the way to the first frame (the
    # save dialog's compressor choices import zarr and numcodecs)
    def _binary_recording_dialog(self, path: Path):
        from .dialogs.open_binary import OpenBinaryDialog

        return OpenBinaryDialog.ask(path, self)

    def _save_recording_dialog(self, recording):
        from .dialogs.save_recording import SaveRecordingDialog

        return SaveRecordingDialog.ask(recording, self, self.job_manager.location)

    def _label_category_dialog(self, existing: list):
        from .dialogs.label_category import LabelCategoryDialog

        return LabelCategoryDialog.ask(existing, self)


def _local_paths(event: QDropEvent) -> list[str]:
    """Local file paths carried by a drag-and-drop event (empty when there are none)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
