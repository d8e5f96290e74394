"""Job keyword arguments: names, session-wide defaults, parsing and normalisation.

Public functions keep SpikeInterface 0.100's names and signatures (``fix_job_kwargs``,
``ensure_n_jobs``, ``ensure_chunk_size``...). Inside this package the parsed result is a frozen
:class:`JobOptions`, built once per call by :meth:`JobOptions.from_kwargs`.

Differences from SpikeInterface 0.100 (all compatible: they only turn errors into results or
assertions into clearer exceptions):

- validation raises ``ValueError`` / ``TypeError`` naming the argument instead of ``AssertionError``;
- an ``int`` ``chunk_duration`` is accepted as seconds;
- ``reset_global_job_kwargs()`` restores all five default keys;
- ``pool_engine`` (``"process"`` or ``"thread"``, from SpikeInterface 0.102, or ``"dask"``: a Dask
  distributed cluster, see :mod:`.dask_engine`), ``dask_client`` and the 0.102 spelling
  ``max_threads_per_worker`` (an alias of ``max_threads_per_process``) are accepted job keys,
  although ``job_keys`` keeps the nine 0.100 names;
- ``ensure_n_jobs`` applies the same ``n_jobs`` rules as ``fix_job_kwargs`` (negative and
  fractional values) and only requires memory-serializable recordings for process pools.
"""

from __future__ import annotations

import copy
import math
import multiprocessing
import numbers
import os
import platform
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ..errors import InvalidInputError
from .dask_checks import check_dask_client, check_recording_travels
from .units import parse_duration_seconds, parse_memory_size

__all__ = [
    "JobOptions",
    "ensure_chunk_size",
    "ensure_n_jobs",
    "fix_job_kwargs",
    "get_cpu_count",
    "get_global_job_kwargs",
    "is_set_global_job_kwargs_set",
    "job_keys",
    "normalize_n_jobs",
    "reset_global_job_kwargs",
    "set_global_job_kwargs",
    "split_job_kwargs",
]

job_keys: tuple[str, ...] = (
    "n_jobs",
    "total_memory",
    "chunk_size",
    "chunk_memory",
    "chunk_duration",
    "progress_bar",
    "mp_context",
    "verbose",
    "max_threads_per_process",
)
"""The job keyword arguments of SpikeInterface 0.100."""

#: Keys accepted in addition to ``job_keys`` (SpikeInterface 0.102 names, and the Dask client).
extra_job_keys: tuple[str, ...] = ("pool_engine", "dask_client")
_KEY_ALIASES = {"max_threads_per_worker": "max_threads_per_process"}
_ACCEPTED_KEYS = job_keys + extra_job_keys

#: Keys that all choose the chunk size: giving one at call time drops the others from the globals.
_CHUNK_KEYS = ("total_memory", "chunk_size", "chunk_memory", "chunk_duration")

POOL_ENGINES: tuple[str, ...] = ("process", "thread", "dask")
PoolEngine = Literal["process", "thread", "dask"]

_DEFAULT_GLOBAL_JOB_KWARGS: dict[str, Any] = {
    "n_jobs": 1,
    "chunk_duration": "1s",
    "progress_bar": True,
    "mp_context": None,
    "max_threads_per_process": 1,
}

# ProcessPoolExecutor refuses more workers than this on Windows.
_WINDOWS_MAX_PROCESSES = 61

_global_job_kwargs: dict[str, Any] = copy.deepcopy(_DEFAULT_GLOBAL_JOB_KWARGS)
_global_job_kwargs_set = False
_global_lock = threading.Lock()


class RecordingLike(Protocol):
    """The part of a recording that job tools use."""

    @property
    def sampling_frequency(self) -> float: ...

    def get_num_segments(self) -> int: ...

    def get_num_samples(self, segment_index: int) -> int: ...

    def get_num_channels(self) -> int: ...

    def get_dtype(self) -> np.dtype: ...

    def check_serializability(self, type: str) -> bool: ...

    def get_preferred_mp_context(self) -> str | None: ...


# --------------------------------------------------------------------------- global job kwargs
def get_global_job_kwargs() -> dict[str, Any]:
    """Return a copy of the session-wide job keyword arguments.

    Returns
    -------
    dict
        A deep copy; changing it does not change the globals.
    """
    with _global_lock:
        return _copied(_global_job_kwargs)


