"""Qt-free application model: what is open, view state, and the demo dataset."""
