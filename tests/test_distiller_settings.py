"""A distillation loss fed from the wrong network, or from nothing, is
refused in one line.

Before: ``loss_forward_mappings.loss_kd.preds_T.from_student=True``
trained a KD run whose KL compared the student with itself (1.5e-08),
rc 0; a misspelt recorder in a mapping, or a recorder ``source`` that is
no module, ended in MMRazor's ``AssertionError`` traceback.
"""

import pytest
from mmengine.config import Config
from test_cli_errors import assert_one_line_error

from conftest import KD_CFG, REPO, options_args, run_tool_in_process
from mmsamkd.errors import ConfigError
from mmsamkd.utils.distiller_settings import (
    check_distiller,
    recorder_source_problem,
)

CSKD_CFG = f'{REPO}/configs/cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
LIGHTSKD_CFG = (
    f'{REPO}/configs/lightskd/lightskd-{{}}_resnet8-quarter_1xb64_fmnist.py'
)
MAPPINGS = 'model.distiller.loss_forward_mappings'


def checked(path=KD_CFG, **options):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    check_distiller(cfg)
    return cfg


@pytest.mark.parametrize(
    'option, value, told',
    [
        (
            f'{MAPPINGS}.loss_kd.preds_T.from_student',
            True,
            f"{MAPPINGS}.loss_kd.preds_T reads the student's 'logits', but "
            'its _T names the teacher: loss_kd would compare one network '
            'with itself and distil nothing. Set from_student=False.',
        ),
        (
            f'{MAPPINGS}.loss_kd.preds_S.from_student',
            False,
            f"{MAPPINGS}.loss_kd.preds_S reads the teacher's 'logits', but "
            'its _S names the student: loss_kd would compare one network '
            'with itself and distil nothing. Set from_student=True.',
        ),
        (
            f'{MAPPINGS}.loss_kd.preds_T.recorder',
            'logit',
            f"{MAPPINGS}.loss_kd.preds_T.recorder='logit' is not one of the "
            "teacher_recorders (did you mean 'logits'?).",
        ),
        (
            f'{MAPPINGS}.loss_kd.preds_S.recorder',
            'logit',
            f"{MAPPINGS}.loss_kd.preds_S.recorder='logit' is not one of the "
            "student_recorders (did you mean 'logits'?).",
        ),
    ],
)
def test_a_loss_input_from_the_wrong_side_or_nowhere_is_refused(
    option, value, told
):
    with pytest.raises(ConfigError) as error:
        checked(**{option: value})
    assert str(error.value) == told


def test_a_mapping_of_no_loss_is_refused_and_unnamed_inputs_pass():
    cfg = Config.fromfile(KD_CFG)
    mappings = cfg.model.distiller.loss_forward_mappings
    mappings['loss_kl'] = mappings.pop('loss_kd')
    with pytest.raises(ConfigError) as error:
        check_distiller(cfg)
    assert str(error.value) == (
        f'{MAPPINGS}.loss_kl: no distill_losses entry has that name (did '
        "you mean 'loss_kd'?), so its inputs would go nowhere."
    )
    # CSKD maps data_samples, named for neither network, from the student
    cfg = checked(CSKD_CFG)
    assert any(
        'data_samples' in arguments
        for arguments in cfg.model.distiller.loss_forward_mappings.values()
    )


def test_a_loss_that_no_mapping_feeds_is_refused():
    """Before: a second KL added to KD's distill_losses without a mapping
    trained to rc 0 without it (MMRazor computes the mapped losses only;
    the log showed loss_kd alone)."""
    extra = {'model.distiller.distill_losses.loss_extra': dict(tau=2)}
    with pytest.raises(ConfigError) as error:
        checked(**extra)
    assert str(error.value) == (
        'model.distiller.distill_losses.loss_extra has no '
        f'{MAPPINGS} entry, so MMRazor would never compute it and the run '
        f'would train without it. Map its inputs ({MAPPINGS}.loss_extra='
        'dict(<argument>=dict(from_student=..., recorder=...))) or remove '
        'the loss.'
    )
    fed = dict(
        preds_S=dict(from_student=True, recorder='logits'),
        preds_T=dict(from_student=False, recorder='logits'),
    )
    checked(**extra, **{f'{MAPPINGS}.loss_extra': fed})


