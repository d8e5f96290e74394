"""Run the chunks of a job on a Dask distributed cluster (``pool_engine="dask"``).

One Dask task per chunk. The coordinator (the calling process) pickles the job once, refusing
what cannot travel (:func:`~.dask_checks.dumps_for_workers`): extractors go as their
``to_dict()`` description, never as traces or open files. Each worker unpickles it, and so
rebuilds the recording, once per job; each worker thread then calls the job's ``init_func``
once, as in a thread pool. The contexts are cached on the worker under the job's id and dropped
when the job ends.

Tasks are submitted in a bounded window (two per worker thread of the cluster), reported to
``progress(done, total)`` as they finish, and consumed in chunk order. Tasks may run twice
(Dask retries the tasks of a worker that died), so the jobs' writes must be idempotent: same
bytes at the same place, never appended. On cancel or on the first task error, a
:class:`distributed.Event` tells the tasks to stop: tasks that have not started return at once,
running ones may check ``worker_ctx["should_stop"]()`` between pieces of their work. The
coordinator waits until every submitted task has ended before it returns or raises, so that the
caller can remove a partial output that no task is still writing.

SpikeDesk never starts a cluster: it uses the given client, connects to the given scheduler
address (and closes only that connection), or uses the current client.
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import threading
import time
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

from .cancel import CancelToken, JobCancelled
from .dask_checks import dumps_for_workers, import_distributed
from .executor import _make_worker_ctx, _thread_limits

__all__ = ["connected_client", "run_chunks_on_dask"]

#: ``(segment_index, start_frame, end_frame)``
Chunk = tuple[int, int, int]

# Submitted but not yet consumed tasks per worker thread of the cluster.
_TASKS_IN_FLIGHT_PER_THREAD = 2
# How often the coordinator looks at the cancel token and the connection while waiting.
_POLL_SECONDS = 0.05
# How often the window follows a cluster that grows or shrinks.
_WINDOW_REFRESH_SECONDS = 5.0
# Longest wait for running tasks to end after a cancel or an error.
_STOP_TIMEOUT_SECONDS = 120.0
# How often a running task asks the scheduler whether the job was stopped.
_STOP_CHECK_SECONDS = 0.1
# Jobs whose contexts a worker keeps if the coordinator never said they ended.
_MAX_JOBS_PER_WORKER = 4
_CONNECT_TIMEOUT = "10s"


# --------------------------------------------------------------------------- client
def _no_client_error() -> ValueError:
    return ValueError(
        "pool_engine='dask' needs a Dask cluster, and none was given: pass "
        "dask_client=<distributed.Client or scheduler address such as 'tcp://host:8786'>, "
        "or set it once with set_global_job_kwargs(dask_client=...), or create a "
        "distributed.Client before running the job. SpikeDesk never starts a cluster by itself."
    )


@contextlib.contextmanager
def connected_client(dask_client: Any = None) -> Iterator[Any]:
    """The Dask client a job runs on.

    Parameters
    ----------
    dask_client : distributed.Client or str or None, default: None
        A client (used as is, left open); a scheduler address (a connection opened here and
        closed on exit); or None for the current client (``distributed.get_client()``).

    Yields
    ------
    distributed.Client

    Raises
    ------
    ImportError
        If ``distributed`` is not installed (the message names the extra).
    ValueError
        If no client was given and there is no current one.
    OSError
        If the scheduler address cannot be reached.
    """
    distributed = import_distributed()
    if isinstance(dask_client, distributed.Client):
        yield dask_client
        return
    if isinstance(dask_client, str):
        try:
            client = distributed.Client(dask_client, set_as_default=False, timeout=_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise OSError(f"cannot reach the Dask scheduler at {dask_client!r}: {error}") from error
        try:
            yield client
        finally:
            client.close()
        return
    if dask_client is not None:
        raise TypeError(
            "dask_client must be a distributed.Client, a scheduler address string or None, "
            f"got {type(dask_client).__name__}"
        )
    try:
        client = distributed.get_client()
    except ValueError:
        raise _no_client_error() from None
    yield client


# --------------------------------------------------------------------------- worker side
class _Stopped:
    """Result of a task that did not run because its job was stopped."""


class _StopFlag:
    """Whether the job was stopped, asked of the scheduler at most every `_STOP_CHECK_SECONDS`."""

    def __init__(self, event_name: str) -> None:
        self._event_name = event_name
        self._event: Any = None
        self._stopped = False
        self._checked_at = -float("inf")
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            if self._stopped or time.monotonic() - self._checked_at < _STOP_CHECK_SECONDS:
                return self._stopped
            if self._event is None:
                self._event = import_distributed().Event(self._event_name)
            self._stopped = bool(self._event.is_set())
            self._checked_at = time.monotonic()
            return self._stopped


class _WorkerJob:
    """A job as one worker holds it: the unpickled job, and one context per worker thread."""

    def __init__(self, payload: bytes, stop_event_name: str) -> None:
        self.func, self.init_func, self.init_args, self.max_threads = pickle.loads(payload)
        self.should_stop = _StopFlag(stop_event_name)
        self._contexts: dict[int, Any] = {}
        self._lock = threading.Lock()

    def context(self) -> Any:
        """This thread's worker context, made on first use."""
        thread = threading.get_ident()
        with self._lock:
            if thread in self._contexts:
                return self._contexts[thread]
        with _thread_limits(self.max_threads):
            ctx = _make_worker_ctx(self.init_func, self.init_args, self.max_threads)
        if isinstance(ctx, MutableMapping):
            ctx["should_stop"] = self.should_stop
        with self._lock:
            return self._contexts.setdefault(thread, ctx)


