"""The jobs panel: one row per background job with progress, elapsed time, ETA and Cancel,
and where the long jobs run (this machine or a Dask cluster), with a button to change it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import qtawesome as qta
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..jobs import Job, JobManager, JobState
from ..model.job_location import JobLocation

#: ``ask_location(current, parent) -> JobLocation | None`` (None when the user cancels).
LocationChooser = Callable[[JobLocation, QWidget | None], JobLocation | None]

#: How often the panel refreshes elapsed time and ETA, in milliseconds.
REFRESH_MS = 250
#: A job that does not announce itself (the window's own follow-up work after a change, e.g.
#: metrics of the units a curation action made) gets a row only if it runs longer than this:
#: most end sooner, and a row costs the GUI thread tens of ms to make.
QUIET_ROW_DELAY_MS = 500


def format_seconds(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from one hour, e.g. ``format_seconds(75) == "1:15"``."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_FINAL_TEXT = {
    JobState.FINISHED: "Done",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}


class JobRow(QWidget):
    """One job in the `JobsPanel`: title, progress bar, elapsed time, ETA and a Cancel button.

    Once the job ended the button removes the row instead (``dismissed``).
    """

    dismissed = Signal()

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.title_label = QLabel(job.title)
        self.title_label.setToolTip(job.title)
        # a long title is clipped rather than widening the dock
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Queued")
        self.elapsed_label = QLabel()
        self.eta_label = QLabel()
        # fixed widths keep the columns of all rows aligned
        for label, widest in ((self.elapsed_label, "0:00:00"), (self.eta_label, "ETA 0:00:00")):
            label.setFixedWidth(self.fontMetrics().horizontalAdvance(widest) + 6)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cancel_button = QToolButton()
        self.cancel_button.setAutoRaise(True)
        self._set_button("mdi6.cancel", f"Cancel “{job.title}”")
        self.cancel_button.clicked.connect(self._on_button_clicked)

        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 2, 4)
        layout.setVerticalSpacing(2)
        layout.addWidget(self.title_label, 0, 0, 1, 3)
        layout.addWidget(self.progress_bar, 1, 0)
        layout.addWidget(self.elapsed_label, 1, 1)
        layout.addWidget(self.eta_label, 1, 2)
        layout.addWidget(self.cancel_button, 0, 3, 2, 1)
        layout.setColumnStretch(0, 1)
        job.signals.progress.connect(self._show_progress)

    def refresh(self) -> None:
        """Update elapsed time, ETA and the progress bar from the job (called by a timer)."""
        progress = self.job.progress
        if progress is not None:
            self._show_progress(*progress)
        elif self.job.state is JobState.RUNNING:
            self.progress_bar.setFormat("Running")
        started = self.job.state is not JobState.QUEUED
        self.elapsed_label.setText(format_seconds(self.job.elapsed) if started else "")
        if self.job.cancel_requested and self.job.state.is_active:
            self.eta_label.setText("Stopping…")
        else:
            eta = self.job.eta
            self.eta_label.setText("" if eta is None else f"ETA {format_seconds(eta)}")

    def show_final_state(self) -> None:
        """Freeze the row on the job's final state and turn Cancel into Remove."""
        self.refresh()
        if self.job.state is JobState.FINISHED:
            _set_value(self.progress_bar, 100)
        self.progress_bar.setFormat(_FINAL_TEXT[self.job.state])
        self.eta_label.setText("")
        self.cancel_button.setEnabled(True)
        self._set_button("mdi6.close", "Remove from the list")

    def _show_progress(self, done: int, total: int) -> None:
        if self.job.state is JobState.RUNNING:
            self.progress_bar.setFormat("%p%")
        _set_value(self.progress_bar, round(100 * done / total) if total > 0 else 0)

    def _on_button_clicked(self) -> None:
        if self.job.state.is_active:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.refresh()
        else:
            self.dismissed.emit()

    def _set_button(self, icon_name: str, tooltip: str) -> None:
        color = self.palette().color(QPalette.ColorRole.ButtonText)
        self.cancel_button.setIcon(qta.icon(icon_name, color=color))
        self.cancel_button.setToolTip(tooltip)


def _set_value(bar: QProgressBar, value: int) -> None:
    """Set a progress bar's value with an ordinary (coalesced) repaint: QProgressBar.setValue
    repaints at once, which paints every pending region of the window then and there (the
    units table, plots...) on each progress step of each job."""
    bar.setUpdatesEnabled(False)
    bar.setValue(value)
    bar.setUpdatesEnabled(True)  # schedules the repaint


