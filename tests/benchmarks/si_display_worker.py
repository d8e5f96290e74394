"""Run in a SpikeInterface virtualenv by bench_display_pyramid.py: time what a viewer built on
SpikeInterface does for the same windows (raw reads reduced to min/max per pixel; high-pass or
band-pass filtered and median-referenced windows through spikeinterface.preprocessing).

Usage: ``python si_display_worker.py PLAN.json``; prints one JSON line.
"""

import json
import sys
import time

import numpy as np
import spikeinterface as si
import spikeinterface.core as sc
import spikeinterface.preprocessing as spre


def min_max(traces, pixels):
    size = -(-traces.shape[0] // pixels)
    full = traces.shape[0] // size * size
    body = traces[:full].reshape(-1, size, traces.shape[1])
    return body.min(axis=1), body.max(axis=1)


def main():
    plan = json.loads(open(sys.argv[1]).read())
    results = {}
    recording = sc.load_extractor(plan["long_folder"])
    for name, (starts, length) in plan["raw_windows"].items():
        times = []
        for start in starts:
            began = time.perf_counter()
            traces = recording.get_traces(start_frame=start, end_frame=start + length)
            min_max(traces, plan["pixels"])
            times.append(time.perf_counter() - began)
        results[f"raw {name}"] = times
    short = sc.load_extractor(plan["short_folder"])
    for name, spec in plan["filters"].items():
        if spec["band"] == "highpass":
            filtered = spre.highpass_filter(
                short, freq_min=spec["low_hz"], filter_order=spec["order"]
            )
        else:
            filtered = spre.bandpass_filter(
                short, freq_min=spec["low_hz"], freq_max=spec["high_hz"], filter_order=spec["order"]
            )
        if spec["reference"] == "median":
            filtered = spre.common_reference(filtered, reference="global", operator="median")
        times = []
        for start in plan["filter_starts"]:
            began = time.perf_counter()
            filtered.get_traces(
                start_frame=start, end_frame=start + plan["filter_frames"], return_scaled=True
            )
            times.append(time.perf_counter() - began)
        results[name] = times
    print(json.dumps({"version": si.__version__, "results": results}))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
