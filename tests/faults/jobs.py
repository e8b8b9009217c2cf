"""Job functions the fault tests queue (importable by the worker processes they start)."""
from rq import get_current_job


def fail_once(counter_key):
    """Fail on the first run and succeed on the next; runs are counted in ``counter_key``."""
    if get_current_job().connection.incr(counter_key) == 1:
        raise RuntimeError('fail_once: the first run fails')
    return 'second run'
