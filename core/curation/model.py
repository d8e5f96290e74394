"""The curation format of SpikeInterface (version 2; version 1 is read and converted) as values.

A curation lists, for the units of one sorting: labels (``label_definitions``, ``manual_labels``),
removed units, merges (groups of units, optionally with the id of the merged unit) and splits (a
unit's spikes shared out by index or by label). `Curation.from_dict` checks every rule of the
format that can be checked without the sorting (see `core.curation.rules` for the rest) and
raises `CurationFormatError` naming the entry, the unit and the rule broken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

UnitId = int | str

SUPPORTED_FORMAT_VERSIONS = ("1", "2")


class CurationFormatError(ValueError):
    """A curation breaks a rule of the format (the message names the entry and the rule)."""


@dataclass(frozen=True)
class LabelDefinition:
    """A label category: its options and whether a unit may carry more than one of them.

    Parameters
    ----------
    name : str
        The category (e.g. ``"quality"``); an exclusive category becomes one string property of
        that name, a non-exclusive one a boolean property per option.
    label_options : tuple of str
        At least two distinct options.
    exclusive : bool
        At most one option per unit.
    """

    name: str
    label_options: tuple[str, ...]
    exclusive: bool

    def to_dict(self) -> dict:
        """The format's entry (``name``, ``label_options``, ``exclusive``)."""
        return {
            "name": self.name,
            "label_options": list(self.label_options),
            "exclusive": self.exclusive,
        }


@dataclass(frozen=True)
class ManualLabel:
    """The labels given to one unit: ``{category: [options]}``."""

    unit_id: UnitId
    labels: Mapping[str, tuple[str, ...]]

    def to_dict(self) -> dict:
        """The format's entry (``unit_id``, ``labels``)."""
        return {"unit_id": self.unit_id, "labels": {k: list(v) for k, v in self.labels.items()}}


@dataclass(frozen=True)
class Merge:
    """Units merged into one, optionally with the id of the merged unit."""

    unit_ids: tuple[UnitId, ...]
    new_unit_id: UnitId | None = None

    def to_dict(self) -> dict:
        """The format's entry (``unit_ids`` and, when set, ``new_unit_id``)."""
        entry: dict = {"unit_ids": list(self.unit_ids)}
        if self.new_unit_id is not None:
            entry["new_unit_id"] = self.new_unit_id
        return entry


@dataclass(frozen=True, eq=False)
class Split:
    """A unit's spikes shared out into new units.

    Spikes are numbered along the unit's spike train, segment after segment.

    Parameters
    ----------
    unit_id : int | str
    mode : {"indices", "labels"}
        ``"indices"``: each array of ``indices`` lists the spikes of one new unit, and the spikes
        no array lists form one more unit. ``"labels"``: ``labels`` gives each spike a label and
        each distinct label (in increasing order) is one new unit.
    indices : tuple of np.ndarray | None
    labels : np.ndarray | None
    new_unit_ids : tuple | None
        Ids of the new units, in the order of the parts.
    """

    unit_id: UnitId
    mode: str = "indices"
    indices: tuple[np.ndarray, ...] | None = None
    labels: np.ndarray | None = None
    new_unit_ids: tuple[UnitId, ...] | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Split):
            return NotImplemented
        return (
            self.unit_id == other.unit_id
            and self.mode == other.mode
            and self.new_unit_ids == other.new_unit_ids
            and _same_arrays(self.indices, other.indices)
            and _same_arrays(
                None if self.labels is None else (self.labels,),
                None if other.labels is None else (other.labels,),
            )
        )

    __hash__ = None  # mutable-looking arrays inside: not hashable

    def parts(self, num_spikes: int) -> list[np.ndarray]:
        """Spike indices (into the unit's train) of each new unit, sorted, in order.

        In ``"indices"`` mode the spikes no array lists form one more, last part (when there are
        any); in ``"labels"`` mode there is one part per distinct label, in increasing order.

        Parameters
        ----------
        num_spikes : int
            Spikes of the unit.

        Raises
        ------
        CurationFormatError
            If an index is out of range or the number of labels is not ``num_spikes``.
        """
        if self.mode == "labels":
            if self.labels.size != num_spikes:
                raise CurationFormatError(
                    f"split of unit {self.unit_id!r}: {self.labels.size} labels for the "
                    f"{num_spikes} spikes of the unit (one label per spike is needed)"
                )
            order = np.argsort(self.labels, kind="stable")
            distinct, starts = np.unique(self.labels[order], return_index=True)
            bounds = [*starts.tolist(), num_spikes]
            return [np.sort(order[bounds[i] : bounds[i + 1]]) for i in range(distinct.size)]
        parts = [np.sort(indices) for indices in self.indices]
        listed = np.concatenate(parts) if parts else np.zeros(0, dtype="int64")
        if listed.size and listed.max() >= num_spikes:
            raise CurationFormatError(
                f"split of unit {self.unit_id!r}: spike index {int(listed.max())} is out of range "
                f"(the unit has {num_spikes} spikes, indices go from 0 to {num_spikes - 1})"
            )
        if listed.size < num_spikes:
            rest = np.ones(num_spikes, dtype=bool)
            rest[listed] = False
            parts.append(np.flatnonzero(rest))
        return parts

    def to_dict(self) -> dict:
        """The format's entry."""
        entry: dict = {"unit_id": self.unit_id, "mode": self.mode}
        if self.mode == "indices":
            entry["indices"] = [indices.tolist() for indices in self.indices]
        else:
            entry["labels"] = self.labels.tolist()
        if self.new_unit_ids is not None:
            entry["new_unit_ids"] = list(self.new_unit_ids)
        return entry


