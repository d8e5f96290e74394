"""GeneratedSorting: a sorting described by the seeded generator call that made it.

Synthetic sortings are held in memory, and an in-memory sorting cannot be written to JSON (its
spikes would have to be). The generators are deterministic for a given seed, so the call itself
describes the sorting: its dictionary names the generator and its arguments (the seed included,
drawn once when None), and loading it runs that generator again. A waveform folder made from
`generate_ground_truth_recording` therefore reopens with its recording from ``recording.json``,
without any pickle.

Only the generators registered here can be named: loading never runs anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..registry import register_extractor_class
from ..sorting.numpy import NumpySorting

#: Builders of plain NumpySortings, by the name a description gives them.
_BUILDERS: dict[str, Callable[..., NumpySorting]] = {}


def sorting_builder(name: str) -> Callable:
    """Register ``function(**generator_kwargs) -> NumpySorting`` under ``name`` (a decorator)."""

    def register(function: Callable[..., NumpySorting]) -> Callable[..., NumpySorting]:
        _BUILDERS[name] = function
        return function

    return register


def plain_values(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with numpy arrays and scalars as lists and Python numbers (JSON types)."""
    return {key: _plain(value) for key, value in kwargs.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class GeneratedSorting(NumpySorting):
    """A NumpySorting made by a registered generator, described by that generator's call.

    Parameters
    ----------
    generator : str
        Name of the generator (``"generate_sorting"``, ``"inject_some_duplicate_units"``,
        ``"inject_some_split_units"``, ``"add_synchrony_to_sorting"``).
    generator_kwargs : dict
        Its arguments, with a concrete seed; a parent sorting may be one of them.

    Raises
    ------
    ValueError
        If ``generator`` is not a registered generator.
    """

    #: Generators may set these per-unit properties; they are part of the description.
    _main_properties = ["gt_unit_locations"]

    def __init__(self, generator: str, generator_kwargs: dict[str, Any]) -> None:
        build = _BUILDERS.get(generator)
        if build is None:
            raise ValueError(
                f"generator {generator!r} is not one of SpikeDesk's sorting generators "
                f"({', '.join(sorted(_BUILDERS))})"
            )
        built = build(**generator_kwargs)
        super().__init__(
            built.to_spike_vector(),
            built.sampling_frequency,
            built.unit_ids,
            num_segments=built.get_num_segments(),
        )
        self._serializability["json"] = True
        self._kwargs = {"generator": generator, "generator_kwargs": dict(generator_kwargs)}


register_extractor_class(GeneratedSorting)
