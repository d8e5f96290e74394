"""Checks for tests: two recordings, sortings or extractors hold the same data.

SpikeInterface's ``spikeinterface.core.testing``. Like ``numpy.testing``, each check raises
``AssertionError`` (with a message saying what differs) when the objects differ, and returns
None otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.testing import assert_array_equal

if TYPE_CHECKING:
    from .base import BaseExtractor
    from .recording.base import BaseRecording
    from .sorting.base import BaseSorting

__all__ = [
    "check_extractor_annotations_equal",
    "check_extractor_properties_equal",
    "check_recordings_equal",
    "check_sorted_arrays_equal",
    "check_sortings_equal",
]


def _require(condition, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_sorted_arrays_equal(a1, a2) -> None:
    """Check that two arrays hold the same values, whatever their order.

    Raises
    ------
    AssertionError
    """
    assert_array_equal(np.sort(np.array(a1)), np.sort(np.array(a2)))


def _traces_close(rx1, rx2, force_dtype, **kwargs) -> bool:
    traces1, traces2 = rx1.get_traces(**kwargs), rx2.get_traces(**kwargs)
    if force_dtype is not None:
        traces1, traces2 = traces1.astype(force_dtype), traces2.astype(force_dtype)
    return traces1.shape == traces2.shape and np.allclose(traces1, traces2)


def check_recordings_equal(
    RX1: BaseRecording,
    RX2: BaseRecording,
    return_scaled: bool = True,
    force_dtype=None,
    check_annotations: bool = False,
    check_properties: bool = False,
) -> None:
    """Check that two recordings have the same segments, channels, rate and traces.

    Parameters
    ----------
    RX1, RX2 : BaseRecording
    return_scaled : bool, default: True
        Compare scaled traces.
    force_dtype : numpy dtype-like or None, default: None
        Cast both traces to this dtype before comparing.
    check_annotations, check_properties : bool, default: False
        Also compare annotations / properties.

    Raises
    ------
    AssertionError
    """
    _require(
        RX1.get_num_segments() == RX2.get_num_segments(),
        f"segments differ: {RX1.get_num_segments()} != {RX2.get_num_segments()}",
    )
    _require(
        np.array_equal(RX1.get_channel_ids(), RX2.get_channel_ids()),
        f"channel ids differ: {RX1.get_channel_ids()} != {RX2.get_channel_ids()}",
    )
    _require(
        np.isclose(RX1.get_sampling_frequency(), RX2.get_sampling_frequency()),
        "sampling frequencies differ",
    )
    ids = RX1.get_channel_ids()
    some_channels = [ids[0], ids[-1]] if len(ids) > 1 else list(ids[:1])
    for segment_index in range(RX1.get_num_segments()):
        num_samples = RX1.get_num_samples(segment_index)
        _require(
            num_samples == RX2.get_num_samples(segment_index),
            f"segment {segment_index}: lengths differ",
        )
        _require(
            _traces_close(
                RX1, RX2, force_dtype, segment_index=segment_index, return_scaled=return_scaled
            ),
            f"segment {segment_index}: traces differ",
        )
        _require(
            _traces_close(
                RX1,
                RX2,
                force_dtype,
                segment_index=segment_index,
                channel_ids=some_channels,
                start_frame=0,
                end_frame=num_samples,
                return_scaled=return_scaled,
            ),
            f"segment {segment_index}: traces of channels {some_channels} differ",
        )
    if check_annotations:
        check_extractor_annotations_equal(RX1, RX2)
    if check_properties:
        check_extractor_properties_equal(RX1, RX2)


def check_sortings_equal(
    SX1: BaseSorting,
    SX2: BaseSorting,
    check_annotations: bool = False,
    check_properties: bool = False,
) -> None:
    """Check that two sortings have the same segments, unit ids and spike trains.

    Trains are also compared cut at frame 30 and 30 frames before the last spike.

    Parameters
    ----------
    SX1, SX2 : BaseSorting
    check_annotations, check_properties : bool, default: False
        Also compare annotations / properties.

    Raises
    ------
    AssertionError
    """
    _require(
        SX1.get_num_segments() == SX2.get_num_segments(),
        f"segments differ: {SX1.get_num_segments()} != {SX2.get_num_segments()}",
    )
    ids1, ids2 = np.sort(np.array(SX1.get_unit_ids())), np.sort(np.array(SX2.get_unit_ids()))
    assert_array_equal(ids1, ids2)
    spikes = SX1.to_spike_vector()
    last = int(spikes["sample_index"].max()) if spikes.size else 0
    bounds = [(None, None), (30, None), (None, last - 30), (30, last - 30)]
    for segment_index in range(SX1.get_num_segments()):
        for unit_id in ids1.tolist():
            for start_frame, end_frame in bounds:
                kwargs = dict(segment_index=segment_index, start_frame=start_frame)
                kwargs["end_frame"] = end_frame
                train1 = np.sort(SX1.get_unit_spike_train(unit_id, **kwargs))
                train2 = np.sort(SX2.get_unit_spike_train(unit_id, **kwargs))
                _require(
                    np.array_equal(train1, train2),
                    f"unit {unit_id!r}, segment {segment_index}, frames "
                    f"[{start_frame}, {end_frame}): spike trains differ",
                )
    if check_annotations:
        check_extractor_annotations_equal(SX1, SX2)
    if check_properties:
        check_extractor_properties_equal(SX1, SX2)


def check_extractor_annotations_equal(EX1: BaseExtractor, EX2: BaseExtractor) -> None:
    """Check that two extractors have the same annotation keys and values.

    Raises
    ------
    AssertionError
    """
    keys1, keys2 = sorted(EX1.get_annotation_keys()), sorted(EX2.get_annotation_keys())
    _require(keys1 == keys2, f"annotation keys differ: {keys1} != {keys2}")
    for key in keys1:
        _require(EX1.get_annotation(key) == EX2.get_annotation(key), f"annotation {key!r} differs")


def check_extractor_properties_equal(EX1: BaseExtractor, EX2: BaseExtractor) -> None:
    """Check that two extractors have the same property keys and values.

    Raises
    ------
    AssertionError
    """
    keys1, keys2 = sorted(EX1.get_property_keys()), sorted(EX2.get_property_keys())
    _require(keys1 == keys2, f"property keys differ: {keys1} != {keys2}")
    for key in keys1:
        assert_array_equal(EX1.get_property(key), EX2.get_property(key))
