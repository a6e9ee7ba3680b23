"""Checks shared by the window tests: wait for frames to settle, and compare what the
panels show with the core's forward pass of the moment shown."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication

from visnet.core.sample_pass import SamplePass


def drawn(window) -> None:
    """Wait until the frame of the newest snapshot has reached every panel."""
    controller = window.controller
    for _ in range(200):
        QCoreApplication.processEvents()  # a frame drawn panel by panel goes on in events
        window.frames.draw_pending()
        if not controller.has_pending_snapshot() and not window.frames.is_drawing():
            return
        window.frames.redraw()
    raise AssertionError("frames never settled")


def assert_panels_agree(window) -> SamplePass:
    """The network view, the sample panel, the inspector and the stepper (when traced) show
    session.sample through session.snapshot's network, as SamplePass.compute does."""
    session = window.session
    sample, snap = session.sample, session.snapshot
    expected = SamplePass.compute(snap.network, sample)
    view = window.network_view.activations()
    assert view is not None
    for shown, a in zip(view, expected.activations):
        np.testing.assert_array_equal(shown, a)
    assert window.network_view.predicted_class() == expected.predicted
    np.testing.assert_array_equal(window.sample_panel.output(), expected.output)
    assert window.sample_panel.predicted_class() == expected.predicted
    layer, j = session.neuron or (0, 0)
    window.inspector.select_neuron(layer, j)
    window.inspector.refresh_now()
    a = float(expected.activations[layer + 1][j])
    assert f"<b>{a:.3f}</b>" in window.inspector.equation_label.text() or a == 0.0
    if window.stepper.trace is not None and window.in_backprop_mode():
        np.testing.assert_array_equal(window.stepper.trace.x[0], sample.x)
    return expected
