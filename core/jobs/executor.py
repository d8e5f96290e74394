"""Run a function over the chunks of a recording, in the main thread, in threads or in processes."""

from __future__ import annotations

import contextlib
import multiprocessing
import platform
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from .cancel import CancelToken
from .dask_checks import check_dask_client, import_distributed
from .job_kwargs import (
    PoolEngine,
    RecordingLike,
    _check_max_threads,
    _check_mp_context,
    _check_pool_engine,
    ensure_chunk_size,
    ensure_n_jobs,
)

__all__ = [
    "ChunkRecordingExecutor",
    "divide_recording_into_chunks",
    "divide_segment_into_chunks",
    "function_wrapper",
    "worker_initializer",
]

#: ``(segment_index, start_frame, end_frame)``
Chunk = tuple[int, int, int]
ProgressCallback = Callable[[int, int], None]

# How often a waiting main thread looks at the cancel token.
_CANCEL_POLL_SECONDS = 0.05
# In-flight chunks per worker: enough to keep workers busy, few enough to bound memory.
_CHUNKS_IN_FLIGHT_PER_WORKER = 2


# --------------------------------------------------------------------------- chunking
def divide_segment_into_chunks(num_frames: int, chunk_size: int | None) -> list[tuple[int, int]]:
    """Split ``range(num_frames)`` into consecutive ``[start, stop)`` blocks.

    Parameters
    ----------
    num_frames : int
        Number of samples in the segment.
    chunk_size : int or None
        Samples per block (the last one may be shorter); None gives one block.

    Returns
    -------
    list of tuple of int
        ``(start, stop)`` pairs; an empty segment gives ``[(0, 0)]`` as in SpikeInterface.
    """
    if chunk_size is None or chunk_size >= num_frames:
        return [(0, num_frames)]
    starts = range(0, num_frames, chunk_size)
    return [(start, min(start + chunk_size, num_frames)) for start in starts]


def divide_recording_into_chunks(recording: RecordingLike, chunk_size: int | None) -> list[Chunk]:
    """List the chunks of every segment of ``recording``, segment after segment.

    Parameters
    ----------
    recording : BaseRecording
        The recording to split.
    chunk_size : int or None
        Samples per chunk; None gives one chunk per segment.

    Returns
    -------
    list of tuple of int
        ``(segment_index, start_frame, end_frame)`` triples.
    """
    chunks: list[Chunk] = []
    for segment_index in range(recording.get_num_segments()):
        num_frames = int(recording.get_num_samples(segment_index))
        for start, stop in divide_segment_into_chunks(num_frames, chunk_size):
            chunks.append((segment_index, start, stop))
    return chunks


# --------------------------------------------------------------------------- workers
def _thread_limits(max_threads: int | None) -> contextlib.AbstractContextManager:
    """threadpoolctl limit for native thread pools (BLAS, OpenMP), or nothing for None."""
    if max_threads is None:
        return contextlib.nullcontext()
    return threadpool_limits(limits=max_threads)


def _make_worker_ctx(
    init_func: Callable[..., Any], init_args: Sequence[Any], max_threads: int | None
) -> Any:
    """Call ``init_func`` in a worker and record the thread limit in its context."""
    worker_ctx = init_func(*init_args)
    if isinstance(worker_ctx, MutableMapping):
        worker_ctx["max_threads_per_process"] = max_threads
    return worker_ctx


# Per-process state of a process-pool worker, set by the pool initializer.
_process_func: Callable[..., Any] | None = None
_process_ctx: Any = None
_process_max_threads: int | None = None
_process_init_error: BaseException | None = None


def worker_initializer(
    func: Callable[..., Any],
    init_func: Callable[..., Any],
    init_args: Sequence[Any],
    max_threads_per_process: int | None,
) -> None:
    """Process-pool initializer: build this process's worker context once.

    SpikeInterface's name; with `function_wrapper` as the task, a ``ProcessPoolExecutor``
    runs ``func(segment_index, start_frame, end_frame, worker_ctx)`` per chunk.
    """
    global _process_func, _process_ctx, _process_max_threads, _process_init_error
    _process_func, _process_max_threads = func, max_threads_per_process
    try:
        with _thread_limits(max_threads_per_process):
            _process_ctx = _make_worker_ctx(init_func, init_args, max_threads_per_process)
    except BaseException as error:
        # Re-raised from each chunk so the caller sees the original exception instead of a
        # BrokenProcessPool.
        _process_init_error = error


def function_wrapper(args: Chunk) -> Any:
    """Task of a process pool set up by `worker_initializer`: run one chunk.

    Parameters
    ----------
    args : tuple of int
        ``(segment_index, start_frame, end_frame)``.
    """
    return _run_process_chunk(*args)