_worker_jobs: OrderedDict[str, _WorkerJob] = OrderedDict()
_worker_jobs_lock = threading.Lock()


def _worker_job(job_id: str, payload: bytes, stop_event_name: str) -> _WorkerJob:
    """The job ``job_id`` of this worker, unpickled on its first task here."""
    with _worker_jobs_lock:
        job = _worker_jobs.get(job_id)
        if job is None:
            job = _worker_jobs[job_id] = _WorkerJob(payload, stop_event_name)
            # Least recently used first. A task still running keeps its job (and the files its
            # context holds open) alive through its own reference, so dropping is always safe.
            while len(_worker_jobs) > _MAX_JOBS_PER_WORKER:
                _worker_jobs.popitem(last=False)
        else:
            _worker_jobs.move_to_end(job_id)
        return job


def _forget_job(job_id: str) -> None:
    """Drop a job's contexts from this worker (closing what they hold open)."""
    with _worker_jobs_lock:
        _worker_jobs.pop(job_id, None)


def _job_payload(payload: bytes) -> bytes:
    """The job pickle as a task result: fetched by each worker once, recomputed if lost."""
    return payload


def _run_chunk_task(
    payload: bytes,
    job_id: str,
    stop_event_name: str,
    segment_index: int,
    start_frame: int,
    end_frame: int,
) -> Any:
    """Task run on a worker: one chunk of the job, unless the job was stopped."""
    job = _worker_job(job_id, payload, stop_event_name)
    if job.should_stop():
        return _Stopped()
    ctx = job.context()
    with _thread_limits(job.max_threads):
        return job.func(segment_index, start_frame, end_frame, ctx)


# --------------------------------------------------------------------------- coordinator
def _chunk_name(chunk: Chunk, index: int, total: int, job_name: str) -> str:
    segment_index, start_frame, end_frame = chunk
    return (
        f"in the Dask task of {job_name or 'the job'} for segment {segment_index}, "
        f"frames {start_frame}-{end_frame} (chunk {index + 1} of {total})"
    )


class _DaskRun:
    """One job on a cluster: submission window, completions, stop and cleanup."""

    def __init__(
        self,
        client: Any,
        chunks: Sequence[Chunk],
        payload: bytes,
        job_name: str,
        cancel_token: CancelToken | None,
    ) -> None:
        self.distributed = import_distributed()
        self.client = client
        self.chunks = list(chunks)
        self.job_name = job_name
        self.cancel_token = cancel_token
        self.job_id = f"{job_name or 'job'}-{uuid.uuid4().hex}"
        self.stop_event = self.distributed.Event(f"spikedesk-stop-{self.job_id}", client=client)
        import dask

        # The job's arrays (spike vectors of an extraction, say) go in this one task, sent once
        # on purpose: the scheduler keeps it and recomputes it if the worker holding it dies.
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1TiB"}):
            self.payload = client.submit(
                _job_payload, payload, key=f"spikedesk-job-{self.job_id}", pure=False
            )
        self.in_flight: dict[int, Any] = {}
        self.finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._window = 0
        self._window_at = -float("inf")

    # ----------------------------------------------------------------- window
    def window(self) -> int:
        """Tasks allowed in flight: two per worker thread, refreshed as the cluster changes."""
        now = time.monotonic()
        if now - self._window_at >= _WINDOW_REFRESH_SECONDS:
            threads = sum(self.client.nthreads().values())
            self._window = _TASKS_IN_FLIGHT_PER_THREAD * max(threads, 1)
            self._window_at = now
        return self._window

    def submit(self, index: int) -> None:
        segment_index, start_frame, end_frame = self.chunks[index]
        future = self.client.submit(
            _run_chunk_task,
            self.payload,
            self.job_id,
            self.stop_event.name,
            segment_index,
            start_frame,
            end_frame,
            key=(f"{self.job_name or 'chunk'}-{self.job_id}", index),
            pure=False,
        )
        self.in_flight[index] = future
        future.add_done_callback(lambda _, index=index: self.finished.put(index))

    # ----------------------------------------------------------------- completions
    def next_finished(self) -> int:
        """Index of the next task to finish, watching the cancel token and the connection."""
        while True:
            if self.cancel_token is not None:
                self.cancel_token.raise_if_cancelled()
            try:
                return self.finished.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if self.client.status not in ("running", "connecting"):
                    raise RuntimeError(
                        f"lost the connection to the Dask scheduler during {self.job_name}"
                    ) from None

    def result(self, index: int) -> Any:
        """The result of a finished task; its error, named after its chunk, if it failed."""
        future = self.in_flight.pop(index)
        if future.status == "cancelled":
            raise RuntimeError(
                "the Dask task was cancelled by the scheduler "
                + _chunk_name(self.chunks[index], index, len(self.chunks), self.job_name)
            )
        try:
            return future.result()
        except Exception as error:
            error.add_note(_chunk_name(self.chunks[index], index, len(self.chunks), self.job_name))
            raise

    # ----------------------------------------------------------------- stop and cleanup
    def stop(self) -> bool:
        """Tell the tasks to stop and wait until every submitted one has ended.

        Returns whether they all ended within `_STOP_TIMEOUT_SECONDS` (else they are cancelled,
        and a task of a wedged worker may still be running).
        """
        if not self.in_flight:
            return True
        with contextlib.suppress(Exception):
            self.stop_event.set()
        deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
        while self.in_flight:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.client.cancel(list(self.in_flight.values()))
                self.in_flight.clear()
                warnings.warn(
                    f"{self.job_name}: some Dask tasks did not stop within "
                    f"{_STOP_TIMEOUT_SECONDS:g} s; they were cancelled",
                    stacklevel=3,
                )
                return False
            try:
                self.in_flight.pop(self.finished.get(timeout=min(remaining, _POLL_SECONDS)), None)
            except queue.Empty:
                continue
        return True

    def release(self, all_ended: bool) -> None:
        """Forget the job on the workers and on the scheduler."""
        with contextlib.suppress(Exception):
            self.client.run(_forget_job, self.job_id, on_error="ignore")
        self.payload.release()
        if all_ended:  # a set event stays on the scheduler for tasks that might still check it
            with contextlib.suppress(Exception):
                self.stop_event.clear()


