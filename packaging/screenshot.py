"""Save a screenshot of the main window showing the demo dataset to ``resources/screenshot.png``.

Run under a real X server, e.g. ``xvfb-run -s "-screen 0 1600x1000x24" python
packaging/screenshot.py``. Layout and recent files come from a throw-away settings file, so the
picture shows the default layout whatever the user's own settings are.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.__main__ import APP_NAME, build_window  # noqa: E402
from app.main_window import app_icon  # noqa: E402

#: Window size of the screenshot, in pixels.
SIZE = (1500, 900)
#: Time left after the first trace frame is drawn (spike markers, labels), in milliseconds.
SETTLE_MS = 1000
#: Give up waiting for the first trace frame after this long, in milliseconds.
TIMEOUT_MS = 20_000


def main(output: Path = ROOT / "resources" / "screenshot.png") -> int:
    """Show the demo, wait until it is drawn, grab the window into ``output`` and quit."""
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(app_icon())
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = build_window([], settings=settings)
        window.resize(*SIZE)
        window.show()

        def grab() -> None:
            if not window.isVisible():
                return
            output.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(output))
            print(f"saved {output}")
            window.close()
            app.quit()

        window.trace_view.frame_drawn.connect(
            lambda *_: QTimer.singleShot(SETTLE_MS, grab), Qt.ConnectionType.SingleShotConnection
        )
        QTimer.singleShot(TIMEOUT_MS, grab)
        return app.exec()


if __name__ == "__main__":
    sys.exit(main())
