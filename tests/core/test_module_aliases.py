"""SpikeInterface 0.100.8's module paths import from ``core`` and expose their public names."""

import importlib
import subprocess
import sys

import pytest

import core
from core.module_aliases import MODULE_ALIASES

#: Public names defined by each module of ``spikeinterface.core`` 0.100.8 (read from its sources;
#: ``old_api_utils``, the bridge to the pre-0.90 API, is not implemented).
SI_MODULE_NAMES = {
    "node_pipeline": (
        "base_peak_dtype PipelineNode PeakSource PeakDetector PeakRetriever SpikeRetriever "
        "sorting_to_peaks WaveformsNode ExtractDenseWaveforms ExtractSparseWaveforms "
        "find_parent_of_type check_graph run_node_pipeline GatherToMemory GatherToNpy GatherToHdf5"
    ),
    "base": (
        "BaseExtractor load_extractor load_extractor_from_dict load_extractor_from_json "
        "load_extractor_from_pickle BaseSegment"
    ),
    "baserecording": "BaseRecording BaseRecordingSegment",
    "basesorting": "minimum_spike_dtype BaseSorting BaseSortingSegment SpikeVectorSortingSegment",
    "baseevent": "BaseEvent BaseEventSegment",
    "basesnippets": "BaseSnippets BaseSnippetsSegment",
    "baserecordingsnippets": "BaseRecordingSnippets",
    "binaryfolder": "BinaryFolderRecording read_binary_folder",
    "binaryrecordingextractor": (
        "BinaryRecordingExtractor BinaryRecordingSegment BinDatRecordingExtractor read_binary"
    ),
    "channelsaggregationrecording": (
        "ChannelsAggregationRecording ChannelsAggregationRecordingSegment aggregate_channels"
    ),
    "channelslice": (
        "ChannelSliceRecording ChannelSliceRecordingSegment ChannelSliceSnippets "
        "ChannelSliceSnippetsSegment"
    ),
    "core_tools": (
        "define_function_from_class read_python write_python SIJsonEncoder check_json "
        "add_suffix make_shared_array is_dict_extractor recursive_path_modifier "
        "check_paths_relative make_paths_relative make_paths_absolute "
        "recursive_key_finder convert_seconds_to_str convert_bytes_to_str "
        "is_editable_mode normal_pdf"
    ),
    "datasets": "download_dataset",
    "frameslicerecording": "FrameSliceRecording FrameSliceRecordingSegment",
    "frameslicesorting": "FrameSliceSorting FrameSliceSortingSegment",
    "generate": (
        "minimum_spike_dtype generate_recording generate_sorting add_synchrony_to_sorting "
        "generate_sorting_to_inject TransformSorting create_sorting_npz generate_snippets "
        "synthesize_poisson_spike_vector synthesize_random_firings "
        "clean_refractory_period inject_some_duplicate_units inject_some_split_units "
        "synthetize_spike_train_bad_isi NoiseGeneratorRecording "
        "NoiseGeneratorRecordingSegment noise_generator_recording "
        "generate_recording_by_size exp_growth generate_single_fake_waveform "
        "default_unit_params_range generate_templates InjectTemplatesRecording "
        "InjectTemplatesRecordingSegment inject_templates generate_channel_locations "
        "generate_unit_locations generate_ground_truth_recording"
    ),
    "globals": (
        "job_keys temp_folder_set get_global_tmp_folder set_global_tmp_folder "
        "is_set_global_tmp_folder reset_global_tmp_folder dataset_folder_set "
        "get_global_dataset_folder set_global_dataset_folder is_set_global_dataset_folder "
        "global_job_kwargs global_job_kwargs_set get_global_job_kwargs "
        "set_global_job_kwargs reset_global_job_kwargs is_set_global_job_kwargs_set"
    ),
    "job_tools": (
        "job_keys fix_job_kwargs split_job_kwargs divide_segment_into_chunks "
        "divide_recording_into_chunks ensure_n_jobs ensure_chunk_size "
        "ChunkRecordingExecutor worker_initializer function_wrapper MockFuture "
        "MockPoolExecutor MockQueue get_poolexecutor"
    ),
    "npyfoldersnippets": "NpyFolderSnippets read_npy_snippets_folder",
    "npysnippetsextractor": "NpySnippetsExtractor NpySnippetsSegment read_npy_snippets",
    "npzfolder": "",
    "npzsortingextractor": "NpzSortingExtractor NpzSortingSegment read_npz_sorting",
    "numpyextractors": (
        "minimum_spike_dtype NumpyRecording NumpyRecordingSegment SharedMemoryRecording "
        "NumpySorting SharedMemorySorting NumpyEvent NumpyEventSegment NumpySnippets "
        "NumpySnippetsSegment"
    ),
    "recording_tools": (
        "read_binary_recording write_binary_recording write_binary_recording_file_handle "
        "write_memory_recording write_to_h5_dataset_format determine_cast_unsigned "
        "get_random_data_chunks get_channel_distances get_closest_channels "
        "get_noise_levels get_chunk_with_margin order_channels_by_depth "
        "check_probe_do_not_overlap get_rec_attributes"
    ),
    "segmentutils": (
        "AppendSegmentRecording ProxyAppendRecordingSegment append_recordings "
        "ConcatenateSegmentRecording ProxyConcatenateRecordingSegment "
        "concatenate_recordings SelectSegmentRecording split_recording "
        "select_segment_recording AppendSegmentSorting ProxyAppendSortingSegment "
        "append_sortings ConcatenateSegmentSorting ProxyConcatenateSortingSegment "
        "concatenate_sortings SplitSegmentSorting split_sorting SelectSegmentSorting "
        "select_segment_sorting"
    ),
    "snippets_tools": "snippets_from_sorting",
    "sorting_tools": (
        "spike_vector_to_spike_trains vector_to_list_of_spiketrain_numpy "
        "get_numba_vector_to_list_of_spiketrain random_spikes_selection"
    ),
    "sortingfolder": (
        "NumpyFolderSorting NpzFolderSorting read_numpy_sorting_folder read_npz_folder"
    ),
    "sparsity": "ChannelSparsity compute_sparsity estimate_sparsity",
    "template": "Templates",
    "template_tools": (
        "get_template_amplitudes get_template_extremum_channel "
        "get_template_channel_sparsity get_template_extremum_channel_peak_shift "
        "get_template_extremum_amplitude"
    ),
    "testing": (
        "check_sorted_arrays_equal check_recordings_equal check_sortings_equal "
        "check_extractor_annotations_equal check_extractor_properties_equal"
    ),
    "unitsaggregationsorting": (
        "UnitsAggregationSorting UnitsAggregationSortingSegment aggregate_units"
    ),
    "unitsselectionsorting": "UnitsSelectionSorting UnitsSelectionSortingSegment",
    "waveform_extractor": (
        "WaveformExtractor select_random_spikes_uniformly extract_waveforms "
        "load_waveforms precompute_sparsity BaseWaveformExtractorExtension"
    ),
    "waveform_tools": (
        "extract_waveforms_to_buffers allocate_waveforms_buffers "
        "distribute_waveforms_to_buffers extract_waveforms_to_single_buffer "
        "split_waveforms_by_units has_exceeding_spikes estimate_templates"
    ),
    "zarrextractors": (
        "minimum_spike_dtype ZarrRecordingExtractor ZarrRecordingSegment "
        "ZarrSortingExtractor read_zarr_recording read_zarr_sorting read_zarr "
        "resolve_zarr_path get_default_zarr_compressor add_properties_and_annotations "
        "add_sorting_to_zarr_group add_recording_to_zarr_group add_traces_to_zarr"
    ),
    "testing_tools": "minimum_spike_dtype default_unit_params_range",
    "zarrrecordingextractor": "ZarrRecordingExtractor",
}