def set_global_job_kwargs(**job_kwargs: Any) -> None:
    """Merge ``job_kwargs`` into the session-wide job keyword arguments.

    Parameters
    ----------
    **job_kwargs
        Any of ``job_keys`` (plus ``pool_engine`` and ``dask_client``). Values are stored as
        given (``n_jobs=-1`` stays ``-1``) after validation; a ``dask_client`` is kept by
        reference, the other values are copied.

    Raises
    ------
    ValueError
        If a key is not a job keyword argument or a value is invalid.
    TypeError
        If a value has the wrong type.
    """
    global _global_job_kwargs_set
    job_kwargs = _canonical_job_kwargs(job_kwargs)
    _validate_job_values(job_kwargs)
    with _global_lock:
        _global_job_kwargs.update(_copied(job_kwargs))
        _global_job_kwargs_set = True


def reset_global_job_kwargs() -> None:
    """Restore the default global job keyword arguments.

    The defaults are ``{"n_jobs": 1, "chunk_duration": "1s", "progress_bar": True,
    "mp_context": None, "max_threads_per_process": 1}``. As in SpikeInterface, the "was set"
    flag read by :func:`is_set_global_job_kwargs_set` is left unchanged.
    """
    global _global_job_kwargs
    with _global_lock:
        _global_job_kwargs = copy.deepcopy(_DEFAULT_GLOBAL_JOB_KWARGS)


def is_set_global_job_kwargs_set() -> bool:
    """Return whether :func:`set_global_job_kwargs` was called in this session.

    Returns
    -------
    bool
    """
    return _global_job_kwargs_set


