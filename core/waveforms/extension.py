"""BaseWaveformExtractorExtension: results computed on top of a WaveformExtractor.

An extension stores its parameters and data next to the waveforms (FORMATS.md §8.3): in a binary
folder, ``<extension_name>/params.json`` plus one file per data item by value type (dict ->
``.json``, ndarray -> ``.npy``, pandas DataFrame -> ``.csv``, anything else -> ``.pkl``); in a zarr
store, a group with a ``params`` attribute and one array per item, a dict as SpikeInterface 0.100
stores it (:func:`.zarr_io.write_zarr_extension_data`, :func:`.zarr_io.read_zarr_extension_data`).
Pickled items are read only when the extractor was loaded with ``allow_pickle=True``; otherwise a
folder's ``.pkl`` files are skipped with a warning, and a zarr store's pickled arrays make loading
that extension fail with a ``ValueError`` naming them.
"""

from __future__ import annotations

import pickle
import shutil
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..json_io import read_json, to_jsonable, write_json

if TYPE_CHECKING:
    from .extractor import WaveformExtractor


class BaseWaveformExtractorExtension:
    """Base class of extensions (principal components, amplitudes, metrics...).

    Subclasses set ``extension_name`` and ``handle_sparsity`` and implement
    ``_set_params(**params) -> dict``, ``_run(**kwargs)`` (filling ``self._extension_data``),
    ``_select_extension_data(unit_ids) -> dict`` and ``get_extension_function()``. Register a
    subclass with ``WaveformExtractor.register_extension``.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
        The extractor this extension belongs to; the extension registers itself in it (and keeps
        only a weak reference back, so that deleting the extractor frees its files).
    """

    extension_name: ClassVar[str | None] = None
    handle_sparsity: ClassVar[bool] = False

    def __init__(self, waveform_extractor: WaveformExtractor) -> None:
        self._waveform_extractor = weakref.ref(waveform_extractor)
        self.folder = waveform_extractor.folder
        self.format = waveform_extractor.format
        self.extension_folder: Path | None = None
        if self.format != "memory" and waveform_extractor.is_read_only() and not self._stored():
            warnings.warn(
                f"{self.folder} is read-only: extension {self.extension_name!r} is kept in memory",
                stacklevel=2,
            )
            self.format, self.folder = "memory", None
        if self.format == "binary":
            self.extension_folder = self.folder / self.extension_name
            if not waveform_extractor.is_read_only():
                self.extension_folder.mkdir(exist_ok=True)
        self._extension_data: dict[str, Any] = {}
        self._params: dict | None = None
        waveform_extractor._loaded_extensions[self.extension_name] = self

    def _stored(self) -> bool:
        if self.format == "binary":
            return (self.folder / self.extension_name).is_dir()
        return self.extension_name in self.waveform_extractor._zarr_root()

    @property
    def waveform_extractor(self) -> WaveformExtractor:
        """The parent extractor (``ValueError`` once it was deleted)."""
        we = self._waveform_extractor()
        if we is None:
            raise ValueError(f"extension {self.extension_name!r} lost its WaveformExtractor")
        return we

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, folder: str | Path, waveform_extractor: WaveformExtractor):
        """Load params and data of this extension from the extractor's folder or store."""
        folder = Path(folder)
        if folder.suffix == ".zarr":
            params = cls.load_params_from_zarr(folder)
        else:
            params = cls.load_params_from_folder(folder)
        sparsity = params.get("sparsity")
        if sparsity is not None:
            from .sparsity import ChannelSparsity

            if "unit_ids" not in sparsity:  # old files: a bare unit_id -> channel_ids dict
                sparsity = {
                    "unit_ids": waveform_extractor.unit_ids.tolist(),
                    "channel_ids": waveform_extractor.channel_ids.tolist(),
                    "unit_id_to_channel_ids": sparsity,
                }
            params["sparsity"] = ChannelSparsity.from_dict(sparsity)
        extension = cls(waveform_extractor)
        extension._params = params
        try:
            extension._load_extension_data()
        except Exception:
            # the extension registered itself: forget it rather than keep it half-loaded
            waveform_extractor._loaded_extensions.pop(cls.extension_name, None)
            raise
        return extension

    @classmethod
    def load_params_from_folder(cls, folder: str | Path) -> dict:
        """``<folder>/<extension_name>/params.json``."""
        params_file = Path(folder) / cls.extension_name / "params.json"
        if not params_file.is_file():
            raise FileNotFoundError(f"{params_file}: extension {cls.extension_name!r} not found")
        return read_json(params_file)

    @classmethod
    def load_params_from_zarr(cls, folder: str | Path) -> dict:
        """The ``params`` attribute of the extension's group in a zarr store."""
        from .zarr_io import open_zarr

        root = open_zarr(Path(folder))
        if cls.extension_name not in root or "params" not in root[cls.extension_name].attrs:
            raise FileNotFoundError(f"{folder}: extension {cls.extension_name!r} not found")
        return dict(root[cls.extension_name].attrs["params"])

    def _load_extension_data(self) -> None:
        if self.format == "binary":
            for path in sorted(self.extension_folder.iterdir()):
                if path.name != "params.json":
                    self._load_file(path)
        elif self.format == "zarr":
            from .zarr_io import read_zarr_extension_data

            self._extension_data = read_zarr_extension_data(
                self.folder / self.extension_name, self.waveform_extractor._allow_pickle
            )

    def _load_file(self, path: Path) -> None:
        name, suffix = path.stem, path.suffix
        if suffix == ".json":
            self._extension_data[name] = read_json(path)
        elif suffix == ".npy":
            self._extension_data[name] = np.load(path)
        elif suffix == ".csv":
            import pandas as pd

            self._extension_data[name] = pd.read_csv(path, index_col=0)
        elif suffix == ".pkl":
            if not self.waveform_extractor._allow_pickle:
                warnings.warn(
                    f"{path}: not loaded (pickle can execute code; load the extractor with "
                    "allow_pickle=True for folders you trust)",
                    stacklevel=4,
                )
                return
            self._extension_data[name] = pickle.loads(path.read_bytes())

    # ------------------------------------------------------------------ computing and saving
    def run(self, **kwargs) -> None:
        """Compute (``_run``) and save."""
        self._run(**kwargs)
        self._save(**kwargs)

    def _run(self, **kwargs) -> None:
        raise NotImplementedError(f"extension {self.extension_name!r} does not define _run")

    def save(self, **kwargs) -> None:
        """Write params and data to the folder or store (nothing in memory or read-only)."""
        self._save(**kwargs)

    def _save(self, **kwargs) -> None:
        if self.format == "memory" or self.waveform_extractor.is_read_only():
            return
        self._reset_folder()
        self._save_params()
        if self.format == "binary":
            for name, value in self._extension_data.items():
                self._save_file(name, value)
        else:
            self._save_zarr(kwargs.get("compressor"))

    def _save_file(self, name: str, value: Any) -> None:
        folder = self.extension_folder
        if isinstance(value, dict):
            write_json(folder / f"{name}.json", value)
        elif isinstance(value, np.ndarray):
            np.save(folder / f"{name}.npy", value)
        elif type(value).__name__ == "DataFrame" and hasattr(value, "to_csv"):
            value.to_csv(folder / f"{name}.csv", index=True)
        else:
            (folder / f"{name}.pkl").write_bytes(pickle.dumps(value))

    def _save_zarr(self, compressor: Any) -> None:
        from .zarr_io import write_zarr_extension_data

        write_zarr_extension_data(
            self.folder / self.extension_name, self._extension_data, compressor
        )
        self.waveform_extractor._root = None

    def _reset_folder(self) -> None:
        """Empty the extension's folder or group."""
        if self.format == "binary":
            shutil.rmtree(self.extension_folder, ignore_errors=True)
            self.extension_folder.mkdir()
        elif self.format == "zarr":
            root = self.waveform_extractor._zarr_root("r+")
            root.create_group(self.extension_name, overwrite=True)
            self.waveform_extractor._root = None

    def reset(self) -> None:
        """Forget params and data and empty the folder."""
        if self.format != "memory" and not self.waveform_extractor.is_read_only():
            self._reset_folder()
        self._params = None
        self._extension_data = {}

    def set_params(self, **params) -> None:
        """Validate (``_set_params``) and store the parameters (``params.json``)."""
        self._params = self._set_params(**params)
        if not self.waveform_extractor.is_read_only():
            self._save_params()

    def _save_params(self) -> None:
        from .sparsity import ChannelSparsity

        params = dict(self._params)
        sparsity = params.get("sparsity")
        if sparsity is not None:
            if not isinstance(sparsity, ChannelSparsity):
                raise TypeError("the 'sparsity' parameter must be a ChannelSparsity")
            params["sparsity"] = sparsity.to_dict()
        params = to_jsonable(params)
        if self.format == "binary":
            self.extension_folder.mkdir(exist_ok=True)
            write_json(self.extension_folder / "params.json", params)
        elif self.format == "zarr":
            root = self.waveform_extractor._zarr_root("r+")
            group = root.require_group(self.extension_name)
            group.attrs["params"] = params
            self.waveform_extractor._root = None

    def _set_params(self, **params) -> dict:
        raise NotImplementedError(f"extension {self.extension_name!r} does not define _set_params")

    def select_units(self, unit_ids, new_waveform_extractor: WaveformExtractor) -> None:
        """Copy this extension, restricted to ``unit_ids``, into another extractor."""
        extension = type(self)(new_waveform_extractor)
        extension.set_params(**self._params)
        extension._extension_data = self._select_extension_data(unit_ids=unit_ids)
        extension._save()

    def copy(self, new_waveform_extractor: WaveformExtractor) -> None:
        """Copy this extension into another extractor."""
        extension = type(self)(new_waveform_extractor)
        extension.set_params(**self._params)
        extension._extension_data = self._extension_data
        extension._save()

    def _select_extension_data(self, unit_ids) -> dict:
        raise NotImplementedError(
            f"extension {self.extension_name!r} does not define _select_extension_data"
        )

    @staticmethod
    def get_extension_function():
        """The function computing this extension."""
        raise NotImplementedError("each extension class names the function computing it")


