"""download_dataset: fetch one file or folder of a datalad repository (GIN) and cache it locally.

A dataset already on disk is returned without touching the network. Otherwise ``datalad``
(with git and git-annex) does the work; when it is missing or the repository's host cannot be
reached, the call fails within seconds with a message saying what to do.
"""

from __future__ import annotations

import importlib
import shutil
import socket
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from ..jobs.globals import get_global_dataset_folder

DEFAULT_REPO = "https://gin.g-node.org/NeuralEnsemble/ephy_testing_data"
#: Seconds to wait for the repository's host before declaring the network unreachable.
CONNECT_TIMEOUT = 3.0
_DEFAULT_PORTS = {"http": 80, "https": 443, "ssh": 22, "git": 9418}


def download_dataset(
    repo: str = DEFAULT_REPO,
    remote_path: str = "mearec/mearec_test_10s.h5",
    local_folder: str | Path | None = None,
    update_if_exists: bool = False,
    unlock: bool = False,
) -> Path:
    """Download (or find in the cache) a file or folder of a datalad repository.

    Parameters
    ----------
    repo : str
        URL (or local path) of the datalad repository; by default NEO's collection of small
        electrophysiology files on GIN.
    remote_path : str
        File or folder inside the repository, e.g. ``"spikeglx/multi_trigger_multi_gate"``.
    local_folder : str | Path | None
        Where the repository is installed; default
        ``get_global_dataset_folder() / <last part of repo>``.
    update_if_exists : bool
        Update an existing local copy from ``repo`` (merging its changes) before getting.
    unlock : bool
        Make the fetched files ordinary writable files (git-annex keeps them read-only).

    Returns
    -------
    Path
        ``local_folder / remote_path``.

    Raises
    ------
    ValueError
        If ``remote_path`` leaves the repository (``..``) or is empty.
    RuntimeError
        If the data is not on disk and cannot be fetched: datalad, git or git-annex is
        missing, the repository's host is unreachable (checked with a connection attempt of
        ``CONNECT_TIMEOUT`` seconds), or datalad fails.
    """
    relative = _relative_remote_path(remote_path)
    if local_folder is None:
        local_folder = get_global_dataset_folder() / repo.rstrip("/").split("/")[-1]
    local_folder = Path(local_folder)
    local_path = local_folder / relative
    if not update_if_exists and _is_present(local_path, unlocked=unlock):
        return local_path
    api = _import_datalad(local_path)
    _check_tools()
    _check_reachable(repo, local_path)
    try:
        if (local_folder / ".git").exists():
            dataset = api.Dataset(str(local_folder))
            if update_if_exists:
                dataset.update(how="merge")
        else:
            dataset = api.install(path=str(local_folder), source=repo)
        dataset.get(str(local_path))
        if unlock:
            dataset.unlock(str(local_path))
    except Exception as err:  # datalad reports failures with several exception classes
        raise RuntimeError(
            f"download_dataset: datalad could not fetch {remote_path!r} from {repo} into "
            f"{local_folder} ({type(err).__name__}: {err})"
        ) from err
    return local_path


def _relative_remote_path(remote_path: str) -> Path:
    """``remote_path`` relative to the repository root (a leading ``/`` is allowed)."""
    parts = PurePosixPath(str(remote_path).replace("\\", "/")).parts
    parts = tuple(part for part in parts if part not in ("/", "."))
    if not parts or ".." in parts:
        raise ValueError(
            f"remote_path must name something inside the repository, got {remote_path!r}"
        )
    return Path(*parts)


def _is_present(path: Path, unlocked: bool) -> bool:
    """Whether ``path`` is on disk with its content (git-annex leaves dangling links until get).

    With ``unlocked``, annexed files (symbolic links) do not count as present.
    """
    if path.is_dir():
        entries = [path, *path.rglob("*")]
        if len(entries) == 1:
            return False
    else:
        entries = [path]
    return all(entry.exists() and not (unlocked and entry.is_symlink()) for entry in entries)


def _import_datalad(local_path: Path):
    try:
        return importlib.import_module("datalad.api")
    except ImportError:
        raise RuntimeError(
            f"download_dataset: {local_path} is not on disk and the 'datalad' package, which "
            "downloads it, is not installed. Install it with `pip install datalad` (it also needs "
            "git and git-annex), or put the data at that path yourself."
        ) from None


def _check_tools() -> None:
    missing = [tool for tool in ("git", "git-annex") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"download_dataset: datalad is installed but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not on PATH; install them (for example "
            "`apt-get install git git-annex` or `conda install -c conda-forge git-annex`)."
        )


def _check_reachable(repo: str, local_path: Path) -> None:
    """Fail fast when the repository's host does not answer (local repositories are skipped)."""
    url = urlparse(repo)
    if url.scheme not in _DEFAULT_PORTS or not url.hostname:
        return
    port = url.port or _DEFAULT_PORTS[url.scheme]
    try:
        socket.create_connection((url.hostname, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as err:
        raise RuntimeError(
            f"download_dataset: the network is unreachable: cannot connect to "
            f"{url.hostname}:{port} within {CONNECT_TIMEOUT:g} s ({err}). Connect to the "
            f"internet (or check the proxy), or put the data at {local_path} yourself."
        ) from None
