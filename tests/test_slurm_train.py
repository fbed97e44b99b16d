"""tools/slurm_train.sh, with srun and scontrol faked on PATH."""

import os
import os.path as osp
import socket
import stat
import subprocess
import sys

import pytest

from conftest import REPO, STUDENT_CFG, options_args, port_held

SCRIPT = osp.join(REPO, 'tools', 'slurm_train.sh')

# Records its arguments; unless RECORD_ONLY, starts --ntasks copies of the
# command with the variables Slurm gives each task.
FAKE_SRUN = r"""#!/usr/bin/env bash
printf '%s\n' "$@" > "$SRUN_LOG"
[ -n "${RECORD_ONLY:-}" ] && exit 0
ntasks=1
while [ "$#" -gt 0 ]; do
    case "$1" in
        --ntasks=*) ntasks=${1#--ntasks=} ;;
        -p) shift ;;
        -*) ;;
        *) break ;;
    esac
    shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do
    SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_NTASKS=$ntasks \
        SLURM_NODELIST=fake-node "$@" &
    pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
exit $rc
"""
FAKE_SCONTROL = '#!/usr/bin/env bash\necho 127.0.0.1\n'


def fake_slurm(tmp_path, **env):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    full = dict(os.environ)
    full.pop('MASTER_ADDR', None)
    full.update(
        PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
        SRUN_LOG=str(tmp_path / 'srun_args'),
        PYTHON=sys.executable,
        **env,
    )
    return full


def slurm_train(args, env):
    return subprocess.run(
        ['bash', SCRIPT, *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_arguments_reach_srun_and_train_py(tmp_path):
    env = fake_slurm(
        tmp_path,
        RECORD_ONLY='1',
        GPUS='4',
        GPUS_PER_NODE='2',
        CPUS_PER_TASK='3',
        SRUN_ARGS='--time=5 --qos=low',
    )
    result = slurm_train(
        ['gpu', 'kd-run', 'some.py', tmp_path / 'w', '--amp', '--resume'], env
    )
    assert result.returncode == 0, result.stderr
    args = (tmp_path / 'srun_args').read_text().splitlines()
    command = args.index(sys.executable)
    assert args[:command] == [
        '-p',
        'gpu',
        '--job-name=kd-run',
        '--gres=gpu:2',
        '--ntasks=4',
        '--ntasks-per-node=2',
        '--cpus-per-task=3',
        '--kill-on-bad-exit=1',
        '--time=5',
        '--qos=low',
    ]
    assert args[command + 1 :] == [
        '-u',
        osp.join(REPO, 'tools', 'train.py'),
        'some.py',
        f'--work-dir={tmp_path / "w"}',
        '--launcher=slurm',
        '--amp',
        '--resume',
    ]


def test_defaults_follow_the_openmmlab_convention(tmp_path):
    env = fake_slurm(tmp_path, RECORD_ONLY='1')
    assert slurm_train(['p', 'j', 'c.py', 'w'], env).returncode == 0
    args = (tmp_path / 'srun_args').read_text().splitlines()
    assert '--gres=gpu:8' in args and '--ntasks=8' in args
    assert '--cpus-per-task=5' in args


def test_missing_arguments_print_usage(tmp_path):
    result = slurm_train(['p', 'j', 'c.py'], fake_slurm(tmp_path))
    assert result.returncode == 2 and 'usage:' in result.stderr


def test_each_slurm_job_step_gets_its_own_port():
    """MMEngine gives every Slurm job port 29500: a second job on a node
    found it taken (or its tasks reached the first job's store)."""
    from mmsamkd.utils.distributed import slurm_job_port

    def port(**environ):
        slurm_job_port(environ)
        return environ.get('MASTER_PORT')

    assert port(SLURM_JOB_ID='4711') == '27110'
    assert port(SLURM_JOB_ID='4711', SLURM_STEP_ID='3') == '27113'
    assert port(SLURM_JOB_ID='4712') == '27120'
    assert port(SLURM_JOB_ID='123999', SLURM_STEP_ID='12') == '29992'
    # a step id that is not a number counts as step 0
    assert port(SLURM_JOB_ID='4711', SLURM_STEP_ID='batch') == '27110'
    # the user's port stands; outside a job there is nothing to go by
    assert port(SLURM_JOB_ID='4711', MASTER_PORT='31000') == '31000'
    assert port() is None
    assert port(SLURM_JOB_ID='') is None


def job_of_a_free_port():
    """A Slurm job id whose port (step 0) is free here now."""
    for job in range(1000):
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', 20000 + job * 10))
            except OSError:
                continue
        return job
    raise RuntimeError('no port of 20000-29990 is free')


@pytest.mark.slow
def test_two_cpu_tasks_train_over_gloo(tmp_path):
    # the port from the job id, as the tasks of a real job find it
    env = fake_slurm(
        tmp_path,
        GPUS='2',
        GPUS_PER_NODE='0',
        SLURM_JOB_ID=str(job_of_a_free_port()),
    )
    env.pop('MASTER_PORT', None)
    work_dir = tmp_path / 'w'
    with port_held(29500):  # MMEngine's port, as another job holds it
        result = slurm_train(
            ['cpu', 'student', STUDENT_CFG, work_dir, *options_args({})],
            env,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert '--ntasks-per-node=2' in (tmp_path / 'srun_args').read_text()
    log = next(work_dir.glob('2*/2*.log')).read_text()
    assert 'Distributed training: True' in log
    # 256 images over 2 ranks of batch 64: 2 iterations per rank and epoch
    assert 'Epoch(train) [1][2/2]' in log
    assert (work_dir / 'epoch_1.pth').is_file()
