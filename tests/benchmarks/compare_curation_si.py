"""Check that SpikeInterface 0.105.3 and SpikeDesk agree on curation files, both ways.

For each case (labels, removal, merges with and without ``new_unit_id``, the id strategies,
censoring, splits by indices and by labels with and without new ids, everything together,
curations written by a `CurationSession` -- one curation or a sequence -- and a version 1 file),
on multi-segment sortings with integer, digit-string and other string ids:

* SpikeDesk writes the curation JSON; SpikeInterface's ``apply_curation`` must accept it and give
  the same units, spike trains and label properties as SpikeDesk (for session cases: as the
  session's own curated sorting);
* SpikeInterface writes it (through its ``Curation`` model); SpikeDesk must read it and, applied,
  give what SpikeInterface gives.

Prints a results table; exits with status 1 on any difference.

Usage: ``python tests/benchmarks/compare_curation_si.py [--si0105 PATH]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.curation import CurationSession, apply_curation, load_curation, save_curation
from core.loading import load_extractor
from core.sorting.numpy import NumpySorting

WORKER = Path(__file__).with_name("si_curation_compare_worker.py")
DEFAULT_SI = "/work/si-venvs/si0105/bin/python"
LABEL_KEYS = ["quality", "burst", "drift"]
DEFINITIONS = {
    "quality": {"label_options": ["good", "mua", "noise"], "exclusive": True},
    "tags": {"label_options": ["burst", "drift"], "exclusive": False},
}


def make_sorting(unit_ids: list, num_segments: int, seed: int) -> NumpySorting:
    rng = np.random.default_rng(seed)
    times, labels = [], []
    for _ in range(num_segments):
        n = 60 * len(unit_ids)
        times.append(np.sort(rng.integers(0, 60_000, n)))
        labels.append(rng.choice(np.asarray(unit_ids), n))
    sorting = NumpySorting.from_times_labels(times, labels, 30_000.0, unit_ids=unit_ids)
    sorting.set_property("amplitude", rng.random(len(unit_ids)))
    return sorting


SORTINGS = {
    "int ids, 2 segments": lambda: make_sorting(list(range(8)), 2, 0),
    "digit str ids, 3 segments": lambda: make_sorting([str(i) for i in range(8)], 3, 1),
    "str ids, 2 segments": lambda: make_sorting([f"u{i}" for i in range(8)], 2, 2),
}


# ---------------------------------------------------------------------- cases
def counts(sorting) -> dict:
    return sorting.count_num_spikes_per_unit()


def curation(sorting, **sections) -> dict:
    return {"format_version": "2", "unit_ids": sorting.unit_ids.tolist(), **sections}


def new_id(sorting, n: int):
    ids = sorting.unit_ids.tolist()
    return 100 + n if isinstance(ids[0], int) else f"n{n}" if not ids[0].isdigit() else str(100 + n)


def case_labels(s):
    u = s.unit_ids.tolist()
    return curation(
        s,
        label_definitions=DEFINITIONS,
        manual_labels=[
            {"unit_id": u[0], "labels": {"quality": ["good"], "tags": ["burst"]}},
            {"unit_id": u[1], "labels": {"quality": ["noise"]}},
            {"unit_id": u[2], "labels": {"tags": ["burst", "drift"]}},
        ],
    ), {}


def case_removed(s):
    u = s.unit_ids.tolist()
    return curation(s, removed=[u[1], u[4]]), {}


def case_merges_new_ids(s):
    u = s.unit_ids.tolist()
    merges = [
        {"unit_ids": u[:2], "new_unit_id": new_id(s, 0)},
        {"unit_ids": u[3:6], "new_unit_id": u[4]},
    ]
    return curation(s, merges=merges), {}


def case_merges_append(s):
    u = s.unit_ids.tolist()
    return curation(s, merges=[{"unit_ids": u[:2]}, {"unit_ids": u[3:6]}], removed=[u[7]]), {}


def case_merges_take_first(s):
    u = s.unit_ids.tolist()
    return curation(s, merges=[u[2:4], u[5:7]]), {"new_id_strategy": "take_first"}


def case_merges_join(s):
    u = s.unit_ids.tolist()
    return curation(s, merges=[u[2:4], u[5:7]]), {"new_id_strategy": "join"}


def case_merge_censor(s):
    u = s.unit_ids.tolist()
    return curation(s, merges=[u[:3]]), {"censor_ms": 2.0}


def case_split_indices_unlisted(s):
    u = s.unit_ids.tolist()
    n = counts(s)[u[2]]
    return curation(
        s, splits=[{"unit_id": u[2], "mode": "indices", "indices": [[0, 5, n - 1]]}]
    ), {}


def case_split_indices_new_ids(s):
    u = s.unit_ids.tolist()
    n = counts(s)[u[3]]
    parts = [list(range(0, n, 3)), list(range(1, n, 3)), list(range(2, n, 3))]
    ids = [new_id(s, 10), new_id(s, 11), new_id(s, 12)]
    return curation(
        s, splits=[{"unit_id": u[3], "mode": "indices", "indices": parts, "new_unit_ids": ids}]
    ), {}


def case_split_labels(s):
    u = s.unit_ids.tolist()
    labels = (np.arange(counts(s)[u[1]]) * 7 % 3).tolist()
    return curation(s, splits=[{"unit_id": u[1], "mode": "labels", "labels": labels}]), {}


def case_split_labels_new_ids(s):
    u = s.unit_ids.tolist()
    labels = (np.arange(counts(s)[u[1]]) % 2).tolist()
    return curation(
        s,
        splits=[
            {
                "unit_id": u[1],
                "mode": "labels",
                "labels": labels,
                "new_unit_ids": [new_id(s, 20), new_id(s, 21)],
            }
        ],
    ), {}


def case_everything(s):
    u = s.unit_ids.tolist()
    return curation(
        s,
        label_definitions=DEFINITIONS,
        manual_labels=[{"unit_id": v, "labels": {"quality": ["good"]}} for v in u[:2]]
        + [{"unit_id": u[6], "labels": {"quality": ["mua"], "tags": ["drift"]}}],
        removed=[u[5]],
        merges=[{"unit_ids": u[:2]}, {"unit_ids": [u[2], u[3]]}],
        splits=[
            {"unit_id": u[6], "mode": "indices", "indices": [[0, 1, 2, 3]]},
            {
                "unit_id": u[7],
                "mode": "labels",
                "labels": (np.arange(counts(s)[u[7]]) % 2).tolist(),
            },
        ],
    ), {}


def case_version_1(s):
    u = s.unit_ids.tolist()
    return {
        "format_version": "1",
        "unit_ids": u,
        "label_definitions": {"quality": DEFINITIONS["quality"]},
        "manual_labels": [{"unit_id": u[0], "quality": ["good"]}],
        "merge_unit_groups": [u[1:3]],
        "removed_units": [u[4]],
    }, {}


def session_single(s):
    u = s.unit_ids.tolist()
    session = CurationSession(s, label_definitions=DEFINITIONS)
    session.label(u[:2], "good")
    merged = session.merge(u[:2])
    merged = session.merge([merged, u[2]])
    session.label(merged, ["burst"])
    parts = session.split(u[3], indices=[[0, 1, 2]])
    session.split(parts[1], labels=np.arange(counts(s)[u[3]] - 3) % 2)
    session.remove([u[7]])
    return session


def session_sequence(s):
    u = s.unit_ids.tolist()
    session = CurationSession(s, label_definitions=DEFINITIONS)
    parts = session.split(u[0], indices=[list(range(0, counts(s)[u[0]], 2))])
    session.label(parts[0], "noise")
    merged = session.merge([parts[1], u[1]])
    session.label(merged, "good")
    session.remove([parts[0]])
    session.split(merged, indices=[[0, 1]])
    session.undo()
    return session


CASES: dict[str, Callable] = {
    "labels (exclusive + not)": case_labels,
    "removal": case_removed,
    "merges with new_unit_id": case_merges_new_ids,
    "merges without (append)": case_merges_append,
    "merges take_first": case_merges_take_first,
    "merges join": case_merges_join,
    "merge censor_ms=2": case_merge_censor,
    "split indices + unlisted": case_split_indices_unlisted,
    "split indices, new ids": case_split_indices_new_ids,
    "split labels": case_split_labels,
    "split labels, new ids": case_split_labels_new_ids,
    "everything together": case_everything,
    "version 1 file": case_version_1,
    "session: one curation": session_single,
    "session: a sequence": session_sequence,
}


# ---------------------------------------------------------------------- results
def our_result(sorting) -> dict:
    trains = {
        str(u): [
            sorting.get_unit_spike_train(u, segment_index=i).tolist()
            for i in range(sorting.get_num_segments())
        ]
        for u in sorting.unit_ids.tolist()
    }
    properties = {}
    for key in LABEL_KEYS:
        values = sorting.get_property(key)
        if values is not None:
            properties[key] = values.tolist()
    return {
        "ok": True,
        "unit_ids": sorting.unit_ids.tolist(),
        "trains": trains,
        "properties": properties,
    }


def labels_by_unit(result: dict) -> dict:
    return {
        key: dict(zip(map(str, result["unit_ids"]), values))
        for key, values in result["properties"].items()
    }


def compare(ours: dict, theirs: dict) -> tuple[str, str, str, str]:
    """``(accepted, same units, same trains, same labels)`` as table cells."""
    if not theirs["ok"]:
        return f"NO: {theirs['error'][:60]}", "-", "-", "-"
    if not ours["ok"]:
        return f"NO: {ours['error'][:60]}", "-", "-", "-"
    units = sorted(map(str, ours["unit_ids"])) == sorted(map(str, theirs["unit_ids"]))
    trains = ours["trains"] == theirs["trains"]
    labels = labels_by_unit(ours) == labels_by_unit(theirs)
    return "yes", yes(units), yes(trains), yes(labels)


def yes(flag: bool) -> str:
    return "yes" if flag else "DIFFERENT"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--si0105", default=DEFAULT_SI, help="python of a SpikeInterface 0.105 venv"
    )
    args = parser.parse_args()
    if not Path(args.si0105).is_file():
        venv = Path(args.si0105).parents[1]
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [args.si0105, "-m", "pip", "install", "-q", "spikeinterface==0.105.3"], check=True
        )
    rows, tasks, pending = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for s_index, (s_name, make) in enumerate(SORTINGS.items()):
            folder = tmp / f"sorting{s_index}"
            make().save(folder=folder, verbose=False)
            sorting = load_extractor(folder)
            for c_index, (c_name, case) in enumerate(CASES.items()):
                stem = tmp / f"s{s_index}c{c_index}"
                made = case(sorting)
                options, session = {}, None
                if isinstance(made, CurationSession):
                    session = made
                    session.save_curation(f"{stem}.ours.json")
                else:
                    content, options = made
                    if content.get("format_version") == "1":
                        Path(f"{stem}.ours.json").write_text(json.dumps(content))
                    else:
                        save_curation(content, f"{stem}.ours.json")
                common = {"sorting": str(folder), "label_keys": LABEL_KEYS, **options}
                tasks.append(
                    {
                        **common,
                        "curation_file": f"{stem}.ours.json",
                        "out": f"{stem}.si_on_ours.json",
                    }
                )
                tasks.append(
                    {
                        **common,
                        "curation_file": f"{stem}.ours.json",
                        "si_written": f"{stem}.theirs.json",
                        "out": f"{stem}.si_on_theirs.json",
                    }
                )
                pending.append((s_name, c_name, folder, stem, options, session))
        (tmp / "tasks.json").write_text(json.dumps(tasks))
        version = subprocess.run(
            [args.si0105, str(WORKER), str(tmp / "tasks.json")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for s_name, c_name, folder, stem, options, session in pending:
            sorting = load_extractor(folder)
            strategy = {k: v for k, v in options.items() if k in ("censor_ms", "new_id_strategy")}
            si_on_ours = json.loads(Path(f"{stem}.si_on_ours.json").read_text())
            si_on_theirs = json.loads(Path(f"{stem}.si_on_theirs.json").read_text())
            if session is not None:
                ours = our_result(session.sorting)
            else:
                ours = apply_ours(sorting, read_json, f"{stem}.ours.json", strategy)
            ours_on_theirs = (
                apply_ours(sorting, load_curation, f"{stem}.theirs.json", strategy)
                if Path(f"{stem}.theirs.json").is_file()
                else {"ok": False, "error": "SpikeInterface wrote nothing"}
            )
            rows.append(
                (c_name, s_name, *compare(ours, si_on_ours), *compare(ours_on_theirs, si_on_theirs))
            )
    return 1 if print_table(version, rows) else 0


def read_json(path: str):
    return json.loads(Path(path).read_text())


def apply_ours(sorting, read, path: str, options: dict) -> dict:
    """SpikeDesk's result of the curation file ``path`` (read with ``read``), or its error."""
    try:
        return our_result(apply_curation(sorting, read(path), **options))
    except Exception as error:  # reported in the table
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def print_table(version: str, rows: list[tuple]) -> int:
    """Print the results; return the number of cases with a difference."""
    print(f"SpikeInterface {version} vs SpikeDesk: curation files, both ways\n")
    header = (
        "case",
        "sorting",
        "SI reads ours",
        "units",
        "trains",
        "labels",
        "we read SI's",
        "units",
        "trains",
        "labels",
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    bad = [r for r in rows if any(str(c).startswith(("NO", "DIFF")) for c in r[2:])]
    print(f"\n{len(rows)} cases, {len(rows) - len(bad)} agree in every respect")
    return len(bad)


if __name__ == "__main__":
    sys.exit(main())
