"""Waveforms and templates: sparsity, template tools and the `Templates` container."""

from .sparsity import ChannelSparsity, compute_sparsity
from .template_tools import (
    get_template_amplitudes,
    get_template_channel_sparsity,
    get_template_extremum_amplitude,
    get_template_extremum_channel,
    get_template_extremum_channel_peak_shift,
)
from .templates import Templates

__all__ = [
    "ChannelSparsity",
    "Templates",
    "compute_sparsity",
    "get_template_amplitudes",
    "get_template_channel_sparsity",
    "get_template_extremum_amplitude",
    "get_template_extremum_channel",
    "get_template_extremum_channel_peak_shift",
]
