"""Training off the GUI thread: the worker thread (worker.py), the full-speed child process
(process.py) and the controller the window commands them through (controller.py).

Nothing is imported here: the child process imports process.py, which must load no Qt."""
