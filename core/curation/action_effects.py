"""What an action does to a curated sorting and to the labels: checked, then applied lazily."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .actions import Action, LabelAction, MergeAction, RemoveAction, SplitAction
from .curated_sorting import CuratedSorting
from .labels import LabelState, merged_labels
from .model import LabelDefinition, UnitId
from .steps import MergeStep, RemoveStep, SplitStep, check_partition


def state_after(
    action: Action,
    sorting: CuratedSorting,
    labels: LabelState,
    definitions: Mapping[str, LabelDefinition],
) -> tuple[CuratedSorting, LabelState]:
    """The curated sorting and labels after ``action``.

    Parameters
    ----------
    action : Action
    sorting : CuratedSorting
        The sorting before.
    labels : dict
        The labels before.
    definitions : dict
        Label categories.

    Raises
    ------
    ValueError
        If the action does not fit the units of ``sorting`` (nothing is changed).
    """
    state = sorting.unit_state
    present = set(state.unit_ids)
    if isinstance(action, LabelAction):
        _require(action.unit_ids, present, "label")
        definition = definitions.get(action.key)
        if definition is None or not set(action.values) <= set(definition.label_options):
            raise ValueError(f"label action: {action.key!r} / {list(action.values)} unknown")
        labels = dict(labels)
        for unit_id in action.unit_ids:
            unit_labels = {k: v for k, v in labels.get(unit_id, {}).items() if k != action.key}
            if action.values:
                unit_labels[action.key] = action.values
            labels[unit_id] = unit_labels
        step = labels_step_json(
            {action.key: definition},
            labels,
            list(action.unit_ids),
            replace=False,
            clear_missing=True,
        )
        return sorting.with_steps([step]), labels
    if isinstance(action, RemoveAction):
        _require(action.unit_ids, present, "remove")
        labels = {u: v for u, v in labels.items() if u not in set(action.unit_ids)}
        step = RemoveStep(tuple(action.unit_ids))
        return (
            sorting.with_parsed_step(step, {"op": "remove", "unit_ids": list(action.unit_ids)}),
            labels,
        )
    if isinstance(action, MergeAction):
        return _after_merge(action, sorting, labels, present, definitions)
    if isinstance(action, SplitAction):
        return _after_split(action, sorting, labels, present)
    raise TypeError(f"not a curation action: {type(action).__name__}")


def _after_merge(action: MergeAction, sorting, labels, present, definitions):
    _require(action.unit_ids, present, "merge")
    if len(set(action.unit_ids)) != len(action.unit_ids) or len(action.unit_ids) < 2:
        raise ValueError("merge action: two distinct units at least")
    if action.new_unit_id in present and action.new_unit_id not in action.unit_ids:
        raise ValueError(f"merge action: {action.new_unit_id!r} is the id of another unit")
    check_id_kind(action.new_unit_id, sorting)
    merged = merged_labels(definitions, [labels.get(u, {}) for u in action.unit_ids])
    steps = []
    if any(labels.get(u, {}) != merged for u in action.unit_ids):
        # give the units the merged unit's labels first, so that the merge carries them
        relabelled = dict(labels)
        relabelled.update({u: merged for u in action.unit_ids})
        steps.append(
            labels_step_json(
                definitions,
                relabelled,
                list(action.unit_ids),
                replace=False,
                clear_missing=True,
            )
        )
        sorting = sorting.with_steps(steps)
    step = MergeStep((tuple(action.unit_ids),), (action.new_unit_id,), None)
    curated = sorting.with_parsed_step(
        step,
        {
            "op": "merge",
            "unit_groups": [list(action.unit_ids)],
            "new_unit_ids": [action.new_unit_id],
            "censor_ms": None,
        },
    )
    labels = {u: v for u, v in labels.items() if u not in set(action.unit_ids)}
    if merged:
        labels[action.new_unit_id] = merged
    return curated, labels


def _after_split(action: SplitAction, sorting, labels, present):
    _require([action.unit_id], present, "split")
    num_spikes = int(sorting.unit_spike_rows(action.unit_id).size)
    check_partition(action.parts, num_spikes, f"split action of unit {action.unit_id!r}")
    for new_id in action.new_unit_ids:
        if new_id in present:
            raise ValueError(f"split action: {new_id!r} is the id of another unit")
        check_id_kind(new_id, sorting)
    if len(action.new_unit_ids) != len(action.parts) or len(set(action.new_unit_ids)) != len(
        action.new_unit_ids
    ):
        raise ValueError("split action: one distinct new id per part is needed")
    step = SplitStep((action.unit_id,), (tuple(action.parts),), (tuple(action.new_unit_ids),))
    curated = sorting.with_parsed_step(
        step,
        {
            "op": "split",
            "splits": [
                {
                    "unit_id": action.unit_id,
                    "indices": list(action.parts),
                    "new_unit_ids": list(action.new_unit_ids),
                }
            ],
        },
    )
    labels = dict(labels)
    parent = labels.pop(action.unit_id, None)
    if parent:
        labels.update({u: dict(parent) for u in action.new_unit_ids})
    return curated, labels


def _require(unit_ids, present: set, what: str) -> None:
    for unit_id in unit_ids:
        if unit_id not in present:
            raise ValueError(
                f"{what} action: unit {unit_id!r} is not a unit of the curated sorting"
            )


def check_id_kind(unit_id, sorting) -> None:
    strings = sorting.base_sorting.unit_ids.dtype.kind in "US"
    if strings != isinstance(unit_id, str):
        raise TypeError(
            f"unit id {unit_id!r} is {'an integer' if not strings else 'not a string'} but the "
            f"sorting's unit ids are {'strings' if strings else 'integers'}"
        )


def labels_step_json(
    definitions: Mapping[str, LabelDefinition],
    labels: LabelState,
    unit_ids: Sequence[UnitId],
    replace: bool,
    clear_missing: bool = False,
) -> dict:
    """A labels step setting ``labels`` of ``unit_ids`` for the categories of ``definitions``.

    With ``clear_missing``, a unit without a label in a category is written with an empty list
    (so that the step clears it) instead of being left out.
    """
    manual = []
    for unit_id in unit_ids:
        unit_labels = labels.get(unit_id, {})
        entry = {
            k: list(unit_labels.get(k, ()))
            for k in definitions
            if k in unit_labels or clear_missing
        }
        if entry:
            manual.append({"unit_id": unit_id, "labels": entry})
    return {
        "op": "labels",
        "label_definitions": {k: d.to_dict() for k, d in definitions.items()},
        "manual_labels": manual,
        "replace": replace,
    }


def split_parts(indices, labels, num_spikes: int) -> list[np.ndarray]:
    if (indices is None) == (labels is None):
        raise ValueError("split(): give indices or labels (one of them)")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size != num_spikes:
            raise ValueError(
                f"split(): labels must give one label per spike ({num_spikes}), got {labels.size}"
            )
        distinct, inverse = np.unique(labels, return_inverse=True)
        return [np.flatnonzero(inverse == i) for i in range(distinct.size)]
    if (
        isinstance(indices, np.ndarray)
        and indices.ndim == 1
        or (isinstance(indices, Sequence) and indices and np.isscalar(indices[0]))
    ):
        indices = [indices]
    parts = []
    for i, part in enumerate(indices):
        array = np.asarray(part)
        if array.size == 0:
            array = np.zeros(0, dtype="int64")
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise ValueError(f"split(): indices[{i}] must be integer spike indices")
        parts.append(np.sort(array.astype("int64")))
    listed = np.concatenate(parts) if parts else np.zeros(0, dtype="int64")
    if listed.size and (listed.min() < 0 or listed.max() >= num_spikes):
        raise ValueError(
            f"split(): spike index {int(listed.max() if listed.max() >= num_spikes else listed.min())}"
            f" is out of range (the unit has {num_spikes} spikes)"
        )
    # a mask, not np.unique: linear in the unit's spikes (a lasso picks 100 000s)
    listed_mask = np.zeros(num_spikes, dtype=bool)
    listed_mask[listed] = True
    if np.count_nonzero(listed_mask) != listed.size:
        raise ValueError("split(): a spike is in two parts (the parts must not overlap)")
    if listed.size < num_spikes:
        parts.append(np.flatnonzero(~listed_mask))
    for part in parts:
        part.flags.writeable = False
    return parts
