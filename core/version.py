"""Version strings written into extractor dictionaries."""

__version__ = "0.1.0"

#: SpikeInterface release whose on-disk layout and API this package follows. It is written as the
#: ``version`` of extractor dictionaries so that SpikeInterface 0.100 loads our folders without a
#: version-mismatch warning; our own version is written next to it as ``spikedesk_version``.
SPIKEINTERFACE_COMPAT_VERSION = "0.100.8"


def is_editable_mode() -> bool:
    """Whether this package runs from a source checkout (``pip install -e``).

    Returns
    -------
    bool
        True when the folder above the package holds the project's ``pyproject.toml``.
    """
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "pyproject.toml").is_file()
