"""Reading and writing WaveformExtractor folders and zarr stores (FORMATS.md §8).

The binary folder holds ``params.json``, ``recording.json``/``.pickle``, ``sorting.json``/
``.pickle``, ``recording_info/`` (``recording_attributes.json`` and ``probegroup.json``: what
recordingless use needs), ``sparsity.json`` when sparse, ``templates_<mode>.npy`` and
``waveforms/`` with ``waveforms_<unit_id>.npy`` and ``sampled_index_<unit_id>.npy``. The zarr store
holds the same as attributes, groups and arrays (zarr format 2, as SpikeInterface 0.100 writes).
Nothing here unpickles unless the caller passes ``allow_pickle=True``.
"""

from __future__ import annotations

import copy
import math
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr
from probeinterface import Probe, ProbeGroup, read_probeinterface, write_probeinterface

from ..atomic import atomic_folder
from ..json_io import read_json, to_jsonable, write_json
from ..loading import load_extractor

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .extractor import WaveformExtractor
    from .sparsity import ChannelSparsity

#: Template modes; ``percentile`` is cached as ``percentile_<p>``.
TEMPLATE_MODES = ("average", "std", "median", "percentile")
#: Keys that recordingless use needs in the recording attributes.
REQUIRED_ATTRIBUTES = ("channel_ids", "sampling_frequency", "num_channels")
OPTIONAL_ATTRIBUTES = ("num_samples", "properties", "is_filtered")

_V2_CHUNK_KEYS = {"name": "v2", "separator": "."}


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
                    f"recording samples at {recording.sampling_frequency} Hz, the sorting at "
                    f"{self.sampling_frequency} Hz"
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


# --------------------------------------------------------------------------- describing extractors
def dump_recording(recording: BaseRecording, folder: Path, relative_to: Path | None) -> None:
    """Write ``recording.json`` if JSON-serializable, else ``recording.pickle``, else nothing."""
    if recording.check_if_json_serializable():
        recording.dump_to_json(folder / "recording.json", relative_to=relative_to)
    elif recording.check_if_pickle_serializable():
        recording.dump_to_pickle(folder / "recording.pickle", relative_to=relative_to)


def dump_sorting(sorting: BaseSorting, folder: Path, relative_to: Path | None) -> None:
    """Write ``sorting.json``; an in-memory sorting is first saved into ``folder/sorting/``.

    SpikeInterface pickles such sortings; a saved copy described with a relative path loads
    without unpickling, moves with the folder, and SpikeInterface 0.100 reads it too.
    """
    if not sorting.check_if_json_serializable():
        sorting = sorting.save(folder=folder / "sorting", verbose=False)
        relative_to = folder
    sorting.dump_to_json(folder / "sorting.json", relative_to=relative_to)


def extractor_dict(extractor, relative_to: Path | None) -> dict | None:
    """The recursive description stored in zarr attributes, or None if not JSON-serializable."""
    if not extractor.check_if_json_serializable():
        return None
    return to_jsonable(
        extractor.to_dict(include_annotations=True, recursive=True, relative_to=relative_to)
    )


def load_described(folder: Path, name: str, allow_pickle: bool):
    """Load ``<name>.json`` (or ``.pickle`` with ``allow_pickle``) of a WE folder.

    Raises
    ------
    FileNotFoundError
        If there is no description file.
    ValueError
        If only a pickle exists and ``allow_pickle`` is False.
    """
    json_file = folder / f"{name}.json"
    if json_file.is_file():
        return load_extractor(json_file, base_folder=folder)
    for suffix in (".pickle", ".pkl"):
        pickle_file = folder / f"{name}{suffix}"
        if pickle_file.is_file():
            if not allow_pickle:
                raise ValueError(
                    f"{pickle_file}: the {name} is only described by a pickle, which can execute "
                    f"code when read; pass allow_pickle=True for folders you trust, or pass the "
                    f"{name} yourself"
                )
            return load_extractor(pickle_file, base_folder=folder, allow_pickle=True)
    raise FileNotFoundError(f"{folder}: no {name}.json or {name}.pickle")


