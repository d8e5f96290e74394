"""apply_curation and friends: SpikeInterface 0.105's curation functions on lazy sortings.

The results are `CuratedSorting` objects (lazy, JSON-describable) where SpikeInterface builds
in-memory sortings; units, spike trains and properties follow SpikeInterface's rules. Unlike
SpikeInterface, the input sorting is never modified (SpikeInterface sets the label properties
on it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..sorting.base import BaseSorting
from .curated_sorting import CuratedSorting
from .model import Curation, CurationFormatError
from .rules import check_splits_fit, check_unit_ids_match
from .safe_files import write_with_backup
from .unit_ids import (
    as_python_ids,
    new_unit_ids_for_merges,
    new_unit_ids_for_splits,
    unit_ids_after_merges,
)


def validate_curation_dict(curation_dict: Mapping, sorting: BaseSorting | None = None) -> None:
    """Check a curation dictionary against the format (and, if given, against a sorting).

    Parameters
    ----------
    curation_dict : dict
        Format version 2 (or 1).
    sorting : BaseSorting | None
        Also check the unit ids (same type, same set) and that each split fits its unit.

    Raises
    ------
    TypeError
        If ``curation_dict`` is not a dictionary.
    CurationFormatError
        A ``ValueError`` naming the entry, the unit and the rule broken.
    """
    curation = Curation.from_dict(curation_dict)
    if sorting is not None:
        check_unit_ids_match(curation, sorting)
        check_splits_fit(curation, sorting)


def as_curation(curation) -> Curation:
    """A `Curation` from a dictionary or a `Curation`."""
    if isinstance(curation, Curation):
        return curation
    if isinstance(curation, Mapping):
        return Curation.from_dict(curation)
    raise TypeError(
        f"a curation is a dictionary (format version 2) or a Curation, got {type(curation).__name__}"
    )


def load_curation(curation_path: str | Path) -> Curation | list[Curation]:
    """Read a curation JSON file (a dictionary, or a list of them for sequential curations).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    CurationFormatError
        If it is not valid JSON or breaks a rule of the format (the message names the file).
    """
    path = Path(curation_path)
    if not path.is_file():
        raise FileNotFoundError(f"curation_path: {path} does not exist")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CurationFormatError(f"{path}: not a JSON file ({error})") from None
    try:
        if isinstance(content, list):
            return [Curation.from_dict(step) for step in content]
        return Curation.from_dict(content)
    except (CurationFormatError, TypeError) as error:
        raise CurationFormatError(f"{path}: {error}") from None


def save_curation(curation, path: str | Path, overwrite: bool = False) -> Path | None:
    """Write a curation (or a list of sequential ones) as JSON, atomically.

    Parameters
    ----------
    curation : dict | Curation | list
        Checked before writing.
    path : str | Path
    overwrite : bool
        Replace an existing file; the old one is first kept as ``<name>.bak-<timestamp>``.

    Returns
    -------
    Path | None
        The backup of the replaced file, if any.
    """
    if isinstance(curation, list):
        content = [as_curation(step).to_dict() for step in curation]
    else:
        content = as_curation(curation).to_dict()
    data = json.dumps(content, indent=2).encode("utf-8")
    return write_with_backup(path, data, overwrite)


def curation_label_to_vectors(curation_dict_or_model) -> dict[str, np.ndarray]:
    """Labels as one array per property, in the order of the curation's ``unit_ids``.

    An exclusive category gives a string array named after it (``""`` without a label); a
    non-exclusive one a boolean array per option.
    """
    return as_curation(curation_dict_or_model).label_vectors()


def curation_label_to_dataframe(curation_dict_or_model):
    """`curation_label_to_vectors` as a pandas DataFrame indexed by unit id."""
    import pandas as pd

    curation = as_curation(curation_dict_or_model)
    return pd.DataFrame(curation.label_vectors(), index=list(curation.unit_ids))


def apply_curation(
    sorting_or_analyzer,
    curation_dict_or_model,
    censor_ms: float | None = None,
    new_id_strategy: str = "append",
    merging_mode: str = "soft",
    sparsity_overlap: float = 0.75,
    raise_error_if_overlap_fails: bool = True,
    verbose: bool = False,
    **job_kwargs,
) -> CuratedSorting:
    """Apply a curation to a sorting: labels, then removals, then merges, then splits.

    Parameters
    ----------
    sorting_or_analyzer : BaseSorting
        The sorting (sorting analyzers and waveform extractors are not supported: pass their
        sorting).
    curation_dict_or_model : dict | Curation | list
        A curation, or a list of curations applied one after the other (each but the last with
        explicit new unit ids, as SpikeInterface requires).
    censor_ms : float | None
        In merged units, drop a spike closer than this to the spike before it.
    new_id_strategy : {"append", "take_first", "join"}
        How new ids are chosen when the curation gives none (see `core.curation.unit_ids`).
        Splits without new ids accept ``"append"`` (and ``"split"``), as in SpikeInterface.
    merging_mode, sparsity_overlap, raise_error_if_overlap_fails, verbose, **job_kwargs
        Accepted for SpikeInterface compatibility; they concern sorting analyzers only.

    Returns
    -------
    CuratedSorting
        Lazy; labels are properties (exclusive categories as strings, others as one boolean per
        option), ``is_merged`` / ``is_split`` mark the new units.

    Raises
    ------
    TypeError
        For an input that is not a sorting or a curation.
    CurationFormatError
        If the curation breaks a rule of the format or does not fit the sorting.
    """
    if not isinstance(sorting_or_analyzer, BaseSorting):
        raise TypeError(
            "apply_curation(): sorting_or_analyzer must be a sorting (sorting analyzers and "
            f"waveform extractors are not supported: pass their sorting), got "
            f"{type(sorting_or_analyzer).__name__}"
        )
    if isinstance(curation_dict_or_model, list):
        curations = [as_curation(step) for step in curation_dict_or_model]
        _check_sequence(curations)
        curated = sorting_or_analyzer
        for curation in curations:
            curated = apply_curation(curated, curation, censor_ms, new_id_strategy)
        return curated
    curation = as_curation(curation_dict_or_model)
    check_unit_ids_match(curation, sorting_or_analyzer)
    parts = check_splits_fit(curation, sorting_or_analyzer)
    steps = curation_steps(
        curation, sorting_or_analyzer.unit_ids, parts, censor_ms, new_id_strategy
    )
    return CuratedSorting(sorting_or_analyzer, steps)


def _check_sequence(curations: list[Curation]) -> None:
    for i, curation in enumerate(curations[:-1]):
        if any(m.new_unit_id is None for m in curation.merges) or any(
            s.new_unit_ids is None for s in curation.splits
        ):
            raise CurationFormatError(
                f"curation {i} of the sequence: every merge and split except in the last "
                "curation must give its new unit ids"
            )


def curation_steps(
    curation: Curation,
    unit_ids,
    split_parts: Sequence[Sequence[np.ndarray]],
    censor_ms: float | None,
    new_id_strategy: str,
) -> list[dict]:
    """The `CuratedSorting` steps of a checked curation (new ids resolved).

    Parameters
    ----------
    curation : Curation
    unit_ids : array-like
        The sorting's unit ids, in order.
    split_parts : list
        Each split's parts (from `check_splits_fit`).
    censor_ms : float | None
    new_id_strategy : str
    """
    steps: list[dict] = []
    if curation.label_definitions:
        steps.append(
            {
                "op": "labels",
                "label_definitions": {
                    k: d.to_dict() for k, d in curation.label_definitions.items()
                },
                "manual_labels": [label.to_dict() for label in curation.manual_labels],
                "replace": True,
            }
        )
    current = as_python_ids(np.asarray(unit_ids))
    if curation.removed:
        steps.append({"op": "remove", "unit_ids": list(curation.removed)})
        removed = set(curation.removed)
        current = [u for u in current if u not in removed]
    if curation.merges:
        groups = [list(m.unit_ids) for m in curation.merges]
        given = [m.new_unit_id for m in curation.merges]
        new_ids = new_unit_ids_for_merges(
            _typed(current, unit_ids),
            groups,
            new_unit_ids=None if given[0] is None else given,
            new_id_strategy=new_id_strategy,
        )
        steps.append(
            {"op": "merge", "unit_groups": groups, "new_unit_ids": new_ids, "censor_ms": censor_ms}
        )
        current = unit_ids_after_merges(current, groups, new_ids)
    if curation.splits:
        split_ids = [s.unit_id for s in curation.splits]
        given = [s.new_unit_ids for s in curation.splits]
        new_ids = new_unit_ids_for_splits(
            _typed(current, unit_ids),
            split_ids,
            [len(p) for p in split_parts],
            new_unit_ids=None if given[0] is None else [list(g) for g in given],
            new_id_strategy=new_id_strategy,
        )
        steps.append(
            {
                "op": "split",
                "splits": [
                    {"unit_id": u, "indices": list(parts), "new_unit_ids": ids}
                    for u, parts, ids in zip(split_ids, split_parts, new_ids)
                ],
            }
        )
    return steps


def _typed(ids: list, like) -> np.ndarray:
    like = np.asarray(like)
    if like.dtype.kind in "US":
        return np.array(ids, dtype=str) if ids else like[:0]
    return np.array(ids, dtype="int64") if ids else np.zeros(0, dtype="int64")


def apply_merges_to_sorting(
    sorting: BaseSorting,
    merge_unit_groups,
    new_unit_ids=None,
    censor_ms: float | None = None,
    return_extra: bool = False,
    new_id_strategy: str = "append",
):
    """Merge groups of units (lazily).

    Parameters
    ----------
    sorting : BaseSorting
    merge_unit_groups : list of list
        Unit ids of each merge (two at least).
    new_unit_ids : list | None
        Id of each merged unit; None: chosen by ``new_id_strategy``.
    censor_ms : float | None
        In merged units, drop a spike closer than this to the spike before it.
    return_extra : bool
        Also return the mask of the input's spike vector kept, and the new ids.
    new_id_strategy : {"append", "take_first", "join"}

    Returns
    -------
    CuratedSorting | tuple
        The merged sorting, or ``(sorting, keep_mask, new_unit_ids)`` with ``return_extra``.
    """
    if not isinstance(sorting, BaseSorting):
        raise TypeError(f"sorting must be a sorting, got {type(sorting).__name__}")
    groups = [as_python_ids(list(group)) for group in merge_unit_groups]
    new_ids = new_unit_ids_for_merges(sorting.unit_ids, groups, new_unit_ids, new_id_strategy)
    step = {"op": "merge", "unit_groups": groups, "new_unit_ids": new_ids, "censor_ms": censor_ms}
    merged = CuratedSorting(sorting, [step])
    if not return_extra:
        return merged
    return merged, _kept_spikes_mask(sorting, merged), new_ids


def _kept_spikes_mask(sorting: BaseSorting, curated: CuratedSorting) -> np.ndarray:
    """Which spikes of ``sorting``'s spike vector are still in ``curated``."""
    in_curated = np.zeros(curated._index.spikes.size, dtype=bool)
    for rows in curated.unit_state.rows.values():
        in_curated[rows] = True
    return in_curated[spike_vector_rows(sorting)]


