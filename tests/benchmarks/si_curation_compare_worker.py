"""Applies curation files with SpikeInterface; run by compare_curation_si.py in a SpikeInterface venv.

Usage: ``<si venv>/bin/python si_curation_compare_worker.py tasks.json``. Each task names a
sorting folder, a curation file and options; the worker optionally first re-writes the curation
through SpikeInterface's own model (``Curation(**d).model_dump()``: what SpikeInterface would
write) into ``si_written``, then applies it with ``apply_curation`` and writes the units, spike
trains and label properties it gets (or the error) to ``out``.
"""

import json
import sys
import traceback

import numpy as np
import spikeinterface
from spikeinterface.curation import apply_curation
from spikeinterface.curation.curation_model import Curation


def load(folder):
    return spikeinterface.load(folder)


def result_of(sorting, label_keys):
    unit_ids = sorting.unit_ids.tolist()
    trains = {
        str(u): [
            sorting.get_unit_spike_train(u, segment_index=s).tolist()
            for s in range(sorting.get_num_segments())
        ]
        for u in unit_ids
    }
    properties = {}
    for key in label_keys:
        values = sorting.get_property(key)
        if values is not None:
            properties[key] = [v.item() if isinstance(v, np.generic) else v for v in values]
    return {"ok": True, "unit_ids": unit_ids, "trains": trains, "properties": properties}


def run(task):
    with open(task["curation_file"]) as file:
        curation = json.load(file)
    if task.get("si_written"):
        dumped = (
            [Curation(**c).model_dump(mode="json") for c in curation]
            if isinstance(curation, list)
            else Curation(**curation).model_dump(mode="json")
        )
        with open(task["si_written"], "w") as file:
            json.dump(dumped, file)
        curation = dumped
    sorting = load(task["sorting"])
    curated = apply_curation(
        sorting,
        curation,
        censor_ms=task.get("censor_ms"),
        new_id_strategy=task.get("new_id_strategy", "append"),
    )
    return result_of(curated, task.get("label_keys", []))


def main():
    with open(sys.argv[1]) as file:
        tasks = json.load(file)
    for task in tasks:
        try:
            result = run(task)
        except Exception as error:  # report SpikeInterface's refusal instead of stopping
            result = {
                "ok": False,
                "error": f"{type(error).__name__}: {error}",
                "trace": traceback.format_exc(),
            }
        with open(task["out"], "w") as file:
            json.dump(result, file)
    print(spikeinterface.__version__)


if __name__ == "__main__":
    main()
