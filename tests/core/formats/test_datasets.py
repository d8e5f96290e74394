"""download_dataset: cached data without network, fast failures offline, the datalad calls."""

import socket
import sys
import types

import pytest

from core.formats import datasets
from core.formats.datasets import download_dataset
from core.jobs import globals as job_globals

REMOTE = "mearec/mearec_test_10s.h5"


@pytest.fixture
def dataset_folder(tmp_path, monkeypatch):
    """The global dataset folder, pointed at tmp_path for the test."""
    folder = tmp_path / "datasets"
    monkeypatch.setattr(job_globals, "_dataset_folder", folder)
    monkeypatch.setattr(job_globals, "_dataset_folder_set", True)
    return folder


@pytest.fixture
def no_datalad(monkeypatch):
    monkeypatch.setitem(sys.modules, "datalad", None)
    monkeypatch.setitem(sys.modules, "datalad.api", None)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("download_dataset must not touch the network here")

    monkeypatch.setattr(socket, "create_connection", refuse)


class FakeDataset:
    """Records datalad calls; ``get`` writes the requested file."""

    def __init__(self, path, calls):
        self.path, self.calls = path, calls

    def update(self, **kwargs):
        self.calls.append(("update", kwargs))

    def get(self, path):
        self.calls.append(("get", path))
        with open(path, "w") as file:
            file.write("data")

    def unlock(self, path):
        self.calls.append(("unlock", path))


@pytest.fixture
def datalad_calls(monkeypatch):
    """A stand-in datalad package (its calls are recorded) with git and git-annex on PATH."""
    calls = []
    api = types.ModuleType("datalad.api")

    def install(path, source):
        calls.append(("install", path, source))
        (datasets.Path(path) / "mearec").mkdir(parents=True)
        return FakeDataset(path, calls)

    api.install = install
    api.Dataset = lambda path: FakeDataset(path, calls)
    package = types.ModuleType("datalad")
    package.api = api
    monkeypatch.setitem(sys.modules, "datalad", package)
    monkeypatch.setitem(sys.modules, "datalad.api", api)
    monkeypatch.setattr(datasets.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    return calls


@pytest.fixture
def fake_datalad(datalad_calls, monkeypatch):
    """The stand-in datalad with the repository's host reachable."""
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: socket.socket())
    return datalad_calls


def test_cached_file_is_returned_without_network(dataset_folder, no_datalad, no_network):
    cached = dataset_folder / "ephy_testing_data" / REMOTE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"h5")
    assert download_dataset(remote_path=REMOTE) == cached


def test_cached_folder_with_leading_slash(tmp_path, no_datalad, no_network):
    folder = tmp_path / "repo" / "spikeglx" / "gate"
    folder.mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"x")
    path = download_dataset(remote_path="/spikeglx/gate", local_folder=tmp_path / "repo")
    assert path == folder


def test_dangling_annex_link_is_not_a_cached_file(tmp_path, no_datalad, no_network):
    path = tmp_path / "repo" / REMOTE
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp_path / "repo" / ".git" / "annex" / "objects" / "missing")
    with pytest.raises(RuntimeError, match="datalad"):
        download_dataset(remote_path=REMOTE, local_folder=tmp_path / "repo")


def test_without_datalad_fails_fast(dataset_folder, no_datalad):
    with pytest.raises(
        RuntimeError, match=r"'datalad' package.*not installed.*pip install datalad"
    ):
        download_dataset(remote_path=REMOTE)


def test_unreachable_host_fails_fast(tmp_path, datalad_calls):
    with socket.socket() as probe:  # a local port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RuntimeError, match=rf"network is unreachable.*127\.0\.0\.1:{port}"):
        download_dataset(repo=f"http://127.0.0.1:{port}/repo", local_folder=tmp_path / "repo")
    assert datalad_calls == []


def test_timeout_is_reported_as_unreachable(tmp_path, fake_datalad, monkeypatch):
    def time_out(address, timeout):
        assert timeout <= 3
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", time_out)
    with pytest.raises(RuntimeError, match=r"gin\.g-node\.org:443 within 3 s"):
        download_dataset(local_folder=tmp_path / "repo")


def test_missing_git_annex_is_named(tmp_path, fake_datalad, monkeypatch):
    monkeypatch.setattr(
        datasets.shutil, "which", lambda tool: None if tool == "git-annex" else tool
    )
    with pytest.raises(RuntimeError, match="git-annex is not on PATH"):
        download_dataset(local_folder=tmp_path / "repo")


def test_installs_gets_and_unlocks(dataset_folder, fake_datalad):
    path = download_dataset(remote_path=REMOTE, unlock=True)
    folder = dataset_folder / "ephy_testing_data"
    assert path == folder / REMOTE and path.read_text() == "data"
    assert fake_datalad == [
        ("install", str(folder), datasets.DEFAULT_REPO),
        ("get", str(path)),
        ("unlock", str(path)),
    ]


def test_update_if_exists_updates_the_installed_dataset(tmp_path, fake_datalad):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "mearec").mkdir()
    (tmp_path / "repo" / REMOTE).write_text("old")
    download_dataset(local_folder=tmp_path / "repo", update_if_exists=True)
    assert [call[0] for call in fake_datalad] == ["update", "get"]
    assert fake_datalad[0] == ("update", {"how": "merge"})


def test_datalad_failure_is_wrapped(tmp_path, fake_datalad, monkeypatch):
    def fail(path, source):
        raise OSError("clone failed")

    monkeypatch.setattr(sys.modules["datalad.api"], "install", fail)
    with pytest.raises(RuntimeError, match="datalad could not fetch.*clone failed"):
        download_dataset(local_folder=tmp_path / "repo")


@pytest.mark.parametrize("remote_path", ["../outside.h5", "", "/"])
def test_remote_path_must_stay_inside(tmp_path, remote_path):
    with pytest.raises(ValueError, match="remote_path"):
        download_dataset(remote_path=remote_path, local_folder=tmp_path)
