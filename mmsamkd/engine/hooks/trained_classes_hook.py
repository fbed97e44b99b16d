"""A loaded network is given data of the classes it was trained on."""

from typing import Any, Iterable, Tuple

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...errors import ConfigError
from ...utils.trained_inputs import (
    checkpoint_meta,
    classes_problem,
    trained_classes,
)


@HOOKS.register_module()
class TrainedClassesHook(Hook):
    """Refuse a checkpoint trained on other classes than the data the run
    gives it, or on the same classes in another label order.

    A teacher trained on another dataset of as many classes loads without
    a complaint, but its logit k stands for another class than label k:
    KD trains on it and ``tools/test.py`` scores it, with rc 0. The same
    names in another order mean that the two runs' configs give label k
    different names (``metainfo.classes``), or that their annotation files
    number the classes differently: one of the two is wrong either way.
    MMEngine keeps the training dataset's ``metainfo`` in every checkpoint's
    meta; a checkpoint without it is not checked. The check waits for the
    datasets to be built, because a folder dataset knows its classes only
    then. ``tools/train.py`` registers it for the teacher's checkpoints and
    a frozen stage's ``load_from``; ``tools/test.py`` for the checkpoint
    under test.

    Args:
        files (Iterable[Tuple[str, str]]): ``(key, path)`` of each
            checkpoint, the key as errors name it.
    """

    priority = 'VERY_HIGH'

    def __init__(self, files: Iterable[Tuple[str, str]]) -> None:
        self.files = list(files)

    def before_train(self, runner: Runner) -> None:
        self._check(runner.train_dataloader.dataset)

    def before_test(self, runner: Runner) -> None:
        self._check(runner.test_dataloader.dataset)

    def _check(self, dataset: Any) -> None:
        used = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        for key, path in self.files:
            trained = trained_classes(checkpoint_meta(path))
            problem = classes_problem(trained, used)
            if problem:
                raise ConfigError(
                    f'{key} {path} was trained on {problem}. Give it data '
                    'of its classes in its order (metainfo.classes), or '
                    'use a checkpoint trained on this data.'
                )
