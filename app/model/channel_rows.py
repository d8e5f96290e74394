"""Which channels the trace view shows, and which of them fit on screen (no Qt).

The trace view lists channels by depth (bottom to top), or only the selected ones, and shows
``channels_per_screen`` consecutive rows of that list at a time: a vertical zoom and a scroll
position over channels. Row ``p`` of the list is drawn at ``y = p``.
"""

from __future__ import annotations

import numpy as np

#: Recordings with at most this many channels open with all of them on screen ...
ALL_CHANNELS_UP_TO = 64
#: ... others with this many channels per screen.
DEFAULT_CHANNELS_PER_SCREEN = 48
#: Nice channels-per-screen values that zooming steps through.
ZOOM_STEPS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
#: Rows get at least this many pixels when the channels per screen fit the height.
MIN_ROW_PX = 12


def fitting_channels_per_screen(height_px: float, total: int) -> int:
    """The most channels, all of them or a `ZOOM_STEPS` value, whose rows get `MIN_ROW_PX`
    pixels in a plot ``height_px`` tall (one row of margin included), at least one."""
    fits = int(height_px // MIN_ROW_PX) - 1
    if total <= fits:
        return max(total, 1)
    return max([s for s in ZOOM_STEPS if s <= fits], default=1)


class ChannelRows:
    """The ordered list of channels on display and the window of rows on screen.

    Parameters
    ----------
    depth_order : np.ndarray
        Recording indices of every channel, bottom (deepest) to top.
    channels_per_screen : int | None
        Rows on screen (default: all channels up to `ALL_CHANNELS_UP_TO`, else
        `DEFAULT_CHANNELS_PER_SCREEN`).
    """

    def __init__(self, depth_order: np.ndarray, channels_per_screen: int | None = None) -> None:
        self._depth_order = np.asarray(depth_order, dtype="int64")
        self._selected = np.empty(0, dtype="int64")
        self._hidden = np.empty(0, dtype="int64")
        self._selected_only = False
        total = len(self._depth_order)
        if channels_per_screen is None:
            channels_per_screen = (
                total if total <= ALL_CHANNELS_UP_TO else DEFAULT_CHANNELS_PER_SCREEN
            )
        self._per_screen = max(int(channels_per_screen), 1)
        self._first = 0
        self._shown = self._depth_order

    # ------------------------------------------------------------------ state
    @property
    def shown(self) -> np.ndarray:
        """Recording indices of the listed channels, bottom to top (row ``p`` at ``y = p``)."""
        return self._shown

    @property
    def total(self) -> int:
        """Number of listed channels."""
        return len(self._shown)

    @property
    def channels_per_screen(self) -> int:
        """Rows the user asked for (may exceed `total`; see `count`)."""
        return self._per_screen

    @property
    def count(self) -> int:
        """Rows on screen: ``min(channels_per_screen, total)``."""
        return min(self._per_screen, self.total)

    @property
    def first(self) -> int:
        """List position of the bottom row on screen."""
        return self._first

    @property
    def selected_only(self) -> bool:
        """Whether only the selected channels are listed (when any is selected)."""
        return self._selected_only

    def visible(self) -> np.ndarray:
        """Recording indices of the channels on screen, bottom to top."""
        return self._shown[self._first : self._first + self.count]

    def position_of(self, channel_index: int) -> int | None:
        """List position of a recording channel index, or None when it is not listed."""
        found = np.flatnonzero(self._shown == channel_index)
        return int(found[0]) if found.size else None

    # ------------------------------------------------------------------ changes
    def set_channels_per_screen(self, count: int, anchor: float | None = None) -> None:
        """Show ``count`` rows, keeping the row at list position ``anchor`` (default: the middle
        of the screen) at the same height on screen."""
        count = max(int(count), 1)
        old_count = self.count
        if anchor is None:
            anchor = self._first + (old_count - 1) / 2
        fraction = (anchor - self._first) / max(old_count, 1)
        self._per_screen = count
        self._set_first(int(round(anchor - fraction * self.count)))

    def zoom(self, steps: int, anchor: float | None = None) -> None:
        """Move ``steps`` along `ZOOM_STEPS` (positive: fewer, larger rows)."""
        current = self.count
        if steps > 0:
            smaller = [s for s in ZOOM_STEPS if s < current]
            target = smaller[-min(steps, len(smaller))] if smaller else current
        else:
            larger = [s for s in ZOOM_STEPS if s > current]
            target = larger[min(-steps, len(larger)) - 1] if larger else current
            target = min(target, max(self.total, 1))
        self.set_channels_per_screen(target, anchor)

    def scroll(self, rows: int) -> None:
        """Move the screen ``rows`` up the list (negative: down)."""
        self._set_first(self._first + int(rows))

    def scroll_to(self, first: int) -> None:
        """Put list position ``first`` at the bottom of the screen (clamped)."""
        self._set_first(int(first))

    def set_selection(self, selected: np.ndarray) -> None:
        """The recording indices of the selected channels (listed alone in selected-only mode)."""
        self._selected = np.asarray(selected, dtype="int64")
        self._relist()

    def set_selected_only(self, selected_only: bool) -> None:
        """List only the selected channels (all of them when none is selected)."""
        self._selected_only = bool(selected_only)
        self._relist()

    def set_hidden(self, hidden: np.ndarray) -> None:
        """Recording indices of channels never listed (bad channels the user hides)."""
        self._hidden = np.asarray(hidden, dtype="int64")
        self._relist()

    @property
    def hidden(self) -> np.ndarray:
        """Recording indices of the hidden channels."""
        return self._hidden

    def reveal_selection(self) -> bool:
        """Scroll so that the selected channels are on screen (see `reveal`)."""
        return self.reveal(self._selected)

    def reveal(self, channels) -> bool:
        """Scroll so that the listed ones of ``channels`` (recording indices) are on screen;
        True when the screen moved.

        Nothing moves when they are all on screen already (or, when they span more rows than
        the screen holds, when one of them is); otherwise the screen is centred on them (on the
        lowest one when they do not fit).
        """
        positions = np.flatnonzero(np.isin(self._shown, np.asarray(channels, dtype="int64")))
        if positions.size == 0:
            return False
        low, high, last = int(positions[0]), int(positions[-1]), self._first + self.count - 1
        if high - low < self.count:
            if low >= self._first and high <= last:
                return False
            first = (low + high + 1 - self.count) // 2
        elif np.any((positions >= self._first) & (positions <= last)):
            return False
        else:
            first = low - self.count // 2
        before = self._first
        self._set_first(first)
        return self._first != before

    # ------------------------------------------------------------------ helpers
    def _relist(self) -> None:
        anchor_channel = self.visible()[0] if self.count else None
        candidates = self._depth_order[~np.isin(self._depth_order, self._hidden)]
        if self._selected_only and self._selected.size:
            self._shown = candidates[np.isin(candidates, self._selected)]
        else:
            self._shown = candidates
        position = None if anchor_channel is None else self.position_of(anchor_channel)
        self._set_first(self._first if position is None else position)

    def _set_first(self, first: int) -> None:
        self._first = int(min(max(first, 0), max(self.total - self.count, 0)))
