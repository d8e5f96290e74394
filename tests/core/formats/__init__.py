"""Tests of core.formats: readers of files users already have on disk."""
