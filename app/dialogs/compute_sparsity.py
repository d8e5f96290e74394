"""Units ▸ Compute Sparsity…: choose a method and its parameter (also the Extract Waveforms
dialog's sparsity section)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.model.sparsity_methods import PEAK_SIGNS, SparsityMethod, available_methods


class SparsityForm(QWidget):
    """Method, its parameter and the peak sign of a sparsity.

    Parameters
    ----------
    methods : list of SparsityMethod
        Offered methods, in order.
    properties : list of str
        Channel properties for ``by_property`` (its entry is disabled when empty).

    Signals
    -------
    changed()
        Any field changed.
    """

    changed = Signal()

    def __init__(
        self,
        methods: list[SparsityMethod],
        properties: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._methods = list(methods)
        self._method_box = QComboBox()
        self._values = QStackedWidget()
        self._editors: dict[str, QWidget] = {}
        for index, method in enumerate(self._methods):
            self._method_box.addItem(method.label, method.key)
            if method.key == "by_property":
                editor = QComboBox()
                editor.addItems(properties)
                editor.currentIndexChanged.connect(lambda _i: self.changed.emit())
                if not properties:
                    item = self._method_box.model().item(index)
                    item.setEnabled(False)
                    item.setToolTip("The recording has no channel property to group by")
            else:
                editor = QDoubleSpinBox(
                    minimum=method.minimum, maximum=method.maximum, decimals=method.decimals
                )
                editor.setValue(method.default)
                editor.setSuffix(method.suffix)
                editor.valueChanged.connect(lambda _v: self.changed.emit())
            self._editors[method.key] = editor
            self._values.addWidget(editor)
        self._peak_box = QComboBox()
        for sign, text in zip(PEAK_SIGNS, ("negative", "positive", "both")):
            self._peak_box.addItem(text, sign)
        self._parameter_label = QLabel()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Method", self._method_box)
        form.addRow(self._parameter_label, self._values)
        form.addRow("Peak sign", self._peak_box)
        self._method_box.currentIndexChanged.connect(self._method_changed)
        self._peak_box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self._method_changed()

    def method(self) -> SparsityMethod:
        """The chosen method."""
        return self._methods[self._method_box.currentIndex()]

    def set_method(self, key: str) -> None:
        """Choose the method ``key``."""
        keys = [m.key for m in self._methods]
        if key not in keys:
            raise ValueError(f"method must be one of {keys}, got {key!r}")
        self._method_box.setCurrentIndex(keys.index(key))

    def value(self):
        """The parameter of the chosen method (a number, or a property name)."""
        editor = self._editors[self.method().key]
        if isinstance(editor, QComboBox):
            return editor.currentText()
        return int(editor.value()) if self.method().decimals == 0 else float(editor.value())

    def set_value(self, value) -> None:
        """Set the parameter of the chosen method."""
        editor = self._editors[self.method().key]
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(str(value)))
        else:
            editor.setValue(float(value))

    def peak_sign(self) -> str:
        """``"neg"``, ``"pos"`` or ``"both"``."""
        return self._peak_box.currentData()

    def is_complete(self) -> bool:
        """Whether the parameter is set (a property is chosen for ``by_property``)."""
        return self.value() != "" if self.method().key == "by_property" else True

    def describe(self) -> str:
        """E.g. ``"radius 100 µm"``."""
        return self.method().describe(self.value())

    def sparsity_kwargs(self) -> dict:
        """``method``, ``peak_sign`` and the parameter, for ``compute_sparsity`` and
        ``extract_waveforms``."""
        method = self.method()
        return {"method": method.key, "peak_sign": self.peak_sign(), method.parameter: self.value()}

    def _method_changed(self, *_) -> None:
        self._values.setCurrentIndex(self._method_box.currentIndex())
        self._parameter_label.setText(self.method().parameter_label)
        self.changed.emit()


class ComputeSparsityDialog(QDialog):
    """Choose how to compute each unit's channels.

    Parameters
    ----------
    has_extractor : bool
        Whether templates of a waveform extractor are open (every method), else the methods
        estimated from the recording.
    properties : list of str
        Channel properties for ``by_property``.
    """

    def __init__(
        self, has_extractor: bool, properties: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compute Sparsity")
        self.setMinimumWidth(380)
        self.form = SparsityForm(available_methods(has_extractor), properties)
        source = QLabel(
            "From the templates of the open waveforms."
            if has_extractor
            else "Estimated from 100 spikes per unit read from the recording (radius and best "
            "channels), or from each unit's extremum channel (by property). Extract waveforms "
            "for the SNR, peak-to-peak and energy methods.",
            wordWrap=True,
        )
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compute")
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(source)
        layout.addWidget(self._buttons)
        self.form.changed.connect(self._validate)
        self._validate()

    def _validate(self) -> None:
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.form.is_complete())

    def choice(self) -> tuple[str, object, str]:
        """``(method key, parameter, peak sign)``."""
        return self.form.method().key, self.form.value(), self.form.peak_sign()

    @classmethod
    def ask(
        cls, has_extractor: bool, properties: list[str], parent: QWidget | None = None
    ) -> tuple[str, object, str] | None:
        """Run the dialog; the choice, or None when cancelled."""
        dialog = cls(has_extractor, properties, parent)
        return dialog.choice() if dialog.exec() else None
