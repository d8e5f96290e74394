"""Snippets panel: the open snippets of the trace window (or of a chosen range), overlaid per
channel at the contacts' positions or side by side, coloured by unit when a sorting has them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QSpinBox, QWidget

from app.model.session import Session
from app.model.waveform_layout import flat_layout, probe_layout
from app.views.computed_view import ComputedView, toolbar
from app.views.plot_parts import style_axes

#: Modes of the layout combo box.
AT_PROBE, FLAT = "At probe positions", "Side by side"
#: Sources of the snippets shown.
IN_WINDOW, RANGE = "In the trace window", "By index"
#: Channels drawn when none is selected in the probe view.
DEFAULT_CHANNELS = 32
#: Label of snippets no unit claims.
NO_UNIT = None


@dataclass(frozen=True)
class SnippetSelection:
    """Snippets read for display.

    Attributes
    ----------
    indices : np.ndarray
        Snippet indices in the segment.
    frames : np.ndarray
        Their frames.
    waveforms : np.ndarray
        ``(count, snippet_len, channels)`` float.
    channel_ids : np.ndarray
    unit_ids : list
        Unit of each snippet (None when no spike of the sorting is at its frame).
    scaled : bool
        Whether values are µV.
    """

    indices: np.ndarray
    frames: np.ndarray
    waveforms: np.ndarray
    channel_ids: np.ndarray
    unit_ids: list
    scaled: bool


def read_snippets(
    snippets, sorting, segment_index: int, indices: np.ndarray, channel_ids
) -> SnippetSelection:
    """Read ``indices`` of a segment's snippets and find each one's unit in ``sorting``."""
    frames = np.asarray(snippets.get_frames(indices=indices, segment_index=segment_index))
    scaled = snippets.has_scaled_snippets()
    waveforms = snippets.get_snippets(
        indices=indices,
        segment_index=segment_index,
        channel_ids=channel_ids,
        return_scaled=scaled,
    ).astype("float32")
    unit_ids: list = [NO_UNIT] * frames.size
    if sorting is not None and segment_index < sorting.get_num_segments() and frames.size:
        spikes = sorting.to_spike_vector(concatenated=False)[segment_index]
        positions = np.searchsorted(spikes["sample_index"], frames)
        hit = positions < spikes.size
        hit[hit] = spikes["sample_index"][positions[hit]] == frames[hit]
        names = sorting.unit_ids.tolist()
        unit_ids = [
            names[spikes["unit_index"][p]] if h else NO_UNIT
            for p, h in zip(positions.tolist(), hit.tolist())
        ]
    return SnippetSelection(
        indices, frames, waveforms, np.asarray(channel_ids), unit_ids, bool(scaled)
    )


class SnippetsView(ComputedView):
    """The open snippets, overlaid per channel.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        New snippets are on display.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "SnippetsWorker", "the snippets", parent)
        theme = self._theme
        self._curves: list[pg.PlotCurveItem] = []

        self.layout_box = QComboBox()
        self.layout_box.addItems([AT_PROBE, FLAT])
        self.source_box = QComboBox()
        self.source_box.addItems([IN_WINDOW, RANGE])
        self.first_spin = _spin(0, "First snippet shown (By index)")
        self.count_spin = _spin(1, "Snippets shown at most")
        self.count_spin.setValue(100)
        bar = toolbar(
            self.layout_box, self.source_box, " first ", self.first_spin, " at most ",
            self.count_spin,
        )  # fmt: skip
        self.plot_widget = pg.PlotWidget(background=theme.background)
        self.plot_widget.setMinimumHeight(150)
        plot = self.plot_widget.getPlotItem()
        style_axes(plot, theme)
        self.scale_label = pg.TextItem(color=theme.foreground, anchor=(0, 0))
        self.scale_label.setParentItem(plot.getViewBox())
        self._compose(bar, self.plot_widget)

        for box in (self.layout_box, self.source_box):
            box.currentIndexChanged.connect(self.refresh)
        for spin in (self.first_spin, self.count_spin):
            spin.valueChanged.connect(self.refresh)
        signals = session.signals
        for name in ("snippets", "sorting", "frame_window", "segment_index"):
            getattr(signals, name).connect(self.refresh)
        signals.selected_channel_ids.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ public
    @property
    def selection(self) -> SnippetSelection | None:
        """What is on display."""
        return self._value

    def refresh(self, *_) -> None:
        """Read the snippets to show for the current window or range, off the GUI thread."""
        session, snippets = self._session, self._session.snippets
        if snippets is None:
            self._show_message("No snippets open.")
            return
        segment = min(session.segment_index, snippets.get_num_segments() - 1)
        indices = self._indices(snippets, segment)
        if indices.size == 0:
            self._show_message("No snippet in the trace window: scroll, or show them by index.")
            return
        channel_ids = self._channel_ids(snippets)
        sorting = session.sorting
        self._compute(lambda: read_snippets(snippets, sorting, segment, indices, channel_ids))

    # ------------------------------------------------------------------ helpers
    def _indices(self, snippets, segment: int) -> np.ndarray:
        count = self.count_spin.value()
        total = snippets.get_num_snippets(segment_index=segment)
        self.first_spin.setMaximum(max(total - 1, 0))
        if self.source_box.currentText() == RANGE:
            first = min(self.first_spin.value(), total)
            return np.arange(first, min(first + count, total))
        start, end = self._session.frame_window
        frames = np.asarray(snippets.get_frames(segment_index=segment))
        first, last = np.searchsorted(frames, [start, end])
        inside = np.arange(first, last)
        if inside.size > count:  # evenly spread over the window
            inside = inside[np.linspace(0, inside.size - 1, count).astype("int64")]
        return inside

    def _channel_ids(self, snippets) -> list:
        known = snippets.channel_ids.tolist()
        chosen = [c for c in self._session.selected_channel_ids if c in set(known)]
        return chosen or known[:DEFAULT_CHANNELS]

    def _draw(self, selection: SnippetSelection) -> None:
        plot = self.plot_widget.getPlotItem()
        for curve in self._curves:
            plot.removeItem(curve)
        self._curves = []
        layout = self._layout(selection.channel_ids)
        amplitude = float(np.percentile(np.abs(selection.waveforms), 99.5)) or 1.0
        gain = 0.5 / amplitude
        groups: dict = {}
        for position, unit_id in enumerate(selection.unit_ids):
            groups.setdefault(unit_id, []).append(position)
        session = self._session
        for unit_id, positions in groups.items():
            if unit_id is NO_UNIT:
                color = self._theme.foreground
            else:
                color = self._theme.unit_color(session.unit_color_index(unit_id))
            x, y = layout.place(selection.waveforms[positions], gain)
            pen = pg.mkPen(color, width=1)
            pen.setCosmetic(True)
            curve = pg.PlotCurveItem(x, y, pen=pen, connect="finite", antialias=False)
            curve.setOpacity(0.6)
            plot.addItem(curve)
            self._curves.append(curve)
        unit = "µV" if selection.scaled else "raw units"
        self.scale_label.setText(
            f"{len(selection.unit_ids)} snippets · box height = {2 * amplitude:.0f} {unit}"
        )
        at_probe = self.layout_box.currentText() == AT_PROBE
        plot.setLabel("bottom", "x (µm)" if at_probe else "channel")
        plot.setLabel("left", "y (µm)" if at_probe else "")
        plot.autoRange()

    def _layout(self, channel_ids: np.ndarray):
        snippets = self._session.snippets
        if self.layout_box.currentText() == AT_PROBE and snippets.has_channel_location():
            return probe_layout(snippets.get_channel_locations(channel_ids=list(channel_ids)))
        return flat_layout(len(channel_ids))


def _spin(minimum: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, 10_000_000)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    return spin
