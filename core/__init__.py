"""SpikeDesk core: a headless implementation of SpikeInterface 0.100's ``spikeinterface.core``.

Scripts written for SpikeInterface run with ``import core as si``. Everything is lazy: traces are
read only when asked for. This package never imports Qt.
"""

from .base import BaseExtractor, load_extractor
from .jobs import (
    ChunkRecordingExecutor,
    ensure_chunk_size,
    ensure_n_jobs,
    fix_job_kwargs,
    get_global_dataset_folder,
    get_global_job_kwargs,
    get_global_tmp_folder,
    is_set_global_dataset_folder,
    is_set_global_tmp_folder,
    job_keys,
    reset_global_job_kwargs,
    reset_global_tmp_folder,
    set_global_dataset_folder,
    set_global_job_kwargs,
    set_global_tmp_folder,
    split_job_kwargs,
)
from .recording import (
    BaseRecording,
    BaseRecordingSegment,
    BaseRecordingSnippets,
    BinaryFolderRecording,
    BinaryRecordingExtractor,
    ChannelSliceRecording,
    FrameSliceRecording,
    NumpyRecording,
    SharedMemoryRecording,
    read_binary,
    read_binary_folder,
    write_binary_recording,
)
from .version import __version__

__all__ = [
    "BaseExtractor",
    "BaseRecording",
    "BaseRecordingSegment",
    "BaseRecordingSnippets",
    "BinaryFolderRecording",
    "BinaryRecordingExtractor",
    "ChannelSliceRecording",
    "ChunkRecordingExecutor",
    "FrameSliceRecording",
    "NumpyRecording",
    "SharedMemoryRecording",
    "__version__",
    "ensure_chunk_size",
    "ensure_n_jobs",
    "fix_job_kwargs",
    "get_global_dataset_folder",
    "get_global_job_kwargs",
    "get_global_tmp_folder",
    "is_set_global_dataset_folder",
    "is_set_global_tmp_folder",
    "job_keys",
    "load_extractor",
    "read_binary",
    "read_binary_folder",
    "reset_global_job_kwargs",
    "reset_global_tmp_folder",
    "set_global_dataset_folder",
    "set_global_job_kwargs",
    "set_global_tmp_folder",
    "split_job_kwargs",
    "write_binary_recording",
]
