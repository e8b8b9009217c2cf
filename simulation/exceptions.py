"""Errors raised by the simulation package."""


class SimulationError(ValueError):
    """Base class of every error raised by the simulation package."""


class DatasetError(SimulationError):
    """A dataset that is not installed or does not have the expected shape."""


class SettingsMismatchError(SimulationError):
    """``--resume`` into a folder whose campaigns ran with other settings."""


class SimulationInputError(SimulationError):
    """Arguments of ``lsal simulate`` that cannot run."""
