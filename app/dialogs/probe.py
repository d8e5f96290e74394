"""Probe dialogs: generate a common layout, edit the wiring of the contacts."""

from __future__ import annotations

import numpy as np
from probeinterface import ProbeGroup
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.model.probe_layouts import (
    LAYOUT_KINDS,
    LAYOUT_LABELS,
    PARAMETER_LABELS,
    available_layouts,
    build_layout,
    default_layout_parameters,
    neuropixels_part_numbers,
    probegroup_wiring,
    shank_keys,
    validate_wiring,
)

_ERROR_BACKGROUND = QColor(220, 50, 50, 70)


class GenerateProbeDialog(QDialog):
    """Choose a layout kind and its parameters; the preview counts contacts and shanks.

    Parameters
    ----------
    num_channels : int
        Channels of the recording: defaults fit it, and OK is disabled for more contacts.
    """

    def __init__(self, num_channels: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generate probe layout")
        self._num_channels = int(num_channels)
        self._editors: dict[str, dict[str, QWidget]] = {}
        self._kind_box = QComboBox()
        self._pages = QStackedWidget()
        for kind in LAYOUT_KINDS:
            self._kind_box.addItem(LAYOUT_LABELS[kind], kind)
            self._pages.addWidget(self._make_page(kind))
        if "neuropixels" not in available_layouts():
            item = self._kind_box.model().item(LAYOUT_KINDS.index("neuropixels"))
            item.setEnabled(False)
            item.setToolTip(
                "The installed probeinterface has no Neuropixels catalogue "
                "(resources/neuropixels_probe_features.json); nothing is downloaded"
            )
        self._preview = QLabel(wordWrap=True)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Layout", self._kind_box)
        layout.addLayout(form)
        layout.addWidget(self._pages)
        layout.addWidget(self._preview)
        layout.addWidget(self._buttons)
        self._kind_box.currentIndexChanged.connect(self._pages.setCurrentIndex)
        self._kind_box.currentIndexChanged.connect(self._update_preview)
        self._update_preview()

    def kind(self) -> str:
        """The chosen layout kind."""
        return self._kind_box.currentData()

    def set_kind(self, kind: str) -> None:
        """Choose a layout kind (one of `available_layouts`)."""
        if kind not in available_layouts():
            raise ValueError(f"kind must be one of {available_layouts()}, got {kind!r}")
        self._kind_box.setCurrentIndex(LAYOUT_KINDS.index(kind))

    def parameters(self) -> dict:
        """Parameters of the chosen kind, for `ProbeEditor.generate_layout`."""
        return {
            name: editor.currentData() if isinstance(editor, QComboBox) else editor.value()
            for name, editor in self._editors[self.kind()].items()
        }

    def set_parameter(self, name: str, value) -> None:
        """Set one parameter of the chosen kind."""
        editor = self._editors[self.kind()][name]
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findData(value))
        else:
            editor.setValue(value)

    def preview_text(self) -> str:
        """What the layout would give, or why it cannot be used."""
        return self._preview.text()

    def _make_page(self, kind: str) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        editors = self._editors[kind] = {}
        if kind == "neuropixels" and not neuropixels_part_numbers():
            return page
        for name, value in default_layout_parameters(kind, self._num_channels).items():
            if name == "part_number":
                editor = QComboBox(minimumContentsLength=28)
                editor.setSizeAdjustPolicy(
                    QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
                )
                for part, description in neuropixels_part_numbers().items():
                    editor.addItem(f"{part}: {description}", part)
                editor.setCurrentIndex(editor.findData(value))
                editor.currentIndexChanged.connect(self._update_preview)
            elif isinstance(value, int):
                editor = QSpinBox(minimum=1, maximum=100_000, value=value)
                editor.valueChanged.connect(self._update_preview)
            else:
                editor = QDoubleSpinBox(minimum=0.1, maximum=100_000.0, decimals=1, value=value)
                editor.setSuffix(" µm")
                editor.valueChanged.connect(self._update_preview)
            editors[name] = editor
            form.addRow(PARAMETER_LABELS[name], editor)
        return page

    def _update_preview(self, *_) -> None:
        valid = False
        try:
            group = build_layout(self.kind(), self._num_channels, **self.parameters())
        except ValueError as err:
            text = str(err)
        else:
            count = group.get_contact_count()
            shanks = len(np.unique(shank_keys(group)))
            text = f"{count} contacts on {shanks} shank(s) for {self._num_channels} channels"
            if count > self._num_channels:
                text += f": {count - self._num_channels} contacts too many"
            else:
                valid = True
                if count < self._num_channels:
                    text += f"; {self._num_channels - count} channels left unwired"
        self._preview.setText(text)
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(valid)


