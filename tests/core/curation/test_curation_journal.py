"""The crash-safe journal: records on disk, restore, torn lines, a process killed mid-curation."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.curation import CurationSession, find_journal, journal_summary, list_journals
from core.curation.journal import read_journal
from core.loading import load_extractor

from .helpers import small_sorting, trains


@pytest.fixture
def saved_sorting(tmp_path):
    """A multi-segment sorting in a folder (so that another process opens the same one)."""
    return small_sorting(unit_ids=(0, 1, 2, 3, 4, 5), seed=4).save(
        folder=tmp_path / "sorting", verbose=False
    )


def curate(session: CurationSession) -> None:
    session.label([0, 1], "good")
    merged = session.merge([0, 1])
    session.split(2, indices=[[0, 2, 4]])
    session.remove([3])
    session.undo()
    session.label(merged, "mua")


def test_each_action_is_a_line_on_disk(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path / "journals")
    curate(session)
    lines = session.journal_path.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["kind"] == "spikedesk-curation-journal"
    assert header["sorting"]["unit_ids"] == [0, 1, 2, 3, 4, 5]
    assert header["sorting"]["source"].endswith("sorting")
    records = [json.loads(line) for line in lines[1:]]
    assert [r["type"] for r in records] == ["action"] * 4 + ["undo", "action"]
    assert [r["n"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[1]["action"] == {"type": "merge", "unit_ids": [0, 1], "new_unit_id": 6}


def test_restore_rebuilds_the_session_and_goes_on_writing(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path)
    curate(session)
    session.undo()
    session.close()
    reopened = load_extractor(tmp_path / "sorting")
    path = find_journal(reopened, tmp_path)
    assert path == session.journal_path
    restored = CurationSession.restore(path, reopened)
    assert restored.actions == session.actions
    assert restored.undone_actions == session.undone_actions  # redo survives a restart
    assert trains(restored.sorting) == trains(session.sorting)
    assert restored.unit_labels == session.unit_labels
    restored.redo()
    restored.remove([4])
    restored.close()
    again = CurationSession.restore(path, reopened)
    assert again.actions == restored.actions


def test_find_journal_prefers_the_newest_with_records(saved_sorting, tmp_path):
    first = CurationSession(saved_sorting, journal_folder=tmp_path)
    first.remove([5])
    first.close()
    CurationSession(saved_sorting, journal_folder=tmp_path).close()  # nothing recorded
    other = small_sorting(unit_ids=(0, 1), seed=9)
    CurationSession(other, journal_folder=tmp_path).remove([1])
    assert find_journal(saved_sorting, tmp_path) == first.journal_path
    assert len(list_journals(saved_sorting, tmp_path)) == 2
    assert find_journal(saved_sorting, tmp_path / "elsewhere") is None
    summary = journal_summary(first.journal_path)
    assert (summary.num_records, summary.num_actions) == (1, 1)


def test_a_journal_of_another_sorting_is_refused(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path)
    session.remove([5])
    with pytest.raises(ValueError, match="written for another sorting"):
        CurationSession.restore(session.journal_path, small_sorting(seed=11))


def test_a_sorting_whose_spikes_changed_in_place_is_refused(tmp_path):
    folder = tmp_path / "sorting"
    small_sorting(seed=4).save(folder=folder, verbose=False)
    session = CurationSession(load_extractor(folder), journal_folder=tmp_path / "journals")
    session.remove([0])
    spikes = np.load(folder / "spikes.npy")
    spikes["sample_index"] += 1  # same file, same units and counts, other spikes
    np.save(folder / "spikes.npy", spikes)
    changed = load_extractor(folder)
    assert find_journal(changed, tmp_path / "journals") is None
    with pytest.raises(ValueError, match="written for another sorting"):
        CurationSession.restore(session.journal_path, changed)


def test_in_memory_sortings_are_told_apart_by_their_spikes(tmp_path):
    session = CurationSession(small_sorting(seed=1), journal_folder=tmp_path)
    session.remove([0])
    assert find_journal(small_sorting(seed=1), tmp_path) == session.journal_path
    assert find_journal(small_sorting(seed=2), tmp_path) is None


def test_a_torn_last_line_is_ignored_then_cut_off(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path)
    curate(session)
    session.close()
    path = session.journal_path
    complete = path.read_bytes()
    with open(path, "ab") as file:
        file.write(b'{"n": 7, "type": "action", "action": {"type": "rem')  # cut short
    header, records, valid_size = read_journal(path)
    assert len(records) == 6 and valid_size == len(complete)
    with pytest.warns(UserWarning, match="incomplete last line"):
        restored = CurationSession.restore(path, saved_sorting)
    assert restored.actions == session.actions
    restored.remove([4])
    lines = path.read_text().splitlines()
    assert len(lines) == 8 and json.loads(lines[-1])["n"] == 7


def test_a_damaged_line_before_the_end_is_an_error(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path)
    curate(session)
    session.close()
    lines = session.journal_path.read_bytes().split(b"\n")
    lines[2] = b"garbage"
    session.journal_path.write_bytes(b"\n".join(lines))
    with pytest.raises(ValueError, match="line 3 is damaged"):
        CurationSession.restore(session.journal_path, saved_sorting)


def test_a_file_that_is_not_a_journal_is_refused(tmp_path, saved_sorting):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="not a SpikeDesk curation journal"):
        CurationSession.restore(path, saved_sorting)
    with pytest.raises(FileNotFoundError):
        CurationSession.restore(tmp_path / "missing.jsonl", saved_sorting)


# ---------------------------------------------------------------------- killed mid-curation
CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from core.curation import CurationSession
    from core.loading import load_extractor

    sys.path.insert(0, {tests!r})
    from curation_script import next_action

    session = CurationSession(load_extractor({sorting!r}), journal_folder={journals!r})
    for number in range(10_000):
        next_action(session, number)
        print(number, flush=True)  # only once the action is journalled
    """
)

