"""``python -m app``: with no argument it describes the demo dataset; with paths, what it opens."""

from app.__main__ import main
from app.model.demo import make_demo_dataset


def test_demo_dataset_has_multi_shank_probe():
    demo = make_demo_dataset(duration_s=5.0)
    assert demo.recording.get_num_channels() == 64
    assert sorted(set(demo.recording.get_channel_groups().tolist())) == [0, 1, 2, 3]


def test_demo_dataset_has_sorting_events_and_snippets():
    demo = make_demo_dataset(duration_s=5.0)
    assert demo.sorting.get_num_units() == 24 and demo.sorting.has_recording()
    assert demo.events.get_event_times(channel_id="TTL1 stimulus").tolist() == [0.5, 2.5]
    assert demo.snippets.get_total_snippets() > 0
    assert demo.snippets.get_num_channels() == 64


def test_main_without_arguments_prints_demo_summary(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "demo dataset" in out and "64 contacts on 4 shanks" in out


def test_main_with_a_saved_folder_describes_it(tmp_path, capsys):
    demo = make_demo_dataset(duration_s=1.0)
    demo.recording.save(folder=tmp_path / "rec", progress_bar=False)
    assert main([str(tmp_path / "rec")]) == 0
    assert "BinaryFolderRecording: 64 channels" in capsys.readouterr().out
