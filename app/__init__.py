"""SpikeDesk desktop application (PySide6 + pyqtgraph) over the headless ``core`` package."""
