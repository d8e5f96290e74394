"""Probe layouts and wiring (no Qt): generate common layouts with probeinterface, check and set
the device channel of every contact of a probe group."""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

import numpy as np
import probeinterface as pi
from probeinterface import ProbeGroup, neuropixels_tools

#: Every layout `build_layout` knows; see `available_layouts` for those usable here.
LAYOUT_KINDS = ("tetrodes", "linear", "multi_column", "multi_shank", "neuropixels")
#: Human names of the layouts and of their parameters (lengths in µm).
LAYOUT_LABELS = {
    "tetrodes": "Tetrodes",
    "linear": "Linear",
    "multi_column": "Multi-column",
    "multi_shank": "Multi-shank",
    "neuropixels": "Neuropixels",
}
PARAMETER_LABELS = {
    "num_tetrodes": "Tetrodes",
    "spacing_um": "Spacing",
    "num_contacts": "Contacts",
    "pitch_um": "Pitch",
    "num_columns": "Columns",
    "contacts_per_column": "Contacts per column",
    "xpitch_um": "Column pitch",
    "ypitch_um": "Row pitch",
    "num_shanks": "Shanks",
    "shank_pitch_um": "Shank pitch",
    "part_number": "Part number",
}


@cache
def neuropixels_part_numbers() -> dict[str, str]:
    """Neuropixels probes of probeinterface's bundled catalogue: part number -> description.

    Empty when the installed probeinterface ships no catalogue (nothing is downloaded).
    """
    catalogue = resources.files("probeinterface").joinpath(
        "resources/neuropixels_probe_features.json"
    )
    if not hasattr(neuropixels_tools, "build_neuropixels_probe") or not catalogue.is_file():
        return {}
    probes = json.loads(catalogue.read_text(encoding="utf-8"))["neuropixels_probes"]
    return {part: spec["description"] for part, spec in probes.items()}


def available_layouts() -> tuple[str, ...]:
    """The layout kinds that can be generated with the installed probeinterface."""
    return tuple(k for k in LAYOUT_KINDS if k != "neuropixels" or neuropixels_part_numbers())