class ExtensionHostMixin:
    """Extension registry and access of a WaveformExtractor (``extensions`` class list).

    Needs ``folder``, ``format``, ``is_read_only()``, ``_loaded_extensions`` and ``_zarr_root()``
    on the class it is mixed into.
    """

    #: Registered extension classes (see :meth:`register_extension`).
    extensions: ClassVar[list[type]] = []

    @classmethod
    def register_extension(cls, extension_class: type) -> None:
        """Make an extension class available by its ``extension_name``.

        Raises
        ------
        TypeError
            If it is not a ``BaseWaveformExtractorExtension`` subclass.
        ValueError
            If its name is None or taken by another class.
        """
        if not (
            isinstance(extension_class, type)
            and issubclass(extension_class, BaseWaveformExtractorExtension)
        ):
            raise TypeError("extension_class must subclass BaseWaveformExtractorExtension")
        name = extension_class.extension_name
        if name is None:
            raise ValueError(f"{extension_class.__name__}.extension_name must be set")
        for registered in cls.extensions:
            if registered.extension_name == name:
                if registered is extension_class:
                    return
                raise ValueError(f"an extension named {name!r} is already registered")
        cls.extensions.append(extension_class)

    def get_extension_class(self, extension_name: str) -> type:
        """The registered class of ``extension_name`` (``ValueError`` if not registered)."""
        for extension_class in self.extensions:
            if extension_class.extension_name == extension_name:
                return extension_class
        raise ValueError(
            f"extension {extension_name!r} is not registered: import the module defining it"
        )

    def has_extension(self, extension_name: str) -> bool:
        """Whether the extension is loaded or stored in the folder."""
        if extension_name in self._loaded_extensions:
            return True
        if self.format == "binary":
            return (self.folder / extension_name / "params.json").is_file()
        if self.format == "zarr":
            root = self._zarr_root()
            return extension_name in root and "params" in root[extension_name].attrs
        return False

    def is_extension(self, extension_name: str) -> bool:
        """Deprecated: use :meth:`has_extension`."""
        warnings.warn(
            "is_extension() is deprecated: use has_extension()", DeprecationWarning, stacklevel=2
        )
        return self.has_extension(extension_name)

    def load_extension(self, extension_name: str) -> BaseWaveformExtractorExtension:
        """The extension instance, loaded from the folder if needed.

        Raises
        ------
        ValueError
            If the extension is not available or not registered.
        """
        if extension_name not in self._loaded_extensions:
            if self.folder is None or not self.has_extension(extension_name):
                raise ValueError(f"extension {extension_name!r} is not available")
            self.get_extension_class(extension_name).load(self.folder, self)
        return self._loaded_extensions[extension_name]

    def delete_extension(self, extension_name: str) -> None:
        """Forget the extension and delete its folder or group."""
        if not self.has_extension(extension_name):
            raise ValueError(f"extension {extension_name!r} is not available")
        self._loaded_extensions.pop(extension_name, None)
        if self.format == "memory" or self.is_read_only():
            return
        if self.format == "binary" and (self.folder / extension_name).is_dir():
            shutil.rmtree(self.folder / extension_name)
        elif self.format == "zarr":
            root = self._zarr_root("r+")
            if extension_name in root:
                del root[extension_name]
            self._root = None

    def get_available_extension_names(self) -> list[str]:
        """Names of registered extensions that are loaded or stored in the folder."""
        return [e.extension_name for e in self.extensions if self.has_extension(e.extension_name)]