def _run_process_chunk(segment_index: int, start_frame: int, end_frame: int) -> Any:
    """Task run in a worker process."""
    if _process_init_error is not None:
        raise _process_init_error
    if _process_func is None:
        raise RuntimeError("the worker process was not initialized")
    with _thread_limits(_process_max_threads):
        return _process_func(segment_index, start_frame, end_frame, _process_ctx)


class _ThreadWorkers:
    """Per-thread worker contexts for a thread pool."""

    def __init__(
        self,
        func: Callable[..., Any],
        init_func: Callable[..., Any],
        init_args: Sequence[Any],
        max_threads: int | None,
    ) -> None:
        self._func = func
        self._init_func = init_func
        self._init_args = init_args
        self._max_threads = max_threads
        self._local = threading.local()

    def initialize(self) -> None:
        """Pool initializer: build the calling thread's worker context."""
        try:
            self._local.ctx = _make_worker_ctx(self._init_func, self._init_args, self._max_threads)
        except BaseException as error:
            # Kept for run_chunk: a failing initializer would otherwise break the whole pool.
            self._local.error = error

    def run_chunk(self, segment_index: int, start_frame: int, end_frame: int) -> Any:
        """Task run in a worker thread."""
        error = getattr(self._local, "error", None)
        if error is not None:
            raise error
        return self._func(segment_index, start_frame, end_frame, self._local.ctx)


