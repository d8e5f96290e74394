"""Snippets in ``.npy`` files: NpySnippetsExtractor (read_npy_snippets) and NpyFolderSnippets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..extractor_dict import read_extractor_json
from ..recording.mapped_file import check_file_not_truncated
from ..registry import register_extractor_class
from ..source_files import check_save_target
from .base import BaseSnippets
from .numpy import NumpySnippetsSegment

# Snippets copied per step when writing: bounds memory for memory-mapped sources.
_WRITE_BATCH = 4096


class NpySnippetsExtractor(BaseSnippets):
    """Snippets stored as one structured ``.npy`` file per segment, read through memmaps.

    Each file holds ``(num_snippets,)`` records ``[("frame", "<i8"), ("snippet", dtype,
    (snippet_len, num_channels))]`` (FORMATS.md §6).

    Parameters
    ----------
    file_paths : str | Path | list
        One file per segment.
    sampling_frequency : float
        Hz.
    channel_ids : array-like | None
        Defaults to ``0..num_channels-1``.
    nbefore : int | None
        Samples before the peak (None: not aligned).
    gain_to_uV, offset_to_uV : float | array-like | None
        Scaling to µV (scalar or per channel).
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "NpySnippets"
    mode = "file"
    name = "npy"

    def __init__(
        self,
        file_paths,
        sampling_frequency: float,
        channel_ids=None,
        nbefore: int | None = None,
        gain_to_uV=None,
        offset_to_uV=None,
    ) -> None:
        if isinstance(file_paths, str | Path):
            file_paths = [file_paths]
        if not isinstance(file_paths, list | tuple) or len(file_paths) == 0:
            raise ValueError("file_paths must be a file or a non-empty list of files")
        file_paths = [Path(p) for p in file_paths]
        records = [_load_records(path) for path in file_paths]
        snippet_field = records[0].dtype["snippet"]
        snippet_dtype, snippet_shape = snippet_field.base, snippet_field.shape
        for path, data in zip(file_paths[1:], records[1:]):
            field = data.dtype["snippet"]
            if field.base != snippet_dtype or field.shape != snippet_shape:
                raise ValueError(
                    f"file_paths: {path} holds {field.base} snippets of shape {field.shape}, "
                    f"{file_paths[0]} holds {snippet_dtype} snippets of shape {snippet_shape}"
                )
        snippet_len, num_channels = snippet_shape
        if channel_ids is None:
            channel_ids = np.arange(num_channels)
        if len(channel_ids) != num_channels:
            raise ValueError(
                f"channel_ids has {len(channel_ids)} ids but the files hold {num_channels} channels"
            )
        super().__init__(sampling_frequency, nbefore, snippet_len, channel_ids, snippet_dtype)
        for path, data in zip(file_paths, records):
            self.add_snippets_segment(NpySnippetsSegment(path, data))
        if gain_to_uV is not None:
            self.set_channel_gains(gain_to_uV)
        if offset_to_uV is not None:
            self.set_channel_offsets(offset_to_uV)
        self._kwargs = {
            "file_paths": [str(p.absolute()) for p in file_paths],
            "sampling_frequency": self.sampling_frequency,
            "channel_ids": self.channel_ids,
            "nbefore": self.nbefore,
            "gain_to_uV": _list_or_none(gain_to_uV),
            "offset_to_uV": _list_or_none(offset_to_uV),
        }

    @staticmethod
    def write_snippets(
        snippets: BaseSnippets,
        file_paths,
        dtype=None,
        progress_callback: Callable[[int, int], None] | None = None,
        cancel_token=None,
    ) -> None:
        """Write each segment of ``snippets`` to a structured ``.npy`` file.

        Parameters
        ----------
        snippets : BaseSnippets
            The snippets to write.
        file_paths : str | Path | list
            One file per segment (``.npy`` is appended when missing, like ``np.save``).
        dtype : numpy dtype-like | None
            Dtype of the written snippets (default: the snippets' dtype).
        progress_callback : callable | None
            ``progress_callback(done_segments, total_segments)``.
        cancel_token : CancelToken | None
            Checked between batches of snippets.
        """
        if isinstance(file_paths, str | Path):
            file_paths = [file_paths]
        num_segments = snippets.get_num_segments()
        if len(file_paths) != num_segments:
            raise ValueError(f"file_paths has {len(file_paths)} files for {num_segments} segments")
        dtype = snippets.get_dtype() if dtype is None else np.dtype(dtype)
        record_dtype = np.dtype(
            [
                ("frame", "<i8"),
                ("snippet", dtype, (snippets.snippet_len, snippets.get_num_channels())),
            ]
        )
        paths = [Path(p) if Path(p).suffix == ".npy" else Path(f"{p}.npy") for p in file_paths]
        for path in paths:
            check_save_target(path, {"snippets being written": snippets}, argument="file_paths")
        for segment_index, path in enumerate(paths):
            _write_segment(snippets, segment_index, path, record_dtype, cancel_token)
            if progress_callback is not None:
                progress_callback(segment_index + 1, num_segments)


