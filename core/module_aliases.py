"""SpikeInterface's module paths as ``core.<module>``: one table of aliases onto our modules.

Scripts import from ``spikeinterface.core``'s submodules (``from spikeinterface.core.recording_tools
import get_noise_levels``, ``import spikeinterface.core.job_tools``). With the import changed to
``core`` these paths must exist, yet our folders are laid out by job, not as SpikeInterface's
flat files. `MODULE_ALIASES` says, for each SpikeInterface 0.100.8 module, which of our modules
holds each of its public names; `install_module_aliases` registers one light module object per
alias in ``sys.modules``. An alias module imports nothing until a name is read from it, and then
reads the name from the real module every time (module-level state such as
``global_job_kwargs`` stays live).

Two of SpikeInterface's paths are real modules here (``core.base``, ``core.generate``), as is
``core.testing``; they define SpikeInterface's names themselves and need no alias.
"""

from __future__ import annotations

import importlib
import sys
import types

__all__ = ["MODULE_ALIASES", "install_module_aliases"]

#: ``alias -> {real module: "name name ..."}``; ``"si_name=our_name"`` where we use another name.
MODULE_ALIASES: dict[str, dict[str, str]] = {
    "baserecording": {"core.recording.base": "BaseRecording BaseRecordingSegment"},
    "basesorting": {
        "core.sorting.base": "minimum_spike_dtype BaseSorting BaseSortingSegment",
        "core.sorting.numpy": "SpikeVectorSortingSegment",
    },
    "baseevent": {"core.event.base": "BaseEvent BaseEventSegment"},
    "basesnippets": {"core.snippets.base": "BaseSnippets BaseSnippetsSegment"},
    "baserecordingsnippets": {"core.recording.channels": "BaseRecordingSnippets"},
    "binaryfolder": {"core.recording.binary": "BinaryFolderRecording read_binary_folder"},
    "binaryrecordingextractor": {
        "core.recording.binary": (
            "BinaryRecordingExtractor BinaryRecordingSegment "
            "BinDatRecordingExtractor=BinaryRecordingExtractor read_binary"
        )
    },
    "channelsaggregationrecording": {
        "core.recording.aggregation": (
            "ChannelsAggregationRecording ChannelsAggregationRecordingSegment aggregate_channels"
        )
    },
    "channelslice": {
        "core.recording.slicing": "ChannelSliceRecording ChannelSliceRecordingSegment",
        "core.snippets.slicing": "ChannelSliceSnippets ChannelSliceSnippetsSegment",
    },
    "core_tools": {
        "core.registry": "define_function_from_class",
        "core.python_params": "read_python write_python",
        "core.json_io": "SIJsonEncoder check_json",
        "core.extractor_dict": (
            "add_suffix is_dict_extractor recursive_path_modifier check_paths_relative "
            "make_paths_relative make_paths_absolute recursive_key_finder"
        ),
        "core.shared_memory": "make_shared_array",
        "core.jobs.units": "convert_seconds_to_str convert_bytes_to_str",
        "core.version": "is_editable_mode",
        "core.distributions": "normal_pdf",
    },
    "datasets": {"core.formats.datasets": "download_dataset"},
    "frameslicerecording": {
        "core.recording.slicing": "FrameSliceRecording FrameSliceRecordingSegment"
    },
    "frameslicesorting": {"core.sorting.slicing": "FrameSliceSorting FrameSliceSortingSegment"},
    "globals": {
        "core.jobs.job_kwargs": (
            "job_keys get_global_job_kwargs set_global_job_kwargs reset_global_job_kwargs "
            "is_set_global_job_kwargs_set global_job_kwargs=_global_job_kwargs "
            "global_job_kwargs_set=_global_job_kwargs_set"
        ),
        "core.jobs.globals": (
            "get_global_tmp_folder set_global_tmp_folder is_set_global_tmp_folder "
            "reset_global_tmp_folder get_global_dataset_folder set_global_dataset_folder "
            "is_set_global_dataset_folder temp_folder_set=_tmp_folder_set "
            "dataset_folder_set=_dataset_folder_set"
        ),
    },
    "job_tools": {
        "core.jobs.job_kwargs": (
            "job_keys fix_job_kwargs split_job_kwargs ensure_n_jobs ensure_chunk_size"
        ),
        "core.jobs.executor": (
            "divide_segment_into_chunks divide_recording_into_chunks ChunkRecordingExecutor "
            "worker_initializer function_wrapper"
        ),
        "core.jobs.pools": "MockFuture MockPoolExecutor MockQueue get_poolexecutor",
    },
    "node_pipeline": {
        "core.jobs.node_pipeline": (
            "base_peak_dtype PipelineNode PeakSource PeakDetector PeakRetriever SpikeRetriever "
            "sorting_to_peaks WaveformsNode ExtractDenseWaveforms ExtractSparseWaveforms "
            "find_parent_of_type check_graph run_node_pipeline GatherToMemory GatherToNpy "
            "GatherToHdf5"
        )
    },
    "npyfoldersnippets": {"core.snippets.npy": "NpyFolderSnippets read_npy_snippets_folder"},
    "npysnippetsextractor": {
        "core.snippets.npy": "NpySnippetsExtractor read_npy_snippets",
        "core.snippets.numpy": "NpySnippetsSegment=NumpySnippetsSegment",
    },
    # an empty module in SpikeInterface 0.100 (its classes moved to sortingfolder)
    "npzfolder": {},
    "npzsortingextractor": {
        "core.sorting.npz": "NpzSortingExtractor read_npz_sorting",
        "core.sorting.numpy": "NpzSortingSegment=SpikeVectorSortingSegment",
    },
    "numpyextractors": {
        "core.sorting.base": "minimum_spike_dtype",
        "core.recording.numpy": "NumpyRecording NumpyRecordingSegment SharedMemoryRecording",
        "core.sorting.numpy": "NumpySorting SharedMemorySorting",
        "core.event.numpy": "NumpyEvent NumpyEventSegment",
        "core.snippets.numpy": "NumpySnippets NumpySnippetsSegment",
    },
    "recording_tools": {
        "core.recording.writing": (
            "read_binary_recording write_binary_recording write_binary_recording_file_handle "
            "write_memory_recording write_to_h5_dataset_format determine_cast_unsigned"
        ),
        "core.recording.tools": (
            "get_random_data_chunks get_channel_distances get_closest_channels get_noise_levels "
            "get_chunk_with_margin order_channels_by_depth check_probe_do_not_overlap "
            "get_rec_attributes"
        ),
    },
    "segmentutils": {
        "core.recording.segments": (
            "AppendSegmentRecording ProxyAppendRecordingSegment=ProxyRecordingSegment "
            "append_recordings "
            "ConcatenateSegmentRecording ProxyConcatenateRecordingSegment concatenate_recordings "
            "SelectSegmentRecording split_recording select_segment_recording"
        ),
        "core.sorting.segments": (
            "AppendSegmentSorting ProxyAppendSortingSegment=ProxySortingSegment append_sortings "
            "ConcatenateSegmentSorting ProxyConcatenateSortingSegment=ConcatenateSortingSegment "
            "concatenate_sortings "
            "SplitSegmentSorting split_sorting SelectSegmentSorting select_segment_sorting"
        ),
    },
    "snippets_tools": {"core.snippets.from_sorting": "snippets_from_sorting"},
    "sorting_tools": {
        "core.sorting.spike_vector": (
            "spike_vector_to_spike_trains vector_to_list_of_spiketrain_numpy "
            "get_numba_vector_to_list_of_spiketrain"
        ),
        "core.waveforms.sampling": "random_spikes_selection",
    },
    "sortingfolder": {
        "core.sorting.folders": (
            "NumpyFolderSorting NpzFolderSorting read_numpy_sorting_folder read_npz_folder"
        )
    },
    "sparsity": {
        "core.waveforms.sparsity": "ChannelSparsity compute_sparsity",
        "core.waveforms.api": "estimate_sparsity",
    },
    "template": {"core.waveforms.templates": "Templates"},
    "template_tools": {
        "core.waveforms.template_tools": (
            "get_template_amplitudes get_template_extremum_channel get_template_channel_sparsity "
            "get_template_extremum_channel_peak_shift get_template_extremum_amplitude"
        )
    },
    "unitsaggregationsorting": {
        "core.sorting.aggregation": (
            "UnitsAggregationSorting UnitsAggregationSortingSegment aggregate_units"
        )
    },
    "unitsselectionsorting": {
        "core.sorting.slicing": (
            "UnitsSelectionSorting UnitsSelectionSortingSegment=ProxySortingSegment"
        )
    },
    "waveform_extractor": {
        "core.waveforms.extractor": "WaveformExtractor",
        "core.waveforms.sampling": "select_random_spikes_uniformly",
        "core.waveforms.api": "extract_waveforms load_waveforms precompute_sparsity",
        "core.waveforms.extension": "BaseWaveformExtractorExtension",
    },
    "waveform_tools": {
        "core.waveforms.kernel": "extract_waveforms_to_buffers",
        "core.waveforms.buffers": (
            "allocate_waveforms_buffers distribute_waveforms_to_buffers "
            "extract_waveforms_to_single_buffer split_waveforms_by_units estimate_templates"
        ),
        "core.waveforms.extractor_recording": "has_exceeding_spikes",
    },
    "zarrextractors": {
        "core.sorting.base": "minimum_spike_dtype",
        "core.recording.zarr": (
            "ZarrRecordingExtractor ZarrRecordingSegment read_zarr_recording "
            "add_recording_to_zarr_group add_traces_to_zarr"
        ),
        "core.sorting.zarr": ("ZarrSortingExtractor read_zarr_sorting add_sorting_to_zarr_group"),
        "core.opening": "read_zarr",
        "core.zarr_v2_store": (
            "resolve_zarr_path get_default_zarr_compressor add_properties_and_annotations"
        ),
    },
    # older paths that 0.100 still ships
    "zarrrecordingextractor": {"core.recording.zarr": "ZarrRecordingExtractor"},
    "testing_tools": {
        "core.sorting.base": "minimum_spike_dtype",
        "core.generate.templates": "default_unit_params_range",
    },
}