# --------------------------------------------------------------------------- binary folders
def write_recording_info(folder: Path, rec_attributes: dict, probegroup: ProbeGroup | None) -> None:
    """``recording_info/recording_attributes.json`` and ``probegroup.json``."""
    info = folder / "recording_info"
    info.mkdir(exist_ok=True)
    write_json(info / "recording_attributes.json", rec_attributes)
    if probegroup is not None:
        write_probeinterface(info / "probegroup.json", probegroup)


def read_recording_info(folder: Path) -> dict:
    """Recording attributes of a WE folder, with ``probegroup`` (or None) added.

    Raises
    ------
    ValueError
        If the folder has no ``recording_info/recording_attributes.json`` (written by old
        versions): it cannot be used without its recording.
    """
    attributes_file = folder / "recording_info" / "recording_attributes.json"
    if not attributes_file.is_file():
        raise ValueError(
            f"{folder}: no recording_info/recording_attributes.json (written by an older "
            "version): this folder cannot be loaded with with_recording=False"
        )
    rec_attributes = read_json(attributes_file)
    probegroup_file = folder / "recording_info" / "probegroup.json"
    rec_attributes["probegroup"] = (
        read_probeinterface(probegroup_file) if probegroup_file.is_file() else None
    )
    return rec_attributes


def write_sparsity(folder: Path, sparsity: ChannelSparsity) -> None:
    """``sparsity.json``."""
    write_json(folder / "sparsity.json", to_jsonable(sparsity.to_dict()), indent=None)


def read_sparsity(folder: Path) -> ChannelSparsity | None:
    """``sparsity.json`` as a ChannelSparsity, or None."""
    from .sparsity import ChannelSparsity

    sparsity_file = folder / "sparsity.json"
    if not sparsity_file.is_file():
        return None
    return ChannelSparsity.from_dict(read_json(sparsity_file))


def template_names(folder_or_group) -> list[str]:
    """Cached template names (``average``, ``percentile_5.0``...) of a folder or zarr group."""
    if isinstance(folder_or_group, Path):
        names = [p.stem.removeprefix("templates_") for p in folder_or_group.glob("templates_*.npy")]
    else:
        names = [
            k.removeprefix("templates_")
            for k in folder_or_group.keys()
            if k.startswith("templates_")
        ]
    return sorted(n for n in names if n in TEMPLATE_MODES or n.startswith("percentile_"))


def infer_sparsity_from_templates(
    folder: Path, unit_ids: np.ndarray, channel_ids: np.ndarray, widths: list[int]
) -> ChannelSparsity | None:
    """Sparsity of a folder re-saved from a sparse WE without ``sparsity.json``.

    SpikeInterface 0.100's ``save()`` of a sparse WE keeps sparse waveforms but drops
    ``sparsity.json``; its dense templates are zero outside each unit's channels, which gives the
    mask back when the counts agree with the waveforms' widths.
    """
    from .sparsity import ChannelSparsity

    for name in template_names(folder):
        templates = np.load(folder / f"templates_{name}.npy")
        if templates.shape[0] != len(unit_ids) or templates.shape[2] != len(channel_ids):
            continue
        mask = np.any(templates != 0, axis=1)
        if all(int(mask[u].sum()) == widths[u] for u in range(len(unit_ids))):
            return ChannelSparsity(mask, unit_ids, channel_ids)
    return None


# --------------------------------------------------------------------------- zarr stores
def open_zarr(folder: Path, mode: str = "r") -> zarr.Group:
    """Open a WE zarr store."""
    if mode == "r" and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such zarr folder")
    return zarr.open_group(str(folder), mode=mode, zarr_format=2 if mode == "w" else None)


