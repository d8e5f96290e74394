"""What a Dask job needs before anything is submitted: the optional dependency, a valid client
argument, and job arguments that can travel to other machines.

Nothing here imports ``distributed`` at module level: ``core`` works without the extra, and these
checks run for every job kwarg validation.
"""

from __future__ import annotations

import io
import pickle
import sys
from types import ModuleType
from typing import Any

__all__ = [
    "DISTRIBUTED_EXTRA_HINT",
    "check_dask_client",
    "check_recording_travels",
    "dumps_for_workers",
    "import_distributed",
]

DISTRIBUTED_EXTRA_HINT = "pip install 'spikedesk[distributed]'"


def import_distributed() -> ModuleType:
    """Return the ``distributed`` module.

    Returns
    -------
    module
        ``distributed``.

    Raises
    ------
    ImportError
        If the optional dependency is not installed; the message names the extra to install.
    """
    try:
        import distributed
    except ImportError as error:
        raise ImportError(
            "pool_engine='dask' needs the optional dependency 'distributed' (Dask distributed), "
            f"which is not installed: {DISTRIBUTED_EXTRA_HINT}"
        ) from error
    return distributed


def check_dask_client(dask_client: Any) -> None:
    """Check a ``dask_client`` job keyword argument.

    Parameters
    ----------
    dask_client : distributed.Client or str or None
        A client, a scheduler address (``"tcp://host:8786"``), or None (the current client).

    Raises
    ------
    TypeError
        If it is none of these.
    ValueError
        If it is an empty address.
    """
    if dask_client is None:
        return
    if isinstance(dask_client, str):
        if not dask_client.strip():
            raise ValueError("dask_client must be a scheduler address such as 'tcp://host:8786'")
        return
    # A Client can only exist if distributed was imported: no import needed to recognise one.
    distributed = sys.modules.get("distributed")
    if distributed is not None and isinstance(dask_client, distributed.Client):
        return
    raise TypeError(
        "dask_client must be a distributed.Client, a scheduler address string or None, "
        f"got {type(dask_client).__name__}"
    )


def _travel_refusal(obj: Any) -> str:
    return (
        f"{type(obj).__name__} holds its data in this process's memory (in-memory or shared "
        "memory), so it cannot be sent to Dask workers. Save it first, e.g. "
        "`recording = recording.save(folder=...)`, and run the job on the saved copy"
    )


def _travels(obj: Any) -> bool:
    """Whether an extractor-like object can be rebuilt elsewhere from its description."""
    check = getattr(type(obj), "check_serializability", None)
    return check is None or bool(obj.check_serializability("pickle"))


def check_recording_travels(recording: Any) -> None:
    """Refuse a recording that other machines cannot rebuild from its description.

    Parameters
    ----------
    recording : BaseRecording
        The recording of a Dask job.

    Raises
    ------
    ValueError
        If it (or a recording it is built from) holds its data in this process's memory
        (``NumpyRecording``, ``SharedMemoryRecording``), with a message saying to save it first.
    """
    if not _travels(recording):
        raise ValueError(_travel_refusal(recording))


class _TravelPickler(pickle.Pickler):
    """Pickler that refuses extractors whose description does not rebuild them elsewhere.

    Extractors pickle as their ``to_dict()`` description (``BaseExtractor.__reduce__``): workers
    rebuild them from it and never receive traces or open file handles.
    """

    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, type) and not _travels(obj):
            raise ValueError(_travel_refusal(obj))
        return NotImplemented


def dumps_for_workers(obj: Any) -> bytes:
    """Pickle the arguments of a Dask job, refusing what cannot travel.

    Parameters
    ----------
    obj : object
        The job's function, worker initializer and its arguments.

    Returns
    -------
    bytes
        The pickle, rebuilt once per worker and job.

    Raises
    ------
    ValueError
        If an extractor in ``obj`` holds its data in memory (save it first).
    TypeError
        If something in ``obj`` cannot be pickled (an open file, a lock, a lambda...).
    """
    buffer = io.BytesIO()
    try:
        _TravelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise TypeError(f"the job's arguments cannot be sent to Dask workers: {error}") from error
    return buffer.getvalue()
