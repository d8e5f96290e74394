"""Job functions for the Dask engine tests.

They live in an importable module (not the test file) so that Dask worker processes, which
import a task's functions by name, find them.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from core.recording.writing import _init_binary_writer, _write_binary_chunk

# A task waiting for the stop flag gives up after this long (the test then fails).
_STOP_WAIT_LIMIT_SECONDS = 60.0


def init_crash_once_writer(
    recording, file_paths, dtype, byte_offset, cast_unsigned, flag_path, crash_at_frame
) -> dict:
    """The binary writer's context, plus where and when to kill the worker."""
    ctx = _init_binary_writer(recording, file_paths, dtype, byte_offset, cast_unsigned)
    ctx["flag_path"] = flag_path
    ctx["crash_at_frame"] = crash_at_frame
    return ctx


def crash_once_then_write(segment_index: int, start: int, end: int, ctx: dict) -> None:
    """Kill the worker process the first time the chunk at ``crash_at_frame`` runs, then write.

    The flag file is created with O_EXCL, so exactly one attempt dies, whichever worker runs it.
    """
    if start == ctx["crash_at_frame"]:
        try:
            os.close(os.open(ctx["flag_path"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            os._exit(1)
    _write_binary_chunk(segment_index, start, end, ctx)


def init_markers(folder: str) -> dict:
    """A context naming the folder where tasks leave marker files, and a per-context token."""
    return {"folder": Path(folder), "token": uuid.uuid4().hex}


def wait_for_stop(segment_index: int, start: int, end: int, ctx: dict) -> None:
    """Leave ``started-<start>``, wait until the job is stopped, then leave ``stopped-<start>``."""
    (ctx["folder"] / f"started-{start}").touch()
    waited = 0.0
    while not ctx["should_stop"]():
        if waited > _STOP_WAIT_LIMIT_SECONDS:
            raise TimeoutError("the stop flag never came")
        time.sleep(0.02)
        waited += 0.02
    (ctx["folder"] / f"stopped-{start}").touch()


def process_and_context(segment_index: int, start: int, end: int, ctx: dict) -> tuple:
    """Which process ran the chunk, with which context and which recording object."""
    return os.getpid(), ctx["token"], id(ctx.get("recording"))


def init_markers_with_recording(folder: str, recording) -> dict:
    """`init_markers` holding a recording too."""
    return {**init_markers(folder), "recording": recording}


def fail_in_segment_1(segment_index: int, start: int, end: int, ctx: dict) -> int:
    """Fail on every chunk of segment 1."""
    if segment_index == 1:
        raise KeyError(f"no data at {start}")
    return start


def init_with_array(array) -> dict:
    """A context holding a large array sent with the job."""
    return {"array": array}


def array_sum(segment_index: int, start: int, end: int, ctx: dict) -> float:
    """Sum of the job's array (the same for every chunk)."""
    return float(ctx["array"].sum())
