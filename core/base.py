"""BaseExtractor: ids, properties, annotations, provenance dictionaries and save/load dispatch."""

from __future__ import annotations

import copy
import pickle
import secrets
import warnings
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from .argument_checks import check_id_types, checked_segment_index
from .errors import InvalidInputError
from .extractor_dict import (
    copy_containers,
    paths_absolute_from,
    paths_relative_to,
    rebuild_extractor,
)
from .json_io import read_json, to_jsonable, write_json
from .version import SPIKEINTERFACE_COMPAT_VERSION, __version__

_ID_KINDS = "uiSU"


class BaseExtractor:
    """Base of recordings, sortings, snippets and events.

    Holds the main ids (channel or unit ids), per-id properties, free-form annotations and the
    constructor arguments (``_kwargs``) from which ``to_dict`` describes the object.

    Parameters
    ----------
    main_ids : array-like
        Channel ids or unit ids: integers or strings, unique.
    """

    default_missing_property_values = {"f": np.nan, "O": None, "S": "", "U": ""}
    _main_annotations: list[str] = []
    _main_properties: list[str] = []
    _skip_properties: list[str] = []
    installed = True
    installation_mesg = ""
    _dict_class_path: str | None = None
    #: What the main ids are called in messages (``channel_ids``, ``unit_ids``).
    _ids_argument = "ids"

    def __init__(self, main_ids) -> None:
        name = self._ids_argument
        if isinstance(main_ids, str | bytes) or np.ndim(main_ids) != 1:
            raise TypeError(
                f"{name} must be a list or 1-D array of ids, got {type(main_ids).__name__} "
                f"{main_ids!r}"[:200]
            )
        check_id_types(main_ids, name)
        ids = np.array(main_ids)
        if ids.size > 0 and ids.dtype.kind not in _ID_KINDS:
            raise TypeError(f"{name} must be integers or strings, got dtype {ids.dtype}")
        unique, counts = np.unique(ids, return_counts=True)
        if unique.size != ids.size:
            raise InvalidInputError(
                f"{name} must be unique: {unique[counts > 1][:5].tolist()} appear more than once"
            )
        self._main_ids = ids
        self._kwargs: dict[str, Any] = {}
        self._annotations: dict[str, Any] = {}
        self._properties: dict[str, np.ndarray] = {}
        self._serializability = {"memory": True, "json": True, "pickle": True}
        self.extra_requirements: list[str] = []
        self._preferred_mp_context: str | None = None

    # ------------------------------------------------------------------ ids
    def get_num_segments(self) -> int:
        """Number of segments (implemented by each kind of extractor)."""
        raise NotImplementedError

    def _check_segment_index(self, segment_index: int | None = None) -> int:
        num_segments = self.get_num_segments()
        if segment_index is None:
            if num_segments == 1:
                return 0
            raise ValueError("Multi-segment object. Provide 'segment_index'")
        segment_index = checked_segment_index(segment_index)
        if not 0 <= segment_index < num_segments:
            raise ValueError(
                f"segment_index {segment_index} out of range: the object has {num_segments} segments"
            )
        return segment_index

    def ids_to_indices(self, ids=None, prefer_slice: bool = False):
        """Positions of ``ids`` among the main ids.

        Parameters
        ----------
        ids : list | tuple | np.ndarray | None
            Ids to look up; ``None`` means all.
        prefer_slice : bool
            Return a ``slice`` when the positions are consecutive and increasing.

        Returns
        -------
        np.ndarray | slice
        """
        if ids is None:
            return slice(None) if prefer_slice else np.arange(len(self._main_ids))
        if not isinstance(ids, list | tuple | np.ndarray) or np.ndim(ids) != 1:
            raise TypeError(
                f"{self._ids_argument} must be a list, tuple or 1-D array of ids, got "
                f"{type(ids).__name__} {ids!r}"[:200]
            )
        ids = np.asarray(ids)
        # the last lookup is kept: a reader asks for the same channels window after window
        # (25,000 windows of sampled spikes: a third of their reading time went here)
        last = self.__dict__.get("_last_id_lookup")
        if (
            last is not None
            and last[0] is self._main_ids
            and last[1].dtype == ids.dtype
            and last[1].shape == ids.shape
            and np.array_equal(last[1], ids)
        ):
            indices = last[2].copy()
        else:
            indices = self._lookup_indices(ids)
            self._last_id_lookup = (self._main_ids, ids.copy(), indices.copy())
        if prefer_slice and indices.size > 0 and np.all(np.diff(indices) == 1):
            return slice(int(indices[0]), int(indices[-1]) + 1)
        return indices

    def _lookup_indices(self, ids: np.ndarray) -> np.ndarray:
        main = self._main_ids
        name = self._ids_argument
        if ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        if main.size == 0:
            raise ValueError(f"{ids[0].item()!r} is not among the {name} (the object has none)")
        if main.dtype.kind != ids.dtype.kind and not (
            main.dtype.kind in "iu" and ids.dtype.kind in "iu"
        ):
            raise ValueError(
                f"{ids[0].item()!r} is not among the {name}: they are "
                f"{'integers' if main.dtype.kind in 'iu' else 'strings'}, e.g. "
                f"{main[0].item()!r}"
            )
        order = np.argsort(main, kind="stable")
        pos = np.searchsorted(main, ids, sorter=order)
        pos = np.clip(pos, 0, main.size - 1)
        found = order[pos]
        bad = main[found] != ids
        if np.any(bad):
            raise ValueError(
                f"{ids[np.argmax(bad)].item()!r} is not among the {name} ({_short_list(main)})"
            )
        return found.astype(np.int64)

    def id_to_index(self, id) -> int:
        """Position of one id; ``ValueError`` if unknown."""
        return int(self._lookup_indices(np.asarray([id]))[0])

    # ------------------------------------------------------------------ annotations
    def annotate(self, **new_annotations) -> None:
        """Add or overwrite annotations."""
        self._annotations.update(new_annotations)

    def set_annotation(self, annotation_key: str, value, overwrite: bool = False) -> None:
        """Set one annotation; ``ValueError`` if it exists and ``overwrite`` is False."""
        if annotation_key in self._annotations and not overwrite:
            raise ValueError(f"annotation {annotation_key!r} is already set; use overwrite=True")
        self._annotations[annotation_key] = value

    def get_annotation(self, key: str, copy: bool = True):
        """Value of annotation ``key`` (a deep copy by default), or None if absent."""
        value = self._annotations.get(key)
        return copy_module.deepcopy(value) if copy else value

    def get_annotation_keys(self) -> list[str]:
        """Names of all annotations."""
        return list(self._annotations.keys())

    # ------------------------------------------------------------------ properties
    def set_property(self, key: str, values, ids=None, missing_value=None) -> None:
        """Set a per-id property.

        Parameters
        ----------
        key : str
            Property name.
        values : array-like | None
            One value per id (or per id of ``ids``); ``None`` deletes the property.
        ids : array-like | None
            Ids the values belong to; other ids get ``missing_value``.
        missing_value : object
            Value for ids not in ``ids`` when the property is created; defaults to NaN for floats,
            ``""`` for strings and None for objects. Integer and boolean properties need one.
        """
        if values is None:
            self._properties.pop(key, None)
            return
        values = np.asarray(values)
        size = len(self._main_ids)
        if ids is None:
            if values.ndim == 0 or values.shape[0] != size:
                raise InvalidInputError(
                    f"property {key!r}: expected {size} values (one per id), got "
                    f"{values.shape[0] if values.ndim else 'a scalar'}"
                )
            self._properties[key] = values
            return
        ids = np.asarray(ids)
        if np.unique(ids).size != ids.size:
            raise InvalidInputError(f"property {key!r}: ids must be unique")
        if values.shape[0] != ids.size:
            raise InvalidInputError(
                f"property {key!r}: {ids.size} ids but {values.shape[0]} values"
            )
        indices = self._lookup_indices(ids)
        if ids.size == size:
            full = np.empty_like(values)
            full[indices] = values
            self._properties[key] = full
            return
        if key not in self._properties:
            kind = values.dtype.kind
            if missing_value is None:
                if kind not in self.default_missing_property_values:
                    raise ValueError(
                        f"property {key!r} has dtype {values.dtype} with no default missing value: "
                        "pass missing_value for the ids not given"
                    )
                missing_value = self.default_missing_property_values[kind]
            elif not _fits(missing_value, values.dtype):
                raise InvalidInputError(
                    f"property {key!r}: missing_value {missing_value!r} does not fit dtype "
                    f"{values.dtype}: give a missing_value of the type of the values"
                )
            dtype = values.dtype
            if kind in "SU":  # wide enough for the missing value too (never truncate it)
                dtype = np.promote_types(dtype, np.asarray(missing_value).dtype)
            full = np.empty((size,) + values.shape[1:], dtype=dtype)
            full[...] = missing_value
            self._properties[key] = full
        existing = self._properties[key]
        if existing.dtype.kind != values.dtype.kind:
            raise InvalidInputError(
                f"property {key!r} has dtype {existing.dtype}; cannot set values of dtype "
                f"{values.dtype}"
            )
        if existing.dtype.kind in "SU" and values.dtype.itemsize > existing.dtype.itemsize:
            existing = existing.astype(values.dtype)
            self._properties[key] = existing
        existing[indices] = values

    def get_property(self, key: str, ids=None) -> np.ndarray | None:
        """Values of property ``key`` (for ``ids`` in that order), or None if absent."""
        values = self._properties.get(key)
        if values is None or ids is None:
            return values
        return values[self.ids_to_indices(ids)]

    def get_property_keys(self) -> list[str]:
        """Names of all properties."""
        return list(self._properties.keys())

    def delete_property(self, key: str) -> None:
        """Remove property ``key``; ``KeyError`` if absent."""
        if key not in self._properties:
            raise KeyError(f"property {key!r} is not set")
        del self._properties[key]

    def copy_metadata(
        self,
        other: BaseExtractor,
        only_main: bool = False,
        ids=None,
        skip_properties: list[str] | None = None,
    ) -> None:
        """Copy annotations and properties of this object onto ``other``.

        Parameters
        ----------
        other : BaseExtractor
            Receiver; its annotations are replaced.
        only_main : bool
            Copy only this class's main annotations and properties.
        ids : array-like | None
            Copy property values of these ids only (``other`` must have that many ids).
        skip_properties : list of str | None
            Property names not to copy (in addition to ``other._skip_properties``).
        """
        if only_main:
            annotations = {
                k: self._annotations[k] for k in self._main_annotations if k in self._annotations
            }
            keys = [k for k in self._main_properties if k in self._properties]
        else:
            annotations = self._annotations
            keys = list(self._properties.keys())
        other._annotations = copy.deepcopy(annotations)
        skip = set(other._skip_properties) | set(skip_properties or [])
        indices = None if ids is None else self.ids_to_indices(list(ids))
        for key in keys:
            if key in skip:
                continue
            values = self._properties[key]
            other.set_property(key, values if indices is None else values[indices])
        other.extra_requirements.extend(self.extra_requirements)
        if self._preferred_mp_context is not None:
            other._preferred_mp_context = self._preferred_mp_context

    # ------------------------------------------------------------------ serializability
    def check_serializability(self, type: str) -> bool:
        """Whether this object (and every extractor it is built from) is ``type``-serializable.

        Parameters
        ----------
        type : {"memory", "json", "pickle"}
        """
        if type not in self._serializability:
            raise ValueError(f"type must be 'memory', 'json' or 'pickle', got {type!r}")
        if not self._serializability[type]:
            return False
        return all(ext.check_serializability(type) for ext in _nested_extractors(self._kwargs))

    def check_if_memory_serializable(self) -> bool:
        """Whether the object can be sent to another process of this machine."""
        return self.check_serializability("memory")

    def check_if_json_serializable(self) -> bool:
        """Whether the object can be described by a JSON file."""
        return self.check_serializability("json")

    def check_if_pickle_serializable(self) -> bool:
        """Whether the object can be described by a pickle file."""
        return self.check_serializability("pickle")

    def get_source_paths(self) -> list[Path]:
        """The files and folders this object reads from, its sources' included (resolved)."""
        from .source_files import source_paths

        return source_paths(self)

    def get_preferred_mp_context(self) -> str | None:
        """Multiprocessing context this object needs, if any."""
        return self._preferred_mp_context

    # ------------------------------------------------------------------ dictionaries
    def to_dict(
        self,
        include_annotations: bool = False,
        include_properties: bool = False,
        relative_to: str | Path | None = None,
        folder_metadata: str | Path | None = None,
        recursive: bool = False,
    ) -> dict:
        """Describe this object as a dictionary that ``load_extractor`` rebuilds it from.

        Parameters
        ----------
        include_annotations : bool
            All annotations (else only the main ones).
        include_properties : bool
            All properties (else only the main ones).
        relative_to : str | Path | None
            Make paths relative to this existing folder (needs ``recursive=True``).
        folder_metadata : str | Path | None
            Folder holding ``properties/`` and probe files to apply after construction.
        recursive : bool
            Describe nested extractors in the kwargs as dictionaries too.

        Returns
        -------
        dict
        """
        if relative_to is not None and not recursive:
            raise ValueError("relative_to needs recursive=True")
        kwargs = _describe_kwargs(self._kwargs, recursive, include_annotations, include_properties)
        if include_annotations:
            annotations = copy.deepcopy(self._annotations)
        else:
            annotations = {
                k: copy.deepcopy(self._annotations.get(k)) for k in self._main_annotations
            }
        if include_properties:
            properties = dict(self._properties)
        else:
            properties = {k: self._properties.get(k) for k in self._main_properties}
        class_path = self._dict_class_path or f"{type(self).__module__}.{type(self).__qualname__}"
        description = {
            "class": class_path,
            "module": class_path.split(".")[0],
            "kwargs": kwargs,
            "version": SPIKEINTERFACE_COMPAT_VERSION,
            "spikedesk_version": __version__,
            "annotations": annotations,
            "properties": properties,
            "relative_paths": False,
        }
        if folder_metadata is not None:
            description["folder_metadata"] = str(Path(folder_metadata).resolve())
        if relative_to is not None:
            relative_to = Path(relative_to).resolve()
            if not relative_to.is_dir():
                raise ValueError(f"relative_to: {relative_to} is not an existing folder")
            description, all_relative = paths_relative_to(description, relative_to)
            description["relative_paths"] = all_relative
            if not all_relative:  # a dictionary is either wholly relative or wholly absolute
                description["kwargs"] = kwargs
                if folder_metadata is not None:
                    description["folder_metadata"] = str(Path(folder_metadata).resolve())
        return description

    @staticmethod
    def from_dict(dictionary: dict, base_folder: str | Path | None = None) -> BaseExtractor:
        """Rebuild an extractor from a ``to_dict`` dictionary.

        Parameters
        ----------
        dictionary : dict
            As written by ``to_dict`` (here or by SpikeInterface).
        base_folder : str | Path | None
            Folder that relative paths are relative to (required when ``relative_paths``).
        """
        dictionary = copy_containers(dictionary)
        if dictionary.get("relative_paths", False):
            if base_folder is None:
                raise ValueError("the dictionary has relative paths: base_folder is required")
            dictionary = paths_absolute_from(dictionary, Path(base_folder))
        return rebuild_extractor(dictionary)

    def clone(self) -> BaseExtractor:
        """A new object of the same class built from the same arguments and metadata."""
        return BaseExtractor.from_dict(
            self.to_dict(include_annotations=True, include_properties=True)
        )

    def __reduce__(self):
        # Pickling (how objects reach worker processes) keeps every annotation and property.
        return (
            BaseExtractor.from_dict,
            (self.to_dict(include_annotations=True, include_properties=True),),
        )

    def dump(self, file_path: str | Path, relative_to=None, folder_metadata=None) -> None:
        """Write the description to ``.json`` (or ``.pkl``/``.pickle``) ``file_path``."""
        suffix = Path(file_path).suffix
        if suffix == ".json":
            self.dump_to_json(file_path, relative_to=relative_to, folder_metadata=folder_metadata)
        elif suffix in (".pkl", ".pickle"):
            self.dump_to_pickle(file_path, relative_to=relative_to, folder_metadata=folder_metadata)
        else:
            raise ValueError(f"{file_path}: dump writes .json, .pkl or .pickle files")

    def dump_to_json(
        self, file_path: str | Path | None = None, relative_to=None, folder_metadata=None
    ) -> None:
        """Write the recursive description with all annotations to a JSON file."""
        if not self.check_if_json_serializable():
            raise TypeError(f"{type(self).__name__} holds in-memory data and cannot be JSON-dumped")
        file_path = self._dump_path(file_path, ".json")
        if relative_to is True:
            relative_to = file_path.parent
        description = self.to_dict(
            include_annotations=True,
            include_properties=False,
            relative_to=relative_to,
            folder_metadata=folder_metadata,
            recursive=True,
        )
        write_json(file_path, description)

    def dump_to_pickle(
        self,
        file_path: str | Path | None = None,
        relative_to=None,
        include_properties: bool = True,
        folder_metadata=None,
    ) -> None:
        """Write the description (all annotations and properties) to a pickle file."""
        if not self.check_if_pickle_serializable():
            raise TypeError(f"{type(self).__name__} cannot be pickled")
        file_path = self._dump_path(file_path, ".pkl")
        if relative_to is True:
            relative_to = file_path.parent
        description = self.to_dict(
            include_annotations=True,
            include_properties=include_properties,
            relative_to=relative_to,
            folder_metadata=folder_metadata,
            recursive=True,
        )
        file_path.write_bytes(pickle.dumps(description))

    @staticmethod
    def _dump_path(file_path, default_suffix: str) -> Path:
        if file_path is None:
            raise ValueError("file_path is required")
        file_path = Path(file_path)
        if file_path.suffix == "":
            file_path = file_path.with_suffix(default_suffix)
        file_path.parent.mkdir(parents=True, exist_ok=True)
        return file_path

    @staticmethod
    def load(file_path: str | Path, base_folder=None, allow_pickle: bool = False):
        """Load an extractor from a JSON/pickle description or a saved folder.

        Parameters
        ----------
        file_path : str | Path
            A ``.json`` (or, with ``allow_pickle``, ``.pkl``/``.pickle``) file, a saved folder
            (``si_folder.json`` or legacy ``cached.json``), or a ``.zarr`` store.
        base_folder : str | Path | bool | None
            Folder for relative paths; True means the file's parent.
        allow_pickle : bool
            Read pickle files, which can execute code: only for files you trust.
        """
        from .loading import load_extractor_from_path

        return load_extractor_from_path(
            file_path, base_folder=base_folder, allow_pickle=allow_pickle
        )

    @staticmethod
    def load_from_folder(folder: str | Path, allow_pickle: bool = False):
        """Load a saved folder (``si_folder.json``)."""
        return BaseExtractor.load(folder, allow_pickle=allow_pickle)

    def save_metadata_to_folder(self, folder_metadata: str | Path) -> None:
        """Write every property to ``folder/properties/<key>.npy``."""
        properties_folder = Path(folder_metadata) / "properties"
        properties_folder.mkdir(parents=True, exist_ok=True)
        for key, values in self._properties.items():
            np.save(properties_folder / f"{key}.npy", values)

    def load_metadata_from_folder(
        self, folder_metadata: str | Path, allow_pickle: bool = False
    ) -> None:
        """Apply ``properties/<key>.npy`` files of a saved folder.

        Object-dtype property files need unpickling; they are loaded only with ``allow_pickle``
        and otherwise skipped with a warning naming the property.
        """
        annotations_file = Path(folder_metadata) / "annotations.json"
        if annotations_file.is_file():  # written by SpikeInterface >= 0.105
            self._annotations.update(read_json(annotations_file))
        properties_folder = Path(folder_metadata) / "properties"
        if not properties_folder.is_dir():
            return
        for npy_file in sorted(properties_folder.glob("*.npy")):
            try:
                values = np.load(npy_file, allow_pickle=allow_pickle)
            except ValueError:
                warnings.warn(
                    f"{npy_file}: property {npy_file.stem!r} holds Python objects and "
                    "was not loaded (pass allow_pickle=True for files you trust)"
                )
                continue
            if values.shape[:1] != (len(self._main_ids),):
                warnings.warn(
                    f"{npy_file}: property {npy_file.stem!r} has {values.shape[0] if values.ndim else 0} "
                    f"values for {len(self._main_ids)} ids; skipped"
                )
                continue
            self.set_property(npy_file.stem, values)

    # ------------------------------------------------------------------ saving
    def save(self, **kwargs) -> BaseExtractor:
        """Save the object and return the saved copy, reloaded.

        ``format="memory"`` keeps it in (shared) memory, ``format="zarr"`` writes a zarr store,
        anything else writes a folder in the class's default format. See the subclasses for the
        format options; job keyword arguments control the chunked writing.
        """
        fmt = kwargs.get("format")
        if fmt == "memory":
            kwargs.pop("format")
            return self.save_to_memory(**kwargs)
        if fmt == "zarr":
            kwargs.pop("format")
            return self.save_to_zarr(**kwargs)
        return self.save_to_folder(**kwargs)

    def save_to_memory(self, sharedmem: bool = True, **save_kwargs) -> BaseExtractor:
        """Copy the data into memory (shared memory by default) with all metadata."""
        return self._save_to_memory(sharedmem=sharedmem, **save_kwargs)

    def save_to_folder(
        self,
        name: str | None = None,
        folder: str | Path | None = None,
        overwrite: bool = False,
        verbose: bool = True,
        **save_kwargs,
    ):
        """Write the object to a new folder and return the object loaded from it.

        The folder is written under a temporary name and moved into place at the end: a failed
        or cancelled save leaves no folder that loads as complete, and with ``overwrite=False``
        nothing existing is touched.

        Parameters
        ----------
        name : str | None
            Folder name inside the global temporary folder (when ``folder`` is None).
        folder : str | Path | None
            Target folder; must not exist unless ``overwrite``.
        overwrite : bool
            Replace an existing folder (only once the new one is complete).
        verbose : bool
            Print where a temporary-folder save goes.
        **save_kwargs
            Format options (``format``, ``dtype``...) and job keyword arguments.

        Raises
        ------
        FileExistsError
            If ``folder`` exists and ``overwrite`` is False.
        ValueError
            If ``folder`` exists and is, holds or lies inside a file this object reads from
            (checked before anything is written).
        """
        from .atomic import atomic_folder
        from .jobs import get_global_tmp_folder
        from .source_files import check_save_target

        if folder is None:
            if name is None:
                name = random_folder_name()
            folder = Path(get_global_tmp_folder()) / name
            if verbose:
                print(f"Use cache_folder={folder}")
        folder = Path(folder)
        check_save_target(folder, {f"{type(self).__name__} being saved": self})
        fmt = save_kwargs.pop("format", None)
        with atomic_folder(folder, overwrite=overwrite) as partial:
            self._write_provenance(partial)
            self._save_data_to_folder(partial, format=fmt, **save_kwargs)
            self._write_si_folder_json(partial)
        return BaseExtractor.load_from_folder(folder)

    def save_to_zarr(
        self,
        name: str | None = None,
        folder: str | Path | None = None,
        overwrite: bool = False,
        storage_options=None,
        channel_chunk_size=None,
        verbose: bool = True,
        **save_kwargs,
    ):
        """Write a zarr store (the folder name gets the ``.zarr`` suffix)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved to zarr")

    def _save_to_memory(self, sharedmem: bool = True, **save_kwargs) -> BaseExtractor:
        raise NotImplementedError(f"{type(self).__name__} cannot be saved to memory")

    def _save_data_to_folder(self, folder: Path, format: str | None = None, **save_kwargs):
        raise NotImplementedError(f"{type(self).__name__} cannot be saved to a folder")

    def _saved_folder_class_path(self) -> str:
        raise NotImplementedError

    def _write_provenance(self, folder: Path) -> None:
        if self.check_if_json_serializable():
            description = self.to_dict(include_annotations=True, recursive=True)
        else:
            description = {"warning": "the provenace is not json serializable!!!"}
        write_json(folder / "provenance.json", description)

    def _write_si_folder_json(self, folder: Path) -> None:
        """Write ``si_folder.json`` and ``properties/`` for the saved folder (FORMATS.md §2)."""
        self.save_metadata_to_folder(folder)
        description = {
            "class": self._saved_folder_class_path(),
            "module": "spikeinterface",
            "kwargs": {"folder_path": "."},
            "version": SPIKEINTERFACE_COMPAT_VERSION,
            "spikedesk_version": __version__,
            "annotations": to_jsonable(self._annotations),
            "properties": {k: self._properties.get(k) for k in self._main_properties},
            "relative_paths": True,
        }
        write_json(folder / "si_folder.json", description)


copy_module = copy


class BaseSegment:
    """One segment of an extractor; knows its parent extractor through a weak reference."""

    _parent_extractor: weakref.ref | None = None

    @property
    def parent_extractor(self):
        """The extractor this segment belongs to, or None."""
        return None if self._parent_extractor is None else self._parent_extractor()

    def set_parent_extractor(self, parent_extractor) -> None:
        """Remember the parent extractor (weakly, so segments never keep it alive)."""
        self._parent_extractor = weakref.ref(parent_extractor)


def _fits(value, dtype: np.dtype) -> bool:
    """Whether ``value`` is stored unchanged in an array of ``dtype`` (a fill value check)."""
    given = np.asarray(value)
    if dtype.kind == "O":
        return True
    if dtype.kind in "SU" or given.dtype.kind in "SUO":
        return given.dtype.kind == dtype.kind
    if dtype.kind in "iub" and given.dtype.kind not in "iub":
        return False
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = given.astype(dtype)
    if given.dtype.kind == "f" and np.all(np.isnan(given)):
        return dtype.kind == "f"
    return bool(np.all(converted == given))


def _short_list(ids: np.ndarray) -> str:
    """The ids, or the first and last few of a long list, for messages."""
    if ids.size <= 8:
        return repr(ids.tolist())
    head = ", ".join(repr(i) for i in ids[:4].tolist())
    tail = ", ".join(repr(i) for i in ids[-2:].tolist())
    return f"[{head}, ..., {tail}]: {ids.size} ids"


def random_folder_name() -> str:
    """Eight random characters ``[A-Z0-9]``, like SpikeInterface's temporary folder names."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _nested_extractors(value):
    """Extractors found in kwargs values: directly, in lists/tuples, or as dict values."""
    if isinstance(value, BaseExtractor):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _nested_extractors(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _nested_extractors(v)


def _describe_kwargs(value, recursive: bool, include_annotations: bool, include_properties: bool):
    if isinstance(value, BaseExtractor):
        if not recursive:
            return value
        return value.to_dict(
            include_annotations=include_annotations,
            include_properties=include_properties,
            recursive=True,
        )
    if isinstance(value, dict):
        return {
            k: _describe_kwargs(v, recursive, include_annotations, include_properties)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        described = [
            _describe_kwargs(v, recursive, include_annotations, include_properties) for v in value
        ]
        return described if isinstance(value, list) else tuple(described)
    if isinstance(value, Path):
        return str(value)
    return value


def __getattr__(name: str):
    # SpikeInterface's ``spikeinterface.core.base`` also holds the loaders; they live in
    # core.loading, which imports this module
    if name in _LOADERS:
        from . import loading

        return getattr(loading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_LOADERS = (
    "load_extractor",
    "load_extractor_from_dict",
    "load_extractor_from_json",
    "load_extractor_from_pickle",
)
