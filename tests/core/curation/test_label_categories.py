"""Label categories added during a curation: journalled, restored, exported, checked."""

import json

import pytest

from core.curation import CurationSession, apply_curation, find_journal, journal_summary
from core.loading import load_extractor

from .helpers import small_sorting


@pytest.fixture
def saved_sorting(tmp_path):
    return small_sorting(unit_ids=(0, 1, 2, 3), seed=2).save(
        folder=tmp_path / "sorting", verbose=False
    )


def test_an_added_category_labels_units_and_is_exported(saved_sorting):
    session = CurationSession(saved_sorting)
    session.add_label_definition("tags", ["burst", "drift", "edge"], exclusive=False)
    session.label([0, 1], ["burst", "edge"], key="tags")
    assert session.get_labels(0) == {"tags": ("burst", "edge")}
    content = session.curation_dict()
    assert content["label_definitions"]["tags"] == {
        "name": "tags",
        "label_options": ["burst", "drift", "edge"],
        "exclusive": False,
    }
    curated = apply_curation(saved_sorting, content)
    assert curated.get_property("burst").tolist() == [True, True, False, False]
    assert curated.get_property("drift").tolist() == [False] * 4


def test_an_exclusive_category_becomes_a_string_property(saved_sorting):
    session = CurationSession(saved_sorting)
    session.add_label_definition("shape", ["narrow", "wide"])
    session.label([2], "wide")
    assert session.sorting.get_property("shape").tolist() == ["", "", "wide", ""]


def test_categories_survive_restore_and_undo(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path / "journals")
    session.label([0], "good")
    session.add_label_definition("shape", ["narrow", "wide"])
    session.label([1], "narrow", key="shape")
    session.undo()
    session.close()
    lines = [json.loads(line) for line in session.journal_path.read_text().splitlines()[1:]]
    assert [r["type"] for r in lines] == ["action", "label_definition", "action", "undo"]
    path = find_journal(load_extractor(tmp_path / "sorting"), tmp_path / "journals")
    assert journal_summary(path).num_actions == 1
    restored = CurationSession.restore(path, load_extractor(tmp_path / "sorting"))
    assert list(restored.label_definitions) == ["quality", "shape"]
    restored.redo()
    assert restored.get_labels(1) == {"shape": ("narrow",)}


@pytest.mark.parametrize(
    "args, message",
    [
        (("quality", ["a", "b"]), "exists already"),
        (("", ["a", "b"]), "non-empty"),
        (("shape", ["only"]), "at least two options"),
        (("shape", ["a", "a"]), "listed twice"),
        (("tags", ["quality", "other"], False), "would also come from"),
        (("tags", ["group", "other"], False), "already has the property 'group'"),
    ],
)
def test_bad_categories_are_refused_and_not_recorded(saved_sorting, tmp_path, args, message):
    saved_sorting.set_property("group", [0, 0, 1, 1])
    session = CurationSession(saved_sorting, journal_folder=tmp_path / "journals")
    with pytest.raises(ValueError, match=message):
        session.add_label_definition(*args)
    assert list(session.label_definitions) == ["quality"]
    assert len(session.journal_path.read_text().splitlines()) == 1