class WiringDialog(QDialog):
    """A table of contacts and the device channel each one is wired to, checked as you type.

    Parameters
    ----------
    probegroup : ProbeGroup
        The contacts, probe after probe, with their current wiring.
    channel_ids : array-like
        The recording's channel ids (device channel ``i`` is ``channel_ids[i]``).
    """

    COLUMNS = ("Contact", "Shank", "x (µm)", "y (µm)", "Device channel", "Channel id")
    _WIRING_COLUMN = 4

    def __init__(self, probegroup: ProbeGroup, channel_ids, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit wiring")
        self._channel_ids = list(np.asarray(channel_ids).tolist())
        wiring = probegroup_wiring(probegroup)
        self._table = QTableWidget(len(wiring), len(self.COLUMNS))
        self._table.setHorizontalHeaderLabels(self.COLUMNS)
        self._table.setVerticalHeaderLabels([str(i) for i in range(len(wiring))])
        self._table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        rows = zip(_contact_names(probegroup), shank_keys(probegroup).tolist(), wiring.tolist())
        positions = np.concatenate([p.contact_positions[:, :2] for p in probegroup.probes])
        for row, ((name, shank, channel), (x, y)) in enumerate(zip(rows, positions.tolist())):
            for column, text in enumerate([name, shank, f"{x:g}", f"{y:g}", channel, ""]):
                item = QTableWidgetItem(str(text))
                if column != self._WIRING_COLUMN:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self._table.setItem(row, column, item)
        self._error = QLabel(wordWrap=True)
        self._error.setStyleSheet("color: #c0392b")
        in_order = QPushButton("Wire in contact order")
        in_order.clicked.connect(self._wire_in_order)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._table)
        layout.addWidget(in_order)
        layout.addWidget(self._error)
        layout.addWidget(self._buttons)
        self._table.itemChanged.connect(self._validate)
        self._validate()
        self.resize(560, 480)

    def device_channel_indices(self) -> np.ndarray:
        """The wiring in the table (raises ValueError naming the problem when invalid)."""
        values = []
        for row in range(self._table.rowCount()):
            text = self._table.item(row, self._WIRING_COLUMN).text().strip()
            try:
                values.append(int(text))
            except ValueError:
                raise ValueError(f"contact {row}: {text!r} is not an integer") from None
        return validate_wiring(values, len(values), len(self._channel_ids))

    def set_device_channel(self, row: int, channel: int) -> None:
        """Wire contact ``row`` to device ``channel`` (-1: unwired)."""
        self._table.item(row, self._WIRING_COLUMN).setText(str(channel))

    def error_text(self) -> str:
        """Why the wiring is invalid ("" when it is valid)."""
        return self._error.text()

    def _wire_in_order(self) -> None:
        count = len(self._channel_ids)
        for row in range(self._table.rowCount()):
            self.set_device_channel(row, row if row < count else -1)

    def _validate(self, *_) -> None:
        try:
            self.device_channel_indices()
            error = ""
        except ValueError as err:
            error = str(err)
        self._error.setText(error)
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not error)
        self._table.blockSignals(True)  # the channel id column is written, not typed
        texts = [
            self._table.item(row, self._WIRING_COLUMN).text().strip()
            for row in range(self._table.rowCount())
        ]
        for row, text in enumerate(texts):
            channel = int(text) if text.lstrip("-").isdigit() else None
            valid = channel is not None and -1 <= channel < len(self._channel_ids)
            unique = texts.count(text) == 1 or channel == -1
            label = self._channel_ids[channel] if valid and channel >= 0 else ""
            self._table.item(row, len(self.COLUMNS) - 1).setText(str(label))
            color = QColor(0, 0, 0, 0) if valid and unique else _ERROR_BACKGROUND
            self._table.item(row, self._WIRING_COLUMN).setBackground(color)
        self._table.blockSignals(False)


def _contact_names(probegroup: ProbeGroup) -> list[str]:
    names = []
    for i, probe in enumerate(probegroup.probes):
        ids = probe.contact_ids
        for k in range(probe.get_contact_count()):
            name = str(ids[k]) if ids is not None and str(ids[k]) else str(k)
            names.append(f"{i}:{name}" if len(probegroup.probes) > 1 else name)
    return names