# --------------------------------------------------------------------------- progress
class _Progress:
    """Reports ``(done, total)`` to a callback and to an optional tqdm bar, in the main thread."""

    def __init__(
        self, total: int, callback: ProgressCallback | None, progress_bar: bool, desc: str
    ) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._bar = tqdm(total=total, desc=desc or None) if progress_bar else None

    def start(self) -> None:
        if self._callback is not None:
            self._callback(0, self.total)

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
        if self._callback is not None:
            self._callback(self.done, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------- executor
class ChunkRecordingExecutor:
    """Run a function over the time chunks of a recording.

    Each segment is cut into consecutive ``[start, stop)`` chunks of ``chunk_size`` samples
    (whole segments when the chunk size is None), segments in order. ``func`` runs on every chunk
    in the main thread (``n_jobs == 1``) or in a pool of ``n_jobs`` workers, processes or threads.
    Results are consumed in chunk order in the main thread, whatever the pool.

    Parameters
    ----------
    recording : BaseRecording
        The recording to process. It defines the chunks; ``func`` reaches the data through the
        worker context (put the recording in ``init_args``).
    func : callable
        ``func(segment_index, start_frame, end_frame, worker_ctx) -> result``, called per chunk.
        Must be picklable (a module-level function) for process pools.
    init_func : callable
        ``init_func(*init_args) -> worker_ctx`` (a dict), called once in the main process when
        ``n_jobs == 1`` and once per worker otherwise. In workers the context also gets
        ``worker_ctx["max_threads_per_process"]``.
    init_args : tuple
        Arguments of ``init_func``; sent to each worker process (pickled with "spawn").
    verbose : bool, default: False
        Print the job name and chunking parameters.
    progress_bar : bool, default: False
        Show a tqdm progress bar.
    handle_returns : bool, default: False
        Collect the results of ``func`` and return them from :meth:`run`.
    gather_func : callable or None, default: None
        Called in the main thread with each result, in chunk order.
    n_jobs : int or float, default: 1
        Number of workers (see :func:`~core.jobs.ensure_n_jobs`).
    total_memory, chunk_size, chunk_memory, chunk_duration : default: None
        Chunk size, see :func:`~core.jobs.ensure_chunk_size`.
    mp_context : {"fork", "spawn", "forkserver"} or None, default: None
        Start method of worker processes; None asks ``recording.get_preferred_mp_context()`` and
        then uses Python's default.
    job_name : str, default: ""
        Name shown in the progress bar and verbose output.
    max_threads_per_process : int or None, default: 1
        threadpoolctl limit on native thread pools (BLAS, OpenMP) while workers run; None means
        no limit. Processes apply it around each call; thread pools apply it, process-wide,
        for the lifetime of the pool. Not applied when ``n_jobs == 1``.
    pool_engine : {"process", "thread", "dask"}, default: "process"
        Kind of pool used when ``n_jobs > 1``. Threads share the recording and skip pickling;
        numpy I/O releases the GIL, so they are often enough. ``"dask"`` runs every chunk as a
        task of a Dask distributed cluster, whatever ``n_jobs`` (see
        :func:`~core.jobs.dask_engine.run_chunks_on_dask`): ``func`` and ``init_func`` must
        be module-level functions, ``init_args`` must travel (extractors go as their
        description; in-memory recordings are refused), and ``func``'s writes must be
        idempotent and never share a file page with another chunk's.
    progress_callback : callable or None, default: None
        ``progress_callback(done_chunks, total_chunks)``, called in the calling thread with
        ``(0, total)`` at the start and after each chunk is consumed.
    cancel_token : CancelToken or None, default: None
        Checked before each chunk is submitted and while waiting for results; once cancelled,
        pending chunks are dropped, the pool is shut down and :meth:`run` raises
        :class:`~core.jobs.JobCancelled`.
    dask_client : distributed.Client or str or None, default: None
        With ``pool_engine="dask"``: the client, a scheduler address (connected to for this
        job only), or None for the current client. SpikeDesk never starts a cluster.

    Raises
    ------
    ValueError, TypeError
        If an argument is invalid.
    RuntimeError
        If a process pool is requested for a recording that is not memory-serializable.
    """

    def __init__(
        self,
        recording: RecordingLike,
        func: Callable[..., Any],
        init_func: Callable[..., Any],
        init_args: Sequence[Any],
        verbose: bool = False,
        progress_bar: bool = False,
        handle_returns: bool = False,
        gather_func: Callable[[Any], Any] | None = None,
        n_jobs: float = 1,
        total_memory: str | float | None = None,
        chunk_size: int | None = None,
        chunk_memory: str | float | None = None,
        chunk_duration: str | float | None = None,
        mp_context: str | None = None,
        job_name: str = "",
        max_threads_per_process: int | None = 1,
        pool_engine: PoolEngine = "process",
        progress_callback: ProgressCallback | None = None,
        cancel_token: CancelToken | None = None,
        dask_client: Any = None,
    ) -> None:
        _check_callable(func, "func")
        _check_callable(init_func, "init_func")
        if gather_func is not None:
            _check_callable(gather_func, "gather_func")
        if progress_callback is not None:
            _check_callable(progress_callback, "progress_callback")
        _check_pool_engine(pool_engine)
        _check_max_threads(max_threads_per_process)

        self.recording = recording
        self.func = func
        self.init_func = init_func
        self.init_args = tuple(init_args)
        self.verbose = bool(verbose)
        self.progress_bar = bool(progress_bar)
        self.handle_returns = bool(handle_returns)
        self.gather_func = gather_func
        self.pool_engine = pool_engine
        self.n_jobs = ensure_n_jobs(recording, n_jobs=n_jobs, pool_engine=pool_engine)
        self.chunk_size = ensure_chunk_size(
            recording,
            total_memory=total_memory,
            chunk_size=chunk_size,
            chunk_memory=chunk_memory,
            chunk_duration=chunk_duration,
            n_jobs=self.n_jobs,
        )
        self.mp_context = _resolve_mp_context(recording, mp_context, pool_engine)
        self.job_name = job_name
        self.max_threads_per_process = max_threads_per_process
        self.progress_callback = progress_callback
        self.cancel_token = cancel_token
        check_dask_client(dask_client)
        self.dask_client = dask_client
        if pool_engine == "dask":
            import_distributed()  # fail now, naming the extra, rather than after the setup

        if self.verbose:
            print(self._describe())

    def _describe(self) -> str:
        """One line with the job parameters, for ``verbose``."""
        engine = "main thread" if self.n_jobs == 1 else self.pool_engine
        if self.pool_engine == "dask":
            engine = "dask"
        parts = [self.job_name or "job", f"engine={engine}", f"n_jobs={self.n_jobs}"]
        if self.chunk_size is None:
            parts.append("chunk=whole segment")
        else:
            item = self.recording.get_num_channels() * np.dtype(self.recording.get_dtype()).itemsize
            seconds = self.chunk_size / float(self.recording.sampling_frequency)
            parts.append(f"samples_per_chunk={self.chunk_size:,}")
            parts.append(f"chunk_memory={self.chunk_size * item:,} B")
            parts.append(f"total_memory={self.chunk_size * item * self.n_jobs:,} B")
            parts.append(f"chunk_duration={seconds:g} s")
        return " - ".join(parts)

    # ----------------------------------------------------------------------- run
    def run(self) -> list[Any] | None:
        """Process every chunk.

        Returns
        -------
        list or None
            The results of ``func`` in chunk order if ``handle_returns``, else None.

        Raises
        ------
        JobCancelled
            If the cancel token was cancelled; chunks already consumed stay consumed.
        Exception
            Any exception raised by ``init_func``, ``func`` or ``gather_func`` (same type).
        """
        self._raise_if_cancelled()
        chunks = divide_recording_into_chunks(self.recording, self.chunk_size)
        returns: list[Any] | None = [] if self.handle_returns else None

        def consume(result: Any) -> None:
            if returns is not None:
                returns.append(result)
            if self.gather_func is not None:
                self.gather_func(result)

        progress = _Progress(len(chunks), self.progress_callback, self.progress_bar, self.job_name)
        try:
            progress.start()
            if self.pool_engine == "dask" and chunks:
                self._run_on_dask(chunks, consume, progress)
            elif self.n_jobs == 1 or not chunks:
                self._run_in_main_thread(chunks, consume, progress)
            else:
                self._run_in_pool(chunks, consume, progress)
        finally:
            progress.close()
        return returns

    def _raise_if_cancelled(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.raise_if_cancelled()

    def _run_in_main_thread(
        self, chunks: list[Chunk], consume: Callable[[Any], None], progress: _Progress
    ) -> None:
        worker_ctx = self.init_func(*self.init_args)
        for segment_index, start_frame, end_frame in chunks:
            self._raise_if_cancelled()
            consume(self.func(segment_index, start_frame, end_frame, worker_ctx))
            progress.advance()

    def _run_on_dask(
        self, chunks: list[Chunk], consume: Callable[[Any], None], progress: _Progress
    ) -> None:
        from .dask_engine import run_chunks_on_dask

        run_chunks_on_dask(
            chunks,
            self.func,
            self.init_func,
            self.init_args,
            consume,
            progress.advance,
            max_threads_per_process=self.max_threads_per_process,
            job_name=self.job_name,
            dask_client=self.dask_client,
            cancel_token=self.cancel_token,
        )

    def _run_in_pool(
        self, chunks: list[Chunk], consume: Callable[[Any], None], progress: _Progress
    ) -> None:
        num_workers = min(self.n_jobs, len(chunks))
        executor, task, limits = self._start_pool(num_workers)
        pending: deque[Future] = deque()
        remaining = iter(chunks)
        window = _CHUNKS_IN_FLIGHT_PER_WORKER * num_workers
        try:
            with limits:
                while self._submit_more(executor, task, remaining, pending, window):
                    consume(self._wait_for(pending.popleft()))
                    progress.advance()
        finally:
            for future in pending:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)

    def _start_pool(
        self, num_workers: int
    ) -> tuple[Executor, Callable[..., Any], contextlib.AbstractContextManager]:
        """Create the pool, the task it runs, and the thread limit held in the main thread."""
        if self.pool_engine == "thread":
            workers = _ThreadWorkers(
                self.func, self.init_func, self.init_args, self.max_threads_per_process
            )
            executor = ThreadPoolExecutor(
                max_workers=num_workers,
                thread_name_prefix=self.job_name or "chunk-worker",
                initializer=workers.initialize,
            )
            # threadpoolctl limits are process-wide: set them once around the pool rather than
            # per call from several threads, which would race on restoring the old limits.
            return executor, workers.run_chunk, _thread_limits(self.max_threads_per_process)
        executor = ProcessPoolExecutor(
            max_workers=num_workers,
            mp_context=multiprocessing.get_context(self.mp_context),
            initializer=worker_initializer,
            initargs=(self.func, self.init_func, self.init_args, self.max_threads_per_process),
        )
        return executor, _run_process_chunk, contextlib.nullcontext()

    def _submit_more(
        self,
        executor: Executor,
        task: Callable[..., Any],
        remaining: Iterator[Chunk],
        pending: deque[Future],
        window: int,
    ) -> bool:
        """Top up the in-flight window; return whether any chunk is still pending."""
        while len(pending) < window:
            chunk = next(remaining, None)
            if chunk is None:
                break
            self._raise_if_cancelled()
            pending.append(executor.submit(task, *chunk))
        return bool(pending)

    def _wait_for(self, future: Future) -> Any:
        """Result of ``future``, watching the cancel token while waiting."""
        if self.cancel_token is None:
            return future.result()
        while True:
            self._raise_if_cancelled()
            done, _ = wait([future], timeout=_CANCEL_POLL_SECONDS)
            if done:
                return future.result()


# --------------------------------------------------------------------------- checks
def _check_callable(value: Any, name: str) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {value!r}")


def _resolve_mp_context(
    recording: RecordingLike, mp_context: str | None, pool_engine: PoolEngine
) -> str | None:
    """The start method for worker processes: given, preferred by the recording, or default."""
    if mp_context is None:
        mp_context = recording.get_preferred_mp_context()
    _check_mp_context(mp_context)
    if pool_engine == "process" and mp_context == "fork":
        if platform.system() == "Windows":
            raise ValueError("mp_context='fork' is not available on Windows; use 'spawn'")
        if platform.system() == "Darwin":
            warnings.warn(
                "mp_context='fork' is not considered safe on macOS; consider 'spawn'",
                stacklevel=3,
            )
    return mp_context
