"""ProbeEditor: a working copy of a recording's probe, channel groups and bad channels (no Qt).

Every edit replaces an immutable snapshot of the working copy and keeps the previous one on an
undo stack, so undo and redo are exact. Nothing touches the recording until `ProbeEditor.apply`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from probeinterface import ProbeGroup
from psygnal import Signal

from app.model.probe_layouts import (
    available_layouts,
    build_layout,
    probegroup_wiring,
    set_wiring,
    shank_keys,
    validate_wiring,
)
from core import BaseRecording
from core.formats.probe_files import read_probe_file, write_probe_file


@dataclass(frozen=True)
class _State:
    probegroup: ProbeGroup | None  # never modified once in a state
    groups: np.ndarray  # read-only
    bad: frozenset


class ProbeEditor:
    """Edit a recording's probe, channel groups and bad channels, with undo and redo.

    Parameters
    ----------
    recording : BaseRecording | None
        The recording whose probe (if any), ``group`` and ``bad_channel`` properties start
        the working copy.

    Attributes
    ----------
    changed : psygnal.Signal
        Emitted after every edit, undo, redo and `reset`.
    """

    changed = Signal()

    def __init__(self, recording: BaseRecording | None = None) -> None:
        self.reset(recording)

    # ------------------------------------------------------------------ state
    def reset(self, recording: BaseRecording | None) -> None:
        """Start over from ``recording`` (or nothing), forgetting the undo history."""
        self._recording = recording
        self._undo: list[tuple[str, _State]] = []
        self._redo: list[tuple[str, _State]] = []
        self._baseline: _State | None = None
        if recording is None:
            self._state = _State(None, _frozen(np.zeros(0, dtype="int64")), frozenset())
        else:
            groups = recording.get_channel_groups()
            groups = np.zeros(recording.get_num_channels()) if groups is None else groups
            bad = recording.get_property("bad_channel")
            ids = recording.channel_ids
            probegroup = recording.get_probegroup() if recording.has_probe() else None
            self._state = _State(
                probegroup,
                _frozen(np.asarray(groups, dtype="int64")),
                frozenset([] if bad is None else ids[np.asarray(bad, dtype=bool)].tolist()),
            )
        self._baseline = self._state
        self.changed.emit()

    @property
    def recording(self) -> BaseRecording | None:
        """The recording being edited (None when there is none)."""
        return self._recording

    @property
    def probegroup(self) -> ProbeGroup | None:
        """A copy of the working probe group (None when there is no probe)."""
        group = self._state.probegroup
        return None if group is None else group.copy()

    @property
    def has_probe(self) -> bool:
        """Whether the working copy has a probe."""
        return self._state.probegroup is not None

    @property
    def device_channel_indices(self) -> np.ndarray | None:
        """The wiring: recording channel index of each contact, probe after probe (-1 unwired)."""
        group = self._state.probegroup
        return None if group is None else probegroup_wiring(group)

    @property
    def groups(self) -> np.ndarray:
        """Group of each recording channel (read-only)."""
        return self._state.groups

    @property
    def bad_channel_ids(self) -> set:
        """Ids of the channels marked bad."""
        return set(self._state.bad)

    @property
    def is_modified(self) -> bool:
        """Whether the working copy differs from what the recording has (edited, not applied)."""
        return not _same_state(self._state, self._baseline)

    # ------------------------------------------------------------------ history
    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._redo)

    @property
    def history(self) -> list[str]:
        """Descriptions of the edits that can be undone, oldest first."""
        return [description for description, _ in self._undo]

    @property
    def undo_description(self) -> str | None:
        """Description of the edit `undo` would revert."""
        return self._undo[-1][0] if self._undo else None

    @property
    def redo_description(self) -> str | None:
        """Description of the edit `redo` would restore."""
        return self._redo[-1][0] if self._redo else None

    def undo(self) -> None:
        """Undo the last edit (nothing happens when there is none)."""
        if self._undo:
            description, state = self._undo.pop()
            self._redo.append((description, self._state))
            self._state = state
            self.changed.emit()

    def redo(self) -> None:
        """Redo the last undone edit (nothing happens when there is none)."""
        if self._redo:
            description, state = self._redo.pop()
            self._undo.append((description, self._state))
            self._state = state
            self.changed.emit()

    def discard(self) -> None:
        """Go back to what the recording has (an edit itself: undo brings the edits back)."""
        if self.is_modified:
            self._push("Discard edits", self._baseline)

    # ------------------------------------------------------------------ edits
    def load_probe_file(self, path: str | Path) -> None:
        """Use the probe(s) of a JSON, PRB, SpikeGLX meta or Open Ephys settings file.

        Probes without wiring are wired in contact order. Groups follow the shanks.

        Raises
        ------
        FileNotFoundError, ValueError
            If the file is missing or unreadable, or its wiring does not fit the recording.
        """
        path = Path(path)
        group = read_probe_file(path)
        if any(p.device_channel_indices is None for p in group.probes):
            self._wire_in_order(group, f"{path.name}: the probe")
        try:
            self._set_probegroup(group, f"Load {path.name}")
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None

    def generate_layout(self, kind: str, **params) -> None:
        """Use a generated layout (see `build_layout`), wired in contact order.

        Missing parameters are chosen to give one contact per channel.
        """
        if kind not in available_layouts():
            raise ValueError(f"kind must be one of {available_layouts()}, got {kind!r}")
        group = build_layout(kind, self._num_channels(), **params)
        self._wire_in_order(group, f"the {kind} layout")
        self._set_probegroup(group, f"Generate {kind} layout")

    def set_wiring(self, device_channel_indices) -> None:
        """Rewire the contacts (one entry per contact, probe after probe; -1 unwired).

        Groups follow their contacts; bad channels stay with their channel.
        """
        group = self._require_probe()
        old = probegroup_wiring(group)
        new = validate_wiring(device_channel_indices, old.size, self._num_channels())
        group = group.copy()
        set_wiring(group, new)
        groups = self._state.groups.copy()
        moved = (old >= 0) & (new >= 0)
        groups[new[moved]] = self._state.groups[old[moved]]
        self._push("Edit wiring", _State(group, _frozen(groups), self._state.bad))

    def assign_group(self, channel_ids: Iterable, group: int) -> None:
        """Put channels in ``group`` (a non-negative integer)."""
        indices = self._indices(channel_ids)
        if int(group) != group or group < 0:
            raise ValueError(f"group must be a non-negative integer, got {group!r}")
        groups = self._state.groups.copy()
        groups[indices] = int(group)
        state = _State(self._state.probegroup, _frozen(groups), self._state.bad)
        self._push(f"Assign {indices.size} channel(s) to group {int(group)}", state)

    def groups_by_shank(self) -> None:
        """One group per shank (per probe when probes have no shanks)."""
        group = self._require_probe()
        groups = _groups_from_shanks(group, self._state.groups)
        self._push("Groups by shank", _State(group, _frozen(groups), self._state.bad))

    def mark_bad(self, channel_ids: Iterable, bad: bool = True) -> None:
        """Mark channels bad (or good again with ``bad=False``)."""
        indices = self._indices(channel_ids)
        ids = set(self._recording.channel_ids[indices].tolist())
        marked = self._state.bad | ids if bad else self._state.bad - ids
        state = _State(self._state.probegroup, self._state.groups, frozenset(marked))
        self._push(f"Mark {len(ids)} channel(s) {'bad' if bad else 'good'}", state)

    # ------------------------------------------------------------------ output
    def apply(self, in_place: bool = False, remove_bad: bool = False) -> BaseRecording:
        """Give the recording the working probe, ``group`` and boolean ``bad_channel`` properties.

        Parameters
        ----------
        in_place : bool
            Modify the edited recording (every channel must be wired) instead of a new object;
            the working copy is then what the recording has (`is_modified` is False).
        remove_bad : bool
            Return a view without the bad channels.

        Returns
        -------
        BaseRecording
            The recording with the edits (channels wired to no contact are left out).
        """
        recording = self._require_recording()
        state = self._state
        if state.probegroup is not None:
            target = recording.set_probegroup(state.probegroup.copy(), in_place=in_place)
        else:
            target = recording if in_place else recording.clone()
        ids = target.channel_ids
        target.set_property("group", state.groups[recording.ids_to_indices(ids)])
        target.set_property("bad_channel", np.isin(ids, list(state.bad)))
        bad_ids = [c for c in ids.tolist() if c in state.bad]
        if remove_bad and bad_ids:
            target = target.remove_channels(bad_ids)
        if in_place:  # the edited recording now has the working copy
            self._baseline = state
            self.changed.emit()
        return target

    def save_probe(self, path: str | Path) -> None:
        """Write the working probe group (``.json``, or ``.prb``) with `write_probe_file`."""
        write_probe_file(path, self._require_probe())

    # ------------------------------------------------------------------ helpers
    def _push(self, description: str, state: _State) -> None:
        self._undo.append((description, self._state))
        self._redo.clear()
        self._state = state
        self.changed.emit()

    def _set_probegroup(self, group: ProbeGroup, description: str) -> None:
        if group.ndim != 2:
            raise ValueError(f"the probe is {group.ndim}D; only planar (2D) probes are supported")
        validate_wiring(probegroup_wiring(group), group.get_contact_count(), self._num_channels())
        groups = _groups_from_shanks(group, self._state.groups)
        self._push(description, _State(group, _frozen(groups), self._state.bad))

    def _wire_in_order(self, group: ProbeGroup, what: str) -> None:
        count, num_channels = group.get_contact_count(), self._num_channels()
        if count > num_channels:
            raise ValueError(
                f"{what} has {count} contacts but the recording has only {num_channels} channels"
            )
        set_wiring(group, np.arange(count))

    def _indices(self, channel_ids: Iterable) -> np.ndarray:
        recording = self._require_recording()
        channel_ids = list(channel_ids)
        if not channel_ids:
            raise ValueError("channel_ids is empty: select channels first")
        return np.asarray(recording.ids_to_indices(channel_ids), dtype="int64")

    def _num_channels(self) -> int:
        return self._require_recording().get_num_channels()

    def _require_recording(self) -> BaseRecording:
        if self._recording is None:
            raise ValueError("there is no recording to edit")
        return self._recording

    def _require_probe(self) -> ProbeGroup:
        if self._state.probegroup is None:
            raise ValueError("there is no probe: load a probe file or generate a layout first")
        return self._state.probegroup


def apply_to_session(
    editor: ProbeEditor, session, in_place: bool = False, remove_bad: bool = False
) -> BaseRecording:
    """Apply the editor's working copy and show the result in ``session``.

    In place, the session's recording keeps its identity and its change is announced; otherwise
    the session shows the new recording and the editor starts over from it.
    """
    recording = editor.apply(in_place, remove_bad)
    if recording is session.recording:
        # modified in place: the field keeps its value, so tell the views it changed
        session.signals.recording.emit(recording, recording)
    else:
        session.replace_recording(recording)
        if editor.recording is not recording:
            editor.reset(recording)
    return recording


def _same_state(first: _State, second: _State | None) -> bool:
    if second is None or first is second:
        return first is second
    if first.bad != second.bad or not np.array_equal(first.groups, second.groups):
        return False
    a, b = first.probegroup, second.probegroup
    if a is None or b is None or a is b:
        return a is b
    return _probe_array(a) == _probe_array(b)


def _probe_array(group: ProbeGroup) -> bytes:
    """The contacts of a probe group (positions, shapes, wiring), comparable."""
    return group.to_numpy(complete=True).tobytes()


def _frozen(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype="int64")
    values.setflags(write=False)
    return values


def _groups_from_shanks(group: ProbeGroup, current: np.ndarray) -> np.ndarray:
    groups = current.copy()
    wiring = probegroup_wiring(group)
    wired = wiring >= 0
    groups[wiring[wired]] = shank_keys(group)[wired]
    return groups
