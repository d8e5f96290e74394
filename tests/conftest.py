"""Test configuration: Qt offscreen before any Qt import, shared fixtures."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# ../shared next to the checkout; SPIKEDESK_SI_FIXTURES points elsewhere (e.g. from a worktree)
FIXTURES_ROOT = Path(
    os.environ.get("SPIKEDESK_SI_FIXTURES")
    or Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "spikeinterface"
)


@pytest.fixture(scope="session")
def si_fixtures() -> Path:
    """Folder of the SpikeInterface-written fixtures (skips when ../shared is absent)."""
    if not FIXTURES_ROOT.is_dir():
        pytest.skip(f"SpikeInterface fixtures not found at {FIXTURES_ROOT}")
    return FIXTURES_ROOT
