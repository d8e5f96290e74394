"""One description of open data, for the "Open data" panel and ``spikedesk --print-summary`` (no Qt)."""

from __future__ import annotations

from typing import Any

import numpy as np

#: Kinds of open object, with their labels, in display order.
KINDS = (
    ("recording", "Recording"),
    ("sorting", "Sorting"),
    ("events", "Events"),
    ("snippets", "Snippets"),
    ("waveform_extractor", "Waveforms"),
)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def describe_probe(recording) -> str:
    """Contacts, shanks and groups of a recording's probe ("no probe" without one)."""
    if not recording.has_probe():
        return "no probe"
    probes = recording.get_probes()
    contacts = sum(p.get_contact_count() for p in probes)
    shanks = sum(len(p.get_shanks()) for p in probes)
    groups = len(set(np.asarray(recording.get_channel_groups()).tolist()))
    return (
        f"probe: {_plural(contacts, 'contact')} on {_plural(shanks, 'shank')}, "
        f"{_plural(groups, 'group')}"
    )


def describe_recording(recording) -> str:
    """Channels, rate, segments, duration, sample type and probe of a recording."""
    return " · ".join(
        [
            _plural(recording.get_num_channels(), "channel"),
            f"{recording.sampling_frequency / 1000:g} kHz",
            _plural(recording.get_num_segments(), "segment"),
            _duration(recording.get_total_duration()),
            str(recording.get_dtype()),
            describe_probe(recording),
        ]
    )


def describe_sorting(sorting) -> str:
    """Units and spikes of a sorting."""
    return (
        f"{_plural(sorting.get_num_units(), 'unit')} · "
        f"{_plural(sorting.count_total_num_spikes(), 'spike')}"
    )


def describe_events(events) -> str:
    """Channels and events of an event object (all segments)."""
    count = sum(
        events.get_event_times(channel_id=channel_id, segment_index=segment).size
        for segment in range(events.get_num_segments())
        for channel_id in events.channel_ids
    )
    return f"{_plural(events.get_num_channels(), 'channel')} · {_plural(count, 'event')}"


def describe_snippets(snippets) -> str:
    """Snippet count, length and channels."""
    return (
        f"{_plural(snippets.get_total_snippets(), 'snippet')} of "
        f"{_plural(snippets.snippet_len, 'sample')} · "
        f"{_plural(snippets.get_num_channels(), 'channel')}"
    )


def describe_waveforms(waveform_extractor) -> str:
    """Units, window, sparsity and whether the recording was found."""
    we = waveform_extractor
    fs = we.sampling_frequency
    parts = [
        _plural(len(we.unit_ids), "unit"),
        f"{we.nbefore / fs * 1000:g} ms before, {we.nafter / fs * 1000:g} ms after",
    ]
    if we.is_sparse():
        mean = float(we.sparsity.mask.sum(axis=1).mean())
        parts.append(f"sparse ({mean:.1f} channels per unit)")
    else:
        parts.append("dense")
    if not we.has_recording():
        parts.append("recording not found")
    return " · ".join(parts)


_DESCRIBERS = {
    "recording": describe_recording,
    "sorting": describe_sorting,
    "events": describe_events,
    "snippets": describe_snippets,
    "waveform_extractor": describe_waveforms,
}


def describe(objects: dict[str, Any]) -> list[tuple[str, str]]:
    """``(label, details)`` of each kind of object, "none" for kinds that are absent.

    Parameters
    ----------
    objects : dict
        By kind: ``recording``, ``sorting``, ``events``, ``snippets``, ``waveform_extractor``
        (missing or None: absent).
    """
    rows = []
    for kind, label in KINDS:
        value = objects.get(kind)
        rows.append((label, "none" if value is None else _describe_safely(kind, value)))
    return rows


def _describe_safely(kind: str, value: Any) -> str:
    try:
        return _DESCRIBERS[kind](value)
    except Exception as error:  # a summary must never stop the window from showing the data
        return f"{type(value).__name__} ({type(error).__name__}: {error})"
