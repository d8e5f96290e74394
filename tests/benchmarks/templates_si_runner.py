"""Run by ``bench_templates_view.py`` in a SpikeInterface virtualenv: one unit's average template
from a lazy recording and its sorting, the way each SpikeInterface version computes it.

- 0.100.x: ``extract_waveforms(recording, sorting.select_units([unit]), mode="memory", ...)``
  then ``get_template``;
- 0.101 and later: ``create_sorting_analyzer`` (memory) of the one unit, then the
  ``random_spikes``, ``waveforms`` and ``templates`` extensions.

Usage: ``python templates_si_runner.py DATA_FOLDER UNIT [UNIT ...]``; prints a JSON object
``{"version": ..., "seconds": {unit: seconds}}`` on its last line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import spikeinterface.core as si


def open_data(folder: Path):
    meta = json.loads((folder / "meta.json").read_text())
    recording = si.read_binary(
        str(folder / "traces.raw"),
        sampling_frequency=meta["sampling_frequency"],
        dtype="int16",
        num_channels=meta["num_channels"],
        gain_to_uV=meta["gain_to_uV"],
        offset_to_uV=0.0,
    )
    recording.set_channel_locations(np.asarray(meta["locations"]))
    recording.annotate(is_filtered=True)
    sorting = si.read_npz_sorting(str(folder / "sorting.npz"))
    return recording, sorting, meta


def template_seconds(recording, sorting, unit, meta) -> float:
    one = sorting.select_units([unit])
    spikes = meta["spikes_per_template"]
    start = time.perf_counter()
    if hasattr(si, "create_sorting_analyzer"):
        analyzer = si.create_sorting_analyzer(one, recording, format="memory", sparse=False)
        analyzer.compute("random_spikes", method="uniform", max_spikes_per_unit=spikes, seed=0)
        analyzer.compute("waveforms", ms_before=1.0, ms_after=2.0, n_jobs=1)
        analyzer.compute("templates", operators=["average", "std"])
        template = analyzer.get_extension("templates").get_templates(operator="average")
    else:
        we = si.extract_waveforms(
            recording, one, mode="memory", ms_before=1.0, ms_after=2.0,
            max_spikes_per_unit=spikes, sparse=False, n_jobs=1, seed=0, progress_bar=False,
        )  # fmt: skip
        template = we.get_template(unit)
    elapsed = time.perf_counter() - start
    if not np.isfinite(template).all():
        raise RuntimeError(f"unit {unit}: template not finite")
    return elapsed


def main() -> None:
    folder = Path(sys.argv[1])
    recording, sorting, meta = open_data(folder)
    units = [int(u) for u in sys.argv[2:]]
    seconds = {str(u): template_seconds(recording, sorting, u, meta) for u in units}
    print(json.dumps({"version": si.__version__ if hasattr(si, "__version__") else "?",
                      "seconds": seconds}))  # fmt: skip


if __name__ == "__main__":
    main()
