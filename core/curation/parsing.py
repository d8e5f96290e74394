"""Reading a curation dictionary into a `Curation`, checking the rules of the format on the way.

The rules are SpikeInterface 0.105's (its ``Curation`` model and what its ``apply_curation``
needs to succeed), plus a few that it leaves to chance and that are errors here: label values
outside the category's options, a unit listed twice, duplicated ids within a list, unit ids of
mixed types, and ``new_unit_id`` given for only some merges (SpikeInterface pairs ids with
merges by position, so that file would fail there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .model import (
    SUPPORTED_FORMAT_VERSIONS,
    Curation,
    CurationFormatError,
    LabelDefinition,
    ManualLabel,
    Merge,
    Split,
    UnitId,
)


def parse_curation(curation_dict: Mapping) -> Curation:
    """A checked `Curation` from a format dictionary (version 2, or 1 converted).

    Raises
    ------
    TypeError
        If ``curation_dict`` is not a mapping.
    CurationFormatError
        Naming the entry and the rule broken.
    """
    if not isinstance(curation_dict, Mapping):
        raise TypeError(
            f"a curation must be a dictionary (format version 2), got {type(curation_dict).__name__}"
        )
    values = _converted_to_version_2(dict(curation_dict))
    unit_ids = _parse_unit_ids(values.get("unit_ids"))
    kind = _id_kind(unit_ids)
    known = set(unit_ids)
    definitions = _parse_label_definitions(values.get("label_definitions"))
    manual_labels = _parse_manual_labels(values.get("manual_labels"), definitions, known, kind)
    removed = _parse_id_list(values.get("removed"), "removed", known, kind)
    merges = _parse_merges(values.get("merges"), known, kind)
    splits = _parse_splits(values.get("splits"), known, kind)
    _check_conflicts(removed, merges, splits, known)
    return Curation(
        unit_ids=unit_ids,
        label_definitions=definitions,
        manual_labels=manual_labels,
        removed=removed,
        merges=merges,
        splits=splits,
        format_version="2",
    )


# ---------------------------------------------------------------------- versions
def _converted_to_version_2(values: dict) -> dict:
    version = values.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if version is None:
        raise CurationFormatError(
            "format_version: missing (expected '2', or '1' for the older format)"
        )
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise CurationFormatError(
            f"format_version: {version!r} is not supported (expected one of "
            f"{list(SUPPORTED_FORMAT_VERSIONS)})"
        )
    if version == "1":
        if values.get("merge_unit_groups") is not None:
            values["merges"] = [{"unit_ids": list(g)} for g in values["merge_unit_groups"]]
        if values.get("removed_units") is not None:
            values["removed"] = list(values["removed_units"])
    return values


# ---------------------------------------------------------------------- ids
def _as_unit_id(value, where: str) -> UnitId:
    if isinstance(value, bool | np.bool_):
        raise CurationFormatError(f"{where}: {value!r} is not a unit id (integers or strings)")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str | np.str_):
        return str(value)
    raise CurationFormatError(
        f"{where}: {value!r} ({type(value).__name__}) is not a unit id: unit ids are integers or "
        "strings"
    )


def _id_kind(unit_ids: Sequence[UnitId]) -> str | None:
    return None if not unit_ids else "integer" if isinstance(unit_ids[0], int) else "string"


def _kind_of(unit_id: UnitId) -> str:
    return "integer" if isinstance(unit_id, int) else "string"


def _as_list(value, where: str, allow_none: bool = True) -> list:
    if value is None and allow_none:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | np.ndarray):
        raise CurationFormatError(f"{where}: expected a list, got {type(value).__name__}")
    return list(value)


def _parse_unit_ids(value) -> tuple[UnitId, ...]:
    if value is None:
        raise CurationFormatError("unit_ids: missing (the list of the sorting's unit ids)")
    unit_ids = [_as_unit_id(v, f"unit_ids[{i}]") for i, v in enumerate(_as_list(value, "unit_ids"))]
    kinds = {_kind_of(u) for u in unit_ids}
    if len(kinds) > 1:
        first_string = next(u for u in unit_ids if isinstance(u, str))
        raise CurationFormatError(
            f"unit_ids: mixes integers and strings (e.g. {first_string!r}); a sorting's unit ids "
            "all have one type"
        )
    _check_no_duplicates(unit_ids, "unit_ids")
    return tuple(unit_ids)


def _check_no_duplicates(ids: Sequence[UnitId], where: str) -> None:
    seen = set()
    for unit_id in ids:
        if unit_id in seen:
            raise CurationFormatError(f"{where}: unit {unit_id!r} is listed twice")
        seen.add(unit_id)


def _known_unit(value, where: str, known: set, kind: str | None) -> UnitId:
    unit_id = _as_unit_id(value, where)
    if unit_id not in known:
        if kind is not None and _kind_of(unit_id) != kind:
            raise CurationFormatError(
                f"{where}: unit {unit_id!r} is {'an' if _kind_of(unit_id) == 'integer' else 'a'} "
                f"{_kind_of(unit_id)} but unit_ids are {kind}s"
            )
        raise CurationFormatError(f"{where}: unit {unit_id!r} is not in unit_ids")
    return unit_id


def _new_unit_id(value, where: str, kind: str | None) -> UnitId:
    unit_id = _as_unit_id(value, where)
    if kind is not None and _kind_of(unit_id) != kind:
        raise CurationFormatError(
            f"{where}: new unit id {unit_id!r} is {'an' if _kind_of(unit_id) == 'integer' else 'a'} "
            f"{_kind_of(unit_id)} but unit_ids are {kind}s"
        )
    return unit_id


def _parse_id_list(value, where: str, known: set, kind: str | None) -> tuple[UnitId, ...]:
    ids = [
        _known_unit(v, f"{where}[{i}]", known, kind) for i, v in enumerate(_as_list(value, where))
    ]
    _check_no_duplicates(ids, where)
    return tuple(ids)


# ---------------------------------------------------------------------- labels
def _parse_label_definitions(value) -> dict[str, LabelDefinition]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CurationFormatError(
            f"label_definitions: expected a dictionary {{category: definition}}, got "
            f"{type(value).__name__}"
        )
    definitions = {}
    property_names: dict[str, str] = {}
    for name, entry in value.items():
        where = f"label_definitions[{name!r}]"
        if not isinstance(name, str) or not name:
            raise CurationFormatError(f"{where}: a label category is a non-empty string")
        if not isinstance(entry, Mapping):
            raise CurationFormatError(f"{where}: expected a dictionary, got {type(entry).__name__}")
        options = _as_list(entry.get("label_options"), f"{where}.label_options", allow_none=False)
        if not all(isinstance(o, str) and o for o in options):
            raise CurationFormatError(f"{where}.label_options: options are non-empty strings")
        if len(options) < 2:
            raise CurationFormatError(f"{where}.label_options: at least two options are needed")
        if len(set(options)) != len(options):
            raise CurationFormatError(f"{where}.label_options: an option is listed twice")
        exclusive = entry.get("exclusive")
        if not isinstance(exclusive, bool):
            raise CurationFormatError(
                f"{where}.exclusive: expected true or false, got {exclusive!r}"
            )
        # each category becomes properties: its own name, or one per option
        for prop in [name] if exclusive else options:
            if prop in property_names:
                raise CurationFormatError(
                    f"{where}: property {prop!r} would also come from "
                    f"label_definitions[{property_names[prop]!r}] (names of exclusive categories "
                    "and options of non-exclusive ones must all differ)"
                )
            property_names[prop] = name
        definitions[name] = LabelDefinition(name, tuple(options), exclusive)
    return definitions


def _parse_manual_labels(
    value, definitions: dict[str, LabelDefinition], known: set, kind: str | None
) -> tuple[ManualLabel, ...]:
    labels = []
    seen: dict[UnitId, int] = {}
    for i, entry in enumerate(_as_list(value, "manual_labels")):
        where = f"manual_labels[{i}]"
        if not isinstance(entry, Mapping):
            raise CurationFormatError(f"{where}: expected a dictionary, got {type(entry).__name__}")
        if "unit_id" not in entry:
            raise CurationFormatError(f"{where}: unit_id is missing")
        unit_id = _known_unit(entry["unit_id"], f"{where}.unit_id", known, kind)
        if unit_id in seen:
            raise CurationFormatError(
                f"{where}: unit {unit_id!r} is already labelled in manual_labels[{seen[unit_id]}]"
            )
        seen[unit_id] = i
        given = entry.get("labels")
        if given is None:  # version 1: categories as keys of the entry itself
            given = {k: v for k, v in entry.items() if k != "unit_id"}
        if not isinstance(given, Mapping):
            raise CurationFormatError(
                f"{where}.labels: expected a dictionary {{category: [labels]}}"
            )
        parsed = {}
        for key, chosen in given.items():
            if key not in definitions:
                raise CurationFormatError(
                    f"{where}: unit {unit_id!r} has label category {key!r}, which "
                    f"label_definitions does not define"
                )
            parsed[key] = _parse_label_values(chosen, definitions[key], unit_id, f"{where}.{key}")
        labels.append(ManualLabel(unit_id, parsed))
    return tuple(labels)


def _parse_label_values(
    chosen, definition: LabelDefinition, unit_id: UnitId, where: str
) -> tuple[str, ...]:
    if isinstance(chosen, str) or not isinstance(chosen, Sequence):
        raise CurationFormatError(
            f"{where}: the labels of unit {unit_id!r} must be a list, got {chosen!r}"
        )
    chosen = list(chosen)
    for option in chosen:
        if option not in definition.label_options:
            raise CurationFormatError(
                f"{where}: unit {unit_id!r} has label {option!r}, which is not an option of "
                f"{definition.name!r} ({list(definition.label_options)})"
            )
    if len(set(chosen)) != len(chosen):
        raise CurationFormatError(f"{where}: unit {unit_id!r} has a label listed twice")
    if definition.exclusive and len(chosen) > 1:
        raise CurationFormatError(
            f"{where}: unit {unit_id!r} has {len(chosen)} labels {chosen} but {definition.name!r} "
            "is exclusive (one label at most)"
        )
    return tuple(chosen)


# ---------------------------------------------------------------------- merges
def _parse_merges(value, known: set, kind: str | None) -> tuple[Merge, ...]:
    if isinstance(value, Mapping):  # {new_unit_id: [unit ids]}; JSON keys are strings
        value = [
            {"unit_ids": group, "new_unit_id": _key_as_id(key, kind)}
            for key, group in value.items()
        ]
    merges = []
    group_of: dict[UnitId, int] = {}
    for i, entry in enumerate(_as_list(value, "merges")):
        where = f"merges[{i}]"
        if isinstance(entry, Mapping):
            if "unit_ids" not in entry:
                raise CurationFormatError(f"{where}: unit_ids is missing")
            members, new_id = entry["unit_ids"], entry.get("new_unit_id")
        else:
            members, new_id = entry, None
        members = [
            _known_unit(u, f"{where}.unit_ids[{j}]", known, kind)
            for j, u in enumerate(_as_list(members, f"{where}.unit_ids", allow_none=False))
        ]
        _check_no_duplicates(members, f"{where}.unit_ids")
        if len(members) < 2:
            raise CurationFormatError(f"{where}: a merge needs at least two units, got {members}")
        for unit_id in members:
            if unit_id in group_of:
                raise CurationFormatError(
                    f"{where}: unit {unit_id!r} is also in merges[{group_of[unit_id]}] (a unit can "
                    "be in one merge only)"
                )
            group_of[unit_id] = i
        if new_id is not None:
            new_id = _new_unit_id(new_id, f"{where}.new_unit_id", kind)
            if new_id in known and new_id not in members:
                raise CurationFormatError(
                    f"{where}: new_unit_id {new_id!r} is already the id of another unit (it may be "
                    "the id of one of the merged units, or a new id)"
                )
        merges.append(Merge(tuple(members), new_id))
    given = [m.new_unit_id is not None for m in merges]
    if any(given) and not all(given):
        missing = given.index(False)
        raise CurationFormatError(
            f"merges[{missing}]: new_unit_id is missing while other merges give one: give "
            "new_unit_id for every merge or for none"
        )
    _check_no_duplicates([m.new_unit_id for m in merges if m.new_unit_id is not None], "merges")
    return tuple(merges)


def _key_as_id(key, kind: str | None) -> UnitId:
    if kind == "integer" and isinstance(key, str) and key.lstrip("-").isdigit():
        return int(key)
    return key


# ---------------------------------------------------------------------- splits
def _parse_splits(value, known: set, kind: str | None) -> tuple[Split, ...]:
    if isinstance(value, Mapping):  # {unit_id: [[indices], ...] or [labels]}
        entries = []
        for key, data in value.items():
            data = list(data)
            by_indices = bool(data) and isinstance(data[0], Sequence | np.ndarray)
            entries.append(
                {"unit_id": _key_as_id(key, kind), "mode": "indices", "indices": data}
                if by_indices
                else {"unit_id": _key_as_id(key, kind), "mode": "labels", "labels": data}
            )
        value = entries
    splits = []
    split_at: dict[UnitId, int] = {}
    for i, entry in enumerate(_as_list(value, "splits")):
        where = f"splits[{i}]"
        if not isinstance(entry, Mapping):
            raise CurationFormatError(f"{where}: expected a dictionary, got {type(entry).__name__}")
        if "unit_id" not in entry:
            raise CurationFormatError(f"{where}: unit_id is missing")
        unit_id = _known_unit(entry["unit_id"], f"{where}.unit_id", known, kind)
        if unit_id in split_at:
            raise CurationFormatError(
                f"{where}: unit {unit_id!r} is already split by splits[{split_at[unit_id]}]"
            )
        split_at[unit_id] = i
        splits.append(_parse_split(entry, unit_id, where, known, kind))
    given = [s.new_unit_ids is not None for s in splits]
    if any(given) and not all(given):
        raise CurationFormatError(
            f"splits[{given.index(False)}]: new_unit_ids is missing while other splits give "
            "them: give new_unit_ids for every split or for none"
        )
    return tuple(splits)


def _parse_split(entry: Mapping, unit_id: UnitId, where: str, known: set, kind) -> Split:
    mode = entry.get("mode", "indices")
    if mode not in ("indices", "labels"):
        raise CurationFormatError(f"{where}.mode: expected 'indices' or 'labels', got {mode!r}")
    indices = labels = None
    if mode == "indices":
        if entry.get("indices") is None:
            raise CurationFormatError(f"{where}: the split of unit {unit_id!r} has no indices")
        indices = tuple(
            _index_array(part, f"{where}.indices[{j}]")
            for j, part in enumerate(_as_list(entry["indices"], f"{where}.indices"))
        )
        if not indices:
            raise CurationFormatError(f"{where}: the split of unit {unit_id!r} has empty indices")
        _check_disjoint(indices, unit_id, where)
        num_parts_given = len(indices)
    else:
        if entry.get("labels") is None:
            raise CurationFormatError(f"{where}: the split of unit {unit_id!r} has no labels")
        labels = _index_array(entry["labels"], f"{where}.labels", allow_negative=True)
        if labels.size == 0:
            raise CurationFormatError(f"{where}: the split of unit {unit_id!r} has empty labels")
        num_parts_given = np.unique(labels).size
    new_ids = entry.get("new_unit_ids")
    if new_ids is not None:
        new_ids = tuple(
            _new_unit_id(v, f"{where}.new_unit_ids[{j}]", kind)
            for j, v in enumerate(_as_list(new_ids, f"{where}.new_unit_ids"))
        )
        _check_no_duplicates(new_ids, f"{where}.new_unit_ids")
        allowed = (
            (num_parts_given, num_parts_given + 1) if mode == "indices" else (num_parts_given,)
        )
        if len(new_ids) not in allowed:
            what = (
                "index lists (or one more for the unlisted spikes)"
                if mode == "indices"
                else ("distinct labels")
            )
            raise CurationFormatError(
                f"{where}: {len(new_ids)} new_unit_ids for the {num_parts_given} {what} of the "
                f"split of unit {unit_id!r}"
            )
        for new_id in new_ids:
            if new_id in known:
                raise CurationFormatError(
                    f"{where}: new unit id {new_id!r} is already the id of a unit"
                )
    return Split(unit_id, mode, indices, labels, new_ids)


def _index_array(value, where: str, allow_negative: bool = False) -> np.ndarray:
    values = _as_list(value, where, allow_none=False)
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype="int64")
    if array.ndim != 1 or array.dtype.kind not in "iu" or any(isinstance(v, bool) for v in values):
        raise CurationFormatError(f"{where}: expected a list of integers")
    array = array.astype("int64")
    if not allow_negative and array.min() < 0:
        raise CurationFormatError(f"{where}: spike index {int(array.min())} is negative")
    array.flags.writeable = False
    return array


def _check_disjoint(indices: tuple[np.ndarray, ...], unit_id: UnitId, where: str) -> None:
    for j, part in enumerate(indices):
        distinct, counts = np.unique(part, return_counts=True)
        if np.any(counts > 1):
            raise CurationFormatError(
                f"{where}.indices[{j}]: spike {int(distinct[np.argmax(counts > 1)])} of unit "
                f"{unit_id!r} is listed twice"
            )
    distinct, counts = np.unique(np.concatenate(indices), return_counts=True)
    if np.any(counts > 1):
        spike = int(distinct[np.argmax(counts > 1)])
        parts = [j for j, part in enumerate(indices) if np.any(part == spike)]
        raise CurationFormatError(
            f"{where}: spike {spike} of unit {unit_id!r} is in indices {parts} (the parts of a "
            "split must not overlap)"
        )


# ---------------------------------------------------------------------- across sections
def _check_conflicts(removed, merges, splits, known: set) -> None:
    removed_set = set(removed)
    merged = {u: i for i, m in enumerate(merges) for u in m.unit_ids}
    split = {s.unit_id: i for i, s in enumerate(splits)}
    for unit_id, i in merged.items():
        if unit_id in removed_set:
            raise CurationFormatError(f"merges[{i}]: unit {unit_id!r} is both merged and removed")
        if unit_id in split:
            raise CurationFormatError(
                f"merges[{i}]: unit {unit_id!r} is both merged and split (splits[{split[unit_id]}])"
            )
    for unit_id, i in split.items():
        if unit_id in removed_set:
            raise CurationFormatError(f"splits[{i}]: unit {unit_id!r} is both split and removed")
    merge_ids = {m.new_unit_id: i for i, m in enumerate(merges) if m.new_unit_id is not None}
    seen: dict[UnitId, int] = {}
    for i, s in enumerate(splits):
        for new_id in s.new_unit_ids or ():
            if new_id in merge_ids:
                raise CurationFormatError(
                    f"splits[{i}]: new unit id {new_id!r} is also the new id of "
                    f"merges[{merge_ids[new_id]}]"
                )
            if new_id in seen:
                raise CurationFormatError(
                    f"splits[{i}]: new unit id {new_id!r} is also a new id of splits[{seen[new_id]}]"
                )
            seen[new_id] = i
