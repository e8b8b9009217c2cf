"""Call a function at a fixed interval in a background thread while a block of work runs."""
import logging
import threading

logger = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(beat, interval):`` calls ``beat()`` every ``interval`` seconds until the block ends.

    A beat that raises (Redis briefly away) is logged and the next one tries again.
    """

    def __init__(self, beat, interval):
        self.beat = beat
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name='heartbeat', daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stopped.set()
        self._thread.join()

    def _run(self):
        while not self._stopped.wait(self.interval):
            try:
                self.beat()
            except Exception as error:  # noqa: BLE001 - a missed beat must not end the work it guards
                logger.warning('Heartbeat %s: %s', getattr(self.beat, '__name__', self.beat), error)
