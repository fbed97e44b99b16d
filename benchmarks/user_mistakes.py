"""Make the mistakes new users make, through the tools, and count the
outcomes that must never happen.

Each mistake runs ``tools/*.py`` as a user would, on tiny Fashion-MNIST
runs in a scratch root. A mistake must end in a refusal (non-zero exit,
exactly one ``error:`` line, no traceback) or, where the tools can do what
was meant, in rc 0 with the right result (checked). After every mistake
the script also checks that no file of the finished runs it started from
changed or vanished, and that no trainer is left running.

    python benchmarks/user_mistakes.py [--root DIR] [--only NAME ...]

Prints one row per mistake and the counts: rc 0 with a wrong result,
unclear failures, files lost, processes left. About 13 minutes on 2 cores.
"""

import argparse
import ast
import csv
import functools
import glob
import gzip
import hashlib
import json
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CFG = osp.join(REPO, 'configs')
STUDENT = f'{CFG}/vanilla/resnet8-quarter_1xb64_fmnist.py'
TEACHER = f'{CFG}/teachers/resnet14_1xb64_fmnist.py'
SSA = f'{CFG}/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
SNAPSHOTS = f'{CFG}/teachers/resnet14_snapshots_1xb64_fmnist.py'
KD = f'{CFG}/kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py'
HSAKD = f'{CFG}/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
SAMKD = f'{CFG}/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'
ICAKD = f'{CFG}/icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
CSKD = f'{CFG}/cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
MSMGAN = f'{CFG}/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'
SSKD_STUDENT = f'{CFG}/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
DRG = f'{CFG}/lightskd/lightskd-drg_resnet8-quarter_1xb64_fmnist.py'
TINY = [
    'train_dataloader.dataset.indices=256',
    'val_dataloader.dataset.indices=128',
    'test_dataloader.dataset.indices=128',
    'train_cfg.max_epochs=1',
]


def tool(script, *args, options=(), timeout=900, env=None):
    command = [
        sys.executable,
        osp.join(REPO, 'tools', script),
        *map(str, args),
    ]
    if options is not None:
        command += ['--cfg-options', *TINY, *options]
    return subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(result):
    """A refusal: non-zero exit, one ``error:`` line (or argparse's
    ``<tool>: error:``), no traceback."""
    lines = [
        x
        for x in result.stderr.splitlines()
        if x.startswith('error:') or x.split(': error: ')[0].endswith('.py')
    ]
    ok = (
        result.returncode != 0
        and len(lines) == 1
        and 'Traceback' not in result.stderr
    )
    return ok, (lines[0][:110] if lines else result.stderr[-110:])


