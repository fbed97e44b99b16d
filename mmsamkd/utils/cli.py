"""Command-line pieces shared by ``tools/``."""

import os.path as osp
import re
import traceback
from typing import Any, Mapping, Optional

from mmengine.config import DictAction

from ..errors import MmsamkdError
from .constructor_errors import constructor_error
from .distiller_settings import recorder_source_problem
from .misplaced_keys import misplaced_key

# a second key=value pair inside one argument
_ANOTHER_PAIR = re.compile(r'\s[\w.\-]+=')
# a dict as the value or as an item of a list or tuple in it (not a brace
# inside a string: filename_tmpl=epoch_{}.pth)
_A_DICT = re.compile(r'(^|[\[(,])\s*[\'"]?\s*(\{|dict\()')


class CfgOptionsAction(DictAction):
    """MMEngine's ``--cfg-options key=value ...``, refusing what it would
    misread.

    - A bare word: the option takes every word after it, so a config path
      written after it would be read as an option and fail deep inside
      MMEngine; name it and say where it goes instead.
    - Several pairs quoted into one argument (``'a=1 b=2'``): MMEngine
      reads ``a`` as ``'1b=2'`` (or recurses for a minute); refused.
    - A plain value with spaces (a path): MMEngine drops every space;
      here it is kept as written.
    - A dict (``dict(type=...)``, ``{...}``) or unbalanced brackets:
      MMEngine recursed until Python's limit, failed an assertion, or
      split the dict at its commas into strings; refused, naming the
      dotted keys that set it.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        kept, verbatim = [], {}
        for value in values:
            if '=' not in value:
                parser.error(
                    f'{option_string} takes key=value pairs, not {value!r}; '
                    f'put config files before {option_string}'
                )
            key, text = value.split('=', 1)
            if _ANOTHER_PAIR.search(text):
                parser.error(
                    f'{value!r} holds several key=value pairs in one '
                    'argument; give each pair its own word (no quotes '
                    'around them together)'
                )
            if _A_DICT.search(text):
                parser.error(
                    f'{value!r}: {option_string} cannot read a dict; set '
                    f'each of its keys as a pair of its own ({key}.type=... '
                    f'{key}.prob=...; a list item by its index: '
                    f'{key}.0.type=...)'
                )
            opened = text.strip().strip('\'"')[:1] in ('[', '(')
            try:
                self._parse_iterable(text)
                balanced = text.count('[') == text.count(']') and (
                    text.count('(') == text.count(')')
                )
            except (AssertionError, RecursionError):
                balanced = False
            if not balanced and (opened or ',' in text):
                parser.error(
                    f'{value!r}: {option_string} could not read this value '
                    '(are its brackets balanced?); a list is [a,b], a tuple '
                    '(a,b), of plain values'
                )
            plain = not text.strip().startswith(('[', '('))
            if plain and any(c.isspace() for c in text):
                verbatim[key] = self._parse_int_float_bool(text.strip('\'"'))
            else:
                kept.append(value)
        super().__call__(parser, namespace, kept, option_string)
        getattr(namespace, self.dest).update(verbatim)


CONFIG_SUFFIXES = ('.py', '.yml', '.yaml', '.json')
CHECKPOINT_SUFFIXES = ('.pth', '.pt', '.ckpt')


def read_config(path: str, usage: str) -> Any:
    """``Config.fromfile(path)``, refusing in one line a path that holds
    no config (before: MMEngine's ``FileNotFoundError`` or ``OSError``
    traceback, e.g. for the checkpoint and the config given in swapped
    order); ``usage``: the tool's arguments, for the message."""
    from mmengine.config import Config

    if not osp.exists(path):
        raise MmsamkdError(f'config {path!r} does not exist')
    if not path.endswith(CONFIG_SUFFIXES):
        what = (
            'a checkpoint'
            if path.endswith(CHECKPOINT_SUFFIXES)
            else 'a folder'
            if osp.isdir(path)
            else 'not a config file (.py, .yml, .yaml or .json)'
        )
        raise MmsamkdError(
            f'{path!r} is {what} where a config is expected: {usage}'
        )
    try:
        return Config.fromfile(path)
    except ImportError as error:  # its custom_imports
        raise build_error(error, None) from None
    except Exception as error:  # noqa: BLE001 (None: raised as it is)
        problem = config_file_error(path, error)
        if problem is None:
            raise
        raise problem from None


