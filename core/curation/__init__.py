"""Curation: SpikeInterface's curation format, lazy curated sortings, undoable sessions."""

from .actions import LabelAction, MergeAction, RemoveAction, SplitAction, action_from_json
from .apply import (
    apply_curation,
    apply_merges_to_sorting,
    apply_splits_to_sorting,
    curation_label_to_dataframe,
    curation_label_to_vectors,
    load_curation,
    save_curation,
    validate_curation_dict,
)
from .curated_sorting import CuratedSorting
from .journal import JournalSummary, find_journal, journal_summary, list_journals
from .model import (
    Curation,
    CurationFormatError,
    LabelDefinition,
    ManualLabel,
    Merge,
    Split,
)
from .phy_export import PhyWriteBack, list_phy_backups, write_curation_to_phy
from .session import CurationSession

__all__ = [
    "PhyWriteBack",
    "list_phy_backups",
    "write_curation_to_phy",
    "CurationSession",
    "LabelAction",
    "MergeAction",
    "RemoveAction",
    "SplitAction",
    "action_from_json",
    "JournalSummary",
    "find_journal",
    "journal_summary",
    "list_journals",
    "Curation",
    "CurationFormatError",
    "CuratedSorting",
    "LabelDefinition",
    "ManualLabel",
    "Merge",
    "Split",
    "apply_curation",
    "apply_merges_to_sorting",
    "apply_splits_to_sorting",
    "curation_label_to_dataframe",
    "curation_label_to_vectors",
    "load_curation",
    "save_curation",
    "validate_curation_dict",
]
