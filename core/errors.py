"""Exceptions shared by the package."""

from __future__ import annotations

__all__ = ["ExistingPathError", "InvalidInputError"]


class InvalidInputError(ValueError, AssertionError):
    """Bad input that SpikeInterface 0.100 rejects with an ``assert``.

    It is a ``ValueError`` (with a message naming the argument, as everywhere in SpikeDesk) and
    also an ``AssertionError``, so that scripts and tests catching SpikeInterface's exception
    keep working. Used for ids that are not unique, property values of the wrong length or type,
    unknown job keyword arguments, frames out of range, and waveforms asked for after they
    were deleted.
    """


class ExistingPathError(FileExistsError, AssertionError):
    """A file or folder that must not exist yet does (SpikeInterface 0.100 asserts there).

    A ``FileExistsError`` naming the path, and also an ``AssertionError`` for scripts written
    against SpikeInterface.
    """
