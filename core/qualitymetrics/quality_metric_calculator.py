"""``compute_quality_metrics``: every metric of a WaveformExtractor in one pandas DataFrame.

As SpikeInterface 0.100.8: one row per unit (index: unit ids), one column per metric (a metric
returning a named tuple gives one column per field), metrics in alphabetical order of their
names; empty units get NaN rows (with a warning); the DataFrame is kept as the
``quality_metrics`` extension (``metrics.csv`` in a folder, an xarray-layout group in zarr).

Differences: "drift" (needs spike locations) and the principal-component metrics (need
principal components) are not computed. The default list leaves out "drift", as SpikeInterface
does without spike locations, and the PC metrics (SpikeInterface adds them when the extractor has
principal components; a warning says they are skipped); asking for them raises ``ValueError``,
except PC metrics with ``skip_pc_metrics=True``, which SpikeInterface also skips. "rp_violation"
and "sd_ratio" are computed without numba (SpikeInterface 0.100.8 needs numba for them).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..postprocessing.computed_extension import ComputedExtension
from ..waveforms.extractor import WaveformExtractor
from ..waveforms.sparsity import ChannelSparsity
from .quality_metric_list import (
    METRIC_FUNCTIONS,
    NOT_IMPLEMENTED_METRICS,
    PC_METRIC_NAMES,
    default_metric_params,
)

__all__ = [
    "QualityMetricCalculator",
    "compute_quality_metrics",
    "get_default_qm_params",
    "get_quality_metric_list",
]


def get_quality_metric_list() -> list[str]:
    """Names of the metrics :func:`compute_quality_metrics` computes (not "drift")."""
    return list(METRIC_FUNCTIONS)


def get_default_qm_params() -> dict:
    """Default parameters of every metric: ``{metric_name: {parameter: value}}``.

    Returns
    -------
    dict
        A fresh copy, equal to SpikeInterface 0.100.8's (including "drift" and the
        principal-component metrics, which are not computed here).
    """
    return default_metric_params()


def _check_metric_names(we: WaveformExtractor, metric_names, skip_pc_metrics: bool) -> list[str]:
    if metric_names is None:
        metric_names = list(METRIC_FUNCTIONS)
        if we.has_extension("principal_components"):
            warnings.warn(
                "the principal-component metrics are not computed: "
                f"{NOT_IMPLEMENTED_METRICS['l_ratio']}",
                stacklevel=4,
            )
    elif isinstance(metric_names, str):
        raise TypeError(f"metric_names must be a list of metric names, got {metric_names!r}")
    metric_names = [str(name) for name in np.unique(list(metric_names))]
    for name in metric_names:
        if name in METRIC_FUNCTIONS or (name in PC_METRIC_NAMES and skip_pc_metrics):
            continue
        if name in NOT_IMPLEMENTED_METRICS:
            raise ValueError(f"metric {name!r} is not available: {NOT_IMPLEMENTED_METRICS[name]}")
        raise ValueError(
            f"unknown metric {name!r}; available: {', '.join(get_quality_metric_list())}"
        )
    return metric_names


def _check_sparsity(sparsity: Any, we: WaveformExtractor) -> ChannelSparsity | None:
    if sparsity is None or isinstance(sparsity, ChannelSparsity):
        return sparsity
    if isinstance(sparsity, dict):
        return ChannelSparsity.from_dict(
            {
                "unit_ids": we.unit_ids.tolist(),
                "channel_ids": we.channel_ids.tolist(),
                "unit_id_to_channel_ids": sparsity,
            }
        )
    raise TypeError(f"sparsity must be a ChannelSparsity, a dict or None, got {sparsity!r}")


def _add_result(metrics, unit_ids: np.ndarray, name: str, result: Any) -> None:
    """Columns of one metric: a dict gives one, a named tuple one per field."""
    import pandas as pd

    if isinstance(result, dict):
        metrics.loc[unit_ids, name] = pd.Series(result)
    else:
        for field, values in zip(result._fields, result):
            metrics.loc[unit_ids, field] = pd.Series(values)


# columns of the metrics that return a named tuple, in field order
_TUPLE_COLUMNS = {
    "isi_violation": ("isi_violations_ratio", "isi_violations_count"),
    "rp_violation": ("rp_contamination", "rp_violations"),
    "amplitude_cv": ("amplitude_cv_median", "amplitude_cv_range"),
}


def _metric_columns(name: str, columns: list[str]) -> list[str]:
    """The columns of metric ``name`` among ``columns``, in the order it makes them."""
    if name == "synchrony":
        synchrony = [c for c in columns if c.startswith("sync_spike_") and c[11:].isdigit()]
        return sorted(synchrony, key=lambda column: int(column[11:]))
    return [c for c in (*_TUPLE_COLUMNS.get(name, ()), name) if c in columns]


def _as_dataframe(stored: Any, metric_names: list[str]):
    """The metrics as a DataFrame: a zarr store gives a dict of column arrays (sorted by name),
    put back in the order the metrics make them."""
    import pandas as pd

    if isinstance(stored, pd.DataFrame):
        return stored
    columns = [name for name in stored if name != "index"]
    ordered = [column for name in metric_names for column in _metric_columns(name, columns)]
    ordered += [column for column in columns if column not in ordered]
    return pd.DataFrame(
        {column: np.asarray(stored[column]) for column in ordered},
        index=np.asarray(stored["index"]),
    )


class QualityMetricCalculator(ComputedExtension):
    """Quality metrics kept as the ``quality_metrics`` extension (``metrics.csv``).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    """

    extension_name = "quality_metrics"

    @classmethod
    def _check_params(
        cls,
        waveform_extractor: WaveformExtractor,
        metric_names=None,
        qm_params: dict | None = None,
        peak_sign: str | None = None,
        seed: int | None = None,
        sparsity=None,
        skip_pc_metrics: bool = False,
    ) -> dict:
        if peak_sign not in (None, "neg", "pos", "both"):
            raise ValueError(f"peak_sign must be None, 'neg', 'pos' or 'both', got {peak_sign!r}")
        if qm_params is not None and not isinstance(qm_params, dict):
            raise TypeError(f"qm_params must be a dict of dicts, got {qm_params!r}")
        names = _check_metric_names(waveform_extractor, metric_names, bool(skip_pc_metrics))
        params = default_metric_params()
        for name, metric_params in params.items():
            if qm_params is not None and name in qm_params:
                metric_params.update(qm_params[name])
            if "peak_sign" in metric_params and peak_sign is not None:
                metric_params["peak_sign"] = peak_sign
        return dict(
            metric_names=names,
            sparsity=_check_sparsity(sparsity, waveform_extractor),
            peak_sign=peak_sign,
            seed=seed,
            qm_params=params,
            skip_pc_metrics=bool(skip_pc_metrics),
        )

    @classmethod
    def _compute_data(
        cls,
        waveform_extractor: WaveformExtractor,
        params: dict,
        verbose: bool = False,
        progress_callback=None,
        cancel_token=None,
        **job_kwargs,
    ) -> dict:
        import pandas as pd

        sorting = waveform_extractor.sorting
        unit_ids = sorting.unit_ids
        non_empty = sorting.get_non_empty_unit_ids()
        empty = unit_ids[~np.isin(unit_ids, non_empty)]
        if len(empty):
            warnings.warn(
                f"Units {empty.tolist()} are empty. Quality metrics will be set to NaN for these "
                "units.\n"
                "To remove empty units, use `sorting.remove_empty_units()`.",
                stacklevel=4,
            )
        metrics = pd.DataFrame(index=unit_ids)
        names = [name for name in params["metric_names"] if name in METRIC_FUNCTIONS]
        if progress_callback is not None:
            progress_callback(0, len(names))
        for done, name in enumerate(names, start=1):
            if cancel_token is not None:
                cancel_token.raise_if_cancelled()
            if verbose:
                print(f"Computing {name}")
            metric_params = params["qm_params"].get(name, {})
            result = METRIC_FUNCTIONS[name](waveform_extractor, unit_ids=non_empty, **metric_params)
            _add_result(metrics, non_empty, name, result)
            if progress_callback is not None:
                progress_callback(done, len(names))
        if len(empty):
            metrics.loc[empty] = np.nan
        return {"metrics": metrics}

    @classmethod
    def load(cls, folder, waveform_extractor: WaveformExtractor):
        """Load the stored metrics (a zarr store's columns become a DataFrame again)."""
        extension = super().load(folder, waveform_extractor)
        stored = extension._extension_data.get("metrics")
        if stored is not None:
            order = list((extension._params or {}).get("metric_names", []))
            extension._extension_data["metrics"] = _as_dataframe(stored, order)
        return extension

    def _select_extension_data(self, unit_ids) -> dict:
        return {"metrics": self._extension_data["metrics"].loc[np.array(unit_ids)]}

    def get_data(self):
        """The metrics: a pandas DataFrame, one row per unit."""
        self._require_data("metrics")
        return self._extension_data["metrics"]

    @staticmethod
    def get_extension_function():
        """:func:`compute_quality_metrics`."""
        return compute_quality_metrics


WaveformExtractor.register_extension(QualityMetricCalculator)


def compute_quality_metrics(
    waveform_extractor: WaveformExtractor,
    load_if_exists: bool = False,
    metric_names: list[str] | None = None,
    qm_params: dict | None = None,
    peak_sign: str | None = None,
    seed: int | None = None,
    sparsity=None,
    skip_pc_metrics: bool = False,
    verbose: bool = False,
    *,
    progress_callback=None,
    cancel_token=None,
    **job_kwargs,
):
    """Quality metrics of every unit, as a pandas DataFrame.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
        The metrics are kept as its ``quality_metrics`` extension.
    load_if_exists : bool, default: False
        Return the stored metrics if there are some (whatever their parameters).
    metric_names : list of str or None, default: None
        Metrics to compute (see :func:`get_quality_metric_list`); None: all of them.
    qm_params : dict or None, default: None
        ``{metric_name: {parameter: value}}`` over :func:`get_default_qm_params`.
    peak_sign : {"neg", "pos", "both"} or None, default: None
        Overrides ``peak_sign`` of every metric that has one.
    seed : int or None, default: None
        Kept in the parameters (used by principal-component metrics in SpikeInterface).
    sparsity : ChannelSparsity or dict or None, default: None
        Kept in the parameters (used by principal-component metrics in SpikeInterface).
    skip_pc_metrics : bool, default: False
        Skip principal-component metrics named in ``metric_names``.
    verbose : bool, default: False
        Print each metric's name as it starts.
    progress_callback : callable or None, default: None
        ``progress_callback(done_metrics, total_metrics)``.
    cancel_token : CancelToken or None, default: None
        Checked between metrics (:class:`~core.jobs.JobCancelled`); nothing is saved.
    **job_kwargs
        Accepted for SpikeInterface compatibility (principal-component metrics use them).

    Returns
    -------
    pandas.DataFrame
        Index: unit ids; columns: the metrics (see the module docstring).

    Raises
    ------
    ValueError
        If a metric is unknown or not available here, or a parameter is invalid.
    """
    if not isinstance(waveform_extractor, WaveformExtractor):
        raise TypeError(
            "compute_quality_metrics() takes a WaveformExtractor, got "
            f"{type(waveform_extractor).__name__}"
        )
    extension = QualityMetricCalculator.compute(
        waveform_extractor,
        load_if_exists,
        dict(
            metric_names=metric_names,
            qm_params=qm_params,
            peak_sign=peak_sign,
            seed=seed,
            sparsity=sparsity,
            skip_pc_metrics=skip_pc_metrics,
        ),
        verbose=verbose,
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **job_kwargs,
    )
    return extension.get_data()
