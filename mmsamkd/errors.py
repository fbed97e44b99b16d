"""Errors for bad input: each message names the problem and the fix.

``tools/*.py`` print these as one line instead of a traceback. They keep a
single-message constructor because mmengine's registry re-raises build
errors as ``type(e)(message)``.
"""


class MmsamkdError(Exception):
    """Base of the errors that mmsamkd raises for bad user input."""


class ConfigError(MmsamkdError, ValueError):
    """A config is inconsistent (keys, class counts, checkpoints)."""


class CheckpointError(MmsamkdError, ValueError):
    """A checkpoint does not fit its model, or cannot be read."""


class DatasetNotFoundError(MmsamkdError, FileNotFoundError):
    """Dataset files are missing; the message names the path looked at."""


class DatasetFileError(MmsamkdError, ValueError):
    """A dataset file is corrupt or holds invalid labels; names the file."""


class NonFiniteLossError(MmsamkdError, FloatingPointError):
    """A loss became NaN or infinite; the message names it and the step."""