def dist_train_student(work_dir):
    """``tools/dist_train.sh`` of the student on 2 processes, tiny, into
    ``work_dir``, on the port the script picks (PORT unset)."""
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop('PORT', None)
    return subprocess.run(
        ['bash', osp.join(REPO, 'tools/dist_train.sh'), STUDENT, '2']
        + ['--work-dir', work_dir, '--cfg-options', *TINY],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def metrics(result):
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def snapshot(paths):
    """sha256 of every file under ``paths``."""
    digests = {}
    for top in paths:
        for folder, _, files in os.walk(top):
            for name in files:
                if name == '.mmsamkd.lock':  # names its holder, not data
                    continue
                path = osp.join(folder, name)
                with open(path, 'rb') as f:
                    digests[path] = hashlib.sha256(f.read()).hexdigest()
    return digests


def trainers_left():
    found = subprocess.run(
        ['pgrep', '-f', f'{REPO}/tools/train.py'],
        capture_output=True,
        text=True,
    )
    return [int(p) for p in found.stdout.split()]


class Sweep:
    def __init__(self, root):
        self.root = root
        self.rows = []

    def dir(self, name):
        return osp.join(self.root, name)

    def write_child(self, file_name, text):
        """A config file ``file_name`` of ``text`` in the root; its path."""
        child = self.dir(file_name)
        with open(child, 'w') as f:
            f.write(text)
        return child

    def prepare(self):
        """The finished runs the mistakes start from."""
        runs = [
            ('teacher', TEACHER, []),
            ('student', STUDENT, []),
            ('ssa', SSA, [f'load_from={self.dir("teacher")}/epoch_1.pth']),
            (
                'kd',
                KD,
                [f'model.teacher_ckpt={self.dir("teacher")}/epoch_1.pth'],
            ),
            (
                'snapshots',
                SNAPSHOTS,
                [
                    'train_cfg.max_epochs=3',
                    'default_hooks.checkpoint.interval=1',
                ],
            ),
        ]
        for name, config, options in runs:
            result = tool(
                'train.py',
                config,
                '--work-dir',
                self.dir(name),
                options=options,
            )
            assert result.returncode == 0, result.stderr[-3000:]
        self.teacher = f'{self.dir("teacher")}/epoch_1.pth'
        self.ssa = f'{self.dir("ssa")}/epoch_1.pth'
        self.student = f'{self.dir("student")}/epoch_1.pth'
        self.kd = f'{self.dir("kd")}/epoch_1.pth'
        self.snapshots = [
            f'{self.dir("snapshots")}/epoch_{e}.pth' for e in (1, 2, 3)
        ]
        self.kept = [self.dir(n) for n, _, _ in runs]

    def check(self, name, run):
        before = snapshot(self.kept)
        started = time.monotonic()
        try:
            verdict, detail = run()
        except Exception as error:  # noqa: BLE001 (a row, not a crash)
            verdict, detail = 'unclear', f'{type(error).__name__}: {error}'
        after = snapshot(self.kept)
        lost = sorted(p for p in before if after.get(p) != before[p])
        left = trainers_left()
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        self.rows.append((name, verdict, lost, left))
        print(
            f'{name:<34} {verdict:<8} {time.monotonic() - started:5.0f}s  '
            f'lost={len(lost)} left={len(left)}  {detail}',
            flush=True,
        )

    # -- verdicts ----------------------------------------------------------
    @staticmethod
    def refused(result, about=None):
        """``about``: a fragment the refusal must hold, where a refusal of
        another mistake (a setting the scenario itself needs) could pass."""
        ok, line = one_line(result)
        if ok and about and about not in result.stderr:
            return 'unclear', 'refused for another reason: ' + line
        if ok:
            return 'refused', line
        if result.returncode == 0:
            return 'WRONG', 'rc 0: ' + line
        return 'unclear', line

    def train(self, config, name, *options, extra=()):
        return tool(
            'train.py',
            config,
            '--work-dir',
            self.dir(name),
            *extra,
            options=list(options),
        )

    # -- the mistakes ------------------------------------------------------
    def refused_training(self, name):
        """The ``tools/train.py`` mistake ``name``, which must be refused in
        one line: ``(config, work dir, options, extra arguments)``."""
        teacher = f'model.teacher_ckpt={self.teacher}'
        ssa = f'model.teacher_ckpt={self.ssa}'
        no_data = [
            f'{split}_dataloader.dataset.data_root=/tmp/no-fmnist'
            for split in ('train', 'val', 'test')
        ]
        return {
            'typo trian_cfg': (STUDENT, 'm1', ['trian_cfg.max_epochs=1']),
            'typo optim_wraper': (
                STUDENT,
                'm2',
                ['optim_wraper.optimizer.lr=0.5'],
            ),
            'top-level teacher_ckpt override': (
                KD,
                'm3',
                [teacher, f'teacher_ckpt={self.student}'],
            ),
            'top-level data_root override': (
                STUDENT,
                'm4',
                ['data_root=/tmp/nowhere'],
            ),
            'top-level val_size override': (STUDENT, 'm5', ['val_size=100']),
            'frozen stage load_from student': (
                SSA,
                'm7',
                [f'load_from={self.student}'],
            ),
            'student load_from a KD checkpoint': (
                STUDENT,
                'm33',
                [f'load_from={self.kd}'],
            ),
            'student load_from the teacher': (
                STUDENT,
                'm34',
                [f'load_from={self.teacher}'],
            ),
            'KD normalising as no teacher run did': (
                KD,
                'm36',
                [
                    teacher,
                    'model.data_preprocessor.mean=[0]',
                    'model.data_preprocessor.std=[255]',
                ],
            ),
            'top-level data_preprocessor override': (
                STUDENT,
                'm37',
                ['data_preprocessor.std=[1]'],
            ),
            'teacher init_cfg of the student': (
                KD,
                'm35',
                [
                    'model.teacher_ckpt=None',
                    'model.teacher.init_cfg.type=Pretrained',
                    f'model.teacher.init_cfg.checkpoint={self.student}',
                ],
            ),
            'KD at lr 1e4': (
                KD,
                'm11',
                [teacher, 'optim_wrapper.optimizer.lr=1e4'],
            ),
            'KD at lr 1e4, skip policy': (
                KD,
                'm12',
                [
                    teacher,
                    'optim_wrapper.optimizer.lr=1e4',
                    'default_hooks.nonfinite.policy=skip',
                ],
            ),
            'SAMKD at lr 1e4': (
                SAMKD,
                'm13',
                [ssa, 'optim_wrapper.architecture.optimizer.lr=1e4'],
            ),
            'train on the test split': (
                STUDENT,
                'm14',
                ['train_dataloader.dataset.split=test'],
            ),
            'fresh run in another run dir': (KD, 'student', [teacher]),
            'fresh run over the same run': (STUDENT, 'student', []),
            'resume another network': (
                KD,
                'm19',
                [teacher],
                ['--resume', self.teacher],
            ),
            'resume from the best checkpoint': (
                STUDENT,
                'm151',
                [],
                [
                    '--resume',
                    osp.join(
                        self.dir('student'), 'best_accuracy_top1_epoch_1.pth'
                    ),
                ],
            ),
            'two pairs in one argument': (
                STUDENT,
                'm23',
                ['train_cfg.max_epochs=1 randomness.seed=3'],
            ),
            'ICAKD bank of another width': (
                ICAKD,
                'm105',
                [
                    teacher,
                    'model.distiller.distill_losses.loss_structure.'
                    'bank_channels=32',
                ],
            ),
            'ICAKD num_classes 5': (
                ICAKD,
                'm24',
                [
                    teacher,
                    'model.distiller.distill_losses.loss_structure.'
                    'num_classes=5',
                ],
            ),
            'SAMKD pair channels wrong': (
                SAMKD,
                'm25',
                [ssa, 'model.adversary.pairs.feat1.student_channels=32'],
            ),
            'missing teacher_ckpt': (
                KD,
                'm27',
                ['model.teacher_ckpt=/tmp/none.pth'],
            ),
            'plain teacher for HSAKD': (HSAKD, 'm28', [teacher]),
            'missing dataset folder': (STUDENT, 'm29', no_data),
            'student head of a CIFAR-100 config': (
                STUDENT,
                'm37',
                ['model.head.num_classes=100'],
            ),
            'student head of 5 classes': (
                STUDENT,
                'm38',
                ['model.head.num_classes=5'],
            ),
            'milestones on a cosine schedule': (
                STUDENT,
                'm39',
                ['param_scheduler.milestones=[3,6]'],
            ),
            'resume another run for more epochs': (
                TEACHER,
                'm40',
                ['train_cfg.max_epochs=2'],
                ['--resume', self.teacher],
            ),
            'lr 0': (STUDENT, 'm41', ['optim_wrapper.optimizer.lr=0']),
            'val_begin after the last epoch': (
                STUDENT,
                'm42',
                ['train_cfg.val_begin=5'],
            ),
            'max_epochs 0': (STUDENT, 'm43', ['train_cfg.max_epochs=0']),
            'negative momentum': (
                STUDENT,
                'm44',
                ['optim_wrapper.optimizer.momentum=-0.9'],
            ),
            'misspelt randomness key': (STUDENT, 'm45', ['randomness.sed=3']),
            'checkpoints in an out_dir': (
                STUDENT,
                'm102',
                [f'default_hooks.checkpoint.out_dir={self.dir("m102-ckpts")}'],
            ),
            'misspelt checkpoint-hook key': (
                STUDENT,
                'm46',
                ['default_hooks.checkpoint.max_keep_ckpt=1'],
            ),
            'misspelt hook name': (
                STUDENT,
                'm47',
                ['default_hooks.nonfinit.policy=skip'],
            ),
            'misspelt loss name': (
                KD,
                'm48',
                [teacher, 'model.distiller.distill_losses.loss_kl.tau=2'],
            ),
            'KD loss weight -1': (
                KD,
                'm50',
                [
                    teacher,
                    'model.distiller.distill_losses.loss_kd.loss_weight=-1',
                ],
            ),
            'save_best of an accuracy not computed': (
                STUDENT,
                'm51',
                ['default_hooks.checkpoint.save_best=accuracy/top5'],
            ),
            'batch_size 0': (
                STUDENT,
                'm52',
                ['train_dataloader.batch_size=0'],
            ),
            'clip_grad max_norm 0': (
                STUDENT,
                'm53',
                ['optim_wrapper.clip_grad.max_norm=0'],
            ),
            'InfiniteSampler under epochs': (
                STUDENT,
                'm54',
                ['train_dataloader.sampler.type=InfiniteSampler'],
            ),
            'seed -1': (STUDENT, 'm55', ['randomness.seed=-1']),
            'all training images by indices': (
                STUDENT,
                'm99',
                ['train_dataloader.dataset.indices=60000'],
            ),
            'validation part of no image': (
                STUDENT,
                'm56',
                ['val_dataloader.dataset.indices=0'],
            ),
            'evaluator list without index': (
                STUDENT,
                'm49',
                ['val_evaluator.topk=5'],
            ),
            'misspelt backbone type': (
                STUDENT,
                'm57',
                ['model.backbone.type=ResNet9'],
            ),
            'misspelt optimizer type': (
                STUDENT,
                'm58',
                ['optim_wrapper.optimizer.type=SGDD'],
            ),
            'misspelt scheduler type': (
                STUDENT,
                'm59',
                ['param_scheduler.type=CosineAnnealingLr'],
            ),
            'main-job config lengthened to 24 epochs': (
                STUDENT,
                'm62',
                ['train_cfg.max_epochs=24'],
            ),
            'cosine counted in iterations': (
                STUDENT,
                'm95',
                ['param_scheduler.by_epoch=False', 'train_cfg.max_epochs=12'],
            ),
            'AmpOptimWrapper on a CPU': (
                STUDENT,
                'm63',
                ['optim_wrapper.type=AmpOptimWrapper'],
            ),
            'iteration loop over an epoch config': (
                STUDENT,
                'm64',
                [
                    'train_cfg.type=IterBasedTrainLoop',
                    'train_cfg.max_iters=10',
                ],
            ),
            'logger interval 0': (
                STUDENT,
                'm65',
                ['default_hooks.logger.interval=0'],
            ),
            'auto_scale_lr without its base batch': (
                STUDENT,
                'm122',
                ['auto_scale_lr.enable=True'],
            ),
            'a SAMKD pair removed by None': (
                SAMKD,
                'm125',
                [ssa, 'model.adversary.pairs.feat0=None'],
            ),
            'epoch loop logging metrics by iteration': (
                STUDENT,
                'm128',
                ['default_hooks.logger.log_metric_by_epoch=False'],
            ),
            'training sampler None': (
                STUDENT,
                'm126',
                ['train_dataloader.sampler=None'],
            ),
            'a KD loss removed by None': (
                KD,
                'm124',
                [teacher, 'model.distiller.distill_losses.loss_kd=None'],
            ),
            'train a _base_ file': (
                f'{CFG}/_base_/datasets/fashion_mnist.py',
                'm60',
                [],
            ),
            '--launcher pytorch without torchrun': (
                STUDENT,
                'm36',
                [],
                ['--launcher', 'pytorch'],
            ),
            # the teacher trained on the first 256 training images; a
            # hold-out of all but 200 puts the validation split on them
            'validation split the teacher trained on': (
                KD,
                'm66',
                [
                    teacher,
                    'train_dataloader.dataset.val_size=59800',
                    'val_dataloader.dataset.split=val',
                    'val_dataloader.dataset.val_size=59800',
                ],
            ),
            # 300 validation images at batch 256: 44 never scored
            'validation that drops its last batch': (
                STUDENT,
                'm67',
                [
                    'val_dataloader.drop_last=True',
                    'val_dataloader.dataset.indices=300',
                ],
            ),
            'training loader of no batch': (
                STUDENT,
                'm118',
                [
                    'train_dataloader.drop_last=True',
                    'train_dataloader.dataset.indices=32',
                ],
            ),
            'persistent workers without workers': (
                STUDENT,
                'm119',
                ['train_dataloader.persistent_workers=True'],
            ),
            'InfiniteSampler in validation': (
                STUDENT,
                'm68',
                ['val_dataloader.sampler.type=InfiniteSampler'],
            ),
            'KD temperature -4': (
                KD,
                'm76',
                [teacher, 'model.distiller.distill_losses.loss_kd.tau=-4'],
            ),
            'frozen student by student_trainable': (
                KD,
                'm115',
                [teacher, 'model.student_trainable=False'],
            ),
            'SAMKD teacher_trainable': (
                SAMKD,
                'm116',
                [ssa, 'model.teacher_trainable=True'],
            ),
            'views pipeline under a plain preprocessor': (
                SSKD_STUDENT,
                'm104',
                [
                    'model.teacher_ckpt=None',
                    'random_teacher=True',
                    'model.data_preprocessor.type='
                    'mmpretrain.ClsDataPreprocessor',
                ],
            ),
            'validation pipeline without PackInputs': (
                STUDENT,
                'm80',
                [
                    'val_dataloader.dataset.pipeline.0.type=Resize',
                    'val_dataloader.dataset.pipeline.0.scale=32',
                ],
            ),
            'val_cfg set to None': (STUDENT, 'm77', ['val_cfg=None']),
            'an empty val_evaluator': (STUDENT, 'm78', ['val_evaluator=[]']),
            'a run folder as teacher_ckpt': (
                KD,
                'm79',
                [f'model.teacher_ckpt={self.dir("teacher")}'],
            ),
            'best checkpoint by the teacher': (
                KD,
                'm69',
                [
                    teacher,
                    'default_hooks.checkpoint.save_best=teacher.accuracy/top1',
                ],
            ),
            'best checkpoint by the lowest accuracy': (
                STUDENT,
                'm70',
                ['default_hooks.checkpoint.rule=less'],
            ),
            'save_best of the loss': (
                STUDENT,
                'm71',
                ['default_hooks.checkpoint.save_best=loss'],
            ),
            'save_best of a calibration error, no rule': (
                STUDENT,
                'm72',
                ['default_hooks.checkpoint.save_best=transfer/ece'],
            ),
            'a dict in --cfg-options': (
                STUDENT,
                'm73',
                [
                    "model.head.loss={'type':'CrossEntropyLoss','loss_weight':2}"
                ],
            ),
            'unbalanced brackets in --cfg-options': (
                STUDENT,
                'm74',
                ['param_scheduler.T_max=[12'],
            ),
            'misspelt paramwise_cfg key': (
                STUDENT,
                'm81',
                ['optim_wrapper.paramwise_cfg.norm_decay_mul=0'],
            ),
            "paramwise_cfg over SAMKD's entries": (
                SAMKD,
                'm82',
                [ssa, 'optim_wrapper.paramwise_cfg.norm_decay_mult=0'],
            ),
            'discrepancy samples no stage plays': (
                SAMKD,
                'm98',
                [ssa, 'model.samples.epsilon=0.1'],
            ),
            'discriminator_steps 2.5': (
                SAMKD,
                'm100',
                [ssa, 'model.discriminator_steps=2.5'],
            ),
            'Mixup alpha written as 1': (
                STUDENT,
                'm106',
                [
                    'model.train_cfg.augments.type=Mixup',
                    'model.train_cfg.augments.alpha=1',
                ],
            ),
            'RandomFlip direction misspelt': (
                STUDENT,
                'm107',
                ['train_dataloader.dataset.pipeline.1.direction=horisontal'],
            ),
            'top-0 accuracy': (STUDENT, 'm108', ['val_evaluator.0.topk=0']),
            'val_interval 1.5': (
                STUDENT,
                'm110',
                ['train_cfg.max_epochs=3', 'train_cfg.val_interval=1.5'],
            ),
            'top-20 accuracy of 10 classes': (
                STUDENT,
                'm109',
                ['val_evaluator.0.topk=(1,20)'],
            ),
            'TensorBoard logging without tensorboard': (
                STUDENT,
                'm103',
                ['visualizer.vis_backends.0.type=TensorboardVisBackend'],
            ),
            'misspelt GAN loss': (
                SAMKD,
                'm96',
                [ssa, 'model.adversary.gan_type=wgan'],
            ),
            'CIFAR student on Fashion-MNIST': (
                KD,
                'm101',
                [teacher, 'model.architecture.backbone.in_channels=3'],
            ),
            'misspelt backbone arch': (
                STUDENT,
                'm97',
                ['model.backbone.arch=resnet9'],
            ),
            'accumulated discriminator steps': (
                SAMKD,
                'm90',
                [ssa, 'optim_wrapper.adversary.accumulative_counts=2'],
            ),
            'misspelt pair in a later SAMKD stage': (
                SAMKD,
                'm91',
                [ssa, 'custom_hooks.0.stages.1.weights.feat00=0.1'],
            ),
            'MS-MGANs phase of a block it lacks': (
                MSMGAN,
                'm92',
                [
                    f'model.teacher_snapshots={self.snapshots}'.replace(
                        ' ', ''
                    ),
                    f'model.teacher_ckpt={self.snapshots[0]}',
                    'custom_hooks.0.phases.2.block=3',
                ],
            ),
            "KD's teacher input from the student": (
                KD,
                'm87',
                [
                    teacher,
                    'model.distiller.loss_forward_mappings.loss_kd.preds_T.from_student=True',
                ],
            ),
            'misspelt recorder in a loss mapping': (
                KD,
                'm88',
                [
                    teacher,
                    'model.distiller.loss_forward_mappings.loss_kd.preds_T.recorder=logit',
                ],
            ),
            'a KD loss no mapping feeds': (
                KD,
                'm117',
                [
                    teacher,
                    'model.distiller.distill_losses.loss_extra.type=KLDivergence',
                ],
            ),
            'recorder source of no module': (
                KD,
                'm89',
                [
                    teacher,
                    'model.distiller.teacher_recorders.logits.source=head.fcc',
                ],
            ),
            "DRG's teacher side on the student's logits": (
                DRG,
                'm114',
                [
                    'model.distiller.teacher_recorders.adapter_logits.source='
                    'head.fc'
                ],
            ),
            'Mixup on CSKD': (
                CSKD,
                'm86',
                [
                    teacher,
                    'model.data_preprocessor.batch_augments.augments.type=Mixup',
                    'model.data_preprocessor.batch_augments.augments.alpha='
                    '1.0',
                ],
            ),
            'Mixup on the distilled student': (
                KD,
                'm84',
                [
                    teacher,
                    'model.architecture.train_cfg.augments.type=Mixup',
                    'model.architecture.train_cfg.augments.alpha=1.0',
                ],
            ),
        }[name]

    def refusal_about(self, name):
        """A fragment that the refusal of the ``tools/train.py`` mistake
        ``name`` must hold: a refusal of something else (a check that a
        change made to pass stops short of) does not count."""
        return {
            'typo trian_cfg': "'trian_cfg'",
            'typo optim_wraper': "'optim_wraper'",
            'top-level teacher_ckpt override': '--cfg-options teacher_ckpt:',
            'top-level data_root override': '--cfg-options data_root:',
            'top-level val_size override': '--cfg-options val_size:',
            'frozen stage load_from student': f'load_from {self.student}',
            'student load_from a KD checkpoint': f'load_from {self.kd}',
            'student load_from the teacher': f'load_from {self.teacher}',
            'teacher init_cfg of the student': 'teacher.init_cfg',
            'KD normalising as no teacher run did': 'mean [0] std [255]',
            'top-level data_preprocessor override': (
                '--cfg-options data_preprocessor.std'
            ),
            'KD at lr 1e4': 'diverged',
            'KD at lr 1e4, skip policy': 'diverged',
            'SAMKD at lr 1e4': 'diverged',
            'train on the test split': "both read split 'test'",
            'fresh run in another run dir': 'a run of other settings',
            'fresh run over the same run': 'an earlier run of these settings',
            'resume another network': 'config resnet14_1xb64_fmnist',
            'resume another run for more epochs': 'schedule 1 epochs',
            'resume from the best checkpoint': 'a best checkpoint, which',
            'two pairs in one argument': 'several key=value pairs',
            'ICAKD num_classes 5': 'loss_structure counts 5 classes',
            'ICAKD bank of another width': 'set bank_channels=64',
            'student head of a CIFAR-100 config': 'num_classes is 100',
            'student head of 5 classes': 'num_classes is 5',
            'milestones on a cosine schedule': "no argument 'milestones'",
            'SAMKD pair channels wrong': "pair 'feat1'",
            'lr 0': 'optim_wrapper.optimizer.lr=0',
            'val_begin after the last epoch': 'train_cfg.val_begin=5',
            'max_epochs 0': 'train_cfg.max_epochs=0',
            'negative momentum': 'momentum=-0.9',
            'misspelt randomness key': "no argument 'sed'",
            'misspelt checkpoint-hook key': 'max_keep_ckpt',
            'checkpoints in an out_dir': "the tools keep a run's checkpoints",
            'misspelt hook name': "no entry 'nonfinit'",
            'misspelt loss name': "no entry 'loss_kl'",
            'evaluator list without index': 'val_evaluator is a list',
            'KD loss weight -1': 'loss_kd.loss_weight=-1',
            'save_best of an accuracy not computed': "'accuracy/top5' is not",
            'batch_size 0': 'train_dataloader.batch_size=0',
            'clip_grad max_norm 0': 'max_norm=0',
            'InfiniteSampler under epochs': 'InfiniteSampler',
            'seed -1': 'randomness.seed=-1',
            'validation part of no image': 'val_dataloader.dataset.indices=0',
            'all training images by indices': (
                "split 'train' holds 50000 images"
            ),
            'misspelt backbone type': "'ResNet9' is registered nowhere",
            'misspelt optimizer type': "'SGDD' is registered nowhere",
            'misspelt scheduler type': "'CosineAnnealingLr' is registered",
            'train a _base_ file': 'fashion_mnist.py has no model',
            'main-job config lengthened to 24 epochs': 'T_max=12',
            'cosine counted in iterations': "the run's 48 iterations",
            'AmpOptimWrapper on a CPU': "'AmpOptimWrapper'",
            'iteration loop over an epoch config': "type='IterBasedTrainLoop'",
            'logger interval 0': 'logger.interval=0',
            'auto_scale_lr without its base batch': 'base_batch_size is not',
            'a KD loss removed by None': 'distill_losses.loss_kd=None',
            'a SAMKD pair removed by None': 'pairs.feat0=None (--cfg',
            'training sampler None': 'train_dataloader.sampler=None',
            'epoch loop logging metrics by iteration': (
                'log_metric_by_epoch=False under an epoch'
            ),
            'missing teacher_ckpt': "'/tmp/none.pth' does not exist",
            'plain teacher for HSAKD': 'no self-supervised branches',
            'missing dataset folder': '/tmp/no-fmnist',
            '--launcher pytorch without torchrun': '--launcher pytorch',
            'validation split the teacher trained on': (
                'which hold the images this run evaluates'
            ),
            'validation that drops its last batch': (
                'val_dataloader.drop_last=True'
            ),
            'training loader of no batch': 'train_dataloader yields no batch',
            'persistent workers without workers': (
                'persistent_workers=True applies to worker processes'
            ),
            'InfiniteSampler in validation': (
                "sampler.type='InfiniteSampler' does not read"
            ),
            'KD temperature -4': 'loss_kd.tau=-4: a softmax temperature',
            'frozen student by student_trainable': 'has no effect beside',
            'SAMKD teacher_trainable': 'do not hold the teacher',
            'validation pipeline without PackInputs': 'not PackInputs',
            'views pipeline under a plain preprocessor': (
                'but model.data_preprocessor is mmpretrain.ClsDataPreprocessor'
            ),
            'val_cfg set to None': 'val_cfg is None but',
            'an empty val_evaluator': 'val_evaluator is an empty list',
            'a run folder as teacher_ckpt': 'is a folder, not a checkpoint',
            'best checkpoint by the teacher': 'scores the teacher',
            'best checkpoint by the lowest accuracy': "rule='less' keeps",
            'save_best of the loss': "'loss' is not a metric",
            'save_best of a calibration error, no rule': 'cannot tell',
            'a dict in --cfg-options': 'cannot read a dict',
            'unbalanced brackets in --cfg-options': 'brackets balanced',
            'misspelt paramwise_cfg key': 'norm_decay_mul: MMEngine reads no',
            "paramwise_cfg over SAMKD's entries": 'sits beside no optimizer',
            'accumulated discriminator steps': (
                'adversary.accumulative_counts=2'
            ),
            'misspelt GAN loss': "got 'wgan'",
            'TensorBoard logging without tensorboard': (
                "No module named 'tensorboard'"
            ),
            'discriminator_steps 2.5': 'whole number of at least 1, got 2.5',
            'Mixup alpha written as 1': '(Mixup) refused its settings',
            'RandomFlip direction misspelt': "direction='horisontal'",
            'top-0 accuracy': 'val_evaluator.0.topk=0',
            'val_interval 1.5': 'train_cfg.val_interval=1.5',
            'top-20 accuracy of 10 classes': 'top-20 needs 20 classes',
            'discrepancy samples no stage plays': (
                "no adversarial stage weighs 'samples'"
            ),
            'misspelt backbone arch': "unknown CifarResNet arch 'resnet9'",
            'CIFAR student on Fashion-MNIST': (
                'model.architecture.backbone takes 3-channel images'
            ),
            'misspelt pair in a later SAMKD stage': (
                "adversarial stage 2 (begin=2) names unknown pairs ['feat00']"
            ),
            'MS-MGANs phase of a block it lacks': (
                'MS-MGANs phase 3 (begin=2) block 3 is not one of the 3'
            ),
            'Mixup on the distilled student': (
                'model.architecture.train_cfg is never used'
            ),
            'Mixup on CSKD': 'CategoryStructureLoss reads the class',
            "KD's teacher input from the student": (
                "preds_T reads the student's 'logits'"
            ),
            'misspelt recorder in a loss mapping': (
                "preds_T.recorder='logit' is not one of the teacher_recorders"
            ),
            'a KD loss no mapping feeds': 'loss_extra has no model.distiller',
            'recorder source of no module': (
                "logits.source='head.fcc' is no module of the teacher"
            ),
            "DRG's teacher side on the student's logits": (
                "adapter_logits records 'head.fc', as student_recorders.logits"
            ),
        }[name]

    def refuse(self, name):
        config, work_dir, options, *extra = self.refused_training(name)
        extra = extra[0] if extra else ()
        return self.refused(
            self.train(config, work_dir, *options, extra=extra),
            about=self.refusal_about(name),
        )

    # the order the mistakes are made in; a plain name is a refused
    # training (refused_training), the rest need more than one command
    ORDER = (
        'typo trian_cfg',
        'typo optim_wraper',
        'top-level teacher_ckpt override',
        'top-level data_root override',
        'top-level val_size override',
        'child config with a typo key',
        'child config with a syntax error',
        'child config of a misspelt _base_',
        'frozen stage load_from student',
        'student load_from a KD checkpoint',
        'student load_from the teacher',
        'KD load_from a run of another teacher',
        'teacher init_cfg of the student',
        'KD normalising as no teacher run did',
        'top-level data_preprocessor override',
        'test.py vanilla cfg + KD ckpt',
        'test.py KD cfg + vanilla ckpt',
        'test.py teacher cfg + student',
        'test.py CHECKPOINT CONFIG (swapped)',
        'test.py with another std',
        "test.py of a checkpoint's checksum",
        "export of a run's last_checkpoint",
        'KD at lr 1e4',
        'KD at lr 1e4, skip policy',
        'SAMKD at lr 1e4',
        'train on the test split',
        'validation split the teacher trained on',
        'validation that drops its last batch',
        'training loader of no batch',
        'persistent workers without workers',
        'InfiniteSampler in validation',
        'training pipeline in validation',
        'validation pipeline without PackInputs',
        'views pipeline under a plain preprocessor',
        'val_cfg set to None',
        'an empty val_evaluator',
        'best checkpoint by the teacher',
        'best checkpoint by the lowest accuracy',
        'save_best of the loss',
        'save_best of a calibration error, no rule',
        'fresh run in another run dir',
        'fresh run over the same run',
        'export --out student.py',
        'export --out the checkpoint',
        'bit-flipped teacher_ckpt',
        'resume another network',
        'resume another run for more epochs',
        'last_checkpoint empty',
        'last_checkpoint names a removed',
        'path with spaces',
        'resume without the schedule state',
        'resume from the best checkpoint',
        'two pairs in one argument',
        'a dict in --cfg-options',
        'unbalanced brackets in --cfg-options',
        'misspelt paramwise_cfg key',
        "paramwise_cfg over SAMKD's entries",
        'accumulated discriminator steps',
        'misspelt pair in a later SAMKD stage',
        'discrepancy samples no stage plays',
        'MS-MGANs phase of a block it lacks',
        'SAMKD stage hook in an HSAKD config',
        'SAMKD child config adding a hook',
        'custom key of the student by its own name',
        'Mixup on the distilled student',
        'Mixup on a plain student',
        'guard switched off by None',
        'Mixup on CSKD',
        "KD's teacher input from the student",
        'misspelt recorder in a loss mapping',
        'recorder source of no module',
        'a KD loss no mapping feeds',
        "DRG's teacher side on the student's logits",
        'ICAKD num_classes 5',
        'ICAKD bank of another width',
        'student head of a CIFAR-100 config',
        'student head of 5 classes',
        'CIFAR student on Fashion-MNIST',
        'milestones on a cosine schedule',
        'SAMKD pair channels wrong',
        'lr 0',
        'val_begin after the last epoch',
        'max_epochs 0',
        'negative momentum',
        'misspelt randomness key',
        'misspelt checkpoint-hook key',
        'checkpoints in an out_dir',
        'TensorBoard logging without tensorboard',
        'misspelt hook name',
        'misspelt loss name',
        'evaluator list without index',
        'KD loss weight -1',
        'KD temperature -4',
        'frozen student by student_trainable',
        'SAMKD teacher_trainable',
        'save_best of an accuracy not computed',
        'batch_size 0',
        'clip_grad max_norm 0',
        'InfiniteSampler under epochs',
        'seed -1',
        'validation part of no image',
        'all training images by indices',
        'misspelt backbone type',
        'misspelt backbone arch',
        'misspelt GAN loss',
        'discriminator_steps 2.5',
        'Mixup alpha written as 1',
        'RandomFlip direction misspelt',
        'top-0 accuracy',
        'top-20 accuracy of 10 classes',
        'val_interval 1.5',
        'misspelt optimizer type',
        'misspelt scheduler type',
        'train a _base_ file',
        'main-job config lengthened to 24 epochs',
        'cosine counted in iterations',
        'AmpOptimWrapper on a CPU',
        'iteration loop over an epoch config',
        'logger interval 0',
        'auto_scale_lr without its base batch',
        'a KD loss removed by None',
        'a SAMKD pair removed by None',
        'training sampler None',
        'epoch loop logging metrics by iteration',
        'iteration loop logging metrics by epoch',
        'compare under auto_scale_lr',
        'test.py on MS-MGANs ckpt',
        'test.py in the training dir',
        'work dir is a file',
        'compare --jobs 0',
        'compare: one optimizer over SAMKD',
        'compare --out-dir a file',
        'compare --metric not computed',
        'compare by a calibration error',
        'dist_train.sh on 0 processes',
        'second dist_train.sh on one machine',
        'missing teacher_ckpt',
        'a run folder as teacher_ckpt',
        'plain teacher for HSAKD',
        'missing dataset folder',
        'corrupt dataset file',
        'data_root of another dataset',
        'compare a config scored on val',
        'compare reuses a 2-process run',
        'compare: typo in its second config',
        'compare: MS-MGANs snapshots past a shortened teacher',
        'compare: one checkpoint kept under MS-MGANs',
        'compare: three checkpoints kept under MS-MGANs',
        'compare: teacher listed after its student',
        'compare: early stopping twice',
        'compare after a code fix',
        'two compare.py in one root',
        'killed compare.py',
        '--launcher pytorch without torchrun',
        'killed torchrun process group',
        'stopped rank',
    )

    def mistakes(self):
        special = {
            'child config with a typo key': self.child_typo,
            'child config with a syntax error': lambda: self.broken_child(
                'm111',
                f'_base_ = [{STUDENT!r}]\ntrain_cfg = dict(max_epochs=3\n',
                "m111.py, line 2: '(' was never closed",
            ),
            'child config of a misspelt _base_': lambda: self.broken_child(
                'm112',
                "_base_ = ['./vanilla/resnet8-quarter_fmnist.py']\n",
                "resnet8-quarter_fmnist.py' (as a _base_), which does not",
            ),
            'custom key of the student by its own name': self.custom_key,
            'KD load_from a run of another teacher': (
                self.load_from_another_teachers_run
            ),
            'SAMKD stage hook in an HSAKD config': self.stage_hook_elsewhere,
            'SAMKD child config adding a hook': self.stage_hook_replaced,
            'Mixup on a plain student': self.plain_mixup,
            'guard switched off by None': self.guard_removed,
            'iteration loop logging metrics by epoch': (
                self.iterations_logged_by_epoch
            ),
            'training pipeline in validation': self.augmented_validation,
            'test.py vanilla cfg + KD ckpt': lambda: self.test_fit(
                STUDENT, self.kd
            ),
            'test.py KD cfg + vanilla ckpt': lambda: self.test_fit(
                KD, self.student
            ),
            'test.py CHECKPOINT CONFIG (swapped)': lambda: self.refused(
                tool(
                    'test.py',
                    self.student,
                    STUDENT,
                    '--work-dir',
                    self.dir('t'),
                    options=[],
                ),
                'is a checkpoint where a config is expected',
            ),
            'test.py teacher cfg + student': lambda: self.test_fit(
                TEACHER, self.student
            ),
            "test.py of a checkpoint's checksum": lambda: self.refused(
                tool(
                    'test.py',
                    STUDENT,
                    self.student + '.sha256',
                    '--work-dir',
                    self.dir('m113'),
                    options=[],
                ),
                'is the checksum written beside the checkpoint',
            ),
            "export of a run's last_checkpoint": lambda: self.refused(
                tool(
                    'export_student.py',
                    osp.join(osp.dirname(self.kd), 'last_checkpoint'),
                    '--out',
                    self.dir('m114/student.pth'),
                    options=None,
                ),
                "names the run's latest checkpoint",
            ),
            'test.py with another std': lambda: self.refused(
                tool(
                    'test.py',
                    TEACHER,
                    self.teacher,
                    '--work-dir',
                    self.dir('t'),
                    options=['model.data_preprocessor.std=[1]'],
                )
            ),
            'export --out student.py': lambda: self.refused(
                tool(
                    'export_student.py',
                    self.kd,
                    '--out',
                    self.dir('kd/student.py'),
                    options=None,
                )
            ),
            'export --out the checkpoint': lambda: self.refused(
                tool(
                    'export_student.py',
                    self.kd,
                    '--out',
                    self.kd,
                    options=None,
                )
            ),
            'bit-flipped teacher_ckpt': self.flipped_teacher,
            'last_checkpoint empty': lambda: self.bad_last(' '),
            'last_checkpoint names a removed': lambda: self.bad_last(
                'epoch_9.pth'
            ),
            'path with spaces': self.spaced_path,
            'resume without the schedule state': (
                self.resume_without_schedule
            ),
            'test.py on MS-MGANs ckpt': self.msmgan_test,
            'test.py in the training dir': self.test_in_training_dir,
            'work dir is a file': self.work_dir_a_file,
            'compare --out-dir a file': (
                lambda: self.compare_refused_before_training(
                    '--out-dir',
                    osp.join(self.dir('teacher'), 'last_checkpoint'),
                )
            ),
            'compare: one optimizer over SAMKD': (
                self.compare_one_optimizer_over_samkd
            ),
            'compare --jobs 0': lambda: self.compare_refused_before_training(
                '--jobs', '0'
            ),
            'compare --metric not computed': (
                lambda: self.compare_refused_before_training(
                    '--metric', 'accuracy/top5'
                )
            ),
            'compare by a calibration error': self.compare_by_ece,
            'dist_train.sh on 0 processes': self.dist_train_zero,
            'second dist_train.sh on one machine': self.dist_train_beside,
            'corrupt dataset file': self.corrupt_dataset,
            'data_root of another dataset': self.other_dataset,
            'compare a config scored on val': self.compare_other_evaluation,
            'compare under auto_scale_lr': self.compare_scaled_lr,
            'compare reuses a 2-process run': self.compare_two_processes,
            'compare: typo in its second config': self.compare_late_typo,
            # every run shortened to 2 epochs
            'compare: MS-MGANs snapshots past a shortened teacher': (
                lambda: self.compare_snapshots_not_kept(
                    'c10', ['train_cfg.max_epochs=2'], 'epoch_4.pth'
                )
            ),
            # every run keeping one checkpoint, to save disk
            'compare: one checkpoint kept under MS-MGANs': (
                lambda: self.compare_snapshots_not_kept(
                    'c12',
                    [
                        'train_cfg.max_epochs=12',
                        'default_hooks.checkpoint.max_keep_ckpts=1',
                    ],
                    'max_keep_ckpts=1 keeps epoch_12.pth',
                )
            ),
            # three kept: the new-best saves at epochs 6 and 9 push out 4
            'compare: three checkpoints kept under MS-MGANs': (
                lambda: self.compare_snapshots_not_kept(
                    'c14',
                    [
                        'train_cfg.max_epochs=12',
                        'default_hooks.checkpoint.max_keep_ckpts=3',
                    ],
                    'may remove it (default_hooks.checkpoint.max_keep_ckpts=3',
                )
            ),
            'compare: teacher listed after its student': (
                self.compare_teacher_last
            ),
            'compare: early stopping twice': self.compare_early_stopped,
            'compare after a code fix': self.compare_after_code_fix,
            'two compare.py in one root': self.two_compares,
            'killed compare.py': self.killed_compare,
            'killed torchrun process group': self.killed_dist_train,
            'stopped rank': self.stopped_rank,
        }
        for name in self.ORDER:
            yield (
                name,
                special.get(name) or functools.partial(self.refuse, name),
            )

    # -- mistakes that need more than one command ---------------------------
    def child_typo(self):
        child = self.write_child(
            'child.py', f'_base_ = [{STUDENT!r}]\nval_intervall = 2\n'
        )
        return self.refused(
            tool('train.py', child, '--work-dir', self.dir('m6'))
        )

    def broken_child(self, name, text, about):
        """A child config of the student's whose own text is broken."""
        child = self.write_child(f'{name}.py', text)
        return self.refused(
            tool('train.py', child, '--work-dir', self.dir(name)), about
        )

    def custom_key(self):
        """A KD child config that freezes the student's backbone under
        the name ``student``; the distiller calls it ``architecture``."""
        return self.refused_child(
            'kd_frozen_backbone.py',
            f'_base_ = [{KD!r}]\noptim_wrapper = dict(paramwise_cfg='
            "dict(custom_keys={'student.backbone': dict(lr_mult=0)}))\n",
            'm83',
            f'model.teacher_ckpt={self.teacher}',
            about="custom_keys['student.backbone'] is in no parameter name",
        )

    def refused_child(self, file_name, text, work_dir, *options, about):
        """``text`` written as child config ``file_name`` and trained in
        ``work_dir``, which must be refused for ``about``."""
        child = self.write_child(file_name, text)
        return self.refused(self.train(child, work_dir, *options), about=about)

    def iterations_logged_by_epoch(self):
        """A child config of an iteration loop that keeps LoggerHook's
        default of recording validations by epoch (all at epoch 0)."""
        child = self.write_child(
            'student_iterations.py',
            f'_base_ = [{STUDENT!r}]\n'
            'train_cfg = dict(_delete_=True, type='
            "'IterBasedTrainLoop', max_iters=8, val_interval=4)\n"
            'train_dataloader = dict(sampler=dict('
            "type='InfiniteSampler', shuffle=True))\n"
            'param_scheduler = dict(_delete_=True, type='
            "'CosineAnnealingLR', by_epoch=False, T_max=8)\n",
        )
        result = tool(
            'train.py',
            child,
            '--work-dir',
            self.dir('m127'),
            '--cfg-options',
            *(o for o in TINY if not o.startswith('train_cfg.')),
            options=None,
        )
        return self.refused(result, about='log_metric_by_epoch is True')

    def stage_hook_elsewhere(self):
        """SAMKD's stage hook copied into an HSAKD child config."""
        return self.refused_child(
            'hsakd_with_stages.py',
            f'_base_ = [{HSAKD!r}]\ncustom_hooks = [dict('
            "type='mmrazor.AdversarialStageHook', stages=[dict(begin=0, "
            'weights=dict(feat0=0.1))])]\n',
            'm93',
            f'model.teacher_ckpt={self.ssa}',
            about='AdversarialStageHook in custom_hooks drives SAMKD',
        )

    def stage_hook_replaced(self):
        """An EMAHook added to a SAMKD child config by ``custom_hooks =
        [...]``, which replaces the base's list (and its stage hook)."""
        return self.refused_child(
            'samkd_with_ema.py',
            f"_base_ = [{SAMKD!r}]\ncustom_hooks = [dict(type='EMAHook')]\n",
            'm120',
            f'model.teacher_ckpt={self.ssa}',
            about='custom_hooks holds no AdversarialStageHook',
        )

    def load_from_another_teachers_run(self):
        """A KD run started (``load_from``) from a KD run distilled from
        another teacher (the snapshot of epoch 3)."""
        other = self.train(
            KD, 'm94-other', f'model.teacher_ckpt={self.snapshots[2]}'
        )
        assert other.returncode == 0, other.stderr[-2000:]
        return self.refused(
            self.train(
                KD,
                'm94',
                f'model.teacher_ckpt={self.teacher}',
                f'load_from={self.dir("m94-other")}/epoch_1.pth',
            ),
            about='holds a teacher other than the one model.teacher_ckpt',
        )

    def plain_mixup(self):
        """MMPretrain's own place for Mixup, on a classifier that reads
        it: a valid config, to be trained, not refused."""
        result = self.train(
            STUDENT,
            'm85',
            'model.train_cfg.augments.type=Mixup',
            'model.train_cfg.augments.alpha=1.0',
        )
        if result.returncode == 0:
            return 'ok', 'trained with Mixup'
        return 'unclear', 'a valid config refused: ' + one_line(result)[1]

    def guard_removed(self):
        """The non-finite guard switched off as MMEngine switches off its
        own default hooks: a valid config, trained without that hook."""
        work_dir = self.dir('m123')
        result = self.train(STUDENT, 'm123', 'default_hooks.nonfinite=None')
        if result.returncode != 0:
            return 'unclear', 'not trained: ' + one_line(result)[1]
        logs = glob.glob(osp.join(work_dir, '*', '*.log'))
        text = ''.join(open(p, encoding='utf-8').read() for p in logs)
        if not logs or 'NonFiniteGuardHook' in text:
            return 'WRONG', 'rc 0 with the guard still registered'
        return 'ok', 'trained without NonFiniteGuardHook'

    def augmented_validation(self):
        """The training pipeline copied into val_dataloader."""
        child = self.write_child(
            'augmented_validation.py',
            f'_base_ = [{STUDENT!r}]\nval_dataloader = dict('
            'dataset=dict(pipeline=_base_.train_pipeline))\n',
        )
        return self.refused(
            tool('train.py', child, '--work-dir', self.dir('m75')),
            about='pipeline holds RandomCrop',
        )

    def test_fit(self, config, checkpoint):
        result = tool(
            'test.py',
            config,
            checkpoint,
            '--work-dir',
            self.dir('t'),
            options=[],
        )
        if result.returncode == 0:  # a conversion it knows: must be right
            return 'converted', str(metrics(result))
        return self.refused(result)

    def flipped_teacher(self):
        damaged = self.dir('flipped/epoch_1.pth')
        os.makedirs(osp.dirname(damaged), exist_ok=True)
        shutil.copy(self.teacher, damaged)
        shutil.copy(self.teacher + '.sha256', damaged + '.sha256')
        with open(damaged, 'r+b') as f:
            f.seek(5000)
            byte = f.read(1)
            f.seek(5000)
            f.write(bytes([byte[0] ^ 1]))
        result = self.train(KD, 'm18', f'model.teacher_ckpt={damaged}')
        verdict, line = self.refused(result)
        if verdict == 'refused' and '--resume' in line:
            return 'unclear', 'advises --resume: ' + line
        return verdict, line

    def bad_last(self, named):
        work_dir = self.dir(f'last{len(named)}')
        shutil.copytree(self.dir('student'), work_dir)
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(named.strip() and osp.join(work_dir, named))
        return self.refused(
            self.train(STUDENT, osp.basename(work_dir), extra=['--resume'])
        )

    def resume_without_schedule(self):
        """A run saved under ``save_param_scheduler=False``, interrupted
        after epoch 1 of 2, then resumed."""
        options = [
            'train_cfg.max_epochs=2',
            'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=-1',
            'default_hooks.checkpoint.save_param_scheduler=False',
        ]
        first = self.train(STUDENT, 'm121', *options)
        if first.returncode != 0:
            return 'unclear', 'the run to interrupt failed: ' + one_line(
                first
            )[1]
        work_dir = self.dir('m121')
        for path in glob.glob(osp.join(work_dir, '*epoch_2.pth*')):
            os.remove(path)
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(work_dir, 'epoch_1.pth'))
        return self.refused(
            self.train(STUDENT, 'm121', *options, extra=['--resume']),
            about='lacks the learning-rate schedule',
        )

    def spaced_path(self):
        folder = self.dir('my runs')
        os.makedirs(folder, exist_ok=True)
        teacher = osp.join(folder, 'teacher.pth')
        shutil.copy(self.teacher, teacher)
        shutil.copy(self.teacher + '.sha256', teacher + '.sha256')
        result = self.train(KD, 'm22', f'model.teacher_ckpt={teacher}')
        if result.returncode != 0:
            return self.refused(result)
        log = open(next(iter(glob_logs(self.dir('m22'))))).read()
        return (
            ('ok', 'loaded the spaced path')
            if teacher in log
            else ('WRONG', 'another teacher loaded')
        )

    def work_dir_a_file(self):
        taken = self.dir('notes.txt')
        with open(taken, 'w') as f:
            f.write('not a run')
        return self.refused(
            tool('train.py', STUDENT, '--work-dir', taken, options=[]),
            'is a file, not a folder',
        )

    def compare_refused_before_training(self, *arguments):
        """compare.py with ``arguments``: refused, for its first argument,
        before any run trains."""
        root = self.dir('c6')
        return self.refused_before_training(
            tool('compare.py', TEACHER, '--work-dir-root', root, *arguments),
            arguments[0],
            root,
            TEACHER,
        )

    def compare_by_ece(self):
        """compare.py --metric transfer/ece (lower is better) over two
        validations: 'best' must be the lower one."""
        root = self.dir('c8')
        result = tool(
            'compare.py',
            STUDENT,
            '--work-dir-root',
            root,
            '--metric',
            'transfer/ece',
            options=['train_cfg.max_epochs=2', 'train_cfg.val_interval=1'],
        )
        if result.returncode != 0:
            return self.refused(result)
        run = osp.join(root, osp.splitext(osp.basename(STUDENT))[0])
        values = [
            json.loads(line)['transfer/ece']
            for path in glob.glob(f'{run}/*/vis_data/scalars.json')
            for line in open(path)
            if 'transfer/ece' in line
        ]
        with open(osp.join(root, 'compare', 'results.csv')) as f:
            header, row = list(csv.reader(f))[:2]
        best = float(row[[c.startswith('best') for c in header].index(True)])
        if len(values) != 2 or abs(best - min(values)) > 0.006:
            return 'WRONG', f'rc 0: best {best} of ECE values {values}'
        return 'ok', f'best {best}, the lower of {values}'

    def compare_one_optimizer_over_samkd(self):
        """compare.py --cfg-options of a one-optimizer config over SAMKD's
        entries: refused before the teachers train."""
        root = self.dir('c7')
        verdict = self.refused(
            tool(
                'compare.py',
                TEACHER,
                SSA,
                SAMKD,
                '--work-dir-root',
                root,
                options=['optim_wrapper.optimizer.lr=0.1'],
            ),
            'optim_wrapper.optimizer sits beside',
        )
        trained = sorted(
            name
            for name in (os.listdir(root) if osp.isdir(root) else ())
            if not name.startswith('.')  # compare.py's lock
        )
        if trained:
            return 'unclear', f'{verdict[1]} (after training {trained})'
        return verdict

    def dist_train_zero(self):
        result = subprocess.run(
            ['bash', osp.join(REPO, 'tools/dist_train.sh'), STUDENT, '0'],
            cwd=REPO,
            env=dict(os.environ, PYTHON=sys.executable),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return self.refused(result, 'processes per node')

    def dist_train_beside(self):
        """``dist_train.sh`` without PORT while a first run holds torchrun's
        usual port 29500 (held here as that run would): it must train."""
        work_dir = self.dir('m150')
        with socket.socket() as first_run:
            try:
                first_run.bind(('', 29500))
                first_run.listen()
            except OSError:
                pass  # held already
            result = dist_train_student(work_dir)
        if result.returncode != 0:
            return 'unclear', one_line(result)[1]
        if not osp.isfile(osp.join(work_dir, 'epoch_1.pth')):
            return 'WRONG', 'rc 0 without a checkpoint'
        return 'ok', 'trained on a port of its own'

    def test_in_training_dir(self):
        """tools/test.py in the teacher run's own work dir (its default):
        the run's files must stay as they were (Sweep.check compares)."""
        result = tool(
            'test.py',
            TEACHER,
            self.teacher,
            '--work-dir',
            self.dir('teacher'),
            options=[],
        )
        if result.returncode != 0:
            return self.refused(result)
        return 'ok', str(metrics(result))

    def msmgan_test(self):
        options = [
            f'model.teacher_snapshots={self.snapshots}'.replace(' ', ''),
            f'model.teacher_ckpt={self.snapshots[0]}',
            'train_cfg.max_epochs=4',
        ]
        result = self.train(MSMGAN, 'm26', *options)
        assert result.returncode == 0, result.stderr[-2000:]
        result = tool(
            'test.py',
            MSMGAN,
            self.dir('m26/epoch_4.pth'),
            '--work-dir',
            self.dir('t26'),
            options=[],
        )
        if result.returncode == 0:
            return 'ok', str(metrics(result))
        return self.refused(result)

    def corrupt_dataset(self):
        data = self.dir('fmnist')
        source = '/usr/share/datasets/fashion-mnist'
        shutil.copytree(source, data)
        name = 'train-labels-idx1-ubyte.gz'
        with open(osp.join(data, name), 'wb') as f:
            f.write(gzip.compress(b'\x00' * 100)[:40])
        return self.refused(
            self.train(
                STUDENT,
                'm30',
                f'train_dataloader.dataset.data_root={data}',
                f'val_dataloader.dataset.data_root={data}',
                f'test_dataloader.dataset.data_root={data}',
            )
        )

    def other_dataset(self):
        """A data_root holding another dataset in Fashion-MNIST's files (as
        MNIST digits come): here its training labels moved by one class,
        every file a valid idx file of the right shape."""
        data = self.dir('other-fmnist')
        source = '/usr/share/datasets/fashion-mnist'
        shutil.copytree(source, data)
        name = osp.join(data, 'train-labels-idx1-ubyte.gz')
        with gzip.open(name, 'rb') as f:
            raw = bytearray(f.read())
        raw[8:] = bytes((b + 1) % 10 for b in raw[8:])
        with gzip.open(name, 'wb') as f:
            f.write(bytes(raw))
        return self.refused(
            self.train(
                STUDENT,
                'm61',
                *(
                    f'{split}_dataloader.dataset.data_root={data}'
                    for split in ('train', 'val', 'test')
                ),
            ),
            'is not the Fashion-MNIST file',
        )

    def compare(self, root):
        return subprocess.Popen(
            [
                sys.executable,
                osp.join(REPO, 'tools/compare.py'),
                STUDENT,
                '--work-dir-root',
                root,
                '--cfg-options',
                *TINY,
                'train_dataloader.dataset.indices=4096',
                'train_cfg.max_epochs=100',
                'param_scheduler.T_max=100',  # a cosine over the whole run
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def compare_other_evaluation(self):
        """A copy of the student config scoring the validation split,
        compared with the shipped one, which scores the test split."""
        child = self.write_child(
            'student_on_val.py',
            f'_base_ = [{STUDENT!r}]\n'
            "val_dataloader = dict(dataset=dict(split='val'))\n",
        )
        return self.refused(
            tool(
                'compare.py',
                STUDENT,
                child,
                '--work-dir-root',
                self.dir('c0'),
            )
        )

    def compare_scaled_lr(self):
        """``auto_scale_lr`` doubles the rate (64 images a step, base 32):
        the table must not say the config's rate as the run's."""
        result = tool(
            'compare.py',
            STUDENT,
            '--work-dir-root',
            self.dir('c9'),
            options=[
                'auto_scale_lr.enable=True',
                'auto_scale_lr.base_batch_size=32',
            ],
        )
        if result.returncode != 0:
            return 'unclear', one_line(result)[1]
        row = next(
            (x for x in result.stdout.splitlines() if '| vanilla |' in x), ''
        )
        if 'lr ×2 by auto_scale_lr' not in row:
            return 'WRONG', 'rc 0, the rate unqualified: ' + row[60:170]
        return 'ok', 'the table names the doubled rate'

    def compare_teacher_last(self):
        """``compare.py KD TEACHER``: the teacher must train first, and
        the table hold both."""
        result = tool(
            'compare.py', KD, TEACHER, '--work-dir-root', self.dir('c13')
        )
        if result.returncode != 0:
            return 'unclear', one_line(result)[1]
        rows = [x for x in result.stdout.splitlines() if x.startswith('| ')]
        if not any('| kd |' in x for x in rows) or not any(
            '| teachers |' in x for x in rows
        ):
            return 'WRONG', 'rc 0 without both rows'
        return 'ok', 'the teacher trained first'

    def refused_before_training(self, result, about, root, first):
        """A compare.py refusal for ``about`` that must come before the
        first listed run, of config ``first``, trained in ``root``."""
        verdict = self.refused(result, about)
        trained = osp.join(root, osp.splitext(osp.basename(first))[0])
        if verdict[0] == 'refused' and osp.isdir(trained):
            return 'unclear', f'refused only after training {trained}'
        return verdict

    def compare_late_typo(self):
        """A misspelt loss type in the second config of a comparison: it
        must be refused before the first run trains."""
        child = self.write_child(
            'kd_typo.py',
            f'_base_ = [{KD!r}]\n'
            'model = dict(distiller=dict(distill_losses=dict(\n'
            "    loss_kd=dict(type='KLDivergance'))))\n",
        )
        root = self.dir('c5')
        return self.refused_before_training(
            tool('compare.py', TEACHER, child, '--work-dir-root', root),
            "'KLDivergance'",
            root,
            TEACHER,
        )

    def compare_snapshots_not_kept(self, folder, options, about):
        """MS-MGANs beside its snapshot teacher under ``options`` that
        leave its snapshots (epochs 4, 8, 12) unsaved or removed: that
        must be said before the teacher trains."""
        root = self.dir(folder)
        return self.refused_before_training(
            tool(
                'compare.py',
                SNAPSHOTS,
                MSMGAN,
                '--work-dir-root',
                root,
                options=options,
            ),
            about,
            root,
            SNAPSHOTS,
        )

    def compare_early_stopped(self):
        """A student child config with an EarlyStoppingHook, compared
        twice: the second call must not train the stopped run further."""
        child = self.write_child(
            'student_early_stop.py',
            f'_base_ = [{STUDENT!r}]\n'
            "custom_hooks = [dict(type='EarlyStoppingHook',\n"
            "    monitor='accuracy/top1', patience=1, min_delta=5.0)]\n",
        )
        root = self.dir('c11')

        def table():
            return tool(
                'compare.py',
                child,
                '--work-dir-root',
                root,
                options=['train_cfg.max_epochs=6', 'train_cfg.val_interval=1'],
            )

        first = table()
        if first.returncode != 0:
            return self.refused(first, 'EarlyStoppingHook')
        again = table()
        rows = [
            next(
                (x for x in r.stdout.splitlines() if '| student_early_' in x),
                '',
            )
            for r in (first, again)
        ]
        if again.returncode == 0 and rows[0] != rows[1]:
            return 'WRONG', 'rc 0, trained past its stop: ' + rows[1][100:190]
        return 'ok', 'the stopped run collected as it was'

    def compare_two_processes(self):
        """The student config trained by ``dist_train.sh`` on two processes
        (steps of 2 x 64 images) where compare.py looks for its run."""
        root = self.dir('c3')
        work_dir = osp.join(root, osp.splitext(osp.basename(STUDENT))[0])
        trained = dist_train_student(work_dir)
        assert trained.returncode == 0, trained.stderr[-2000:]
        return self.refused(
            tool('compare.py', STUDENT, '--work-dir-root', root)
        )

    def compare_after_code_fix(self):
        """compare.py run again after the mmsamkd code was changed (an
        upgrade, a fix of a loss): the runs it finished before were
        trained by the old code."""
        root = self.dir('c4')
        first = tool('compare.py', STUDENT, '--work-dir-root', root)
        assert first.returncode == 0, first.stderr[-2000:]
        fixed = self.dir('fixed-code')
        shutil.copytree(
            osp.join(REPO, 'mmsamkd'),
            osp.join(fixed, 'mmsamkd'),
            ignore=shutil.ignore_patterns('__pycache__'),
        )
        with open(osp.join(fixed, 'mmsamkd/datasets/transforms.py'), 'a') as f:
            f.write('\n# a fix\n')
        env = dict(os.environ, PYTHONPATH=fixed)
        return self.refused(
            tool('compare.py', STUDENT, '--work-dir-root', root, env=env)
        )

    def two_compares(self):
        first = self.compare(self.dir('c1'))
        time.sleep(15)
        second = self.compare(self.dir('c1'))
        _, stderr = second.communicate(timeout=120)
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
        second.stderr = stderr
        return self.refused(second, 'in use by another compare.py')

    def killed_compare(self):
        launcher = self.compare(self.dir('c2'))
        time.sleep(20)
        if not trainers_left():
            return 'unclear', 'no trainer had started in 20 s'
        launcher.send_signal(signal.SIGKILL)  # no cleanup at all
        launcher.communicate(timeout=60)
        time.sleep(5)
        left = trainers_left()
        return (
            ('ok', 'its trainer ended')
            if not left
            else (
                'WRONG',
                f'{len(left)} trainers still running',
            )
        )

    def dist_train(self, name, *options):
        env = dict(os.environ, PYTHON=sys.executable, PORT='29731')
        return subprocess.Popen(
            [
                'bash',
                osp.join(REPO, 'tools/dist_train.sh'),
                STUDENT,
                '2',
                '--work-dir',
                self.dir(name),
                '--cfg-options',
                *TINY,
                'train_dataloader.dataset.indices=4096',
                'train_cfg.max_epochs=100',
                'param_scheduler.T_max=100',  # a cosine over the whole run
                *options,
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def killed_dist_train(self):
        launcher = self.dist_train('m31')
        time.sleep(25)
        if len(trainers_left()) < 3:  # torchrun and its two ranks
            return 'unclear', 'the two ranks had not started in 25 s'
        os.killpg(launcher.pid, signal.SIGTERM)
        launcher.communicate(timeout=120)
        time.sleep(5)
        left = trainers_left()
        return (
            ('ok', 'both ranks ended')
            if not left
            else ('WRONG', f'{len(left)} ranks still training')
        )

    def stopped_rank(self):
        launcher = self.dist_train('m32', 'env_cfg.dist_cfg.timeout=20')
        time.sleep(25)
        ranks = trainers_left()
        os.kill(max(ranks), signal.SIGSTOP)
        _, stderr = launcher.communicate(timeout=300)
        lines = [x for x in stderr.splitlines() if x.startswith('error:')]
        if launcher.returncode != 0 and len(lines) == 1:
            if 'in a collective' not in lines[0]:
                return 'unclear', 'refused for another reason: ' + lines[0]
            return 'refused', lines[0][:110]
        return 'unclear', stderr[-110:]


def glob_logs(work_dir):
    return glob.glob(osp.join(work_dir, '2*', '2*.log'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', help='scratch root (default: a temp dir)')
    parser.add_argument('--only', nargs='+', help='mistakes to run')
    args = parser.parse_args()
    root = args.root or tempfile.mkdtemp(prefix='mistakes_')
    sweep = Sweep(root)
    print(f'scratch root {root}; preparing the finished runs', flush=True)
    sweep.prepare()
    for name, run in sweep.mistakes():
        if not args.only or name in args.only:
            sweep.check(name, run)
    rows = sweep.rows
    print(
        f'\n{len(rows)} mistakes: '
        f'{sum(v in ("refused", "ok", "converted") for _, v, _, _ in rows)} '
        'refused in one line or done right, '
        f'{sum(v == "WRONG" for _, v, _, _ in rows)} rc 0 with a wrong '
        f'result, {sum(v == "unclear" for _, v, _, _ in rows)} unclear, '
        f'{sum(len(lost) for _, _, lost, _ in rows)} files lost, '
        f'{sum(len(left) for _, _, _, left in rows)} processes left'
    )


if __name__ == '__main__':
    main()
