"""The Units menu (pytest-qt, offscreen): Extract Waveforms from its dialog into a folder that the
templates view then shows, cancel and failure leave nothing, Compute Sparsity, Open Waveforms."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

import core as si
from app.dialogs.compute_sparsity import ComputeSparsityDialog
from app.dialogs.extract_waveforms import ExtractWaveformsDialog
from app.jobs import JobManager, JobState, extract_waveforms_job
from app.main_window import MainWindow
from app.model.demo import make_demo_probe
from app.model.sparsity_methods import compute_session_sparsity

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def ground_truth():
    probe = make_demo_probe(num_shanks=2, contacts_per_shank=8)
    recording, sorting = si.generate_ground_truth_recording(
        durations=[3.0],
        num_channels=16,
        num_units=5,
        probe=probe,
        seed=11,
        sampling_frequency=30_000.0,
    )
    return recording.set_probe(probe, group_mode="by_shank"), sorting


def settle(qtbot, window) -> None:
    """Let the trace view draw what it asked for (its worker replies through the event loop)."""
    window.trace_fetcher.wait_until_idle(30)
    qtbot.wait(20)


@pytest.fixture
def window(qtbot, tmp_path, ground_truth):
    settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.errors = []
    window.show_error = lambda title, message: window.errors.append((title, message))
    window.show()
    qtbot.waitExposed(window)
    window.session.open(recording=ground_truth[0], sorting=ground_truth[1], source="gt")
    settle(qtbot, window)
    yield window
    window.job_manager.wait_for_all(60_000)
    left = window.job_manager.jobs
    settle(qtbot, window)
    window.close()
    window.deleteLater()
    assert not left, f"jobs left running: {left}"


def wait_for_jobs(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.job_manager.jobs, timeout=60_000)


def partial_leftovers(folder):
    return [p.name for p in folder.parent.iterdir() if p.name.startswith(folder.name)]


# --------------------------------------------------------------------------- dialog
def test_the_dialog_estimates_the_size_of_dense_and_sparse_output(qtbot, ground_truth, tmp_path):
    recording, sorting = ground_truth
    dialog = ExtractWaveformsDialog(recording, sorting, tmp_path / "wf")
    qtbot.addWidget(dialog)
    dialog.set_sparse(False)
    dialog.set_window(1.0, 2.0)
    dialog.set_max_spikes_per_unit(10)
    counts = np.minimum(sorting.count_num_spikes_per_unit(outputs="array"), 10)
    assert dialog.fit().needed == counts.sum() * 90 * 16 * 4
    assert "about" in dialog.estimate_text() and "free on that disk" in dialog.estimate_text()
    dialog.set_sparse(True)
    dialog.sparsity_form.set_method("best_channels")
    dialog.sparsity_form.set_value(4)
    assert dialog.fit().needed == counts.sum() * 90 * 4 * 4
    dialog.sparsity_form.set_method("snr")
    assert "at most" in dialog.estimate_text()


def test_the_dialog_refuses_an_existing_folder_until_replace_is_ticked(
    qtbot, ground_truth, tmp_path
):
    recording, sorting = ground_truth
    (tmp_path / "wf").mkdir()
    dialog = ExtractWaveformsDialog(recording, sorting, tmp_path / "wf")
    qtbot.addWidget(dialog)
    assert not dialog.can_accept() and "wf exists" in dialog.estimate_text()
    dialog.set_overwrite(True)
    assert dialog.can_accept() and dialog.options()["overwrite"] is True


def test_the_dialog_refuses_what_does_not_fit_the_disk(qtbot, ground_truth, tmp_path, monkeypatch):
    recording, sorting = ground_truth
    monkeypatch.setattr("app.dialogs.extract_waveforms.free_bytes", lambda folder: 1000)
    dialog = ExtractWaveformsDialog(recording, sorting, tmp_path / "wf")
    qtbot.addWidget(dialog)
    assert not dialog.can_accept() and "does not fit" in dialog.estimate_text()
    dialog.set_mode("memory")
    assert dialog.can_accept() and dialog.folder() is None


def test_the_dialog_options_are_extract_waveforms_arguments(qtbot, ground_truth, tmp_path):
    recording, sorting = ground_truth
    dialog = ExtractWaveformsDialog(recording, sorting, tmp_path / "wf")
    qtbot.addWidget(dialog)
    dialog.set_max_spikes_per_unit(None)
    dialog.sparsity_form.set_method("radius")
    dialog.sparsity_form.set_value(35.0)
    options = dialog.options()
    assert options["max_spikes_per_unit"] is None and options["radius_um"] == 35.0
    assert options["method"] == "radius" and options["sparse"] is True
    assert options["chunk_duration"] == "1s" and dialog.folder() == tmp_path / "wf"


# --------------------------------------------------------------------------- extraction
def test_extraction_from_the_dialog_opens_a_folder_the_templates_view_shows(
    qtbot, window, ground_truth, tmp_path
):
    recording, sorting = ground_truth
    unit = sorting.unit_ids[2].item()
    window.session.select_units([unit])
    view = window.views["templates"]

    def answer(recording, sorting, folder):
        dialog = ExtractWaveformsDialog(recording, sorting, tmp_path / "wf")
        qtbot.addWidget(dialog)
        dialog.set_max_spikes_per_unit(30)
        dialog.sparsity_form.set_method("radius")
        dialog.sparsity_form.set_value(40.0)
        dialog.set_n_jobs(1)
        return dialog.folder(), dialog.options()

    window.units.ask_extraction = answer
    with qtbot.waitSignal(view.drawn, timeout=60_000, check_params_cb=lambda: (
        window.session.waveform_extractor is not None
    )):  # fmt: skip
        window.menus.actions["extract_waveforms"].trigger()
        wait_for_jobs(qtbot, window)
    we = si.load_waveforms(tmp_path / "wf")
    assert window.session.waveform_extractor.folder == tmp_path / "wf"
    assert window.session.selected_unit_ids == (unit,)
    assert window.session.sparsity == we.sparsity
    view.wait_until_idle()
    qtbot.waitUntil(lambda: "waveforms" in view.info_text() and view.drawn_unit_ids() == [unit])
    channel = view._units[0].extremum_channel_id()
    sparse = we.sparsity.unit_id_to_channel_ids[unit].tolist()
    np.testing.assert_allclose(
        view.template_values(unit, channel), we.get_template(unit)[:, sparse.index(channel)],
        atol=1e-3,
    )  # fmt: skip
    assert str(tmp_path / "wf") in window.recent_files.paths()


def test_a_cancelled_extraction_leaves_no_folder(qtbot, tmp_path):
    probe = make_demo_probe(num_shanks=1, contacts_per_shank=16)
    recording, sorting = si.generate_ground_truth_recording(
        durations=[60.0], num_channels=16, num_units=5, probe=probe, seed=1
    )
    folder = tmp_path / "wf"
    job = extract_waveforms_job(
        recording, sorting, folder, sparse=False, n_jobs=1, chunk_duration="0.05s",
        max_spikes_per_unit=None,
    )  # fmt: skip
    # cancelled from the worker thread at the first progress report, with chunks still to go
    job.signals.progress.connect(lambda done, total: job.cancel(), Qt.DirectConnection)
    manager = JobManager()
    with qtbot.waitSignal(job.signals.cancelled, timeout=60_000):
        manager.submit(job)
    manager.wait_for_all(30_000)
    assert job.state is JobState.CANCELLED
    assert not folder.exists() and partial_leftovers(folder) == []


def test_a_failed_extraction_leaves_no_folder(qtbot, tmp_path, ground_truth):
    source, sorting = ground_truth
    saved = source.save(folder=tmp_path / "rec", progress_bar=False, n_jobs=1)
    recording = si.load_extractor(tmp_path / "rec")
    raw = next((tmp_path / "rec").glob("*.raw"))
    with open(raw, "r+b") as handle:  # cut the file after it was opened: reads fail midway
        handle.truncate(raw.stat().st_size // 3)
    folder = tmp_path / "wf"
    job = extract_waveforms_job(recording, sorting, folder, sparse=False, n_jobs=1)
    manager = JobManager()
    with qtbot.waitSignal(job.signals.failed, timeout=60_000) as failure:
        manager.submit(job)
    manager.wait_for_all(30_000)
    assert job.state is JobState.FAILED and failure.args[1]
    assert not folder.exists() and partial_leftovers(folder) == []
    del saved


# --------------------------------------------------------------------------- sparsity, open
def test_compute_sparsity_from_the_menu_sets_the_session_sparsity(qtbot, window, ground_truth):
    recording, sorting = ground_truth
    window.units.ask_sparsity = lambda has_extractor, properties: ("radius", 30.0, "neg")
    with qtbot.waitSignal(window.session.signals.sparsity, timeout=60_000):
        window.menus.actions["compute_sparsity"].trigger()
    expected = si.estimate_sparsity(recording, sorting, method="radius", radius_um=30.0)
    assert window.session.sparsity == expected


def test_by_property_without_waveforms_follows_each_units_channel(ground_truth):
    recording, sorting = ground_truth
    channels = {u: recording.channel_ids[9].item() for u in sorting.unit_ids.tolist()}
    sparsity = compute_session_sparsity(
        "by_property", "group", recording=recording, sorting=sorting, unit_channel_ids=channels
    )
    group = recording.get_channel_groups()[9]
    assert np.array_equal(sparsity.mask[0], recording.get_channel_groups() == group)


def test_the_sparsity_dialog_offers_template_methods_only_with_waveforms(qtbot):
    without = ComputeSparsityDialog(False, ["group"])
    qtbot.addWidget(without)
    keys = [without.form._method_box.itemData(i) for i in range(without.form._method_box.count())]
    assert keys == ["radius", "best_channels", "by_property"]
    with_waveforms = ComputeSparsityDialog(True, [])
    qtbot.addWidget(with_waveforms)
    with_waveforms.form.set_method("snr")
    with_waveforms.form.set_value(3.5)
    assert with_waveforms.choice() == ("snr", 3.5, "neg")


def test_open_waveforms_opens_the_chosen_folder(qtbot, window, ground_truth, tmp_path):
    recording, sorting = ground_truth
    si.extract_waveforms(
        recording, sorting, tmp_path / "wf", max_spikes_per_unit=5, progress_bar=False, n_jobs=1
    )
    window.ask_open_folder = lambda caption: str(tmp_path / "wf")
    window.opener.ask_choice = lambda title, text, choices: choices[0]  # replace the sorting
    window.menus.actions["open_waveforms"].trigger()
    assert window.session.waveform_extractor is not None
    assert window.session.waveform_extractor.folder == tmp_path / "wf"


def test_extract_is_disabled_without_a_sorting(qtbot, window):
    assert window.menus.actions["extract_waveforms"].isEnabled()
    wait_for_jobs(qtbot, window)  # the unit channels' estimate redraws the traces when done
    settle(qtbot, window)
    window.session.close()
    settle(qtbot, window)
    assert not window.menus.actions["extract_waveforms"].isEnabled()
    assert [a.text() for a in window.menus.menus["Units"].actions() if a.text()] == [
        "&Extract Waveforms…", "Compute &Sparsity…", "&Open Waveforms…",
    ]  # fmt: skip
