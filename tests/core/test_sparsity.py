"""ChannelSparsity and compute_sparsity, on hand-made templates of a 2-column probe.

Channels ``c0..c5`` sit at x = 0 (c0, c1, c2) and x = 20 (c3, c4, c5), y = 0, 20, 40; the probe's
columns are two "tetrode" groups (0 and 1). Templates have 5 samples, the spike at sample 2:

- unit 0: ``SHAPE * [10, 6, 2, 5, 4, 1]`` with ``SHAPE = [0, 0, -1, 0.5, 0]`` (extremum c0);
- unit 1: ``SHAPE * [1, 2, 3, 4, 8, 5]`` (extremum c4);
- unit 2: c2 = ``[0, 3, -1, -2, 0]``, c5 = ``[0, 0, -0.5, -4, 1]``, zeros elsewhere (trough on c5,
  largest positive peak on c2).

Noise levels (cached in the recording's ``noise_level_mad_raw`` property) are 1 on c0..c3 and 2 on
c4, c5.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from probeinterface import Probe

from core.recording import NumpyRecording
from core.sorting import NumpySorting
from core.waveforms import ChannelSparsity, Templates, compute_sparsity

CHANNEL_IDS = np.array(["c0", "c1", "c2", "c3", "c4", "c5"])
UNIT_IDS = np.array([0, 1, 2])
LOCATIONS = np.array([[0, 0], [0, 20], [0, 40], [20, 0], [20, 20], [20, 40]], dtype=float)
SHAPE = np.array([0.0, 0.0, -1.0, 0.5, 0.0])
NOISE = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 2.0])
RADIUS_20_MASK = [
    [1, 1, 0, 1, 0, 0],  # c0 and its neighbours at 20 µm
    [0, 1, 0, 1, 1, 1],  # c4
    [0, 0, 1, 0, 1, 1],  # c5
]


def make_array() -> np.ndarray:
    array = np.zeros((3, 5, 6))
    array[0] = SHAPE[:, None] * np.array([10, 6, 2, 5, 4, 1])
    array[1] = SHAPE[:, None] * np.array([1, 2, 3, 4, 8, 5])
    array[2, :, 2] = [0, 3, -1, -2, 0]
    array[2, :, 5] = [0, 0, -0.5, -4, 1]
    return array


def make_templates() -> Templates:
    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(positions=LOCATIONS, shapes="circle", shape_params={"radius": 5})
    return Templates(
        make_array(), 10_000.0, 2, channel_ids=CHANNEL_IDS, unit_ids=UNIT_IDS, probe=probe
    )


def make_waveforms() -> dict:
    """Two spikes of opposite sign per unit: the root mean square is the absolute level."""
    levels = {0: [3, 1, 0.5, 0, 0, 4], 1: [0, 0, 0, 2, 2, 1]}
    waveforms = {
        unit_id: np.stack([np.ones((5, 6)) * level, -np.ones((5, 6)) * np.array(level)])
        for unit_id, level in levels.items()
    }
    waveforms[2] = np.zeros((0, 5, 6))
    return waveforms


class FakeWaveformExtractor:
    """The WaveformExtractor members that sparsity uses, over real recording and sorting."""

    def __init__(self, with_recording=True, return_scaled=False, sparsity=None):
        recording = NumpyRecording(
            np.zeros((100, 6), dtype="float32"),
            sampling_frequency=10_000.0,
            channel_ids=CHANNEL_IDS,
        )
        recording.set_channel_locations(LOCATIONS)
        recording.set_property("group", [0, 0, 0, 1, 1, 1])
        recording.set_property("noise_level_mad_raw", NOISE)
        recording.set_property("noise_level_mad_scaled", NOISE * 10)
        self._recording = recording if with_recording else None
        self._recording_attributes = recording  # what a recordingless extractor keeps
        self.sorting = NumpySorting.from_unit_dict({u: np.array([10, 50]) for u in UNIT_IDS}, 1e4)
        self.sorting.set_property("group", [1, 0, 1])
        self.unit_ids = UNIT_IDS
        self.channel_ids = CHANNEL_IDS
        self.sampling_frequency = 10_000.0
        self.nbefore, self.nafter, self.nsamples = 2, 3, 5
        self.return_scaled = return_scaled
        self.sparsity = sparsity
        self._waveforms = make_waveforms()

    @property
    def recording(self):
        if self._recording is None:
            raise ValueError("recordingless WaveformExtractor")
        return self._recording

    def has_recording(self) -> bool:
        return self._recording is not None

    def get_channel_locations(self) -> np.ndarray:
        return LOCATIONS.copy()

    def get_all_templates(self, unit_ids=None, mode="average") -> np.ndarray:
        return make_array()

    def get_waveforms(self, unit_id) -> np.ndarray:
        waveforms = self._waveforms[unit_id]
        if self.sparsity is None:
            return waveforms
        return self.sparsity.sparsify_waveforms(waveforms, unit_id)

    def get_recording_property(self, key):
        return self._recording_attributes.get_property(key)

    def is_sparse(self) -> bool:
        return self.sparsity is not None


def small_sparsity() -> ChannelSparsity:
    mask = [[1, 0, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0]]
    return ChannelSparsity(mask, UNIT_IDS, CHANNEL_IDS)


# ---------------------------------------------------------------------- the object
def test_attributes():
    sparsity = small_sparsity()
    assert (sparsity.num_units, sparsity.num_channels) == (3, 6)
    assert sparsity.max_num_active_channels == 3
    assert sparsity.mask.dtype == bool
    assert sparsity.channel_ids.tolist() == CHANNEL_IDS.tolist()


@pytest.mark.parametrize(
    ("mask", "unit_ids", "channel_ids", "name"),
    [
        (np.ones((2, 6)), UNIT_IDS, CHANNEL_IDS, "mask"),
        (np.ones((3, 6)), [[0, 1, 2]], CHANNEL_IDS, "unit_ids"),
        (np.ones((3, 6)), UNIT_IDS, CHANNEL_IDS[:5], "mask"),
    ],
)
def test_inconsistent_shapes_raise_naming_the_argument(mask, unit_ids, channel_ids, name):
    with pytest.raises(ValueError, match=name):
        ChannelSparsity(mask, unit_ids, channel_ids)


def test_unit_id_to_channel_ids():
    channels = small_sparsity().unit_id_to_channel_ids
    assert {unit: ids.tolist() for unit, ids in channels.items()} == {
        0: ["c0", "c2"],
        1: ["c1", "c2", "c3"],
        2: [],
    }


def test_unit_id_to_channel_indices():
    channels = small_sparsity().unit_id_to_channel_indices
    assert channels[1].tolist() == [1, 2, 3]


def test_repr_gives_density():
    assert repr(small_sparsity()) == (
        "ChannelSparsity - units: 3 - channels: 6 - density, P(x=1): 0.28"
    )


def test_equality():
    assert small_sparsity() == small_sparsity()
    assert small_sparsity() != ChannelSparsity.create_dense(make_templates())


# ---------------------------------------------------------------------- waveforms
def test_sparsify_keeps_active_channels():
    waveforms = np.arange(2 * 5 * 6).reshape(2, 5, 6)
    sparse = small_sparsity().sparsify_waveforms(waveforms, unit_id=1)
    np.testing.assert_array_equal(sparse, waveforms[..., [1, 2, 3]])


def test_sparsify_returns_sparse_waveforms_unchanged():
    sparse = np.ones((4, 5, 2))
    assert small_sparsity().sparsify_waveforms(sparse, unit_id=0) is sparse


def test_sparsify_rejects_other_widths():
    with pytest.raises(ValueError, match="waveforms"):
        small_sparsity().sparsify_waveforms(np.ones((4, 5, 4)), unit_id=0)


def test_densify_places_columns_at_active_channels():
    sparse = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    dense = small_sparsity().densify_waveforms(sparse, unit_id=1)
    np.testing.assert_array_equal(dense, [[0, 1, 2, 3, 0, 0]])
    assert dense.dtype == np.float32


def test_densify_accepts_zero_padding():
    dense = small_sparsity().densify_waveforms(np.array([[5.0, 6.0, 0.0]]), unit_id=0)
    np.testing.assert_array_equal(dense, [[5, 0, 6, 0, 0, 0]])


def test_densify_rejects_waveforms_that_are_not_sparse():
    with pytest.raises(ValueError, match="do not look sparse"):
        small_sparsity().densify_waveforms(np.ones((4, 5, 6)), unit_id=0)


def test_sparsify_densify_round_trip():
    sparsity = small_sparsity()
    waveforms = np.arange(2 * 5 * 6, dtype=float).reshape(2, 5, 6) + 1
    expected = waveforms * sparsity.mask[1]
    restored = sparsity.densify_waveforms(sparsity.sparsify_waveforms(waveforms, 1), 1)
    np.testing.assert_array_equal(restored, expected)


def test_are_waveforms_dense_and_sparse():
    sparsity = small_sparsity()
    assert sparsity.are_waveforms_dense(np.ones((3, 5, 6)))
    assert not sparsity.are_waveforms_dense(np.ones((3, 5, 3)))
    assert sparsity.are_waveforms_sparse(np.ones((3, 5, 3)), unit_id=1)
    assert not sparsity.are_waveforms_sparse(np.ones((3, 5, 2)), unit_id=1)


def test_unknown_unit_raises():
    with pytest.raises(ValueError, match="unit_id 7"):
        small_sparsity().sparsify_waveforms(np.ones((1, 5, 6)), unit_id=7)


# ---------------------------------------------------------------------- dictionaries
def test_from_unit_id_to_channel_ids():
    mapping = {0: ["c0", "c2"], 1: ["c3", "c1", "c2"]}
    sparsity = ChannelSparsity.from_unit_id_to_channel_ids(mapping, UNIT_IDS, CHANNEL_IDS)
    assert sparsity == small_sparsity()


def test_from_unit_id_to_channel_ids_rejects_unknown_channels():
    with pytest.raises(ValueError, match="unit_id_to_channel_ids.*'c9'"):
        ChannelSparsity.from_unit_id_to_channel_ids({0: ["c9"]}, UNIT_IDS, CHANNEL_IDS)


def test_to_dict_layout():
    assert small_sparsity().to_dict() == {
        "unit_id_to_channel_ids": {0: ["c0", "c2"], 1: ["c1", "c2", "c3"], 2: []},
        "channel_ids": ["c0", "c1", "c2", "c3", "c4", "c5"],
        "unit_ids": [0, 1, 2],
    }


def test_json_round_trip_restores_integer_unit_ids():
    text = json.dumps(small_sparsity().to_dict())
    assert '"1": ["c1", "c2", "c3"]' in text
    restored = ChannelSparsity.from_dict(json.loads(text))
    assert restored == small_sparsity()
    assert list(restored.unit_id_to_channel_ids) == [0, 1, 2]


def test_from_dict_rejects_missing_keys():
    with pytest.raises(ValueError, match="unit_ids"):
        ChannelSparsity.from_dict({"unit_id_to_channel_ids": {}, "channel_ids": []})


def test_spikeinterface_sparsity_json_gives_expected_mask(si_fixtures):
    folder = si_fixtures / "si_0.100.8" / "waveforms_sparse_folder"
    expected = json.loads((folder / "expected.json").read_text())["sparsity"]
    sparsity = ChannelSparsity.from_dict(
        json.loads((folder / "waveforms/sparsity.json").read_text())
    )
    np.testing.assert_array_equal(sparsity.mask, expected["mask"])
    assert sparsity.unit_ids.tolist() == expected["unit_ids"]["values"]


# ---------------------------------------------------------------------- from templates
def test_create_dense():
    assert ChannelSparsity.create_dense(make_templates()).mask.all()


def test_from_best_channels():
    sparsity = ChannelSparsity.from_best_channels(make_templates(), num_channels=2)
    expected = [[1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1], [0, 0, 1, 0, 0, 1]]
    np.testing.assert_array_equal(sparsity.mask, expected)


def test_from_best_channels_positive_peaks():
    sparsity = ChannelSparsity.from_best_channels(make_templates(), 1, peak_sign="pos")
    assert sparsity.unit_id_to_channel_indices[2].tolist() == [2]


def test_from_best_channels_rejects_zero_channels():
    with pytest.raises(ValueError, match="num_channels"):
        ChannelSparsity.from_best_channels(make_templates(), num_channels=0)


def test_from_radius_keeps_channels_at_the_radius():
    sparsity = ChannelSparsity.from_radius(make_templates(), radius_um=20.0)
    np.testing.assert_array_equal(sparsity.mask, RADIUS_20_MASK)


def test_from_radius_includes_diagonal_neighbours_beyond_28_um():
    sparsity = ChannelSparsity.from_radius(make_templates(), radius_um=30.0)
    assert sparsity.unit_id_to_channel_ids[0].tolist() == ["c0", "c1", "c3", "c4"]


def test_from_radius_of_waveform_extractor_equals_templates():
    from_we = ChannelSparsity.from_radius(FakeWaveformExtractor(), radius_um=20.0)
    assert from_we == ChannelSparsity.from_radius(make_templates(), radius_um=20.0)


def test_from_radius_rejects_negative_radius():
    with pytest.raises(ValueError, match="radius_um"):
        ChannelSparsity.from_radius(make_templates(), radius_um=-1.0)


def test_compute_sparsity_default_is_radius_100():
    assert compute_sparsity(make_templates()).mask.all()
    sparsity = compute_sparsity(make_templates(), radius_um=20.0)
    np.testing.assert_array_equal(sparsity.mask, RADIUS_20_MASK)


def test_radius_on_spikeinterface_templates_matches_spikeinterface(si_fixtures):
    folder = si_fixtures / "si_0.100.8" / "waveforms_sparse_folder"
    expected = json.loads((folder / "expected.json").read_text())
    probe = Probe(ndim=2)
    probe.set_contacts(positions=np.array(expected["channel_locations"]))
    templates = Templates(
        np.load(folder / "waveforms/templates_average.npy"),
        expected["sampling_frequency"],
        expected["nbefore"],
        channel_ids=expected["channel_ids"]["values"],
        unit_ids=expected["unit_ids"]["values"],
        probe=probe,
    )
    sparsity = compute_sparsity(templates, method="radius", radius_um=100.0)
    np.testing.assert_array_equal(sparsity.mask, expected["sparsity"]["mask"])


# ---------------------------------------------------------------------- from a waveform extractor
SNR_2_MASK = [[1, 1, 1, 1, 1, 0], [0, 1, 1, 1, 1, 1], [0, 0, 1, 0, 0, 1]]


def test_from_snr():
    sparsity = ChannelSparsity.from_snr(FakeWaveformExtractor(), threshold=2.0)
    np.testing.assert_array_equal(sparsity.mask, SNR_2_MASK)


def test_threshold_method_is_snr():
    sparsity = compute_sparsity(FakeWaveformExtractor(), method="threshold", threshold=2.0)
    np.testing.assert_array_equal(sparsity.mask, SNR_2_MASK)


def test_snr_uses_scaled_noise_when_the_extractor_is_scaled():
    we = FakeWaveformExtractor(return_scaled=True)
    sparsity = compute_sparsity(we, method="snr", threshold=0.55)
    assert sparsity.unit_id_to_channel_ids[0].tolist() == ["c0", "c1"]


def test_snr_needs_the_recording():
    with pytest.raises(ValueError, match="recording"):
        compute_sparsity(FakeWaveformExtractor(with_recording=False), method="snr")


def test_snr_needs_a_waveform_extractor():
    with pytest.raises(ValueError, match="WaveformExtractor"):
        compute_sparsity(make_templates(), method="snr")
    with pytest.raises(TypeError, match="we"):
        ChannelSparsity.from_snr(make_templates(), threshold=2.0)


def test_from_ptp():
    sparsity = compute_sparsity(FakeWaveformExtractor(), method="ptp", threshold=5.0)
    expected = [[1, 1, 0, 1, 0, 0], [0, 0, 0, 1, 1, 0], [0, 0, 1, 0, 0, 0]]
    np.testing.assert_array_equal(sparsity.mask, expected)


def test_from_energy():
    sparsity = compute_sparsity(FakeWaveformExtractor(), method="energy", threshold=1.0)
    # unit 2 has no waveforms
    expected = [[1, 1, 0, 0, 0, 1], [0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 0, 0]]
    np.testing.assert_array_equal(sparsity.mask, expected)


def test_from_energy_densifies_sparse_waveforms():
    dense = compute_sparsity(FakeWaveformExtractor(), method="energy", threshold=1.0)
    sparse_we = FakeWaveformExtractor(
        sparsity=ChannelSparsity(RADIUS_20_MASK, UNIT_IDS, CHANNEL_IDS)
    )
    sparse = compute_sparsity(sparse_we, method="energy", threshold=1.0)
    np.testing.assert_array_equal(sparse.mask, dense.mask & np.array(RADIUS_20_MASK, dtype=bool))


def test_by_property_uses_tetrode_groups():
    sparsity = compute_sparsity(FakeWaveformExtractor(), method="by_property", by_property="group")
    expected = [[0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]]
    np.testing.assert_array_equal(sparsity.mask, expected)


def test_by_property_works_without_recording():
    we = FakeWaveformExtractor(with_recording=False)
    sparsity = ChannelSparsity.from_property(we, "group")
    assert sparsity.unit_id_to_channel_ids[1].tolist() == ["c0", "c1", "c2"]


def test_by_property_takes_the_group_of_the_extremum_channel_without_a_sorting_property():
    we = FakeWaveformExtractor()
    we.sorting.delete_property("group")
    sparsity = compute_sparsity(we, method="by_property", by_property="group")
    expected = [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1]]
    np.testing.assert_array_equal(sparsity.mask, expected)


def test_by_property_extremum_channel_follows_peak_sign():
    we = FakeWaveformExtractor()
    we.sorting.delete_property("group")
    sparsity = compute_sparsity(we, method="by_property", by_property="group", peak_sign="pos")
    assert sparsity.unit_id_to_channel_ids[2].tolist() == ["c0", "c1", "c2"]


def test_by_property_missing_on_the_recording_raises():
    with pytest.raises(ValueError, match="'shank' is not a property of the recording"):
        compute_sparsity(FakeWaveformExtractor(), method="by_property", by_property="shank")


def test_by_property_unit_without_channels_raises():
    we = FakeWaveformExtractor()
    we.sorting.set_property("group", [1, 0, 7])
    with pytest.raises(ValueError, match=r"units \[2\]"):
        compute_sparsity(we, method="by_property", by_property="group")


# ---------------------------------------------------------------------- compute_sparsity errors
def test_unknown_method_lists_the_methods():
    with pytest.raises(ValueError, match="method must be one of 'best_channels', 'radius'"):
        compute_sparsity(make_templates(), method="nearest")


def test_missing_method_parameter_raises():
    with pytest.raises(ValueError, match="by_property"):
        compute_sparsity(FakeWaveformExtractor(), method="by_property")
