"""Base of the views that compute on a worker thread and draw the newest result.

A `ComputedView` holds a toolbar, a message line and a content widget. `refresh()` either shows
a message (nothing to compute: no sorting, no unit selected...) or hands a computation to the
view's `LatestWorker`, where the newest request wins; the result comes back on the GUI thread
and is drawn by `_draw`. An error becomes a message naming what could not be computed.

A view hidden in a window on screen (its dock tabbed behind another, which Qt moves out of
sight rather than hides, or closed) computes nothing: its newest computation waits until its
dock shows it (a curation action or a new selection would otherwise make every tabbed view
count and draw for no one to see).

Session signals that come together (a curation action changes the sorting, the units'
channels and the selection in one call) make one refresh: views connect them to
`_schedule_refresh`, which refreshes once when the event loop next runs, before the events
already waiting there (`wait_until_idle` refreshes at once when one is due).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QToolBar, QVBoxLayout, QWidget

from app.model.latest_worker import LatestWorker, WorkResult
from app.model.session import Session
from app.theme import current_theme

#: The event `ComputedView._schedule_refresh` posts to the view.
_REFRESH_EVENT = QEvent.Type(QEvent.registerEventType())


def toolbar(*widgets: QWidget | str) -> QToolBar:
    """A toolbar of `widgets`; a string becomes a label."""
    bar = QToolBar()
    for widget in widgets:
        bar.addWidget(QLabel(widget) if isinstance(widget, str) else widget)
    return bar


class ComputedView(QWidget):
    """A view whose content is computed off the GUI thread from the session.

    Subclasses build their controls and content, call `_compose`, define ``refresh(*_)`` (the
    slot their session signals call: `_show_message` or `_compute`), implement `_draw`, and may
    extend `_clear`.

    Parameters
    ----------
    session : Session
    worker_name : str
        Name of the worker thread (seen in stack dumps).
    what : str
        What the view computes, for error messages ("Cannot compute <what>: ...").
    parent : QWidget | None

    Signals
    -------
    drawn()
        A new result is on display.
    """

    drawn = Signal()
    _ready = Signal(object)

    def __init__(
        self, session: Session, worker_name: str, what: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._theme = current_theme()
        self._worker = LatestWorker(name=worker_name)
        self._what = what
        self._value: Any = None
        self._content: QWidget | None = None
        self._waiting: Callable[[], Any] | None = None  # computation put off while hidden
        self._dock: QDockWidget | None = None  # the dock showing the view, once looked for
        self._refresh_due = False  # a refresh event is posted (`_schedule_refresh`)
        self.message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._ready.connect(self._deliver)

    def _compose(self, bar: QToolBar, content: QWidget) -> None:
        """Lay out the toolbar, the message line and the content (which takes the space)."""
        self._content = content
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.message)
        layout.addWidget(content, 1)

    # ------------------------------------------------------------------ public
    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until the newest computation has been delivered and drawn (tests); a
        refresh due (`_schedule_refresh`) is made first."""
        if self._refresh_due:
            self._refresh_due = False
            self.refresh()
        idle = self._worker.wait_until_idle(timeout)
        # the result reaches the GUI thread as a queued call: draw it now
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return idle

    @property
    def waiting_until_shown(self) -> bool:
        """Whether a computation waits for the view to be shown (see the module's notes)."""
        return self._waiting is not None

    def shutdown(self) -> None:
        """Stop the worker."""
        self._worker.close()

    # ------------------------------------------------------------------ for subclasses
    def _schedule_refresh(self, *_) -> None:
        """Refresh once the event loop runs again (however many signals ask meanwhile),
        ahead of the events of normal priority waiting there (other views' redraws)."""
        if not self._refresh_due:
            self._refresh_due = True
            QCoreApplication.postEvent(
                self, QEvent(_REFRESH_EVENT), Qt.EventPriority.HighEventPriority.value
            )

    def event(self, event: QEvent) -> bool:
        if event.type() == _REFRESH_EVENT:
            if self._refresh_due:
                self._refresh_due = False
                self.refresh()
            return True
        return super().event(event)

    def _compute(self, function: Callable[[], Any]) -> None:
        """Run `function` on the worker; its result is drawn unless a newer one was asked.
        While the view is hidden in a window on screen, it waits until the view is shown."""
        if self._out_of_sight():
            self._worker.cancel()
            self._waiting = function
            return
        self._waiting = None
        self._worker.submit(function, self._ready.emit)

    def _out_of_sight(self) -> bool:
        """Whether the view is hidden in a window on screen (a view outside one, e.g. a
        script's or a test's, always computes)."""
        if not self.window().isVisible():
            return False
        dock = self._find_dock()
        if dock is not None and dock.isHidden():
            return True
        return not self.isVisible() or self.visibleRegion().isEmpty()

    def _find_dock(self) -> QDockWidget | None:
        """The dock the view is in; its visibility changes start a waiting computation."""
        if self._dock is None:
            parent = self.parentWidget()
            while parent is not None and not isinstance(parent, QDockWidget):
                parent = parent.parentWidget()
            if parent is not None:
                self._dock = parent
                parent.visibilityChanged.connect(self._on_dock_visibility)
        return self._dock

    def _on_dock_visibility(self, visible: bool) -> None:
        function, self._waiting = self._waiting, None
        if visible and function is not None:
            self._worker.submit(function, self._ready.emit)
        else:
            self._waiting = function

    def _show_message(self, text: str) -> None:
        """Nothing to draw: say why (pending computations are dropped)."""
        self._worker.cancel()
        self._waiting = None
        self._value = None
        self._clear()
        self.message.setText(text)
        self.message.show()
        if self._content is not None:
            self._content.hide()

    def _clear(self) -> None:
        """Forget what is drawn (called before a message is shown)."""

    def _draw(self, value: Any) -> None:
        """Draw a computed result."""
        raise NotImplementedError

    def _deliver(self, result: WorkResult) -> None:
        if result.request_id != self._worker.latest_id:
            return
        if result.error is not None:
            self._show_message(f"Cannot compute {self._what}: {result.error}")
            return
        self._value = result.value
        self.message.hide()
        if self._content is not None:
            self._content.show()
        self._draw(result.value)
        self.drawn.emit()
