"""A multi-resolution min/max pyramid of a recording's traces, cached on disk (no Qt).

A trace view of ``W`` pixels showing a window of ``S`` samples needs, per channel and pixel
column, the lowest and highest sample: `DisplayPyramid` precomputes them at several resolutions
(64, 256, 1024, ... samples per bin) in a background build, so that any window, up to the whole
segment, is drawn from a bounded number of bytes. See `layout` for the level choice, `builder`
for how the cache is written, `identity` for when it is valid and `cache` for how much of the disk
it may take.
"""

from app.model.display_pyramid.cache import (
    clear_pyramid_cache,
    default_cache_limit,
    pyramid_cache_bytes,
    trim_pyramid_cache,
)
from app.model.display_pyramid.layout import (
    BASE_FACTOR,
    LEVEL_RATIO,
    LayoutParameters,
    PyramidLayout,
    choose_level,
)
from app.model.display_pyramid.pyramid import DisplayPyramid, PyramidNotReady

__all__ = [
    "BASE_FACTOR",
    "LEVEL_RATIO",
    "DisplayPyramid",
    "LayoutParameters",
    "PyramidLayout",
    "PyramidNotReady",
    "choose_level",
    "clear_pyramid_cache",
    "default_cache_limit",
    "pyramid_cache_bytes",
    "trim_pyramid_cache",
]
