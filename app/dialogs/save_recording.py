"""File > Save Recording As: target folder, format, compression, dtype and job options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import qtawesome as qta
from numcodecs import LZMA, Blosc, Delta
from numcodecs.abc import Codec
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.jobs import get_cpu_count, parse_duration_seconds
from core.recording.zarr import get_default_zarr_compressor

from ..model.job_location import JobLocation

__all__ = ["SaveRecordingDialog", "make_compressor"]

#: ``choose_path(parent, caption, start_path) -> path`` ("" when the user cancels).
PathChooser = Callable[[QWidget | None, str, str], str]

COMPRESSORS = {
    "blosc-zstd": "Blosc zstd",
    "blosc-lz4": "Blosc lz4",
    "lzma": "LZMA",
    "none": "None",
}
#: Bytes of traces compressed to estimate the compression ratio (a few tens of ms, even LZMA).
SAMPLE_BYTES = 1 << 18


def make_compressor(name: str, level: int) -> Codec | None:
    """The numcodecs compressor called ``name`` (a key of ``COMPRESSORS``) at ``level`` (0-9)."""
    if name == "blosc-zstd":
        return get_default_zarr_compressor(clevel=level)
    if name == "blosc-lz4":
        return Blosc(cname="lz4", clevel=level, shuffle=Blosc.BITSHUFFLE)
    if name == "lzma":
        return LZMA(preset=level)
    if name == "none":
        return None
    raise ValueError(f"unknown compressor {name!r}; expected one of {sorted(COMPRESSORS)}")


def _choose_save_path(parent: QWidget | None, caption: str, start_path: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, caption, start_path)
    return path


def _format_bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


class SaveRecordingDialog(QDialog):
    """Ask where and how to save a recording; `options` gives the ``recording.save`` kwargs.

    Parameters
    ----------
    recording : core.BaseRecording
        The recording to save (a small sample is read to estimate the compressed size).
    parent : QWidget or None, default: None
    choose_path : callable, default: a QFileDialog save dialog
        ``choose_path(parent, caption, start_path) -> str``, called by the Browse button;
        returns "" when the user cancels (tests pass a stub).
    location : JobLocation or None, default: None
        Where the save runs (this machine when None). On a Dask cluster the number of
        parallel jobs is the cluster's, and a recording held in memory is refused.
    """

    def __init__(
        self,
        recording: Any,
        parent: QWidget | None = None,
        choose_path: PathChooser = _choose_save_path,
        location: JobLocation | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save Recording As")
        self._recording = recording
        self._choose_path = choose_path
        self._location = JobLocation() if location is None else location
        self._samples: dict[np.dtype, np.ndarray] = {}

        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("Folder to create")
        self.browse_button = QToolButton()
        self.browse_button.setIcon(qta.icon("mdi6.folder-open-outline"))
        self.browse_button.setToolTip("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.overwrite_check = QCheckBox("Replace it if it exists")
        self.format_combo = QComboBox()
        self.format_combo.addItem("Binary folder (SpikeInterface)", "binary")
        self.format_combo.addItem("Zarr store (.zarr)", "zarr")
        self.dtype_combo = QComboBox()
        self.dtype_combo.addItem(f"Keep ({recording.get_dtype()})", None)
        self.dtype_combo.addItem("int16", "int16")
        self.dtype_combo.addItem("float32", "float32")
        self.n_jobs_spin = QSpinBox()
        self.n_jobs_spin.setRange(1, get_cpu_count())
        self.n_jobs_spin.setEnabled(self._location.is_local)
        self.location_label = QLabel(self._location.describe().capitalize())
        self.location_label.setToolTip("Change it with File ▸ Run Jobs On… or in the Jobs panel")
        self.chunk_duration_edit = QLineEdit("1s")
        self.chunk_duration_edit.setToolTip("Time written per step, e.g. 1s or 500ms")

        self.compression_box = QGroupBox("Zarr compression")
        self.compressor_combo = QComboBox()
        for key, label in COMPRESSORS.items():
            self.compressor_combo.addItem(label, key)
        self.level_spin = QSpinBox()
        self.level_spin.setRange(0, 9)
        self.level_spin.setValue(5)
        self.delta_check = QCheckBox("Delta filter (store sample-to-sample differences)")
        self.delta_check.setToolTip("Lossless for integer data only")
        compression_form = QFormLayout(self.compression_box)
        compression_form.addRow("Compressor:", self.compressor_combo)
        compression_form.addRow("Level:", self.level_spin)
        compression_form.addRow("", self.delta_check)

        self.size_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #c0392b")
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        self._build_layout()

        for signal in (
            self.folder_edit.textChanged,
            self.overwrite_check.toggled,
            self.format_combo.currentIndexChanged,
            self.chunk_duration_edit.textChanged,
        ):
            signal.connect(self._revalidate)
        for signal in (
            self.format_combo.currentIndexChanged,
            self.dtype_combo.currentIndexChanged,
            self.compressor_combo.currentIndexChanged,
            self.level_spin.valueChanged,
            self.delta_check.toggled,
        ):
            signal.connect(self._on_settings_changed)
        self._on_settings_changed()
        self._revalidate()

    def _build_layout(self) -> None:
        recording = self._recording
        duration = recording.get_total_duration()
        summary = QLabel(
            f"Recording: {recording.get_num_channels()} channels · "
            f"{recording.sampling_frequency / 1000:g} kHz · {duration:.2f} s · "
            f"{recording.get_num_segments()} segment(s) · {recording.get_dtype()}"
        )
        summary.setEnabled(False)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Folder:", folder_row)
        form.addRow("", self.overwrite_check)
        form.addRow("Format:", self.format_combo)
        form.addRow("Data type:", self.dtype_combo)
        form.addRow("Runs on:", self.location_label)
        form.addRow("Parallel jobs:", self.n_jobs_spin)
        form.addRow("Chunk duration:", self.chunk_duration_edit)
        form.addRow(self.compression_box)
        form.addRow("Estimated size:", self.size_label)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addStretch(1)
        layout.addWidget(self.button_box)
        self.setMinimumWidth(480)

    # ------------------------------------------------------------------ results
    @property
    def format(self) -> str:
        """str: ``"binary"`` or ``"zarr"``."""
        return self.format_combo.currentData()

    def target_folder(self) -> Path | None:
        """The folder the save creates (zarr replaces the suffix by ``.zarr``); None if empty."""
        text = self.folder_edit.text().strip()
        if not text:
            return None
        folder = Path(text).expanduser()
        return folder.with_suffix(".zarr") if self.format == "zarr" else folder

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``recording.save`` (all but ``folder``).

        Returns
        -------
        dict
            ``format``, ``overwrite``, ``dtype``, ``chunk_duration``, where it runs (on this
            machine ``n_jobs`` and ``pool_engine="thread"``: no process is forked from the
            GUI; on a cluster ``pool_engine="dask"`` and ``dask_client``) and, for zarr,
            ``compressor`` and ``filters_by_dataset`` (the Delta filter applies to traces only).
        """
        options: dict[str, Any] = {
            "format": self.format,
            "overwrite": self.overwrite_check.isChecked(),
            "dtype": self.dtype_combo.currentData(),
            "chunk_duration": self.chunk_duration_edit.text().strip(),
        }
        if self._location.is_local:
            options.update(n_jobs=self.n_jobs_spin.value(), pool_engine="thread")
        else:
            options.update(self._location.job_kwargs())
        if self.format == "zarr":
            options["compressor"] = self._compressor()
            if self._use_delta():
                options["filters_by_dataset"] = {"traces": [Delta(dtype=self._target_dtype())]}
        return options

    def validation_error(self) -> str:
        """Why the options cannot be used yet, or "" when they can."""
        folder = self.target_folder()
        if folder is None:
            return "Choose the folder to create."
        if folder.exists() and not self.overwrite_check.isChecked():
            return (
                f"{folder} already exists: choose another name or tick “Replace it if it exists”."
            )
        if folder.exists() and not folder.is_dir():
            return f"{folder} is a file, not a folder."
        try:
            parse_duration_seconds(self.chunk_duration_edit.text().strip())
        except (TypeError, ValueError) as error:
            return f"Chunk duration: {error}"
        if not self._location.is_local and not self._recording.check_serializability("pickle"):
            return (
                "This recording is held in this program's memory, which the Dask cluster "
                "cannot read: run this save on this machine (File ▸ Run Jobs On…), or open a "
                "saved copy of the recording."
            )
        return ""

    def estimated_size_bytes(self) -> int:
        """Size of the saved traces: exact for raw data, measured on a sample when compressed."""
        raw = self._raw_size_bytes()
        compressor = self._compressor() if self.format == "zarr" else None
        if compressor is None or raw == 0:
            return raw
        sample = self._sample(self._target_dtype())
        if sample.size == 0:
            return raw
        encoded = Delta(dtype=sample.dtype).encode(sample) if self._use_delta() else sample
        return int(raw * len(compressor.encode(encoded)) / sample.nbytes)

    def accept(self) -> None:
        """Close with Save only when the options are valid; otherwise show why."""
        self._revalidate()
        if not self.validation_error():
            super().accept()

    @staticmethod
    def ask(
        recording: Any, parent: QWidget | None = None, location: JobLocation | None = None
    ) -> tuple[Path, dict[str, Any]] | None:
        """Show the dialog; ``(folder, save kwargs)`` if the user clicked Save, else None."""
        dialog = SaveRecordingDialog(recording, parent, location=location)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.target_folder(), dialog.options()

    # ------------------------------------------------------------------ internals
    def _compressor(self) -> Codec | None:
        return make_compressor(self.compressor_combo.currentData(), self.level_spin.value())

    def _use_delta(self) -> bool:
        return self.delta_check.isEnabled() and self.delta_check.isChecked()

    def _target_dtype(self) -> np.dtype:
        return np.dtype(self.dtype_combo.currentData() or self._recording.get_dtype())

    def _raw_size_bytes(self) -> int:
        recording = self._recording
        num_samples = sum(
            recording.get_num_samples(index) for index in range(recording.get_num_segments())
        )
        return num_samples * recording.get_num_channels() * self._target_dtype().itemsize

    def _sample(self, dtype: np.dtype) -> np.ndarray:
        """About ``SAMPLE_BYTES`` of traces from the middle of segment 0, cached per dtype."""
        if dtype not in self._samples:
            recording = self._recording
            row_bytes = recording.get_num_channels() * dtype.itemsize
            num_samples = recording.get_num_samples(0)
            length = min(num_samples, max(SAMPLE_BYTES // max(row_bytes, 1), 1))
            start = (num_samples - length) // 2
            traces = recording.get_traces(
                segment_index=0, start_frame=start, end_frame=start + length
            )
            self._samples[dtype] = np.ascontiguousarray(traces, dtype=dtype)
        return self._samples[dtype]

    def _on_settings_changed(self) -> None:
        """Enable the options that apply and update the size estimate."""
        self.compression_box.setEnabled(self.format == "zarr")
        self.level_spin.setEnabled(self.compressor_combo.currentData() != "none")
        # differences of floats are rounded: Delta is offered for integer data only
        self.delta_check.setEnabled(self._target_dtype().kind in "iu")
        size, raw = self.estimated_size_bytes(), self._raw_size_bytes()
        if size == raw:
            self.size_label.setText(_format_bytes(size))
        else:
            self.size_label.setText(
                f"≈ {_format_bytes(size)} (raw {_format_bytes(raw)}, ratio measured on a sample)"
            )

    def _revalidate(self) -> None:
        error = self.validation_error()
        # an empty folder field is the starting point, not a mistake worth red text
        self.message_label.setText(error if self.folder_edit.text().strip() else "")
        self.button_box.button(QDialogButtonBox.StandardButton.Save).setEnabled(not error)

    def _browse(self) -> None:
        path = self._choose_path(self, "Save Recording As", self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)
