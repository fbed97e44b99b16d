"""--amp: mixed precision for every method family, on the GPU (fp16) and
on a CPU with bf16 instructions; distillation losses stay in fp32."""

import contextlib
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.runner import Runner
from mmrazor.registry import OPTIM_WRAPPERS
from test_users_path import FAMILY_STEPS

from conftest import REPO, options_args, run_tool_in_process, tiny_cfg
from mmsamkd.engine.hooks import FP32LossesHook
from mmsamkd.engine.optimizers import (
    MixedPrecisionOptimWrapper,
    mixed_precision,
    use_mixed_precision,
)
from mmsamkd.errors import ConfigError
from mmsamkd.utils.model_wrappers import unwrap_model

bf16_cpu = pytest.mark.skipif(
    torch.cuda.is_available() or not mixed_precision.cpu_computes_bf16(),
    reason='needs a CPU with bf16 instructions and no GPU',
)


def shipped(method_config):
    return Config.fromfile(osp.join(REPO, 'configs', method_config))


def test_every_optim_wrapper_becomes_mixed_precision(monkeypatch):
    monkeypatch.setattr(mixed_precision, 'cpu_computes_bf16', lambda: True)
    amp = 'mmrazor.MixedPrecisionOptimWrapper'
    kd = shipped(FAMILY_STEPS['kd'][0])
    use_mixed_precision(kd)
    assert kd.optim_wrapper.type == amp
    assert [h['type'] for h in kd.custom_hooks] == ['mmrazor.FP32LossesHook']
    for family in ('samkd', 'msmgan'):
        cfg = shipped(FAMILY_STEPS[family][0])
        use_mixed_precision(cfg)
        # one wrapper per optimizer; the constructor's keys stay as they are
        wrapper = cfg.optim_wrapper
        assert 'type' not in wrapper and 'loss_scale' not in wrapper
        assert wrapper.architecture.type == wrapper.adversary.type == amp
        use_mixed_precision(cfg)  # twice: one hook
        hooks = [h['type'] for h in cfg.custom_hooks]
        assert hooks.count('mmrazor.FP32LossesHook') == 1


def test_a_wrapper_it_does_not_know_is_refused(monkeypatch):
    monkeypatch.setattr(mixed_precision, 'cpu_computes_bf16', lambda: True)
    cfg = shipped(FAMILY_STEPS['kd'][0])
    cfg.optim_wrapper.type = 'MyWrapper'
    with pytest.raises(ConfigError, match='not MyWrapper; drop --amp'):
        use_mixed_precision(cfg)


@pytest.mark.parametrize(
    'probes, cpuinfo, found',
    [
        ((True, False), None, True),  # a probe says so: no file read
        ((False, True), None, True),
        # torch < 2.3 (the oldest stack) has no probes: the kernel's flags
        (None, 'flags : fpu avx512f avx512_bf16 sse\n', True),
        (None, 'flags : fpu amx_bf16 amx_tile\n', True),
        (None, 'flags : fpu avx512f avx512_bf16x\n', False),
        ((False, False), 'flags : fpu avx2\n', False),
        (None, OSError, False),  # no /proc: not known, so not assumed
    ],
)
def test_bf16_instructions_are_found(monkeypatch, probes, cpuinfo, found):
    import builtins
    import io

    for name, value in zip(
        ('_is_avx512_bf16_supported', '_is_amx_tile_supported'),
        probes or (None, None),
    ):
        if value is None:
            monkeypatch.delattr(torch.cpu, name, raising=False)
        else:
            monkeypatch.setattr(
                torch.cpu, name, lambda v=value: v, raising=False
            )
    real_open = builtins.open

    def fake_open(path, *args, **kwargs):
        if path != '/proc/cpuinfo':
            return real_open(path, *args, **kwargs)
        if cpuinfo is None:
            raise AssertionError('read /proc/cpuinfo after a probe said so')
        if cpuinfo is OSError:
            raise OSError('no /proc')
        return io.StringIO(cpuinfo)

    monkeypatch.setattr(builtins, 'open', fake_open)
    assert mixed_precision.cpu_computes_bf16() is found


