"""ComputedExtension: a WaveformExtractor extension that computes in memory, then saves.

SpikeInterface 0.100's ``compute_*`` functions create the extension, write its ``params.json``
and then compute: a computation that fails or is cancelled leaves the new parameters next to the
previous data. Here the data are computed first, from the extractor and the checked parameters;
only a finished result is registered in the extractor and written (params and data together, in
the layout of SpikeInterface 0.100: ``<folder>/<extension_name>/params.json`` plus one file per
data item, or a zarr group).

Subclasses set ``extension_name`` and implement ``_check_params(waveform_extractor, **params)``,
``_compute_data(waveform_extractor, params, **run_kwargs)`` and ``_select_extension_data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..waveforms.extension import BaseWaveformExtractorExtension

if TYPE_CHECKING:
    from ..waveforms.extractor import WaveformExtractor


class ComputedExtension(BaseWaveformExtractorExtension):
    """Base of the postprocessing and quality-metric extensions (see the module docstring).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
        The extractor this extension belongs to.
    """

    @classmethod
    def _check_params(cls, waveform_extractor: WaveformExtractor, **params) -> dict:
        """Validated, complete parameters (``ValueError``/``TypeError`` on bad values)."""
        raise NotImplementedError(f"{cls.__name__} does not define _check_params")

    @classmethod
    def _compute_data(
        cls, waveform_extractor: WaveformExtractor, params: dict, **run_kwargs
    ) -> dict[str, Any]:
        """The extension data computed from the extractor; writes nothing."""
        raise NotImplementedError(f"{cls.__name__} does not define _compute_data")

    def _set_params(self, **params) -> dict:
        return self._check_params(self.waveform_extractor, **params)

    def _run(self, **run_kwargs) -> None:
        if self._params is None:
            raise ValueError(f"{self.extension_name}: call set_params() before run()")
        self._extension_data = self._compute_data(
            self.waveform_extractor, self._params, **run_kwargs
        )

    def _require_data(self, *names: str) -> None:
        missing = [name for name in names if name not in self._extension_data]
        if missing:
            raise ValueError(
                f"extension {self.extension_name!r} has no {', '.join(missing)}: it was not "
                "computed (call run()) or its files are incomplete"
            )

    @classmethod
    def compute(
        cls,
        waveform_extractor: WaveformExtractor,
        load_if_exists: bool = False,
        params: dict | None = None,
        **run_kwargs,
    ) -> ComputedExtension:
        """Load the stored extension, or compute it and then register and save it.

        Parameters
        ----------
        waveform_extractor : WaveformExtractor
            The extractor to compute on (and save into, unless it is in memory or read-only).
        load_if_exists : bool, default: False
            Return the extension already loaded or stored, whatever its parameters, as
            SpikeInterface does.
        params : dict or None, default: None
            Parameters of ``_check_params``.
        **run_kwargs
            Passed to ``_compute_data`` (job keyword arguments, progress, cancel...).

        Returns
        -------
        ComputedExtension
        """
        if load_if_exists and waveform_extractor.has_extension(cls.extension_name):
            return waveform_extractor.load_extension(cls.extension_name)
        checked = cls._check_params(waveform_extractor, **(params or {}))
        data = cls._compute_data(waveform_extractor, checked, **run_kwargs)
        extension = cls(waveform_extractor)
        extension._params = checked
        extension._extension_data = data
        extension.save()
        return extension
