"""The app collects cyclic garbage on the GUI thread only (visnet/app/garbage.py)."""

import gc
import weakref

from visnet.app.garbage import GuiThreadCollector


class Node:
    pass


def test_collection_runs_from_the_gui_thread_timer_not_automatically(qtbot):
    collector = GuiThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        first = Node()
        first.me = first  # a cycle: only the collector frees it
        alive = weakref.ref(first)
        del first
        kept = [Node() for _ in range(3 * gc.get_threshold()[0])]  # allocations past the threshold
        assert gc.get_count()[0] > gc.get_threshold()[0]
        assert alive() is not None  # no automatic collection happened
        qtbot.waitUntil(lambda: alive() is None, timeout=2000)  # the timer collected it
        assert len(kept) == 3 * gc.get_threshold()[0]
    finally:
        collector.stop()
    assert gc.isenabled()