def test_a_cpu_without_bf16_says_so(monkeypatch):
    monkeypatch.setattr(mixed_precision, 'get_device', lambda: 'cpu')
    monkeypatch.setattr(mixed_precision, 'cpu_computes_bf16', lambda: False)
    with pytest.raises(ConfigError, match='lacks.*Drop --amp'):
        use_mixed_precision(shipped(FAMILY_STEPS['kd'][0]))
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ConfigError, match='lacks.*Drop --amp'):
        MixedPrecisionOptimWrapper(
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)
        )


@pytest.mark.filterwarnings('ignore:torch.cuda.amp.GradScaler')
def test_gpu_wrapper_scales_fp16_only(monkeypatch):
    """On a GPU, MMEngine's wrapper with its GradScaler for fp16; bf16
    (fp32's exponent range) scales nothing. MMEngine's GPU check is
    answered yes here; the GradScaler it builds is the GPU's."""
    from mmengine.optim.optimizer import amp_optimizer_wrapper

    monkeypatch.setattr(mixed_precision, 'get_device', lambda: 'cuda')
    monkeypatch.setattr(
        amp_optimizer_wrapper, 'is_cuda_available', lambda: True
    )

    def wrapper(**kwargs):
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        return MixedPrecisionOptimWrapper(optimizer=optimizer, **kwargs)

    fp16 = wrapper()
    assert fp16.cast_dtype is None  # autocast's GPU default, fp16
    assert isinstance(fp16.loss_scaler, amp_optimizer_wrapper.GradScaler)
    static = wrapper(loss_scale=512.0)
    assert static._scale_update_param == 512.0
    bf16 = wrapper(dtype='bfloat16')
    assert bf16.cast_dtype == torch.bfloat16
    assert isinstance(bf16.loss_scaler, mixed_precision.NoLossScaling)


@bf16_cpu
def test_cpu_wrapper_runs_bf16_and_steps_unscaled():
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 3)
    before = model.weight.detach().clone()
    wrapper = MixedPrecisionOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5)
    )
    x = torch.randn(5, 8)
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().sum())
    # d(sum(Wx + b))/dW = the column sums of x, for every output row
    expected = before - 0.5 * x.sum(0).expand(3, 8)
    torch.testing.assert_close(model.weight, expected, rtol=0, atol=0.05)
    state = wrapper.state_dict()
    assert state['loss_scaler'] == {}
    wrapper.load_state_dict(state)


class Distiller(torch.nn.Module):
    def __init__(self):
        super().__init__()
        from mmrazor.models.losses import KLDivergence

        self.distill_losses = torch.nn.ModuleDict(
            dict(loss_kd=KLDivergence(tau=4))
        )


@bf16_cpu
def test_distillation_losses_get_fp32_inputs():
    """MMRazor's KLDivergence under CPU autocast: softmax at T=4 in bf16
    without the hook; with it, the fp32 loss of the same logits."""
    torch.manual_seed(0)
    student = torch.randn(16, 10).bfloat16()
    teacher = torch.randn(16, 10).bfloat16()
    exact = (
        F.kl_div(
            F.log_softmax(student.float() / 4, 1),
            F.softmax(teacher.float() / 4, 1),
            reduction='batchmean',
        )
        * 16
    )

    def loss_under_autocast(distiller):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            kd = distiller.distill_losses['loss_kd']
            return kd(preds_S=student, preds_T=teacher)

    plain = loss_under_autocast(Distiller())
    assert abs(float(plain) - float(exact)) > 1e-4  # what the hook fixes

    distiller = Distiller()
    runner = type('R', (), {'model': torch.nn.ModuleList([distiller])})
    FP32LossesHook().before_train(runner)
    torch.testing.assert_close(loss_under_autocast(distiller), exact)


