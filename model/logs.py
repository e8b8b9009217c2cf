"""Quiet transformers for long-running processes."""
from transformers.utils import logging as transformers_logging


def disable_progress_bars():
    """No "Loading weights" bar per model load: workers load a model every job."""
    transformers_logging.disable_progress_bar()
