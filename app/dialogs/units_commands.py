"""The Units menu's commands: Extract Waveforms…, Compute Sparsity…, Open Waveforms….

They ask through dialogs (replaceable in tests), run the work as jobs of the window's job
manager and put the result in the session, so every view shows it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.dialogs.compute_sparsity import ComputeSparsityDialog
from app.dialogs.extract_waveforms import ExtractWaveformsDialog
from app.jobs import compute_sparsity_job, extract_waveforms_job
from app.model.sparsity_methods import method, property_choices

if TYPE_CHECKING:
    from app.main_window import MainWindow


def default_waveforms_folder(source: str) -> Path:
    """A folder that does not exist yet, next to the first path of ``source`` (else home)."""
    first = Path(source.split("; ")[0]) if source else None
    parent = first.parent if first is not None and first.exists() else Path.home()
    candidate = parent / "waveforms"
    number = 1
    while candidate.exists():
        candidate = parent / f"waveforms_{number}"
        number += 1
    return candidate


class UnitsCommands:
    """Commands of the Units menu, for one main window.

    Parameters
    ----------
    window : MainWindow
        Its session, job manager, recent files, ``open_path``, ``ask_open_folder`` and status
        bar are used.

    Attributes
    ----------
    ask_extraction : callable
        ``(recording, sorting, folder) -> (folder or None, options) | None``: the Extract
        Waveforms dialog by default.
    ask_sparsity : callable
        ``(has_extractor, properties) -> (method, value, peak_sign) | None``: the Compute
        Sparsity dialog by default.
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.ask_extraction: Callable[..., Any] = lambda recording, sorting, folder: (
            ExtractWaveformsDialog.ask(recording, sorting, folder, window)
        )
        self.ask_sparsity: Callable[..., Any] = lambda has_extractor, properties: (
            ComputeSparsityDialog.ask(has_extractor, properties, window)
        )

    # ------------------------------------------------------------------ commands
    def extract_waveforms(self) -> None:
        """Units ▸ Extract Waveforms…: ask for the options, extract in a job, open the result."""
        session = self.window.session
        recording, sorting = session.recording, session.sorting
        if recording is None or sorting is None:
            self.window.show_error("Extract Waveforms", "Open a recording and its sorting first.")
            return
        if not recording.has_channel_location():
            self.window.show_error(
                "Extract Waveforms",
                "The recording has no probe: use Probe ▸ Load probe file… or Generate layout… "
                "and apply it first.",
            )
            return
        answer = self.ask_extraction(recording, sorting, default_waveforms_folder(session.source))
        if answer is None:
            return
        folder, options = answer
        location = self.window.job_manager.location  # this machine or a Dask cluster
        job = extract_waveforms_job(recording, sorting, folder, location=location, **options)
        job.signals.finished.connect(lambda we: self._extracted(we, folder, recording, sorting))
        self.window.job_manager.submit(job)

    def compute_sparsity(self) -> None:
        """Units ▸ Compute Sparsity…: ask for a method, compute it in a job, show it."""
        session = self.window.session
        we, recording, sorting = session.waveform_extractor, session.recording, session.sorting
        if we is None and (recording is None or sorting is None):
            self.window.show_error(
                "Compute Sparsity", "Open waveforms, or a recording and its sorting, first."
            )
            return
        answer = self.ask_sparsity(we is not None, property_choices(recording, we))
        if answer is None:
            return
        key, value, peak_sign = answer
        job = compute_sparsity_job(
            method(key).describe(value),
            key=key,
            value=value,
            peak_sign=peak_sign,
            waveform_extractor=we,
            recording=recording,
            sorting=sorting,
            unit_channel_ids=dict(session.unit_channel_ids),
        )

        def show(sparsity) -> None:
            if session.sorting is sorting and session.waveform_extractor is we:
                session.set_sparsity(sparsity)
                self.window.statusBar().showMessage(
                    f"Sparsity: {method(key).describe(value)}", 5000
                )

        job.signals.finished.connect(show)
        self.window.job_manager.submit(job)

    def open_waveforms(self) -> None:
        """Units ▸ Open Waveforms…: a waveform folder, zarr store or SortingAnalyzer."""
        path = self.window.ask_open_folder("Open Waveforms")
        if path:
            self.window.open_path(path)

    # ------------------------------------------------------------------ results
    def _extracted(self, we, folder: Path | None, recording, sorting) -> None:
        session = self.window.session
        if session.recording is not recording or session.sorting is not sorting:
            self.window.statusBar().showMessage(
                "Waveforms extracted; not shown: other data was opened meanwhile", 8000
            )
            return
        session.add(waveform_extractor=we, source="" if folder is None else str(folder))
        if folder is not None:
            self.window.recent_files.add(folder)
        where = "in memory" if folder is None else str(folder)
        self.window.statusBar().showMessage(f"Waveforms extracted {where}", 5000)
