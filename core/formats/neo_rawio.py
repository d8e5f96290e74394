"""Opening neo rawio readers: format detection, header parsing with errors naming the path,
stream listing and selection."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # neo is imported when a file is opened: `import core` stays quick
    from neo.rawio.baserawio import BaseRawIO


# SpikeGLX and Open Ephys files sit at most this many folders below what users pick
_SEARCH_DEPTH = 4
_EXPECTED = (
    "an Open Ephys binary folder (with structure.oebin), a SpikeGLX run folder or .meta file, or "
    "an Intan .rhd/.rhs file; pass rawio_class (a name from neo.rawio.rawiolist) for other formats"
)


def detect_rawio_class(path: str | Path) -> str:
    """Name of the neo rawio class for ``path``, guessed from its extension or folder content.

    Parameters
    ----------
    path : str | Path
        A file or folder.

    Returns
    -------
    str
        ``"OpenEphysBinaryRawIO"``, ``"SpikeGLXRawIO"`` or ``"IntanRawIO"``.

    Raises
    ------
    ValueError
        If the format is none of these (the message names the path and what was expected).
    """
    path = Path(path)
    if path.is_dir():
        if _contains(path, "structure.oebin"):
            return "OpenEphysBinaryRawIO"
        if _contains(path, "*.meta"):
            return "SpikeGLXRawIO"
    elif path.suffix in (".rhd", ".rhs"):
        return "IntanRawIO"
    elif path.suffix in (".meta", ".bin") and path.with_suffix(".meta").is_file():
        return "SpikeGLXRawIO"
    raise ValueError(f"{path}: format not recognised; expected {_EXPECTED}")


def _contains(folder: Path, pattern: str) -> bool:
    """Whether a file matching ``pattern`` is in ``folder`` or a few levels below it."""
    return any(
        next(folder.glob("*/" * depth + pattern), None) is not None
        for depth in range(_SEARCH_DEPTH + 1)
    )


def open_rawio(path: str | Path, rawio_class: str | None = None) -> BaseRawIO:
    """Create the neo rawio for ``path`` and parse its header (no signal data is read).

    Parameters
    ----------
    path : str | Path
        File or folder (folder readers given a file use the file's folder).
    rawio_class : str | None
        Name of a class in ``neo.rawio.rawiolist``; guessed by `detect_rawio_class` if None.

    Returns
    -------
    BaseRawIO

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (or neo misses a file it names).
    ValueError
        If the class name is unknown or neo cannot read the data (the message names the path).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    name = detect_rawio_class(path) if rawio_class is None else rawio_class
    if not isinstance(name, str):
        raise TypeError(f"rawio_class must be a class name (str), got {type(name).__name__}")
    import neo.rawio

    classes = {cls.__name__: cls for cls in neo.rawio.rawiolist}
    if name not in classes:
        raise ValueError(f"rawio_class {name!r} is not in neo.rawio.rawiolist: {sorted(classes)}")
    cls = classes[name]
    if cls.rawmode == "one-dir":
        rawio = cls(dirname=str(path if path.is_dir() else path.parent))
    elif path.is_dir():
        raise ValueError(f"{path}: {name} reads a file, not a folder")
    else:
        rawio = cls(filename=str(path))
    try:
        rawio.parse_header()
    except FileNotFoundError:
        raise
    except Exception as err:  # neo reports damaged files with many exception types
        raise ValueError(f"{path}: {name} cannot read it ({type(err).__name__}: {err})") from err
    return rawio


def get_neo_streams(path: str | Path, rawio_class: str | None = None) -> tuple[list, list]:
    """Signal streams of a file or folder.

    Parameters
    ----------
    path : str | Path
    rawio_class : str | None
        See `open_rawio`.

    Returns
    -------
    stream_names, stream_ids : list of str
    """
    streams = open_rawio(path, rawio_class).header["signal_streams"]
    return [str(n) for n in streams["name"]], [str(i) for i in streams["id"]]


def select_stream(
    rawio: BaseRawIO, path: Path, stream_id: str | None = None, stream_name: str | None = None
) -> int:
    """Index of the signal stream chosen by ``stream_id`` or ``stream_name``.

    Parameters
    ----------
    rawio : BaseRawIO
        With its header parsed.
    path : Path
        Named in error messages.
    stream_id, stream_name : str | None
        Either may be given (both must then agree); neither when there is one stream.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the stream is unknown, or several exist and none was chosen (listing ids and names).
    """
    streams = rawio.header["signal_streams"]
    ids, names = [str(i) for i in streams["id"]], [str(n) for n in streams["name"]]
    listing = ", ".join(f"{i!r} ({n})" for i, n in zip(ids, names))
    if not ids:
        raise ValueError(f"{path}: no signal streams")
    if stream_id is not None:
        if str(stream_id) not in ids:
            raise ValueError(f"{path}: no stream_id {stream_id!r}; available: {listing}")
        index = ids.index(str(stream_id))
        if stream_name is not None and names[index] != stream_name:
            raise ValueError(
                f"{path}: stream_id {stream_id!r} is {names[index]!r}, not {stream_name!r}"
            )
        return index
    if stream_name is not None:
        if stream_name not in names:
            raise ValueError(f"{path}: no stream_name {stream_name!r}; available: {listing}")
        return names.index(stream_name)
    if len(ids) > 1:
        raise ValueError(
            f"{path} has {len(ids)} streams: pass stream_id (or stream_name), one of {listing}"
        )
    return 0
