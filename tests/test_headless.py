"""``core`` must import and work with Qt unavailable (it is used on clusters without a screen)."""

import subprocess
import sys
import textwrap

BLOCK_QT = textwrap.dedent("""
    import sys

    class BlockQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtawesome",
                                      "qtpy", "shiboken6"):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockQt())
""")


def run_with_qt_blocked(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_QT + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_qt_is_really_blocked():
    result = run_with_qt_blocked("import PySide6")
    assert result.returncode != 0 and "blocked" in result.stderr


def test_core_imports_and_works_without_qt():
    result = run_with_qt_blocked("""
        import core as si
        import app.model.decimation
        import app.model.demo
        import app.model.probe_editor
        import app.model.probe_layouts
        import app.model.session
        import app.model.trace_fetcher
        import app.model.trace_frame
        recording = si.generate_recording(num_channels=4, durations=[1.0], seed=0)
        assert recording.get_traces(end_frame=10).shape == (10, 4)
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_core_imports_neo_only_when_a_file_needs_it():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, core; print('neo' in sys.modules);"
            "from core.formats.neo_rawio import open_rawio;"
            "import neo.rawio; print(len(neo.rawio.rawiolist) > 0)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
