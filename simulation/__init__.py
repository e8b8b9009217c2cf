"""``lsal simulate``: replay the active-learning loop on an already-labeled dataset and report learning curves."""
from simulation.cli import add_simulate_parser, run_simulation
from simulation.exceptions import DatasetError, SettingsMismatchError, SimulationError, SimulationInputError
from simulation.replay import SimulationConfig, campaigns, summarize

__all__ = ['DatasetError', 'SettingsMismatchError', 'SimulationConfig', 'SimulationError', 'SimulationInputError',
           'add_simulate_parser', 'campaigns', 'run_simulation', 'summarize']
