"""Rules of the curation format that need the sorting: matching unit ids, splits that fit."""

from __future__ import annotations

import numpy as np

from .model import Curation, CurationFormatError


def check_curation(curation: Curation, sorting=None) -> None:
    """Check every rule of the format, and with ``sorting`` those that need its units.

    Parameters
    ----------
    curation : Curation
    sorting : BaseSorting | None

    Raises
    ------
    CurationFormatError
    """
    from .parsing import parse_curation

    parse_curation(curation.to_dict())  # a Curation may have been built by hand
    if sorting is not None:
        check_unit_ids_match(curation, sorting)
        check_splits_fit(curation, sorting)


def sorting_id_kind(sorting) -> str | None:
    """``"integer"`` or ``"string"`` for the unit ids of ``sorting`` (None without units)."""
    if sorting.get_num_units() == 0:
        return None
    return "integer" if sorting.unit_ids.dtype.kind in "iu" else "string"


def check_unit_ids_match(curation: Curation, sorting) -> None:
    """The curation's ``unit_ids`` must be the sorting's (same type, same set).

    Raises
    ------
    CurationFormatError
        Naming a unit missing on either side, or the two id types.
    """
    sorting_kind = sorting_id_kind(sorting)
    curation_kind = (
        None
        if not curation.unit_ids
        else "integer"
        if isinstance(curation.unit_ids[0], int)
        else "string"
    )
    if sorting_kind and curation_kind and sorting_kind != curation_kind:
        raise CurationFormatError(
            f"unit_ids: the curation's unit ids are {curation_kind}s (e.g. "
            f"{curation.unit_ids[0]!r}) but the sorting's are {sorting_kind}s (e.g. "
            f"{sorting.unit_ids[0].item()!r})"
        )
    sorting_ids = sorting.unit_ids.tolist()
    listed = set(curation.unit_ids)
    for unit_id in sorting_ids:
        if unit_id not in listed:
            raise CurationFormatError(
                f"unit_ids: unit {unit_id!r} of the sorting is not in the curation's unit_ids "
                "(they must be the sorting's unit ids)"
            )
    present = set(sorting_ids)
    for unit_id in curation.unit_ids:
        if unit_id not in present:
            raise CurationFormatError(f"unit_ids: unit {unit_id!r} is not in the sorting")


def check_splits_fit(curation: Curation, sorting) -> list[list[np.ndarray]]:
    """Each split's parts for ``sorting``, checked: indices in range, two parts at least.

    Returns
    -------
    list of list of np.ndarray
        For each split, the sorted spike indices of each new unit.

    Raises
    ------
    CurationFormatError
    """
    if not curation.splits:
        return []
    counts = sorting.count_num_spikes_per_unit()
    all_parts = []
    for i, split in enumerate(curation.splits):
        try:
            parts = split.parts(counts[split.unit_id])
        except CurationFormatError as error:
            raise CurationFormatError(f"splits[{i}]: {error}") from None
        if len(parts) < 2:
            raise CurationFormatError(
                f"splits[{i}]: the split of unit {split.unit_id!r} gives a single unit (its "
                f"{counts[split.unit_id]} spikes all in one part); a split needs two parts at least"
            )
        if split.new_unit_ids is not None and len(split.new_unit_ids) != len(parts):
            raise CurationFormatError(
                f"splits[{i}]: {len(split.new_unit_ids)} new_unit_ids for the {len(parts)} units "
                f"the split of unit {split.unit_id!r} gives"
                + (
                    " (the spikes no index list names form one more unit)"
                    if split.mode == "indices" and len(parts) > len(split.indices)
                    else ""
                )
            )
        all_parts.append(parts)
    return all_parts
