"""Recording facts of a WaveformExtractor, from its recording or from the attributes saved with it.

:class:`RecordingInfoMixin` gives the extractor its recording-side API (channel ids, locations,
probes, properties, durations) whether or not the recording is attached; recordingless use reads
the ``rec_attributes`` that :func:`recording_attributes` and :func:`recording_probegroup` describe
(saved in ``recording_info/``). :func:`check_spikes_in_recording` checks that a sorting fits its
recording.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..argument_checks import sampling_frequency_mismatch
from ..json_io import to_jsonable

if TYPE_CHECKING:
    from probeinterface import Probe, ProbeGroup

    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting

#: Keys that recordingless use needs in the recording attributes.
REQUIRED_ATTRIBUTES = ("channel_ids", "sampling_frequency", "num_channels")
OPTIONAL_ATTRIBUTES = ("num_samples", "properties", "is_filtered")


# --------------------------------------------------------------------------- recording attributes
def recording_attributes(recording: BaseRecording) -> dict:
    """Everything recordingless use needs, JSON-ready (``contact_vector`` excluded).

    Parameters
    ----------
    recording : BaseRecording

    Returns
    -------
    dict
        ``channel_ids``, ``sampling_frequency``, ``num_channels``, ``num_samples`` (per segment),
        ``is_filtered`` and ``properties`` (name -> list). Properties that JSON cannot hold are
        left out with a warning.
    """
    properties = {}
    for key in recording.get_property_keys():
        if key == "contact_vector":
            continue
        values = recording.get_property(key)
        if values.dtype.kind == "O":
            warnings.warn(
                f"recording property {key!r} holds Python objects: not kept in "
                "recording_attributes.json",
                stacklevel=3,
            )
            continue
        properties[key] = to_jsonable(values)
    return {
        "channel_ids": to_jsonable(recording.channel_ids),
        "sampling_frequency": float(recording.sampling_frequency),
        "num_channels": int(recording.get_num_channels()),
        "num_samples": [
            int(recording.get_num_samples(i)) for i in range(recording.get_num_segments())
        ],
        "is_filtered": bool(recording.is_filtered()),
        "properties": properties,
    }


def recording_probegroup(recording: BaseRecording) -> ProbeGroup | None:
    """The recording's probes, a dummy probe from its channel locations, or None."""
    if recording.has_probe():
        return recording.get_probegroup()
    if recording.has_channel_location():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "making a dummy probe": expected here
            return recording.get_probegroup()
    return None


def check_rec_attributes(rec_attributes: dict) -> None:
    """Raise if required keys are missing; warn about missing optional ones."""
    for key in REQUIRED_ATTRIBUTES:
        if key not in rec_attributes:
            raise ValueError(f"rec_attributes lacks the required key {key!r}")
    for key in OPTIONAL_ATTRIBUTES:
        if key not in rec_attributes:
            warnings.warn(
                f"rec_attributes lacks {key!r}: some recordingless functions will not work",
                stacklevel=3,
            )


def probegroup_locations(probegroup: ProbeGroup) -> np.ndarray:
    """Contact positions in channel order (contacts sorted by device channel index)."""
    positions = np.vstack([probe.contact_positions for probe in probegroup.probes])
    wiring = [probe.device_channel_indices for probe in probegroup.probes]
    if all(w is not None for w in wiring):
        channels = np.concatenate(wiring)
        if np.all(channels >= 0) and np.unique(channels).size == channels.size:
            return positions[np.argsort(channels, kind="stable")]
    return positions


