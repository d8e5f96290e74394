"""BinaryFolderStore: a WaveformExtractor in a binary folder (SpikeInterface <= 0.100, FORMATS.md §8.1).

Waveforms are ``waveforms/waveforms_<unit_id>.npy`` (read lazily as memmaps, written in place by
the extraction kernel), templates ``templates_<name>.npy``, extensions ``<name>/`` with
``params.json`` and one file per data item by value type (dict -> ``.json``, ndarray ->
``.npy``, pandas DataFrame -> ``.csv``, anything else -> ``.pkl``; FORMATS.md §8.3). Folders
written here open in SpikeInterface 0.100 and the other way round. Pickled items (``.pkl``
extension data, ``.pickle`` descriptions) are read only with ``allow_pickle=True``; otherwise
``.pkl`` extension files are skipped with a warning.
"""

from __future__ import annotations

import pickle
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..json_io import read_json, write_json
from .extractor_io import folder_is_read_only, load_recording, template_names
from .extractor_recording import recording_attributes, recording_probegroup
from .folder_io import (
    dump_recording,
    dump_sorting,
    load_described,
    read_recording_info,
    read_sparsity,
    sparsity_of_resaved_folder,
    write_recording_info,
    write_sparsity,
)
from .kernel import extract_waveforms_to_buffers
from .store import ExtractorContent, StoredExtractor

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .sparsity import ChannelSparsity


