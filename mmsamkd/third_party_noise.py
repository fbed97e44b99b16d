"""Third-party warnings that tell an mmsamkd user nothing, silenced in one
place, before the packages that raise them are imported.

Each entry is a Python warning matched by category and the start of its
message, never a whole category: a new warning still shows.
"""

import warnings

KNOWN = (
    # mmcv-lite ships no compiled ops; mmsamkd uses none of them
    (UserWarning, 'Fail to import ``MultiScaleDeformableAttention``'),
    # mmengine and mmrazor import pkg_resources (setuptools < 82)
    (UserWarning, 'pkg_resources is deprecated as an API'),
)


def silence():
    for category, message in KNOWN:
        warnings.filterwarnings(
            'ignore', message=f'^{message}', category=category
        )
