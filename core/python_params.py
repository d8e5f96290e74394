"""Python parameter files (``name = value`` lines, as phy's ``params.py``): read without running.

SpikeInterface's ``read_python`` executes the file; here only literal assignments are evaluated
(:func:`ast.literal_eval`), plus ``range(...)`` with literal arguments, which SpikeInterface turns
into a list. A file is data: nothing in it is ever run.
"""

from __future__ import annotations

import ast
import sys
import warnings
from pathlib import Path

__all__ = ["read_literal_assignments", "read_python", "write_python"]


def _literal(node: ast.expr):
    """The value of a literal expression, or of ``range(<int literals>)`` as a list."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and not node.keywords
    ):
        return list(range(*(ast.literal_eval(arg) for arg in node.args)))
    return ast.literal_eval(node)


def read_literal_assignments(file_path: str | Path) -> dict:
    """Read the top-level literal assignments of a Python file without running it.

    Each ``name = value`` is evaluated as a literal (``range(...)`` becomes a list); other
    statements (imports, calls...) are skipped with a warning naming their lines.

    Parameters
    ----------
    file_path : str | Path
        The Python file.

    Returns
    -------
    dict
        ``name -> value`` in file order.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not UTF-8 Python, or an assignment's value is not a literal.
    """
    file_path = Path(file_path)
    if not file_path.is_file():
        raise FileNotFoundError(f"{file_path}: no such file")
    try:
        tree = ast.parse(file_path.read_text(encoding="utf-8"), filename=str(file_path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{file_path}: not a readable {file_path.name} ({err})") from None
    values, skipped = {}, []
    for node in tree.body:
        if isinstance(node, ast.Assign) and [type(t) for t in node.targets] == [ast.Name]:
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            name, value = node.target.id, node.value
        else:
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                skipped.append(node.lineno)  # a docstring is skipped silently
            continue
        try:
            values[name] = _literal(value)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise ValueError(
                f"{file_path}: line {node.lineno}: the value of {name!r} is not a literal "
                "(the file is read, never run: write values such as 30000., 'int16' or True)"
            ) from None
    if skipped:
        warnings.warn(
            f"{file_path}: line(s) {sorted(set(skipped))} skipped: only literal assignments are "
            "read (the file is never run)",
            stacklevel=2,
        )
    return values


def read_python(path: str | Path) -> dict:
    """Read a Python parameter file into a dictionary with lower-case keys.

    SpikeInterface's ``read_python``, except that the file is parsed, not executed: only literal
    assignments are read (see `read_literal_assignments`).

    Parameters
    ----------
    path : str | Path
        The file (e.g. phy's ``params.py``).

    Returns
    -------
    dict
        ``name.lower() -> value``.
    """
    return {k.lower(): v for k, v in read_literal_assignments(path).items()}


def write_python(path: str | Path, dict: dict) -> None:
    """Write a dictionary as ``key = value`` lines (SpikeInterface's ``write_python``).

    Strings are quoted (raw strings for ``*path*`` keys on Windows); other values are written
    with ``str``.

    Parameters
    ----------
    path : str | Path
        The file to write.
    dict : dict
        The values.
    """
    lines = []
    for key, value in dict.items():
        if isinstance(value, str) and not value.startswith("'"):
            prefix = "r" if "path" in key and sys.platform.startswith("win") else ""
            lines.append(f"{key} = {prefix}'{value}'\n")
        else:
            lines.append(f"{key} = {value}\n")
    Path(path).write_text("".join(lines), encoding="utf-8")
