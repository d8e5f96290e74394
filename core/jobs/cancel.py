"""Cooperative cancellation for long-running jobs."""

from __future__ import annotations

import threading

__all__ = ["CancelToken", "JobCancelled"]


class JobCancelled(Exception):
    """Raised by a job that stopped early because its :class:`CancelToken` was cancelled."""


class CancelToken:
    """A thread-safe flag that asks a running job to stop.

    The token is set from any thread (for example a GUI "Cancel" button) and polled by the
    job between units of work. Cancelling cannot be undone: make a new token for a new job.

    Examples
    --------
    >>> token = CancelToken()
    >>> token.cancelled
    False
    >>> token.cancel()
    >>> token.cancelled
    True
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop; safe to call several times and from any thread."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """bool: Whether :meth:`cancel` has been called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the token was cancelled.

        Raises
        ------
        JobCancelled
            If :meth:`cancel` has been called.
        """
        if self._event.is_set():
            raise JobCancelled("the job was cancelled")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the token is cancelled or ``timeout`` seconds have passed.

        Parameters
        ----------
        timeout : float or None, default: None
            Maximum time to wait in seconds; None waits forever.

        Returns
        -------
        bool
            Whether the token is cancelled.
        """
        return self._event.wait(timeout)

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"
