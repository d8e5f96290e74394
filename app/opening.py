"""Opening paths into the session: add what fits, ask before replacing, find what a waveform
folder needs (its recording, its sorting), Open Raw Binary as a fallback.

`Opener` holds no widget: the questions it asks go through callables the window gives it (and
tests replace), so the decisions are tested without dialogs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import core as si
from app.model.session import Session
from core import read_all
from core.opening import find_opener

_log = logging.getLogger(__name__)


def _is_waveform_extractor_store(path: Path) -> bool:
    """Whether ``path`` is a WaveformExtractor folder or store (not a SortingAnalyzer)."""
    opener = find_opener(path, kind="waveform_extractor")
    return opener is not None and opener.name.startswith("waveform_extractor")


#: Files that Open Raw Binary describes when no reader recognises them.
RAW_BINARY_SUFFIXES = (".bin", ".dat", ".raw")


@dataclass(frozen=True)
class OpenChoice:
    """An answer to a question of the `Opener`."""

    key: str
    label: str


REPLACE = OpenChoice("replace", "Replace")
CLOSE_ALL = OpenChoice("close_all", "Close All and Open")
LOCATE = OpenChoice("locate", "Locate…")
WITHOUT = OpenChoice("without", "Open Without It")


class Opener:
    """Open paths into a session.

    Parameters
    ----------
    session : Session
        Receives what is opened: added to what is open when it fits, or replacing it (asked).
    ask_binary_recording : callable
        ``(path) -> recording | None``: describe a raw binary file (Open Raw Binary dialog).
    ask_choice : callable
        ``(title, text, choices) -> OpenChoice | None`` (None: cancelled).
    ask_path : callable
        ``(caption, folder) -> str`` ("" when cancelled): a file or folder dialog.
    report_error : callable
        ``(title, text)``: tell the user what went wrong.
    """

    def __init__(
        self,
        session: Session,
        ask_binary_recording: Callable[[Path], Any],
        ask_choice: Callable[[str, str, list[OpenChoice]], OpenChoice | None],
        ask_path: Callable[[str, bool], str],
        report_error: Callable[[str, str], None],
    ) -> None:
        self.session = session
        self.ask_binary_recording = ask_binary_recording
        self.ask_choice = ask_choice
        self.ask_path = ask_path
        self.report_error = report_error

    def open_paths(self, paths: list[Path]) -> list[Path]:
        """Open ``paths`` together; returns the paths whose objects were opened ([] if none)."""
        found: dict[str, Any] = {}
        opened: list[Path] = []
        for path in paths:
            objects = self.read(path)
            if objects:
                found.update(objects)
                opened.append(path)
        if found and self.show(found, "; ".join(map(str, opened))):
            return opened
        return []

    def open_binary(self, path: Path) -> bool:
        """Describe ``path`` as a raw binary file (asked) and open it; whether it opened."""
        objects = self._ask_binary(path)
        return bool(objects) and self.show(objects, str(path))

    def read(self, path: Path) -> dict[str, Any] | None:
        """Everything ``path`` holds, by kind, or None (the user was told why)."""
        try:
            found = read_all(path)
        except Exception as error:  # any reader failure becomes one message, never a traceback
            if path.is_file() and path.suffix.lower() in RAW_BINARY_SUFFIXES:
                return self._ask_binary(path)
            if path.is_dir() and _is_waveform_extractor_store(path):
                return self._waveforms_locating_sorting(path, error)
            self._report(path, error)
            return None
        if not found:
            self.report_error(f"Could not open {path.name}", f"{path}\n\nNothing SpikeDesk shows.")
            return None
        if "waveform_extractor" in found:
            found = self._with_recording(path, found)
        return found

    def show(self, found: dict[str, Any], source: str) -> bool:
        """Put ``found`` in the session: added when it fits, else as the user chooses."""
        session = self.session
        if not session.has_data():
            return self._apply(session.open, found, source)
        found = {k: v for k, v in found.items() if v is not getattr(session, k)}  # already open
        clashing = [kind for kind in found if getattr(session, kind) is not None]
        try:
            session.check_fits(**found)
            misfit = ""
        except ValueError as error:
            misfit = str(error)
        if not clashing and not misfit:
            return self._apply(session.add, found, source)
        name = Path(source.split("; ")[0]).name or source
        if misfit:
            text = f"{name}: {misfit}.\n\nClose what is open and open {name} alone?"
            choices = [CLOSE_ALL]
        else:
            kinds = " and ".join(kind.replace("_", " ") for kind in clashing)
            text = (
                f"A {kinds} is already open. Replace it with the one in {name} (keeping the "
                "rest), or close everything and open it alone?"
            )
            choices = [REPLACE, CLOSE_ALL]
        choice = self.ask_choice(f"Open {name}", text, choices)
        if choice is None:
            return False
        opener = session.open if choice is CLOSE_ALL else session.add
        return self._apply(opener, found, source)

    # ------------------------------------------------------------------ waveform folders
    def _with_recording(self, path: Path, found: dict[str, Any]) -> dict[str, Any]:
        """Attach the recording a waveform extractor was made from, when it can be found."""
        we = found["waveform_extractor"]
        if not we.has_recording() and not we.is_read_only():
            try:  # the recording as the folder describes it (relative or absolute paths)
                we = si.load_waveforms(path, with_recording=True)
            except Exception as error:
                _log.info("recording of %s not found: %s", path, error)
                we = self._locate_recording(path, we)
        found = {**found, "waveform_extractor": we, "sorting": we.sorting}
        if we.has_recording():
            found["recording"] = we.recording
        return found

    def _locate_recording(self, path: Path, we):
        session = self.session
        if session.recording is not None:
            try:  # the open recording is the one (same channels, rate and segments)
                we.set_recording(session.recording)
                return we
            except ValueError:
                pass
        choice = self.ask_choice(
            f"Open {path.name}",
            f"The recording these waveforms were extracted from was not found.\n\n{path}\n\n"
            "Locate it (to show traces and extract again), or open the templates, sparsity, "
            "probe and sorting without it?",
            [LOCATE, WITHOUT],
        )
        while choice is LOCATE:
            chosen = self.ask_path(f"Locate the recording of {path.name}", True)
            if not chosen:
                break
            try:
                recording = read_all(Path(chosen))["recording"]
                we.set_recording(recording)
                return we
            except Exception as error:
                choice = self.ask_choice(
                    f"Open {path.name}",
                    f"{chosen} is not the recording of these waveforms:\n{error}",
                    [LOCATE, WITHOUT],
                )
        return we

    def _waveforms_locating_sorting(self, path: Path, error: Exception) -> dict[str, Any] | None:
        choice = self.ask_choice(
            f"Open {path.name}",
            f"The sorting of these waveforms was not found (the folder was probably written on "
            f"another machine):\n{error}\n\nLocate the sorting?",
            [LOCATE],
        )
        while choice is LOCATE:
            chosen = self.ask_path(f"Locate the sorting of {path.name}", True)
            if not chosen:
                return None
            try:
                sorting = read_all(Path(chosen))["sorting"]
                we = si.load_waveforms(path, with_recording=False, sorting=sorting)
                return self._with_recording(path, {"waveform_extractor": we})
            except Exception as failure:
                choice = self.ask_choice(
                    f"Open {path.name}",
                    f"{chosen} could not be used as the sorting:\n{failure}",
                    [LOCATE],
                )
        return None

    # ------------------------------------------------------------------ helpers
    def _ask_binary(self, path: Path) -> dict[str, Any] | None:
        try:
            recording = self.ask_binary_recording(path)
        except Exception as error:
            self._report(path, error)
            return None
        return None if recording is None else {"recording": recording}

    def _apply(self, opener: Callable[..., None], found: dict[str, Any], source: str) -> bool:
        try:
            opener(**found, source=source)
        except Exception as error:  # a view failing to draw must not leave a silent window
            self._report(source, error)
            return False
        return True

    def _report(self, path: str | Path, error: Exception) -> None:
        _log.warning("could not open %s", path, exc_info=error)
        self.report_error(
            f"Could not open {Path(str(path).split('; ')[0]).name}",
            f"{path}\n\n{type(error).__name__}: {error}",
        )
