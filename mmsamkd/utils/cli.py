"""Command-line pieces shared by ``tools/``."""

from mmengine.config import DictAction


class CfgOptionsAction(DictAction):
    """MMEngine's ``--cfg-options key=value ...``, refusing a bare word.

    The option takes every word after it, so a config path written after
    it would be read as an option and fail deep inside MMEngine; name it
    and say where it goes instead.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        for value in values:
            if '=' not in value:
                parser.error(
                    f'{option_string} takes key=value pairs, not {value!r}; '
                    f'put config files before {option_string}'
                )
        super().__call__(parser, namespace, values, option_string)
