"""Argument checks shared by the segment utilities and aggregations of every kind of extractor.

Recordings, sortings and snippets are appended, concatenated, aggregated and cut into segment
selections the same way; these checks give them the same rules and the same messages.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from .argument_checks import sampling_frequency_mismatch
from .base import BaseExtractor

ExtractorT = TypeVar("ExtractorT", bound=BaseExtractor)


def check_extractor_list(
    extractor_list: Sequence[ExtractorT],
    extractor_class: type[ExtractorT],
    kind: str,
    argument: str,
) -> list[ExtractorT]:
    """Return ``extractor_list`` as a list after checking it holds at least one extractor.

    Parameters
    ----------
    extractor_list : list | tuple of BaseExtractor
        The objects to combine.
    extractor_class : type
        The class every item must be an instance of.
    kind : str
        What an item is, as messages name it (``"recording"``, ``"sorting"``).
    argument : str
        Name of the argument, used in error messages.

    Returns
    -------
    list of BaseExtractor

    Raises
    ------
    TypeError
        If it is not a list or tuple of ``extractor_class`` instances.
    ValueError
        If it is empty.
    """
    if not isinstance(extractor_list, list | tuple):
        raise TypeError(
            f"{argument} must be a list of {kind}s, got {type(extractor_list).__name__}"
        )
    if len(extractor_list) == 0:
        raise ValueError(f"{argument} is empty: give at least one {kind}")
    for index, extractor in enumerate(extractor_list):
        if not isinstance(extractor, extractor_class):
            raise TypeError(f"{argument}[{index}] must be a {kind}, got {type(extractor).__name__}")
    return list(extractor_list)


def check_sampling_frequencies(
    extractor_list: Sequence[BaseExtractor],
    sampling_frequency_max_diff: float,
    argument: str = "recording_list",
) -> None:
    """Check that sampling rates differ from the first object's by at most a bound.

    Differences within the bound (but not zero) only warn: times drift over long recordings.

    Parameters
    ----------
    extractor_list : sequence of BaseExtractor with a ``sampling_frequency``
        The objects to combine.
    sampling_frequency_max_diff : float
        Largest allowed difference in Hz (>= 0).
    argument : str
        Name of the list argument, used in messages.

    Raises
    ------
    ValueError
        If the bound is negative or an object's rate is further away than the bound.
    """
    if not sampling_frequency_max_diff >= 0:
        raise ValueError(
            f"sampling_frequency_max_diff must be >= 0, got {sampling_frequency_max_diff}"
        )
    reference = extractor_list[0].sampling_frequency
    for index, extractor in enumerate(extractor_list[1:], start=1):
        rate = extractor.sampling_frequency
        diff = abs(rate - reference)
        if diff > sampling_frequency_max_diff:
            raise ValueError(
                sampling_frequency_mismatch(
                    f"{argument}[{index}]", rate, f"{argument}[0]", reference
                )
                + f": {diff} Hz apart, more than "
                f"sampling_frequency_max_diff={sampling_frequency_max_diff} Hz"
            )
        if diff > 0:
            shift_ms = 24 * 3600 * 1000 * diff / reference
            warnings.warn(
                f"{argument}[{index}] has sampling frequency {rate} Hz and {argument}[0] "
                f"{reference} Hz: "
                "within sampling_frequency_max_diff, combining anyway "
                f"(expect ~{shift_ms:.5g} ms shift over 24 h)",
                stacklevel=3,
            )


def check_segment_indices(
    segment_indices: int | Sequence[int], num_segments: int, holder: str
) -> list[int]:
    """Return the segments a segment selection keeps, as a list of ints.

    Parameters
    ----------
    segment_indices : int | list | tuple | np.ndarray of int
        Segments to keep, each ``0 <= i < num_segments``, in the order wanted.
    num_segments : int
        Segments of the object the selection is made from.
    holder : str
        That object and its verb, as messages name them (``"the recording has"``).

    Returns
    -------
    list of int

    Raises
    ------
    TypeError
        If ``segment_indices`` is not an int or a sequence of ints (booleans are not ints here).
    ValueError
        If it is empty or an index is out of range.
    """
    if isinstance(segment_indices, int | np.integer) and not isinstance(segment_indices, bool):
        segment_indices = [segment_indices]
    if not isinstance(segment_indices, list | tuple | np.ndarray) or not all(
        isinstance(i, int | np.integer) and not isinstance(i, bool) for i in segment_indices
    ):
        raise TypeError(
            f"segment_indices must be an int or a list of ints, got {segment_indices!r}"
        )
    if len(segment_indices) == 0:
        raise ValueError("segment_indices is empty: select at least one segment")
    for index in segment_indices:
        if not 0 <= index < num_segments:
            raise ValueError(
                f"segment_indices: {index} is out of range, {holder} {num_segments} segments"
            )
    return [int(i) for i in segment_indices]