# --------------------------------------------------------------------------- recording facts
class RecordingInfoMixin:
    """Recording facts of a WaveformExtractor: from its recording, or from the saved attributes.

    Needs ``sorting``, ``sampling_frequency``, ``get_num_segments()``, ``_recording`` and
    ``_rec_attributes`` on the class it is mixed into.
    """

    @property
    def recording(self) -> BaseRecording:
        """The recording; ``ValueError`` in recordingless mode."""
        if self._recording is None:
            raise ValueError(
                "this WaveformExtractor was loaded with with_recording=False: this operation "
                "needs the recording (use set_recording())"
            )
        return self._recording

    def has_recording(self) -> bool:
        """Whether the recording is available."""
        return self._recording is not None

    @property
    def channel_ids(self) -> np.ndarray:
        """Channel ids of the recording."""
        if self.has_recording():
            return self._recording.channel_ids
        return np.array(self._rec_attributes["channel_ids"])

    def is_filtered(self) -> bool:
        """Whether the recording is annotated as filtered."""
        if self.has_recording():
            return self._recording.is_filtered()
        return bool(self._rec_attributes.get("is_filtered", False))

    def get_num_channels(self) -> int:
        """Number of channels of the recording."""
        if self.has_recording():
            return self._recording.get_num_channels()
        return int(self._rec_attributes["num_channels"])

    def get_num_samples(self, segment_index: int | None = None) -> int:
        """Samples of a segment of the recording."""
        if self.has_recording():
            return self._recording.get_num_samples(segment_index)
        if "num_samples" not in self._rec_attributes:
            raise ValueError("num_samples is not in the recording attributes of this folder")
        return int(
            self._rec_attributes["num_samples"][self.sorting._check_segment_index(segment_index)]
        )

    def get_total_samples(self) -> int:
        """Samples summed over segments."""
        return sum(self.get_num_samples(i) for i in range(self.get_num_segments()))

    def get_total_duration(self) -> float:
        """Duration in seconds, summed over segments."""
        return self.get_total_samples() / self.sampling_frequency

    def get_probegroup(self) -> ProbeGroup | None:
        """The recording's probes (from ``recording_info`` in recordingless mode)."""
        if self.has_recording():
            return recording_probegroup(self._recording)
        return self._rec_attributes.get("probegroup")

    def get_probe(self) -> Probe:
        """The single probe; ``ValueError`` if there are several or none."""
        probegroup = self.get_probegroup()
        if probegroup is None or len(probegroup.probes) != 1:
            count = 0 if probegroup is None else len(probegroup.probes)
            raise ValueError(f"there are {count} probes: use get_probegroup()")
        return probegroup.probes[0]

    def get_channel_locations(self) -> np.ndarray:
        """Locations of all channels, in channel order."""
        if self.has_recording():
            return self._recording.get_channel_locations()
        probegroup = self._rec_attributes.get("probegroup")
        if probegroup is not None:
            return probegroup_locations(probegroup)
        locations = self._rec_attributes.get("properties", {}).get("location")
        if locations is None:
            raise ValueError("there are no channel locations in this folder")
        return np.asarray(locations, dtype="float64")

    def channel_ids_to_indices(self, channel_ids) -> np.ndarray:
        """Positions of ``channel_ids`` among the channels."""
        if self.has_recording():
            return self._recording.ids_to_indices(channel_ids)
        lookup = {c: i for i, c in enumerate(self.channel_ids.tolist())}
        wanted = np.asarray(channel_ids).tolist()
        unknown = [c for c in wanted if c not in lookup]
        if unknown:
            raise ValueError(f"unknown channel ids {unknown}")
        return np.array([lookup[c] for c in wanted], dtype="int64")

    def recording_info(self) -> tuple[dict, ProbeGroup | None]:
        """What ``recording_info`` stores: JSON-ready attributes and the probe group.

        Returns
        -------
        attributes : dict
            ``channel_ids``, ``sampling_frequency``, ``num_channels``... (see
            :func:`recording_attributes`), without the probe group.
        probegroup : ProbeGroup or None
        """
        if self.has_recording():
            return recording_attributes(self._recording), self.get_probegroup()
        attributes = {k: v for k, v in self._rec_attributes.items() if k != "probegroup"}
        return attributes, self.get_probegroup()

    def get_recording_property(self, key: str) -> np.ndarray | None:
        """A recording property (from the saved attributes in recordingless mode), or None."""
        if self.has_recording():
            return self._recording.get_property(key)
        properties = self._rec_attributes.get("properties")
        if properties is None:
            raise ValueError("properties are not in the recording attributes of this folder")
        values = properties.get(key)
        return None if values is None else np.array(values)

    def get_sorting_property(self, key: str) -> np.ndarray | None:
        """A sorting property, or None."""
        return self.sorting.get_property(key)

    def set_recording(
        self,
        recording: BaseRecording | None,
        rec_attributes: dict | None = None,
        allow_unfiltered: bool = False,
    ) -> None:
        """Attach the recording (or, with None, use ``rec_attributes``).

        Raises
        ------
        ValueError
            If segments, sampling frequency (abs 1e-2 / rel 1e-5) or channel ids do not match, or
            the recording is unfiltered without ``allow_unfiltered``.
        """
        if recording is None:
            if rec_attributes is None:
                raise ValueError("rec_attributes is required when recording is None")
            check_rec_attributes(rec_attributes)
        else:
            if rec_attributes is None:
                rec_attributes = recording_attributes(recording)
            if recording.get_num_segments() != self.get_num_segments():
                raise ValueError(
                    f"recording has {recording.get_num_segments()} segments, the sorting "
                    f"{self.get_num_segments()}"
                )
            if not math.isclose(
                recording.sampling_frequency, self.sampling_frequency, abs_tol=1e-2, rel_tol=1e-5
            ):
                raise ValueError(
                    sampling_frequency_mismatch(
                        "the recording",
                        recording.sampling_frequency,
                        "the sorting",
                        self.sampling_frequency,
                    )
                )
            reference = (self._rec_attributes or rec_attributes)["channel_ids"]
            if not np.array_equal(np.asarray(reference), recording.channel_ids):
                raise ValueError("recording channel ids differ from the extractor's channel ids")
            if not recording.is_filtered() and not allow_unfiltered:
                raise ValueError(
                    "the recording is not filtered: filter it (e.g. bandpass_filter()), annotate "
                    "it with recording.annotate(is_filtered=True) if it already is, or pass "
                    "allow_unfiltered=True"
                )
        self._recording = recording
        self._rec_attributes = rec_attributes


