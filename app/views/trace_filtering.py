"""The trace view's display filter: the `DisplayContext` of each window, whitening estimated in
the background."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.model.display_filters import DisplayContext, DisplayFilter, estimate_whitening
from app.model.latest_worker import LatestWorker, WorkResult

ESTIMATING = "Estimating the whitening…"


class DisplayFiltering(QObject):
    """The filter the trace view applies and the context its fetcher filters windows with.

    Building a context is cheap (a filter design) except for whitening, whose matrix is
    estimated from chunks of the recording on a worker thread: until it is ready the traces are
    filtered without it and `note` says so; `changed` asks the view to draw again.

    Signals
    -------
    changed()
        The context changed on its own (a whitening matrix arrived, or could not be made).
    """

    changed = Signal()
    _estimated = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.display_filter = DisplayFilter()
        self._cached: tuple[tuple, DisplayContext | None, str] | None = None
        self._matrices: dict[tuple, np.ndarray] = {}
        self._asked: tuple | None = None
        self._error = ""
        self._worker = LatestWorker("TraceWhitening")
        self._estimated.connect(self._on_estimated)

    @property
    def note(self) -> str:
        """What the view says about the filter ("" when it applies as asked)."""
        return "" if self._cached is None else self._cached[2]

    def set_filter(self, display_filter: DisplayFilter) -> None:
        """Filter the windows with ``display_filter`` from now on."""
        self.display_filter = display_filter
        self._cached = None

    def forget(self) -> None:
        """Drop what was computed for the recording (another one is open)."""
        self._cached = None
        self._matrices = {}
        self._worker.cancel()
        self._asked = None
        self._error = ""

    def context(self, recording, segment_index: int, return_scaled: bool) -> DisplayContext | None:
        """The context to filter ``recording``'s windows with (None: raw traces)."""
        wanted = self.display_filter
        scaled = return_scaled and recording.has_scaled()
        key = (id(recording), wanted, scaled, self._error)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        applied, note, matrix = wanted, "", None
        if wanted.whiten and not wanted.is_identity:
            basis = (id(recording), replace(wanted, whiten=False), scaled)
            matrix = self._matrices.get(basis)
            if matrix is None:
                applied = replace(wanted, whiten=False)
                note = self._error or ESTIMATING
                if not self._error:
                    self._estimate(recording, segment_index, basis, scaled)
        context = None
        if not applied.is_identity:
            try:
                context = DisplayContext.for_recording(recording, applied, matrix)
            except ValueError as error:
                note = f"Filter off: {error}"
        self._cached = (key, context, note)
        return context

    def shutdown(self) -> None:
        """Stop the worker."""
        self._worker.close()

    def _estimate(self, recording, segment_index: int, basis: tuple, scaled: bool) -> None:
        if self._asked == basis:
            return
        self._asked = basis
        display_filter, estimated = basis[1], self._estimated

        def estimate():
            return basis, estimate_whitening(recording, segment_index, display_filter, scaled)

        self._worker.submit(estimate, estimated.emit)

    def _on_estimated(self, result: WorkResult) -> None:
        self._asked = None
        self._cached = None
        if result.error is not None:
            self._error = f"Cannot whiten: {result.error}"
        else:
            basis, matrix = result.value
            self._matrices[basis] = matrix
        self.changed.emit()
