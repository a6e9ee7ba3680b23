"""Training steps run their products on one BLAS thread and give the process its setting back."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from visnet.core.blas_threads import STEP_THREADS, step_threads
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer


def _blas_threads() -> list[int]:
    """numpy's BLAS (the engine's); another library's, such as PyTorch's once an earlier test
    imported it, is not the step's business."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]


def test_a_step_limits_blas_threads_and_restores_them():
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        assert before and max(before) == 2
        with step_threads():
            assert all(n <= STEP_THREADS for n in _blas_threads())
            with step_threads():  # nested: nothing changes, nothing is restored early
                pass
            assert all(n <= STEP_THREADS for n in _blas_threads())
        assert _blas_threads() == before


def test_training_leaves_the_thread_count_as_it_was():
    rng = np.random.default_rng(0)
    x, y = rng.random((30, 6)).astype(np.float32), rng.integers(0, 3, 30)
    trainer = Trainer(Network([6, 5, 3]), x, y, config=TrainConfig(batch_size=7))
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        trainer.step()
        trainer.run_epoch()
        assert _blas_threads() == before