@dataclass(frozen=True)
class Curation:
    """One curation of one sorting, in the terms of SpikeInterface's format version 2.

    Build it with `Curation.from_dict` (which checks the format) or directly; `to_dict` gives the
    format's dictionary. Applying it: labels first, then removals, then merges, then splits.
    """

    unit_ids: tuple[UnitId, ...]
    label_definitions: Mapping[str, LabelDefinition] = field(default_factory=dict)
    manual_labels: tuple[ManualLabel, ...] = ()
    removed: tuple[UnitId, ...] = ()
    merges: tuple[Merge, ...] = ()
    splits: tuple[Split, ...] = ()
    format_version: str = "2"

    @classmethod
    def from_dict(cls, curation_dict: Mapping) -> Curation:
        """Read a curation dictionary (format version 2, or 1 which is converted).

        Raises
        ------
        TypeError
            If ``curation_dict`` is not a mapping.
        CurationFormatError
            If it breaks a rule of the format.
        """
        from .parsing import parse_curation

        return parse_curation(curation_dict)

    def to_dict(self) -> dict:
        """The format's dictionary (version 2), ready for ``json.dump``."""
        return {
            "format_version": "2",
            "unit_ids": list(self.unit_ids),
            "label_definitions": {k: d.to_dict() for k, d in self.label_definitions.items()},
            "manual_labels": [label.to_dict() for label in self.manual_labels],
            "removed": list(self.removed),
            "merges": [merge.to_dict() for merge in self.merges],
            "splits": [split.to_dict() for split in self.splits],
        }

    def validate(self, sorting=None) -> None:
        """Check the rules of the format, and with ``sorting`` those that need its units.

        Parameters
        ----------
        sorting : BaseSorting | None
            The sorting the curation is for: its unit ids must be this curation's (same type,
            same set), split indices must lie within the unit's spikes, and each split must give
            at least two units.

        Raises
        ------
        CurationFormatError
        """
        from .rules import check_curation

        check_curation(self, sorting)

    def label_vectors(self) -> dict[str, np.ndarray]:
        """The labels as one array per property, in the order of ``unit_ids``.

        An exclusive category gives a string array named after it (``""`` for units without a
        label); a non-exclusive one gives a boolean array per option.
        """
        index = {unit_id: i for i, unit_id in enumerate(self.unit_ids)}
        vectors: dict[str, np.ndarray] = {}
        for key, definition in self.label_definitions.items():
            if definition.exclusive:
                values = [""] * len(self.unit_ids)
                for label in self.manual_labels:
                    chosen = label.labels.get(key, ())
                    if len(chosen) == 1:
                        values[index[label.unit_id]] = chosen[0]
                vectors[key] = np.array(values, dtype=str)
            else:
                for option in definition.label_options:
                    vectors[option] = np.zeros(len(self.unit_ids), dtype=bool)
                for label in self.manual_labels:
                    for option in label.labels.get(key, ()):
                        vectors[option][index[label.unit_id]] = True
        return vectors


def _same_arrays(a: Sequence[np.ndarray] | None, b: Sequence[np.ndarray] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
