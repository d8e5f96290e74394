"""Which extractor classes a dictionary may name.

Loading a folder or dictionary never imports a module named in the data: the ``class`` string is
looked up here, among classes this package defines. SpikeInterface's class paths are registered as
aliases, so dictionaries written by SpikeInterface load, and ours name SpikeInterface's classes so
that SpikeInterface loads our folders.
"""

from __future__ import annotations

_classes: dict[str, type] = {}


def register_extractor_class(cls: type, *class_paths: str) -> type:
    """Register ``cls`` under its own import path and each of ``class_paths``.

    The first of ``class_paths`` (if any) becomes the path written by ``to_dict``.
    """
    own = f"{cls.__module__}.{cls.__qualname__}"
    cls._dict_class_path = class_paths[0] if class_paths else own
    for path in (own, *class_paths):
        _classes[path] = cls
    return cls


def extractor_class_from_path(class_path: str) -> type:
    """Return the registered class for ``class_path``.

    Raises
    ------
    ValueError
        If the class is not one this package knows (nothing is imported from the data).
    """
    import core  # noqa: F401  (importing the package registers every class it defines)

    try:
        return _classes[class_path]
    except KeyError:
        name = class_path.rsplit(".", 1)[-1]
        matches = [c for path, c in _classes.items() if path.rsplit(".", 1)[-1] == name]
        if len({id(c) for c in matches}) == 1:
            return matches[0]
        raise ValueError(
            f"unknown extractor class {class_path!r}: SpikeDesk can only rebuild the classes it "
            "implements (it never imports code named in a data file)"
        ) from None


def define_function_from_class(source_class: type, name: str) -> type:
    """SpikeInterface's way to name a reader function after a class: it is the class itself.

    Parameters
    ----------
    source_class : type
    name : str
        The function name (unused: ``read_binary is BinaryRecordingExtractor``).

    Returns
    -------
    type
        ``source_class``.
    """
    return source_class