# --------------------------------------------------------------------------- sorting vs recording
def has_exceeding_spikes(recording: BaseRecording, sorting: BaseSorting) -> bool:
    """Whether some spike lies before 0 or past the end of its recording segment.

    Parameters
    ----------
    recording : BaseRecording
    sorting : BaseSorting
        With the recording's number of segments.

    Returns
    -------
    bool
    """
    for segment_index, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        if spikes.size == 0:
            continue
        samples = spikes["sample_index"]
        if samples.min() < 0 or samples.max() >= recording.get_num_samples(segment_index):
            return True
    return False


def check_spikes_in_recording(recording: BaseRecording, sorting: BaseSorting) -> None:
    """Raise ``ValueError`` if a spike lies outside its recording segment."""
    if recording.get_num_segments() != sorting.get_num_segments():
        raise ValueError(
            f"recording has {recording.get_num_segments()} segments, the sorting "
            f"{sorting.get_num_segments()}"
        )
    for segment_index, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        if spikes.size == 0:
            continue
        num_samples = recording.get_num_samples(segment_index)
        outside = (spikes["sample_index"] < 0) | (spikes["sample_index"] >= num_samples)
        if np.any(outside):
            unit_id = sorting.unit_ids[spikes["unit_index"][np.argmax(outside)]].item()
            raise ValueError(
                f"unit {unit_id!r} has spikes outside segment {segment_index} "
                f"(0..{num_samples - 1}): remove them first (e.g. remove_excess_spikes)"
            )
