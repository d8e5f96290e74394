"""Dialogs: open raw binary, probe and groups, save as."""
