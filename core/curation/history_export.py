"""A session's history as SpikeInterface curations: one when possible, a sequence otherwise.

One curation applies labels, then removals, then merges, then splits, all to the units it
starts from. A history fits in one curation as long as each action can be written in those
terms:

* merging merged units again grows the first merge (one group of the original units);
* splitting a split unit's part splits the original unit into more parts;
* removing a merged unit removes its units instead;
* labelling a merged unit gives its units that label (they exist only as the merge).

An action that cannot be written so (labelling or removing a part of a split, merging a part,
splitting a merged unit, reusing an id the curation already names) starts the next curation,
whose units are those the previous one gives (SpikeInterface applies a list of curations in
turn; every curation but the last gives its new ids explicitly, as it requires).

The units and spike trains the curations give are the session's; so are the labels. The order of
the units may differ: a session puts each new unit last, one curation puts merges before splits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .actions import Action, LabelAction, MergeAction, RemoveAction, SplitAction
from .labels import LabelState, merged_labels
from .model import Curation, LabelDefinition, ManualLabel, Merge, Split, UnitId
from .unit_ids import unit_ids_after_merges, unit_ids_after_splits


def history_to_curations(
    unit_ids: Sequence[UnitId],
    definitions: Mapping[str, LabelDefinition],
    labels: LabelState,
    actions: Sequence[Action],
) -> list[Curation]:
    """Curations giving the result of ``actions`` applied to units ``unit_ids``.

    Parameters
    ----------
    unit_ids : list
        The units before the actions (in order).
    definitions : dict
        Label categories.
    labels : dict
        Labels before the actions.
    actions : list
        Applied actions, in order (checked by the session: they fit).

    Returns
    -------
    list of Curation
        One curation, or several to apply in turn.
    """
    curations = []
    builder = _CurationBuilder(list(unit_ids), labels, definitions)
    for action in actions:
        if not builder.add(action):
            curation, unit_ids, labels = builder.finish()
            curations.append(curation)
            builder = _CurationBuilder(unit_ids, labels, definitions)
            if not builder.add(action):
                raise RuntimeError(f"action {action.describe()!r} does not fit a fresh curation")
    curations.append(builder.finish()[0])
    return curations


@dataclass
class _MergeEntry:
    unit_ids: list
    new_unit_id: UnitId
    labels: dict


@dataclass
class _SplitEntry:
    unit_id: UnitId
    parts: list = field(default_factory=list)  # [(new id, sorted indices along the unit's train)]


class _CurationBuilder:
    """One curation being built from actions on the units it starts from."""

    def __init__(self, unit_ids: list, labels: LabelState, definitions) -> None:
        self.unit_ids = unit_ids
        self.start = set(unit_ids)
        self.definitions = definitions
        self.labels = {u: dict(labels[u]) for u in unit_ids if labels.get(u)}
        self.used: set = set()  # starting units removed, merged or split
        self.removed: list = []
        self.merges: list[_MergeEntry] = []
        self.splits: list[_SplitEntry] = []

    # ------------------------------------------------------------------ where units are
    def _merge_of(self, unit_id) -> _MergeEntry | None:
        return next((m for m in self.merges if m.new_unit_id == unit_id), None)

    def _part_of(self, unit_id) -> tuple[_SplitEntry, int] | None:
        for entry in self.splits:
            for position, (part_id, _) in enumerate(entry.parts):
                if part_id == unit_id:
                    return entry, position
        return None

    def _is_start_unit(self, unit_id) -> bool:
        return unit_id in self.start and unit_id not in self.used

    def _labels_of(self, unit_id) -> dict:
        merge = self._merge_of(unit_id)
        if merge is not None:
            return merge.labels
        return self.labels.get(unit_id, {})

    def _new_ids(self) -> set:
        ids = {m.new_unit_id for m in self.merges}
        for entry in self.splits:
            ids.update(part_id for part_id, _ in entry.parts)
        return ids

    def _free(self, new_id, allowed_start: set, leaving: set) -> bool:
        """Whether ``new_id`` may name a new unit of this curation."""
        if new_id in self.start and new_id not in allowed_start:
            return False
        return new_id not in self._new_ids() - leaving

    # ------------------------------------------------------------------ actions
    def add(self, action: Action) -> bool:
        """Write ``action`` into this curation; False if it cannot be."""
        if isinstance(action, LabelAction):
            return self._label(action)
        if isinstance(action, RemoveAction):
            return self._remove(action)
        if isinstance(action, MergeAction):
            return self._merge(action)
        return self._split(action)

    def _label(self, action: LabelAction) -> bool:
        if not all(self._is_start_unit(u) or self._merge_of(u) for u in action.unit_ids):
            return False
        for unit_id in action.unit_ids:
            merge = self._merge_of(unit_id)
            target = merge.labels if merge is not None else self.labels.setdefault(unit_id, {})
            if action.values:
                target[action.key] = tuple(action.values)
            else:
                target.pop(action.key, None)
        return True

    def _remove(self, action: RemoveAction) -> bool:
        if not all(self._is_start_unit(u) or self._merge_of(u) for u in action.unit_ids):
            return False
        for unit_id in action.unit_ids:
            merge = self._merge_of(unit_id)
            if merge is not None:
                self.merges.remove(merge)
                self.removed.extend(merge.unit_ids)
            else:
                self.removed.append(unit_id)
                self.used.add(unit_id)
        return True

    def _merge(self, action: MergeAction) -> bool:
        merges = [self._merge_of(u) for u in action.unit_ids]
        if not all(self._is_start_unit(u) or m for u, m in zip(action.unit_ids, merges)):
            return False
        members = []
        for unit_id, merge in zip(action.unit_ids, merges):
            members.extend(merge.unit_ids if merge is not None else [unit_id])
        absorbed = {m.new_unit_id for m in merges if m is not None}
        if not self._free(action.new_unit_id, set(members), absorbed):
            return False
        labels = merged_labels(self.definitions, [self._labels_of(u) for u in action.unit_ids])
        for merge in merges:
            if merge is not None:
                self.merges.remove(merge)
        self.used.update(members)
        self.merges.append(_MergeEntry(members, action.new_unit_id, labels))
        return True

    def _split(self, action: SplitAction) -> bool:
        part = self._part_of(action.unit_id)
        if not (self._is_start_unit(action.unit_id) or part):
            return False
        leaving = {action.unit_id} if part else set()
        if not all(self._free(n, set(), leaving) for n in action.new_unit_ids):
            return False
        if part is None:
            entry = _SplitEntry(action.unit_id)
            entry.parts = list(zip(action.new_unit_ids, action.parts))
            self.splits.append(entry)
            self.used.add(action.unit_id)
            return True
        entry, position = part
        _, indices = entry.parts.pop(position)
        entry.parts.extend((n, indices[p]) for n, p in zip(action.new_unit_ids, action.parts))
        return True

    # ------------------------------------------------------------------ result
    def finish(self) -> tuple[Curation, list, LabelState]:
        """The curation, the units it gives (in order) and their labels."""
        member_labels = {u: m.labels for m in self.merges for u in m.unit_ids}
        state = {**self.labels, **member_labels}
        manual = [ManualLabel(u, dict(state[u])) for u in self.unit_ids if state.get(u)]
        removed = set(self.removed)
        curation = Curation(
            unit_ids=tuple(self.unit_ids),
            label_definitions=dict(self.definitions),
            manual_labels=tuple(manual),
            removed=tuple(u for u in self.unit_ids if u in removed),
            merges=tuple(Merge(tuple(m.unit_ids), m.new_unit_id) for m in self.merges),
            splits=tuple(
                Split(
                    s.unit_id,
                    "indices",
                    tuple(_read_only(indices) for _, indices in s.parts),
                    None,
                    tuple(part_id for part_id, _ in s.parts),
                )
                for s in self.splits
            ),
        )
        ids = [u for u in self.unit_ids if u not in removed]
        ids = unit_ids_after_merges(
            ids, [m.unit_ids for m in self.merges], [m.new_unit_id for m in self.merges]
        )
        ids = unit_ids_after_splits(
            ids, [s.unit_id for s in self.splits], [[p for p, _ in s.parts] for s in self.splits]
        )
        labels: LabelState = {}
        parent = {p: s.unit_id for s in self.splits for p, _ in s.parts}
        for unit_id in ids:
            merge = self._merge_of(unit_id)
            value = (
                merge.labels
                if merge is not None
                else self.labels.get(parent.get(unit_id, unit_id), {})
            )
            if value:
                labels[unit_id] = dict(value)
        return curation, ids, labels


def _read_only(indices: np.ndarray) -> np.ndarray:
    indices = np.sort(indices)
    indices.flags.writeable = False
    return indices
