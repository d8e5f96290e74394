"""Benchmark: curation actions on a 500-unit, 10 M-spike sorting (1 h at 30 kHz), on top of a
curation already under way, against SpikeInterface 0.100.8 and 0.105.3.

SpikeDesk: `CurationSession` with a journal (each action flushed and synced to disk before it
returns) over a saved numpy folder. SpikeInterface: ``CurationSorting`` (its lazy, undoable
curation, with ``delta_time_ms=None`` so that merges keep every spike, as ours do) and, in 0.105,
``apply_merges_to_sorting`` / ``apply_splits_to_sorting``. Everyone runs the same plan: prior
merges and removals, then timed merges, splits (50 % of a 50 000-spike unit, by index), removals,
labels and undos, plus the first read of each new unit's spike train. Each tool runs three
times, in alternating order; the best median of the three is kept (and its p95).

Usage (one benchmark at a time on this machine)::

    flock /work/bench.lock python tests/benchmarks/bench_curation.py [--spikes 10_000_000]
        [--units 500] [--reps 10] [--si0100 PATH] [--si0105 PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.curation import CurationSession
from core.loading import load_extractor
from core.sorting.numpy import NumpySorting

SAMPLING_FREQUENCY = 30_000.0
DURATION_S = 3600.0
SPLIT_UNIT_SPIKES = 50_000
WORKER = Path(__file__).with_name("si_curation_worker.py")
SI_VENVS = {
    "si0100": ("/work/si-venvs/si0100/bin/python", "spikeinterface==0.100.8"),
    "si0105": ("/work/si-venvs/si0105/bin/python", "spikeinterface==0.105.3"),
}


# ---------------------------------------------------------------------- data and plan
def make_sorting(num_spikes: int, num_units: int, num_big: int) -> NumpySorting:
    """``num_big`` units of exactly 50 000 spikes, the rest with lognormal rates."""
    rng = np.random.default_rng(0)
    big = num_big * SPLIT_UNIT_SPIKES
    rates = rng.lognormal(0.0, 1.0, num_units - num_big)
    labels = np.concatenate(
        [
            np.repeat(np.arange(num_big), SPLIT_UNIT_SPIKES),
            num_big + rng.choice(num_units - num_big, num_spikes - big, p=rates / rates.sum()),
        ]
    )
    times = rng.integers(0, int(SAMPLING_FREQUENCY * DURATION_S), num_spikes)
    order = np.argsort(times, kind="stable")
    return NumpySorting.from_times_labels(times[order], labels[order], SAMPLING_FREQUENCY)


def make_plan(folder: Path, num_units: int, num_big: int, reps: int, prior: int) -> dict:
    rng = np.random.default_rng(1)
    pool = [int(u) for u in rng.permutation(np.arange(num_big, num_units))]
    next_id = 10_000

    def take(n):
        return [pool.pop() for _ in range(n)]

    plan = {"folder": str(folder), "prior": [], "merges": [], "splits": [], "removes": []}
    for i in range(prior):
        if i % 2 == 0:
            plan["prior"].append({"type": "merge", "unit_ids": take(2), "new_unit_id": next_id})
            next_id += 1
        else:
            plan["prior"].append({"type": "remove", "unit_ids": take(1)})
    for _ in range(reps):
        plan["merges"].append({"unit_ids": take(2), "new_unit_id": next_id})
        next_id += 1
    for i in range(reps):
        half = np.sort(rng.permutation(SPLIT_UNIT_SPIKES)[: SPLIT_UNIT_SPIKES // 2])
        plan["splits"].append(
            {"unit_id": i, "indices": half.tolist(), "new_unit_ids": [next_id, next_id + 1]}
        )
        next_id += 2
    plan["removes"] = [{"unit_ids": take(1)} for _ in range(reps)]
    plan["labels"] = [{"unit_ids": take(1)} for _ in range(reps)]
    plan["undos"] = reps
    return plan


# ---------------------------------------------------------------------- SpikeDesk
def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_spikedesk(plan: dict, journal_folder: Path) -> dict:
    names = (
        "open",
        "merge",
        "merge_train",
        "split",
        "split_train",
        "remove",
        "label",
        "undo",
        "redo",
        "restore",
        "to_spike_vector",
        "curation_dict",
    )
    times = {k: [] for k in names}
    sorting = load_extractor(plan["folder"])
    sorting.to_spike_vector()
    seconds, session = timed(lambda: CurationSession(sorting, journal_folder=journal_folder))
    times["open"].append(seconds)
    for action in plan["prior"]:
        if action["type"] == "merge":
            session.merge(action["unit_ids"], new_unit_id=action["new_unit_id"])
        else:
            session.remove(action["unit_ids"])
    for merge in plan["merges"]:
        seconds, _ = timed(
            lambda m=merge: session.merge(m["unit_ids"], new_unit_id=m["new_unit_id"])
        )
        times["merge"].append(seconds)
        seconds, _ = timed(lambda m=merge: session.sorting.get_unit_spike_train(m["new_unit_id"]))
        times["merge_train"].append(seconds)
    for split in plan["splits"]:
        indices = np.asarray(split["indices"])
        seconds, _ = timed(
            lambda s=split, i=indices: session.split(
                s["unit_id"], indices=[i], new_unit_ids=s["new_unit_ids"]
            )
        )
        times["split"].append(seconds)
        seconds, _ = timed(
            lambda s=split: session.sorting.get_unit_spike_train(s["new_unit_ids"][0])
        )
        times["split_train"].append(seconds)
    for remove in plan["removes"]:
        seconds, _ = timed(lambda r=remove: session.remove(r["unit_ids"]))
        times["remove"].append(seconds)
    for label in plan["labels"]:
        seconds, _ = timed(lambda lab=label: session.label(lab["unit_ids"], "good"))
        times["label"].append(seconds)
    seconds, _ = timed(session.curation_dict)
    times["curation_dict"].append(seconds)
    seconds, _ = timed(session.sorting.to_spike_vector)
    times["to_spike_vector"].append(seconds)
    for _ in range(plan["undos"]):
        seconds, _ = timed(session.undo)
        times["undo"].append(seconds)
    for _ in range(plan["undos"]):
        seconds, _ = timed(session.redo)
        times["redo"].append(seconds)
    session.close()
    seconds, restored = timed(lambda: CurationSession.restore(session.journal_path, sorting))
    times["restore"].append(seconds)
    restored.close()
    return times


# ---------------------------------------------------------------------- SpikeInterface
def ensure_venv(python: str, requirement: str) -> str:
    """The venv's python, creating the venv with ``requirement`` if it is missing."""
    if Path(python).is_file():
        return python
    venv = Path(python).parents[1]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", requirement], check=True)
    return python