def spike_vector_rows(sorting: BaseSorting) -> np.ndarray:
    """Rows, in the base spike vector, of each spike of ``sorting``'s vector (in its order).

    For a plain sorting these are ``0 .. n-1``; for a `CuratedSorting` the base rows of its
    units' spikes, in the order of its own spike vector.
    """
    if not isinstance(sorting, CuratedSorting):
        return np.arange(sorting.to_spike_vector().size)
    return sorting.spike_vector_base_rows()


def apply_splits_to_sorting(
    sorting: BaseSorting,
    unit_splits: Mapping,
    new_unit_ids=None,
    return_extra: bool = False,
    new_id_strategy: str = "append",
):
    """Split units (lazily).

    Parameters
    ----------
    sorting : BaseSorting
    unit_splits : dict
        ``unit_id -> list of spike index lists``: two lists at least, sharing out all the
        unit's spikes (numbered along its train across segments).
    new_unit_ids : list of list | None
        Ids of each split's units; None: chosen by ``new_id_strategy``.
    return_extra : bool
        Also return the new ids.
    new_id_strategy : {"append", "split"}

    Returns
    -------
    CuratedSorting | tuple
        The split sorting, or ``(sorting, new_unit_ids)`` with ``return_extra``.
    """
    if not isinstance(sorting, BaseSorting):
        raise TypeError(f"sorting must be a sorting, got {type(sorting).__name__}")
    if not isinstance(unit_splits, Mapping):
        raise TypeError("unit_splits must be a dictionary {unit_id: [indices, ...]}")
    split_ids = as_python_ids(list(unit_splits.keys()))
    parts = [[np.asarray(p, dtype="int64") for p in unit_splits[u]] for u in unit_splits]
    new_ids = new_unit_ids_for_splits(
        sorting.unit_ids, split_ids, [len(p) for p in parts], new_unit_ids, new_id_strategy
    )
    step = {
        "op": "split",
        "splits": [
            {"unit_id": u, "indices": unit_parts, "new_unit_ids": ids}
            for u, unit_parts, ids in zip(split_ids, parts, new_ids)
        ],
    }
    split = CuratedSorting(sorting, [step])
    return (split, new_ids) if return_extra else split
