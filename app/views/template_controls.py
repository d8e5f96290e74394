"""The templates view's controls: unit arrows, layout, spikes, channels, gain, std, fit."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QToolBar, QVBoxLayout, QWidget

#: Individual waveforms drawn per unit, by default and at most.
DEFAULT_WAVEFORMS, MAX_WAVEFORMS = 20, 200
#: Channels drawn around each unit's extremum channel, by default.
DEFAULT_CHANNELS = 16
MODES = ("probe", "flat")


class TemplateControls(QWidget):
    """Two rows (a narrow dock holds both): actions, then the numbers.

    Parameters
    ----------
    with_sparsity : bool
        Show the Sparsity… action.

    Signals
    -------
    step_unit(int)
        -1 or +1: the previous or next unit.
    mode_chosen(str)
        ``"probe"`` or ``"flat"``.
    waveforms_changed(int), channels_changed(int), gain_changed(float), std_toggled(bool)
        A number or the ± std toggle changed.
    fit_requested(), sparsity_requested()
    """

    step_unit = Signal(int)
    mode_chosen = Signal(str)
    waveforms_changed = Signal(int)
    channels_changed = Signal(int)
    gain_changed = Signal(float)
    std_toggled = Signal(bool)
    fit_requested = Signal()
    sparsity_requested = Signal()

    def __init__(self, with_sparsity: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        actions, numbers = QToolBar(), QToolBar()
        for icon, text, step in (
            ("mdi6.chevron-left", "Previous unit", -1),
            ("mdi6.chevron-right", "Next unit", 1),
        ):
            action = QAction(qta.icon(icon), text, self)
            action.triggered.connect(lambda _checked=False, s=step: self.step_unit.emit(s))
            actions.addAction(action)
        actions.addSeparator()
        group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for mode, icon, text, tip in (
            ("probe", "mdi6.dots-grid", "Probe", "Each channel at its contact's position"),
            ("flat", "mdi6.view-column-outline", "Flat", "Channels side by side, by depth"),
        ):
            action = QAction(qta.icon(icon), text, self, checkable=True)
            action.setToolTip(tip)
            action.triggered.connect(lambda _checked=False, m=mode: self.mode_chosen.emit(m))
            group.addAction(action)
            actions.addAction(action)
            self.mode_actions[mode] = action
        self.mode_actions["probe"].setChecked(True)
        actions.addSeparator()
        self.std_action = QAction(qta.icon("mdi6.sine-wave"), "± std", self, checkable=True)
        self.std_action.setChecked(True)
        self.std_action.setToolTip("Band of ± one standard deviation around each template")
        self.std_action.toggled.connect(self.std_toggled)
        actions.addAction(self.std_action)
        fit = QAction(qta.icon("mdi6.fit-to-screen-outline"), "Fit", self)
        fit.setToolTip("Show every drawn channel")
        fit.triggered.connect(self.fit_requested)
        actions.addAction(fit)
        if with_sparsity:
            sparsity = QAction(qta.icon("mdi6.select-group"), "Sparsity…", self)
            sparsity.setToolTip("Compute each unit's channels (Units ▸ Compute Sparsity…)")
            sparsity.triggered.connect(self.sparsity_requested)
            actions.addAction(sparsity)

        self.waveform_box = QSpinBox(minimum=0, maximum=MAX_WAVEFORMS, value=DEFAULT_WAVEFORMS)
        self.waveform_box.setSuffix(" spikes")
        self.waveform_box.setToolTip("Individual waveforms drawn per unit (randomly chosen)")
        self.waveform_box.valueChanged.connect(self.waveforms_changed)
        self.channel_box = QSpinBox(minimum=1, maximum=4096, value=DEFAULT_CHANNELS)
        self.channel_box.setSuffix(" ch")
        self.channel_box.setToolTip(
            "Channels drawn around each unit's extremum channel (its sparsity channels too)"
        )
        self.channel_box.valueChanged.connect(self.channels_changed)
        self.gain_box = QDoubleSpinBox(minimum=0.1, maximum=50.0, value=1.0, singleStep=0.25)
        self.gain_box.setPrefix("×")
        self.gain_box.setDecimals(2)
        self.gain_box.setToolTip("Vertical scale on the probe layout (or Ctrl+wheel)")
        self.gain_box.valueChanged.connect(self.gain_changed)
        for box in (self.waveform_box, self.channel_box, self.gain_box):
            box.setKeyboardTracking(False)
            numbers.addWidget(box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(actions)
        layout.addWidget(numbers)
