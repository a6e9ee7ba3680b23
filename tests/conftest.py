"""Test set-up shared by every test.

Qt must run without a display, so QT_QPA_PLATFORM is set to offscreen (with a desktop-sized
screen) before anything imports Qt.
Tests that use Qt (they request `qtbot` or `qapp`) also get `_dangling_qthreads`, which
fails a test that leaves a QThread running: a thread outliving its test crashes a later,
unrelated test (the approach of napari's `_dangling_qthreads`), and `_temporary_settings`,
which points QSettings at a fresh folder so no test reads or writes the user's settings.
Every test gets `_temporary_state_and_cache`: XDG_STATE_HOME and XDG_CACHE_HOME in its own
temporary folder, so no test touches the user's recovery file or logs.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress
from weakref import WeakKeyDictionary


def _offscreen_platform() -> str:
    """The offscreen platform with a 1920x1200 screen: its default 800x800 screen is smaller
    than visnet's window, so Qt would clamp restored window geometry to it."""
    import atexit
    import json
    import shutil
    import tempfile

    screen = {
        "name": "visnet-tests",
        "x": 0,
        "y": 0,
        "width": 1920,
        "height": 1200,
        "logicalDpi": 96,
        "logicalBaseDpi": 96,
        "dpr": 1,
    }
    folder = tempfile.mkdtemp(prefix="visnet-qpa-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = os.path.join(folder, "screens.json")
    with open(path, "w") as f:
        json.dump({"synchronousWindowSystemEvents": False, "windowFrameMargins": False, "screens": [screen]}, f)
    return f"offscreen:configfile={path}"


if "QT_QPA_PLATFORM" not in os.environ:
    os.environ["QT_QPA_PLATFORM"] = _offscreen_platform()

import pytest  # noqa: E402

TIMING_LOCKS = "VISNET_TEST_LOCKS"  # the folder of the locks that let timed tests run alone


def pytest_configure(config):
    """Child processes the tests start can be stopped with Ctrl+C, as users' are, even when
    pytest itself was started in the background: a shell starts background jobs with SIGINT
    ignored, children inherit an ignored signal, and Python then installs no
    KeyboardInterrupt handler (the Ctrl+C tests waited out their timeouts and failed).

    Run in parallel (pytest-xdist), the controller makes the lock folder the workers share
    (they inherit it in their environment when they start, after this), and each worker
    limits BLAS to one thread: two workers with two spinning BLAS threads each would
    oversubscribe the cores. (Through threadpoolctl rather than OPENBLAS_NUM_THREADS, so a
    test can still raise the limit.)"""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config.addinivalue_line("markers", "timing: measures time, so runs alone when tests run in parallel")
    in_parallel = config.getoption("numprocesses", default=None) not in (None, 0)
    if in_parallel and not os.environ.get("PYTEST_XDIST_WORKER") and TIMING_LOCKS not in os.environ:
        import atexit
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="visnet-test-locks-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ[TIMING_LOCKS] = folder
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import numpy  # noqa: F401  (loads OpenBLAS, for threadpoolctl to find)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")


@pytest.fixture
def _timed_tests_run_alone(request):
    """In a parallel run, a test marked `timing` runs while no other test does: every test
    holds a shared lock on `room`, a timed one an exclusive lock; a timed test waiting for
    the room holds `turnstile`, so the other workers' next tests queue behind it instead of
    keeping the room busy for ever."""
    folder = os.environ.get(TIMING_LOCKS)
    if folder is None or not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import fcntl

    timed = request.node.get_closest_marker("timing") is not None
    with open(os.path.join(folder, "turnstile"), "a") as turnstile, open(os.path.join(folder, "room"), "a") as room:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(room, fcntl.LOCK_EX if timed else fcntl.LOCK_SH)
        fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield


def _calling_place(depth: int = 2) -> str:
    """file:line of the code that started a thread, for the failure message."""
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


@pytest.fixture(scope="session")
def _pyqtgraph_config():
    """The same pyqtgraph options the app sets, so tests draw what users see."""
    from visnet.app.main import configure_pyqtgraph

    configure_pyqtgraph()


@pytest.fixture(autouse=True)
def _temporary_state_and_cache(tmp_path, monkeypatch):
    """No test touches the user's recovery file or error and crash logs."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def _temporary_settings(tmp_path_factory, qapp):
    """QSettings() in this test reads and writes an INI file in a fresh temporary folder."""
    from PySide6.QtCore import QCoreApplication, QSettings

    from visnet.app import settings

    folder = tmp_path_factory.mktemp("settings")
    QCoreApplication.setOrganizationName(settings.ORGANIZATION)
    QCoreApplication.setApplicationName(settings.APPLICATION)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    yield folder


@pytest.fixture(scope="session")
def embedded_mnist():
    """The embedded MNIST sample (loaded once per session; read-only arrays)."""
    from visnet.data.embedded import load_embedded

    return load_embedded()


@pytest.fixture
def small_mnist(embedded_mnist):
    """1,000 training and 200 test digits: enough to learn visibly, quick to evaluate."""
    return embedded_mnist.subset(1000, 200)


@pytest.fixture
def _dangling_qthreads(monkeypatch, qtbot):
    from PySide6.QtCore import QThread

    base_start = QThread.start
    started: WeakKeyDictionary = WeakKeyDictionary()

    def start_and_remember(self, *args, **kwargs):
        started[self] = _calling_place()
        base_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start_and_remember)
    yield

    dangling = []
    for thread, where in list(started.items()):
        with suppress(RuntimeError):  # the C++ thread object may already be deleted
            if thread.isRunning():
                dangling.append((thread, where))
    for thread, _ in dangling:
        with suppress(RuntimeError):
            thread.quit()
            qtbot.waitUntil(thread.isFinished, timeout=2000)
    assert not dangling, (
        "A QThread was started in this test but still runs after it; stop it and wait for "
        "it (qtbot.waitUntil(thread.isFinished)) before the test ends. Started at:\n"
        + "\n".join(where for _, where in dangling)
    )


@pytest.fixture
def _collect_on_the_gui_thread():
    """As the app does (visnet/app/garbage.py), no cyclic collection during a Qt test: run in
    a worker thread it would destroy earlier tests' Qt objects there and could hang. Garbage
    is collected here, on the GUI thread, once the test's widgets are closed.

    What is alive when the test starts is frozen (gc.freeze): the collections then look at
    the test's own objects only. A full collection of the suite's heap takes ~0.15 s, twice
    per Qt test (about 5 minutes over the suite)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.disable()
    yield
    gc.collect()
    gc.enable()


def pytest_runtest_setup(item):
    """Add the Qt checks only to tests that use Qt, so core tests stay Qt-free.

    They go first, so they are set up before the test's own fixtures and torn down after
    them: the thread check then sees what a fixture's own clean-up left running, and no
    fixture (nor the window a fixture makes) ever reads the user's settings."""
    names = item.fixturenames
    names.insert(0, "_timed_tests_run_alone")  # first: the lock is held while everything else is set up
    if "qtbot" in names or "qapp" in names:
        checks = [
            "_collect_on_the_gui_thread",
            "qtbot",
            "_temporary_settings",
            "_pyqtgraph_config",
            "_dangling_qthreads",
        ]
        names[:] = names[:1] + checks + [n for n in names[1:] if n not in checks]


@pytest.fixture
def make_main_window(qtbot, small_mnist, monkeypatch):
    """A factory of shown, active MainWindows on the small data set, starting from a fresh
    784-16-16-10. Message boxes are bypassed: unsaved work is discarded, and errors are
    collected in window.errors as (title, text) instead of being shown."""
    from visnet.app.main_window import MainWindow

    def make(gentle: bool = False, **kwargs):
        kwargs.setdefault("dataset", small_mnist)
        kwargs.setdefault("dataset_loader", lambda spec: small_mnist)
        kwargs.setdefault("load_example", False)
        window = MainWindow(**kwargs)
        window.errors = []
        monkeypatch.setattr(window, "_ask_save_changes", lambda doing: "discard")
        monkeypatch.setattr(window, "_show_error", lambda title, text: window.errors.append((title, text)))
        # Train until told otherwise: the small set's 30 planned epochs pass in a second.
        window.config_panel.epochs_spin.setValue(10_000)
        # Full speed from the first step, unless a test asks for the window's gentle start.
        if not gentle:
            window.controller.set_gentle_start(False)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitActive(window):
            window.activateWindow()
        return window

    return make
