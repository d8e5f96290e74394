"""Pool executors that run in the calling thread: SpikeInterface's ``get_poolexecutor`` helpers.

Code written against ``concurrent.futures`` runs unchanged without concurrency (``n_jobs=1``,
debugging) with `MockPoolExecutor`, `MockFuture` and `MockQueue`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["MockFuture", "MockPoolExecutor", "MockQueue", "get_poolexecutor"]


class MockFuture:
    """A future that runs its call when its result is asked for.

    Parameters
    ----------
    f : callable
    *args
        Arguments of ``f``.
    """

    def __init__(self, f: Callable, *args: Any) -> None:
        self.f = f
        self.args = args

    def result(self) -> Any:
        """Run the call and return its result."""
        return self.f(*self.args)


class MockPoolExecutor:
    """``concurrent.futures`` executor API without concurrency (calls run in this thread).

    Parameters
    ----------
    max_workers, mp_context, context
        Accepted and ignored.
    initializer : callable or None
        Called once, at construction, with ``initargs``.
    initargs : tuple or None
    """

    def __init__(
        self,
        max_workers: int | None = None,
        mp_context=None,
        initializer: Callable | None = None,
        initargs: tuple | None = None,
        context=None,
    ) -> None:
        if initializer is not None:
            initializer(*(initargs or ()))
        self.map = map
        self.imap = map

    def __enter__(self) -> MockPoolExecutor:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        return None

    def submit(self, f: Callable, *args: Any) -> MockFuture:
        """A `MockFuture` of ``f(*args)`` (run when its result is asked for)."""
        return MockFuture(f, *args)


class MockQueue:
    """A first-in first-out list with ``put`` and ``get`` (a queue without concurrency)."""

    def __init__(self) -> None:
        self.q: list = []
        self.put = self.q.append
        self.get = lambda: self.q.pop(0)


def get_poolexecutor(n_jobs: int) -> type:
    """The executor class for ``n_jobs`` workers.

    Parameters
    ----------
    n_jobs : int

    Returns
    -------
    type
        `MockPoolExecutor` for 1, else ``concurrent.futures.ProcessPoolExecutor``.
    """
    return MockPoolExecutor if n_jobs == 1 else ProcessPoolExecutor
