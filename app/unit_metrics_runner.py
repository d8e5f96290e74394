"""Computes the units table's metric columns in background jobs for what the session holds."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from app.jobs import Job, JobManager
from app.model.session import Session
from app.model.unit_metrics import sampled_waveform_extractor, spike_train_metrics, trace_metrics
from app.model.unit_table import SPIKE_TRAIN_COLUMNS, TRACE_COLUMNS
from core.jobs import JobCancelled

_log = logging.getLogger(__name__)

SPIKE_TRAIN_KEYS = tuple(c.key for c in SPIKE_TRAIN_COLUMNS)
TRACE_KEYS = tuple(c.key for c in TRACE_COLUMNS)


class UnitMetricsRunner:
    """Runs the metric jobs of the units table and hands their results back on the GUI thread.

    Spike-train metrics start as soon as a sorting is open. Amplitudes and SNR start with an
    open WaveformExtractor, or else with a recording once ``session.unit_channel_ids`` is
    known (they are cut around each unit's channel). Results of data no longer open are
    dropped; opening other data cancels the jobs that run.

    Parameters
    ----------
    session : Session
    job_manager : JobManager
    on_values : callable
        ``on_values({column key: {unit_id: value}})``, on the GUI thread.
    on_unavailable : callable
        ``on_unavailable(keys, reason)``: these columns cannot be computed.
    """

    def __init__(
        self,
        session: Session,
        job_manager: JobManager,
        on_values: Callable[[dict], None],
        on_unavailable: Callable[[tuple, str], None],
    ) -> None:
        self._session = session
        self._jobs = job_manager
        self._on_values = on_values
        self._on_unavailable = on_unavailable
        self._running: list[Job] = []
        self._trace_started = False
        self._generation = 0  # results of an earlier generation are dropped
        self._data: tuple | None = None  # (recording, sorting, waveform extractor) of refresh

    @property
    def jobs(self) -> list[Job]:
        """The jobs started for the open data that have not ended."""
        return [job for job in self._running if job.state.is_active]

    def is_current(self) -> bool:
        """Whether the metrics started last still hold for the session's data: same sorting
        and waveforms, and a recording of the same channels and length (e.g. after a probe
        edit)."""
        return self._data is not None and _same_data(self._data, self._session_data())

    def refresh(self) -> None:
        """Start over for what the session holds now."""
        self.shutdown()
        self._data = self._session_data()
        session = self._session
        sorting = session.sorting
        if sorting is None:
            return
        self._submit(
            f"Spike-train metrics of {sorting.get_num_units()} units",
            lambda progress, cancel: spike_train_metrics(sorting),
        )
        if not sorting.has_recording():
            self._on_unavailable(SPIKE_TRAIN_KEYS[1:], "needs the recording (its duration)")
        self.channels_changed()

    def channels_changed(self) -> None:
        """Start the amplitude and SNR job once what it needs is known."""
        if self._trace_started or self._session.sorting is None:
            return
        session = self._session
        we, recording, sorting = session.waveform_extractor, session.recording, session.sorting
        if we is not None:
            self._start_traces(lambda progress, cancel: trace_metrics(we), sorting.get_num_units())
            return
        if recording is None:
            self._on_unavailable(TRACE_KEYS, "needs the recording (waveforms)")
            return
        if recording.get_num_channels() > 1 and not recording.has_channel_location():
            self._on_unavailable(TRACE_KEYS, "needs a probe (channel positions)")
            return
        channels = dict(session.unit_channel_ids)
        if recording.get_num_channels() == 1:
            channels = dict.fromkeys(sorting.unit_ids.tolist(), recording.channel_ids[0].item())
        if not channels:
            return  # waits for the unit channels

        def compute(progress, cancel):
            sampled = sampled_waveform_extractor(
                recording, sorting, channels, progress=progress, cancel_token=cancel
            )
            return {} if sampled is None else trace_metrics(sampled)

        self._start_traces(compute, sorting.get_num_units())

    def _start_traces(self, fn, num_units: int) -> None:
        self._trace_started = True
        self._submit(f"Amplitude and SNR of {num_units} units", fn, TRACE_KEYS)

    def _submit(self, title: str, fn, keys: tuple = SPIKE_TRAIN_KEYS) -> None:
        data = self._session_data()
        generation = self._generation

        def guarded(progress, cancel):
            try:
                return fn(progress, cancel)
            except Exception as error:  # shown in the table's cells, not as a dialog
                if cancel.cancelled:
                    raise JobCancelled() from error
                _log.warning("%s failed", title, exc_info=error)
                return error

        job = Job(title, guarded)

        def done(result) -> None:
            if generation != self._generation or not _same_data(data, self._session_data()):
                return
            if isinstance(result, Exception):
                self._on_unavailable(keys, f"{type(result).__name__}: {result}")
            else:
                self._on_values(result)

        job.signals.finished.connect(done)
        self._running.append(job)
        self._jobs.submit(job)

    def _session_data(self) -> tuple:
        session = self._session
        return (session.recording, session.sorting, session.waveform_extractor)

    def shutdown(self) -> None:
        """Cancel the jobs that run; results still to come are dropped."""
        self._generation += 1
        for job in self._running:
            if job.state.is_active:
                job.cancel()
        self._running = []
        self._trace_started = False


def _same_data(before: tuple, now: tuple) -> bool:
    """Same sorting and waveforms; a recording that is the same or reads the same samples
    (same channel ids and segment lengths)."""
    (recording, sorting, we), (new_recording, new_sorting, new_we) = before, now
    if sorting is not new_sorting or we is not new_we:
        return False
    if recording is new_recording:
        return True
    if recording is None or new_recording is None:
        return False
    return np.array_equal(recording.channel_ids, new_recording.channel_ids) and [
        recording.get_num_samples(s) for s in range(recording.get_num_segments())
    ] == [new_recording.get_num_samples(s) for s in range(new_recording.get_num_segments())]
