"""A worker thread for view computations where only the newest request matters (no Qt).

A view asks for what it needs to draw (``submit``); the worker runs it off the GUI thread and
hands the result to a callback, unless a newer request was made meanwhile: scrolling or changing
the selection quickly never queues up work, and a stale result is never drawn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkResult:
    """What a request gave: ``value``, or ``error`` (a message) when it raised."""

    request_id: int
    value: Any = None
    error: str | None = None


class LatestWorker:
    """One daemon thread running the newest of the submitted computations.

    Parameters
    ----------
    name : str
        Name of the thread (tests look for leftover threads by name).
    """

    def __init__(self, name: str = "LatestWorker") -> None:
        self._condition = threading.Condition()
        self._pending: tuple[int, Callable[[], Any], Callable[[WorkResult], None]] | None = None
        self._latest_id = 0
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, compute: Callable[[], Any], deliver: Callable[[WorkResult], None]) -> int:
        """Run ``compute()`` on the worker; ``deliver(WorkResult)`` follows on the worker thread
        unless a newer request was submitted meanwhile. ``deliver`` must not touch widgets (emit
        a signal instead). Returns the request id."""
        with self._condition:
            if self._closed:
                raise RuntimeError("the worker is closed")
            self._latest_id += 1
            self._pending = (self._latest_id, compute, deliver)
            self._condition.notify_all()
            return self._latest_id

    @property
    def latest_id(self) -> int:
        """Id of the newest request."""
        return self._latest_id

    def cancel(self) -> None:
        """Forget the waiting request and drop the result of the running one."""
        with self._condition:
            self._latest_id += 1
            self._pending = None
            self._condition.notify_all()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing waits or runs (and its ``deliver`` has returned); False on
        timeout."""
        with self._condition:
            return self._condition.wait_for(
                lambda: self._pending is None and not self._busy, timeout
            )

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop after the running computation, dropping the waiting one."""
        with self._condition:
            self._closed = True
            self._pending = None
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    self._busy = False
                    self._condition.notify_all()
                    return
                (request_id, compute, deliver), self._pending = self._pending, None
                self._busy = True
            try:
                result = WorkResult(request_id, value=compute())
            except Exception as error:  # delivered to the view, which shows it
                _log.debug("request %s failed", request_id, exc_info=True)
                result = WorkResult(request_id, error=f"{type(error).__name__}: {error}")
            with self._condition:
                current = request_id == self._latest_id and not self._closed
            if current:
                try:
                    deliver(result)
                except Exception:  # a failing view must not stop the worker
                    _log.exception("delivering request %s failed", request_id)
            with self._condition:
                self._busy = False
                self._condition.notify_all()
