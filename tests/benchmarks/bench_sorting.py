"""Benchmark: sortings of 10 million spikes over 500 units (1 h at 30 kHz, one segment).

Prints seconds and millions of spikes per second for: building the spike vector (from times
and labels, and from a dict of per-unit trains), getting every unit's train, frame and unit
views with their spike vector, aggregating two halves, and a ``numpy_folder`` save and load.

Usage: ``python tests/benchmarks/bench_sorting.py [--spikes 10_000_000] [--units 500]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.loading import load_extractor
from core.sorting.aggregation import aggregate_units
from core.sorting.numpy import NumpySorting

SAMPLING_FREQUENCY = 30_000.0
DURATION_S = 3600.0


def make_spikes(num_spikes: int, num_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted sample indices and unit labels: independent Poisson-like trains, lognormal rates."""
    rng = np.random.default_rng(0)
    rates = rng.lognormal(mean=0.0, sigma=1.0, size=num_units)
    labels = rng.choice(num_units, size=num_spikes, p=rates / rates.sum()).astype("int64")
    times = np.sort(rng.integers(0, int(SAMPLING_FREQUENCY * DURATION_S), size=num_spikes))
    return times, labels


def timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def all_trains(sorting) -> list[np.ndarray]:
    return [sorting.get_unit_spike_train(unit_id) for unit_id in sorting.unit_ids]


def run(num_spikes: int, num_units: int, folder: Path) -> list[tuple[str, float, int]]:
    """``(operation, seconds, spikes handled)`` rows."""
    times, labels = make_spikes(num_spikes, num_units)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(num_units + 1))
    unit_dict = {u: times[order[bounds[u] : bounds[u + 1]]] for u in range(num_units)}
    rows = []

    def row(name: str, function: Callable[[], object], spikes: int = num_spikes) -> object:
        seconds, result = timed(function)
        rows.append((name, seconds, spikes))
        return result

    sorting = row(
        "from_times_labels",
        lambda: NumpySorting.from_times_labels(times, labels, SAMPLING_FREQUENCY),
    )
    from_dict = row(
        "from_unit_dict", lambda: NumpySorting.from_unit_dict(unit_dict, SAMPLING_FREQUENCY)
    )
    row("precompute_spike_trains()", sorting.precompute_spike_trains)
    row(f"{num_units} x get_unit_spike_train (first access)", lambda: all_trains(from_dict))
    row(f"{num_units} x get_unit_spike_train (cached)", lambda: all_trains(from_dict))

    num_samples = int(SAMPLING_FREQUENCY * DURATION_S)
    sliced = row(
        "frame_slice(middle half)",
        lambda: sorting.frame_slice(num_samples // 4, 3 * num_samples // 4),
        0,
    )
    row("  .to_spike_vector()", sliced.to_spike_vector)
    row(f"  {num_units} x get_unit_spike_train", lambda: all_trains(sliced))
    selected = row(
        "select_units(every other unit)", lambda: sorting.select_units(sorting.unit_ids[::2]), 0
    )
    row("  .to_spike_vector()", selected.to_spike_vector)

    halves = [
        sorting.select_units(ids).to_numpy_sorting() for ids in np.array_split(sorting.unit_ids, 2)
    ]
    row(
        "aggregate_units(2 halves).to_spike_vector()",
        lambda: aggregate_units(halves).to_spike_vector(),
    )

    target = folder / "sorting"
    try:
        row("save(format='numpy_folder')", lambda: sorting.save(folder=target, verbose=False))
    except (ImportError, NotImplementedError) as error:
        print(f"note: numpy_folder save skipped ({type(error).__name__}: {error})")
        return rows
    loaded = row("load_extractor(folder)", lambda: load_extractor(target), 0)
    row("  .count_num_spikes_per_unit() (reads all)", loaded.count_num_spikes_per_unit)
    return rows


def print_table(rows: list[tuple[str, float, int]]) -> None:
    width = max(len(name) for name, _, _ in rows)
    print(f"{'operation':<{width}}  {'seconds':>9}  {'M spikes/s':>10}")
    print("-" * (width + 23))
    for name, seconds, spikes in rows:
        rate = f"{spikes / seconds / 1e6:10.1f}" if spikes and seconds > 0 else f"{'-':>10}"
        print(f"{name:<{width}}  {seconds:9.3f}  {rate}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spikes", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--folder", type=Path, default=None, help="where to save (a temp dir)")
    args = parser.parse_args()
    print(
        f"{args.spikes / 1e6:g} M spikes, {args.units} units, "
        f"{DURATION_S / 3600:g} h at {SAMPLING_FREQUENCY / 1000:g} kHz, 1 segment"
    )
    with tempfile.TemporaryDirectory(dir=args.folder, prefix="bench_sorting_") as folder:
        print_table(run(args.spikes, args.units, Path(folder)))


if __name__ == "__main__":
    main()
