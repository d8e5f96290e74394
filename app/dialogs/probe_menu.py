"""The Probe menu: actions that edit a `ProbeEditor` (through the probe dialogs) and hand the
applied recording to the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from app.dialogs.probe import GenerateProbeDialog, WiringDialog
from app.model.probe_editor import ProbeEditor, apply_to_session
from app.model.session import Session

PROBE_FILE_FILTER = "Probe files (*.json *.prb *.meta *.xml);;All files (*)"


def _qt_file_dialog(parent: QWidget | None, mode: str, caption: str, filters: str) -> str:
    if mode == "open":
        return QFileDialog.getOpenFileName(parent, caption, "", filters)[0]
    return QFileDialog.getSaveFileName(parent, caption, "", filters)[0]


def _qt_group_dialog(parent: QWidget | None, suggested: int) -> int | None:
    value, ok = QInputDialog.getInt(
        parent, "Assign group", "Group of the selected channels:", suggested, 0, 1_000_000
    )
    return value if ok else None


class ProbeMenu(QObject):
    """The Probe menu: actions that edit a `ProbeEditor` and apply it to the session.

    The editor follows the session's recording (it starts over when another one is shown).

    Parameters
    ----------
    session : Session
        Source of the selection; receives the applied recording.
    editor : ProbeEditor
        The working copy the actions edit.
    parent : QWidget | None
        Parent of the menu and of the dialogs.

    Attributes
    ----------
    menu : QMenu
        The menu, for the main window's menu bar.
    actions : dict of str to QAction
        By name: load, generate, wiring, assign_group, groups_by_shank, mark_bad, mark_good,
        undo, redo, apply_new, apply_without_bad, apply_in_place, save.
    file_dialog : callable
        ``(parent, mode, caption, filters) -> path`` ("" when cancelled), mode "open" or
        "save"; QFileDialog by default, replaceable in tests.
    group_dialog : callable
        ``(parent, suggested) -> int | None`` asks for a group number.
    run_dialog : callable
        ``(dialog) -> bool`` runs a dialog modally and says whether it was accepted.
    """

    def __init__(
        self, session: Session, editor: ProbeEditor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.editor, self._parent = session, editor, parent
        self.file_dialog: Callable[[QWidget | None, str, str, str], str] = _qt_file_dialog
        self.group_dialog: Callable[[QWidget | None, int], int | None] = _qt_group_dialog
        self.run_dialog: Callable[[QDialog], bool] = lambda d: bool(d.exec())
        self.menu = QMenu("&Probe", parent)
        self.actions: dict[str, QAction] = {}
        add = self._add_action
        add("load", "&Load probe file…", self.load_probe_file, "mdi6.folder-open-outline")
        add("generate", "&Generate layout…", self.generate_layout, "mdi6.view-grid-plus-outline")
        add("wiring", "Edit &wiring…", self.edit_wiring, "mdi6.cable-data")
        self.menu.addSeparator()
        add("assign_group", "&Assign selected channels to group…", self.assign_group)
        add("groups_by_shank", "Groups by &shank", self.groups_by_shank)
        add("mark_bad", "Mark selected channels &bad", lambda: self.mark_selected(True))
        add("mark_good", "Mark selected channels g&ood", lambda: self.mark_selected(False))
        self.menu.addSeparator()
        add("undo", "&Undo", editor.undo, "mdi6.undo", QKeySequence.StandardKey.Undo)
        add("redo", "&Redo", editor.redo, "mdi6.redo", QKeySequence.StandardKey.Redo)
        self.menu.addSeparator()
        add("apply_new", "Apply to recording (&new object)", lambda: self.apply(False))
        add("apply_without_bad", "Apply without bad channels", lambda: self.apply(False, True))
        add("apply_in_place", "Apply &in place", lambda: self.apply(True))
        add("save", "&Save probe as JSON…", self.save_probe, "mdi6.content-save-outline")
        signals = session.signals
        signals.recording.connect(self._follow_recording)
        signals.selected_channel_ids.connect(self._update_actions)
        editor.changed.connect(self._update_actions)
        self._follow_recording(session.recording)

    # ------------------------------------------------------------------ actions
    def load_probe_file(self) -> None:
        """Ask for a probe file and load it into the editor."""
        path = self.file_dialog(self._parent, "open", "Load probe file", PROBE_FILE_FILTER)
        if path:
            self._attempt(
                f"Could not load the probe file {path}", self.editor.load_probe_file, path
            )

    def generate_layout(self) -> None:
        """Ask for a layout and generate it."""
        dialog = GenerateProbeDialog(self.editor.recording.get_num_channels(), self._parent)
        if self.run_dialog(dialog):
            self._attempt(
                "Could not generate the layout",
                lambda: self.editor.generate_layout(dialog.kind(), **dialog.parameters()),
            )

    def edit_wiring(self) -> None:
        """Edit the wiring in a table."""
        dialog = WiringDialog(
            self.editor.probegroup, self.editor.recording.channel_ids, self._parent
        )
        if self.run_dialog(dialog):
            self._attempt(
                "Invalid wiring",
                lambda: self.editor.set_wiring(dialog.device_channel_indices()),
            )

    def assign_group(self) -> None:
        """Ask for a group number and put the selected channels in it."""
        suggested = int(self.editor.groups.max()) + 1 if self.editor.groups.size else 0
        group = self.group_dialog(self._parent, suggested)
        if group is not None:
            ids = self.session.selected_channel_ids
            self._attempt("Could not assign the group", self.editor.assign_group, ids, group)

    def groups_by_shank(self) -> None:
        """One group per shank."""
        self._attempt("Could not group by shank", self.editor.groups_by_shank)

    def mark_selected(self, bad: bool) -> None:
        """Mark the selected channels bad (or good)."""
        ids = self.session.selected_channel_ids
        self._attempt("Could not mark the channels", self.editor.mark_bad, ids, bad)

    def apply(self, in_place: bool, remove_bad: bool = False) -> None:
        """Apply the working copy and show the result in the session."""
        self._attempt(
            "Could not apply the probe",
            apply_to_session, self.editor, self.session, in_place, remove_bad,
        )  # fmt: skip

    def save_probe(self) -> None:
        """Ask for a file name and save the working probe as probeinterface JSON."""
        path = self.file_dialog(self._parent, "save", "Save probe as JSON", "Probe JSON (*.json)")
        if path:
            path = path if Path(path).suffix == ".json" else f"{path}.json"
            self._attempt(f"Could not save the probe to {path}", self.editor.save_probe, path)

    # ------------------------------------------------------------------ helpers
    def _add_action(self, name, text, slot, icon=None, shortcut=None) -> None:
        action = QAction(text, self.menu)
        if icon:
            action.setIcon(qta.icon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        self.actions[name] = action

    def _attempt(self, title: str, function: Callable, *args):
        try:
            return function(*args)
        except (OSError, TypeError, ValueError) as err:
            QMessageBox.critical(self._parent, "Probe", f"{title}:\n{err}")
            return None

    def _follow_recording(self, recording, *_) -> None:
        if recording is not self.editor.recording:
            self.editor.reset(recording)
        self._update_actions()

    def _update_actions(self, *_) -> None:
        editor = self.editor
        has_recording = editor.recording is not None
        has_probe = editor.has_probe
        selection = has_recording and bool(self.session.selected_channel_ids)
        enabled = {
            "load": has_recording,
            "generate": has_recording,
            "wiring": has_probe,
            "assign_group": selection,
            "groups_by_shank": has_probe,
            "mark_bad": selection,
            "mark_good": selection,
            "undo": editor.can_undo,
            "redo": editor.can_redo,
            "apply_new": has_recording,
            "apply_without_bad": has_recording and bool(editor.bad_channel_ids),
            "apply_in_place": has_recording,
            "save": has_probe,
        }
        for name, value in enabled.items():
            self.actions[name].setEnabled(value)
        undo, redo = editor.undo_description, editor.redo_description
        self.actions["undo"].setText(f"&Undo {undo}" if undo else "&Undo")
        self.actions["redo"].setText(f"&Redo {redo}" if redo else "&Redo")
