"""ComputedView: messages, the newest result drawn, errors named."""

import threading

import pytest
from PySide6.QtWidgets import QLabel

from app.model.session import Session
from app.views.computed_view import ComputedView, toolbar

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class SquareView(ComputedView):
    """Draws the square of a number computed on the worker (or says there is none)."""

    def __init__(self, session):
        super().__init__(session, "SquareWorker", "squares")
        self.drawn_values = []
        self.content = QLabel()
        self._compose(toolbar("x"), self.content)

    def refresh(self, value=None, fail=False, gate=None):
        if value is None:
            self._show_message("Nothing to square.")
            return

        def square():
            if gate is not None:
                gate.wait(5.0)
            if fail:
                raise ValueError(f"cannot square {value}")
            return value * value

        self._compute(square)

    def _draw(self, value):
        self.drawn_values.append(value)
        self.content.setText(str(value))


def make_view(qtbot):
    view = SquareView(Session())
    qtbot.addWidget(view)
    view.show()
    return view


def test_a_result_is_drawn_and_the_message_hidden(qtbot):
    view = make_view(qtbot)
    view.refresh()
    assert view.message.text() == "Nothing to square." and view.content.isHidden()
    with qtbot.waitSignal(view.drawn, timeout=5_000):
        view.refresh(3)
    assert view.drawn_values == [9] and view.content.text() == "9"
    assert view.message.isHidden() and not view.content.isHidden()
    view.shutdown()


def test_only_the_newest_request_is_drawn(qtbot):
    view = make_view(qtbot)
    gate = threading.Event()
    view.refresh(2, gate=gate)
    view.refresh(5)
    gate.set()
    qtbot.waitUntil(lambda: view.drawn_values == [25], timeout=5_000)
    assert view.wait_until_idle(5.0)
    qtbot.wait(50)
    assert view.drawn_values == [25]
    view.shutdown()


def test_an_error_becomes_a_message_naming_what_failed(qtbot):
    view = make_view(qtbot)
    view.refresh(4, fail=True)
    qtbot.waitUntil(lambda: "Cannot compute squares" in view.message.text(), timeout=5_000)
    assert "cannot square 4" in view.message.text() and view.content.isHidden()
    assert view.drawn_values == []
    view.shutdown()


def test_a_view_tabbed_behind_another_computes_when_shown(qtbot):
    """In a window on screen, a hidden view (a dock tabbed behind another) computes nothing
    until it is shown; then only its newest request runs."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    front, back = QDockWidget("front"), QDockWidget("back")
    front.setWidget(QLabel("in front"))
    view = SquareView(Session())
    back.setWidget(view)
    for dock in (front, back):
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(front, back)
    window.show()
    front.raise_()
    qtbot.waitUntil(lambda: view.visibleRegion().isEmpty(), timeout=5_000)
    view.refresh(2)
    view.refresh(3)
    assert view.waiting_until_shown
    assert view.wait_until_idle(5.0)
    qtbot.wait(50)
    assert view.drawn_values == []
    with qtbot.waitSignal(view.drawn, timeout=5_000):
        back.raise_()
    assert view.drawn_values == [9] and not view.waiting_until_shown
    view.shutdown()


def test_a_view_never_shown_computes(qtbot):
    """A view outside a window on screen (a test's, a script's) computes at once."""
    view = SquareView(Session())
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.drawn, timeout=5_000):
        view.refresh(4)
    assert view.drawn_values == [16]
    view.shutdown()
