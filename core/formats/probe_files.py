"""Probe files: read_probe_file and write_probe_file.

``read_probe_file`` recognises a file by its content: probeinterface JSON, PRB, SpikeGLX
``.meta`` and Open Ephys ``settings.xml``. PRB files are Python-like text; probeinterface runs
them with ``exec``, so they are parsed here with :mod:`ast` instead: only literals,
``range(...)``/``list(...)``, NumPy scalar wrappers such as ``np.float64(20.0)`` and names
assigned earlier in the file are accepted, and nothing in the file is ever run.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import numpy as np
import probeinterface
from probeinterface import Probe, ProbeGroup

from ..atomic import partial_name

ACCEPTED_KINDS = (
    "a probeinterface JSON file, a PRB file, a SpikeGLX .meta file or an Open Ephys settings.xml"
)
# Larger range(...) calls are refused: no probe has that many channels.
_MAX_RANGE = 1_000_000
_NUMPY_SCALARS = {f"{kind}{bits}" for kind in ("int", "uint") for bits in (8, 16, 32, 64)} | {
    "float16",
    "float32",
    "float64",
}
_SPIKEGLX_KEY = re.compile(r"^~?imroTbl=", re.MULTILINE)


def read_probe_file(path: str | Path) -> ProbeGroup:
    """Read the probes described by a probe file, whatever its kind.

    Parameters
    ----------
    path : str | Path
        A probeinterface JSON file, a PRB file, a SpikeGLX ``.meta`` file or an Open Ephys
        ``settings.xml`` (Neuropixels probes; a file describing several probes is refused by
        probeinterface).

    Returns
    -------
    probeinterface.ProbeGroup

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the content is none of the accepted kinds, or the file of a recognised kind is
        damaged (the message names the file and the kind).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such probe file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file; expected {ACCEPTED_KINDS}") from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _read_with_probeinterface(path, "probeinterface JSON", _read_json)
    if stripped.startswith("<") and "<SETTINGS" in text:
        return _read_with_probeinterface(path, "Open Ephys settings", _read_openephys)
    if _SPIKEGLX_KEY.search(text):
        if path.suffix != ".meta":
            raise ValueError(f"{path}: a SpikeGLX meta file must be named *.meta to be read")
        return _read_with_probeinterface(path, "SpikeGLX meta", _read_spikeglx)
    if _defines_channel_groups(text):
        return parse_prb(text, path)
    raise ValueError(f"{path}: unknown probe file; expected {ACCEPTED_KINDS}")


def write_probe_file(path: str | Path, probe_or_group: Probe | ProbeGroup) -> None:
    """Write a probe or probe group to a ``.json`` (probeinterface) or ``.prb`` file.

    The file is written under a temporary name and renamed when complete. A PRB file holds
    one channel group per probe (the contacts' device channel indices and 2D positions;
    unwired contacts are left out) and is written as plain literals that any PRB reader
    understands.

    Parameters
    ----------
    path : str | Path
        Target file; its suffix chooses the format. Missing parent folders are created.
    probe_or_group : probeinterface.Probe | probeinterface.ProbeGroup
        What to write; a PRB file needs device channel indices on every probe.

    Raises
    ------
    TypeError
        If ``probe_or_group`` is neither a Probe nor a ProbeGroup.
    ValueError
        If the suffix is not ``.json`` or ``.prb``, or a probe lacks what PRB needs.
    """
    path = Path(path)
    if isinstance(probe_or_group, Probe):
        group = ProbeGroup()  # a copy: adding the probe itself would tie it to this group
        group.add_probe(Probe.from_dict(probe_or_group.to_dict()))
    elif isinstance(probe_or_group, ProbeGroup):
        group = probe_or_group
    else:
        raise TypeError(
            f"probe_or_group must be a probeinterface Probe or ProbeGroup, "
            f"got {type(probe_or_group).__name__}"
        )
    if path.suffix == ".json":
        write = probeinterface.write_probeinterface
    elif path.suffix == ".prb":
        write = _write_prb
    else:
        raise ValueError(f"path: {path} must end with .json or .prb")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(path)
    try:
        write(partial, group)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def parse_prb(text: str, path: str | Path = "<prb>") -> ProbeGroup:
    """Build a ProbeGroup from the text of a PRB file, without running it.

    Parameters
    ----------
    text : str
        The PRB content: ``channel_groups = {0: {"channels": [...], "geometry": {...}}}`` and
        optionally ``total_nb_channels``, ``radius``... (names are case-insensitive).
        ``geometry`` maps each channel to ``(x, y)``, or is a list of ``[x, y]`` (one per
        entry of ``channels``, or indexed by channel number). ``graph`` is ignored.
    path : str | Path
        The file name, for messages.

    Returns
    -------
    probeinterface.ProbeGroup
        One probe per channel group (circular contacts of radius 5 um, as probeinterface).

    Raises
    ------
    ValueError
        If the text holds anything other than assignments of accepted values, or the channel
        groups are malformed.
    """
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError) as err:
        raise ValueError(f"{path}: not a readable PRB file ({err})") from None
    names: dict = {}
    for statement in tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and all(isinstance(target, ast.Name) for target in statement.targets)
        ):
            raise ValueError(
                f"{path}: line {statement.lineno}: only assignments are allowed in a PRB file "
                "(it is read, never run)"
            )
        value = _evaluate(statement.value, names, path)
        for target in statement.targets:
            names[target.id] = value
    prb = {name.lower(): value for name, value in names.items()}
    groups = prb.get("channel_groups")
    if not isinstance(groups, dict) or not groups:
        raise ValueError(f"{path}: channel_groups must be a non-empty dict of channel groups")
    probegroup = ProbeGroup()
    seen: set[int] = set()
    for key, group in groups.items():
        where = f"{path}: channel group {key!r}"
        probe = _probe_from_channel_group(group, where)
        channels = set(probe.device_channel_indices.tolist())
        if channels & seen:
            raise ValueError(f"{where}: channel {min(channels & seen)} is in another group too")
        seen |= channels
        probegroup.add_probe(probe)
    return probegroup


