"""Job tools: job keyword arguments, session globals, the chunk executor, progress and cancel.

``job_keys``, ``fix_job_kwargs``, ``split_job_kwargs``, ``ensure_n_jobs``, ``ensure_chunk_size``,
``ChunkRecordingExecutor`` and the global getters/setters keep SpikeInterface 0.100's names and
signatures. :class:`JobOptions` is the parsed, frozen form used inside ``core``;
:class:`CancelToken` and ``progress_callback`` let a caller (for example the desktop app)
follow and stop a running job. The executor runs chunks in the calling thread, in threads, in
processes, or on a Dask distributed cluster (``pool_engine="dask"`` with ``dask_client``, see
:mod:`.dask_engine`; needs the ``spikedesk[distributed]`` extra).
"""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "CancelToken": ".cancel",
    "JobCancelled": ".cancel",
    "ChunkRecordingExecutor": ".executor",
    "divide_recording_into_chunks": ".executor",
    "divide_segment_into_chunks": ".executor",
    "get_global_dataset_folder": ".globals",
    "get_global_tmp_folder": ".globals",
    "is_set_global_dataset_folder": ".globals",
    "is_set_global_tmp_folder": ".globals",
    "reset_global_tmp_folder": ".globals",
    "set_global_dataset_folder": ".globals",
    "set_global_tmp_folder": ".globals",
    "JobOptions": ".job_kwargs",
    "ensure_chunk_size": ".job_kwargs",
    "ensure_n_jobs": ".job_kwargs",
    "fix_job_kwargs": ".job_kwargs",
    "get_cpu_count": ".job_kwargs",
    "get_global_job_kwargs": ".job_kwargs",
    "is_set_global_job_kwargs_set": ".job_kwargs",
    "job_keys": ".job_kwargs",
    "normalize_n_jobs": ".job_kwargs",
    "reset_global_job_kwargs": ".job_kwargs",
    "set_global_job_kwargs": ".job_kwargs",
    "split_job_kwargs": ".job_kwargs",
    "parse_duration_seconds": ".units",
    "parse_memory_size": ".units",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