SCRIPT = textwrap.dedent(
    """
    import numpy as np

    def next_action(session, number):
        rng = np.random.default_rng(number)
        ids = session.sorting.unit_ids.tolist()
        kind = number % 5
        if kind == 4 and session.can_undo:
            session.undo()
        elif kind == 1 and len(ids) > 2:
            session.merge([ids[0], ids[-1]])
        elif kind == 2:
            unit = ids[int(rng.integers(len(ids)))]
            count = session.sorting.count_num_spikes_per_unit()[unit]
            if count > 1:
                session.split(unit, indices=[list(range(count // 2))])
        else:
            session.label(ids[int(rng.integers(len(ids)))], ["good", "mua", "noise"][number % 3])
    """
)


def test_a_process_killed_mid_curation_loses_at_most_the_action_in_progress(tmp_path):
    sorting = small_sorting(unit_ids=tuple(range(12)), seed=5)
    sorting.save(folder=tmp_path / "sorting", verbose=False)
    (tmp_path / "curation_script.py").write_text(SCRIPT)
    code = CHILD.format(
        tests=str(tmp_path), sorting=str(tmp_path / "sorting"), journals=str(tmp_path / "journals")
    )
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        done = -1
        while done < 40:  # wait, through the pipe, until 41 calls have returned
            line = child.stdout.readline()
            assert line, child.stderr.read().decode()
            done = int(line)
        child.send_signal(signal.SIGKILL)  # while it is in the middle of later actions
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    reopened = load_extractor(tmp_path / "sorting")
    path = find_journal(reopened, tmp_path / "journals")
    restored = CurationSession.restore(path, reopened)
    _, records, _ = read_journal(path)

    # the restored session is the one the same actions give, up to the last one recorded
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "curation_script", tmp_path / "curation_script.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    expected = CurationSession(reopened, journal_folder=tmp_path / "replay")
    for number in range(done + 1):
        script.next_action(expected, number)
    # everything the killed process had reported done is in its journal
    assert len(read_journal(expected.journal_path)[1]) <= len(records)
    number = done + 1
    while len(read_journal(expected.journal_path)[1]) < len(records):
        script.next_action(expected, number)
        number += 1
    assert [a.to_json() for a in expected.actions] == [a.to_json() for a in restored.actions]
    assert trains(expected.sorting) == trains(restored.sorting)
    assert expected.unit_labels == restored.unit_labels
    assert np.array_equal(expected.sorting.unit_ids, restored.sorting.unit_ids)


def test_new_ids_are_never_reused_after_undo_even_when_restored(saved_sorting, tmp_path):
    session = CurationSession(saved_sorting, journal_folder=tmp_path / "journals")
    assert session.merge([0, 1]) == 6
    session.undo()
    assert session.merge([0, 2]) == 7  # 6 meant other spikes: views may still cache it
    assert session.split(3, indices=[[0]]) == [8, 9]
    session.close()
    restored = CurationSession.restore(session.journal_path, saved_sorting)
    assert restored.merge([7, 8]) == 10


def test_a_session_made_without_a_journal_starts_one_before_its_first_action(
    saved_sorting, tmp_path
):
    session = CurationSession(saved_sorting)
    session.prepare_journal()  # the slow part, ahead of time
    path = session.start_journal(tmp_path / "journals")
    session.merge([0, 1])
    restored = CurationSession.restore(path, saved_sorting)
    assert restored.unit_ids.tolist() == session.unit_ids.tolist()
    with pytest.raises(ValueError, match="has a journal already"):
        session.start_journal(tmp_path / "journals")
    late = CurationSession(saved_sorting)
    late.remove([0])
    with pytest.raises(ValueError, match="before the first action"):
        late.start_journal(tmp_path / "other")
    assert not (tmp_path / "other").exists()
