"""Benchmark: SpikeDesk's start-up, from the command to the first trace frame (issue 18: < 2 s).

Each figure is taken in a fresh Python process, so nothing is already imported or cached in
memory by an earlier measurement (the operating system's file cache stays warm, as on a user's
machine after the first start). The sources are compiled to bytecode first (``compileall``), as
an installed package or bundle is; ``--no-bytecode`` measures instead with every ``app`` and
``core`` module compiled at import (``PYTHONDONTWRITEBYTECODE`` and no ``__pycache__``: how a
fresh checkout runs when bytecode writing is switched off):

- ``import core``, ``import app.__main__`` (what ``spikedesk`` imports before it parses its
  arguments) and ``import app.main_window`` (everything imported before the window is built):
  seconds from just before the ``import`` statement to just after, Python's own start excluded;
- the first frame after ``spikedesk FOLDER``: seconds from starting the process to the trace
  view's first ``frame_drawn`` (the child script of ``bench_trace_view.py --overview``, offscreen,
  Python start and imports included), with no display pyramid cached (cold: the overview build
  starts in the background at once) and, when ``--xdg`` holds one, with the pyramid cached (warm).

``--source DIR`` names the ``app`` and ``core`` packages to measure (this checkout by default) and
``--compare DIR`` a second version (e.g. ``git archive <rev> app core | tar -x -C DIR``), measured
in alternating order for ``--rounds`` rounds; the best (lowest) figure of each is printed with the
ratio of the two. The recording is ``--folder`` (a SpikeInterface binary folder, e.g. the 2-hour
folder ``bench_trace_view.py --overview --keep`` leaves), or a 10-minute 384-channel folder made
by ``long_recording.py`` in a temporary directory. Wrap the run in ``flock /work/bench.lock``.

Usage: ``python tests/benchmarks/bench_startup.py [--folder DIR] [--xdg DIR] [--source DIR]
[--compare DIR] [--rounds 3] [--no-bytecode]``
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_trace_view import first_frame_seconds

IMPORT_SCRIPT = """
import sys, time
started = time.perf_counter()
__import__(sys.argv[1])
print(time.perf_counter() - started)
"""
MODULES = ("core", "app.__main__", "app.main_window")


def import_seconds(module: str, source: Path) -> float:
    """Seconds to import ``module`` of ``source`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(source), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT, module],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return float(result.stdout.strip().splitlines()[-1])


def prepare_bytecode(source: Path, bytecode: bool) -> None:
    """Compile ``source``'s packages to ``__pycache__``, or remove their compiled files."""
    for package in ("app", "core"):
        if bytecode:
            compileall.compile_dir(source / package, quiet=1)
        else:
            for cache in (source / package).rglob("__pycache__"):
                shutil.rmtree(cache)


def measure(source: Path, folder: Path, xdg: Path | None, scratch: Path) -> dict[str, float]:
    """Every figure of one version, once."""
    figures = {f"import {module}": import_seconds(module, source) for module in MODULES}
    empty = scratch / "xdg-empty"
    shutil.rmtree(empty, ignore_errors=True)
    figures["first frame, no pyramid"] = first_frame_seconds(folder, empty, source)
    if xdg is not None:
        figures["first frame, pyramid cached"] = first_frame_seconds(folder, xdg, source)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None, help="recording folder to open")
    parser.add_argument("--xdg", type=Path, default=None, help="XDG home with a cached pyramid")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--compare", type=Path, default=None, help="another version to measure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (best of)")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile every app/core module at import"
    )
    args = parser.parse_args()
    if args.no_bytecode:
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("folder", "xdg", "source", "compare"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())

    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    # ``python -c`` puts the working directory first on sys.path: run the children from an
    # empty one, so that PYTHONPATH picks the version measured
    os.chdir(scratch)
    try:
        folder = args.folder
        if folder is None:
            from tests.benchmarks.long_recording import make_recording_folder

            folder = make_recording_folder(scratch / "recording", 600.0, fill=0.01)
        versions = {"this": args.source.resolve()}
        if args.compare is not None:
            versions["compare"] = args.compare.resolve()
        for source in versions.values():
            prepare_bytecode(source, bytecode=not args.no_bytecode)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in versions}
        for round_index in range(args.rounds):
            names = list(versions)
            if round_index % 2:
                names.reverse()
            for name in names:
                figures = measure(versions[name], folder, args.xdg, scratch)
                runs[name].append(figures)
                shown = ", ".join(f"{key} {value:.3f}" for key, value in figures.items())
                print(f"round {round_index + 1}, {name} ({versions[name]}): {shown}", flush=True)
        print()
        keys = list(runs["this"][0])
        header = "| figure, s | " + " | ".join(
            f"{name} run {i + 1}" for name in versions for i in range(args.rounds)
        )
        header += " | " + " | ".join(f"{name} best" for name in versions)
        if "compare" in versions:
            header += " | ratio this / compare"
        print(header + " |")
        print("|" + "---|" * (header.count("|")))
        for key in keys:
            cells = [f"{run[key]:.3f}" for name in versions for run in runs[name]]
            best = {name: min(run[key] for run in runs[name]) for name in versions}
            cells += [f"{best[name]:.3f}" for name in versions]
            if "compare" in versions:
                cells.append(f"{best['this'] / best['compare']:.2f}")
            print(f"| {key} | " + " | ".join(cells) + " |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
