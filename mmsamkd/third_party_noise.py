"""Third-party output that tells an mmsamkd user nothing, kept off the
console in one place.

- Python warnings, matched by category and the start of their message
  (never a whole category, so a new warning still shows), silenced before
  the packages that raise them are imported.
- MMEngine's log records on the console of ``tools/``: its own deprecation
  notices, and the environment, config and hook-order dumps (hundreds of
  lines at every start). All of them stay in the run's log file.
"""

import logging
import re
import warnings

KNOWN = (
    # mmcv-lite ships no compiled ops; mmsamkd uses none of them
    (UserWarning, 'Fail to import ``MultiScaleDeformableAttention``'),
    # mmengine and mmrazor import pkg_resources (setuptools < 82)
    (UserWarning, 'pkg_resources is deprecated as an API'),
    # MMEngine steps every scheduler each epoch; SAMKD's discriminators
    # (and MS-MGANs' in its final phase) take no step before their stage
    (UserWarning, 'Detected call of `scheduler.step()` before'),
)

# starts of MMEngine log messages shown in the log file only
FILE_ONLY_LOG_LINES = (
    # MMEngine's own CheckpointHook builds a FileClient
    '"FileClient" will be deprecated in future',
    '"HardDiskBackend" is the alias of "LocalBackend"',
    # Runner.__init__'s dumps
    '\n' + '-' * 60 + '\nSystem environment:',
    'Config:\n',
    'Hooks will be executed in the following order:',
)


def silence() -> None:
    for category, message in KNOWN:
        warnings.filterwarnings(
            'ignore', message=re.escape(message), category=category
        )


class FileOnlyLines(logging.Filter):
    """Keeps :data:`FILE_ONLY_LOG_LINES` off the handler it is added to."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(FILE_ONLY_LOG_LINES)


def quiet_console(logger: logging.Logger) -> None:
    """Add :class:`FileOnlyLines` to ``logger``'s console handlers."""
    for handler in logger.handlers:
        on_console = not isinstance(handler, logging.FileHandler)
        if on_console and isinstance(handler, logging.StreamHandler):
            handler.addFilter(FileOnlyLines())
