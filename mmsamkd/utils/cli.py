"""Command-line pieces shared by ``tools/``."""

import os.path as osp
import re

from mmengine.config import DictAction

from ..errors import MmsamkdError

# a second key=value pair inside one argument
_ANOTHER_PAIR = re.compile(r'\s[\w.\-]+=')


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
            plain = not text.strip().startswith(('[', '('))
            if plain and any(c.isspace() for c in text):
                verbatim[key] = self._parse_int_float_bool(text.strip('\'"'))
            else:
                kept.append(value)
        super().__call__(parser, namespace, kept, option_string)
        getattr(namespace, self.dest).update(verbatim)


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
