"""Memory sizes ("100M", "2Gi") and durations ("500ms", 1.5): parsed for job keyword arguments,
written for people (``convert_bytes_to_str``, ``convert_seconds_to_str``)."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

import numpy as np

__all__ = [
    "convert_bytes_to_str",
    "convert_seconds_to_str",
    "parse_duration_seconds",
    "parse_memory_size",
]

_MEMORY_PATTERN = re.compile(
    r"^\s*(?P<number>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(?P<prefix>[kmgt]i?)?b?\s*$",
    re.IGNORECASE,
)
_MEMORY_PREFIXES = {
    "": 1,
    "k": 1000,
    "m": 1000**2,
    "g": 1000**3,
    "t": 1000**4,
    "ki": 1024,
    "mi": 1024**2,
    "gi": 1024**3,
    "ti": 1024**4,
}
_DURATION_PATTERN = re.compile(
    r"^\s*(?P<number>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(?P<unit>ms|s)\s*$", re.IGNORECASE
)


def _as_positive_finite(value: Any, name: str) -> float:
    """Return a real number as float, rejecting booleans, non-finite and non-positive values."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number or a string, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


def parse_memory_size(memory: str | float, name: str = "memory") -> int:
    """Convert a memory size such as ``"100M"`` to a number of bytes.

    Parameters
    ----------
    memory : str, int or float
        A number of bytes, or a string with an optional decimal prefix ``k``, ``M``, ``G``,
        ``T`` (powers of 1000) or binary prefix ``Ki``, ``Mi``, ``Gi``, ``Ti`` (powers of 1024),
        optionally followed by ``B``: ``"500k"``, ``"1G"``, ``"1.5GB"``, ``"512Mi"``.
    name : str, default: "memory"
        Argument name used in error messages.

    Returns
    -------
    int
        The number of bytes.

    Raises
    ------
    ValueError
        If the string cannot be parsed or the size is not positive.
    TypeError
        If ``memory`` is neither a string nor a number.
    """
    if isinstance(memory, str):
        match = _MEMORY_PATTERN.match(memory)
        if match is None:
            raise ValueError(f"{name} must be a size like '100M', '1G' or '500k', got {memory!r}")
        prefix = (match["prefix"] or "").lower()
        memory = float(match["number"]) * _MEMORY_PREFIXES[prefix]
    return int(_as_positive_finite(memory, name))


def parse_duration_seconds(duration: str | float, name: str = "chunk_duration") -> float:
    """Convert a duration such as ``"500ms"`` or ``1.5`` to seconds.

    Parameters
    ----------
    duration : str, float or int
        Seconds as a number (ints are accepted, unlike SpikeInterface 0.100), or a string
        ending in ``"s"`` or ``"ms"``: ``"1s"``, ``"1.5s"``, ``"500ms"``.
    name : str, default: "chunk_duration"
        Argument name used in error messages.

    Returns
    -------
    float
        The duration in seconds.

    Raises
    ------
    ValueError
        If the string cannot be parsed or the duration is not positive.
    TypeError
        If ``duration`` is neither a string nor a number.
    """
    if isinstance(duration, str):
        match = _DURATION_PATTERN.match(duration)
        if match is None:
            raise ValueError(
                f"{name} must be seconds or a string ending in 's' or 'ms' "
                f"(e.g. '1s', '500ms'), got {duration!r}"
            )
        scale = 1e-3 if match["unit"].lower() == "ms" else 1.0
        duration = float(match["number"]) * scale
    return _as_positive_finite(duration, name)


def convert_bytes_to_str(byte_value: int) -> str:
    """A number of bytes with a binary unit: ``"1.00 KiB"``, ``"43.99 KiB"``, ``"2.50 GiB"``.

    Parameters
    ----------
    byte_value : int

    Returns
    -------
    str
        Two decimals and the largest of B, KiB, MiB, GiB, TiB that keeps the number >= 1.
    """
    value = float(byte_value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} TiB"


def convert_seconds_to_str(seconds: float, long_notation: bool = True) -> str:
    """A duration in seconds for people: ``"1,234.00s (20.57 minutes)"``.

    Parameters
    ----------
    seconds : float
    long_notation : bool, default: True
        Add the duration in a more readable unit: ms below a second, minutes below an hour,
        hours below two days, days beyond.

    Returns
    -------
    str
    """
    text = f"{seconds:,.2f}s"
    if not long_notation or 1.0 <= seconds < 60:
        return text
    if seconds < 1.0:
        return f"{text} ({seconds * 1000:.2f} ms)"
    if seconds < 3600:
        return f"{text} ({seconds / 60:.2f} minutes)"
    if seconds < 2 * 86400:
        return f"{text} ({seconds / 3600:.2f} hours)"
    return f"{text} ({seconds / 86400:.2f} days)"
