"""Which unit holds each spike of the base sorting, patched from one curation to the next.

Views that index the base sorting's spikes (rasters, trace spike marks) need, after each curation
action, the unit of every base spike. Relabelling 10 M spikes through a table costs a full
gather per action (hundreds of milliseconds on a busy machine). Here each distinct unit (each
spike-rows array of a `UnitState`: a unit an action left keeps the same array) gets a *slot*
number that never changes over the curations of one base, and a version's labels are its slots
per base spike plus a small ``slot -> unit index`` table. The slots of a curation are those of a
recently computed one (or of the base sorting) copied, with only the rows of the units that
differ written: a merge writes the merged spikes, a removal or a label writes nothing. A unit the
version does not hold maps to -1 through its table, so spikes of removed units need no write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

#: Versions whose slots are kept per base (each is one small integer per base spike).
KEPT_VERSIONS = 3


@dataclass(frozen=True, eq=False)
class SpikeSlots:
    """Units of the base sorting's spikes in one curated sorting.

    Attributes
    ----------
    slots : np.ndarray
        Slot of each spike of the base spike vector (read-only, shared between versions).
    unit_index_of_slot : np.ndarray
        int64 unit index (in the curated sorting) of each slot; -1 for slots it holds no unit
        of (removed, merged or split away).
    """

    slots: np.ndarray
    unit_index_of_slot: np.ndarray

    def unit_indices(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """Unit index of the base spikes ``[first, last)`` (-1: no unit holds the spike)."""
        return self.unit_index_of_slot[self.slots[first:last]]


class SpikeSlotRegistry:
    """Slots of the units of every curation of one base spike index (thread-safe).

    Parameters
    ----------
    unit_ids : tuple
        The base units, in order.
    base_rows : dict
        ``unit_id -> rows`` of each base unit (the arrays the unit states share).
    base_unit_index : np.ndarray
        Unit index of each base spike: the base units' slots are their indices.
    """

    def __init__(self, unit_ids: tuple, base_rows: dict, base_unit_index: np.ndarray) -> None:
        self._lock = threading.Lock()
        self._slot_of: dict[int, int] = {}  # id(rows) -> slot
        self._held: list[np.ndarray] = []  # the rows given slots (keeps their ids unique)
        for unit_id in unit_ids:
            self._slot_for(base_rows[unit_id])
        base_slots = base_unit_index.view()  # shared as it is: read-only
        base_slots.flags.writeable = False
        self._base = (base_slots, frozenset(range(len(unit_ids))))
        self._versions: OrderedDict[int, tuple] = OrderedDict()  # id(state) -> entry

    def _slot_for(self, rows: np.ndarray) -> int:
        slot = self._slot_of.get(id(rows))
        if slot is None:
            slot = len(self._held)
            self._slot_of[id(rows)] = slot
            self._held.append(rows)
        return slot

    def spike_slots(self, state) -> SpikeSlots:
        """The slots of ``state`` (a `UnitState`), patched from the closest known version."""
        with self._lock:
            unit_slots = [self._slot_for(state.rows[u]) for u in state.unit_ids]
            table = np.full(len(self._held), -1, dtype=np.int64)
            table[unit_slots] = np.arange(len(unit_slots))
            entry = self._versions.get(id(state))
            if entry is not None and entry[0] is state:
                self._versions.move_to_end(id(state))
                return SpikeSlots(entry[1], table)
            wanted = dict(zip(unit_slots, state.unit_ids, strict=True))
            source, have = min(
                (self._base, *((e[1], e[2]) for e in self._versions.values())),
                key=lambda candidate: _rows_to_write(state, wanted, candidate[1]),
            )
            slots = self._patched(source, have, state, wanted)
            self._versions[id(state)] = (state, slots, frozenset(unit_slots))
            while len(self._versions) > KEPT_VERSIONS:
                self._versions.popitem(last=False)
            return SpikeSlots(slots, table)

    def _patched(self, source: np.ndarray, have: frozenset, state, wanted: dict) -> np.ndarray:
        missing = [slot for slot in wanted if slot not in have]
        dtype = source.dtype
        if len(self._held) > np.iinfo(dtype).max:
            dtype = np.dtype("int32") if len(self._held) < 2**31 else np.dtype("int64")
        elif not missing:  # the same units (a label, a removal): the same slots
            return source
        slots = source.astype(dtype, copy=True)
        for slot in missing:
            slots[state.rows[wanted[slot]]] = slot
        slots.flags.writeable = False
        return slots


def _rows_to_write(state, wanted: dict, have: frozenset) -> int:
    return sum(state.rows[unit_id].size for slot, unit_id in wanted.items() if slot not in have)