def create_zarr_array(group: zarr.Group, name: str, values: np.ndarray, compressor: Any) -> None:
    """A zarr v2 array holding ``values`` in one chunk."""
    array = group.create_array(
        name,
        shape=values.shape,
        dtype=values.dtype,
        chunks=tuple(max(s, 1) for s in values.shape),
        compressors=compressor,
        chunk_key_encoding=_V2_CHUNK_KEYS,
        config={"write_empty_chunks": True},
    )
    if values.size:
        array[...] = values


def zarr_probegroup(attrs: dict) -> ProbeGroup | None:
    """The ``probegroup`` attribute of ``recording_info`` (a ProbeGroup dict, or a Probe dict)."""
    description = attrs.get("probegroup")
    if description is None:
        return None
    description = copy.deepcopy(description)
    if "probes" in description:
        return ProbeGroup.from_dict(description)
    probegroup = ProbeGroup()
    probegroup.add_probe(Probe.from_dict(description))
    return probegroup


def read_zarr_recording_info(root: zarr.Group, folder: Path) -> dict:
    """Recording attributes of a WE zarr store, with ``probegroup`` added."""
    if "recording_info" not in root:
        raise ValueError(f"{folder}: no recording_info group: use with_recording=True")
    attrs = dict(root["recording_info"].attrs)
    if "recording_attributes" not in attrs:
        raise ValueError(f"{folder}: recording_info has no recording_attributes")
    rec_attributes = copy.deepcopy(attrs["recording_attributes"])
    rec_attributes["probegroup"] = zarr_probegroup(attrs)
    return rec_attributes


def zarr_sparsity(root: zarr.Group) -> ChannelSparsity | None:
    """The ``sparsity`` attribute of a WE zarr store as a ChannelSparsity."""
    from .sparsity import ChannelSparsity

    description = root.attrs.get("sparsity")
    return None if description is None else ChannelSparsity.from_dict(description)


def probegroup_dict(probegroup: ProbeGroup) -> dict:
    """probeinterface dictionary of a ProbeGroup, JSON-ready."""
    return to_jsonable(probegroup.to_dict(array_as_list=True))


# --------------------------------------------------------------------------- whole extractors
@dataclass
class StoredExtractor:
    """What a folder or store gives to build a WaveformExtractor."""

    recording: BaseRecording | None
    sorting: BaseSorting
    rec_attributes: dict | None
    sparsity: ChannelSparsity | None
    templates: dict[str, np.ndarray]


def _load_recording(folder: Path, load: Callable[[], BaseRecording]) -> BaseRecording:
    """Run ``load()``; turn failures into an error suggesting ``with_recording=False``."""
    try:
        return load()
    except Exception as error:
        raise ValueError(
            f"{folder}: the recording could not be loaded ({error}); open the folder with "
            "with_recording=False"
        ) from error


def write_skeleton(
    folder: Path,
    recording: BaseRecording,
    sorting: BaseSorting,
    use_relative_path: bool,
    sparsity: ChannelSparsity | None,
) -> None:
    """Recording and sorting descriptions, ``recording_info/`` and ``sparsity.json``."""
    relative_to = folder if use_relative_path else None
    dump_recording(recording, folder, relative_to)
    dump_sorting(sorting, folder, relative_to)
    write_recording_info(folder, recording_attributes(recording), recording_probegroup(recording))
    if sparsity is not None:
        write_sparsity(folder, sparsity)


