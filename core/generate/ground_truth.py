"""Ground-truth recordings: noise plus the templates of synthetic units at their spikes."""

from __future__ import annotations

import numpy as np
from probeinterface import Probe, generate_multi_columns_probe

from ..argument_checks import checked_sampling_frequency, sampling_frequency_mismatch
from ..sorting.base import BaseSorting
from .injection import InjectTemplatesRecording
from .noise import NoiseGeneratorRecording, _checked_durations, ensure_seed
from .sorting import generate_sorting
from .templates import generate_templates, generate_unit_locations

_SEED_BOUND = 2**63


def generate_ground_truth_recording(
    durations: list[float] = [10.0],  # noqa: B006  SpikeInterface defaults, never mutated
    sampling_frequency: float = 25000.0,
    num_channels: int = 4,
    num_units: int = 10,
    sorting: BaseSorting | None = None,
    probe: Probe | None = None,
    generate_probe_kwargs: dict = dict(  # noqa: B006
        num_columns=2,
        xpitch=20,
        ypitch=20,
        contact_shapes="circle",
        contact_shape_params={"radius": 6},
    ),
    templates: np.ndarray | None = None,
    ms_before: float = 1.0,
    ms_after: float = 3.0,
    upsample_factor: int | None = None,
    upsample_vector: np.ndarray | None = None,
    generate_sorting_kwargs: dict = dict(firing_rates=15, refractory_period_ms=4.0),  # noqa: B006
    noise_kwargs: dict = dict(noise_level=5.0, strategy="on_the_fly"),  # noqa: B006
    generate_unit_locations_kwargs: dict = dict(  # noqa: B006
        margin_um=10.0, minimum_z=5.0, maximum_z=50.0, minimum_distance=20
    ),
    generate_templates_kwargs: dict = dict(),  # noqa: B006
    dtype="float32",
    seed: int | None = None,
) -> tuple[InjectTemplatesRecording, BaseSorting]:
    """A lazy recording of noise plus spike templates, and the sorting that is its ground truth.

    Parameters
    ----------
    durations : list of float
        Seconds per segment.
    sampling_frequency : float
        Hz.
    num_channels : int
        Channels (ignored when ``probe`` is given: one per contact).
    num_units : int
        Units (ignored when ``sorting`` is given).
    sorting : BaseSorting | None
        Spikes to inject; default `generate_sorting` with ``generate_sorting_kwargs``.
    probe : Probe | None
        Default: ``generate_multi_columns_probe(**generate_probe_kwargs)`` with enough contacts
        per column, cut to ``num_channels`` contacts; wired ``0..num_channels-1`` if unwired.
    generate_probe_kwargs : dict
        Arguments of ``probeinterface.generate_multi_columns_probe``.
    templates : np.ndarray | None
        ``(num_units, num_samples, num_channels[, upsample])``; default `generate_templates` for
        units placed by `generate_unit_locations`.
    ms_before, ms_after : float
        Template span around the spike (``nbefore = int(ms_before * fs / 1000)``).
    upsample_factor : int | None
        Sub-sample versions per generated template; each spike uses a random one unless
        ``upsample_vector`` says which.
    upsample_vector : np.ndarray | None
        Version of each spike (spike-vector order).
    generate_sorting_kwargs, noise_kwargs, generate_unit_locations_kwargs,
    generate_templates_kwargs : dict
        Arguments of `generate_sorting`, `NoiseGeneratorRecording`, `generate_unit_locations`
        and `generate_templates`.
    dtype : {"float32", "float64"}
        Dtype of the traces and templates.
    seed : int | None
        Seed of everything; None draws one. The recording is deterministic once built.

    Returns
    -------
    recording : InjectTemplatesRecording
        ``is_filtered=True``, probe attached, gains 1.0 and offsets 0.0.
    sorting : BaseSorting
        With the ``gt_unit_locations`` property ``(num_units, 3)`` when templates are generated.
    """
    durations = _checked_durations(durations)
    sampling_frequency = checked_sampling_frequency(sampling_frequency)
    sub_seeds = np.random.default_rng(ensure_seed(seed)).integers(0, _SEED_BOUND, size=5)
    sorting_seed, noise_seed, locations_seed, templates_seed, upsample_seed = map(int, sub_seeds)
    if sorting is None:
        sorting = generate_sorting(
            num_units=num_units,
            sampling_frequency=sampling_frequency,
            durations=durations,
            seed=sorting_seed,
            **generate_sorting_kwargs,
        )
    elif not np.isclose(sorting.sampling_frequency, sampling_frequency):
        raise ValueError(
            sampling_frequency_mismatch(
                "sorting",
                sorting.sampling_frequency,
                "the sampling_frequency argument",
                sampling_frequency,
            )
        )
    probe = _wired_probe(probe, num_channels, generate_probe_kwargs)
    num_channels = probe.get_contact_count()
    # Channel i is the contact wired to device channel i.
    channel_locations = probe.contact_positions[np.argsort(probe.device_channel_indices)]
    unit_locations = None
    if templates is None:
        unit_locations = generate_unit_locations(
            sorting.get_num_units(),
            channel_locations,
            seed=locations_seed,
            **generate_unit_locations_kwargs,
        )
        templates = generate_templates(
            channel_locations,
            unit_locations,
            sampling_frequency,
            ms_before,
            ms_after,
            seed=templates_seed,
            dtype=dtype,
            upsample_factor=upsample_factor,
            **generate_templates_kwargs,
        )
    templates = np.asarray(templates)
    if templates.ndim == 4 and upsample_vector is None:
        upsample_vector = np.random.default_rng(upsample_seed).integers(
            0, templates.shape[3], size=sorting.count_total_num_spikes()
        )
    noise = NoiseGeneratorRecording(
        num_channels=num_channels,
        sampling_frequency=sampling_frequency,
        durations=durations,
        dtype=dtype,
        seed=noise_seed,
        **noise_kwargs,
    )
    recording = InjectTemplatesRecording(
        sorting,
        templates,
        nbefore=int(ms_before * sampling_frequency / 1000.0),
        parent_recording=noise,
        upsample_vector=upsample_vector,
    )
    recording.annotate(is_filtered=True)
    recording.set_probe(probe, in_place=True)
    recording.set_channel_gains(1.0)
    recording.set_channel_offsets(0.0)
    if unit_locations is not None:
        sorting.set_property("gt_unit_locations", unit_locations)
    return recording, sorting


def _wired_probe(probe: Probe | None, num_channels: int, generate_probe_kwargs: dict) -> Probe:
    """The given probe (a wired copy if it has no wiring), or a new one with ``num_channels``."""
    if probe is None:
        kwargs = dict(generate_probe_kwargs)
        num_columns = int(kwargs.get("num_columns", 1))
        kwargs.setdefault("num_contact_per_column", -(-num_channels // num_columns))
        probe = generate_multi_columns_probe(**kwargs)
        if probe.get_contact_count() < num_channels:
            raise ValueError(
                f"generate_probe_kwargs give {probe.get_contact_count()} contacts for "
                f"num_channels={num_channels}"
            )
        probe = probe.get_slice(np.arange(num_channels))
    elif probe.device_channel_indices is not None:
        return probe
    else:
        probe = probe.copy()
    probe.set_device_channel_indices(np.arange(probe.get_contact_count()))
    return probe
