"""File ▸ Run Jobs On… (and the jobs panel): this machine, or the scheduler of a Dask cluster."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from core.jobs.dask_checks import DISTRIBUTED_EXTRA_HINT

from ..model.job_location import JobLocation, distributed_available

__all__ = ["JobLocationDialog"]


class JobLocationDialog(QDialog):
    """Choose where Save Recording As and Extract Waveforms run.

    Parameters
    ----------
    current : JobLocation
        The location shown when the dialog opens.
    parent : QWidget or None, default: None
    dask_available : bool or None, default: None
        Whether ``distributed`` is installed (looked up when None); without it the cluster
        choice is disabled and the dialog says which extra to install.
    """

    def __init__(
        self,
        current: JobLocation,
        parent: QWidget | None = None,
        dask_available: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run Jobs On")
        available = distributed_available() if dask_available is None else dask_available
        self.local_radio = QRadioButton("This machine")
        self.dask_radio = QRadioButton("A Dask cluster, through its scheduler:")
        group = QButtonGroup(self)
        group.addButton(self.local_radio)
        group.addButton(self.dask_radio)
        self.address_edit = QLineEdit(current.scheduler_address or "")
        self.address_edit.setPlaceholderText("tcp://scheduler:8786")
        explanation = QLabel(
            "Save Recording As and Extract Waveforms then run on the cluster's workers, which "
            "must see the recording and the target folder under the same paths (shared "
            "storage). SpikeDesk connects to a running cluster; it never starts one."
        )
        explanation.setWordWrap(True)
        explanation.setEnabled(False)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #c0392b")
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.local_radio)
        layout.addWidget(self.dask_radio)
        layout.addWidget(self.address_edit)
        layout.addWidget(explanation)
        layout.addWidget(self.message_label)
        layout.addStretch(1)
        layout.addWidget(self.button_box)
        self.setMinimumWidth(440)

        self.dask_radio.setEnabled(available)
        if not available:
            self.dask_radio.setToolTip(
                f"Dask distributed is not installed: {DISTRIBUTED_EXTRA_HINT}"
            )
        use_dask = available and not current.is_local
        (self.dask_radio if use_dask else self.local_radio).setChecked(True)
        self._not_installed = (
            ""
            if available
            else f"Dask distributed is not installed; to run jobs on a cluster: "
            f"{DISTRIBUTED_EXTRA_HINT}"
        )
        self.local_radio.toggled.connect(self._revalidate)
        self.address_edit.textChanged.connect(self._revalidate)
        self._revalidate()

    def location(self) -> JobLocation:
        """The chosen location.

        Raises
        ------
        ValueError
            If the cluster is chosen with an invalid address.
        """
        if self.local_radio.isChecked():
            return JobLocation()
        text = self.address_edit.text().strip()
        if not text:
            raise ValueError(
                "Type the address of the cluster's scheduler, e.g. tcp://scheduler:8786"
            )
        return JobLocation.parse(text)

    def validation_error(self) -> str:
        """Why OK is disabled, or ""."""
        try:
            self.location()
        except ValueError as error:
            return str(error)
        return ""

    def accept(self) -> None:
        """Close with OK only when the choice is valid."""
        if not self.validation_error():
            super().accept()

    @staticmethod
    def ask(current: JobLocation, parent: QWidget | None = None) -> JobLocation | None:
        """Show the dialog; the chosen location, or None if cancelled."""
        dialog = JobLocationDialog(current, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.location()

    def _revalidate(self) -> None:
        self.address_edit.setEnabled(self.dask_radio.isChecked())
        error = self.validation_error()
        self.message_label.setText(error or self._not_installed)
        self.button_box.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not error)
