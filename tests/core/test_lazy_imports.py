"""``import core`` stays light: heavy dependencies are imported by the functions that use them.

Each import check runs in a fresh interpreter (``sys.modules`` of the test process already holds
everything), so it fails as soon as someone imports zarr, neo, probeinterface, scipy, pandas or
numcodecs at the top of a module on the way.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import numpy as np

import core
from core import opening, registry
from core.waveforms.extension import EXTENSION_MODULES
from core.waveforms.extractor import WaveformExtractor
from tests.subprocess_imports import modules_after

#: Imported only when a function needs them, never by ``import core``.
HEAVY = ("zarr", "numcodecs", "neo", "probeinterface", "scipy", "pandas", "requests")
ROOT = Path(__file__).resolve().parents[2]


def test_import_core_imports_no_heavy_package_and_no_qt():
    loaded = modules_after("import core")
    assert not loaded & {*HEAVY, "PySide6", "shiboken6", "pyqtgraph"}


def test_loading_a_binary_folder_without_probe_imports_no_heavy_package(tmp_path):
    recording = core.NumpyRecording([np.zeros((100, 4), dtype="int16")], sampling_frequency=1000.0)
    folder = tmp_path / "saved"
    recording.save(folder=folder, format="binary")
    loaded = modules_after(
        f"import core\nrecording = core.load_extractor({str(folder)!r})\n"
        "assert recording.get_traces().shape == (100, 4)"
    )
    assert not loaded & set(HEAVY)


def test_every_public_name_of_core_and_its_packages_resolves():
    for package in (core, *(importlib.import_module(f"core.{m.name}") for m in _subpackages())):
        names = getattr(package, "__all__", [])
        assert names, package.__name__
        for name in names:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
        assert set(names) <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error():
    try:
        core.not_a_spikeinterface_name  # noqa: B018
    except AttributeError as error:
        assert "not_a_spikeinterface_name" in str(error)
    else:
        raise AssertionError("core.not_a_spikeinterface_name did not raise")


def test_the_class_table_names_the_module_of_every_registered_class():
    _import_every_core_module()
    for path, cls in registry._classes.items():
        if not cls.__module__.startswith("core."):
            continue  # a class a test registered
        assert registry.EXTRACTOR_MODULES.get(path.rsplit(".", 1)[-1]) == cls.__module__, path


def test_the_opener_table_names_every_module_that_registers_an_opener():
    _import_every_core_module()
    modules = {o.open.__module__ for o in opening._openers.values()}
    modules = {m for m in modules if m.startswith("core.")}
    assert modules <= {"core.opening", *opening.OPENER_MODULES}


def _subpackages():
    return [m for m in pkgutil.iter_modules(core.__path__) if m.ispkg]


def _import_every_core_module() -> None:
    for module in pkgutil.walk_packages(core.__path__, "core."):
        if module.name.endswith("dask_engine"):
            continue  # needs the optional distributed extra
        importlib.import_module(module.name)


def test_the_extension_table_names_the_module_of_every_registered_extension():
    _import_every_core_module()
    for extension_class in WaveformExtractor.extensions:
        if extension_class.__module__.startswith("core."):
            name = extension_class.extension_name
            assert EXTENSION_MODULES.get(name) == extension_class.__module__, name


def test_a_stored_extension_loads_before_its_module_was_imported(tmp_path):
    rng = np.random.default_rng(0)
    traces = rng.normal(size=(30_000, 4)).astype("float32")
    recording = core.NumpyRecording([traces], sampling_frequency=30_000.0)
    recording.set_channel_locations(np.c_[np.zeros(4), np.arange(4) * 20.0])
    trains = {0: np.arange(100, 29_000, 300), 1: np.arange(200, 29_000, 500)}
    sorting = core.NumpySorting.from_unit_dict(trains, sampling_frequency=30_000.0)
    folder = tmp_path / "waveforms"
    we = core.extract_waveforms(recording, sorting, folder=folder, allow_unfiltered=True)
    core.compute_quality_metrics(we, metric_names=["firing_rate"])
    loaded = modules_after(
        f"import core\nwe = core.load_waveforms({str(folder)!r}, with_recording=False)\n"
        "assert 'quality_metrics' in we.get_available_extension_names()\n"
        "metrics = we.load_extension('quality_metrics').get_data()\n"
        "assert metrics['firing_rate'].tolist() == [97 / 1.0, 58 / 1.0], metrics"
    )
    assert "core" in loaded
