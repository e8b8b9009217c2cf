"""The one thread of a web process that calls PyTorch.

PyTorch shares a kernel's work out through OpenMP, whose worker threads belong to the thread that called
it. Once a second thread calls PyTorch, the process holds more OpenMP threads than cores and libgomp
stops spinning between kernels: on 2 cores the same forward ran 15-20 % slower, in every thread
(benchmarks/README.md, "/predict throughput"). So the web process makes its model calls here only: the
precision calibration at start, loading versions, and /predict's forward, one request at a time (side by
side they would only share the same cores). Workers need none of this: a job runs in one thread.
"""
from concurrent.futures import ThreadPoolExecutor


class ModelThread:
    """Runs functions on one long-lived thread, in the order they come."""

    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='model')

    def run(self, function, *args):
        """``function(*args)`` on the model thread: its result, or its exception raised here."""
        return self._executor.submit(function, *args).result()
