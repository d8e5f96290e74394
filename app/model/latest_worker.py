"""One background thread that runs the newest of the requests it is given (no Qt).

A view submits a function that computes what it will draw; only the newest submission waits,
and a result that is no longer the newest when it is ready is dropped, so clicking through units
quickly never queues up work. The callback runs on the worker thread: a Qt view forwards the
result to the GUI thread with a signal.
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
    """What a submitted function gave.

    Attributes
    ----------
    request_id : int
        Id returned by `LatestWorker.submit`.
    value : object
        The function's return value (None when it raised).
    error : str or None
        ``"ExceptionName: message"`` when the function raised.
    """

    request_id: int
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class _Request:
    request_id: int
    function: Callable[[], Any]
    callback: Callable[[WorkResult], None]


class LatestWorker:
    """Runs submitted functions one at a time on a thread; newer submissions supersede older.

    Parameters
    ----------
    name : str
        Name of the thread.
    """

    def __init__(self, name: str) -> None:
        self._condition = threading.Condition()
        self._pending: _Request | None = None
        self._latest_id = 0
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, function: Callable[[], Any], callback: Callable[[WorkResult], None]) -> int:
        """Run ``function()`` on the worker, then ``callback(WorkResult)`` if still the newest.

        Returns
        -------
        int
            The request id, carried by the result.

        Raises
        ------
        RuntimeError
            If the worker is closed.
        """
        with self._condition:
            if self._closed:
                raise RuntimeError("the worker is closed")
            self._latest_id += 1
            self._pending = _Request(self._latest_id, function, callback)
            self._condition.notify_all()
            return self._latest_id

    def cancel(self) -> None:
        """Forget the waiting request and drop the result of the running one."""
        with self._condition:
            self._latest_id += 1
            self._pending = None
            self._condition.notify_all()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing waits or runs (and the last callback returned); False on timeout."""
        with self._condition:
            return self._condition.wait_for(
                lambda: self._pending is None and not self._busy, timeout
            )

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop after the running function, dropping the waiting one."""
        with self._condition:
            self._closed = True
            self._pending = None
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def is_alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    self._busy = False
                    self._condition.notify_all()
                    return
                request, self._pending = self._pending, None
                self._busy = True
            try:
                result = WorkResult(request.request_id, value=request.function())
            except Exception as error:  # delivered to the view, which shows it
                _log.debug("request %s failed", request.request_id, exc_info=True)
                result = WorkResult(request.request_id, error=f"{type(error).__name__}: {error}")
            with self._condition:
                current = request.request_id == self._latest_id and not self._closed
            if current:
                try:
                    request.callback(result)
                except Exception:  # a failing view must not stop the worker
                    _log.exception("callback of request %s failed", request.request_id)
            with self._condition:
                self._busy = False
                self._condition.notify_all()
