"""Compare a loaded recording with a SpikeInterface fixture's ``expected.json``."""

from __future__ import annotations

import hashlib

import numpy as np

FLOAT_TOLERANCE = {"rtol": 1e-6, "atol": 1e-4}


def check_recording_metadata(recording, expected: dict) -> None:
    """Ids, sizes, dtype, scaling, locations, groups and t_starts."""
    assert recording.sampling_frequency == expected["sampling_frequency"]
    assert recording.get_num_channels() == expected["num_channels"]
    assert recording.channel_ids.tolist() == expected["channel_ids"]["values"]
    assert recording.get_num_segments() == expected["num_segments"]
    assert [recording.get_num_samples(i) for i in range(recording.get_num_segments())] == expected[
        "num_samples"
    ]
    assert recording.get_dtype() == np.dtype(expected["dtype"])
    np.testing.assert_allclose(recording.get_channel_gains(), expected["gain_to_uV"])
    np.testing.assert_allclose(recording.get_channel_offsets(), expected["offset_to_uV"])
    np.testing.assert_allclose(recording.get_channel_locations(), expected["channel_locations"])
    assert recording.get_channel_groups().tolist() == expected["channel_groups"]
    for index, t_start in enumerate(expected["t_starts"]):
        assert recording.get_times(index)[0] == t_start


def check_recording_properties(recording, expected: dict) -> None:
    """Every property's values and dtype (``contact_vector`` by its fields)."""
    for key, spec in expected["properties"].items():
        values = recording.get_property(key)
        assert values is not None, f"property {key} missing"
        if key == "contact_vector":
            assert len(values) == spec["len"]
            assert {"x", "y", "device_channel_indices"} <= set(values.dtype.names)
            continue
        assert values.dtype == np.dtype(spec["numpy_dtype"]), key
        if values.dtype.kind == "f":
            np.testing.assert_allclose(values, spec["values"])
        else:
            assert values.tolist() == spec["values"], key


def check_recording_annotations(recording, expected: dict) -> None:
    """Annotations (values compared after JSON-like conversion)."""
    for key, value in expected["annotations"].items():
        got = recording.get_annotation(key)
        if isinstance(got, np.ndarray):
            got = got.tolist()
        assert got == value, key


def check_recording_traces(recording, expected: dict) -> None:
    """Per segment: sha256, sums, rows, min/max, scaled values and a channel-id window."""
    for index, segment in enumerate(expected["segments"]):
        raw = recording.get_traces(segment_index=index)
        assert list(raw.shape) == segment["shape"]
        digest = hashlib.sha256(np.ascontiguousarray(raw, dtype="<i2").tobytes()).hexdigest()
        assert digest == segment["raw_sha256_C_order_little_endian"]
        assert int(raw.astype(np.int64).sum()) == segment["raw_sum_int64"]
        first = segment["raw_first_rows"]
        assert raw[: len(first)].tolist() == first
        assert raw[-1].tolist() == segment["raw_last_row"]
        assert raw[1000:1002].tolist() == segment["raw_rows_1000_1002"]
        assert raw.min(axis=0).tolist() == segment["raw_channel_min"]
        assert raw.max(axis=0).tolist() == segment["raw_channel_max"]
        scaled = recording.get_traces(segment_index=index, return_scaled=True)
        assert scaled.dtype == np.dtype(segment["scaled_dtype"])
        scaled_first = np.asarray(segment["scaled_first_rows"])
        np.testing.assert_allclose(scaled[: len(scaled_first)], scaled_first, **FLOAT_TOLERANCE)
        np.testing.assert_allclose(
            scaled.astype(np.float64).sum(), segment["scaled_sum_float64"], rtol=1e-6
        )
        np.testing.assert_allclose(
            scaled.astype(np.float64).mean(axis=0),
            segment["scaled_mean_per_channel"],
            **FLOAT_TOLERANCE,
        )
        window = segment["window_read"]
        values = recording.get_traces(
            segment_index=index,
            start_frame=window["start_frame"],
            end_frame=window["end_frame"],
            channel_ids=window["channel_ids"],
        )
        assert values.tolist() == window["values"]


def check_recording_probe(recording, expected: dict) -> None:
    """Contact positions, shapes, shank ids and wiring of each probe."""
    probegroup = recording.get_probegroup()
    assert len(probegroup.probes) == expected["probe"]["num_probes"]
    for probe, spec in zip(probegroup.probes, expected["probe"]["probes"]):
        np.testing.assert_allclose(probe.contact_positions, spec["contact_positions"])
        assert probe.contact_shapes.tolist() == spec["contact_shapes"]
        assert probe.device_channel_indices.tolist() == spec["device_channel_indices"]
        assert (probe.probe_planar_contour is not None) == spec["has_planar_contour"]


def check_recording_against_expected(recording, expected: dict) -> None:
    """All of the above."""
    check_recording_metadata(recording, expected)
    check_recording_properties(recording, expected)
    check_recording_annotations(recording, expected)
    check_recording_traces(recording, expected)
    check_recording_probe(recording, expected)
