"""Times SpikeInterface's manual curation; run by bench_curation.py inside a SpikeInterface venv.

Usage: ``<si venv>/bin/python si_curation_worker.py plan.json`` prints one JSON object:
``{tool: {operation: [seconds, ...]}}`` for ``CurationSorting`` (lazy, with undo; both versions)
and, where SpikeInterface has them (0.105), ``apply_merges_to_sorting`` /
``apply_splits_to_sorting`` (which build a new in-memory sorting each time). An operation that
has taken 20 s in all stops after 3 timings (the later actions of the plan are then skipped).
"""

import inspect
import json
import sys
import time

import numpy as np
import spikeinterface
from spikeinterface.curation import CurationSorting


def load(folder):
    if hasattr(spikeinterface, "load"):
        return spikeinterface.load(folder)
    from spikeinterface.core import load_extractor

    return load_extractor(folder)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def over_budget(times, op, budget_s=20.0):
    """Stop repeating an operation after 3 timings once it has taken ``budget_s`` in all."""
    return len(times[op]) >= 3 and sum(times[op]) > budget_s


def split_labels(plan_split, count):
    labels = np.ones(count, dtype="int64")
    labels[np.asarray(plan_split["indices"])] = 0
    return labels


def run_curation_sorting(sorting, plan):
    times = {k: [] for k in ("merge", "merge_train", "split", "split_train", "remove", "undo")}
    curation = CurationSorting(sorting)
    for action in plan["prior"]:
        if action["type"] == "merge":
            curation.merge(
                action["unit_ids"], new_unit_id=action["new_unit_id"], delta_time_ms=None
            )
        else:
            curation.remove_units(action["unit_ids"])
    for merge in plan["merges"]:
        if over_budget(times, "merge_train"):
            break
        seconds, _ = timed(
            lambda m=merge: curation.merge(
                m["unit_ids"], new_unit_id=m["new_unit_id"], delta_time_ms=None
            )
        )
        times["merge"].append(seconds)
        seconds, _ = timed(lambda m=merge: curation.sorting.get_unit_spike_train(m["new_unit_id"]))
        times["merge_train"].append(seconds)
    takes_ids = "new_unit_ids" in inspect.signature(curation.split).parameters  # not in 0.100
    for split in plan["splits"]:
        if over_budget(times, "split_train"):
            break
        count = curation.sorting.get_unit_spike_train(split["unit_id"]).size
        labels = split_labels(split, count)
        extra = {"new_unit_ids": split["new_unit_ids"]} if takes_ids else {}
        seconds, _ = timed(
            lambda s=split, lab=labels, e=extra: curation.split(s["unit_id"], [lab], **e)
        )
        times["split"].append(seconds)
        first_part = curation.sorting.unit_ids[-2]
        seconds, _ = timed(lambda u=first_part: curation.sorting.get_unit_spike_train(u))
        times["split_train"].append(seconds)
    for remove in plan["removes"]:
        seconds, _ = timed(lambda r=remove: curation.remove_units(r["unit_ids"]))
        times["remove"].append(seconds)
    for _ in range(plan["undos"]):
        seconds, _ = timed(curation.undo)
        times["undo"].append(seconds)
    return times


def run_apply_functions(sorting, plan):
    from spikeinterface.core import apply_merges_to_sorting, apply_splits_to_sorting

    times = {k: [] for k in ("merge", "merge_train", "split", "split_train")}
    current = sorting
    for merge in plan["merges"]:
        if over_budget(times, "merge"):
            break
        seconds, current = timed(
            lambda m=merge, c=current: apply_merges_to_sorting(
                c, [m["unit_ids"]], new_unit_ids=[m["new_unit_id"]]
            )
        )
        times["merge"].append(seconds)
        seconds, _ = timed(lambda m=merge, c=current: c.get_unit_spike_train(m["new_unit_id"]))
        times["merge_train"].append(seconds)
    for split in plan["splits"]:
        if over_budget(times, "split"):
            break
        count = current.get_unit_spike_train(split["unit_id"]).size
        first = np.asarray(split["indices"])
        rest = np.setdiff1d(np.arange(count), first)
        seconds, current = timed(
            lambda s=split, c=current, f=first, r=rest: apply_splits_to_sorting(
                c, {s["unit_id"]: [f, r]}, new_unit_ids=[s["new_unit_ids"]]
            )
        )
        times["split"].append(seconds)
        seconds, _ = timed(lambda s=split, c=current: c.get_unit_spike_train(s["new_unit_ids"][0]))
        times["split_train"].append(seconds)
    return times


def main():
    with open(sys.argv[1]) as file:
        plan = json.load(file)
    sorting = load(plan["folder"])
    sorting.to_spike_vector()  # both sides start from a loaded spike vector
    results = {"CurationSorting": run_curation_sorting(sorting, plan)}
    try:
        from spikeinterface.core import apply_merges_to_sorting  # noqa: F401
    except ImportError:
        pass
    else:
        results["apply_*_to_sorting"] = run_apply_functions(load(plan["folder"]), plan)
    print(json.dumps({"version": spikeinterface.__version__, "results": results}))


if __name__ == "__main__":
    main()