class NpyFolderSnippets(NpySnippetsExtractor):
    """Snippets saved by ``save(format="npy")``: ``npy.json`` plus ``.npy`` files.

    Also applies the folder's probe (``probe.json`` or ``probegroup.json``), ``annotations.json``
    (SpikeInterface >= 0.105) and ``properties/``.

    Parameters
    ----------
    folder_path : str | Path
        The saved folder.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "NpyFolderSnippets"
    mode = "folder"
    name = "npyfolder"

    def __init__(self, folder_path) -> None:
        folder_path = Path(folder_path)
        description = read_extractor_json(folder_path / "npy.json")
        if not str(description.get("class", "")).endswith("NpySnippetsExtractor"):
            raise ValueError(
                f"{folder_path / 'npy.json'}: describes {description.get('class')!r}, not an "
                "NpySnippetsExtractor"
            )
        kwargs = description["kwargs"]
        relative = bool(description.get("relative_paths"))
        file_paths = kwargs["file_paths"]
        if isinstance(file_paths, str):
            file_paths = [file_paths]
        super().__init__(
            file_paths=[_resolve(folder_path, p, relative) for p in file_paths],
            sampling_frequency=kwargs["sampling_frequency"],
            channel_ids=kwargs.get("channel_ids"),
            nbefore=kwargs.get("nbefore"),
            gain_to_uV=kwargs.get("gain_to_uV"),
            offset_to_uV=kwargs.get("offset_to_uV"),
        )
        self.load_metadata_from_folder(folder_path)
        self._kwargs = {"folder_path": str(folder_path.absolute())}


def write_npy_snippets_folder_data(
    snippets: BaseSnippets,
    folder: Path,
    dtype=None,
    progress_callback: Callable[[int, int], None] | None = None,
    cancel_token=None,
) -> None:
    """Write ``traces_cached_seg{N}.npy`` and ``npy.json`` of an npy snippets folder."""
    file_paths = [folder / f"traces_cached_seg{i}.npy" for i in range(snippets.get_num_segments())]
    NpySnippetsExtractor.write_snippets(
        snippets,
        file_paths,
        dtype=dtype,
        progress_callback=progress_callback,
        cancel_token=cancel_token,
    )
    written = NpySnippetsExtractor(
        file_paths,
        snippets.sampling_frequency,
        channel_ids=snippets.channel_ids,
        nbefore=snippets.nbefore,
        gain_to_uV=snippets.get_channel_gains(),
        offset_to_uV=snippets.get_channel_offsets(),
    )
    written.dump_to_json(folder / "npy.json", relative_to=folder)


class NpySnippetsSegment(NumpySnippetsSegment):
    """A segment over one memory-mapped ``.npy`` file, checked to be whole before each read.

    Reading a map past the end of a file truncated after opening kills the process (SIGBUS);
    each read first checks that the file still holds every record.

    Parameters
    ----------
    file_path : Path
        The ``.npy`` file.
    records : np.memmap
        Its records (fields ``frame`` and ``snippet``).
    """

    def __init__(self, file_path: Path, records: np.memmap) -> None:
        super().__init__(records["snippet"], np.array(records["frame"], dtype=np.int64))
        self.file_path = file_path
        self._file_bytes = records.offset + records.nbytes

    def get_snippets(self, indices, channel_indices) -> np.ndarray:
        check_file_not_truncated(self.file_path, self._file_bytes)
        return super().get_snippets(indices, channel_indices)


def _load_records(path: Path) -> np.ndarray:
    """Memory-map one segment file after checking its fields."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: snippets file not found")
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"{path}: not a readable .npy file ({err})") from None
    names = data.dtype.names or ()
    if "frame" not in names or "snippet" not in names or data.dtype["snippet"].ndim != 2:
        raise ValueError(
            f"{path}: expected records with fields 'frame' and 'snippet' (snippet_len, "
            f"num_channels), got dtype {data.dtype}"
        )
    if data.dtype["frame"].kind not in "iu":
        raise ValueError(f"{path}: field 'frame' must hold integers, got {data.dtype['frame']}")
    if data.ndim != 1:
        raise ValueError(f"{path}: expected a 1-D array of records, got shape {data.shape}")
    return data


def _write_segment(
    snippets: BaseSnippets, segment_index: int, path: Path, record_dtype: np.dtype, cancel_token
) -> None:
    num_snippets = snippets.get_num_snippets(segment_index)
    if num_snippets == 0:
        np.save(path, np.zeros(0, dtype=record_dtype))
        return
    out = np.lib.format.open_memmap(path, mode="w+", dtype=record_dtype, shape=(num_snippets,))
    frames = snippets.get_frames(segment_index=segment_index)
    snippet_dtype = record_dtype["snippet"].base
    for start in range(0, num_snippets, _WRITE_BATCH):
        if cancel_token is not None:
            cancel_token.raise_if_cancelled()
        batch = slice(start, min(start + _WRITE_BATCH, num_snippets))
        out["frame"][batch] = frames[batch]
        out["snippet"][batch] = snippets.get_snippets(batch, segment_index=segment_index).astype(
            snippet_dtype, copy=False
        )
    out.flush()
    del out


def _resolve(folder: Path, path: str, relative: bool) -> str:
    """A path of ``npy.json``: relative to ``folder``, or absolute (falling back to the file of
    that name inside ``folder`` when the writer's absolute path does not exist here)."""
    path = path.replace("\\", "/")
    if relative:
        return str(folder / path)
    return path if Path(path).is_file() else str(folder / Path(path).name)


def _list_or_none(values):
    if values is None:
        return None
    values = np.asarray(values, dtype=float)
    return values.tolist() if values.ndim else float(values)


register_extractor_class(
    NpySnippetsExtractor, "spikeinterface.core.npysnippetsextractor.NpySnippetsExtractor"
)
register_extractor_class(
    NpyFolderSnippets, "spikeinterface.core.npyfoldersnippets.NpyFolderSnippets"
)

read_npy_snippets = NpySnippetsExtractor
read_npy_snippets_folder = NpyFolderSnippets
