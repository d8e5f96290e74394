"""Checks of the arguments every kind of extractor takes: rates, frames, dtypes, ids.

Each check returns the value in its canonical type or raises ``TypeError`` (wrong kind of value)
or ``ValueError`` (right kind, impossible value) with a message that names the argument and says
what was expected.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def checked_sampling_frequency(value, argument: str = "sampling_frequency") -> float:
    """``value`` as a float number of Hz: finite and positive.

    Parameters
    ----------
    value : int | float | numpy number
        The rate in Hz.
    argument : str
        Name of the argument, for messages.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If it is not a real number (strings, booleans and None are refused).
    ValueError
        If it is not finite or not positive.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number of Hz, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{argument} must be a finite positive number of Hz, got {value}")
    return value


def checked_whole_number(value, argument: str, expected: str = "an integer") -> int:
    """``value`` as an int; integral floats such as ``90000.0`` are accepted.

    Parameters
    ----------
    value : int | float | numpy number
        The number.
    argument : str
        Name of the argument, for messages.
    expected : str
        What the argument is, for messages (``"an integer sample index"``).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If it is not a number (or is a boolean).
    ValueError
        If it is not a whole number.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be {expected}, got {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if not math.isfinite(value) or not float(value).is_integer():
        raise ValueError(f"{argument} must be a whole number, got {value!r}")
    return int(value)


def checked_frame(value, argument: str) -> int | None:
    """A sample index as an int (None passes through); see `checked_whole_number`.

    Raises
    ------
    TypeError
        If it is not a number (or is a boolean).
    ValueError
        If it is not a whole number of samples.
    """
    if value is None:
        return None
    try:
        return checked_whole_number(value, argument, "an integer sample index")
    except ValueError:
        raise ValueError(f"{argument} must be a whole number of samples, got {value!r}") from None


def checked_segment_index(value, argument: str = "segment_index") -> int:
    """A segment index as an int (range is checked by the extractor that knows its segments).

    Raises
    ------
    TypeError
        If it is not an integer (floats, even integral ones, and booleans are refused).
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument} must be an int, got {value!r}")
    return int(value)


def checked_numeric_dtype(dtype, argument: str = "dtype") -> np.dtype:
    """``dtype`` as a numpy dtype of numbers (integers, unsigned integers or floats).

    Raises
    ------
    TypeError
        If numpy does not understand it, or it is not a numeric dtype (strings, objects,
        booleans, complex numbers, records...).
    """
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{argument} {dtype!r} is not a numpy dtype (expected e.g. 'int16' or 'float32')"
        ) from None
    if resolved.kind not in "iuf":
        raise TypeError(
            f"{argument} must be an integer or float dtype (e.g. 'int16', 'float32'), "
            f"got {resolved}"
        )
    return resolved


def id_kind(value) -> str | None:
    """``"int"`` or ``"str"`` for a valid id value, None otherwise."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, str):
        return "str"
    return None


def check_id_types(ids, argument: str = "ids") -> None:
    """Refuse ids that numpy would silently turn into strings or floats.

    ``np.array([0, "a", 1])`` is an array of three strings: ``0`` and ``"0"`` would then be the
    same id. Lists, tuples and object arrays are checked item by item.

    Raises
    ------
    TypeError
        If an id is neither an integer nor a string, or integers and strings are mixed.
    """
    if isinstance(ids, np.ndarray) and ids.dtype.kind != "O":
        return
    if not isinstance(ids, list | tuple | np.ndarray):
        return
    kinds = set()
    for value in ids:
        kind = id_kind(value)
        if kind is None:
            raise TypeError(
                f"{argument} must be integers or strings, got {value!r} ({type(value).__name__})"
            )
        kinds.add(kind)
    if len(kinds) > 1:
        raise TypeError(
            f"{argument} mixes integers and strings ({list(ids)[:6]!r}): use one type for all ids"
        )


def sampling_frequency_mismatch(first: str, first_rate: float, second: str, second_rate) -> str:
    """The message of every sampling-frequency mismatch: both names and both values.

    Parameters
    ----------
    first, second : str
        What each rate belongs to (``"the recording"``, ``"recording_list[1]"``).
    first_rate, second_rate : float
        The rates in Hz.

    Returns
    -------
    str
    """
    return (
        f"sampling frequency mismatch: {first} has sampling frequency {first_rate} Hz, "
        f"{second} has {second_rate} Hz"
    )
