"""The curation history: every action, the undone ones greyed; click one to go back to it."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QToolBar, QVBoxLayout, QWidget

from app.model.curation_controller import CurationController
from app.theme import current_theme


class CurationHistoryView(QWidget):
    """The actions of the curation, oldest first.

    Clicking an action undoes or redoes up to it (it stays in effect). Undone actions are grey and
    italic until another action replaces them.

    Parameters
    ----------
    controller : CurationController
    parent : QWidget | None
    """

    def __init__(self, controller: CurationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        theme = current_theme()
        bar = QToolBar()
        self.undo_action = bar.addAction(
            qta.icon("mdi6.undo", color=theme.foreground), "Undo", controller.undo
        )
        self.redo_action = bar.addAction(
            qta.icon("mdi6.redo", color=theme.foreground), "Redo", controller.redo
        )
        self.start_action = bar.addAction(
            qta.icon("mdi6.restore", color=theme.foreground),
            "Undo all",
            lambda: controller.go_to(0),
        )
        self.list = QListWidget()
        self.list.itemClicked.connect(self._on_clicked)
        self.journal_label = QLabel(wordWrap=True)
        self.journal_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.journal_label)
        self._undone_brush = QBrush(theme.bad_channel)
        self._done_brush = QListWidgetItem().foreground()
        controller.changed.connect(self.refresh)
        self.refresh()

    def texts(self) -> list[tuple[str, bool]]:
        """``(text, in effect)`` of each row."""
        return [
            (self.list.item(row).text(), not self.list.item(row).font().italic())
            for row in range(self.list.count())
        ]

    def refresh(self, *_) -> None:
        """Show the controller's history."""
        controller = self._controller
        history = controller.history()
        # rows change in place: an action adds or restyles a row or two, the others stay
        while self.list.count() > len(history):
            self.list.takeItem(self.list.count() - 1)
        for number, item in enumerate(history, start=1):
            text = f"{number}. {item.text}"
            row = self.list.item(number - 1)
            if row is None:
                row = QListWidgetItem(text)
                self.list.addItem(row)
            elif row.text() != text:
                row.setText(text)
            if row.font().italic() == item.done:
                font = QFont(row.font())
                font.setItalic(not item.done)
                row.setFont(font)
                row.setForeground(self._undone_brush if not item.done else self._done_brush)
        self.undo_action.setEnabled(controller.can_undo)
        self.redo_action.setEnabled(controller.can_redo)
        self.start_action.setEnabled(controller.can_undo)
        curation = controller.curation
        journal = None if curation is None else curation.journal_path
        self.journal_label.setText(
            "Nothing curated yet." if journal is None else f"Journal: {journal}"
        )

    def _on_clicked(self, item: QListWidgetItem) -> None:
        self._controller.go_to(self.list.row(item) + 1)