class JobsPanel(QWidget):
    """The jobs of a `JobManager`, one `JobRow` each; ended rows clear after a few seconds.

    Parameters
    ----------
    job_manager : JobManager
    parent : QWidget or None, default: None
    clear_after_ms : int or None, default: 5000
        Delay before an ended job's row is removed; None keeps rows until "Clear finished".
    ask_location : callable or None, default: None
        ``ask_location(current, parent) -> JobLocation | None``, called by the "Run on…"
        button (`app.dialogs.job_location.JobLocationDialog.ask` when None; tests pass a stub).
    """

    def __init__(
        self,
        job_manager: JobManager,
        parent: QWidget | None = None,
        clear_after_ms: int | None = 5000,
        ask_location: LocationChooser | None = None,
    ) -> None:
        super().__init__(parent)
        self._job_manager = job_manager
        self._ask_location = ask_location
        self._clear_after_ms = clear_after_ms
        self._rows: list[JobRow] = []
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_active_rows)

        self.empty_label = QLabel("No background jobs")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)
        self.clear_button = QPushButton(qta.icon("mdi6.broom"), "Clear finished")
        self.clear_button.clicked.connect(self.clear_finished)
        self.location_label = QLabel()
        self.location_label.setWordWrap(True)
        self.location_button = QToolButton()
        self.location_button.setText("Run on…")
        self.location_button.setToolTip("Choose where saves and waveform extractions run")
        self.location_button.clicked.connect(self.choose_location)
        rows_widget = QWidget()
        self._rows_layout = QVBoxLayout(rows_widget)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(4)
        self._rows_layout.addWidget(self.empty_label)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(rows_widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.location_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.location_label)
        layout.addLayout(buttons)

        job_manager.job_added.connect(self._on_job_added)
        job_manager.job_finished.connect(self._on_job_finished)
        job_manager.location_changed.connect(self._show_location)
        self._show_location(job_manager.location)
        for job in job_manager.jobs:
            self._add_row(job)
        self._update_placeholders()

    @property
    def rows(self) -> list[JobRow]:
        """list of JobRow: Rows on display, oldest first."""
        return list(self._rows)

    def row_for(self, job: Job) -> JobRow | None:
        """The row showing ``job``, or None."""
        return next((row for row in self._rows if row.job is job), None)

    def choose_location(self) -> None:
        """Ask where the long jobs run (this machine or a Dask scheduler) and apply it."""
        ask = self._ask_location
        if ask is None:
            from ..dialogs.job_location import JobLocationDialog

            ask = JobLocationDialog.ask
        location = ask(self._job_manager.location, self)
        if location is not None:
            self._job_manager.set_location(location)

    def _show_location(self, location: JobLocation) -> None:
        text = f"Jobs run on {location.describe()}"
        self.location_label.setText(text)
        self.location_label.setToolTip(text)

    def clear_finished(self) -> None:
        """Remove the rows of jobs that ended."""
        for row in [row for row in self._rows if not row.job.state.is_active]:
            self._remove_row(row)

    def _on_job_added(self, job: Job) -> None:
        if job.announce:
            self._add_row(job)
        else:  # the window's own follow-up work: a row only if it lasts
            QTimer.singleShot(QUIET_ROW_DELAY_MS, self, partial(self._add_lasting_row, job))

    def _add_lasting_row(self, job: Job) -> None:
        if job.state.is_active and self.row_for(job) is None:
            self._add_row(job)

    def _add_row(self, job: Job) -> None:
        row = JobRow(job)
        row.dismissed.connect(partial(self._remove_row, row))
        self._rows.append(row)
        self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
        self._update_placeholders()
        self._timer.start()

    def _on_job_finished(self, job: Job) -> None:
        row = self.row_for(job)
        if row is None:
            return
        row.show_final_state()
        if self._clear_after_ms is not None:
            QTimer.singleShot(self._clear_after_ms, self, partial(self._remove_row, row))
        self._update_placeholders()

    def _remove_row(self, row: JobRow) -> None:
        if row not in self._rows:
            return
        self._rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.deleteLater()
        self._update_placeholders()

    def _refresh_active_rows(self) -> None:
        active = [row for row in self._rows if row.job.state.is_active]
        for row in active:
            row.refresh()
        if not active:
            self._timer.stop()

    def _update_placeholders(self) -> None:
        self.empty_label.setVisible(not self._rows)
        self.clear_button.setEnabled(any(not row.job.state.is_active for row in self._rows))