# --------------------------------------------------------------------------- keys and merging
def _copied(job_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Deep copy of job kwargs, except the Dask client: a live connection, shared as is."""
    return {
        key: value if key == "dask_client" else copy.deepcopy(value)
        for key, value in job_kwargs.items()
    }


def _canonical_job_kwargs(job_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Map aliases to canonical names and reject unknown keys."""
    canonical: dict[str, Any] = {}
    for key, value in job_kwargs.items():
        name = _KEY_ALIASES.get(key, key)
        if name not in _ACCEPTED_KEYS:
            raise InvalidInputError(
                f"{key!r} is not a valid job keyword argument; "
                f"valid keys are {list(_ACCEPTED_KEYS)}"
            )
        canonical[name] = value
    return canonical


def _validate_job_values(job_kwargs: dict[str, Any]) -> None:
    """Check the values that can be checked without a recording."""
    if job_kwargs.get("n_jobs") is not None:
        normalize_n_jobs(job_kwargs["n_jobs"])
    if "pool_engine" in job_kwargs:
        _check_pool_engine(job_kwargs["pool_engine"])
    if "dask_client" in job_kwargs:
        check_dask_client(job_kwargs["dask_client"])
    if "mp_context" in job_kwargs:
        _check_mp_context(job_kwargs["mp_context"])
    if "max_threads_per_process" in job_kwargs:
        _check_max_threads(job_kwargs["max_threads_per_process"])


def fix_job_kwargs(runtime_job_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """Merge call-time job keyword arguments over the global ones.

    Parameters
    ----------
    runtime_job_kwargs : dict or None
        Job keyword arguments given to a function. ``None`` values are ignored. Giving any of
        ``total_memory``, ``chunk_size``, ``chunk_memory`` or ``chunk_duration`` (not ``None``)
        removes all four from the globals first, so the call-time choice wins.

    Returns
    -------
    dict
        The merged keyword arguments with ``n_jobs`` normalised to an int >= 1
        (see :func:`normalize_n_jobs`).

    Raises
    ------
    ValueError
        If a key is not a job keyword argument, or ``n_jobs`` is 0 or not finite.
    TypeError
        If ``n_jobs`` is not a number.

    Warns
    -----
    UserWarning
        When ``n_jobs`` was not given, resolves to 1, and the globals were never set.
    """
    runtime = _canonical_job_kwargs(dict(runtime_job_kwargs or {}))
    job_kwargs = get_global_job_kwargs()
    if any(runtime.get(key) is not None for key in _CHUNK_KEYS):
        for key in _CHUNK_KEYS:
            job_kwargs.pop(key, None)
    job_kwargs.update({key: value for key, value in runtime.items() if value is not None})
    _validate_job_values(job_kwargs)
    job_kwargs["n_jobs"] = normalize_n_jobs(job_kwargs.get("n_jobs", 1))
    serial = job_kwargs["n_jobs"] == 1 and job_kwargs.get("pool_engine") != "dask"
    if runtime.get("n_jobs") is None and serial and not _global_job_kwargs_set:
        # as SpikeInterface 0.100: a nudge towards parallel processing (Dask jobs are parallel)
        warnings.warn(
            "`n_jobs` is not set so parallel processing is disabled! To speed up computations, "
            "set n_jobs either globally (with `set_global_job_kwargs()`) or locally (with the "
            "`n_jobs` argument).",
            stacklevel=2,
        )
    return job_kwargs


def default_pool_engine(job_kwargs: dict[str, Any], engine: PoolEngine) -> dict[str, Any]:
    """Set ``job_kwargs["pool_engine"]`` to ``engine`` unless the call or the globals chose one.

    For functions that prefer threads (their work releases the GIL): an engine given at the call
    or set with :func:`set_global_job_kwargs` (a Dask cluster, say) still wins.

    Parameters
    ----------
    job_kwargs : dict
        Call-time job keyword arguments, changed in place.
    engine : {"process", "thread", "dask"}
        The function's own default.

    Returns
    -------
    dict
        ``job_kwargs``.
    """
    if job_kwargs.get("pool_engine") is None:
        job_kwargs["pool_engine"] = get_global_job_kwargs().get("pool_engine") or engine
    return job_kwargs


def split_job_kwargs(mixed_kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split keyword arguments into function-specific and job keyword arguments.

    Parameters
    ----------
    mixed_kwargs : dict
        Keyword arguments mixing both kinds.

    Returns
    -------
    specific_kwargs : dict
        The keys that are not job keyword arguments.
    job_kwargs : dict
        The job keyword arguments, passed through :func:`fix_job_kwargs`.
    """
    specific_kwargs: dict[str, Any] = {}
    job_kwargs: dict[str, Any] = {}
    for key, value in mixed_kwargs.items():
        if _KEY_ALIASES.get(key, key) in _ACCEPTED_KEYS:
            job_kwargs[key] = value
        else:
            specific_kwargs[key] = value
    return specific_kwargs, fix_job_kwargs(job_kwargs)


# --------------------------------------------------------------------------- n_jobs
def get_cpu_count() -> int:
    """Return the number of CPUs this process may run on.

    Returns
    -------
    int
        ``len(os.sched_getaffinity(0))`` where available (it respects container and ``taskset``
        limits), else ``os.cpu_count()``; at least 1.
    """
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def normalize_n_jobs(n_jobs: float) -> int:
    """Turn an ``n_jobs`` value into a number of workers.

    Parameters
    ----------
    n_jobs : int or float
        ``-1``: all cores; negative ``k``: ``cpu_count + 1 + k``; float in ``(0, 1]``: that
        fraction of the cores; float > 1: truncated to int; other ints as given.

    Returns
    -------
    int
        The number of workers, at least 1.

    Raises
    ------
    TypeError
        If ``n_jobs`` is not an int or float (booleans included).
    ValueError
        If ``n_jobs`` is 0 or not finite.
    """
    if isinstance(n_jobs, bool | np.bool_) or not isinstance(n_jobs, numbers.Real):
        raise TypeError(f"n_jobs must be an int or a float, got {n_jobs!r}")
    if not math.isfinite(n_jobs):
        raise ValueError(f"n_jobs must be finite, got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError("n_jobs must be non-zero (use 1 for no parallelism, -1 for all cores)")
    cpu_count = get_cpu_count()
    if not isinstance(n_jobs, numbers.Integral) and 0 < n_jobs <= 1:
        workers = int(n_jobs * cpu_count)
    elif n_jobs < 0:
        workers = int(cpu_count + 1 + n_jobs)
    else:
        workers = int(n_jobs)
    return max(workers, 1)


def _resolve_n_jobs(n_jobs: float | None) -> int:
    """``ensure_n_jobs`` without the recording checks: 0 and None mean 1."""
    if n_jobs is None or (not isinstance(n_jobs, bool) and n_jobs == 0):
        return 1
    return normalize_n_jobs(n_jobs)


def ensure_n_jobs(
    recording: RecordingLike, n_jobs: float | None = 1, *, pool_engine: PoolEngine = "process"
) -> int:
    """Return the number of workers to use for ``recording``.

    Parameters
    ----------
    recording : BaseRecording
        The recording to process.
    n_jobs : int, float or None, default: 1
        As in :func:`normalize_n_jobs`, except that ``0`` and ``None`` mean 1.
    pool_engine : {"process", "thread", "dask"}, default: "process"
        Process pools are capped at 61 workers on Windows and need a recording that can be
        sent to other processes; threads share the recording. ``"dask"`` needs a recording
        that can be rebuilt from its description on other machines (``n_jobs`` is then not
        used: the cluster's workers run the chunks).

    Returns
    -------
    int
        The number of workers, at least 1.

    Raises
    ------
    RuntimeError
        If more than one process is requested and the recording is not memory-serializable.
    ValueError
        With ``pool_engine="dask"``, if the recording holds data in this process's memory.
    """
    _check_pool_engine(pool_engine)
    n_jobs = _resolve_n_jobs(n_jobs)
    if pool_engine == "dask":
        check_recording_travels(recording)
        return n_jobs
    if pool_engine == "thread":
        return n_jobs
    if platform.system() == "Windows":
        n_jobs = min(n_jobs, _WINDOWS_MAX_PROCESSES)
    if n_jobs != 1 and not recording.check_serializability("memory"):
        raise RuntimeError(
            f"{recording!r} is not serializable to memory and cannot be processed in parallel "
            "processes. Save it first (`recording = recording.save(folder=...)`), use "
            "pool_engine='thread', or set n_jobs=1."
        )
    return n_jobs


# --------------------------------------------------------------------------- chunk size
def _bytes_per_sample(recording: RecordingLike) -> int:
    """Bytes of one sample across all channels."""
    return recording.get_num_channels() * np.dtype(recording.get_dtype()).itemsize


def _at_least_one_sample(chunk_size: int, name: str, value: Any) -> int:
    if chunk_size < 1:
        raise ValueError(f"{name}={value!r} is smaller than one sample of the recording")
    return chunk_size


def _check_chunk_size(chunk_size: Any) -> int:
    """Validate an explicit ``chunk_size`` (a whole number of samples >= 1)."""
    if isinstance(chunk_size, bool | np.bool_) or not isinstance(chunk_size, numbers.Real):
        raise TypeError(f"chunk_size must be an int, got {chunk_size!r}")
    if not isinstance(chunk_size, numbers.Integral) and not float(chunk_size).is_integer():
        raise ValueError(f"chunk_size must be a whole number of samples, got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
    return int(chunk_size)


def ensure_chunk_size(
    recording: RecordingLike,
    total_memory: str | float | None = None,
    chunk_size: int | None = None,
    chunk_memory: str | float | None = None,
    chunk_duration: str | float | None = None,
    n_jobs: float | None = 1,
    **other_kwargs: Any,
) -> int | None:
    """Return the number of samples per chunk.

    The first argument that is not None wins, in the order ``chunk_size``, ``chunk_memory``,
    ``total_memory``, ``chunk_duration``.

    Parameters
    ----------
    recording : BaseRecording
        The recording to process (channel count, dtype and sampling frequency are used).
    total_memory : str or float or None, default: None
        Memory shared by all workers: ``memory / (num_channels * itemsize * n_jobs)``.
    chunk_size : int or None, default: None
        Samples per chunk.
    chunk_memory : str or float or None, default: None
        Memory per chunk per worker: ``memory / (num_channels * itemsize)``.
    chunk_duration : str or float or None, default: None
        Chunk duration (see :func:`parse_duration_seconds`): ``seconds * sampling_frequency``.
    n_jobs : int or float or None, default: 1
        Number of workers, as in :func:`ensure_n_jobs`.
    **other_kwargs
        Other job keyword arguments, ignored.

    Returns
    -------
    int or None
        Samples per chunk, or None (one chunk per segment) when nothing is given and
        ``n_jobs`` is 1.

    Raises
    ------
    ValueError
        If nothing is given and ``n_jobs`` > 1, or a value is invalid or smaller than one sample.
    """
    if chunk_size is not None:
        return _check_chunk_size(chunk_size)
    if chunk_memory is not None:
        num_bytes = parse_memory_size(chunk_memory, "chunk_memory")
        size = int(num_bytes / _bytes_per_sample(recording))
        return _at_least_one_sample(size, "chunk_memory", chunk_memory)
    if total_memory is not None:
        num_bytes = parse_memory_size(total_memory, "total_memory")
        size = int(num_bytes / (_bytes_per_sample(recording) * _resolve_n_jobs(n_jobs)))
        return _at_least_one_sample(size, "total_memory", total_memory)
    if chunk_duration is not None:
        seconds = parse_duration_seconds(chunk_duration, "chunk_duration")
        size = int(seconds * float(recording.sampling_frequency))
        return _at_least_one_sample(size, "chunk_duration", chunk_duration)
    if _resolve_n_jobs(n_jobs) == 1:
        return None
    raise ValueError(
        "with n_jobs > 1, one of chunk_size, chunk_memory, total_memory or chunk_duration "
        "must be given"
    )


# --------------------------------------------------------------------------- value checks
def _check_pool_engine(pool_engine: Any) -> None:
    if pool_engine not in POOL_ENGINES:
        raise ValueError(f"pool_engine must be 'process', 'thread' or 'dask', got {pool_engine!r}")


def _check_mp_context(mp_context: Any) -> None:
    if mp_context is None:
        return
    if mp_context not in multiprocessing.get_all_start_methods():
        raise ValueError(
            f"mp_context must be None or one of {multiprocessing.get_all_start_methods()}, "
            f"got {mp_context!r}"
        )


def _check_max_threads(max_threads: Any) -> None:
    if max_threads is None:
        return
    if isinstance(max_threads, bool | np.bool_) or not isinstance(max_threads, numbers.Integral):
        raise TypeError(f"max_threads_per_process must be an int or None, got {max_threads!r}")
    if max_threads < 1:
        raise ValueError(f"max_threads_per_process must be >= 1 or None, got {max_threads!r}")


# --------------------------------------------------------------------------- parsed options
@dataclass(frozen=True)
class JobOptions:
    """Job keyword arguments parsed once and passed explicitly.

    Parameters
    ----------
    n_jobs : int, default: 1
        Number of workers (>= 1).
    chunk_size : int or None, default: None
        Samples per chunk; None processes each segment in one chunk.
    progress_bar : bool, default: False
        Show a tqdm bar.
    mp_context : str or None, default: None
        Start method of worker processes; None uses Python's default.
    max_threads_per_process : int or None, default: 1
        threadpoolctl limit in workers; None means no limit.
    verbose : bool, default: False
        Print the job parameters.
    pool : {"process", "thread", "dask"}, default: "process"
        Kind of worker pool used when ``n_jobs`` > 1 (``"dask"``: always the cluster).
    dask_client : distributed.Client or str or None, default: None
        With ``pool="dask"``: the client, or a scheduler address, or None for the current
        client.
    """

    n_jobs: int = 1
    chunk_size: int | None = None
    progress_bar: bool = False
    mp_context: str | None = None
    max_threads_per_process: int | None = 1
    verbose: bool = False
    pool: PoolEngine = "process"
    dask_client: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, numbers.Integral):
            raise TypeError(f"n_jobs must be an int, got {self.n_jobs!r}")
        if self.n_jobs < 1:
            raise ValueError(f"n_jobs must be >= 1, got {self.n_jobs!r}")
        if self.chunk_size is not None:
            _check_chunk_size(self.chunk_size)
        _check_mp_context(self.mp_context)
        _check_max_threads(self.max_threads_per_process)
        _check_pool_engine(self.pool)
        check_dask_client(self.dask_client)

    @classmethod
    def from_kwargs(cls, recording: RecordingLike, **job_kwargs: Any) -> JobOptions:
        """Parse job keyword arguments for ``recording``.

        Parameters
        ----------
        recording : BaseRecording
            The recording that will be processed.
        **job_kwargs
            Call-time job keyword arguments, merged over the globals by :func:`fix_job_kwargs`.

        Returns
        -------
        JobOptions

        Raises
        ------
        ValueError, TypeError, RuntimeError
            As :func:`fix_job_kwargs`, :func:`ensure_n_jobs` and :func:`ensure_chunk_size`.
        """
        kwargs = fix_job_kwargs(job_kwargs)
        pool = kwargs.get("pool_engine", "process")
        n_jobs = ensure_n_jobs(recording, kwargs["n_jobs"], pool_engine=pool)
        chunk_kwargs = {key: kwargs.get(key) for key in _CHUNK_KEYS}
        chunk_size = ensure_chunk_size(recording, n_jobs=n_jobs, **chunk_kwargs)
        mp_context = kwargs.get("mp_context") or recording.get_preferred_mp_context()
        return cls(
            n_jobs=n_jobs,
            chunk_size=chunk_size,
            progress_bar=bool(kwargs.get("progress_bar", False)),
            mp_context=mp_context,
            max_threads_per_process=kwargs.get("max_threads_per_process", 1),
            verbose=bool(kwargs.get("verbose", False)),
            pool=pool,
            dask_client=kwargs.get("dask_client"),
        )

    def to_executor_kwargs(self) -> dict[str, Any]:
        """Return keyword arguments for :class:`~core.jobs.ChunkRecordingExecutor`.

        Returns
        -------
        dict
            ``n_jobs``, ``chunk_size``, ``progress_bar``, ``mp_context``,
            ``max_threads_per_process``, ``verbose``, ``pool_engine`` and ``dask_client``.
        """
        return {
            "n_jobs": self.n_jobs,
            "chunk_size": self.chunk_size,
            "progress_bar": self.progress_bar,
            "mp_context": self.mp_context,
            "max_threads_per_process": self.max_threads_per_process,
            "verbose": self.verbose,
            "pool_engine": self.pool,
            "dask_client": self.dask_client,
        }
