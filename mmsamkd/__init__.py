"""mmsamkd: self-supervised and adversarial KD for MMRazor / MMPretrain.

Importing the package first applies :mod:`mmsamkd.compat` (it must precede
any ``mmrazor`` import), then registers every module into the MMRazor and
MMPretrain registries.
"""

from . import compat

compat.apply_all()

from . import datasets, models  # noqa: E402,F401  (registers modules)
from .errors import ConfigError, DatasetNotFoundError, MmsamkdError  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = [
    'compat',
    'datasets',
    'ConfigError',
    'DatasetNotFoundError',
    'MmsamkdError',
    '__version__',
]