def _parse(table: dict[str, str]) -> dict[str, tuple[str, str]]:
    """``{si_name: (real module, our name)}`` for one alias."""
    names: dict[str, tuple[str, str]] = {}
    for module, spec in table.items():
        for entry in spec.split():
            si_name, _, our_name = entry.partition("=")
            names[si_name] = (module, our_name or si_name)
    return names


class AliasModule(types.ModuleType):
    """A SpikeInterface module path whose names are read from our modules on access."""

    def __init__(self, name: str, names: dict[str, tuple[str, str]]) -> None:
        super().__init__(name, f"SpikeInterface's ``{name}``: see core.module_aliases.")
        self._alias_names = names
        self.__all__ = list(names)

    def __getattr__(self, name: str):
        # reached only for names not set on the module: every public name, read live
        try:
            module, our_name = self._alias_names[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module), our_name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._alias_names))


def install_module_aliases(package_name: str) -> None:
    """Register every alias of `MODULE_ALIASES` as a submodule of the package (once).

    Parameters
    ----------
    package_name : str
        The package (``"core"``), already in ``sys.modules``.
    """
    package = sys.modules[package_name]
    for alias, table in MODULE_ALIASES.items():
        name = f"{package_name}.{alias}"
        if name in sys.modules:
            continue
        module = AliasModule(name, _parse(table))
        module.__package__ = package_name
        sys.modules[name] = module
        setattr(package, alias, module)
