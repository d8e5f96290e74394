"""Dock views: each renders part of the Session and changes it only through its methods."""
