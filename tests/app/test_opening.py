"""Opener: what a path holds is added to the open data when it fits, replaced or opened alone
when the user says so; a waveform folder brings its recording, or asks where it is."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import core as si
from app.model.session import Session
from app.opening import CLOSE_ALL, LOCATE, REPLACE, WITHOUT, Opener


class Answers:
    """Scripted answers to the opener's questions; records what was asked."""

    def __init__(self, choices=(), paths=()):
        self.choices, self.paths = list(choices), list(paths)
        self.questions, self.errors = [], []

    def choose(self, title, text, choices):
        self.questions.append((text, choices))
        return self.choices.pop(0) if self.choices else None

    def path(self, caption, folder):
        return self.paths.pop(0) if self.paths else ""


def make_opener(session, answers, binary=None):
    return Opener(
        session,
        ask_binary_recording=binary or (lambda p: None),
        ask_choice=answers.choose,
        ask_path=answers.path,
        report_error=lambda title, text: answers.errors.append(text),
    )


@pytest.fixture
def recording():
    return si.generate_recording(
        num_channels=4, durations=[1.0], sampling_frequency=10_000.0, seed=0
    )


@pytest.fixture
def sorting():
    return si.NumpySorting.from_unit_dict(
        {0: np.arange(100, 9000, 300), 1: np.arange(50, 9000, 500)}, sampling_frequency=10_000.0
    )


@pytest.fixture
def folders(tmp_path, recording, sorting):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    sorting.save(folder=tmp_path / "sorting")
    return tmp_path


def test_a_sorting_opened_after_its_recording_is_added_without_a_question(folders):
    session, answers = Session(), Answers()
    opener = make_opener(session, answers)
    assert opener.open_paths([folders / "rec"]) == [folders / "rec"]
    assert opener.open_paths([folders / "sorting"]) == [folders / "sorting"]
    assert session.recording is not None and session.sorting is not None
    assert answers.questions == []


def test_a_second_recording_asks_replace_or_close_all(folders, recording):
    session, answers = Session(), Answers([REPLACE])
    opener = make_opener(session, answers)
    opener.open_paths([folders / "rec", folders / "sorting"])
    recording.save(folder=folders / "rec2", progress_bar=False)
    assert opener.open_paths([folders / "rec2"])
    text, choices = answers.questions[0]
    assert "recording is already open" in text and choices == [REPLACE, CLOSE_ALL]
    assert session.sorting is not None  # replaced the recording only
    assert str(folders / "rec2") in session.source


def test_close_all_opens_the_new_data_alone(folders, recording):
    session, answers = Session(), Answers([CLOSE_ALL])
    opener = make_opener(session, answers)
    opener.open_paths([folders / "rec", folders / "sorting"])
    recording.save(folder=folders / "rec2", progress_bar=False)
    opener.open_paths([folders / "rec2"])
    assert session.sorting is None and session.source == str(folders / "rec2")


def test_cancelling_the_question_keeps_what_is_open(folders, recording):
    session, answers = Session(), Answers([None])
    opener = make_opener(session, answers)
    opener.open_paths([folders / "rec"])
    before = session.recording
    recording.save(folder=folders / "rec2", progress_bar=False)
    assert opener.open_paths([folders / "rec2"]) == []
    assert session.recording is before


def test_a_sorting_that_does_not_fit_says_why_and_offers_to_open_it_alone(folders):
    session, answers = Session(), Answers([CLOSE_ALL])
    opener = make_opener(session, answers)
    opener.open_paths([folders / "rec"])
    other = si.NumpySorting.from_unit_dict({0: np.array([5])}, sampling_frequency=30_000.0)
    other.save(folder=folders / "other")
    assert opener.open_paths([folders / "other"])
    text, choices = answers.questions[0]
    assert "sampling frequency 30000 Hz" in text and choices == [CLOSE_ALL]
    assert session.recording is None and session.sorting is not None


@pytest.fixture
def waveform_folder(folders, recording, sorting):
    si.extract_waveforms(
        si.load_extractor(folders / "rec"),
        si.load_extractor(folders / "sorting"),
        folder=folders / "wf",
        max_spikes_per_unit=10,
        progress_bar=False,
    )
    return folders / "wf"


def test_a_waveform_folder_opens_with_its_recording_and_sorting(waveform_folder):
    session, answers = Session(), Answers()
    make_opener(session, answers).open_paths([waveform_folder])
    assert session.waveform_extractor is not None and session.recording is not None
    assert session.sorting.unit_ids.tolist() == [0, 1]
    assert answers.questions == [] and answers.errors == []


def test_a_waveform_folder_whose_recording_is_gone_asks_to_locate_it(waveform_folder, folders):
    shutil.move(folders / "rec", folders / "moved")
    session, answers = Session(), Answers([LOCATE], [str(folders / "moved")])
    make_opener(session, answers).open_paths([waveform_folder])
    assert "was not found" in answers.questions[0][0]
    assert session.recording is not None and session.waveform_extractor.has_recording()


def test_without_the_recording_the_templates_and_sorting_still_open(waveform_folder, folders):
    shutil.rmtree(folders / "rec")
    session, answers = Session(), Answers([WITHOUT])
    make_opener(session, answers).open_paths([waveform_folder])
    we = session.waveform_extractor
    assert we is not None and session.recording is None and not we.has_recording()
    assert we.get_template(0).shape[1] == 4


def test_the_open_recording_is_used_when_it_is_the_one(waveform_folder, folders):
    shutil.move(folders / "rec", folders / "moved")
    session, answers = Session(), Answers()
    opener = make_opener(session, answers)
    opener.open_paths([folders / "moved"])
    opener.open_paths([waveform_folder])
    assert session.waveform_extractor.has_recording() and answers.questions == []


def test_a_raw_file_nobody_recognises_goes_to_the_binary_dialog(tmp_path):
    path = tmp_path / "data.dat"
    np.zeros(400, "int16").tofile(path)
    asked = []
    binary = lambda p: asked.append(p) or si.BinaryRecordingExtractor(p, 1000.0, "int16", 4)  # noqa: E731
    session = Session()
    assert make_opener(session, Answers(), binary).open_paths([path]) == [path]
    assert asked == [path] and session.recording.get_num_samples() == 100


def test_unreadable_path_is_reported_and_nothing_changes(tmp_path):
    session, answers = Session(), Answers()
    assert make_opener(session, answers).open_paths([Path(tmp_path / "missing")]) == []
    assert "no such file" in answers.errors[0] and not session.has_data()