def default_layout_parameters(kind: str, num_channels: int) -> dict:
    """Parameters of `build_layout` that give about ``num_channels`` contacts."""
    n = max(int(num_channels), 1)
    defaults = {
        "tetrodes": {"num_tetrodes": max(n // 4, 1), "spacing_um": 100.0},
        "linear": {"num_contacts": n, "pitch_um": 20.0},
        "multi_column": {
            "num_columns": 2,
            "contacts_per_column": max(n // 2, 1),
            "xpitch_um": 20.0,
            "ypitch_um": 20.0,
        },
        "multi_shank": {
            "num_shanks": 4,
            "num_columns": 2,
            "contacts_per_column": max(n // 8, 1),
            "shank_pitch_um": 150.0,
            "xpitch_um": 20.0,
            "ypitch_um": 20.0,
        },
        "neuropixels": {"part_number": "NP1000", "num_contacts": min(n, 384)},
    }
    if kind not in defaults:
        raise ValueError(f"kind must be one of {LAYOUT_KINDS}, got {kind!r}")
    return defaults[kind]


def build_layout(kind: str, num_channels: int = 32, **params) -> ProbeGroup:
    """Generate a common probe layout with probeinterface (contacts not wired yet).

    Parameters
    ----------
    kind : {"tetrodes", "linear", "multi_column", "multi_shank", "neuropixels"}
        The layout; tetrodes are separate probes on a square grid, the others one probe.
    num_channels : int
        Missing parameters take ``default_layout_parameters(kind, num_channels)``.
    **params
        The keys of `default_layout_parameters` for ``kind``. Neuropixels keeps the first
        ``num_contacts`` electrodes (bank 0).

    Raises
    ------
    ValueError
        For an unknown kind or parameter, a non-positive size, or a Neuropixels part number
        that is not in the catalogue.
    """
    defaults = default_layout_parameters(kind, num_channels)
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"{kind} layout: unknown parameter(s) {sorted(unknown)}")
    p = {**defaults, **params}
    for name, value in p.items():
        if name != "part_number" and not value > 0:
            raise ValueError(f"{kind} layout: {name} must be positive, got {value}")
    group = ProbeGroup()
    if kind == "tetrodes":
        columns = math.ceil(math.sqrt(p["num_tetrodes"]))
        for i in range(int(p["num_tetrodes"])):
            tetrode = pi.generate_tetrode()
            tetrode.create_auto_shape(probe_type="circular", margin=10)
            row, column = divmod(i, columns)
            tetrode.move([column * p["spacing_um"], -row * p["spacing_um"]])
            group.add_probe(tetrode)
        return group
    if kind == "linear":
        probe = pi.generate_linear_probe(num_elec=int(p["num_contacts"]), ypitch=p["pitch_um"])
    elif kind == "multi_column":
        probe = pi.generate_multi_columns_probe(
            num_columns=int(p["num_columns"]),
            num_contact_per_column=int(p["contacts_per_column"]),
            xpitch=p["xpitch_um"],
            ypitch=p["ypitch_um"],
        )
    elif kind == "multi_shank":
        probe = pi.generate_multi_shank(
            num_shank=int(p["num_shanks"]),
            shank_pitch=[p["shank_pitch_um"], 0],
            num_columns=int(p["num_columns"]),
            num_contact_per_column=int(p["contacts_per_column"]),
            xpitch=p["xpitch_um"],
            ypitch=p["ypitch_um"],
        )
    else:
        if p["part_number"] not in neuropixels_part_numbers():
            raise ValueError(
                f"neuropixels layout: part number {p['part_number']!r} is not in "
                "probeinterface's local catalogue"
            )
        full = neuropixels_tools.build_neuropixels_probe(p["part_number"])
        count = int(p["num_contacts"])
        if count > full.get_contact_count():
            raise ValueError(
                f"neuropixels layout: {p['part_number']} has {full.get_contact_count()} "
                f"electrodes, fewer than num_contacts={count}"
            )
        probe = full.get_slice(np.arange(count))
    group.add_probe(probe)
    return group


def validate_wiring(device_channel_indices, num_contacts: int, num_channels: int) -> np.ndarray:
    """Check a wiring (device channel of each contact, -1 when unwired) and return it as int64.

    Raises
    ------
    ValueError
        Naming the problem: wrong length, non-integers, an index outside the recording's
        channels, or a device channel wired to two contacts.
    """
    values = np.asarray(list(device_channel_indices))
    if values.size and values.dtype.kind not in "iu":
        raise ValueError(f"device_channel_indices must be integers, got dtype {values.dtype}")
    if values.shape != (num_contacts,):
        raise ValueError(
            f"device_channel_indices has {values.size} entries but the probe has "
            f"{num_contacts} contacts"
        )
    values = values.astype("int64")
    for contact, channel in enumerate(values.tolist()):
        if not -1 <= channel < num_channels:
            raise ValueError(
                f"contact {contact}: device channel {channel} is outside 0..{num_channels - 1} "
                f"(the recording has {num_channels} channels; -1 leaves a contact unwired)"
            )
    channels, counts = np.unique(values[values >= 0], return_counts=True)
    if np.any(counts > 1):
        channel = channels[counts > 1][0]
        contacts = np.flatnonzero(values == channel)
        raise ValueError(
            f"device channel {channel} is wired to contacts {contacts[0]} and {contacts[1]}"
        )
    return values


def probegroup_wiring(probegroup: ProbeGroup) -> np.ndarray:
    """Device channel of every contact, probe after probe (-1 when unwired)."""
    return np.concatenate(
        [
            np.full(p.get_contact_count(), -1, dtype="int64")
            if p.device_channel_indices is None
            else np.asarray(p.device_channel_indices, dtype="int64")
            for p in probegroup.probes
        ]
    )


def shank_keys(probegroup: ProbeGroup) -> np.ndarray:
    """Index of each contact's shank (numbered across probes in contact order)."""
    keys = []
    for i, probe in enumerate(probegroup.probes):
        shanks = probe.shank_ids
        if shanks is None or len(shanks) == 0:
            shanks = [""] * probe.get_contact_count()
        keys.extend(f"{i}/{shank}" for shank in shanks)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse].astype("int64")


def set_wiring(group: ProbeGroup, wiring: np.ndarray) -> None:
    """Wire ``group`` in place: one device channel per contact, probe after probe (-1 unwired)."""
    # unwire everything first: the group refuses a device channel shared by two probes
    for probe in group.probes:
        probe.set_device_channel_indices(np.full(probe.get_contact_count(), -1))
    start = 0
    for probe in group.probes:
        stop = start + probe.get_contact_count()
        probe.set_device_channel_indices(wiring[start:stop])
        start = stop
