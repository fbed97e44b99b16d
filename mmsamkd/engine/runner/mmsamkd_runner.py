"""The Runner of ``tools/train.py`` and ``tools/test.py``."""

import os.path as osp
from typing import Any, Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import BaseLoop, Runner
from torch.optim import Optimizer
from torch.utils.data import DataLoader

from mmsamkd.errors import CheckpointError, ConfigError
from mmsamkd.third_party_noise import quiet_console
from mmsamkd.utils.config_check import head_classes_problem
from mmsamkd.utils.input_channels import input_channels_problem
from mmsamkd.utils.model_wrappers import unwrap_model
from mmsamkd.utils.paramwise_settings import check_custom_keys
from mmsamkd.utils.run_results import images_taken_problem
from mmsamkd.utils.teacher_checkpoint import pretrained_init_problem
from mmsamkd.utils.training_settings import (
    check_cosine_periods,
    empty_training_loader_problem,
)

from .formatted_once_config import FormattedOnceConfig

# the default hooks MMEngine registers itself (register_default_hooks)
MMENGINE_DEFAULT_HOOKS = (
    'runtime_info',
    'timer',
    'sampler_seed',
    'logger',
    'param_scheduler',
    'checkpoint',
)


class MmsamkdRunner(Runner):
    """A :class:`~mmengine.runner.Runner` that

    - leaves MMEngine's environment, config and hook-order dumps and its
      deprecation notices to the log file, and says where that file is
      (see :mod:`mmsamkd.third_party_noise`);
    - formats its config once, not at every checkpoint
      (:class:`FormattedOnceConfig`);
    - reads the top-level config key ``channels_last``: ``True`` stores
      every convolution's weights (and so its outputs) channels last,
      before the model is wrapped for DDP, whose gradient buckets follow
      the parameters' layout. On a CPU, oneDNN's channels-last kernels
      take 0.7 to 0.9 of an fp32 step's time, and add to bf16's gain
      (``benchmarks/step_cost.py``); on a GPU it is the layout fp16
      tensor cores want. The numbers are fp32's, summed in another
      order, from the same initial weights: random fills follow memory
      order, so the weights are initialised contiguous;
    - refuses a custom key of ``optim_wrapper.paramwise_cfg`` that no
      parameter name contains (:func:`check_custom_keys`), which
      MMEngine's default constructor would pass over;
    - refuses an ``init_cfg`` of type ``Pretrained`` whose checkpoint does
      not fit its module (:func:`pretrained_init_problem`), which
      mmengine would load with ``strict=False``;
    - checks a cosine schedule's period against the run's iterations
      once the loader gives their count (:func:`check_cosine_periods`);
    - refuses a backbone whose first convolution takes another number of
      channels than the data has (:func:`input_channels_problem`);
    - refuses a loader whose ``dataset.indices=N`` asks for more images
      than its split holds (:func:`images_taken_problem`): MMEngine would
      take what there is, under a record that says ``[:N]``;
    - refuses a training loader that yields no batch (fewer images than
      a batch under ``drop_last=True``): the run validated and saved its
      initial weights, rc 0 (:func:`empty_training_loader_problem`);
    - removes a default hook set to None (``default_hooks.nonfinite=None``)
      as MMEngine does for its own;
    - refuses a head of another number of classes than a loop's dataset
      labels once it is built (:func:`head_classes_problem`), for the
      datasets whose classes a config does not say (Tiny-ImageNet's
      ``wnids.txt``, a folder of class folders): a 200-class head on a
      3-class copy trained with rc 0.

    ``tools/train.py`` and ``tools/test.py`` build it for configs without
    their own ``runner_type``.
    """

    def __init__(
        self, *args, cfg: Optional[Union[dict, Config]] = None, **kwargs
    ):
        if isinstance(cfg, Config):
            cfg = FormattedOnceConfig.of(cfg)  # Runner keeps a deep copy
        super().__init__(*args, cfg=cfg, **kwargs)
        log_file = osp.join(self.log_dir, f'{self.timestamp}.log')
        self.logger.info(f'environment, config and hooks: in {log_file}')

    def register_default_hooks(
        self, hooks: Optional[Dict[str, Any]] = None
    ) -> None:
        # MMEngine takes None as "remove" for its own defaults only; for
        # the entries our runtime adds (nonfinite, rng_state, ...) it
        # stopped in a bare AssertionError
        if hooks is not None:
            hooks = {
                name: hook
                for name, hook in hooks.items()
                if hook is not None or name in MMENGINE_DEFAULT_HOOKS
            }
        super().register_default_hooks(hooks)

    def build_logger(self, *args, **kwargs) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        quiet_console(logger)
        return logger

    @property
    def channels_last(self) -> bool:
        value = self.cfg.get('channels_last', False)
        if not isinstance(value, bool):
            raise ConfigError(
                f'channels_last is {value!r}; set it to True or False'
            )
        return value

    def wrap_model(
        self, model_wrapper_cfg: Optional[Dict], model: nn.Module
    ) -> nn.Module:
        problem = input_channels_problem(model)
        if problem:
            raise ConfigError(problem)
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return super().wrap_model(model_wrapper_cfg, model)

    def build_optim_wrapper(
        self, optim_wrapper: Union[Optimizer, OptimWrapper, Dict]
    ) -> Union[OptimWrapper, OptimWrapperDict]:
        constructor = 'DefaultOptimWrapperConstructor'
        if isinstance(optim_wrapper, dict) and str(
            optim_wrapper.get('constructor', constructor)
        ).endswith(constructor):
            check_custom_keys(
                self.model,
                optim_wrapper.get('paramwise_cfg'),
                'optim_wrapper.paramwise_cfg',
            )
        return super().build_optim_wrapper(optim_wrapper)

    @staticmethod
    def build_dataloader(
        dataloader: Union[DataLoader, Dict],
        seed: Optional[int] = None,
        diff_rank_seed: bool = False,
    ) -> DataLoader:
        dataset_cfg = (
            dataloader.get('dataset') if isinstance(dataloader, dict) else None
        )
        try:
            built = Runner.build_dataloader(
                dataloader, seed=seed, diff_rank_seed=diff_rank_seed
            )
        except IndexError:  # a list of indices past the split's end
            problem = images_taken_problem(dataset_cfg, None)
            if not problem:
                raise
            raise ConfigError(problem) from None
        problem = images_taken_problem(dataset_cfg, built.dataset)
        if problem:
            raise ConfigError(problem)
        return built

    def build_train_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        loop = self._head_fits(super().build_train_loop(loop), 'train')
        problem = empty_training_loader_problem(
            getattr(loop, 'dataloader', None)
        )
        if problem:
            raise ConfigError(problem)
        return loop

    def build_val_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        return self._head_fits(super().build_val_loop(loop), 'val')

    def build_test_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        return self._head_fits(super().build_test_loop(loop), 'test')

    def _head_fits(self, loop: BaseLoop, split: str) -> BaseLoop:
        """``loop``, once its dataset's classes are known to be those
        the model's head predicts."""
        dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        loader = f'{split}_dataloader'
        problem = classes and head_classes_problem(
            self.cfg,
            loader,
            (self.cfg.get(loader) or {}).get('dataset') or {},
            len(classes),
        )
        if problem:
            raise ConfigError(problem)
        return loop

    def build_param_scheduler(self, scheduler: Any) -> Any:
        if isinstance(self._train_loop, BaseLoop):  # its length is known
            check_cosine_periods(self.cfg, self._train_loop.max_iters)
        return super().build_param_scheduler(scheduler)

    def _init_model_weights(self) -> None:
        if not self._resume:  # a resumed run's weights all come from it
            problem = pretrained_init_problem(unwrap_model(self.model))
            if problem:
                raise CheckpointError(problem)
        if not self.channels_last:
            return super()._init_model_weights()
        # the same parameters (the optimizer holds them), relaid in place
        model = unwrap_model(self.model)
        model.to(memory_format=torch.contiguous_format)
        super()._init_model_weights()
        model.to(memory_format=torch.channels_last)
