"""The window's curation: a `core.curation.CurationSession` over the open sorting (no Qt).

The controller follows the session: when the user opens a sorting it looks for a journal of an
earlier curation of it (and offers to restore it); the first action starts a journalled session.
After every action, undo and redo the session shows the curated sorting (`Session.replace_sorting`),
which keeps the view state of the units that did not change. Journals live next to the data when
its folder is writable, else in the user's data folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from psygnal import Signal

from app.model.session import Session
from core.curation import (
    CurationSession,
    JournalSummary,
    LabelAction,
    LabelDefinition,
    MergeAction,
    PhyWriteBack,
    RemoveAction,
    SplitAction,
    find_journal,
    journal_summary,
    write_curation_to_phy,
)
from core.curation.labels import default_label_definitions
from core.source_files import source_paths

_log = logging.getLogger(__name__)

#: Folder created next to the data for curation journals.
JOURNAL_FOLDER_NAME = "spikedesk-curation"
#: Label category the quick labels (good / mua / noise) use.
QUALITY = "quality"


@dataclass(frozen=True)
class HistoryItem:
    """One action of the history: what it did, and whether it is in effect (not undone)."""

    text: str
    done: bool


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def journal_folder(
    sorting, user_folder: Path, writable: Callable[[Path], bool] = _writable
) -> Path:
    """Where the journals of ``sorting`` go: ``spikedesk-curation/`` next to the data it reads
    when that folder is writable, else a folder per data source under ``user_folder``."""
    paths = [p for p in source_paths(sorting) if p.exists()]
    if paths:
        data = paths[0] if paths[0].is_dir() else paths[0].parent
        if writable(data):
            return data / JOURNAL_FOLDER_NAME
        key = hashlib.sha256(str(data).encode()).hexdigest()[:16]
        return Path(user_folder) / f"{data.name}-{key}"
    return Path(user_folder) / "in-memory"


def describe_action(action) -> str:
    """A short sentence for the history panel."""
    if isinstance(action, LabelAction):
        units = ", ".join(map(str, action.unit_ids))
        value = "/".join(action.values) or "no label"
        return f"Label {units} as {value}"
    if isinstance(action, MergeAction):
        return f"Merge {', '.join(map(str, action.unit_ids))} into {action.new_unit_id}"
    if isinstance(action, SplitAction):
        sizes = " + ".join(str(len(part)) for part in action.parts)
        new = ", ".join(map(str, action.new_unit_ids))
        return f"Split {action.unit_id} ({sizes} spikes) into {new}"
    if isinstance(action, RemoveAction):
        return f"Remove {', '.join(map(str, action.unit_ids))}"
    return str(action)


class CurationController:
    """Label, merge, split and remove units of the open sorting, with undo and a journal.

    Parameters
    ----------
    session : Session
        Shows the curated sorting after each action.
    user_folder : str | Path
        Journals of data in read-only folders (and of in-memory sortings) go under it.
    ask_restore : callable
        ``ask_restore(summary: JournalSummary) -> bool``: restore an earlier curation found for
        the sorting being opened?
    run_in_background : callable or None
        ``run_in_background(title, fn, done)``: run ``fn()`` off the GUI thread, then
        ``done(result)`` on it. Opening a sorting looks for its journal and indexes its spikes
        for curation that way (seconds on 10 M spikes), so that the first action is as quick as
        the others. None: at once, in the calling thread.

    Attributes
    ----------
    changed : psygnal.Signal
        Emitted after every action, undo, redo, restore and new sorting.
    """

    changed = Signal()

    def __init__(
        self,
        session: Session,
        user_folder: str | Path,
        ask_restore: Callable[[JournalSummary], bool],
        run_in_background: Callable[[str, Callable, Callable], None] | None = None,
    ) -> None:
        self._session = session
        self._user_folder = Path(user_folder)
        self.ask_restore = ask_restore
        self._run_in_background = run_in_background or (lambda _title, fn, done: done(fn()))
        self._curation: CurationSession | None = None
        self._prepared: CurationSession | None = None  # built ahead, journal not started
        self._base = None
        self._showing = None  # the curated sorting this controller put in the session
        session.signals.sorting.connect(self._on_sorting)
        self._on_sorting()

    # ------------------------------------------------------------------ state
    @property
    def curation(self) -> CurationSession | None:
        """The curation session (None before the first action on a sorting)."""
        return self._curation

    @property
    def can_undo(self) -> bool:
        """Whether there is an action to undo."""
        return self._curation is not None and self._curation.can_undo

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone action to redo."""
        return self._curation is not None and self._curation.can_redo

    def history(self) -> list[HistoryItem]:
        """Every action, oldest first: those in effect, then the undone ones."""
        if self._curation is None:
            return []
        done = [HistoryItem(describe_action(a), True) for a in self._curation.actions]
        undone = [HistoryItem(describe_action(a), False) for a in self._curation.undone_actions]
        return done + undone

    @property
    def label_definitions(self) -> dict[str, LabelDefinition]:
        """The label categories (``quality``: good / mua / noise until the user adds more)."""
        if self._curation is None:
            return default_label_definitions()
        return self._curation.label_definitions

    def labels_of(self, unit_id) -> dict:
        """Labels of a unit now (``{category: (options...)}``)."""
        curation = self._curation
        return {} if curation is None else curation.get_labels(unit_id)

    # ------------------------------------------------------------------ actions
    def label(self, unit_ids, value: str | None, key: str = QUALITY) -> None:
        """Give units a label of ``key`` (None clears it)."""
        unit_ids = list(unit_ids)
        if unit_ids:
            self._run(lambda c: c.label(unit_ids, value, key=key) and unit_ids)

    def toggle_label(self, unit_ids, key: str, option: str, on: bool) -> None:
        """Give (``on``) or take away an option of a non-exclusive category, keeping the unit's
        other options of it; one action per group of units that had the same options."""
        groups: dict[tuple, list] = {}
        for unit_id in unit_ids:
            had = self.labels_of(unit_id).get(key, ())
            groups.setdefault(had, []).append(unit_id)
        changes = []
        for had, units in groups.items():
            values = (set(had) | {option}) if on else (set(had) - {option})
            if values != set(had):
                changes.append((units, sorted(values)))
        if changes:
            self._run(
                lambda c: [c.label(units, values, key=key) for units, values in changes] and None
            )

    def add_label_category(self, name: str, options, exclusive: bool) -> None:
        """Add a label category (journalled; kept in exports and restored with the curation)."""
        self._start().add_label_definition(name, list(options), exclusive)
        self._session.set_label_definitions(self.label_definitions)
        self.changed.emit()

    def merge(self, unit_ids) -> None:
        """Merge units (two or more) into a new one, which becomes the selection."""
        unit_ids = list(unit_ids)
        if len(unit_ids) < 2:
            raise ValueError("select at least two units to merge")
        self._run(lambda c: [c.merge(unit_ids)])

    def remove(self, unit_ids) -> None:
        """Remove units."""
        unit_ids = list(unit_ids)
        if unit_ids:
            self._run(lambda c: c.remove(unit_ids) and [])

    def split_selected_spikes(self) -> None:
        """Split the picked spikes (``session.spike_selection``) off their unit; both parts
        become the selection."""
        pick = self._session.spike_selection
        if pick is None or pick.indices.size == 0:
            raise ValueError("pick spikes first (lasso on the amplitudes view)")
        self._run(lambda c: c.split(pick.unit_id, indices=[pick.indices]))

    def undo(self) -> None:
        """Undo the last action."""
        if self.can_undo:
            self._run(lambda c: c.undo() and None)

    def redo(self) -> None:
        """Redo the last undone action."""
        if self.can_redo:
            self._run(lambda c: c.redo() and None)

    def go_to(self, count: int) -> None:
        """Undo or redo until ``count`` actions are in effect."""
        curation = self._curation
        if curation is None:
            return
        total = len(curation.actions) + len(curation.undone_actions)
        count = min(max(int(count), 0), total)
        while len(curation.actions) > count:
            curation.undo()
        while len(curation.actions) < count:
            curation.redo()
        self._show(None)

    # ------------------------------------------------------------------ export
    def save_curation_json(self, path: str | Path) -> Path | None:
        """Write the curation as SpikeInterface's curation format (JSON); returns the backup of
        a replaced file, if any."""
        return self._require().save_curation(path, overwrite=True)

    def can_write_back_to_phy(self) -> bool:
        """Whether the sorting came from a phy or Kilosort folder."""
        from core.formats.phy import BasePhyKilosortSortingExtractor

        return isinstance(self._base, BasePhyKilosortSortingExtractor)

    def phy_folder(self) -> Path | None:
        """The phy or Kilosort folder the sorting was read from (None for other sortings)."""
        if not self.can_write_back_to_phy():
            return None
        return Path(self._base._kwargs["folder_path"])

    def write_back_to_phy(self) -> PhyWriteBack:
        """Write the curated units back into the phy folder, after a timestamped backup (a new
        one at each write-back: the first keeps the folder's original files)."""
        return write_curation_to_phy(self._require().sorting)

    # ------------------------------------------------------------------ internals
    def _require(self) -> CurationSession:
        if self._curation is None:
            raise ValueError("nothing was curated yet")
        return self._curation

    def _on_sorting(self, *_) -> None:
        sorting = self._session.sorting
        if sorting is self._showing:
            return  # our own curated sorting
        self._close()
        self._base = sorting
        self._session.set_label_definitions(self.label_definitions if sorting is not None else {})
        self.changed.emit()
        if sorting is None:
            return
        folder = journal_folder(sorting, self._user_folder)

        def look_for_journal():
            journal = find_journal(sorting, folder)
            return None if journal is None else (journal, journal_summary(journal))

        self._run_in_background(
            "Looking for an earlier curation",
            look_for_journal,
            lambda found: self._on_journal_looked_for(sorting, found),
        )

    def _on_journal_looked_for(self, sorting, found) -> None:
        if sorting is not self._base or self._curation is not None:
            return  # another sorting since, or the user started curating meanwhile
        restore = found is not None and self.ask_restore(found[1])
        if sorting is not self._base or self._curation is not None:
            return
        journal = found[0] if restore else None

        def prepare() -> CurationSession | None:
            if journal is not None:
                try:
                    return CurationSession.restore(journal, sorting)
                except ValueError as error:
                    _log.warning("could not restore %s: %s", journal, error)
            curation = CurationSession(sorting)
            curation.prepare_journal()
            return curation

        self._run_in_background(
            "Indexing spikes for curation", prepare, lambda c: self._on_prepared(sorting, c)
        )

    def _on_prepared(self, sorting, curation: CurationSession) -> None:
        if sorting is not self._base or self._curation is not None:
            curation.close()
            return
        if curation.journal_path is not None:  # restored
            self._curation = curation
            self._show(None)
        else:
            self._prepared = curation

    def _start(self) -> CurationSession:
        if self._curation is None:
            if self._base is None:
                raise ValueError("open a sorting to curate")
            folder = journal_folder(self._base, self._user_folder)
            if self._prepared is not None:
                self._curation, self._prepared = self._prepared, None
                self._curation.start_journal(folder)
            else:  # an action before the spikes were indexed in the background
                self._curation = CurationSession(self._base, journal_folder=folder)
        return self._curation

    def _run(self, act: Callable[[CurationSession], list | None]) -> None:
        """Apply ``act`` (which returns the units to select, or None to keep the selection)."""
        self._show(act(self._start()))

    def _show(self, selected) -> None:
        curated = self._curation.sorting
        self._showing = curated
        self._session.set_label_definitions(self.label_definitions)
        self._session.replace_sorting(curated, selected_unit_ids=selected)
        self.changed.emit()

    def _close(self) -> None:
        if self._curation is not None:
            self._curation.close()
        self._curation = None
        self._prepared = None
        self._showing = None
