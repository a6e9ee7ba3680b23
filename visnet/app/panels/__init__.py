"""The window's panels: one module each. Every panel is a QWidget that follows the Panel
protocol below and, given the window's Session, subscribes to what it shows."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from visnet.core.snapshot import Snapshot


@runtime_checkable
class Panel(Protocol):
    """What the window's frame pacer asks of every panel that draws training."""

    def show_snapshot(self, snap: Snapshot) -> None:
        """Draw the moment `snap` (the session's snapshot) for the session's sample and neuron."""

    def reset(self) -> None:
        """A different network follows: forget what was drawn for the old one."""

    # Two optional methods, for panels that keep something of every snapshot (frames.py):
    #   follow_live(snap): a live snapshot arrived while the user looks back at a moment:
    #       keep its data, draw nothing of it.
    #   show_cursor(moment: Snapshot | None): the panel draws the whole run's curves and
    #       marks the moment looked at (None: live) instead of drawing that moment.
