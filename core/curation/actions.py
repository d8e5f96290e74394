"""Curation actions as small values: label, merge, split, remove.

Actions hold everything needed to replay them (new unit ids resolved, a split's parts complete),
so a session's history and journal replay the same way whatever the options in force. Each has a
JSON form (``to_json`` / `action_from_json`) and a one-line description for a history list.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .model import UnitId
from .parsing import _as_list, _as_unit_id

#: Splits of units with more spikes than this are written with their parts packed.
COMPACT_SPLIT_SPIKES = 10_000


def _ids_text(unit_ids) -> str:
    return ", ".join(str(u) for u in unit_ids)


@dataclass(frozen=True)
class LabelAction:
    """Set the labels of one category for some units (an empty ``values`` clears them).

    Parameters
    ----------
    unit_ids : tuple
    key : str
        The label category.
    values : tuple of str
        The options chosen (one at most for an exclusive category).
    """

    unit_ids: tuple[UnitId, ...]
    key: str
    values: tuple[str, ...]

    def to_json(self) -> dict:
        """JSON form."""
        return {
            "type": "label",
            "unit_ids": list(self.unit_ids),
            "key": self.key,
            "values": list(self.values),
        }

    def describe(self) -> str:
        """One line for a history list."""
        what = ", ".join(self.values) if self.values else "(none)"
        return f"{self.key} of {_ids_text(self.unit_ids)}: {what}"


@dataclass(frozen=True)
class MergeAction:
    """Merge units into one unit with id ``new_unit_id``."""

    unit_ids: tuple[UnitId, ...]
    new_unit_id: UnitId

    def to_json(self) -> dict:
        """JSON form."""
        return {"type": "merge", "unit_ids": list(self.unit_ids), "new_unit_id": self.new_unit_id}

    def describe(self) -> str:
        """One line for a history list."""
        return f"merge {_ids_text(self.unit_ids)} -> {self.new_unit_id}"


@dataclass(frozen=True, eq=False)
class SplitAction:
    """Split a unit: ``parts[i]`` are the indices (along the unit's train) of new unit ``i``.

    The parts share out every spike of the unit; there are two at least.
    """

    unit_id: UnitId
    parts: tuple[np.ndarray, ...]
    new_unit_ids: tuple[UnitId, ...]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SplitAction):
            return NotImplemented
        return (
            self.unit_id == other.unit_id
            and self.new_unit_ids == other.new_unit_ids
            and len(self.parts) == len(other.parts)
            and all(np.array_equal(a, b) for a, b in zip(self.parts, other.parts))
        )

    __hash__ = None

    def to_json(self) -> dict:
        """JSON form: the parts as lists of indices, or, for a unit of more than
        `COMPACT_SPLIT_SPIKES` spikes, the part of each spike packed (``part_of_spike``:
        zlib-compressed little-endian unsigned integers in base64; a journal line of a split
        of 100 000s of spikes is then written in milliseconds)."""
        record = {"type": "split", "unit_id": self.unit_id}
        num_spikes = sum(part.size for part in self.parts)
        if num_spikes > COMPACT_SPLIT_SPIKES:
            record["num_spikes"] = int(num_spikes)
            record["part_of_spike"] = _pack_parts(self.parts, num_spikes)
        else:
            record["parts"] = [part.tolist() for part in self.parts]
        record["new_unit_ids"] = list(self.new_unit_ids)
        return record

    def describe(self) -> str:
        """One line for a history list."""
        sizes = "+".join(str(part.size) for part in self.parts)
        return f"split {self.unit_id} ({sizes} spikes) -> {_ids_text(self.new_unit_ids)}"


@dataclass(frozen=True)
class RemoveAction:
    """Remove units."""

    unit_ids: tuple[UnitId, ...]

    def to_json(self) -> dict:
        """JSON form."""
        return {"type": "remove", "unit_ids": list(self.unit_ids)}

    def describe(self) -> str:
        """One line for a history list."""
        return f"remove {_ids_text(self.unit_ids)}"


Action = LabelAction | MergeAction | SplitAction | RemoveAction


def action_from_json(record: Mapping) -> Action:
    """An action from its JSON form.

    Raises
    ------
    ValueError
        If the record is not an action's JSON form.
    """
    if not isinstance(record, Mapping):
        raise ValueError(f"an action is a dictionary, got {type(record).__name__}")
    kind = record.get("type")

    def ids(key: str) -> tuple:
        return tuple(
            _as_unit_id(u, f"{kind}.{key}[{i}]")
            for i, u in enumerate(_as_list(record.get(key), key, allow_none=False))
        )

    if kind == "label":
        values = tuple(_as_list(record.get("values"), "values"))
        if not isinstance(record.get("key"), str) or not all(isinstance(v, str) for v in values):
            raise ValueError("label action: key and values must be strings")
        return LabelAction(ids("unit_ids"), record["key"], values)
    if kind == "merge":
        return MergeAction(ids("unit_ids"), _as_unit_id(record.get("new_unit_id"), "new_unit_id"))
    if kind == "remove":
        return RemoveAction(ids("unit_ids"))
    if kind == "split":
        if "part_of_spike" in record:
            return SplitAction(
                _as_unit_id(record.get("unit_id"), "unit_id"),
                _unpack_parts(record, len(ids("new_unit_ids"))),
                ids("new_unit_ids"),
            )
        parts = []
        for i, part in enumerate(_as_list(record.get("parts"), "parts", allow_none=False)):
            array = np.asarray(part)
            if array.size == 0:
                array = np.zeros(0, dtype="int64")
            if array.ndim != 1 or array.dtype.kind not in "iu":
                raise ValueError(f"split action: parts[{i}] must be a list of integers")
            array = array.astype("int64")
            array.flags.writeable = False
            parts.append(array)
        return SplitAction(
            _as_unit_id(record.get("unit_id"), "unit_id"), tuple(parts), ids("new_unit_ids")
        )
    raise ValueError(f"unknown action type {kind!r} (expected label, merge, split or remove)")


def _pack_parts(parts, num_spikes: int) -> str:
    dtype = np.dtype("<u1" if len(parts) < 2**8 else "<u2" if len(parts) < 2**16 else "<u4")
    part_of_spike = np.empty(num_spikes, dtype=dtype)
    for i, part in enumerate(parts):
        part_of_spike[part] = i
    return base64.b64encode(zlib.compress(part_of_spike.tobytes(), 1)).decode("ascii")


def _unpack_parts(record: dict, num_parts: int) -> tuple[np.ndarray, ...]:
    num_spikes = record.get("num_spikes")
    packed = record.get("part_of_spike")
    if not isinstance(num_spikes, int) or num_spikes < 0 or not isinstance(packed, str):
        raise ValueError(
            "split action: part_of_spike must be a base64 string and num_spikes an integer"
        )
    dtype = np.dtype("<u1" if num_parts < 2**8 else "<u2" if num_parts < 2**16 else "<u4")
    size = num_spikes * dtype.itemsize
    try:
        raw = zlib.decompressobj().decompress(base64.b64decode(packed, validate=True), size + 1)
    except (ValueError, zlib.error) as error:
        raise ValueError(f"split action: part_of_spike cannot be decoded ({error})") from None
    if len(raw) != size:
        raise ValueError(
            f"split action: part_of_spike holds {len(raw) // dtype.itemsize} spikes, "
            f"num_spikes says {num_spikes}"
        )
    part_of_spike = np.frombuffer(raw, dtype=dtype)
    if part_of_spike.size and int(part_of_spike.max()) >= num_parts:
        raise ValueError(
            f"split action: part_of_spike names part {int(part_of_spike.max())} of {num_parts}"
        )
    order = np.argsort(part_of_spike, kind="stable")
    bounds = np.searchsorted(part_of_spike[order], np.arange(num_parts + 1))
    parts = []
    for i in range(num_parts):
        part = order[bounds[i] : bounds[i + 1]].astype("int64")
        part.flags.writeable = False
        parts.append(part)
    return tuple(parts)
