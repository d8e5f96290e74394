"""Session: what is open and what the user is looking at, as evented fields (no Qt).

Views receive the session in their constructor, connect to ``session.signals.<field>`` for the
fields they draw (``signals``, because ``events`` is the open BaseEvent), and change state only through the methods below, so every view stays in step
and tests can drive the application without a window.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from psygnal import evented

import core as si
from app.model.window_source import IDLE, REQUESTED, OverviewState

#: Window shown when a recording is opened, in seconds.
DEFAULT_WINDOW_S = 1.0
#: Narrowest window the user can zoom to, in samples.
MIN_WINDOW_SAMPLES = 16


@dataclass(frozen=True, eq=False)
class SpikeSelection:
    """Spikes of one unit picked by the user (a lasso on the amplitudes view).

    Attributes
    ----------
    unit_id : int or str
    indices : np.ndarray
        Positions in the unit's spike train concatenated across segments (as curation splits
        count them), sorted.
    """

    unit_id: object
    indices: np.ndarray


@evented(events_namespace="signals")
@dataclass(eq=False)
class Session:
    """The open objects and the view state shared by every view.

    Attributes
    ----------
    recording, sorting, events, snippets, waveform_extractor
        What is open (None when absent).
    source : str
        Where the data came from (a path or "demo"), for titles and recent files.
    segment_index : int
        Segment on display.
    frame_window : tuple of int
        ``(start_frame, end_frame)`` of the traces on display, in the current segment.
    selected_channel_ids : tuple
        Channels the user picked (in the probe view or the trace view).
    selected_unit_ids : tuple
        Units the user picked.
    hidden_unit_ids : tuple
        Units the user hid (unticked in the units table): no view draws them.
    unit_order : tuple
        Every unit id in the units table's current row order (sorted by a column); views that
        list units one per row (rasters) may follow it. ``()``: the sorting's own order.
    unit_channel_ids : dict
        Extremum channel id of each unit (from templates, or estimated from sampled spikes):
        every view places a unit on this one channel.
    sparsity : ChannelSparsity | None
        The channels of each unit shown as its sparsity (the waveform extractor's, or one
        computed for display), or None.
    spike_selection : SpikeSelection | None
        Spikes of one unit picked by the user, or None.
    return_scaled : bool
        Show µV (when the recording has gains) rather than raw values.
    overview : OverviewState
        The display pyramid of the recording and how far it is built (kept by the overview
        runner; views read windows from it and ask for it with `request_overview`).
    label_definitions : dict
        The curation's label categories, ``{name: core.curation.LabelDefinition}`` (kept by
        the curation controller; the units table shows a column per category and offers their
        options).
    """

    recording: si.BaseRecording | None = None
    sorting: si.BaseSorting | None = None
    events: si.BaseEvent | None = None
    snippets: si.BaseSnippets | None = None
    waveform_extractor: object | None = None
    source: str = ""
    segment_index: int = 0
    frame_window: tuple[int, int] = (0, 0)
    selected_channel_ids: tuple = ()
    selected_unit_ids: tuple = ()
    hidden_unit_ids: tuple = ()
    unit_order: tuple = ()
    unit_channel_ids: dict = field(default_factory=dict)
    sparsity: object | None = None
    spike_selection: SpikeSelection | None = None
    return_scaled: bool = True
    overview: OverviewState = field(default_factory=OverviewState)
    label_definitions: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # colour slot of each unit id, in order of first appearance: a unit keeps its colour
        # when units are added, removed or reordered (curation)
        self._color_slots: dict = {}

    # ------------------------------------------------------------------ opening
    def open(
        self,
        recording=None,
        sorting=None,
        events=None,
        snippets=None,
        waveform_extractor=None,
        source: str = "",
    ) -> None:
        """Replace what is open and reset the view state to the start of segment 0."""
        self.close()
        self.add(
            recording=recording,
            sorting=sorting,
            events=events,
            snippets=snippets,
            waveform_extractor=waveform_extractor,
            source=source,
        )

    def has_data(self) -> bool:
        """Whether anything is open."""
        return any(
            value is not None
            for value in (
                self.recording,
                self.sorting,
                self.events,
                self.snippets,
                self.waveform_extractor,
            )
        )

    def close(self) -> None:
        """Close everything: no data open, view state reset."""
        self.waveform_extractor = None
        self.sorting = None
        self.snippets = None
        self.events = None
        self.recording = None
        self.source = ""
        self.sparsity = None
        self.spike_selection = None
        self.unit_channel_ids = {}
        self.selected_channel_ids = ()
        self.selected_unit_ids = ()
        self.hidden_unit_ids = ()
        self.unit_order = ()
        self.segment_index = 0
        self.frame_window = (0, 0)
        self.overview = OverviewState()
        self._color_slots = {}

    def add(
        self,
        recording=None,
        sorting=None,
        events=None,
        snippets=None,
        waveform_extractor=None,
        source: str = "",
    ) -> None:
        """Add objects to what is open (None: keep what is open of that kind).

        An object of a kind already open replaces it (the open sorting itself keeps the unit
        selection: waveforms extracted from it add to it). Objects must fit what stays open: same
        sampling frequency and segment count, spikes within the recording's samples; see
        `check_fits`. The time window is kept when the recording stays.

        Raises
        ------
        ValueError
            When an object does not fit what is open (nothing is changed then).
        """
        given = {
            "recording": recording,
            "sorting": sorting,
            "events": events,
            "snippets": snippets,
            "waveform_extractor": waveform_extractor,
        }
        given = {kind: value for kind, value in given.items() if value is not None}
        if waveform_extractor is not None and sorting is None:
            given["sorting"] = waveform_extractor.sorting
        self.check_fits(**given)
        new_recording = "recording" in given
        if given.get("sorting", self.sorting) is self.sorting:
            given.pop("sorting", None)  # the same sorting (e.g. waveforms extracted from it)
        if "sorting" in given:
            self.spike_selection = None
            self.selected_unit_ids = ()
            self.hidden_unit_ids = ()
            self.unit_order = ()
            self.unit_channel_ids = {}
            self.sparsity = None
        for kind, value in given.items():
            setattr(self, kind, value)
        if self.sorting is not None and self.recording is not None:
            if not self.sorting.has_recording():
                # durations (firing rates, presence) come from it; check_fits checked the spikes
                self.sorting.register_recording(self.recording, check_spike_frames=False)
        if "sorting" in given:
            self._assign_colors(self.sorting.unit_ids)
        if waveform_extractor is not None:
            self.sparsity = waveform_extractor.sparsity
        if source:
            self.source = "; ".join(part for part in (self.source, source) if part)
        if new_recording:
            self.selected_channel_ids = ()
            self.return_scaled = recording.has_scaled()
            self.segment_index = 0
            self.frame_window = self._initial_window()

    def replace_sorting(self, sorting: si.BaseSorting, selected_unit_ids=None) -> None:
        """Show another version of the open sorting (a curation of it), keeping the view state
        of the units that are still there: colours, channels, hidden units.

        Parameters
        ----------
        sorting : BaseSorting
        selected_unit_ids : list or None
            The new selection; None keeps the selected units that are still there.
        """
        ids = np.asarray(sorting.unit_ids).tolist()
        known = set(ids)
        if selected_unit_ids is None:
            selected_unit_ids = [u for u in self.selected_unit_ids if u in known]
        self._assign_colors(ids)
        self.spike_selection = None
        self.sorting = sorting
        self.unit_channel_ids = {u: c for u, c in self.unit_channel_ids.items() if u in known}
        self.hidden_unit_ids = tuple(u for u in self.hidden_unit_ids if u in known)
        if self.sparsity is not None and set(self.sparsity.unit_ids.tolist()) != known:
            self.sparsity = None
        self.select_units(selected_unit_ids)

    def check_fits(self, **objects) -> None:
        """Raise ValueError unless ``objects`` (by kind) can be shown with what stays open.

        A sorting, snippets or waveforms must have the recording's sampling frequency and
        segment count, and a sorting no spike past the end of a segment.
        """
        recording = objects.get("recording", self.recording)
        if recording is None:
            return
        for kind in ("sorting", "snippets", "waveform_extractor"):
            value = objects.get(kind, getattr(self, kind))
            if value is None:
                continue
            _check_same_rate(kind, value, recording)
            if kind == "sorting":
                _check_spikes_within(value, recording)

    def _assign_colors(self, unit_ids) -> None:
        for unit_id in np.asarray(unit_ids).tolist():
            self._color_slots.setdefault(unit_id, len(self._color_slots))

    def set_overview(self, state: OverviewState) -> None:
        """Publish the state of the recording's display pyramid (the overview runner does)."""
        self.overview = state

    def request_overview(self) -> None:
        """Ask for the display pyramid to be built (a view needs it for a long window); nothing
        happens unless it is idle (not built, not being built)."""
        if self.overview.status == IDLE:
            self.overview = replace(self.overview, status=REQUESTED)

    def set_label_definitions(self, definitions: dict) -> None:
        """Publish the curation's label categories (``{name: LabelDefinition}``)."""
        definitions = dict(definitions)
        if definitions != self.label_definitions:
            self.label_definitions = definitions

    def replace_recording(self, recording: si.BaseRecording) -> None:
        """Show another version of the open recording (e.g. with a new probe), keeping the view."""
        start, end = self.frame_window
        self.recording = recording
        self.selected_channel_ids = tuple(
            c for c in self.selected_channel_ids if c in set(recording.channel_ids.tolist())
        )
        self.frame_window = self._clamped(start, end)

    # ------------------------------------------------------------------ navigation
    @property
    def num_samples(self) -> int:
        """Samples in the current segment (0 without a recording)."""
        if self.recording is None:
            return 0
        return self.recording.get_num_samples(self.segment_index)

    @property
    def sampling_frequency(self) -> float:
        """Sampling frequency of the open recording (or sorting)."""
        source = self.recording if self.recording is not None else self.sorting
        return 1.0 if source is None else source.sampling_frequency

    def set_segment(self, segment_index: int) -> None:
        """Show another segment, keeping the window width."""
        if self.recording is None:
            return
        num_segments = self.recording.get_num_segments()
        if not 0 <= segment_index < num_segments:
            raise ValueError(f"segment_index {segment_index} outside 0..{num_segments - 1}")
        width = self.frame_window[1] - self.frame_window[0]
        self.segment_index = segment_index
        self.frame_window = self._clamped(0, width)

    def set_frame_window(self, start_frame: int, end_frame: int) -> None:
        """Show samples ``[start_frame, end_frame)``, clamped to the segment."""
        self.frame_window = self._clamped(int(start_frame), int(end_frame))

    def set_time_window(self, start_s: float, end_s: float) -> None:
        """Show the window between two times of the recording's own time axis (seconds)."""
        start = self.time_to_frame(start_s)
        end = self.time_to_frame(end_s)
        self.set_frame_window(start, max(end, start + MIN_WINDOW_SAMPLES))

    def go_to_time(self, time_s: float) -> None:
        """Centre the window on a time, keeping its width; in the segment that holds the time
        (`segment_at_time`) when the current one does not."""
        segment = self.segment_at_time(time_s)
        if segment is not None and segment != self.segment_index:
            self.set_segment(segment)
        width = self.frame_window[1] - self.frame_window[0]
        centre = self.time_to_frame(time_s)
        self.set_frame_window(centre - width // 2, centre - width // 2 + width)

    def scroll(self, fraction: float) -> None:
        """Move the window by ``fraction`` of its width (negative: back in time)."""
        start, end = self.frame_window
        shift = int(round((end - start) * fraction))
        self.set_frame_window(start + shift, end + shift)

    def zoom(self, factor: float, anchor_frame: int | None = None) -> None:
        """Scale the window width by ``factor`` (< 1 zooms in) around ``anchor_frame``."""
        start, end = self.frame_window
        anchor = (start + end) // 2 if anchor_frame is None else int(anchor_frame)
        width = max(int(round((end - start) * factor)), MIN_WINDOW_SAMPLES)
        left = anchor - (anchor - start) * width / max(end - start, 1)
        new_start = int(round(left))
        self.set_frame_window(new_start, new_start + width)

    def go_to_start(self) -> None:
        """Show the beginning of the segment."""
        start, end = self.frame_window
        self.set_frame_window(0, end - start)

    def go_to_end(self) -> None:
        """Show the end of the segment."""
        start, end = self.frame_window
        self.set_frame_window(self.num_samples - (end - start), self.num_samples)

    def event_times(self, channel_ids=None) -> np.ndarray:
        """Sorted times (s) of the open events of ``channel_ids`` (all when None) in the
        current segment; empty without events."""
        events = self.events
        if events is None or self.segment_index >= events.get_num_segments():
            return np.empty(0)
        channels = events.channel_ids.tolist() if channel_ids is None else list(channel_ids)
        times = [
            np.asarray(
                events.get_event_times(channel_id=c, segment_index=self.segment_index), "float64"
            )
            for c in channels
        ]
        return np.sort(np.concatenate(times)) if times else np.empty(0)

    def go_to_event(self, direction: int, channel_ids=None) -> bool:
        """Centre the window on the next (``direction`` > 0) or previous event of
        ``channel_ids`` (all channels when None) after or before the window's centre.

        Returns
        -------
        bool
            Whether there was such an event.
        """
        times = self.event_times(channel_ids)
        if times.size == 0 or self.recording is None:
            return False
        start, end = self.frame_window
        centre = float(self.frame_to_time((start + end) // 2))
        tolerance = 1.0 / self.sampling_frequency
        if direction > 0:
            later = times[times > centre + tolerance]
            target = later[0] if later.size else None
        else:
            earlier = times[times < centre - tolerance]
            target = earlier[-1] if earlier.size else None
        if target is None:
            return False
        self.go_to_time(float(target))
        return True

    # ------------------------------------------------------------------ times
    def segment_at_time(self, time_s: float) -> int | None:
        """The segment whose time span (the recording's own times) holds ``time_s``: the
        current one if it does, else the first that does; None when none does."""
        recording = self.recording
        if recording is None:
            return None
        segments = range(recording.get_num_segments())
        for segment in [self.segment_index, *segments]:
            num_samples = recording.get_num_samples(segment)
            if num_samples == 0:
                continue
            start = recording.sample_index_to_time(0, segment_index=segment)
            end = recording.sample_index_to_time(num_samples - 1, segment_index=segment)
            if start <= time_s < end + 1.0 / recording.sampling_frequency:
                return segment
        return None

    def frame_to_time(self, frame) -> float | np.ndarray:
        """Time in seconds (the recording's own time axis) of a frame of the current segment."""
        if self.recording is None:
            return np.divide(frame, self.sampling_frequency)
        return self.recording.sample_index_to_time(frame, segment_index=self.segment_index)

    def time_to_frame(self, time_s: float) -> int:
        """Frame of the current segment at a time of the recording's own time axis."""
        if self.recording is None:
            return int(time_s * self.sampling_frequency)
        return int(self.recording.time_to_sample_index(time_s, segment_index=self.segment_index))

    # ------------------------------------------------------------------ selection and display
    def select_channels(self, channel_ids) -> None:
        """Select channels (unknown ids raise ValueError)."""
        if self.recording is None:
            return
        channel_ids = list(channel_ids)
        self.recording.ids_to_indices(channel_ids)
        self.selected_channel_ids = tuple(np.asarray(channel_ids).tolist())

    def select_units(self, unit_ids) -> None:
        """Select units (unknown ids raise ValueError)."""
        if self.sorting is None:
            return
        unit_ids = list(unit_ids)
        self.sorting.ids_to_indices(unit_ids)
        self.selected_unit_ids = tuple(np.asarray(unit_ids).tolist())

    def select_spikes(self, unit_id, indices) -> None:
        """Pick spikes of ``unit_id`` by position in its spike train (all segments); an empty
        ``indices`` clears the pick."""
        if self.sorting is None:
            return
        self.sorting.ids_to_indices([unit_id])
        indices = np.unique(np.asarray(indices, dtype="int64"))
        total = sum(
            self.sorting.get_unit_spike_train(unit_id, segment_index=s).size
            for s in range(self.sorting.get_num_segments())
        )
        if indices.size and (indices[0] < 0 or indices[-1] >= total):
            raise ValueError(f"spike indices must be in 0..{total - 1} for unit {unit_id!r}")
        self.spike_selection = SpikeSelection(unit_id, indices) if indices.size else None

    def set_hidden_units(self, unit_ids) -> None:
        """Hide units from every view (unknown ids raise ValueError); ``()`` shows them all."""
        if self.sorting is None:
            return
        unit_ids = list(unit_ids)
        self.sorting.ids_to_indices(unit_ids)
        self.hidden_unit_ids = tuple(np.asarray(unit_ids).tolist())

    def set_unit_order(self, unit_ids) -> None:
        """Share the units table's row order: every unit id of the sorting, each once."""
        if self.sorting is None:
            return
        unit_ids = np.asarray(list(unit_ids)).tolist()
        if len(unit_ids) != len(set(unit_ids)) or set(unit_ids) != set(
            self.sorting.unit_ids.tolist()
        ):
            raise ValueError("unit_order must hold every unit id of the sorting exactly once")
        self.unit_order = tuple(unit_ids)

    def ordered_unit_ids(self) -> list:
        """Unit ids in ``unit_order`` (the sorting's order when none was set); after a curation
        changed the units, those no longer there are left out and new ones come last."""
        if self.sorting is None:
            return []
        ids = self.sorting.unit_ids.tolist()
        known = set(ids)
        ordered = [u for u in self.unit_order if u in known]
        placed = set(ordered)
        return ordered + [u for u in ids if u not in placed]

    def visible_unit_ids(self) -> list:
        """Unit ids of the sorting that are not hidden, in the sorting's order."""
        if self.sorting is None:
            return []
        hidden = set(self.hidden_unit_ids)
        return [u for u in self.sorting.unit_ids.tolist() if u not in hidden]

    def unit_color_index(self, unit_id) -> int:
        """A stable colour slot for ``unit_id`` (pass it to ``Theme.unit_color``)."""
        if hasattr(unit_id, "item"):
            unit_id = unit_id.item()
        if unit_id not in self._color_slots:
            self._color_slots[unit_id] = len(self._color_slots)
        return self._color_slots[unit_id]

    def set_unit_channels(self, unit_channel_ids: dict) -> None:
        """Set the extremum channel id of each unit (shared by every view)."""
        self.unit_channel_ids = {
            (k.item() if hasattr(k, "item") else k): (v.item() if hasattr(v, "item") else v)
            for k, v in unit_channel_ids.items()
        }

    def set_sparsity(self, sparsity) -> None:
        """Show ``sparsity`` (a ChannelSparsity of the open units and channels, or None)."""
        self.sparsity = sparsity

    def set_return_scaled(self, return_scaled: bool) -> None:
        """Show µV (True) or raw values; µV needs gains and offsets."""
        if return_scaled and (self.recording is None or not self.recording.has_scaled()):
            raise ValueError(
                "the recording has no gain_to_uV/offset_to_uV: it can only be shown raw"
            )
        self.return_scaled = bool(return_scaled)

    # ------------------------------------------------------------------ helpers
    def _initial_window(self) -> tuple[int, int]:
        if self.recording is None:
            return (0, 0)
        width = int(round(DEFAULT_WINDOW_S * self.recording.sampling_frequency))
        return self._clamped(0, width)

    def _clamped(self, start: int, end: int) -> tuple[int, int]:
        num_samples = self.num_samples
        if num_samples == 0:
            return (0, 0)
        width = min(max(end - start, min(MIN_WINDOW_SAMPLES, num_samples)), num_samples)
        start = min(max(start, 0), num_samples - width)
        return (start, start + width)


def _check_same_rate(kind: str, value, recording) -> None:
    name = kind.replace("_", " ")
    rate, expected = float(value.sampling_frequency), float(recording.sampling_frequency)
    if not np.isclose(rate, expected, rtol=1e-9, atol=0.0):
        raise ValueError(
            f"the {name} does not fit the open recording: sampling frequency {rate:g} Hz, "
            f"the recording's is {expected:g} Hz"
        )
    segments, expected_segments = value.get_num_segments(), recording.get_num_segments()
    if segments != expected_segments:
        raise ValueError(
            f"the {name} does not fit the open recording: {segments} segment(s), the "
            f"recording has {expected_segments}"
        )


def _check_spikes_within(sorting, recording) -> None:
    # a segment's spikes are in time order (the spike vector's contract): its last spike is the
    # latest, read without a pass over millions of spikes (or a memory map's pages)
    for segment, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        num_samples = recording.get_num_samples(segment)
        last = int(spikes["sample_index"][-1]) if spikes.size else -1
        if last >= num_samples:
            raise ValueError(
                f"the sorting does not fit the open recording: a spike at sample {last} of "
                f"segment {segment}, which has {num_samples} samples (a different recording?)"
            )
