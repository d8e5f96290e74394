"""Curation ▸ Add Label Category…: a name, its options, one or several per unit.

The category follows SpikeInterface's curation format (version 2) ``label_definitions``: an
exclusive category is one text property of its name, a non-exclusive one a true/false property
per option; the dialog checks the names before it lets the user accept.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class LabelCategory:
    """What the user asked for: ``name``, ``options`` and ``exclusive`` (one per unit)."""

    name: str
    options: tuple[str, ...]
    exclusive: bool


def parse_options(text: str) -> tuple[str, ...]:
    """Options typed as a comma-separated list, stripped, empty ones dropped."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


class LabelCategoryDialog(QDialog):
    """Ask for a new label category.

    Parameters
    ----------
    existing : collection of str
        Names that are taken (the categories there are): refused.
    parent : QWidget | None
    """

    def __init__(self, existing=(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Label Category")
        self._existing = set(existing)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. shape")
        self.options_edit = QLineEdit()
        self.options_edit.setPlaceholderText("e.g. narrow, wide, axonal")
        self.exclusive_box = QCheckBox("One label per unit (exclusive)")
        self.exclusive_box.setChecked(True)
        self.exclusive_box.setToolTip(
            "Exclusive: a unit has at most one option (stored as one text property). "
            "Otherwise a unit may have several (one true/false property per option)."
        )
        self.problem_label = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Category:", self.name_edit)
        form.addRow("Options:", self.options_edit)
        form.addRow("", self.exclusive_box)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Labels of the new category are offered in the units table's context menu "
                "and shown in a column of their own. Options are separated by commas.",
                wordWrap=True,
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        for edit in (self.name_edit, self.options_edit):
            edit.textChanged.connect(self._check)
        self.exclusive_box.toggled.connect(self._check)
        self._check()

    def category(self) -> LabelCategory:
        """The category as typed."""
        return LabelCategory(
            self.name_edit.text().strip(),
            parse_options(self.options_edit.text()),
            self.exclusive_box.isChecked(),
        )

    def problem(self) -> str:
        """Why the category cannot be added yet ("" when it can)."""
        category = self.category()
        if not category.name:
            return "Name the category."
        if category.name in self._existing:
            return f"There is a category {category.name!r} already."
        if len(category.options) < 2:
            return "Give two options at least, separated by commas."
        if len(set(category.options)) != len(category.options):
            return "An option is listed twice."
        return ""

    def _check(self, *_) -> None:
        problem = self.problem()
        self.problem_label.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    @classmethod
    def ask(cls, existing=(), parent: QWidget | None = None) -> LabelCategory | None:
        """Show the dialog modally; the category, or None when cancelled."""
        dialog = cls(existing, parent)
        return dialog.category() if dialog.exec() == QDialog.DialogCode.Accepted else None
