"""Units ▸ Extract Waveforms…: every ``extract_waveforms`` option that matters, with the size
of the output next to the space it needs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
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

from app.dialogs.compute_sparsity import SparsityForm
from app.model.extraction_plan import (
    Fit,
    available_memory,
    channels_per_unit,
    free_bytes,
    human_bytes,
    waveform_bytes,
)
from app.model.sparsity_methods import available_methods, property_choices

_WARNING, _ERROR = "#b36b00", "#c0392b"


class ExtractWaveformsDialog(QDialog):
    """Options of ``extract_waveforms`` for the open recording and sorting.

    Parameters
    ----------
    recording, sorting : BaseRecording, BaseSorting
        What will be extracted (only read, for the estimate).
    folder : str or Path
        Proposed target folder.
    parent : QWidget | None
    """

    def __init__(self, recording, sorting, folder: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Extract Waveforms")
        self._recording = recording
        self._spike_counts = np.asarray(sorting.count_num_spikes_per_unit(outputs="array"))
        self._num_units = sorting.get_num_units()

        self._before = _milliseconds(1.0)
        self._after = _milliseconds(2.0)
        self._max_spikes = QSpinBox(minimum=1, maximum=10_000_000, value=500)
        self._max_spikes.setSuffix(" per unit")
        self._all_spikes = QCheckBox("all spikes")
        self._all_spikes.toggled.connect(lambda on: self._max_spikes.setEnabled(not on))
        spikes_row = QHBoxLayout()
        spikes_row.addWidget(self._max_spikes, 1)
        spikes_row.addWidget(self._all_spikes)

        self._channels = QComboBox()
        self._channels.addItem("Sparse: each unit's channels", True)
        self._channels.addItem("Dense: every channel", False)
        self.sparsity_form = SparsityForm(
            available_methods(has_extractor=True), property_choices(recording)
        )
        self._sparsity_spikes = QSpinBox(minimum=1, maximum=100_000, value=100)
        self._sparsity_spikes.setSuffix(" per unit")
        sparsity_box = QGroupBox("Sparsity")
        sparsity_layout = QFormLayout(sparsity_box)
        sparsity_layout.addRow(self.sparsity_form)
        sparsity_layout.addRow("Spikes for sparsity", self._sparsity_spikes)
        self._sparsity_box = sparsity_box

        self._scaled = QCheckBox("in µV (return_scaled)")
        self._scaled.setChecked(recording.has_scaled())
        self._scaled.setEnabled(recording.has_scaled())
        if not recording.has_scaled():
            self._scaled.setToolTip("The recording has no gains: waveforms keep raw values")
        self._unfiltered = QCheckBox("the recording is not filtered: extract anyway")
        self._unfiltered.setVisible(not recording.is_filtered())

        self._mode = QComboBox()
        self._mode.addItem("Folder", "folder")
        self._mode.addItem("Memory (lost on close)", "memory")
        self._folder = QLineEdit(str(folder))
        browse = QToolButton(text="…")
        browse.setToolTip("Choose the folder")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self._folder, 1)
        folder_row.addWidget(browse)
        self._folder_row = QWidget()
        self._folder_row.setLayout(folder_row)
        folder_row.setContentsMargins(0, 0, 0, 0)
        self._overwrite = QCheckBox("replace an existing folder")
        self._relative = QCheckBox("describe the recording relative to the folder (portable)")

        cpus = os.cpu_count() or 1
        self._n_jobs = QSpinBox(minimum=1, maximum=cpus, value=min(4, cpus))
        self._chunk = QDoubleSpinBox(minimum=0.05, maximum=60.0, value=1.0, decimals=2)
        self._chunk.setSuffix(" s")
        self._seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)

        self._estimate = QLabel(wordWrap=True)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Extract")
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Before each spike", self._before)
        form.addRow("After each spike", self._after)
        form.addRow("Spikes", spikes_row)
        form.addRow("Channels", self._channels)
        form.addRow(sparsity_box)
        form.addRow("Values", self._scaled)
        form.addRow("", self._unfiltered)
        form.addRow("Store in", self._mode)
        form.addRow("Folder", self._folder_row)
        form.addRow("", self._overwrite)
        form.addRow("", self._relative)
        form.addRow("Parallel jobs", self._n_jobs)
        form.addRow("Chunk duration", self._chunk)
        form.addRow("Seed", self._seed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._estimate)
        layout.addWidget(self._buttons)

        for box in (self._before, self._after, self._max_spikes, self._chunk):
            box.valueChanged.connect(self._update)
        for check in (self._all_spikes, self._scaled, self._overwrite, self._unfiltered):
            check.toggled.connect(self._update)
        self._channels.currentIndexChanged.connect(self._update)
        self._mode.currentIndexChanged.connect(self._update)
        self._folder.textChanged.connect(self._update)
        self.sparsity_form.changed.connect(self._update)
        self._update()

    # ------------------------------------------------------------------ setters (tests, presets)
    def set_window(self, ms_before: float, ms_after: float) -> None:
        """Milliseconds before and after each spike."""
        self._before.setValue(ms_before)
        self._after.setValue(ms_after)

    def set_max_spikes_per_unit(self, count: int | None) -> None:
        """Spikes sampled per unit (None: all)."""
        self._all_spikes.setChecked(count is None)
        if count is not None:
            self._max_spikes.setValue(int(count))

    def set_sparse(self, sparse: bool) -> None:
        """Keep each unit's sparsity channels (True) or every channel."""
        self._channels.setCurrentIndex(0 if sparse else 1)

    def set_mode(self, mode: str) -> None:
        """``"folder"`` or ``"memory"``."""
        self._mode.setCurrentIndex(self._mode.findData(mode))

    def set_folder(self, folder: str | Path) -> None:
        """The target folder."""
        self._folder.setText(str(folder))

    def set_overwrite(self, overwrite: bool) -> None:
        """Replace an existing folder."""
        self._overwrite.setChecked(bool(overwrite))

    def set_allow_unfiltered(self, allow: bool) -> None:
        """Extract from an unfiltered recording."""
        self._unfiltered.setChecked(bool(allow))

    def set_n_jobs(self, n_jobs: int) -> None:
        """Parallel jobs."""
        self._n_jobs.setValue(int(n_jobs))

    # ------------------------------------------------------------------ answers
    def estimate_text(self) -> str:
        """The size estimate and where it goes (with a warning when it does not fit)."""
        return self._estimate.text()

    def can_accept(self) -> bool:
        """Whether Extract is enabled."""
        return self._buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()

    def folder(self) -> Path | None:
        """The target folder (None in memory)."""
        if self._mode.currentData() == "memory":
            return None
        text = self._folder.text().strip()
        return Path(text).expanduser() if text else None

    def options(self) -> dict:
        """Keyword arguments of ``extract_waveforms`` besides the folder and the mode."""
        sparse = bool(self._channels.currentData())
        options = {
            "ms_before": self._before.value(),
            "ms_after": self._after.value(),
            "max_spikes_per_unit": None if self._all_spikes.isChecked() else self._max_spikes.value(),
            "return_scaled": self._scaled.isChecked(),
            "sparse": sparse,
            "allow_unfiltered": self._unfiltered.isChecked() or self._recording.is_filtered(),
            "seed": self._seed.value(),
            "n_jobs": self._n_jobs.value(),
            "chunk_duration": f"{self._chunk.value():g}s",
        }  # fmt: skip
        if sparse:
            options.update(self.sparsity_form.sparsity_kwargs())
            options["num_spikes_for_sparsity"] = self._sparsity_spikes.value()
        if self.folder() is not None:
            options["overwrite"] = self._overwrite.isChecked()
            options["use_relative_path"] = self._relative.isChecked()
        return options

    def fit(self) -> Fit:
        """The estimated output size against the free disk space (or memory)."""
        sparse = bool(self._channels.currentData())
        form = self.sparsity_form
        channels, exact = channels_per_unit(
            self._recording, sparse, form.method().key, form.value()
        )
        fs = self._recording.sampling_frequency
        num_samples = int(self._before.value() * fs / 1000) + int(self._after.value() * fs / 1000)
        scaled = self._scaled.isChecked()
        itemsize = 4 if scaled else np.dtype(self._recording.get_dtype()).itemsize
        maximum = None if self._all_spikes.isChecked() else self._max_spikes.value()
        needed = waveform_bytes(self._spike_counts, maximum, num_samples, channels, itemsize)
        folder = self.folder()
        if self._mode.currentData() == "memory":
            available = available_memory()
        elif folder is not None:
            available = free_bytes(folder)
        else:
            available = None
        return Fit(needed, available, exact)

    # ------------------------------------------------------------------ helpers
    def _browse(self) -> None:
        chosen = QFileDialog.getSaveFileName(self, "Extract waveforms into", self._folder.text())[0]
        if chosen:
            self._folder.setText(chosen)

    def _update(self, *_) -> None:
        sparse = bool(self._channels.currentData())
        self._sparsity_box.setEnabled(sparse)
        in_folder = self._mode.currentData() == "folder"
        for widget in (self._folder_row, self._overwrite, self._relative):
            widget.setEnabled(in_folder)
        fit = self.fit()
        size = ("about " if fit.exact else "at most ") + human_bytes(fit.needed)
        where = "memory available" if not in_folder else "free on that disk"
        lines = [f"Waveforms of {self._num_units:,} units: {size}."]
        if fit.available is not None:
            lines.append(f"{human_bytes(fit.available)} {where}.")
        folder = self.folder()
        errors, warnings = [], []
        if in_folder and folder is None:
            errors.append("Choose a folder.")
        elif in_folder and folder.exists() and not self._overwrite.isChecked():
            errors.append(f"{folder.name} exists: tick “replace” or choose another folder.")
        if not fit.fits:
            errors.append("It does not fit: keep fewer spikes or channels.")
        elif fit.tight:
            warnings.append("Warning: it takes most of the space left.")
        if not self._recording.is_filtered() and not self._unfiltered.isChecked():
            errors.append("The recording is not filtered: filter it first, or tick the box.")
        text = " ".join(lines)
        for problem, color in [(e, _ERROR) for e in errors] + [(w, _WARNING) for w in warnings]:
            text += f"<br><span style='color:{color}'><b>{problem}</b></span>"
        self._estimate.setText(text)
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not errors)

    @classmethod
    def ask(
        cls, recording, sorting, folder: str | Path, parent: QWidget | None = None
    ) -> tuple[Path | None, dict] | None:
        """Run the dialog: ``(folder or None, options)``, or None when cancelled."""
        dialog = cls(recording, sorting, folder, parent)
        return (dialog.folder(), dialog.options()) if dialog.exec() else None


def _milliseconds(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox(minimum=0.05, maximum=20.0, value=value, decimals=2, singleStep=0.1)
    box.setSuffix(" ms")
    return box
