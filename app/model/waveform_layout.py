"""Where to draw short multi-channel waveforms: at their contacts on the probe, or side by side.

A waveform view (templates, snippets) draws each channel's trace in a small box. At probe
positions, the box of a channel is centred on its contact, as wide as the horizontal pitch of the
contacts allows and as tall as the vertical pitch; flattened, the channels sit side by side on one
baseline. `WaveformLayout.place` turns ``(samples, channels)`` arrays into one x/y polyline with
NaN breaks, which pyqtgraph draws as a single item (fast for hundreds of channels). No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Share of the pitch a channel's box takes (the rest separates neighbours).
BOX_FILL = 0.85


@dataclass(frozen=True)
class WaveformLayout:
    """Box of each channel: left edge ``x0``, baseline ``y0``, common ``width`` and ``height``.

    Units are µm at probe positions, arbitrary when flattened. ``height`` is the distance that a
    waveform of amplitude 1 (after gain) spans: values are multiplied by ``height * gain``.
    """

    x0: np.ndarray
    y0: np.ndarray
    width: float
    height: float

    @property
    def num_channels(self) -> int:
        """Channels laid out."""
        return int(self.x0.size)

    def place(self, waveforms: np.ndarray, gain: float) -> tuple[np.ndarray, np.ndarray]:
        """x and y of ``waveforms`` drawn in the boxes, as one polyline broken by NaNs.

        Parameters
        ----------
        waveforms : np.ndarray
            ``(samples, channels)`` or ``(count, samples, channels)`` (one polyline each).
        gain : float
            Scale of the values: ``gain * value * height`` is the drawn height.

        Returns
        -------
        x, y : np.ndarray
            1-D float64, one NaN after each channel's trace.
        """
        waveforms = np.asarray(waveforms, dtype="float64")
        if waveforms.ndim == 2:
            waveforms = waveforms[None]
        count, num_samples, num_channels = waveforms.shape
        if num_channels != self.num_channels:
            raise ValueError(
                f"waveforms have {num_channels} channels, the layout {self.num_channels}"
            )
        steps = np.linspace(0.0, self.width, num_samples)
        x = np.empty((count, num_channels, num_samples + 1))
        x[:, :, :-1] = self.x0[None, :, None] + steps[None, None, :]
        x[:, :, -1] = np.nan
        y = np.empty_like(x)
        y[:, :, :-1] = self.y0[None, :, None] + waveforms.transpose(0, 2, 1) * (gain * self.height)
        y[:, :, -1] = np.nan
        return x.ravel(), y.ravel()


def probe_layout(positions: np.ndarray) -> WaveformLayout:
    """Boxes centred on the contacts at ``positions`` (``(channels, 2)``, µm)."""
    positions = np.asarray(positions, dtype="float64")[:, :2]
    x_pitch = _pitch(positions[:, 0], default=40.0)
    y_pitch = _pitch(positions[:, 1], default=40.0)
    width = BOX_FILL * x_pitch
    return WaveformLayout(
        x0=positions[:, 0] - width / 2, y0=positions[:, 1], width=width, height=y_pitch
    )


def flat_layout(num_channels: int, width: float = 1.0) -> WaveformLayout:
    """Channels side by side on one baseline, each ``width`` wide."""
    x0 = np.arange(num_channels, dtype="float64") * width / BOX_FILL
    return WaveformLayout(x0=x0, y0=np.zeros(num_channels), width=width, height=1.0)


def _pitch(values: np.ndarray, default: float) -> float:
    """Smallest positive distance between distinct coordinates (``default`` if none)."""
    unique = np.unique(values)
    steps = np.diff(unique)
    steps = steps[steps > 1e-6]
    return float(steps.min()) if steps.size else default