def read_folder(
    folder: Path, with_recording: bool, sorting: BaseSorting | None, allow_pickle: bool
) -> StoredExtractor:
    """Read a binary WE folder (ours or SpikeInterface <= 0.100's).

    Raises
    ------
    FileNotFoundError
        If the folder or the sorting description is missing.
    ValueError
        If the recording cannot be loaded (the message suggests ``with_recording=False``).
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such waveform folder")
    recording, rec_attributes = None, None
    if with_recording:
        recording = _load_recording(
            folder, lambda: load_described(folder, "recording", allow_pickle)
        )
    else:
        rec_attributes = read_recording_info(folder)
    if sorting is None:
        sorting = load_described(folder, "sorting", allow_pickle)
    if recording is not None:
        channel_ids = recording.channel_ids
    else:
        channel_ids = np.array(rec_attributes["channel_ids"])
    sparsity = read_sparsity(folder)
    if sparsity is None:
        sparsity = _sparsity_of_resaved_folder(folder, sorting.unit_ids, channel_ids)
    templates = {name: np.load(folder / f"templates_{name}.npy") for name in template_names(folder)}
    return StoredExtractor(recording, sorting, rec_attributes, sparsity, templates)


def _sparsity_of_resaved_folder(
    folder: Path, unit_ids: np.ndarray, channel_ids: np.ndarray
) -> ChannelSparsity | None:
    """Sparsity of a folder whose waveforms are narrower than the recording (FORMATS.md §8.1)."""
    widths = []
    for unit_id in unit_ids.tolist():
        path = folder / "waveforms" / f"waveforms_{unit_id}.npy"
        if not path.is_file():
            return None
        widths.append(np.load(path, mmap_mode="r").shape[2])
    if all(width == len(channel_ids) for width in widths):
        return None
    sparsity = infer_sparsity_from_templates(folder, unit_ids, channel_ids, widths)
    if sparsity is None:
        raise ValueError(
            f"{folder}: waveforms are sparse but there is no sparsity.json and the templates "
            "do not tell which channels they hold"
        )
    return sparsity


def read_zarr(folder: Path, with_recording: bool, sorting: BaseSorting | None) -> StoredExtractor:
    """Read a WE zarr store (ours or SpikeInterface 0.100's)."""
    root = open_zarr(folder)
    recording, rec_attributes = None, None
    if with_recording:
        description = root.attrs.get("recording")
        if description is None:
            raise ValueError(
                f"{folder}: the recording is not described in this store; use with_recording=False"
            )
        recording = _load_recording(folder, lambda: load_extractor(description, base_folder=folder))
    else:
        rec_attributes = read_zarr_recording_info(root, folder)
    if sorting is None:
        description = root.attrs.get("sorting")
        if description is None:
            raise FileNotFoundError(f"{folder}: the sorting is not described; pass sorting=")
        sorting = load_extractor(description, base_folder=folder)
    templates = {name: root[f"templates_{name}"][...] for name in template_names(root)}
    return StoredExtractor(recording, sorting, rec_attributes, zarr_sparsity(root), templates)


def write_selection(
    we: WaveformExtractor,
    folder: Path,
    unit_ids,
    unit_indices: np.ndarray,
    sorting: BaseSorting,
    sparsity: ChannelSparsity | None,
    use_relative_path: bool,
) -> None:
    """Write (atomically) a binary folder holding only ``unit_ids`` of ``we``."""
    with atomic_folder(folder) as partial:
        relative_to = partial if use_relative_path else None
        shutil.copyfile(we.folder / "params.json", partial / "params.json")
        if we.has_recording():
            dump_recording(we.recording, partial, relative_to)
        shutil.copytree(we.folder / "recording_info", partial / "recording_info")
        dump_sorting(sorting, partial, relative_to)
        if we.has_waveforms():
            (partial / "waveforms").mkdir()
            for unit_id in unit_ids:
                for prefix in ("waveforms", "sampled_index"):
                    name = f"{prefix}_{unit_id}.npy"
                    shutil.copyfile(we.folder / "waveforms" / name, partial / "waveforms" / name)
        for name, templates in we._template_cache.items():
            np.save(partial / f"templates_{name}.npy", templates[unit_indices])
        if sparsity is not None:
            write_sparsity(partial, sparsity)


def _saved_recording_info(we: WaveformExtractor) -> tuple[dict, ProbeGroup | None]:
    if we.has_recording():
        return recording_attributes(we.recording), we.get_probegroup()
    attributes = {k: v for k, v in we._rec_attributes.items() if k != "probegroup"}
    return attributes, we.get_probegroup()


def _saved_templates(we: WaveformExtractor, sparsity: ChannelSparsity | None) -> dict:
    """Cached templates, zeroed outside a new ``sparsity``."""
    templates = {}
    for name, values in we._template_cache.items():
        values = np.array(values)
        if sparsity is not None:
            values[~np.broadcast_to(sparsity.mask[:, None, :], values.shape)] = 0
        templates[name] = values
    return templates


def _saved_waveforms(we: WaveformExtractor, sparsity: ChannelSparsity | None):
    """``(unit_id, waveforms, sampled_index)`` per unit, restricted to a new ``sparsity``."""
    for unit_index, unit_id in enumerate(we.unit_ids.tolist()):
        waveforms, index = we.get_waveforms(unit_id, with_index=True)
        waveforms = np.asarray(waveforms)
        if sparsity is not None:
            waveforms = waveforms[:, :, sparsity.mask[unit_index]]
        yield unit_id, waveforms, index


def write_binary(
    we: WaveformExtractor, folder: Path, use_relative_path: bool, sparsity: ChannelSparsity | None
) -> None:
    """Write ``we`` as a binary folder into the existing empty ``folder``.

    ``sparsity`` (for a dense ``we``) restricts the saved waveforms; ``sparsity.json`` is written
    whenever the result is sparse.
    """
    relative_to = folder if use_relative_path else None
    rec_attributes, probegroup = _saved_recording_info(we)
    write_json(folder / "params.json", we._params)
    if we.has_recording():
        dump_recording(we.recording, folder, relative_to)
    dump_sorting(we.sorting, folder, relative_to)
    write_recording_info(folder, rec_attributes, probegroup)
    new_sparsity = sparsity if sparsity is not None else we.sparsity
    if new_sparsity is not None:
        write_sparsity(folder, new_sparsity)
    for name, values in _saved_templates(we, sparsity).items():
        np.save(folder / f"templates_{name}.npy", values)
    if we.has_waveforms():
        (folder / "waveforms").mkdir()
        for unit_id, waveforms, index in _saved_waveforms(we, sparsity):
            np.save(folder / "waveforms" / f"waveforms_{unit_id}.npy", waveforms)
            np.save(folder / "waveforms" / f"sampled_index_{unit_id}.npy", index)


def write_zarr(
    we: WaveformExtractor,
    folder: Path,
    use_relative_path: bool,
    sparsity: ChannelSparsity | None,
    compressor: Any,
) -> None:
    """Write ``we`` as a zarr v2 store into the existing empty ``folder``."""
    from ..recording.zarr import get_default_zarr_compressor

    compressor = compressor if compressor is not None else get_default_zarr_compressor()
    relative_to = folder if use_relative_path else None
    rec_attributes, probegroup = _saved_recording_info(we)
    root = open_zarr(folder, mode="w")
    attrs = {"params": to_jsonable(we._params)}
    if we.has_recording():
        description = extractor_dict(we.recording, relative_to)
        if description is not None:
            attrs["recording"] = description
    description = extractor_dict(we.sorting, relative_to)
    if description is None:
        warnings.warn(
            "the sorting is not JSON-serializable: loading the store will need sorting=",
            stacklevel=3,
        )
    else:
        attrs["sorting"] = description
    new_sparsity = sparsity if sparsity is not None else we.sparsity
    if new_sparsity is not None:
        attrs["sparsity"] = to_jsonable(new_sparsity.to_dict())
    root.update_attributes(attrs)
    info_attrs = {"recording_attributes": to_jsonable(rec_attributes)}
    if probegroup is not None:
        info_attrs["probegroup"] = probegroup_dict(probegroup)
    root.create_group("recording_info").update_attributes(info_attrs)
    for name, values in _saved_templates(we, sparsity).items():
        create_zarr_array(root, f"templates_{name}", values, compressor)
    if we.has_waveforms():
        group = root.create_group("waveforms")
        for unit_id, waveforms, index in _saved_waveforms(we, sparsity):
            create_zarr_array(group, f"waveforms_{unit_id}", waveforms, compressor)
            create_zarr_array(group, f"sampled_index_{unit_id}", index, compressor)
