"""Unit properties through curation: labels set as properties, values carried by merges and splits.

The rules are SpikeInterface 0.105's (``apply_curation_labels``, ``set_properties_after_merging``,
``set_properties_after_splits``):

* a merged unit gets a property's value when all its units share it; otherwise the type's missing
  value (NaN, ``""``, None), and a property without one (integers, booleans) is dropped from the
  sorting; ``main_channel_id`` is the exception: the value of the unit with the most spikes;
* a split unit's value goes to each of its new units.

``is_merged`` and ``is_split`` say whether a unit was made by a merge or a split of the
curation. SpikeInterface resets them at each call; here they accumulate over the steps of one
curated sorting (identical for one ``apply_curation``).

Arrays are never modified in place: every step returns new arrays, so earlier steps (kept for
undo) keep theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .model import LabelDefinition, ManualLabel, UnitId

MISSING_VALUES = {"f": np.nan, "O": None, "S": "", "U": ""}
ORIGIN_PROPERTIES = ("is_merged", "is_split")


def properties_after_removal(properties: Mapping[str, np.ndarray], keep: np.ndarray) -> dict:
    """Values of the units kept (``keep``: their indices)."""
    return {key: values[keep] for key, values in properties.items()}


def properties_after_merges(
    properties: Mapping[str, np.ndarray],
    pre_ids: Sequence[UnitId],
    post_ids: Sequence[UnitId],
    groups: Sequence[Sequence[UnitId]],
    new_ids: Sequence[UnitId],
    spike_counts: Mapping[UnitId, int],
) -> dict:
    """Properties of the units after merges.

    Parameters
    ----------
    properties : dict
        ``key -> values`` aligned with ``pre_ids``.
    pre_ids, post_ids : list
        Unit ids before and after.
    groups : list of list
        Merged unit ids.
    new_ids : list
        Id of each merged unit.
    spike_counts : dict
        Spikes of each unit before the merges (for ``main_channel_id``).
    """
    pre_index = {u: i for i, u in enumerate(pre_ids)}
    post_index = {u: i for i, u in enumerate(post_ids)}
    new_set = set(new_ids)
    untouched = [u for u in post_ids if u in pre_index and u not in new_set]
    keep_pre = np.array([pre_index[u] for u in untouched], dtype="int64")
    keep_post = np.array([post_index[u] for u in untouched], dtype="int64")
    result = {}
    for key, values in properties.items():
        if key in ORIGIN_PROPERTIES:
            continue
        merged = _merged_column(
            values,
            keep_pre,
            keep_post,
            len(post_ids),
            key,
            groups,
            new_ids,
            pre_index,
            post_index,
            spike_counts,
        )
        if merged is not None:
            result[key] = merged
    made = np.array([post_index[u] for u in new_ids], dtype="int64")
    for key, made_value in (("is_merged", True), ("is_split", False)):
        if key == "is_split" and key not in properties:
            continue
        column = np.zeros(len(post_ids), dtype=bool)
        if key in properties:
            column[keep_post] = properties[key][keep_pre]
        column[made] = made_value
        result[key] = column
    return result


def _merged_column(
    values, keep_pre, keep_post, size, key, groups, new_ids, pre_index, post_index, spike_counts
):
    column = np.empty((size,) + values.shape[1:], dtype=values.dtype)
    column[keep_post] = values[keep_pre]
    for new_id, group in zip(new_ids, groups):
        members = [pre_index[u] for u in group]
        member_values = values[members]
        target = post_index[new_id]
        if all(np.array_equal(v, member_values[0]) for v in member_values[1:]):
            column[target] = member_values[0]
        elif key == "main_channel_id":
            counts = [spike_counts[u] for u in group]
            column[target] = member_values[int(np.argmax(counts))]
        elif values.dtype.kind in MISSING_VALUES:
            column[target] = MISSING_VALUES[values.dtype.kind]
        else:
            return None  # no missing value for this type: the property is dropped
    return column


def properties_after_splits(
    properties: Mapping[str, np.ndarray],
    pre_ids: Sequence[UnitId],
    post_ids: Sequence[UnitId],
    split_ids: Sequence[UnitId],
    new_ids: Sequence[Sequence[UnitId]],
) -> dict:
    """Properties after splits: each new unit takes the value of the unit it comes from."""
    pre_index = {u: i for i, u in enumerate(pre_ids)}
    source = np.empty(len(post_ids), dtype="int64")
    made_by_split = np.zeros(len(post_ids), dtype=bool)
    post_index = {u: i for i, u in enumerate(post_ids)}
    parent = {n: unit for unit, ids in zip(split_ids, new_ids) for n in ids}
    for unit_id, i in post_index.items():
        if unit_id in parent:
            source[i] = pre_index[parent[unit_id]]
            made_by_split[i] = True
        else:
            source[i] = pre_index[unit_id]
    result = {key: values[source] for key, values in properties.items()}
    for key, made_value in (("is_split", True), ("is_merged", False)):
        if key == "is_merged" and key not in result:
            continue
        column = (
            result[key].astype(bool, copy=True)
            if key in result
            else np.zeros(len(post_ids), dtype=bool)
        )
        column[made_by_split] = made_value
        result[key] = column
    return result


def properties_with_labels(
    properties: Mapping[str, np.ndarray],
    unit_ids: Sequence[UnitId],
    definitions: Mapping[str, LabelDefinition],
    manual_labels: Sequence[ManualLabel],
    replace: bool,
) -> dict:
    """Properties with labels set.

    Parameters
    ----------
    properties : dict
        Aligned with ``unit_ids``.
    unit_ids : list
    definitions : dict
        Label categories.
    manual_labels : list of ManualLabel
    replace : bool
        True (SpikeInterface's ``apply_curation``): every category's properties are set for all
        units, units without a label getting ``""`` / False. False: only the listed units and
        categories change; a missing property is created with those defaults.

    Raises
    ------
    ValueError
        When ``replace`` is False and a label property exists with another type.
    """
    result = dict(properties)
    index = {u: i for i, u in enumerate(unit_ids)}
    size = len(unit_ids)
    for key, definition in definitions.items():
        names = [key] if definition.exclusive else list(definition.label_options)
        columns = {}
        for name in names:
            existing = None if replace else result.get(name)
            columns[name] = _label_column(existing, name, definition.exclusive, size)
        for label in manual_labels:
            if replace is False and key not in label.labels:
                continue
            chosen = label.labels.get(key, ())
            row = index[label.unit_id]
            if definition.exclusive:
                columns[key] = _with_text(columns[key], row, chosen[0] if chosen else "")
            else:
                for option in definition.label_options:
                    columns[option][row] = option in chosen
        result.update(columns)
    return result


def _label_column(existing, name: str, exclusive: bool, size: int) -> np.ndarray:
    if existing is None:
        return np.zeros(size, dtype=bool) if not exclusive else np.full(size, "", dtype="<U1")
    kind = existing.dtype.kind
    if (exclusive and kind != "U") or (not exclusive and kind != "b") or existing.ndim != 1:
        raise ValueError(
            f"label property {name!r} exists with dtype {existing.dtype}; labels need "
            f"{'strings' if exclusive else 'booleans'}"
        )
    return existing.copy()


def _with_text(column: np.ndarray, row: int, text: str) -> np.ndarray:
    if len(text) > column.dtype.itemsize // 4:
        column = column.astype(f"<U{len(text)}")
    column[row] = text
    return column
