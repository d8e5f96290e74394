"""CurationSession: label, merge, split and remove units of a sorting, with undo, redo and a journal.

Every action is a small value (`core.curation.actions`) applied lazily on top of the sorting
(each gives a new `CuratedSorting` sharing everything it does not change, so an action costs
what the units it touches cost). Undo and redo walk the list of actions without limit. With a
journal folder, each action, undo and redo is appended to a journal file and flushed to disk
before the call returns: a crash loses at most the action in progress, and
`CurationSession.restore` rebuilds the session from the journal.

A session is not thread-safe: call it from one thread at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..sorting.base import BaseSorting
from .action_effects import check_id_kind, labels_step_json, split_parts, state_after
from .actions import (
    Action,
    LabelAction,
    MergeAction,
    RemoveAction,
    SplitAction,
    action_from_json,
)
from .apply import save_curation
from .curated_sorting import CuratedSorting
from .history_export import history_to_curations
from .journal import CurationJournal, read_journal, sorting_fingerprint
from .labels import LabelState, as_label_definitions, labels_from_properties
from .model import Curation, LabelDefinition, UnitId
from .steps import check_partition
from .unit_ids import MERGE_ID_STRATEGIES, as_python_ids


@dataclass(frozen=True)
class _Entry:
    """The state after an action: the action, the curated sorting and the labels."""

    action: Action | None
    sorting: CuratedSorting
    labels: LabelState


class CurationSession:
    """An undoable, journalled curation of one sorting.

    Parameters
    ----------
    sorting : BaseSorting
        The sorting to curate (never modified).
    label_definitions : dict | None
        Label categories, in the curation format's form (``{name: {"label_options": [...],
        "exclusive": bool}}``) or as `LabelDefinition` values. Default: ``quality`` with
        good / mua / noise, exclusive. Labels the sorting already has as properties (e.g. phy's
        groups in ``quality``) are the starting labels.
    journal_folder : str | Path | None
        Folder for the journal (created if needed): next to the data, or a user data folder for
        read-only data. None: no journal.
    new_id_strategy : {"append", "take_first", "join"}
        How merges name the merged unit when no id is given ("append": above every id used so
        far; "take_first": the first unit's id; "join": string ids joined with "-"). Splits
        always append.

    Raises
    ------
    TypeError
        If ``sorting`` is not a sorting.
    ValueError
        For bad label definitions or strategy.
    """

    def __init__(
        self,
        sorting: BaseSorting,
        label_definitions=None,
        journal_folder: str | Path | None = None,
        new_id_strategy: str = "append",
    ) -> None:
        self._setup(sorting, label_definitions, new_id_strategy)
        self._journal = None
        self._journal_path = None
        if journal_folder is not None:
            self._journal = CurationJournal.create(journal_folder, self._journal_header())
            self._journal_path = self._journal.path

    def _setup(self, sorting, label_definitions, new_id_strategy: str) -> None:
        if not isinstance(sorting, BaseSorting):
            raise TypeError(f"sorting must be a sorting, got {type(sorting).__name__}")
        if new_id_strategy not in MERGE_ID_STRATEGIES:
            raise ValueError(
                f"new_id_strategy must be one of {MERGE_ID_STRATEGIES}, got {new_id_strategy!r}"
            )
        self._base = sorting
        self._definitions = as_label_definitions(label_definitions)
        self._new_id_strategy = new_id_strategy
        unit_ids = as_python_ids(sorting.unit_ids)
        labels = labels_from_properties(sorting._properties, unit_ids, self._definitions)
        steps = []
        if self._definitions:
            steps.append(labels_step_json(self._definitions, labels, unit_ids, replace=True))
        self._history = [_Entry(None, CuratedSorting(sorting, steps), labels)]
        self._position = 0
        # ids every merge and split of the session made, undone ones too: a new unit never
        # takes the id of another unit the session showed (views cache per id)
        self._issued_ids: set = set()
        self._definitions_added = False
        self._fingerprint: dict | None = None

    def prepare_journal(self) -> None:
        """Compute what a journal's header needs (the sorting's fingerprint: seconds on a
        sorting of millions of spikes), so that `start_journal` is quick; call it from a
        background thread."""
        if self._fingerprint is None:
            self._fingerprint = sorting_fingerprint(self._base)

    def start_journal(self, journal_folder: str | Path) -> Path:
        """Start journalling a session made without a journal, before its first action.

        Returns
        -------
        Path
            The journal file.

        Raises
        ------
        ValueError
            If the session has a journal already, or has recorded something already (a
            journal must hold the whole history).
        """
        if self._journal is not None or self._journal_path is not None:
            raise ValueError("start_journal(): the session has a journal already")
        if len(self._history) > 1 or self._definitions_added:
            raise ValueError("start_journal(): call it before the first action")
        self._journal = CurationJournal.create(journal_folder, self._journal_header())
        self._journal_path = self._journal.path
        return self._journal_path

    def _journal_header(self) -> dict:
        self.prepare_journal()
        return {
            "sorting": self._fingerprint,
            "label_definitions": {k: d.to_dict() for k, d in self._definitions.items()},
            "new_id_strategy": self._new_id_strategy,
        }

    # ------------------------------------------------------------------ state
    @property
    def sorting(self) -> CuratedSorting:
        """The curated sorting now (lazy; labels as properties)."""
        return self._history[self._position].sorting

    @property
    def base_sorting(self) -> BaseSorting:
        """The sorting being curated."""
        return self._base

    @property
    def unit_ids(self) -> np.ndarray:
        """Unit ids now."""
        return self.sorting.unit_ids

    @property
    def label_definitions(self) -> dict[str, LabelDefinition]:
        """Label categories."""
        return dict(self._definitions)

    @property
    def new_id_strategy(self) -> str:
        """How merged units are named when no id is given."""
        return self._new_id_strategy

    def get_labels(self, unit_id) -> dict[str, tuple[str, ...]]:
        """Labels of one unit now: ``{category: (options...)}``."""
        self.sorting.id_to_index(unit_id)
        return dict(self._labels.get(_py(unit_id), {}))

    @property
    def unit_labels(self) -> LabelState:
        """Labels of every labelled unit now (a copy)."""
        return {u: dict(v) for u, v in self._labels.items()}

    @property
    def _labels(self) -> LabelState:
        return self._history[self._position].labels

    @property
    def actions(self) -> list[Action]:
        """The actions in effect, in order."""
        return [entry.action for entry in self._history[1 : self._position + 1]]

    @property
    def undone_actions(self) -> list[Action]:
        """The actions `redo` would apply again, next first."""
        return [entry.action for entry in self._history[self._position + 1 :]]

    @property
    def can_undo(self) -> bool:
        """Whether there is an action to undo."""
        return self._position > 0

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone action to redo."""
        return self._position + 1 < len(self._history)

    @property
    def journal_path(self) -> Path | None:
        """The journal file, if the session has one."""
        return self._journal_path

    # ------------------------------------------------------------------ categories
    def add_label_definition(
        self, name: str, label_options, exclusive: bool = True
    ) -> LabelDefinition:
        """Add a label category (kept in the journal and in every exported curation).

        A category is configuration, not an action: undo does not remove it.

        Parameters
        ----------
        name : str
            The category, a new one.
        label_options : list of str
            Two distinct options at least.
        exclusive : bool
            At most one option per unit (one string property named ``name``); otherwise a
            boolean property per option.

        Returns
        -------
        LabelDefinition

        Raises
        ------
        ValueError
            If the category exists, breaks the format's rules, or its properties would
            overwrite a property the sorting already has.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError("add_label_definition(): name must be a non-empty string")
        name = name.strip()
        if name in self._definitions:
            raise ValueError(f"add_label_definition(): the category {name!r} exists already")
        if isinstance(label_options, str):
            label_options = [label_options]
        entry = {"label_options": list(label_options), "exclusive": exclusive}
        both = {k: d.to_dict() for k, d in self._definitions.items()} | {name: entry}
        definition = as_label_definitions(both)[name]
        taken = set(self._base.get_property_keys())
        clashes = sorted(taken & set([name] if definition.exclusive else definition.label_options))
        if clashes:
            raise ValueError(
                f"add_label_definition(): the sorting already has the property {clashes[0]!r}; "
                "choose another name"
            )
        self._record({"type": "label_definition", "name": name, "definition": definition.to_dict()})
        self._definitions[name] = definition
        self._definitions_added = True
        return definition

    # ------------------------------------------------------------------ actions
    def label(self, unit_ids, values, key: str | None = None) -> LabelAction | None:
        """Set one category's labels of units (``None`` or ``[]`` clears them).

        Parameters
        ----------
        unit_ids : id or list of ids
        values : str | list of str | None
            Option(s) of the category (one at most for an exclusive category).
        key : str | None
            The category; by default the one whose options include ``values`` (or the only
            category, to clear).

        Returns
        -------
        LabelAction | None
            The action, or None when every unit already had those labels (nothing recorded).

        Raises
        ------
        ValueError
            For unknown units, categories or options.
        """
        unit_ids = self._existing_units(unit_ids, "label()")
        values = () if values is None else (values,) if isinstance(values, str) else tuple(values)
        key = self._label_key(key, values)
        definition = self._definitions[key]
        for value in values:
            if value not in definition.label_options:
                raise ValueError(
                    f"label(): {value!r} is not an option of {key!r} "
                    f"({list(definition.label_options)})"
                )
        if len(set(values)) != len(values):
            raise ValueError(f"label(): a label is given twice in {list(values)}")
        if definition.exclusive and len(values) > 1:
            raise ValueError(f"label(): {key!r} is exclusive: give one label at most")
        values = tuple(o for o in definition.label_options if o in values)
        if all(self._labels.get(u, {}).get(key, ()) == values for u in unit_ids):
            return None
        action = LabelAction(tuple(unit_ids), key, values)
        self._do(action)
        return action

    def merge(self, unit_ids, new_unit_id=None) -> UnitId:
        """Merge units into one; returns its id.

        Parameters
        ----------
        unit_ids : list of ids
            Two units at least.
        new_unit_id : int | str | None
            The merged unit's id (a new id, or one of the merged units'); None: chosen by
            the session's ``new_id_strategy``.
        """
        unit_ids = self._existing_units(unit_ids, "merge()")
        if len(unit_ids) < 2:
            raise ValueError("merge(): give at least two units")
        if new_unit_id is None:
            new_unit_id = self._merge_id(unit_ids)
        else:
            new_unit_id = self._checked_new_id(new_unit_id, "merge()", allowed=set(unit_ids))
        self._do(MergeAction(tuple(unit_ids), new_unit_id))
        return new_unit_id

    def split(self, unit_id, indices=None, labels=None, new_unit_ids=None) -> list[UnitId]:
        """Split a unit; returns the new units' ids.

        Spikes are numbered along the unit's spike train, segment after segment.

        Parameters
        ----------
        unit_id : int | str
        indices : list of array-like | array-like | None
            Spike indices of each new unit; the spikes none lists form one more unit. A single
            array means one list.
        labels : array-like | None
            Instead of ``indices``: a label per spike; each distinct label (in increasing order)
            is a new unit.
        new_unit_ids : list | None
            One id per new unit; None: new ids above every id used so far.
        """
        (unit_id,) = self._existing_units([unit_id], "split()")
        num_spikes = int(self.sorting.unit_spike_rows(unit_id).size)
        parts = split_parts(indices, labels, num_spikes)
        check_partition(parts, num_spikes, f"split() of unit {unit_id!r}")
        if new_unit_ids is None:
            new_unit_ids = self._appended_ids(len(parts), f"{unit_id}-split")
        else:
            new_unit_ids = [self._checked_new_id(u, "split()") for u in new_unit_ids]
            if len(new_unit_ids) != len(parts) or len(set(new_unit_ids)) != len(new_unit_ids):
                raise ValueError(
                    f"split(): {len(parts)} distinct new_unit_ids are needed, got {new_unit_ids}"
                )
        self._do(SplitAction(unit_id, tuple(parts), tuple(new_unit_ids)))
        return list(new_unit_ids)

    def remove(self, unit_ids) -> RemoveAction:
        """Remove units."""
        unit_ids = self._existing_units(unit_ids, "remove()")
        if not unit_ids:
            raise ValueError("remove(): give at least one unit")
        action = RemoveAction(tuple(unit_ids))
        self._do(action)
        return action

    def apply(self, action: Action) -> None:
        """Apply an action value (as recorded by another session or a journal).

        Raises
        ------
        ValueError
            If the action does not fit the units now.
        """
        self._do(action)

    def undo(self) -> Action:
        """Undo the last action in effect and return it.

        Raises
        ------
        ValueError
            If there is nothing to undo.
        """
        if not self.can_undo:
            raise ValueError("undo(): there is nothing to undo")
        action = self._history[self._position].action
        self._record({"type": "undo"})
        self._position -= 1
        return action

    def redo(self) -> Action:
        """Apply the last undone action again and return it.

        Raises
        ------
        ValueError
            If there is nothing to redo.
        """
        if not self.can_redo:
            raise ValueError("redo(): there is nothing to redo")
        self._record({"type": "redo"})
        self._position += 1
        return self._history[self._position].action

    # ------------------------------------------------------------------ export
    def curations(self) -> list[Curation]:
        """The curation(s) giving the session's result from the base sorting.

        One `Curation` when the history fits in one (the usual case), else a sequence to apply
        in turn (see `core.curation.history_export`).
        """
        first = self._history[0]
        return history_to_curations(
            as_python_ids(self._base.unit_ids), self._definitions, first.labels, self.actions
        )

    def curation_dict(self) -> dict | list[dict]:
        """The session as SpikeInterface's curation format (version 2).

        Returns
        -------
        dict | list of dict
            One curation dictionary, or a list of them when the history needs several (which
            SpikeInterface's ``apply_curation`` accepts too).
        """
        curations = [c.to_dict() for c in self.curations()]
        return curations[0] if len(curations) == 1 else curations

    def save_curation(self, path: str | Path, overwrite: bool = False) -> Path | None:
        """Write `curation_dict` as JSON, atomically (an existing file is backed up first).

        Returns
        -------
        Path | None
            The backup of a replaced file.
        """
        curations = self.curations()
        content = curations if len(curations) > 1 else curations[0]
        return save_curation(content, path, overwrite=overwrite)

    def close(self) -> None:
        """Close the journal file (the session stays usable, without journalling)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def __enter__(self) -> CurationSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ restore
    @classmethod
    def restore(cls, journal_path: str | Path, sorting: BaseSorting) -> CurationSession:
        """Rebuild a session from its journal and keep journalling to it.

        Parameters
        ----------
        journal_path : str | Path
            A journal (see `find_journal`).
        sorting : BaseSorting
            The sorting it was written for.

        Raises
        ------
        FileNotFoundError
            If the journal does not exist.
        ValueError
            If the journal is damaged or was written for another sorting.
        """
        header, records, valid_size = read_journal(journal_path)
        fingerprint = sorting_fingerprint(sorting)
        if header["sorting"]["identity"] != fingerprint["identity"]:
            raise ValueError(
                f"{journal_path}: this journal was written for another sorting "
                f"({header['sorting'].get('source') or 'a sorting held in memory'})"
            )
        session = cls.__new__(cls)
        session._journal = None
        session._journal_path = Path(journal_path)
        session._setup(sorting, header["label_definitions"], header["new_id_strategy"])
        for number, record in records:
            try:
                if record["type"] == "action":
                    session._do(action_from_json(record["action"]))
                elif record["type"] == "undo":
                    session.undo()
                elif record["type"] == "redo":
                    session.redo()
                elif record["type"] == "label_definition":
                    definition = record["definition"]
                    session._definitions[record["name"]] = as_label_definitions(
                        {record["name"]: definition}
                    )[record["name"]]
                else:
                    raise ValueError(f"unknown record type {record['type']!r}")
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{journal_path}: line {number}: {error}") from None
        session._journal = CurationJournal.reopen(journal_path, valid_size)
        return session

    # ------------------------------------------------------------------ internals
    def _do(self, action: Action) -> None:
        sorting, labels = state_after(action, self.sorting, self._labels, self._definitions)
        entry = _Entry(action, sorting, labels)
        self._record({"type": "action", "action": action.to_json()})
        if isinstance(action, MergeAction):
            self._issued_ids.add(action.new_unit_id)
        elif isinstance(action, SplitAction):
            self._issued_ids.update(action.new_unit_ids)
        del self._history[self._position + 1 :]
        self._history.append(entry)
        self._position += 1

    def _record(self, record: dict) -> None:
        if self._journal is not None:
            self._journal.append(record)

    def _existing_units(self, unit_ids, what: str) -> list[UnitId]:
        if isinstance(unit_ids, str | int | np.integer | np.str_):
            unit_ids = [unit_ids]
        unit_ids = [_py(u) for u in unit_ids]
        present = set(self.sorting.unit_state.unit_ids)
        for unit_id in unit_ids:
            if unit_id not in present:
                raise ValueError(f"{what}: unit {unit_id!r} is not a unit of the curated sorting")
        if len(set(unit_ids)) != len(unit_ids):
            raise ValueError(f"{what}: a unit is given twice")
        return unit_ids

    def _label_key(self, key: str | None, values: tuple) -> str:
        if key is not None:
            if key not in self._definitions:
                raise ValueError(
                    f"label(): unknown category {key!r} (categories: {list(self._definitions)})"
                )
            return key
        if values:
            keys = [k for k, d in self._definitions.items() if set(values) <= set(d.label_options)]
        else:
            keys = list(self._definitions)
        if len(keys) != 1:
            raise ValueError(
                f"label(): give key= (the category of {list(values)} is "
                f"{'ambiguous' if keys else 'unknown'}; categories: {list(self._definitions)})"
            )
        return keys[0]

    def _used_ids(self) -> set:
        used = set(as_python_ids(self._base.unit_ids)) | self._issued_ids
        for action in self.actions:
            if isinstance(action, MergeAction):
                used.add(action.new_unit_id)
            elif isinstance(action, SplitAction):
                used.update(action.new_unit_ids)
        return used

    def _appended_ids(self, count: int, name: str) -> list[UnitId]:
        used = self._used_ids()
        if self._base.unit_ids.dtype.kind not in "US":
            start = max((u for u in used if isinstance(u, int)), default=-1) + 1
            return [start + i for i in range(count)]
        if all(u.isdigit() for u in used):
            start = max(int(u) for u in used) + 1
            return [str(start + i) for i in range(count)]
        ids, i = [], 0
        while len(ids) < count:
            if f"{name}{i}" not in used:
                ids.append(f"{name}{i}")
            i += 1
        return ids

    def _merge_id(self, unit_ids: list) -> UnitId:
        if self._new_id_strategy == "take_first":
            return unit_ids[0]
        if self._new_id_strategy == "join" and self._base.unit_ids.dtype.kind in "US":
            joined = "-".join(unit_ids)
            if joined in set(self.sorting.unit_state.unit_ids):
                raise ValueError(f"merge(): the joined id {joined!r} is already a unit's id")
            return joined
        return self._appended_ids(1, "merge")[0]

    def _checked_new_id(self, new_id, what: str, allowed: set = frozenset()) -> UnitId:
        new_id = _py(new_id)
        if isinstance(new_id, bool) or not isinstance(new_id, int | str):
            raise TypeError(f"{what}: a unit id is an integer or a string, got {new_id!r}")
        check_id_kind(new_id, self.sorting)
        if new_id in set(self.sorting.unit_state.unit_ids) and new_id not in allowed:
            raise ValueError(f"{what}: {new_id!r} is already the id of a unit")
        return new_id


def _py(unit_id):
    return unit_id.item() if isinstance(unit_id, np.generic) else unit_id