def run_spikeinterface(python: str, plan_file: Path) -> tuple[str, dict]:
    result = subprocess.run(
        [python, str(WORKER), str(plan_file)], capture_output=True, text=True, check=True
    )
    output = json.loads(result.stdout.strip().splitlines()[-1])
    return output["version"], output["results"]


# ---------------------------------------------------------------------- report
def summary(values: list[float]) -> tuple[float, float]:
    return float(np.median(values)), float(np.percentile(values, 95))


def with_totals(run: dict) -> dict:
    """Add ``<op>_total``: each action plus the first read of its new unit's train."""
    for op in ("merge", "split"):
        if run.get(op) and run.get(f"{op}_train"):
            run[f"{op}_total"] = [a + b for a, b in zip(run[op], run[f"{op}_train"])]
    return run


def best_of(runs: list[dict]) -> dict:
    """Per operation, the run with the lowest median: ``{op: (median, p95)}``."""
    best = {}
    for run in map(with_totals, runs):
        for op, values in run.items():
            if values:
                stats = summary(values)
                if op not in best or stats[0] < best[op][0]:
                    best[op] = stats
    return best


def milliseconds(stats) -> str:
    return "-" if stats is None else f"{stats[0] * 1e3:8.2f} / {stats[1] * 1e3:8.2f}"


