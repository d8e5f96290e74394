"""BaseWaveformExtractorExtension: results computed on top of a WaveformExtractor.

An extension keeps its parameters and data in the extractor's store, next to the waveforms
(FORMATS.md §8.3): in a binary folder, ``<extension_name>/params.json`` plus one file per data
item by value type (dict -> ``.json``, ndarray -> ``.npy``, pandas DataFrame -> ``.csv``, anything
else -> ``.pkl``); in a zarr store, a group with a ``params`` attribute and one array per item, a
dict as SpikeInterface 0.100 stores it; in memory, as they are. Pickled items are read only when
the extractor was loaded with ``allow_pickle=True``; otherwise a folder's ``.pkl`` files are
skipped with a warning, and a zarr store's pickled arrays make loading that extension fail with a
``ValueError`` naming them. An extension of a read-only folder that does not hold it yet lives in
memory.
"""

from __future__ import annotations

import importlib
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..json_io import to_jsonable
from .store_memory import MemoryStore

if TYPE_CHECKING:
    from .extractor import WaveformExtractor
    from .store import WaveformStore


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

    Attributes
    ----------
    store : WaveformStore
        Where the parameters and data are kept: the extractor's store, or memory when that is
        read-only and does not hold the extension.
    folder : Path or None
        The store's folder (None in memory).
    format : str
        The store's format.
    extension_folder : Path or None
        The extension's folder in a binary folder, else None.
    """

    extension_name: ClassVar[str | None] = None
    handle_sparsity: ClassVar[bool] = False

    def __init__(self, waveform_extractor: WaveformExtractor) -> None:
        self._waveform_extractor = weakref.ref(waveform_extractor)
        store = waveform_extractor.store
        if store.is_read_only() and not store.has_extension(self.extension_name):
            warnings.warn(
                f"{store.path} is read-only: extension {self.extension_name!r} is kept in memory",
                stacklevel=2,
            )
            store = MemoryStore()
        self.store: WaveformStore = store
        self._extension_data: dict[str, Any] = {}
        self._params: dict | None = None
        waveform_extractor._loaded_extensions[self.extension_name] = self

    @property
    def folder(self) -> Path | None:
        """The folder or zarr store the extension is kept in; None in memory."""
        return self.store.path

    @property
    def format(self) -> str:
        """``"binary"``, ``"zarr"`` or ``"memory"``."""
        return self.store.format

    @property
    def extension_folder(self) -> Path | None:
        """``<folder>/<extension_name>`` in a binary folder, else None."""
        return self.store.extension_folder(self.extension_name)

    @property
    def waveform_extractor(self) -> WaveformExtractor:
        """The parent extractor (``ValueError`` once it was deleted)."""
        we = self._waveform_extractor()
        if we is None:
            raise ValueError(f"extension {self.extension_name!r} lost its WaveformExtractor")
        return we

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, folder: str | Path | None, waveform_extractor: WaveformExtractor):
        """Load params and data of this extension from the extractor's store.

        ``folder`` is the extractor's folder (SpikeInterface's signature); the store of
        ``waveform_extractor`` is read.
        """
        params = waveform_extractor.store.read_extension_params(cls.extension_name)
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
            extension._extension_data = extension.store.read_extension_data(cls.extension_name)
        except Exception:
            # the extension registered itself: forget it rather than keep it half-loaded
            waveform_extractor._loaded_extensions.pop(cls.extension_name, None)
            raise
        return extension

    @classmethod
    def load_params_from_folder(cls, folder: str | Path) -> dict:
        """``<folder>/<extension_name>/params.json``."""
        from .store_folder import BinaryFolderStore

        return BinaryFolderStore(folder).read_extension_params(cls.extension_name)

    @classmethod
    def load_params_from_zarr(cls, folder: str | Path) -> dict:
        """The ``params`` attribute of the extension's group in a zarr store."""
        from .store_zarr import ZarrWaveformStore

        return ZarrWaveformStore(folder).read_extension_params(cls.extension_name)

    # ------------------------------------------------------------------ computing and saving
    def run(self, **kwargs) -> None:
        """Compute (``_run``) and save."""
        self._run(**kwargs)
        self._save(**kwargs)

    def _run(self, **kwargs) -> None:
        raise NotImplementedError(f"extension {self.extension_name!r} does not define _run")

    def save(self, **kwargs) -> None:
        """Write params and data to the store (nothing where it is read-only).

        Parameters
        ----------
        **kwargs
            ``compressor`` of the data arrays in a zarr store.
        """
        self._save(**kwargs)

    def _save(self, **kwargs) -> None:
        if self.store.is_read_only():
            return
        self.store.reset_extension(self.extension_name)
        self._save_params()
        self.store.write_extension_data(
            self.extension_name, self._extension_data, kwargs.get("compressor")
        )

    def reset(self) -> None:
        """Forget params and data and empty the extension's storage."""
        if not self.store.is_read_only():
            self.store.reset_extension(self.extension_name)
        self._params = None
        self._extension_data = {}

    def set_params(self, **params) -> None:
        """Validate (``_set_params``) and store the parameters (``params.json``)."""
        self._params = self._set_params(**params)
        if not self.store.is_read_only():
            self._save_params()

    def _save_params(self) -> None:
        from .sparsity import ChannelSparsity

        params = dict(self._params)
        sparsity = params.get("sparsity")
        if sparsity is not None:
            if not isinstance(sparsity, ChannelSparsity):
                raise TypeError("the 'sparsity' parameter must be a ChannelSparsity")
            params["sparsity"] = sparsity.to_dict()
        self.store.write_extension_params(self.extension_name, to_jsonable(params))

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


