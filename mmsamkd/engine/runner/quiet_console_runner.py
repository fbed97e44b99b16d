"""MMEngine's Runner with a console for people: see
:mod:`mmsamkd.third_party_noise`."""

import os.path as osp

from mmengine.logging import MMLogger
from mmengine.runner import Runner

from mmsamkd.third_party_noise import quiet_console


class QuietConsoleRunner(Runner):
    """A :class:`~mmengine.runner.Runner` whose console leaves MMEngine's
    environment, config and hook-order dumps and its deprecation notices
    to the log file, and says where that file is.

    ``tools/train.py`` and ``tools/test.py`` build it for configs without
    their own ``runner_type``; the runs are the same.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        log_file = osp.join(self.log_dir, f'{self.timestamp}.log')
        self.logger.info(f'environment, config and hooks: in {log_file}')

    def build_logger(self, *args, **kwargs) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        quiet_console(logger)
        return logger
