"""Computes the units table's metric columns in background jobs for what the session holds."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from app.jobs import Job, JobManager
from app.model.session import Session
from app.model.unit_metrics import (
    sampled_waveform_extractor,
    spike_train_metrics,
    trace_metrics,
    unit_signatures,
)
from app.model.unit_table import SPIKE_TRAIN_COLUMNS, TRACE_COLUMNS, prepare_columns
from core.jobs import JobCancelled

_log = logging.getLogger(__name__)

SPIKE_TRAIN_KEYS = tuple(c.key for c in SPIKE_TRAIN_COLUMNS)
TRACE_KEYS = tuple(c.key for c in TRACE_COLUMNS)


class UnitMetricsRunner:
    """Runs the metric jobs of the units table and hands their results back on the GUI thread.

    Spike-train metrics start as soon as a sorting is open; a job then takes each unit's
    signature (spike count and sums of its samples). Amplitudes and SNR follow: from an open
    WaveformExtractor, or else from sampled spikes once ``session.unit_channel_ids`` knows the
    units' channels. After a curation (`refresh` with ``reuse=True``), only the units whose
    signature changed are computed again; the others keep their values (``on_reuse``).
    Results of data no longer open are dropped; opening other data cancels the jobs that run.

    Parameters
    ----------
    session : Session
    job_manager : JobManager
    on_values : callable
        ``on_values({column key: {unit_id: value} or PreparedColumn})``, on the GUI thread,
        once a column's computation ended (a column computed for every unit comes prepared:
        its values and texts made in the job, see `app.model.unit_table.prepare_columns`).
    on_unavailable : callable
        ``on_unavailable(keys, reason)``: these columns cannot be computed.
    on_reuse : callable or None
        ``on_reuse(unit_ids)``: these units did not change since the previous sorting: their
        amplitude and SNR stay.
    """

    def __init__(
        self,
        session: Session,
        job_manager: JobManager,
        on_values: Callable[[dict], None],
        on_unavailable: Callable[[tuple, str], None],
        on_reuse: Callable[[list], None] | None = None,
    ) -> None:
        self._session = session
        self._jobs = job_manager
        self._on_values = on_values
        self._on_unavailable = on_unavailable
        self._on_reuse = on_reuse
        self._running: list[Job] = []
        self._generation = 0  # results of an earlier generation are dropped
        self._data: tuple | None = None  # (recording, sorting, waveform extractor) of refresh
        self._signatures: dict | None = None  # of the sorting of refresh, once computed
        self._previous: dict | None = None  # signatures of the sorting before a curation
        self._todo: list | None = None  # units whose amplitude and SNR to compute
        self._trace_started = False

    @property
    def jobs(self) -> list[Job]:
        """The jobs started for the open data that have not ended."""
        return [job for job in self._running if job.state.is_active]

    def is_current(self) -> bool:
        """Whether the metrics started last still hold for the session's data: same sorting
        and waveforms, and a recording of the same channels and length (e.g. after a probe
        edit)."""
        return self._data is not None and _same_data(self._data, self._session_data())

    def can_reuse(self) -> bool:
        """Whether only the sorting changed since the last refresh (a curation, or another
        sorting): unchanged units may keep their amplitude and SNR."""
        if self._data is None or self._signatures is None:
            return False
        recording, _, we = self._data
        now = self._session_data()
        return we is now[2] and _same_data((recording, None, None), (now[0], None, None))

    def can_follow_curation(self) -> bool:
        """Whether only the sorting changed since the last refresh (same recording data and
        waveforms): after a curation action the units it left keep their values."""
        if self._data is None:
            return False
        recording, _, we = self._data
        now = self._session_data()
        return we is now[2] and _same_data((recording, None, None), (now[0], None, None))

    def refresh(self, reuse: bool = False, kept_units: list | None = None) -> None:
        """Start over for what the session holds now.

        Parameters
        ----------
        reuse : bool, default: False
            Keep amplitude and SNR of the units whose spikes did not change (see `can_reuse`).
        kept_units : list or None
            After a curation action: the units it left as they were (a curation never gives
            another unit's id to new spikes), which keep every value; only the other units are
            computed, from their own trains (seconds less of work on millions of spikes).
        """
        previous = self._signatures if reuse else None
        self.shutdown()
        self._data = self._session_data()
        self._previous = previous
        session = self._session
        sorting = session.sorting
        if sorting is None:
            return
        if kept_units is not None:
            self._refresh_new_units(sorting, list(kept_units))
            return

        lengths = self._segment_lengths()
        self._submit(
            f"Spike-train metrics of {sorting.get_num_units()} units",
            lambda progress, cancel: prepare_columns(
                spike_train_metrics(sorting, lengths), sorting.unit_ids
            ),
            SPIKE_TRAIN_KEYS,
            self._on_spike_trains,
        )
        if not sorting.has_recording() and lengths is None:
            self._on_unavailable(SPIKE_TRAIN_KEYS[1:], "needs the recording (its duration)")

    def _segment_lengths(self) -> list[int] | None:
        """Segment lengths of the recording for a sorting opened without it, from the open
        waveform extractor or analyzer (which stores them); None when unknown or not needed."""
        session = self._session
        sorting, we = session.sorting, session.waveform_extractor
        if sorting is None or sorting.has_recording() or we is None:
            return None
        if we.get_num_segments() != sorting.get_num_segments():
            return None
        try:
            return [int(we.get_num_samples(i)) for i in range(we.get_num_segments())]
        except ValueError:  # a folder that does not store them
            return None

    def _refresh_new_units(self, sorting, kept_units: list) -> None:
        kept = set(kept_units)
        new_ids = [u for u in sorting.unit_ids.tolist() if u not in kept]
        if not new_ids:  # a label, a removal, an undo of a merge: nothing to compute
            self._on_new_units({}, kept_units, [])
            return

        lengths = self._segment_lengths()

        def compute(progress, cancel):
            return spike_train_metrics(units_alone(sorting, new_ids), lengths)

        self._submit(
            f"Spike-train metrics of {len(new_ids)} new unit(s)",
            compute,
            SPIKE_TRAIN_KEYS,
            lambda values: self._on_new_units(values, kept_units, new_ids),
        )
        if not sorting.has_recording() and lengths is None:
            self._on_unavailable(SPIKE_TRAIN_KEYS[1:], "needs the recording (its duration)")

    def _on_new_units(self, values: dict, kept_units: list, new_ids: list) -> None:
        self._on_values(values)
        counts = values.get("num_spikes", {})
        self._signatures = {u: (int(counts.get(u, 1)), 0, 0) for u in new_ids}
        self._previous = {}  # amplitude and SNR of the new units only
        if kept_units and self._on_reuse is not None:
            self._on_reuse(kept_units)
        self._todo = list(new_ids)
        self.channels_changed()

    def _on_spike_trains(self, values: dict) -> None:
        self._on_values(values)
        sorting = self._session.sorting
        # then the signatures, which only the amplitude and SNR wait for
        self._submit(
            f"Spike fingerprints of {sorting.get_num_units()} units",
            lambda progress, cancel: unit_signatures(sorting),
            TRACE_KEYS,
            self._on_signatures,
        )

    def _on_signatures(self, signatures: dict) -> None:
        self._signatures = signatures
        todo = list(signatures)
        if self._previous is not None:
            previous = self._previous
            kept = [u for u, signature in signatures.items() if previous.get(u) == signature]
            if kept and self._on_reuse is not None:
                self._on_reuse(kept)
            kept_set = set(kept)
            todo = [u for u in todo if u not in kept_set]
        self._todo = todo
        self.channels_changed()

    def channels_changed(self) -> None:
        """Start the amplitude and SNR job once what it needs is known: the units to compute
        (after the spike-train job) and, without waveforms, their channels."""
        if self._trace_started or self._todo is None or self._session.sorting is None:
            return
        session, todo = self._session, self._todo
        we, recording, sorting = session.waveform_extractor, session.recording, session.sorting
        if not todo:
            self._trace_started = True
            self._on_values({key: {} for key in TRACE_KEYS})  # every value was kept
            return
        if we is not None and self._previous is None:
            self._start_traces(
                lambda progress, cancel: prepare_columns(trace_metrics(we), sorting.unit_ids),
                len(todo),
            )
            return
        if recording is None:
            self._on_unavailable(TRACE_KEYS, "needs the recording (waveforms)")
            return
        if recording.get_num_channels() > 1 and not recording.has_channel_location():
            self._on_unavailable(TRACE_KEYS, "needs a probe (channel positions)")
            return
        channels = dict(session.unit_channel_ids)
        if recording.get_num_channels() == 1:
            channels = dict.fromkeys(todo, recording.channel_ids[0].item())
        with_spikes = [u for u in todo if self._signatures[u][0] > 0]
        if any(u not in channels for u in with_spikes):
            return  # waits for the channels of the units to compute
        subset = sorting if len(todo) == sorting.get_num_units() else sorting.select_units(todo)

        def compute(progress, cancel):
            sampled = sampled_waveform_extractor(
                recording, subset, channels, progress=progress, cancel_token=cancel
            )
            if sampled is None:
                return {key: {} for key in TRACE_KEYS}
            metrics = trace_metrics(sampled)
            return prepare_columns(metrics, sorting.unit_ids) if subset is sorting else metrics

        self._start_traces(compute, len(todo))

    def _start_traces(self, fn, num_units: int) -> None:
        self._trace_started = True
        self._submit(f"Amplitude and SNR of {num_units} units", fn, TRACE_KEYS, self._on_values)

    def _submit(self, title: str, fn, keys: tuple, handle: Callable[[dict], None]) -> None:
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

        job = Job(title, guarded, announce=False)

        def done(result) -> None:
            if generation != self._generation or not _same_data(data, self._session_data()):
                return
            if isinstance(result, Exception):
                self._on_unavailable(keys, f"{type(result).__name__}: {result}")
            else:
                handle(result)

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
        self._signatures = None
        self._previous = None
        self._todo = None
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


def units_alone(sorting, unit_ids: list):
    """A sorting of ``unit_ids``' trains alone (with the recording registered), computed from
    per-unit trains: a slice of a large (curated) sorting could build the whole spike vector."""
    from core.sorting.numpy import NumpySorting

    trains = [
        {u: sorting.get_unit_spike_train(u, segment_index=s) for u in unit_ids}
        for s in range(sorting.get_num_segments())
    ]
    alone = NumpySorting.from_unit_dict(trains, sorting.sampling_frequency)
    if sorting.has_recording():
        alone.register_recording(sorting._recording, check_spike_frames=False)
    return alone