OPERATIONS = [
    ("merge", "merge 2 units"),
    ("merge_train", "  then first train of the merged unit"),
    ("merge_total", "  merge until the new train is read"),
    ("split", "split 50% of a 50k-spike unit"),
    ("split_train", "  then first train of a new part"),
    ("split_total", "  split until the new train is read"),
    ("remove", "remove a unit"),
    ("label", "label a unit"),
    ("undo", "undo"),
    ("redo", "redo"),
]


def print_tables(ours: dict, theirs: dict[str, dict]) -> None:
    columns = list(theirs)
    print("\nmilliseconds, median / p95 (best of 3 runs)")
    header = f"{'operation':<40} {'SpikeDesk':>19}" + "".join(f" {c:>24}" for c in columns)
    print(header + f" {'faster SI / ours':>17}")
    print("-" * len(header + " " * 18))
    for op, title in OPERATIONS:
        line = f"{title:<40} {milliseconds(ours.get(op)):>19}"
        medians = []
        for column in columns:
            stats = theirs[column].get(op)
            line += f" {milliseconds(stats):>24}"
            if stats is not None:
                medians.append(stats[0])
        ratio = f"{min(medians) / ours[op][0]:14.1f}x" if medians and op in ours else f"{'-':>15}"
        print(line + f" {ratio:>17}")
    print("\nSpikeDesk only")
    for op in ("open", "curation_dict", "to_spike_vector", "restore"):
        print(f"  {op:<40} {ours[op][0] * 1e3:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spikes", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--reps", type=int, default=10, help="timed actions of each kind")
    parser.add_argument("--prior", type=int, default=20, help="untimed actions done first")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--si0100", default=SI_VENVS["si0100"][0], help="SpikeInterface 0.100 python"
    )
    parser.add_argument(
        "--si0105", default=SI_VENVS["si0105"][0], help="SpikeInterface 0.105 python"
    )
    parser.add_argument("--skip-si", action="store_true", help="time SpikeDesk only")
    args = parser.parse_args()

    pythons = (
        {}
        if args.skip_si
        else {
            "si0100": ensure_venv(args.si0100, SI_VENVS["si0100"][1]),
            "si0105": ensure_venv(args.si0105, SI_VENVS["si0105"][1]),
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(
            f"{args.spikes / 1e6:g} M spikes, {args.units} units, {DURATION_S / 3600:g} h at "
            f"{SAMPLING_FREQUENCY / 1000:g} kHz; {args.prior} prior actions, {args.reps} of each"
        )
        sorting = make_sorting(args.spikes, args.units, num_big=args.reps)
        sorting.save(folder=tmp / "sorting", verbose=False)
        del sorting
        plan = make_plan(tmp / "sorting", args.units, args.reps, args.reps, args.prior)
        plan_file = tmp / "plan.json"
        plan_file.write_text(json.dumps(plan))
        ours_runs, their_runs = [], {}
        tools = ["spikedesk", *pythons]
        for run in range(args.runs):
            order = tools if run % 2 == 0 else tools[::-1]
            for tool in order:
                if tool == "spikedesk":
                    ours_runs.append(run_spikedesk(plan, tmp / f"journals{run}"))
                    continue
                version, results = run_spikeinterface(pythons[tool], plan_file)
                for name, times in results.items():
                    their_runs.setdefault(f"SI {version} {name}", []).append(times)
            print(f"run {run + 1}/{args.runs} done ({' then '.join(order)})", flush=True)
    print_tables(best_of(ours_runs), {k: best_of(v) for k, v in their_runs.items()})


if __name__ == "__main__":
    main()
