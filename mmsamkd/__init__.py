"""mmsamkd: self-supervised and adversarial KD for MMRazor / MMPretrain.

Importing the package first applies :mod:`mmsamkd.compat` (it must precede
any ``mmrazor`` import), then registers every module into the MMRazor and
MMPretrain registries.
"""

from . import compat

compat.apply_all()

from . import datasets, engine, models  # noqa: E402,F401  (registers)
from .errors import (  # noqa: E402
    ConfigError,
    DatasetNotFoundError,
    MmsamkdError,
    NonFiniteLossError,
)
from .version import __version__  # noqa: E402

__all__ = [
    'compat',
    'datasets',
    'engine',
    'models',
    'ConfigError',
    'DatasetNotFoundError',
    'MmsamkdError',
    'NonFiniteLossError',
    '__version__',
]
