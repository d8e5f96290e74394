"""Which extractor classes a dictionary may name.

Loading a folder or dictionary never imports a module named in the data: the ``class`` string is
looked up here, among classes this package defines. SpikeInterface's class paths are registered as
aliases, so dictionaries written by SpikeInterface load, and ours name SpikeInterface's classes so
that SpikeInterface loads our folders.
"""

from __future__ import annotations

import importlib

_classes: dict[str, type] = {}

#: Class name (the last part of each path it is registered under) -> the module that defines and
#: registers it: loading a dictionary imports that module only, not the whole package.
#: ``tests/core/test_lazy_imports.py`` checks that this names every registered class.
EXTRACTOR_MODULES: dict[str, str] = {
    "AppendSegmentRecording": "core.recording.segments",
    "AppendSegmentSorting": "core.sorting.segments",
    "AstypeRecording": "core.recording.slicing",
    "BinaryFolderRecording": "core.recording.binary",
    "BinaryRecordingExtractor": "core.recording.binary",
    "ChannelSliceRecording": "core.recording.slicing",
    "ChannelSliceSnippets": "core.snippets.slicing",
    "ChannelsAggregationRecording": "core.recording.aggregation",
    "ConcatenateSegmentRecording": "core.recording.segments",
    "ConcatenateSegmentSorting": "core.sorting.segments",
    "CuratedSorting": "core.curation.curated_sorting",
    "FrameSliceRecording": "core.recording.slicing",
    "FrameSliceSorting": "core.sorting.slicing",
    "GeneratedSorting": "core.generate.generated_sorting",
    "InjectTemplatesRecording": "core.generate.injection",
    "IntanRecordingExtractor": "core.formats.intan",
    "KiloSortSortingExtractor": "core.formats.phy",
    "NeoEvent": "core.formats.neo_event",
    "NeoRecording": "core.formats.neo_recording",
    "NoiseGeneratorRecording": "core.generate.noise",
    "NpyFolderEvent": "core.event.npy_folder",
    "NpyFolderSnippets": "core.snippets.npy",
    "NpySnippetsExtractor": "core.snippets.npy",
    "NpzFolderSorting": "core.sorting.folders",
    "NpzSortingExtractor": "core.sorting.npz",
    "NumpyEvent": "core.event.numpy",
    "NumpyFolderSorting": "core.sorting.folders",
    "NumpyRecording": "core.recording.numpy",
    "NumpySnippets": "core.snippets.numpy",
    "NumpySorting": "core.sorting.numpy",
    "OpenEphysBinaryEventExtractor": "core.formats.openephys",
    "OpenEphysBinaryRecordingExtractor": "core.formats.openephys",
    "PhySortingExtractor": "core.formats.phy",
    "SelectSegmentRecording": "core.recording.segments",
    "SelectSegmentSnippets": "core.snippets.segments",
    "SelectSegmentSorting": "core.sorting.segments",
    "SharedMemoryRecording": "core.recording.numpy",
    "SharedMemorySorting": "core.sorting.numpy",
    "SpikeGLXEventExtractor": "core.formats.spikeglx",
    "SpikeGLXRecordingExtractor": "core.formats.spikeglx",
    "SplitSegmentSorting": "core.sorting.segments",
    "TransformSorting": "core.sorting.transform",
    "UnitsAggregationSorting": "core.sorting.aggregation",
    "UnitsSelectionSorting": "core.sorting.slicing",
    "ZarrRecordingExtractor": "core.recording.zarr",
    "ZarrSortingExtractor": "core.sorting.zarr",
}


def register_extractor_class(cls: type, *class_paths: str) -> type:
    """Register ``cls`` under its own import path and each of ``class_paths``.

    The first of ``class_paths`` (if any) becomes the path written by ``to_dict``.
    """
    own = f"{cls.__module__}.{cls.__qualname__}"
    cls._dict_class_path = class_paths[0] if class_paths else own
    for path in (own, *class_paths):
        _classes[path] = cls
    return cls


def extractor_class_from_path(class_path: str) -> type:
    """Return the registered class for ``class_path``.

    Raises
    ------
    ValueError
        If the class is not one this package knows (nothing is imported from the data).
    """
    name = class_path.rsplit(".", 1)[-1]
    if class_path not in _classes and name in EXTRACTOR_MODULES:
        importlib.import_module(EXTRACTOR_MODULES[name])  # registers the classes it defines
    try:
        return _classes[class_path]
    except KeyError:
        matches = [c for path, c in _classes.items() if path.rsplit(".", 1)[-1] == name]
        if len({id(c) for c in matches}) == 1:
            return matches[0]
        raise ValueError(
            f"unknown extractor class {class_path!r}: SpikeDesk can only rebuild the classes it "
            "implements (it never imports code named in a data file)"
        ) from None


def define_function_from_class(source_class: type, name: str) -> type:
    """SpikeInterface's way to name a reader function after a class: it is the class itself.

    Parameters
    ----------
    source_class : type
    name : str
        The function name (unused: ``read_binary is BinaryRecordingExtractor``).

    Returns
    -------
    type
        ``source_class``.
    """
    return source_class