class LinearDtypes(Hook):
    """The output dtypes of the linear layers that train (the student's
    head, branches, discriminators), over the training steps."""

    def before_train(self, runner):
        self.dtypes = []
        for module in unwrap_model(runner.model).modules():
            if isinstance(module, torch.nn.Linear):
                module.register_forward_hook(self.record)

    def record(self, module, args, output):
        if module.training and torch.is_grad_enabled():
            self.dtypes.append(output.dtype)


@bf16_cpu
@pytest.mark.parametrize('family', list(FAMILY_STEPS))
def test_every_family_trains_in_bf16(family, request, tmp_path):
    config, fixture, option, _ = FAMILY_STEPS[family]
    options = {'train_dataloader.dataset.indices': 128}
    if fixture:
        teacher = request.getfixturevalue(fixture)
        options[option] = teacher
        if option == 'model.teacher_snapshots':
            options['model.teacher_ckpt'] = teacher[0]
    cfg = tiny_cfg(osp.join(REPO, 'configs', config), tmp_path, **options)
    use_mixed_precision(cfg)
    runner = Runner.from_cfg(cfg)
    linear = LinearDtypes()
    runner.register_hook(linear)
    runner.train()
    assert linear.dtypes and set(linear.dtypes) == {torch.bfloat16}
    for name, value in unwrap_model(runner.model).state_dict().items():
        if value.is_floating_point():
            assert value.dtype == torch.float32, name  # fp32 master weights
            assert torch.isfinite(value).all(), name


class LossScaledFloat16OnCPU(AmpOptimWrapper):
    """The GPU's fp16 path, run on this CPU: MMEngine's AmpOptimWrapper
    (its backward, step and state, as on a GPU) around a real dynamic
    GradScaler, under fp16 autocast. bf16 scales nothing, so only this
    shows a step that skips the scale or its undoing."""

    def __init__(self, loss_scale='dynamic', dtype=None, **kwargs):
        OptimWrapper.__init__(self, **kwargs)  # MMEngine's asserts a GPU
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.0**12)
        self.cast_dtype = torch.float16

    @contextlib.contextmanager
    def optim_context(self, model):
        with OptimWrapper.optim_context(self, model):
            with torch.autocast('cpu', dtype=torch.float16):
                yield


class InitialWeights(Hook):
    def before_train(self, runner):
        self.weights = float_weights(runner.model)


def float_weights(model):
    return {
        k: v.detach().clone()
        for k, v in unwrap_model(model).state_dict().items()
        if v.is_floating_point() and 'running_' not in k
    }


