"""Template tools and the Templates container, on hand-made templates of a 2-column probe.

Channels ``c0..c5`` sit at x = 0 (c0, c1, c2) and x = 20 (c3, c4, c5), y = 0, 20, 40. Templates
have 5 samples, the spike at sample ``NBEFORE = 2``:

- unit 0: ``SHAPE * [10, 6, 2, 5, 4, 1]`` with ``SHAPE = [0, 0, -1, 0.5, 0]``;
- unit 1: ``SHAPE * [1, 2, 3, 4, 8, 5]``;
- unit 2: c2 = ``[0, 3, -1, -2, 0]`` (largest positive peak), c5 = ``[0, 0, -0.5, -4, 1]``
  (deepest trough, one sample late), zeros elsewhere.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from probeinterface import Probe

from core.waveforms import (
    Templates,
    get_template_amplitudes,
    get_template_channel_sparsity,
    get_template_extremum_amplitude,
    get_template_extremum_channel,
    get_template_extremum_channel_peak_shift,
)

NBEFORE = 2
SAMPLING_FREQUENCY = 10_000.0
CHANNEL_IDS = np.array(["c0", "c1", "c2", "c3", "c4", "c5"])
UNIT_IDS = np.array([0, 1, 2])
LOCATIONS = np.array([[0, 0], [0, 20], [0, 40], [20, 0], [20, 20], [20, 40]], dtype=float)
SHAPE = np.array([0.0, 0.0, -1.0, 0.5, 0.0])


def make_array() -> np.ndarray:
    array = np.zeros((3, 5, 6))
    array[0] = SHAPE[:, None] * np.array([10, 6, 2, 5, 4, 1])
    array[1] = SHAPE[:, None] * np.array([1, 2, 3, 4, 8, 5])
    array[2, :, 2] = [0, 3, -1, -2, 0]
    array[2, :, 5] = [0, 0, -0.5, -4, 1]
    return array


def make_probe() -> Probe:
    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(positions=LOCATIONS, shapes="circle", shape_params={"radius": 5})
    return probe


def make_templates(**kwargs) -> Templates:
    arguments = dict(
        templates_array=make_array(),
        sampling_frequency=SAMPLING_FREQUENCY,
        nbefore=NBEFORE,
        channel_ids=CHANNEL_IDS,
        unit_ids=UNIT_IDS,
        probe=make_probe(),
    )
    arguments.update(kwargs)
    return Templates(**arguments)


def make_sparse_templates() -> Templates:
    mask = np.zeros((3, 6), dtype=bool)
    mask[0, [0, 1, 3]] = True
    mask[1, [3, 4, 5]] = True
    mask[2, [2, 5]] = True
    dense = make_array()
    sparse = np.zeros((3, 5, 3))
    for unit_index, row in enumerate(mask):
        sparse[unit_index, :, : row.sum()] = dense[unit_index][:, row]
    return make_templates(templates_array=sparse, sparsity_mask=mask)


class FakeWaveformExtractor:
    """The WaveformExtractor members that template tools use, over fixed dense templates."""

    def __init__(self, templates: np.ndarray) -> None:
        self.unit_ids = UNIT_IDS
        self.channel_ids = CHANNEL_IDS
        self.nbefore = NBEFORE
        self._templates = templates

    def get_all_templates(self, unit_ids=None, mode="average") -> np.ndarray:
        if mode != "average":
            raise ValueError(f"mode {mode!r} not computed")
        return self._templates.copy()


# ---------------------------------------------------------------------- amplitudes
@pytest.mark.parametrize(
    ("peak_sign", "expected_unit_2"),
    [("neg", [0, 0, 2, 0, 0, 4]), ("pos", [0, 0, 3, 0, 0, 1]), ("both", [0, 0, 3, 0, 0, 4])],
)
def test_amplitudes_extremum(peak_sign, expected_unit_2):
    amplitudes = get_template_amplitudes(make_templates(), peak_sign=peak_sign)
    assert list(amplitudes) == [0, 1, 2]
    np.testing.assert_array_equal(amplitudes[2], expected_unit_2)


def test_amplitudes_extremum_neg_is_trough_depth():
    amplitudes = get_template_amplitudes(make_templates())
    np.testing.assert_array_equal(amplitudes[0], [10, 6, 2, 5, 4, 1])
    np.testing.assert_array_equal(amplitudes[1], [1, 2, 3, 4, 8, 5])


@pytest.mark.parametrize(
    ("peak_sign", "expected_unit_2"),
    [
        ("neg", [0, 0, 1, 0, 0, 0.5]),
        ("pos", [0, 0, -1, 0, 0, -0.5]),
        ("both", [0, 0, 1, 0, 0, 0.5]),
    ],
)
def test_amplitudes_at_index_read_sample_nbefore(peak_sign, expected_unit_2):
    amplitudes = get_template_amplitudes(make_templates(), peak_sign=peak_sign, mode="at_index")
    np.testing.assert_array_equal(amplitudes[2], expected_unit_2)


def test_amplitudes_from_waveform_extractor_equal_templates():
    from_we = get_template_amplitudes(FakeWaveformExtractor(make_array()), peak_sign="both")
    from_templates = get_template_amplitudes(make_templates(), peak_sign="both")
    for unit_id in UNIT_IDS:
        np.testing.assert_array_equal(from_we[unit_id], from_templates[unit_id])


def test_amplitudes_of_sparse_templates_use_dense_templates():
    amplitudes = get_template_amplitudes(make_sparse_templates())
    np.testing.assert_array_equal(amplitudes[0], [10, 6, 0, 5, 0, 0])


# ---------------------------------------------------------------------- extremum channel
@pytest.mark.parametrize(
    ("peak_sign", "expected"),
    [
        ("neg", {0: "c0", 1: "c4", 2: "c5"}),
        ("pos", {0: "c0", 1: "c4", 2: "c2"}),
        ("both", {0: "c0", 1: "c4", 2: "c5"}),
    ],
)
def test_extremum_channel_ids(peak_sign, expected):
    assert get_template_extremum_channel(make_templates(), peak_sign=peak_sign) == expected


def test_extremum_channel_indices():
    channels = get_template_extremum_channel(make_templates(), outputs="index")
    assert channels == {0: 0, 1: 4, 2: 5}


def test_extremum_channel_at_index():
    channels = get_template_extremum_channel(make_templates(), mode="at_index")
    assert channels[2] == "c2"


def test_extremum_channel_compares_absolute_amplitudes():
    # at sample nbefore unit 2 is -1 on c2 and -0.5 on c5: "pos" picks the largest magnitude
    channels = get_template_extremum_channel(make_templates(), peak_sign="pos", mode="at_index")
    assert channels[2] == "c2"


def test_extremum_channel_from_waveform_extractor():
    channels = get_template_extremum_channel(FakeWaveformExtractor(make_array()), outputs="index")
    assert channels == {0: 0, 1: 4, 2: 5}


# ---------------------------------------------------------------------- peak shift
@pytest.mark.parametrize(
    ("peak_sign", "expected"),
    [("neg", {0: 0, 1: 0, 2: 1}), ("pos", {0: 1, 1: 1, 2: -1}), ("both", {0: 0, 1: 0, 2: 1})],
)
def test_peak_shift(peak_sign, expected):
    shifts = get_template_extremum_channel_peak_shift(make_templates(), peak_sign=peak_sign)
    assert shifts == expected
    assert all(isinstance(shift, int) for shift in shifts.values())


# ---------------------------------------------------------------------- extremum amplitude
def test_extremum_amplitude_default_is_at_index_neg():
    assert get_template_extremum_amplitude(make_templates()) == {0: 10.0, 1: 8.0, 2: 1.0}


def test_extremum_amplitude_at_index_pos_keeps_sign():
    amplitudes = get_template_extremum_amplitude(make_templates(), peak_sign="pos")
    assert amplitudes == {0: -10.0, 1: -8.0, 2: -1.0}


def test_extremum_amplitude_extremum_mode():
    amplitudes = get_template_extremum_amplitude(
        make_templates(), peak_sign="both", mode="extremum"
    )
    assert amplitudes == {0: 10.0, 1: 8.0, 2: 4.0}


# ---------------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    ("function", "kwargs", "name"),
    [
        (get_template_amplitudes, {"peak_sign": "up"}, "peak_sign"),
        (get_template_amplitudes, {"mode": "mean"}, "mode"),
        (get_template_extremum_channel, {"outputs": "name"}, "outputs"),
        (get_template_extremum_channel_peak_shift, {"peak_sign": "max"}, "peak_sign"),
        (get_template_extremum_amplitude, {"mode": "peak"}, "mode"),
    ],
)
def test_invalid_choice_raises_naming_argument(function, kwargs, name):
    with pytest.raises(ValueError, match=name):
        function(make_templates(), **kwargs)


def test_other_objects_raise_type_error():
    with pytest.raises(TypeError, match="templates_or_waveform_extractor"):
        get_template_amplitudes(make_array())


# ---------------------------------------------------------------------- deprecated sparsity
def test_template_channel_sparsity_is_deprecated_and_returns_ids():
    with pytest.warns(DeprecationWarning, match="compute_sparsity"):
        channels = get_template_channel_sparsity(make_templates(), radius_um=20.0)
    assert channels[2].tolist() == ["c2", "c4", "c5"]


def test_template_channel_sparsity_returns_indices():
    with pytest.warns(DeprecationWarning):
        channels = get_template_channel_sparsity(
            make_templates(), method="best_channels", num_channels=2, outputs="index"
        )
    assert channels[0].tolist() == [0, 1]


# ---------------------------------------------------------------------- Templates
def test_templates_derived_attributes():
    templates = make_templates()
    assert (templates.num_units, templates.num_samples, templates.num_channels) == (3, 5, 6)
    assert templates.nafter == 3
    assert templates.ms_before == pytest.approx(0.2)
    assert templates.ms_after == pytest.approx(0.3)
    assert templates.sparsity is None
    assert not templates.are_templates_sparse()


def test_templates_default_ids():
    templates = Templates(make_array(), SAMPLING_FREQUENCY, NBEFORE)
    assert templates.unit_ids.tolist() == [0, 1, 2]
    assert templates.channel_ids.tolist() == [0, 1, 2, 3, 4, 5]


def test_sparse_templates_take_num_channels_from_mask():
    templates = make_sparse_templates()
    assert templates.num_channels == 6
    assert templates.are_templates_sparse()
    assert templates.sparsity.unit_id_to_channel_ids[2].tolist() == ["c2", "c5"]


def test_sparse_templates_densify():
    dense = make_sparse_templates().get_dense_templates()
    expected = make_array()
    expected[0][:, [2, 4, 5]] = 0
    expected[1][:, [0, 1, 2]] = 0
    np.testing.assert_array_equal(dense, expected)


def test_one_sparse_template_densified():
    template = make_sparse_templates().get_one_template_dense(2)
    np.testing.assert_array_equal(template, make_array()[2])


def test_templates_with_values_outside_the_mask_raise():
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 5] = False
    with pytest.raises(ValueError, match="not sparse"):
        make_templates(sparsity_mask=mask)


def test_templates_sparsity_check_can_be_skipped():
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 5] = False
    templates = make_templates(sparsity_mask=mask, check_for_consistent_sparsity=False)
    assert templates.sparsity.mask.sum() == 17


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"templates_array": np.zeros((3, 5))}, "templates_array"),
        ({"nbefore": 6}, "nbefore"),
        ({"unit_ids": [0, 1]}, "unit_ids"),
        ({"channel_ids": ["a"]}, "channel_ids"),
        ({"sparsity_mask": np.ones((2, 6), dtype=bool)}, "sparsity_mask"),
        ({"sampling_frequency": 0.0}, "sampling_frequency"),
    ],
)
def test_templates_invalid_arguments_raise_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_templates(**kwargs)


def test_templates_channel_locations_come_from_the_probe():
    np.testing.assert_array_equal(make_templates().get_channel_locations(), LOCATIONS)


def test_templates_without_probe_have_no_locations():
    with pytest.raises(ValueError, match="probe"):
        make_templates(probe=None).get_channel_locations()


def test_templates_equality():
    assert make_templates() == make_templates()
    assert make_templates() != make_templates(nbefore=1)
    assert make_templates() != make_templates(probe=None)


def test_templates_dict_round_trip():
    templates = make_sparse_templates()
    assert Templates.from_dict(templates.to_dict()) == templates


def test_templates_json_round_trip():
    templates = make_sparse_templates()
    text = templates.to_json()
    assert json.loads(text)["nbefore"] == NBEFORE
    assert Templates.from_json(text) == templates


def test_templates_zarr_round_trip_dense(tmp_path):
    templates = make_templates(templates_array=make_array().astype("float32"))
    templates.to_zarr(tmp_path / "templates.zarr")
    loaded = Templates.from_zarr(tmp_path / "templates.zarr")
    assert loaded == templates
    assert loaded.templates_array.dtype == np.float32
    assert (tmp_path / "templates.zarr" / ".zgroup").is_file()


def test_templates_zarr_round_trip_sparse_with_probe(tmp_path):
    templates = make_sparse_templates()
    templates.to_zarr(tmp_path / "templates.zarr")
    loaded = Templates.from_zarr(tmp_path / "templates.zarr")
    assert loaded == templates
    np.testing.assert_array_equal(loaded.get_channel_locations(), LOCATIONS)


def test_templates_to_zarr_replaces_existing_folder(tmp_path):
    make_templates().to_zarr(tmp_path / "templates.zarr")
    make_templates(nbefore=1).to_zarr(tmp_path / "templates.zarr")
    assert Templates.from_zarr(tmp_path / "templates.zarr").nbefore == 1


def test_templates_to_zarr_never_replaces_other_data(tmp_path):
    recording_folder = tmp_path / "my_recording"
    recording_folder.mkdir()
    (recording_folder / "traces_cached_seg0.raw").write_bytes(b"precious")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("precious")
    for target in (recording_folder, a_file):
        with pytest.raises(ValueError, match=f"{target.name} exists and is not a Templates"):
            make_templates().to_zarr(target)
    assert (recording_folder / "traces_cached_seg0.raw").read_bytes() == b"precious"
    assert a_file.read_text() == "precious"
    (tmp_path / "empty").mkdir()
    make_templates().to_zarr(tmp_path / "empty")
    assert Templates.from_zarr(tmp_path / "empty").nbefore == make_templates().nbefore


def test_templates_from_missing_zarr_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.zarr"):
        Templates.from_zarr(tmp_path / "missing.zarr")