@pytest.mark.parametrize("module", sorted(SI_MODULE_NAMES))
def test_module_path_imports_and_exposes_spikeinterface_names(module):
    imported = importlib.import_module(f"core.{module}")
    missing = [name for name in SI_MODULE_NAMES[module].split() if not hasattr(imported, name)]
    assert missing == []


def test_every_alias_is_a_spikeinterface_module():
    assert set(MODULE_ALIASES) <= set(SI_MODULE_NAMES)
    real = {"base", "generate", "testing"}
    assert set(MODULE_ALIASES) | real == set(SI_MODULE_NAMES)


def test_from_import_gives_the_objects_of_core():
    from core.job_tools import ChunkRecordingExecutor, fix_job_kwargs
    from core.recording_tools import get_noise_levels
    from core.zarrextractors import read_zarr

    assert get_noise_levels is core.get_noise_levels
    assert fix_job_kwargs is core.fix_job_kwargs
    assert ChunkRecordingExecutor is core.ChunkRecordingExecutor
    assert read_zarr is core.read_zarr


def test_import_statement_binds_the_alias_module():
    import core.job_tools
    import core.recording_tools as recording_tools

    assert core.job_tools.ensure_n_jobs is core.ensure_n_jobs
    assert recording_tools is sys.modules["core.recording_tools"]


def test_renamed_names_point_at_our_classes():
    from core.binaryrecordingextractor import BinDatRecordingExtractor
    from core.segmentutils import ProxyAppendRecordingSegment

    from core.recording.segments import ProxyRecordingSegment

    assert BinDatRecordingExtractor is core.BinaryRecordingExtractor
    assert ProxyAppendRecordingSegment is ProxyRecordingSegment


def test_module_state_is_read_live(monkeypatch):
    from core.jobs import job_kwargs

    monkeypatch.setattr(job_kwargs, "_global_job_kwargs_set", False)
    assert core.globals.global_job_kwargs_set is False
    monkeypatch.setattr(job_kwargs, "_global_job_kwargs_set", True)
    assert core.globals.global_job_kwargs_set is True


def test_unknown_name_raises_attribute_and_import_errors():
    with pytest.raises(AttributeError, match="core.recording_tools"):
        core.recording_tools.no_such_helper  # noqa: B018
    with pytest.raises(ImportError):
        from core.recording_tools import no_such_helper  # noqa: F401


def test_dir_and_all_list_the_spikeinterface_names():
    names = set(SI_MODULE_NAMES["job_tools"].split())
    assert names <= set(dir(core.job_tools))
    assert names == set(core.job_tools.__all__)


def test_alias_modules_import_their_sources_only_when_a_name_is_read():
    code = (
        "import sys, core\n"
        "before = 'core.waveforms.buffers' in sys.modules\n"
        "core.waveform_tools.estimate_templates\n"
        "print(before, 'core.waveforms.buffers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]
