"""Where the window's long jobs run: on this machine, or on a Dask cluster (Qt-free).

A `JobLocation` turns into the job keyword arguments of a ``core`` call (``pool_engine="dask"``
and ``dask_client=<scheduler address>``) and is remembered in the application settings.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["SETTINGS_KEY", "JobLocation", "distributed_available"]

#: Settings key of the scheduler address ("" for this machine).
SETTINGS_KEY = "jobs/scheduler_address"

_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
# host (name, IPv4 or bracketed IPv6) and port, after an optional scheme
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})$"
)


class SettingsLike(Protocol):
    """The part of ``QSettings`` used here."""

    def value(self, key: str, default: Any = None, type: Any = None) -> Any: ...

    def setValue(self, key: str, value: Any) -> None: ...


def distributed_available() -> bool:
    """Whether the optional dependency ``distributed`` is installed (it is not imported)."""
    return importlib.util.find_spec("distributed") is not None


@dataclass(frozen=True)
class JobLocation:
    """Where jobs run.

    Parameters
    ----------
    scheduler_address : str or None, default: None
        The Dask scheduler (``tcp://host:8786``; a bare ``host:port`` gets ``tcp://``), or None
        for this machine.

    Raises
    ------
    ValueError
        If the address is not ``[scheme://]host:port``.
    """

    scheduler_address: str | None = None

    def __post_init__(self) -> None:
        if self.scheduler_address is not None:
            object.__setattr__(self, "scheduler_address", _checked(self.scheduler_address))

    @classmethod
    def parse(cls, text: str) -> JobLocation:
        """The location a user typed: empty for this machine, else a scheduler address.

        Raises
        ------
        ValueError
            If the address is not ``[scheme://]host:port``.
        """
        text = text.strip()
        return cls(text or None)

    @property
    def is_local(self) -> bool:
        """bool: Whether jobs run on this machine."""
        return self.scheduler_address is None

    def describe(self) -> str:
        """``"this machine"`` or ``"Dask scheduler tcp://host:8786"``."""
        return "this machine" if self.is_local else f"Dask scheduler {self.scheduler_address}"

    def job_kwargs(self) -> dict[str, Any]:
        """Job keyword arguments that send a ``core`` call there ({} for this machine)."""
        if self.is_local:
            return {}
        return {"pool_engine": "dask", "dask_client": self.scheduler_address}

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> JobLocation:
        """The location remembered in ``settings``; this machine if none or if invalid."""
        text = settings.value(SETTINGS_KEY, "", type=str) or ""
        try:
            return cls.parse(text)
        except ValueError:
            return cls()

    def to_settings(self, settings: SettingsLike) -> None:
        """Remember this location in ``settings``."""
        settings.setValue(SETTINGS_KEY, self.scheduler_address or "")


def _checked(address: str) -> str:
    match = _ADDRESS.match(address.strip())
    if match is None or not 0 < int(match["port"]) < 65536:
        raise ValueError(
            f"scheduler address {address!r}: expected host:port, e.g. tcp://scheduler:8786"
        )
    scheme = match["scheme"] or "tcp"
    if scheme not in _SCHEMES:
        raise ValueError(
            f"scheduler address {address!r}: the scheme must be one of {', '.join(_SCHEMES)}"
        )
    return f"{scheme}://{match['host']}:{match['port']}"