@pytest.mark.slow
@pytest.mark.skipif(
    not hasattr(torch.amp, 'GradScaler'), reason='torch < 2.3: no CPU scaler'
)
@pytest.mark.parametrize('family', ['samkd', 'msmgan'])
def test_fp16_loss_scaled_steps_match_fp32(
    family, request, tmp_path, monkeypatch
):
    """SAMKD's and MS-MGANs' two optimizers, each with its own loss scale
    (2^12), take the steps fp32 takes: both scaled backward and unscaled
    step happen in each (MS-MGANs' block step opens the wrapper's
    update_params up). Its first block phase and every SAMKD pair on."""
    OPTIM_WRAPPERS.register_module(module=LossScaledFloat16OnCPU, force=True)
    monkeypatch.setattr(mixed_precision, 'cpu_computes_bf16', lambda: True)
    config, fixture, option, _ = FAMILY_STEPS[family]
    teacher = request.getfixturevalue(fixture)
    options = {
        option: teacher,
        # two steps of 16 images: CPU fp16 is emulated, 3x fp32's time
        'train_dataloader.dataset.indices': 32,
        'train_dataloader.batch_size': 16,
        # the steps alone: no validation, no checkpoint
        'val_dataloader': None,
        'val_cfg': None,
        'val_evaluator': None,
        'default_hooks.checkpoint': None,
    }
    if option == 'model.teacher_snapshots':
        options['model.teacher_ckpt'] = teacher[0]

    def train(fp16):
        cfg = tiny_cfg(
            osp.join(REPO, 'configs', config), tmp_path / str(fp16), **options
        )
        for hook in cfg.custom_hooks:
            if hook['type'].endswith('AdversarialStageHook'):
                every_pair = hook['stages'][-1]['weights']
                hook['stages'] = [dict(begin=0, weights=every_pair)]
        if fp16:
            use_mixed_precision(cfg)
            for part in ('architecture', 'adversary'):
                cfg.optim_wrapper[part].type = 'mmrazor.LossScaledFloat16OnCPU'
        torch.manual_seed(0)
        runner = Runner.from_cfg(cfg)
        initial = InitialWeights()
        runner.register_hook(initial)
        runner.train()
        return runner, initial.weights, float_weights(runner.model)

    _, start, fp32 = train(False)
    runner, _, fp16 = train(True)
    for part in ('architecture', 'adversary'):
        wrapper = runner.optim_wrapper[part]
        assert isinstance(wrapper.loss_scaler, torch.amp.GradScaler)
        assert wrapper.state_dict()['loss_scaler']['scale'] == 2.0**12
        names = [k for k in fp32 if k.startswith(part + '.')]
        step = sum(float((fp32[k] - start[k]).norm()) ** 2 for k in names)
        gap = sum(float((fp16[k] - fp32[k]).norm()) ** 2 for k in names)
        assert step > 1e-6, part
        # measured: the fp16 steps differ by 0.2 to 1.5 % of their length
        assert gap**0.5 < 0.05 * step**0.5, (part, gap**0.5, step**0.5)


@bf16_cpu
def test_train_py_amp_runs_samkd(fmnist_ssa_teacher_ckpt, tmp_path):
    """Before: train.py put ``type`` and ``loss_scale`` beside SAMKD's two
    wrappers, and its constructor refused them (exit 2)."""
    config = osp.join(REPO, 'configs', FAMILY_STEPS['samkd'][0])
    result = run_tool_in_process(
        'train.py',
        config,
        '--amp',
        '--work-dir',
        tmp_path,
        *options_args({'model.teacher_ckpt': fmnist_ssa_teacher_ckpt}),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / 'epoch_1.pth').is_file()


def test_compare_amp_trains_with_it_and_reuses_no_fp32_run(
    monkeypatch, tmp_path
):
    from mmsamkd.comparison import scheduler
    from mmsamkd.utils.run_results import record_mismatch, run_record

    monkeypatch.setattr(mixed_precision, 'cpu_computes_bf16', lambda: True)
    trainer = ['tools/train.py', '--amp']  # what compare.py --amp builds
    command = scheduler.train_command(trainer, 'kd.py', str(tmp_path), {})
    assert command[1:3] == trainer and command[3] == 'kd.py'
    fp32 = shipped(FAMILY_STEPS['kd'][0])
    record = run_record(fp32)
    assert record['precision'] == 'fp32'
    amp = shipped(FAMILY_STEPS['kd'][0])
    use_mixed_precision(amp)
    assert 'precision fp32 vs mixed' in record_mismatch(record, amp)


def test_losses_lift_half_precision_only():
    """bf16 and fp16 scores are lifted to fp32; fp64 keeps its precision
    (a gradient check in fp64 lost its digits when losses cast to fp32)."""
    from mmsamkd.models.losses import kl_divergence
    from mmsamkd.models.losses.adversarial_loss import (
        discriminator_loss,
        generator_loss,
    )

    scores = torch.randn(4, 10)
    for dtype, expected in (
        (torch.bfloat16, torch.float32),
        (torch.float16, torch.float32),
        (torch.float32, torch.float32),
        (torch.float64, torch.float64),
    ):
        s, t = scores.to(dtype), scores.flip(0).to(dtype)
        assert kl_divergence(s, t, 4).dtype == expected, dtype
        assert discriminator_loss(s, t, 'bce').dtype == expected, dtype
        assert generator_loss(s, 'bce').dtype == expected, dtype