#: The module that defines and registers each of SpikeDesk's extensions: `import core` is
#: lazy, so a stored extension is loadable before the user touched its module.
EXTENSION_MODULES: dict[str, str] = {
    "spike_amplitudes": "core.postprocessing.spike_amplitudes",
    "isi_histograms": "core.postprocessing.isi",
    "noise_levels": "core.postprocessing.noise_level",
    "correlograms": "core.postprocessing.correlograms",
    "quality_metrics": "core.qualitymetrics.quality_metric_calculator",
}


class ExtensionHostMixin:
    """Extension registry and access of a WaveformExtractor (``extensions`` class list).

    Needs ``store``, ``folder`` and ``_loaded_extensions`` on the class it is mixed into.
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

    @classmethod
    def _registered_class(cls, extension_name: str) -> type | None:
        for extension_class in cls.extensions:
            if extension_class.extension_name == extension_name:
                return extension_class
        return None

    def get_extension_class(self, extension_name: str) -> type:
        """The registered class of ``extension_name``, importing SpikeDesk's module that
        defines it if needed (``ValueError`` if not registered)."""
        found = self._registered_class(extension_name)
        if found is None and extension_name in EXTENSION_MODULES:
            importlib.import_module(EXTENSION_MODULES[extension_name])
            found = self._registered_class(extension_name)
        if found is not None:
            return found
        raise ValueError(
            f"extension {extension_name!r} is not registered: import the module defining it"
        )

    def has_extension(self, extension_name: str) -> bool:
        """Whether the extension is loaded or stored."""
        return extension_name in self._loaded_extensions or self.store.has_extension(extension_name)

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
            if not self.has_extension(extension_name):
                raise ValueError(f"extension {extension_name!r} is not available")
            self.get_extension_class(extension_name).load(self.folder, self)
        return self._loaded_extensions[extension_name]

    def delete_extension(self, extension_name: str) -> None:
        """Forget the extension and delete it from the store (unless read-only)."""
        if not self.has_extension(extension_name):
            raise ValueError(f"extension {extension_name!r} is not available")
        extension = self._loaded_extensions.pop(extension_name, None)
        store = self.store if extension is None else extension.store
        if not store.is_read_only():
            store.delete_extension(extension_name)

    def get_available_extension_names(self) -> list[str]:
        """Names of registered extensions that are loaded or stored in the folder (SpikeDesk's
        own extensions count as registered)."""
        for name in EXTENSION_MODULES:
            if self._registered_class(name) is None and self.store.has_extension(name):
                self.get_extension_class(name)
        return [e.extension_name for e in self.extensions if self.has_extension(e.extension_name)]
