"""Label states of units: reading them from properties, carrying them through merges.

A label state maps a unit id to ``{category: (options...)}``, with only non-empty entries.
When units merge, the merged unit keeps an exclusive label only if all its units had it (as
SpikeInterface does) and takes every option any of them had in a non-exclusive category. A
split unit's labels go to each of its new units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .model import LabelDefinition, ManualLabel, UnitId
from .parsing import _parse_label_definitions

LabelState = dict[UnitId, dict[str, tuple[str, ...]]]


def default_label_definitions() -> dict[str, LabelDefinition]:
    """``quality``: good / mua / noise, exclusive."""
    return {"quality": LabelDefinition("quality", ("good", "mua", "noise"), True)}


def as_label_definitions(definitions) -> dict[str, LabelDefinition]:
    """Label definitions from the format's dictionary or `LabelDefinition` values (None: default).

    Raises
    ------
    CurationFormatError
        If a definition breaks the format's rules.
    """
    if definitions is None:
        return default_label_definitions()
    as_dicts = {
        name: d.to_dict() if isinstance(d, LabelDefinition) else d
        for name, d in dict(definitions).items()
    }
    return _parse_label_definitions(as_dicts)


def labels_from_properties(
    properties: Mapping[str, np.ndarray],
    unit_ids: Sequence[UnitId],
    definitions: Mapping[str, LabelDefinition],
) -> LabelState:
    """The labels a sorting already carries as properties.

    An exclusive category is read from a string property of its name (values that are not one
    of its options, such as phy's ``"unsorted"``, count as no label); a non-exclusive one from
    boolean properties named after its options.
    """
    state: LabelState = {}
    for key, definition in definitions.items():
        if definition.exclusive:
            values = properties.get(key)
            if values is None or values.dtype.kind not in "US" or values.ndim != 1:
                continue
            for unit_id, value in zip(unit_ids, values.tolist()):
                if value in definition.label_options:
                    state.setdefault(unit_id, {})[key] = (value,)
        else:
            columns = {
                option: properties[option]
                for option in definition.label_options
                if option in properties and properties[option].dtype.kind == "b"
            }
            for i, unit_id in enumerate(unit_ids):
                chosen = tuple(
                    o for o in definition.label_options if o in columns and columns[o][i]
                )
                if chosen:
                    state.setdefault(unit_id, {})[key] = chosen
    return state


def merged_labels(
    definitions: Mapping[str, LabelDefinition], member_labels: Sequence[Mapping]
) -> dict[str, tuple[str, ...]]:
    """Labels of a merged unit from those of its units."""
    merged = {}
    for key, definition in definitions.items():
        chosen = [labels.get(key, ()) for labels in member_labels]
        if definition.exclusive:
            value = chosen[0] if all(c == chosen[0] for c in chosen) else ()
        else:
            value = tuple(o for o in definition.label_options if any(o in c for c in chosen))
        if value:
            merged[key] = value
    return merged


def manual_labels_of(state: LabelState, unit_ids: Sequence[UnitId]) -> list[ManualLabel]:
    """`ManualLabel` values for the units of ``unit_ids`` that have labels, in that order."""
    return [ManualLabel(u, {k: v for k, v in state[u].items()}) for u in unit_ids if state.get(u)]
