"""Lazy package exports: a package names what it exports, each module is imported on first use.

``import core`` must stay cheap (the desktop app starts from it, scripts ``import core as si``),
so the package ``__init__`` modules do not import their submodules: they give `lazy_exports` a
table of public name -> defining module, and the module-level ``__getattr__`` it returns
(PEP 562) imports that module the first time the name is read, then keeps the value in the
package so the next read is a plain attribute. Imports go through the import system's
per-module locks, so threads reading names at the same time are safe.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names are imported on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (its module must already be in ``sys.modules``).
    exports : mapping of str to str
        Public name -> module defining it, relative to ``package`` (``".recording.binary"``)
        or absolute.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)``, to assign at the package's top level.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        try:
            module_name = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module_name, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