def config_file_error(path: str, error: Exception) -> Optional[MmsamkdError]:
    """One line for an error in the text of the config ``path`` or of a
    file it bases itself on, naming that file and line, or None for an
    error from elsewhere.

    Before: MMEngine's traceback, which for a syntax error in the config
    named neither the file nor its folder (``File "<unknown>", line 2``),
    and for a ``_base_`` path that does not exist ended in a
    ``FileNotFoundError`` raised deep inside MMEngine.
    """
    # the config files MMEngine was reading, outermost first (a base
    # after the config that names it)
    reading = [osp.normpath(path)]
    for frame, _ in traceback.walk_tb(error.__traceback__):
        name = frame.f_locals.get('filename')
        if isinstance(name, str) and name.endswith(CONFIG_SUFFIXES):
            if osp.normpath(name) != reading[-1]:
                reading.append(osp.normpath(name))
    if isinstance(error, SyntaxError):
        # MMEngine parses each config without its name ("<unknown>"): the
        # innermost file it was reading
        where = error.filename
        if where in (None, '<unknown>'):
            where = reading[-1]
        return MmsamkdError(
            f'config {osp.normpath(where)}, line {error.lineno}: '
            f'{error.msg} (Python syntax). Fix that line.'
        )
    missing = getattr(error, 'filename', None)
    if isinstance(error, FileNotFoundError) and isinstance(missing, str):
        missing = osp.normpath(missing)
        names = [f for f in reading if f != missing] or [path]
        return MmsamkdError(
            f'config {names[-1]} reads {missing!r} (as a _base_), '
            'which does not exist: a relative _base_ counts from the '
            'folder of the config that names it. Fix the path.'
        )
    # an error raised by the config's own code (a name it never defined)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if osp.normpath(frame.filename) in reading
    ]
    if not frames:
        return None
    frame = frames[-1]
    return MmsamkdError(
        f'config {frame.filename}, line {frame.lineno}: '
        f'{type(error).__name__}: {error}. Fix that line.'
    )


def check_checkpoint_file(path: str, usage: str) -> None:
    """``path`` is a checkpoint file: one line for a config, a folder, a
    file beside a checkpoint (its checksum, ``last_checkpoint``) or any
    other file (before: the unpickler's traceback, "does not exist" for
    a run's folder)."""
    from .config_check import not_a_checkpoint  # heavy; read at startup

    if osp.isfile(path) and path.endswith(CONFIG_SUFFIXES):
        raise MmsamkdError(
            f'{path!r} is a config where a checkpoint is expected: {usage}'
        )
    problem = not_a_checkpoint('checkpoint', path)
    if problem:
        raise MmsamkdError(problem)
    if not osp.isfile(path):
        raise MmsamkdError(f'checkpoint {path!r} does not exist')


def check_work_dir(path: str, option: str = '--work-dir') -> None:
    """``path`` is a folder, or can be made one: before, a file there (or
    above it) ended in a ``FileExistsError`` traceback."""
    current = osp.abspath(path)
    while not osp.exists(current):
        current = osp.dirname(current)
    if not osp.isdir(current):
        raise MmsamkdError(
            f'{option} {path!r}: {current} is a file, not a folder. Name a '
            'folder (it is made if it does not exist).'
        )


# what a config slip raises from deep in the build (:func:`build_error`)
BUILD_ERRORS = (
    TypeError,
    AttributeError,
    AssertionError,
    ValueError,
    ImportError,
)


def none_override_problem(
    error: Exception, options: Optional[Mapping[str, Any]]
) -> Optional[MmsamkdError]:
    """One line for a build that failed on a None which ``--cfg-options``
    put in place of a part (``model.adversary.pairs.feat0=None``,
    ``param_scheduler.adversary=None``): MMEngine removes its own default
    hooks that way, so users remove other entries so too, and met an
    ``AttributeError`` or ``TypeError`` traceback from deep in the build.
    None where the error does not mention a None or no option set one."""
    text = str(error)
    if not re.search(r'NoneType|got None|=None\b', text):
        return None
    nones = [key for key, value in (options or {}).items() if value is None]
    if not nones:
        return None
    return MmsamkdError(
        f'{", ".join(key + "=None" for key in nones)} (--cfg-options): the '
        f'build stopped on a None ({type(error).__name__}: '
        f'{text.splitlines()[0][:200]}). None removes only default_hooks '
        'entries; elsewhere the part is still built. To remove it, '
        'write a child config that sets its parent with _delete_=True and '
        'leaves it out; to switch a loss off, set its loss_weight=0.'
    )


def build_error(
    error: Exception, cfg: Any, options: Optional[Mapping[str, Any]] = None
) -> Optional[MmsamkdError]:
    """The one line for an error raised while ``cfg``'s objects were
    built, where a config slip explains it: a None that ``options`` (the
    ``--cfg-options``) put in place of a part (:func:`none_override_problem`),
    a key its class does not take
    (``TypeError``), a recorder source that is no module (MMRazor's
    ``AssertionError``), a setting that a configured class's own check
    refused (an ``AssertionError`` or ``ValueError`` in its constructor),
    a package the config asks for that is not
    installed (``ImportError``: a ``TensorboardVisBackend`` without
    tensorboard, a module in ``custom_imports``); None for any other
    error, to be raised as is."""
    problem = none_override_problem(error, options)
    if problem:
        return problem
    if isinstance(error, TypeError):
        return misplaced_key(error, cfg)
    if isinstance(error, (AssertionError, ValueError)):
        problem = None
        if isinstance(error, AssertionError):
            problem = recorder_source_problem(error, cfg)
        return problem or constructor_error(error, cfg)
    if isinstance(error, ImportError):
        # the import that failed first ("No module named 'tensorboard'"),
        # not the advice wrapped around it (MMEngine's lists sys.path)
        while isinstance(error.__cause__ or error.__context__, ImportError):
            error = error.__cause__ or error.__context__
        return MmsamkdError(
            f'{str(error).splitlines()[0]}: a part the config asks for '
            '(custom_imports, visualizer.vis_backends, a type from another '
            'package) needs it. Install it, or drop that part.'
        )
    return None
