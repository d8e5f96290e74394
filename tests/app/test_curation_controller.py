"""CurationController: actions reach the session, undo/redo, history, journal and restore."""

import numpy as np
import pytest

import core as si
from app.model.curation_controller import JOURNAL_FOLDER_NAME, CurationController, journal_folder
from app.model.session import Session

FS = 10_000.0


@pytest.fixture
def sorting_folder(tmp_path):
    sorting = si.NumpySorting.from_unit_dict(
        [
            {0: np.arange(100, 9000, 100), 1: np.arange(150, 9000, 300), 2: np.array([5, 50])},
            {0: np.array([10, 20]), 1: np.array([30]), 2: np.array([], "int64")},
        ],
        FS,
    )
    sorting.save(folder=tmp_path / "sorting")
    return tmp_path / "sorting"


@pytest.fixture
def session(sorting_folder):
    session = Session()
    session.open(sorting=si.load_extractor(sorting_folder))
    return session


def make(session, tmp_path, restore=True):
    asked = []

    def ask(summary):
        asked.append(summary)
        return restore

    controller = CurationController(session, tmp_path / "user", ask)
    controller.asked = asked
    return controller


def test_merge_shows_the_merged_unit_selected(session, tmp_path):
    controller = make(session, tmp_path)
    session.select_units([0, 1])
    controller.merge([0, 1])
    assert session.sorting.unit_ids.tolist() == [2, 3]
    assert session.selected_unit_ids == (3,)
    merged = np.sort(np.concatenate([np.arange(100, 9000, 100), np.arange(150, 9000, 300)]))
    np.testing.assert_array_equal(session.sorting.get_unit_spike_train(3, segment_index=0), merged)


def test_labels_become_the_quality_property(session, tmp_path):
    controller = make(session, tmp_path)
    controller.label([0, 2], "noise")
    assert controller.labels_of(0) == {"quality": ("noise",)}
    quality = dict(zip(session.sorting.unit_ids.tolist(), session.sorting.get_property("quality")))
    assert quality[0] == "noise" and quality[2] == "noise"


def test_split_the_picked_spikes_along_the_train_across_segments(session, tmp_path):
    controller = make(session, tmp_path)
    train0 = session.sorting.get_unit_spike_train(1, segment_index=0)
    session.select_spikes(1, [0, train0.size])  # the first spike of each segment
    controller.split_selected_spikes()
    new = list(session.selected_unit_ids)
    assert len(new) == 2 and 1 not in session.sorting.unit_ids.tolist()
    first = session.sorting.get_unit_spike_train(new[0], segment_index=0)
    assert first.tolist() == [150]
    assert session.sorting.get_unit_spike_train(new[0], segment_index=1).tolist() == [30]


def test_split_without_picked_spikes_says_what_to_do(session, tmp_path):
    with pytest.raises(ValueError, match="lasso"):
        make(session, tmp_path).split_selected_spikes()


def test_undo_redo_and_history(session, tmp_path):
    controller = make(session, tmp_path)
    controller.remove([2])
    controller.merge([0, 1])
    assert [h.text for h in controller.history()] == ["Remove 2", "Merge 0, 1 into 3"]
    controller.undo()
    assert session.sorting.unit_ids.tolist() == [0, 1]
    assert [h.done for h in controller.history()] == [True, False]
    controller.redo()
    assert session.sorting.unit_ids.tolist() == [3]
    controller.go_to(0)
    assert session.sorting.unit_ids.tolist() == [0, 1, 2] and controller.can_redo


def test_the_journal_goes_next_to_the_data_and_restores(session, sorting_folder, tmp_path):
    controller = make(session, tmp_path)
    controller.merge([0, 1])
    controller.label([3], "good")
    journal = controller.curation.journal_path
    assert journal.parent == sorting_folder / JOURNAL_FOLDER_NAME
    # the sorting is opened again (a new window, after a crash): the curation comes back
    reopened = Session()
    reopened.open(sorting=si.load_extractor(sorting_folder))
    restored = make(reopened, tmp_path, restore=True)
    assert restored.asked[0].num_actions == 2
    assert reopened.sorting.unit_ids.tolist() == [2, 3]
    assert restored.labels_of(3) == {"quality": ("good",)}


def test_declining_the_restore_starts_afresh(session, sorting_folder, tmp_path):
    make(session, tmp_path).merge([0, 1])
    reopened = Session()
    reopened.open(sorting=si.load_extractor(sorting_folder))
    fresh = make(reopened, tmp_path, restore=False)
    assert fresh.asked and fresh.curation is None
    assert reopened.sorting.unit_ids.tolist() == [0, 1, 2]


def test_read_only_data_keeps_its_journal_in_the_user_folder(sorting_folder, tmp_path):
    sorting = si.load_extractor(sorting_folder)
    folder = journal_folder(sorting, tmp_path / "user", writable=lambda path: False)
    assert folder.parent == tmp_path / "user" and folder.name.startswith("sorting-")
    assert journal_folder(sorting, tmp_path / "user").parent == sorting_folder


def test_an_in_memory_sorting_journals_in_the_user_folder(tmp_path):
    sorting = si.NumpySorting.from_unit_dict({0: np.array([1, 2]), 1: np.array([3])}, FS)
    session = Session()
    session.open(sorting=sorting)
    controller = make(session, tmp_path)
    controller.remove([1])
    assert controller.curation.journal_path.parent == tmp_path / "user" / "in-memory"


def test_opening_another_sorting_starts_a_new_curation(session, tmp_path):
    controller = make(session, tmp_path)
    controller.remove([2])
    other = si.NumpySorting.from_unit_dict({5: np.array([1])}, FS)
    session.open(sorting=other)
    assert controller.curation is None and controller.history() == []