def run_chunks_on_dask(
    chunks: Sequence[Chunk],
    func: Callable[..., Any],
    init_func: Callable[..., Any],
    init_args: Sequence[Any],
    consume: Callable[[Any], None],
    advance: Callable[[], None],
    *,
    max_threads_per_process: int | None = 1,
    job_name: str = "",
    dask_client: Any = None,
    cancel_token: CancelToken | None = None,
) -> None:
    """Run ``func`` over ``chunks`` on a Dask cluster.

    Parameters
    ----------
    chunks : sequence of tuple of int
        ``(segment_index, start_frame, end_frame)``, one Dask task each.
    func : callable
        ``func(segment_index, start_frame, end_frame, worker_ctx) -> result``; a module-level
        function (workers import it by name). It may call ``worker_ctx["should_stop"]()``
        (when the context is a dict) between pieces of its work and return early if True.
    init_func : callable
        ``init_func(*init_args) -> worker_ctx``, called once per worker thread and job.
    init_args : sequence
        Sent once to each worker, pickled; extractors travel as their description.
    consume : callable
        Called in the calling thread with each result, in chunk order.
    advance : callable
        Called in the calling thread each time a task finishes.
    max_threads_per_process : int or None, default: 1
        threadpoolctl limit around each task on the workers.
    job_name : str, default: ""
        Names the tasks (the dashboard shows it) and the errors.
    dask_client : distributed.Client or str or None, default: None
        See :func:`connected_client`.
    cancel_token : CancelToken or None, default: None
        Checked while submitting and waiting.

    Raises
    ------
    ImportError
        If ``distributed`` is not installed.
    ValueError
        If no cluster was given, or ``init_args`` hold an in-memory recording (nothing is then
        submitted).
    TypeError
        If the job cannot be pickled.
    JobCancelled
        If the token was cancelled; every submitted task has ended when it is raised.
    Exception
        The first task error, with a note naming its chunk; the other tasks were stopped.
    """
    import_distributed()
    payload = dumps_for_workers((func, init_func, tuple(init_args), max_threads_per_process))
    if cancel_token is not None:
        cancel_token.raise_if_cancelled()
    with connected_client(dask_client) as client:
        run = _DaskRun(client, chunks, payload, job_name, cancel_token)
        all_ended = True
        try:
            _submit_and_consume(run, consume, advance)
        except BaseException:
            all_ended = run.stop()
            raise
        finally:
            run.release(all_ended)


def _submit_and_consume(run: _DaskRun, consume: Callable, advance: Callable) -> None:
    total = len(run.chunks)
    next_to_submit = next_to_consume = 0
    results: dict[int, Any] = {}
    while next_to_consume < total:
        while next_to_submit < total and next_to_submit - next_to_consume < run.window():
            if run.cancel_token is not None:
                run.cancel_token.raise_if_cancelled()
            run.submit(next_to_submit)
            next_to_submit += 1
        index = run.next_finished()
        result = run.result(index)
        if isinstance(result, _Stopped):  # only after a stop this job did not ask for
            raise JobCancelled(f"{run.job_name}: the job was stopped on the cluster")
        advance()
        results[index] = result
        while next_to_consume in results:
            consume(results.pop(next_to_consume))
            next_to_consume += 1