class BinaryFolderStore:
    """A WaveformExtractor binary folder (a `WaveformStore`).

    Parameters
    ----------
    path : str or Path
        An existing folder.
    allow_pickle : bool, default: False
        Read pickled extension data and descriptions (they can execute code).

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a folder.
    """

    format = "binary"

    def __init__(self, path: str | Path, allow_pickle: bool = False) -> None:
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such waveform folder")
        self.path = path
        self.allow_pickle = allow_pickle
        self._read_only = folder_is_read_only(path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    @classmethod
    def matches(cls, path: str | Path) -> bool:
        """Whether ``path`` is a WaveformExtractor binary folder (from its file names only)."""
        path = Path(path)
        return (path / "params.json").is_file() and (
            (path / "recording_info").is_dir() or (path / "waveforms").is_dir()
        )

    def is_read_only(self) -> bool:
        """Whether the folder must not be changed."""
        return self._read_only

    def _check_writable(self, what: str) -> None:
        if self._read_only:
            raise ValueError(f"{self.path} is read-only: {what}")

    # ------------------------------------------------------------------ creating and opening
    @classmethod
    def create(
        cls,
        folder: Path,
        recording: BaseRecording,
        sorting: BaseSorting,
        use_relative_path: bool,
        sparsity: ChannelSparsity | None,
    ) -> BinaryFolderStore:
        """A new store in ``folder``, an existing empty folder: descriptions, no waveforms yet.

        Writes the recording and sorting descriptions, ``recording_info/`` and, when sparse,
        ``sparsity.json``.
        """
        relative_to = folder if use_relative_path else None
        dump_recording(recording, folder, relative_to)
        dump_sorting(sorting, folder, relative_to)
        write_recording_info(
            folder, recording_attributes(recording), recording_probegroup(recording)
        )
        if sparsity is not None:
            write_sparsity(folder, sparsity)
        return cls(folder)

    @staticmethod
    def target_path(folder: str | Path) -> Path:
        """Where ``save(folder, format="binary")`` writes: ``folder`` itself."""
        return Path(folder)

    @classmethod
    def write(
        cls, folder: Path, content: ExtractorContent, use_relative_path: bool, **options: Any
    ) -> None:
        """Write a whole extractor into ``folder``, an existing empty folder.

        ``sparsity.json`` is written whenever ``content`` is sparse. ``options`` (such as the
        zarr store's ``compressor``) are accepted for symmetry and ignored.
        """
        relative_to = folder if use_relative_path else None
        write_json(folder / "params.json", content.params)
        if content.recording is not None:
            dump_recording(content.recording, folder, relative_to)
        dump_sorting(content.sorting, folder, relative_to)
        write_recording_info(folder, content.rec_attributes, content.probegroup)
        if content.sparsity is not None:
            write_sparsity(folder, content.sparsity)
        for name, values in content.templates.items():
            np.save(folder / f"templates_{name}.npy", values)
        if content.waveforms is not None:
            (folder / "waveforms").mkdir()
            for unit_id, waveforms, index in content.waveforms():
                np.save(folder / "waveforms" / f"waveforms_{unit_id}.npy", waveforms)
                np.save(folder / "waveforms" / f"sampled_index_{unit_id}.npy", index)

    def read_description(
        self, with_recording: bool, sorting: BaseSorting | None
    ) -> StoredExtractor:
        """Recording (or its attributes), sorting and sparsity stored in the folder.

        Raises
        ------
        FileNotFoundError
            If the sorting description is missing.
        ValueError
            If the recording cannot be loaded (the message suggests ``with_recording=False``).
        """
        folder, allow_pickle = self.path, self.allow_pickle
        recording, rec_attributes = None, None
        if with_recording:
            recording = load_recording(
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
            sparsity = sparsity_of_resaved_folder(folder, sorting.unit_ids, channel_ids)
        return StoredExtractor(recording, sorting, rec_attributes, sparsity)

    # ------------------------------------------------------------------ parameters and templates
    def read_params(self) -> dict:
        """``params.json`` (empty when absent)."""
        params_file = self.path / "params.json"
        return read_json(params_file) if params_file.is_file() else {}

    def write_params(self, params: dict) -> None:
        """``params.json``."""
        write_json(self.path / "params.json", params)

    def read_templates(self) -> dict[str, np.ndarray]:
        """Every ``templates_<name>.npy``."""
        return {
            name: np.load(self.path / f"templates_{name}.npy") for name in template_names(self.path)
        }

    def write_templates(self, name: str, values: np.ndarray) -> None:
        """``templates_<name>.npy``."""
        np.save(self.path / f"templates_{name}.npy", values)

    # ------------------------------------------------------------------ waveforms
    def has_waveforms(self) -> bool:
        """Whether ``waveforms/`` exists."""
        return (self.path / "waveforms").is_dir()

    def reset_waveforms(self) -> None:
        """Delete ``waveforms/`` and the templates; create an empty ``waveforms/``."""
        self._check_writable("its waveforms cannot be replaced")
        shutil.rmtree(self.path / "waveforms", ignore_errors=True)
        for name in template_names(self.path):
            (self.path / f"templates_{name}.npy").unlink()
        (self.path / "waveforms").mkdir()

    def delete_waveforms(self) -> None:
        """Delete ``waveforms/``."""
        self._check_writable("its waveforms cannot be deleted")
        shutil.rmtree(self.path / "waveforms")

    def write_sampled_indices(self, sampled_indices: dict[Any, np.ndarray]) -> None:
        """``waveforms/sampled_index_<unit_id>.npy``."""
        for unit_id, index in sampled_indices.items():
            np.save(self.path / "waveforms" / f"sampled_index_{unit_id}.npy", index)

    def extract_waveforms(
        self,
        recording: BaseRecording,
        spikes: np.ndarray,
        unit_ids: np.ndarray,
        nbefore: int,
        nafter: int,
        averages: dict | None = None,
        **kernel_kwargs: Any,
    ) -> None:
        """Cut the waveforms into ``waveforms/waveforms_<unit_id>.npy`` (``"files"`` mode)."""
        extract_waveforms_to_buffers(
            recording,
            spikes,
            unit_ids,
            nbefore,
            nafter,
            mode="files",
            folder=self.path / "waveforms",
            averages=averages,
            **kernel_kwargs,
        )

    def read_waveforms(self, unit_id: Any, lazy: bool) -> np.ndarray:
        """``waveforms_<unit_id>.npy``, as a read-only memmap when ``lazy``."""
        path = self.path / "waveforms" / f"waveforms_{unit_id}.npy"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: waveforms not extracted yet")
        return np.load(path, mmap_mode="r" if lazy else None)

    def read_sampled_indices(self, unit_id: Any) -> np.ndarray:
        """``sampled_index_<unit_id>.npy``."""
        return np.load(self.path / "waveforms" / f"sampled_index_{unit_id}.npy")

    # ------------------------------------------------------------------ extensions
    def has_extension(self, name: str) -> bool:
        """Whether ``<name>/params.json`` exists."""
        return (self.path / name / "params.json").is_file()

    def extension_folder(self, name: str) -> Path:
        """``<name>/``."""
        return self.path / name

    def read_extension_params(self, name: str) -> dict:
        """``<name>/params.json``."""
        params_file = self.path / name / "params.json"
        if not params_file.is_file():
            raise FileNotFoundError(f"{params_file}: extension {name!r} not found")
        return read_json(params_file)

    def write_extension_params(self, name: str, params: dict) -> None:
        """``<name>/params.json`` (the folder is created if needed)."""
        (self.path / name).mkdir(exist_ok=True)
        write_json(self.path / name / "params.json", params)

    def read_extension_data(self, name: str) -> dict[str, Any]:
        """Every data file of ``<name>/`` by stem; ``.pkl`` files only with ``allow_pickle``."""
        data: dict[str, Any] = {}
        for path in sorted((self.path / name).iterdir()):
            if path.name == "params.json":
                continue
            if path.suffix == ".json":
                data[path.stem] = read_json(path)
            elif path.suffix == ".npy":
                data[path.stem] = np.load(path)
            elif path.suffix == ".csv":
                import pandas as pd

                data[path.stem] = pd.read_csv(path, index_col=0)
            elif path.suffix == ".pkl":
                if not self.allow_pickle:
                    warnings.warn(
                        f"{path}: not loaded (pickle can execute code; load the extractor with "
                        "allow_pickle=True for folders you trust)",
                        stacklevel=5,
                    )
                    continue
                data[path.stem] = pickle.loads(path.read_bytes())
        return data

    def write_extension_data(self, name: str, data: dict[str, Any], compressor: Any = None) -> None:
        """One file per item of ``data`` in ``<name>/`` (``compressor`` is ignored)."""
        folder = self.path / name
        for key, value in data.items():
            if isinstance(value, dict):
                write_json(folder / f"{key}.json", value)
            elif isinstance(value, np.ndarray):
                np.save(folder / f"{key}.npy", value)
            elif type(value).__name__ == "DataFrame" and hasattr(value, "to_csv"):
                value.to_csv(folder / f"{key}.csv", index=True)
            else:
                (folder / f"{key}.pkl").write_bytes(pickle.dumps(value))

    def reset_extension(self, name: str) -> None:
        """Empty ``<name>/``."""
        shutil.rmtree(self.path / name, ignore_errors=True)
        (self.path / name).mkdir()

    def delete_extension(self, name: str) -> None:
        """Delete ``<name>/``."""
        if (self.path / name).is_dir():
            shutil.rmtree(self.path / name)
