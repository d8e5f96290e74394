"""The "Open data" panel: one labelled line per kind of open object."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QWidget

from app.model.describe import KINDS, describe
from app.model.session import Session


class OpenDataPanel(QWidget):
    """What is open: source, recording, sorting, events, snippets, waveforms (details wrap).

    Parameters
    ----------
    session : Session
        The session to describe; the panel follows its changes.
    parent : QWidget | None
        Parent widget.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._labels: dict[str, QLabel] = {}
        self._described: dict[str, tuple] = {}  # kind -> (object, its description)
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, _ in self.rows():
            value = QLabel(wordWrap=True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            form.addRow(f"<b>{label}</b>", value)
            self._labels[label] = value
        for name in ("source", *(kind for kind, _ in KINDS)):
            getattr(session.signals, name).connect(self.refresh)
        self.refresh()

    def rows(self) -> list[tuple[str, str]]:
        """``(label, details)`` for each line shown."""
        session = self.session
        rows = [("Source", session.source or "nothing open")]
        for position, (kind, label) in enumerate(KINDS):
            value = getattr(session, kind)
            described = self._described.get(kind)
            if described is None or described[0] is not value:
                # only what changed: a curation replaces the sorting many times, not the rest
                described = (value, describe({kind: value})[position][1])
                self._described[kind] = described
            rows.append((label, described[1]))
        return rows

    def refresh(self) -> None:
        """Update the lines from the session."""
        for label, details in self.rows():
            self._labels[label].setText(details)
            self._labels[label].setToolTip(details)
