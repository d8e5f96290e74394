"""``spikedesk [PATH ...]`` / ``python -m app [PATH ...]``: the SpikeDesk window.

With no path it opens the embedded demo dataset, so every view shows data at once. Several
paths open together (e.g. a recording folder and a sorting folder). ``--print-summary``
describes the demo dataset (or the paths) in the terminal without opening a window.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

APP_NAME = "SpikeDesk"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="spikedesk", description="Browse and curate extracellular electrophysiology data."
    )
    parser.add_argument("paths", nargs="*", help="recordings, sortings or folders to open")
    parser.add_argument(
        "--print-summary",
        action="store_true",
        help="print what the demo dataset (or each PATH) holds, without opening a window",
    )
    return parser.parse_args(argv)


def print_summary(paths: Sequence[str]) -> None:
    """Print what the demo dataset, or each path, holds: the "Open data" panel's lines."""
    from .model.describe import describe

    if not paths:
        from .model.demo import make_demo_dataset

        sources = [("SpikeDesk demo dataset", make_demo_dataset().objects())]
    else:
        from core import read_all

        sources = [(path, read_all(path)) for path in paths]
    for source, objects in sources:
        print(source)
        for label, details in describe(objects):
            if details != "none":
                print(f"  {label + ':':<11}{details}")


def build_window(paths: Sequence[str] = (), settings=None):
    """The main window showing ``paths`` together, or the demo dataset when there is none.

    Parameters
    ----------
    paths : sequence of str
        Files or folders to open together.
    settings : QSettings | None
        Where layout and recent files are kept (the application's settings by default).

    Returns
    -------
    app.main_window.MainWindow
        Not yet shown; needs a ``QApplication``.
    """
    from .main_window import MainWindow

    window = MainWindow(settings=settings)
    if paths:
        window.open_paths(paths)
    else:
        window.open_demo()
    return window


def _default_job_kwargs() -> None:
    """Jobs use every core but one unless the user set job kwargs (e.g. in a startup script)."""
    import os

    from core.jobs.job_kwargs import is_set_global_job_kwargs_set, set_global_job_kwargs

    if not is_set_global_job_kwargs_set():
        set_global_job_kwargs(n_jobs=max((os.cpu_count() or 2) - 1, 1))


def main(argv: Sequence[str] | None = None) -> int:
    """Run SpikeDesk; returns the process exit code."""
    args = _parse(argv)
    if args.print_summary:
        try:
            print_summary(args.paths)
        except (OSError, ValueError, TypeError) as error:  # a path it cannot read: say why
            print(f"spikedesk: {error}", file=sys.stderr)
            return 2
        return 0
    # Qt is imported only for the window, so --print-summary works where Qt cannot load
    from PySide6.QtWidgets import QApplication

    from .gui_thread_gc import collect_garbage_in_gui_thread
    from .main_window import app_icon

    _default_job_kwargs()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("org.spikedesk.SpikeDesk")
    app.setWindowIcon(app_icon())
    collect_garbage_in_gui_thread()
    window = build_window(args.paths)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
