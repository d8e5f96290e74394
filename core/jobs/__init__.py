"""Job tools: job keyword arguments, session globals, the chunk executor, progress and cancel.

``job_keys``, ``fix_job_kwargs``, ``split_job_kwargs``, ``ensure_n_jobs``, ``ensure_chunk_size``,
``ChunkRecordingExecutor`` and the global getters/setters keep SpikeInterface 0.100's names and
signatures. :class:`JobOptions` is the parsed, frozen form used inside ``core``;
:class:`CancelToken` and ``progress_callback`` let a caller (for example the desktop app)
follow and stop a running job. The executor runs chunks in the calling thread, in threads, in
processes, or on a Dask distributed cluster (``pool_engine="dask"`` with ``dask_client``, see
:mod:`.dask_engine`; needs the ``spikedesk[distributed]`` extra).
"""

from .cancel import CancelToken, JobCancelled
from .executor import (
    ChunkRecordingExecutor,
    divide_recording_into_chunks,
    divide_segment_into_chunks,
)
from .globals import (
    get_global_dataset_folder,
    get_global_tmp_folder,
    is_set_global_dataset_folder,
    is_set_global_tmp_folder,
    reset_global_tmp_folder,
    set_global_dataset_folder,
    set_global_tmp_folder,
)
from .job_kwargs import (
    JobOptions,
    ensure_chunk_size,
    ensure_n_jobs,
    fix_job_kwargs,
    get_cpu_count,
    get_global_job_kwargs,
    is_set_global_job_kwargs_set,
    job_keys,
    normalize_n_jobs,
    reset_global_job_kwargs,
    set_global_job_kwargs,
    split_job_kwargs,
)
from .units import parse_duration_seconds, parse_memory_size

__all__ = [
    "CancelToken",
    "ChunkRecordingExecutor",
    "JobCancelled",
    "JobOptions",
    "divide_recording_into_chunks",
    "divide_segment_into_chunks",
    "ensure_chunk_size",
    "ensure_n_jobs",
    "fix_job_kwargs",
    "get_cpu_count",
    "get_global_dataset_folder",
    "get_global_job_kwargs",
    "get_global_tmp_folder",
    "is_set_global_dataset_folder",
    "is_set_global_job_kwargs_set",
    "is_set_global_tmp_folder",
    "job_keys",
    "normalize_n_jobs",
    "parse_duration_seconds",
    "parse_memory_size",
    "reset_global_job_kwargs",
    "reset_global_tmp_folder",
    "set_global_dataset_folder",
    "set_global_job_kwargs",
    "set_global_tmp_folder",
    "split_job_kwargs",
]
