"""How many threads BLAS may use for the training step's matrix products.

Measured on the shared 2-core machine the project runs on: with a second OpenBLAS thread,
every product of 784-512-512-10 and 784-128-64-10 at batch 10, 32 and 128 ran 3 to 30
times slower than on one (OpenBLAS threads spin while they wait for a core that another
process holds), and OpenBLAS splits products from about 784 x 16 x 32 on. So a step runs
its products on one thread; a process that asked for fewer keeps its own setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

STEP_THREADS = 1

_controllers: list | None = None  # the BLAS libraries numpy loaded, found once (~10 ms)
_depth = 0  # blocks entered: a step inside run_epoch's block leaves the limit as it is


def _blas_controllers() -> list:
    global _controllers
    if _controllers is None:
        _controllers = ThreadpoolController().select(user_api="blas").lib_controllers
    return _controllers


@contextmanager
def step_threads() -> Iterator[None]:
    """Limit BLAS to STEP_THREADS threads inside the block and restore the count after.
    Nested blocks cost nothing: wrap a loop of steps once rather than pay a few calls into
    each library per step."""
    global _depth
    restore = []
    if _depth == 0:
        for lib in _blas_controllers():
            n = lib.get_num_threads()
            if n is not None and n > STEP_THREADS:
                lib.set_num_threads(STEP_THREADS)
                restore.append((lib, n))
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        for lib, n in restore:
            lib.set_num_threads(n)
