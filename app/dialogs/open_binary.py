"""Open Raw Binary: the layout of a headerless binary file, checked against its size as you type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import core as si

#: Sample types offered, most common first.
DTYPES = ("int16", "uint16", "int32", "float32", "float64", "int8", "uint8")
#: Time axis choices: label -> ``time_axis`` of BinaryRecordingExtractor.
TIME_AXES = {"samples × channels (interleaved)": 0, "channels × samples": 1}


@dataclass(frozen=True)
class BinaryFit:
    """How a binary layout fits a file of a given size.

    Attributes
    ----------
    file_size : int
        Bytes in the file.
    num_samples : int
        Whole frames (one value per channel) after the header.
    leftover_bytes : int
        Bytes after the last whole frame (negative when the header is past the end of the file).
    """

    file_size: int
    num_samples: int
    leftover_bytes: int

    @property
    def fits(self) -> bool:
        """True when the data is a non-empty whole number of frames."""
        return self.leftover_bytes == 0 and self.num_samples > 0

    @classmethod
    def compute(cls, file_size: int, dtype: str, num_channels: int, offset: int) -> BinaryFit:
        """Fit ``num_channels`` values of ``dtype`` per frame after ``offset`` header bytes."""
        data_bytes = file_size - offset
        if data_bytes < 0:
            return cls(file_size, 0, data_bytes)
        frame_bytes = num_channels * np.dtype(dtype).itemsize
        return cls(file_size, data_bytes // frame_bytes, data_bytes % frame_bytes)


class OpenBinaryDialog(QDialog):
    """Ask how a headerless binary file is laid out and build its recording.

    The summary line updates on every change: file size, samples, duration, and whether the
    data is a whole number of frames. OK is enabled only when it is.

    Parameters
    ----------
    path : str | Path
        The binary file.
    parent : QWidget | None
        Parent widget.
    """

    def __init__(self, path: str | Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self._file_size = self.path.stat().st_size
        self.setWindowTitle(f"Open Raw Binary — {self.path.name}")

        self.dtype = QComboBox()
        self.dtype.addItems(DTYPES)
        self.num_channels = QSpinBox(minimum=1, maximum=100_000, value=32)
        self.sampling_frequency = QDoubleSpinBox(
            minimum=1.0, maximum=1e7, decimals=3, value=30_000.0, suffix=" Hz"
        )
        self.file_offset = QSpinBox(minimum=0, maximum=2**31 - 1, value=0, suffix=" bytes")
        self.gain_to_uV = QDoubleSpinBox(minimum=-1e9, maximum=1e9, decimals=6, value=1.0)
        self.offset_to_uV = QDoubleSpinBox(minimum=-1e9, maximum=1e9, decimals=3, value=0.0)
        self.time_axis = QComboBox()
        self.time_axis.addItems(list(TIME_AXES))
        self.summary = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("File:", QLabel(str(self.path), wordWrap=True))
        form.addRow("Sample type:", self.dtype)
        form.addRow("Channels:", self.num_channels)
        form.addRow("Sampling rate:", self.sampling_frequency)
        form.addRow("Header offset:", self.file_offset)
        form.addRow("Gain to µV:", self.gain_to_uV)
        form.addRow("Offset (µV):", self.offset_to_uV)
        form.addRow("Layout:", self.time_axis)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)

        for combo in (self.dtype, self.time_axis):
            combo.currentIndexChanged.connect(self._update_summary)
        for spin in (self.num_channels, self.file_offset, self.sampling_frequency):
            spin.valueChanged.connect(self._update_summary)
        self._update_summary()

    def fit(self) -> BinaryFit:
        """How the current parameters fit the file."""
        return BinaryFit.compute(
            self._file_size,
            self.dtype.currentText(),
            self.num_channels.value(),
            self.file_offset.value(),
        )

    def recording(self) -> si.BinaryRecordingExtractor:
        """The recording the current parameters describe.

        Raises
        ------
        ValueError
            If the parameters do not fit the file (see `fit`).
        """
        fit = self.fit()
        if not fit.fits:
            raise ValueError(f"{self.path}: {self._fit_message(fit)}")
        return si.BinaryRecordingExtractor(
            self.path,
            sampling_frequency=self.sampling_frequency.value(),
            dtype=self.dtype.currentText(),
            num_channels=self.num_channels.value(),
            time_axis=TIME_AXES[self.time_axis.currentText()],
            file_offset=self.file_offset.value(),
            gain_to_uV=self.gain_to_uV.value(),
            offset_to_uV=self.offset_to_uV.value(),
        )

    @classmethod
    def ask(cls, path: str | Path, parent: QWidget | None = None) -> si.BaseRecording | None:
        """Show the dialog modally; the recording, or None when cancelled."""
        dialog = cls(path, parent)
        return dialog.recording() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _fit_message(self, fit: BinaryFit) -> str:
        if fit.leftover_bytes < 0:
            return f"the header offset is past the end of the file ({fit.file_size:,} bytes)"
        if fit.num_samples == 0:
            return "the file holds no whole frame after the header"
        frame_bytes = self.num_channels.value() * np.dtype(self.dtype.currentText()).itemsize
        return (
            f"{fit.leftover_bytes:,} bytes left over: the data is not a whole number of "
            f"{frame_bytes:,}-byte frames; check the sample type, channels and header offset"
        )

    def _update_summary(self) -> None:
        fit = self.fit()
        duration = fit.num_samples / self.sampling_frequency.value()
        size = f"File size {fit.file_size:,} bytes: {fit.num_samples:,} samples, {duration:.3f} s."
        if fit.fits:
            self.summary.setText(f"{size}\n✔ The size fits a whole number of frames.")
            self.summary.setStyleSheet("")
        else:
            self.summary.setText(f"{size}\n✘ Does not fit: {self._fit_message(fit)}.")
            self.summary.setStyleSheet("color: #c0392b;")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(fit.fits)
