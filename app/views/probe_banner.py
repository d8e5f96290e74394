"""The probe view's "Edited — not applied" banner, with Apply and Discard."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class EditedBanner(QFrame):
    """Says that the probe on display is an edit the recording does not have yet.

    Parameters
    ----------
    color : QColor
        Tint of the banner.
    parent : QWidget | None

    Attributes
    ----------
    apply_button, discard_button : QPushButton
        Connect them to what applies or discards the edits.
    """

    def __init__(self, color: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probe_edited_banner")
        self.setStyleSheet(
            f"#probe_edited_banner {{ background: rgba({color.red()}, {color.green()}, "
            f"{color.blue()}, 70); border-bottom: 1px solid {color.name()}; }}"
        )
        self._label = QLabel(wordWrap=True)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Give the recording this probe (a new recording object)")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Go back to the recording's probe (undoable)")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 3, 6, 3)
        row.addWidget(self._label, 1)
        row.addWidget(self.apply_button)
        row.addWidget(self.discard_button)
        self.hide()

    def show_edit(self, description: str | None) -> None:
        """Show the banner for the last edit ``description``; None hides it."""
        self.setVisible(description is not None)
        if description is not None:
            self._label.setText(f"<b>Edited — not applied</b><br>{description}")
            self.setToolTip(
                f"{description}: the probe view shows the edited probe, groups and bad "
                "channels; the recording (and every other view) still has the previous ones "
                "until you apply."
            )

    def text(self) -> str:
        """The message ("" when hidden)."""
        return "" if self.isHidden() else self._label.text()