def _read_with_probeinterface(path: Path, kind: str, reader) -> ProbeGroup:
    try:
        probe_or_group = reader(path)
    except Exception as err:  # probeinterface reports damage with assert, KeyError...
        raise ValueError(f"{path}: unreadable {kind} file ({type(err).__name__}: {err})") from err
    if isinstance(probe_or_group, ProbeGroup):
        return probe_or_group
    group = ProbeGroup()
    group.add_probe(probe_or_group)
    return group


def _read_json(path: Path) -> ProbeGroup:
    if "probes" not in json.loads(path.read_text(encoding="utf-8")):
        raise ValueError("no 'probes' entry")
    return probeinterface.read_probeinterface(path)


def _read_spikeglx(path: Path) -> Probe:
    return probeinterface.read_spikeglx(path)


def _read_openephys(path: Path) -> Probe:
    # probeinterface >= 0.3 renamed read_openephys (now a deprecated alias)
    reader = (
        getattr(probeinterface, "read_openephys_neuropixels", None) or probeinterface.read_openephys
    )
    return reader(path)


def _defines_channel_groups(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(statement, ast.Assign)
        and any(
            isinstance(target, ast.Name) and target.id.lower() == "channel_groups"
            for target in statement.targets
        )
        for statement in tree.body
    )


def _evaluate(node: ast.expr, names: dict, path):
    """Value of an expression made of literals, range/list calls, NumPy scalars and names."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_evaluate(item, names, path) for item in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_evaluate(key, names, path) for key in node.keys]
        if all(isinstance(key, int | float | str | bool) for key in keys):
            return dict(zip(keys, (_evaluate(value, names, path) for value in node.values)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _evaluate(node.operand, names, path)
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.Call) and not node.keywords:
        call = _call_name(node.func)
        args = [_evaluate(arg, names, path) for arg in node.args]
        if call == "range" and 1 <= len(args) <= 3 and _all_ints(args) and args[2:] != [0]:
            if len(range(*args)) <= _MAX_RANGE:
                return list(range(*args))
        elif call == "list" and len(args) == 1 and isinstance(args[0], list):
            return args[0]
        elif call in _NUMPY_SCALARS and len(args) == 1 and isinstance(args[0], int | float):
            return getattr(np, call)(args[0]).item()
    raise ValueError(
        f"{path}: line {node.lineno}: {ast.unparse(node)[:80]!r} is not allowed in a PRB file "
        "(it is read, never run: use literals, range(...) and names assigned above)"
    )


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name) and func.id in ("range", "list"):
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("np", "numpy")
    ):
        return func.attr
    return None


def _all_ints(values: list) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _probe_from_channel_group(group, where: str) -> Probe:
    if not isinstance(group, dict) or "channels" not in group or "geometry" not in group:
        raise ValueError(f"{where} must be a dict with 'channels' and 'geometry'")
    channels = group["channels"]
    if not isinstance(channels, list) or not channels or not _all_ints(channels):
        raise ValueError(f"{where}: 'channels' must be a non-empty list of integers")
    if len(set(channels)) != len(channels):
        raise ValueError(f"{where}: 'channels' lists a channel twice")
    geometry = group["geometry"]
    if isinstance(geometry, dict):
        missing = [c for c in channels if c not in geometry]
        if missing:
            raise ValueError(f"{where}: channel {missing[0]} has no position in 'geometry'")
        positions = [geometry[c] for c in channels]
    elif isinstance(geometry, list) and len(geometry) == len(channels):
        positions = geometry
    elif isinstance(geometry, list) and 0 <= min(channels) and max(channels) < len(geometry):
        positions = [geometry[c] for c in channels]
    else:
        raise ValueError(
            f"{where}: 'geometry' must map each channel to (x, y), or list one [x, y] per channel"
        )
    try:
        positions = np.array(positions, dtype="float64")
    except (TypeError, ValueError):
        positions = np.zeros(0)
    if positions.shape != (len(channels), 2):
        raise ValueError(f"{where}: every position in 'geometry' must be two numbers (x, y)")
    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(positions=positions, shapes="circle", shape_params={"radius": 5})
    probe.create_auto_shape(probe_type="tip")
    probe.set_device_channel_indices(np.array(channels, dtype="int64"))
    return probe


def _write_prb(path: Path, group: ProbeGroup) -> None:
    lines = ["channel_groups = {"]
    for index, probe in enumerate(group.probes):
        if probe.ndim != 2:
            raise ValueError(f"probe {index} is {probe.ndim}D; a PRB file holds 2D positions")
        if probe.device_channel_indices is None:
            raise ValueError(f"probe {index} has no device channel indices (needed for PRB)")
        wired = probe.device_channel_indices >= 0
        channels = probe.device_channel_indices[wired].tolist()
        positions = probe.contact_positions[wired].tolist()
        lines.append(f"    {index}: {{")
        lines.append(f"        'channels': {channels},")
        lines.append("        'geometry': {")
        lines.extend(f"            {c}: ({x!r}, {y!r})," for c, (x, y) in zip(channels, positions))
        lines.append("        },")
        lines.append("    },")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
