"""mmsamkd: self-supervised and adversarial KD for MMRazor / MMPretrain.

Importing the package first applies :mod:`mmsamkd.compat` (it must precede
any ``mmrazor`` import), then registers every module into the MMRazor and
MMPretrain registries.
"""

from . import third_party_noise

third_party_noise.silence()

try:  # a dependency setup.py leaves to the environment (see there)
    import mmcv  # noqa: F401
except ImportError:
    raise ImportError(
        'mmsamkd needs mmcv >= 2.0.0, < 2.1.1 (the range mmrazor 1.0.0 '
        'accepts) and finds none: in an OpenMMLab environment, mim install '
        "'mmcv>=2.0.0,<2.1.1'; without compiled ops, pip install "
        "'mmcv-lite>=2.0.0,<2.1.1' (or install mmsamkd with .[mmcv-lite])"
    ) from None

from . import compat  # noqa: E402

compat.apply_all()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
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
    'evaluation',
    'models',
    'ConfigError',
    'DatasetNotFoundError',
    'MmsamkdError',
    'NonFiniteLossError',
    '__version__',
]