@pytest.mark.parametrize(
    'entry',
    [
        'distill_losses.loss_kd',
        'loss_forward_mappings.loss_kd',
        'loss_forward_mappings.loss_kd.preds_T',
        'teacher_recorders.logits',
        'student_recorders.logits',
    ],
)
def test_an_entry_set_to_none_is_refused(entry):
    """Before: ``distill_losses.loss_kd=None`` (as MMEngine removes a
    default hook) stopped in MMRazor's ``AttributeError`` traceback."""
    with pytest.raises(ConfigError, match='^model.distiller.' + entry + '='):
        checked(**{f'model.distiller.{entry}': None})


def test_a_self_distillation_reads_two_modules():
    """Before: a DRG whose teacher recorder read the student's own
    ``head.fc`` trained to rc 0 with ``distill.loss_drg: 0.0000``."""
    for config in ('drg', 'dsr', 'drg-dsr'):
        checked(LIGHTSKD_CFG.format(config))
    same = {
        'model.distiller.teacher_recorders.adapter_logits.source': 'head.fc'
    }
    with pytest.raises(ConfigError) as error:
        checked(LIGHTSKD_CFG.format('drg'), **same)
    assert str(error.value) == (
        "model.distiller.teacher_recorders.adapter_logits records 'head.fc', "
        'as student_recorders.logits does: in self-distillation both sides '
        'read the one network, so loss_drg would compare that output with '
        'a detached copy of itself (a loss of 0) and teach nothing. Record '
        "another module on the teacher side (LightSKD's DRG: adapter.fc)."
    )
    # a recorder's type is the same with or without its scope
    kind = 'model.distiller.teacher_recorders.adapter_logits.type'
    scoped = {**same, kind: 'mmrazor.ModuleOutputs'}
    with pytest.raises(ConfigError, match='adapter_logits records'):
        checked(LIGHTSKD_CFG.format('drg-dsr'), **scoped)
    # another kind of record of the same module is another input
    checked(
        LIGHTSKD_CFG.format('drg'),
        **same,
        **{kind: 'ModuleInputs'},
    )
    # a teacher apart from the student records its own head.fc
    kd = checked()
    assert kd.model.distiller.teacher_recorders.logits.source == 'head.fc'


def test_a_recorder_source_that_is_no_module_is_named():
    cfg = checked(
        **{'model.distiller.teacher_recorders.logits.source': 'head.fcc'}
    )
    error = AssertionError('"head.fcc" is not in the model.')
    assert str(recorder_source_problem(error, cfg)) == (
        "model.distiller.teacher_recorders.logits.source='head.fcc' is no "
        'module of the teacher: give the dotted name of one of its modules, '
        'as its named_modules() lists them.'
    )
    # the same slip on both sides: MMRazor prepares the student first
    cfg.model.distiller.student_recorders.logits.source = 'head.fcc'
    assert 'of the student' in str(recorder_source_problem(error, cfg))
    # another assertion, or no distiller: left as it is
    assert recorder_source_problem(AssertionError('other'), cfg) is None
    assert recorder_source_problem(error, None) is None


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
@pytest.mark.parametrize(
    'option, told',
    [
        (
            f'{MAPPINGS}.loss_kd.preds_T.from_student=True',
            f'{MAPPINGS}.loss_kd.preds_T reads the student',
        ),
        (
            'model.distiller.student_recorders.logits.source=head.fcc',
            "model.distiller.student_recorders.logits.source='head.fcc' is "
            'no module of the student',
        ),
    ],
)
def test_the_tools_refuse_in_one_line(
    tmp_path, fmnist_teacher_ckpt, tool, option, told
):
    """The mapping before the model is built, the source when MMRazor
    prepares the student's recorders (test.py builds the model too)."""
    checkpoint = [fmnist_teacher_ckpt] if tool == 'test.py' else []
    result = run_tool_in_process(
        tool,
        KD_CFG,
        *checkpoint,
        '--work-dir',
        tmp_path,
        *options_args({'model.teacher_ckpt': fmnist_teacher_ckpt}),
        option,
    )
    assert_one_line_error(result, told)
    assert not list(tmp_path.glob('**/*.pth'))
