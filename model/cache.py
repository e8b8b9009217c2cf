"""Loaded versions kept in memory, so a request never reloads weights."""
import threading
from collections import OrderedDict

from model.device import CPU

CACHED_VERSIONS = 4
"""Loaded versions a process keeps; the least recently used one is dropped first."""


class ModelCache:
    """A thread-safe LRU of :class:`~model.contracts.LoadedModel` keyed by ``(project, version)``.

    Args:
        store: the :class:`~model.store.VersionStore` to load from.
        size: how many versions stay loaded.
        runtime: the :class:`~model.device.Runtime` predictors are loaded onto.
    """

    def __init__(self, store, size=CACHED_VERSIONS, runtime=CPU):
        self.store = store
        self.size = size
        self.runtime = runtime
        self._loaded = OrderedDict()
        self._lock = threading.Lock()

    def get(self, project, version):
        """The predictor of ``version``, loaded on first use."""
        key = (str(project), str(version))
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
            # Loading under the lock: concurrent requests for a new version wait
            # for one load instead of each loading their own copy.
            predictor = self.store.load(*key, self.runtime)
            self._loaded[key] = predictor
            while len(self._loaded) > self.size:
                self._loaded.popitem(last=False)
            return predictor

    def __len__(self):
        return len(self._loaded)
