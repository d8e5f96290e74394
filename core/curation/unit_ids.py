"""Unit ids after merges and splits, and new ids, as SpikeInterface 0.105 chooses them.

Strategies for merges: ``"append"`` (integers above the largest id; for string ids that are all
digits, the same as strings; otherwise ``"merge0"``, ``"merge1"``...), ``"take_first"`` (the
first id of each group) and ``"join"`` (string ids joined with ``"-"``; integer ids fall back to
``"append"``). For splits: ``"append"`` (as for merges, non-digit strings give
``"<unit>-split0"``...) and ``"split"`` (``"<unit>-0"``, ``"<unit>-1"``...; integer ids fall back
to ``"append"``). Where SpikeInterface would pick a name that is already taken (``"merge0"`` when
a unit has that id), the next free one is used instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .model import UnitId

MERGE_ID_STRATEGIES = ("append", "take_first", "join")
SPLIT_ID_STRATEGIES = ("append", "split")


def as_python_ids(unit_ids) -> list[UnitId]:
    """Unit ids as a list of Python ints or strs (numpy scalars converted)."""
    if isinstance(unit_ids, np.ndarray):
        return unit_ids.tolist()
    return [u.item() if isinstance(u, np.generic) else u for u in unit_ids]


def _is_string_ids(unit_ids: np.ndarray) -> bool:
    return unit_ids.dtype.kind in "US"


def _next_free(name: str, taken: set) -> str:
    candidate, n = name, 1
    while candidate in taken:
        candidate = f"{name}_{n}"
        n += 1
    return candidate


def new_unit_ids_for_merges(
    old_unit_ids,
    merge_unit_groups: Sequence[Sequence[UnitId]],
    new_unit_ids: Sequence[UnitId] | None = None,
    new_id_strategy: str = "append",
) -> list[UnitId]:
    """The id of each merged unit.

    Parameters
    ----------
    old_unit_ids : array-like
        Unit ids before the merges.
    merge_unit_groups : list of list
        Unit ids of each merge.
    new_unit_ids : list | None
        Given ids (checked: one per group; an existing id only within its own group).
    new_id_strategy : {"append", "take_first", "join"}

    Raises
    ------
    ValueError
        For a bad strategy or given ids that do not fit.
    """
    old = np.asarray(old_unit_ids)
    old_list = as_python_ids(old)
    if new_unit_ids is not None:
        new_unit_ids = as_python_ids(list(new_unit_ids))
        if len(new_unit_ids) != len(merge_unit_groups):
            raise ValueError(
                f"new_unit_ids has {len(new_unit_ids)} ids for {len(merge_unit_groups)} merges"
            )
        existing = set(old_list)
        for new_id, group in zip(new_unit_ids, merge_unit_groups):
            if new_id in existing and new_id not in as_python_ids(list(group)):
                raise ValueError(
                    f"new unit id {new_id!r} is the id of a unit outside the merge {list(group)}"
                )
        return new_unit_ids
    if new_id_strategy not in MERGE_ID_STRATEGIES:
        raise ValueError(
            f"new_id_strategy must be one of {MERGE_ID_STRATEGIES} for merges, got {new_id_strategy!r}"
        )
    num = len(merge_unit_groups)
    if new_id_strategy == "take_first":
        return [as_python_ids(list(group))[0] for group in merge_unit_groups]
    if new_id_strategy == "join" and _is_string_ids(old):
        return ["-".join(as_python_ids(list(group))) for group in merge_unit_groups]
    return _appended_ids(old_list, num, _is_string_ids(old), lambda i: f"merge{i}")


def _appended_ids(old_list: list, num: int, strings: bool, name_of) -> list[UnitId]:
    if not strings:
        start = (max(old_list) if old_list else -1) + 1
        return [start + i for i in range(num)]
    if old_list and all(u.isdigit() for u in old_list):
        start = max(int(u) for u in old_list) + 1
        return [str(start + i) for i in range(num)]
    taken = set(old_list)
    ids = []
    for i in range(num):
        name = _next_free(name_of(i), taken)
        taken.add(name)
        ids.append(name)
    return ids


def new_unit_ids_for_splits(
    old_unit_ids,
    split_unit_ids: Sequence[UnitId],
    num_parts: Sequence[int],
    new_unit_ids: Sequence[Sequence[UnitId]] | None = None,
    new_id_strategy: str = "append",
) -> list[list[UnitId]]:
    """The ids of the units each split gives.

    Parameters
    ----------
    old_unit_ids : array-like
        Unit ids before the splits.
    split_unit_ids : list
        The split units, in order.
    num_parts : list of int
        Units each split gives.
    new_unit_ids : list of list | None
        Given ids (checked: as many as parts, none already a unit id).
    new_id_strategy : {"append", "split"}

    Raises
    ------
    ValueError
    """
    old = np.asarray(old_unit_ids)
    old_list = as_python_ids(old)
    if new_unit_ids is not None:
        if len(new_unit_ids) != len(split_unit_ids):
            raise ValueError(
                f"new_unit_ids has {len(new_unit_ids)} lists for {len(split_unit_ids)} splits"
            )
        existing = set(old_list)
        checked = []
        for unit_id, ids, count in zip(split_unit_ids, new_unit_ids, num_parts):
            ids = as_python_ids(list(ids))
            if len(ids) != count:
                raise ValueError(
                    f"the split of unit {unit_id!r} gives {count} units but {len(ids)} new ids"
                )
            clash = [u for u in ids if u in existing]
            if clash:
                raise ValueError(f"new unit id {clash[0]!r} is already the id of a unit")
            checked.append(ids)
        return checked
    if new_id_strategy not in SPLIT_ID_STRATEGIES:
        raise ValueError(
            f"new_id_strategy must be one of {SPLIT_ID_STRATEGIES} for splits (or give "
            f"new_unit_ids), got {new_id_strategy!r}"
        )
    strings = _is_string_ids(old)
    if new_id_strategy == "split" and not strings:
        warnings.warn("new_id_strategy 'split' needs string unit ids: using 'append'")
        new_id_strategy = "append"
    current = list(old_list)
    result = []
    for unit_id, count in zip(split_unit_ids, num_parts):
        if new_id_strategy == "split":
            taken = set(current)
            ids = [_next_free(f"{unit_id}-{i}", taken) for i in range(count)]
        else:
            ids = _appended_ids(current, count, strings, lambda i, u=unit_id: f"{u}-split{i}")
        current.extend(ids)
        result.append(ids)
    return result


def unit_ids_after_merges(
    old_unit_ids, merge_unit_groups: Sequence[Sequence[UnitId]], new_unit_ids: Sequence[UnitId]
) -> list[UnitId]:
    """Unit order after merges: merged units leave, a new id goes to the end.

    A new id that is one of its group's ids keeps that unit's place.
    """
    ids = as_python_ids(old_unit_ids)
    for new_id, group in zip(new_unit_ids, merge_unit_groups):
        for unit_id in as_python_ids(list(group)):
            if unit_id != new_id:
                ids.remove(unit_id)
        if new_id not in ids:
            ids.append(new_id)
    return ids


def unit_ids_after_splits(
    old_unit_ids, split_unit_ids: Sequence[UnitId], new_unit_ids: Sequence[Sequence[UnitId]]
) -> list[UnitId]:
    """Unit order after splits: each split unit leaves, its new units go to the end."""
    ids = as_python_ids(old_unit_ids)
    for unit_id, new_ids in zip(split_unit_ids, new_unit_ids):
        ids.remove(unit_id)
        ids.extend(new_ids)
    return ids


def id_array(unit_ids: Sequence[UnitId], like: np.ndarray) -> np.ndarray:
    """Ids as an array of the same kind as ``like`` (strings widen as needed)."""
    if like.dtype.kind in "US":
        return np.array([str(u) for u in unit_ids], dtype=str) if unit_ids else like[:0]
    if not unit_ids:
        return like[:0]
    return np.array(unit_ids, dtype=like.dtype if like.dtype.kind in "iu" else "int64")
