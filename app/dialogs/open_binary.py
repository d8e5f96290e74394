"""Open Raw Binary: the layout of a headerless binary file, filled in from the metadata next to it
when there is some, checked against the file's size and previewed as you type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import core as si
from app.model.binary_layout import BinaryLayout, layout_from_metadata, read_first_samples
from app.theme import current_theme

#: Sample types offered, most common first.
DTYPES = ("int16", "uint16", "int32", "float32", "float64", "int8", "uint8")
#: Time axis choices: label -> ``time_axis`` of BinaryRecordingExtractor.
TIME_AXES = {"samples × channels (interleaved)": 0, "channels × samples": 1}
#: The preview shows this much of the start of the file ...
PREVIEW_MS = 80.0
#: ... for at most this many channels.
PREVIEW_CHANNELS = 16
#: Preview rows are this many median absolute deviations of the values apart.
PREVIEW_SPACING_IN_MADS = 12.0


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

    The fields start from the metadata next to the file when there is some (a SpikeInterface
    ``binary.json``, a SpikeGLX ``.meta``, an Open Ephys ``structure.oebin``). The summary line
    updates on every change (file size, samples, duration, whether the data is a whole number
    of frames; OK is enabled only when it is), and so does a preview of the first traces, in
    which a wrong sample type, channel count or offset shows as garbage.

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
        self._layout: BinaryLayout | None = None
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
        self.per_channel_gains = QCheckBox()
        self.per_channel_gains.setVisible(False)
        self.time_axis = QComboBox()
        self.time_axis.addItems(list(TIME_AXES))
        self.metadata = QLabel(wordWrap=True)
        self.metadata.setVisible(False)
        self.summary = QLabel(wordWrap=True)
        self.preview = _preview_plot()
        self.preview_note = QLabel(wordWrap=True)
        self._curves: list[pg.PlotDataItem] = []
        self._preview_data = np.empty((0, 0))
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
        form.addRow("", self.per_channel_gains)
        form.addRow("Layout:", self.time_axis)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.metadata)
        left.addWidget(self.summary)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.preview_note)
        columns = QHBoxLayout()
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.buttons)
        self.resize(980, 520)

        self._fill_from_metadata()
        for combo in (self.dtype, self.time_axis):
            combo.currentIndexChanged.connect(self._update)
        for spin in (self.num_channels, self.file_offset, self.sampling_frequency):
            spin.valueChanged.connect(self._update)
        for spin in (self.gain_to_uV, self.offset_to_uV):
            spin.valueChanged.connect(self._update_preview)
        self.per_channel_gains.toggled.connect(self._on_per_channel_gains)
        self._update()

    # ------------------------------------------------------------------ public
    @property
    def metadata_layout(self) -> BinaryLayout | None:
        """The layout read from metadata next to the file, or None."""
        return self._layout

    def fit(self) -> BinaryFit:
        """How the current parameters fit the file."""
        return BinaryFit.compute(
            self._file_size,
            self.dtype.currentText(),
            self.num_channels.value(),
            self.file_offset.value(),
        )

    def preview_data(self) -> np.ndarray:
        """``(samples, channels)`` values the preview shows (the start of the file as read with
        the current parameters, before scaling)."""
        return self._preview_data

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
        gains, offsets = self._gains_and_offsets()
        return si.BinaryRecordingExtractor(
            self.path,
            sampling_frequency=self.sampling_frequency.value(),
            dtype=self.dtype.currentText(),
            num_channels=self.num_channels.value(),
            time_axis=TIME_AXES[self.time_axis.currentText()],
            file_offset=self.file_offset.value(),
            gain_to_uV=gains,
            offset_to_uV=offsets,
        )

    @classmethod
    def ask(cls, path: str | Path, parent: QWidget | None = None) -> si.BaseRecording | None:
        """Show the dialog modally; the recording, or None when cancelled."""
        dialog = cls(path, parent)
        return dialog.recording() if dialog.exec() == QDialog.DialogCode.Accepted else None

    # ------------------------------------------------------------------ metadata
    def _fill_from_metadata(self) -> None:
        try:
            layout = layout_from_metadata(self.path)
        except (ValueError, OSError) as error:
            self._show_metadata(f"Metadata next to the file could not be read: {error}", True)
            return
        if layout is None:
            return
        self._layout = layout
        if self.dtype.findText(layout.dtype) < 0:
            self.dtype.addItem(layout.dtype)
        self.dtype.setCurrentText(layout.dtype)
        self.num_channels.setValue(layout.num_channels)
        self.sampling_frequency.setValue(layout.sampling_frequency)
        self.file_offset.setValue(layout.file_offset)
        self.time_axis.setCurrentIndex(list(TIME_AXES.values()).index(layout.time_axis))
        gains, offsets = layout.gains_to_uV, layout.offsets_to_uV
        if gains is not None:
            self.gain_to_uV.setValue(float(np.median(gains)))
        if offsets is not None:
            self.offset_to_uV.setValue(float(np.median(offsets)))
        varying = any(v is not None and np.ptp(v) > 0 for v in (gains, offsets))
        if varying:
            count = len(np.unique(gains)) if gains is not None else 1
            self.per_channel_gains.setText(
                f"Per-channel gains and offsets from {layout.source.name} ({count} gains)"
            )
            self.per_channel_gains.setVisible(True)
            self.per_channel_gains.setChecked(True)
            self._on_per_channel_gains(True)
        self._show_metadata(f"Filled in from {layout.source.name}: {layout.description}.")

    def _show_metadata(self, text: str, error: bool = False) -> None:
        self.metadata.setText(text)
        self.metadata.setStyleSheet("color: #c0392b;" if error else "")
        self.metadata.setVisible(True)

    def _on_per_channel_gains(self, on: bool) -> None:
        self.gain_to_uV.setEnabled(not on)
        self.offset_to_uV.setEnabled(not on)
        self._update_preview()

    def _gains_and_offsets(self) -> tuple:
        layout = self._layout
        if (
            layout is not None
            and self.per_channel_gains.isChecked()
            and layout.num_channels == self.num_channels.value()
        ):
            return layout.gains_to_uV, layout.offsets_to_uV
        return self.gain_to_uV.value(), self.offset_to_uV.value()

    # ------------------------------------------------------------------ updates
    def _update(self) -> None:
        self._update_summary()
        self._update_preview()

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
            self.summary.setText(
                f"{size}\n✔ The size fits a whole number of frames: check that the preview "
                "shows traces, not noise or stripes."
            )
            self.summary.setStyleSheet("")
        else:
            self.summary.setText(f"{size}\n✘ Does not fit: {self._fit_message(fit)}.")
            self.summary.setStyleSheet("color: #c0392b;")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(fit.fits)

    def _update_preview(self) -> None:
        rate = self.sampling_frequency.value()
        num_channels = self.num_channels.value()
        data = read_first_samples(
            self.path,
            self.dtype.currentText(),
            num_channels,
            self.file_offset.value(),
            TIME_AXES[self.time_axis.currentText()],
            max(int(round(PREVIEW_MS * rate / 1000)), 2),
            PREVIEW_CHANNELS,
        )
        self._preview_data = data
        gains, _ = self._gains_and_offsets()
        gains = np.broadcast_to(np.asarray(gains, dtype="float64"), (num_channels,))
        scaled = data * gains[: data.shape[1]]
        rows, note = _stacked_rows(scaled)
        self._draw_rows(rows, rate)
        shown = data.shape[1]
        text = (
            f"First {data.shape[0] / rate * 1000:.0f} ms of channels 0–{shown - 1}"
            f"{f' (of {num_channels})' if num_channels > shown else ''}, top to bottom."
        )
        self.preview_note.setText(f"{text} {note}".strip() if shown else "Nothing to read.")

    def _draw_rows(self, rows: np.ndarray, rate: float) -> None:
        plot = self.preview.getPlotItem()
        color = current_theme().trace
        while len(self._curves) < rows.shape[1]:
            self._curves.append(plot.plot(pen=pg.mkPen(color, width=1), connect="finite"))
        times_ms = np.arange(rows.shape[0]) / rate * 1000
        for index, curve in enumerate(self._curves):
            if index < rows.shape[1]:
                curve.setData(times_ms, rows[:, index])
                curve.show()
            else:
                curve.hide()
        count = max(rows.shape[1], 1)
        plot.getAxis("left").setTicks([[(count - 1 - c, str(c)) for c in range(count)], []])
        plot.setYRange(-1, count, padding=0)
        plot.setXRange(0, max(times_ms[-1] if times_ms.size else 1.0, 1.0), padding=0.01)


def _stacked_rows(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Each channel centred and scaled to rows one unit apart, channel 0 on top (clipped to its
    neighbours' rows); and a note on values that cannot be drawn."""
    values = np.array(values, dtype="float64")
    finite = np.isfinite(values)
    note = "" if finite.all() else "Some values are not finite (wrong sample type?)."
    values[~finite] = np.nan
    if values.size == 0 or not finite.any():
        return np.full(values.shape, np.nan), note
    centres = np.nanmedian(values, axis=0)
    centred = values - np.where(np.isfinite(centres), centres, 0.0)
    spread = np.nanmedian(np.abs(centred))
    if not spread > 0:
        spread = np.nanmax(np.abs(centred)) / PREVIEW_SPACING_IN_MADS or 1.0
    count = values.shape[1]
    rows = np.clip(centred / (PREVIEW_SPACING_IN_MADS * spread), -1.5, 1.5)
    return rows + (count - 1 - np.arange(count)), note


def _preview_plot() -> pg.PlotWidget:
    theme = current_theme()
    plot = pg.PlotWidget(background=theme.background)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for name, label in (("left", "Channel"), ("bottom", "Time (ms)")):
        axis = plot.getAxis(name)
        axis.setPen(theme.foreground)
        axis.setTextPen(theme.foreground)
        axis.setLabel(label)
    plot.getAxis("bottom").enableAutoSIPrefix(False)
    plot.setMinimumSize(360, 260)
    return plot
