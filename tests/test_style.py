"""The tree stays lint-clean and formatted (ruff, settings in pyproject)."""

import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RUFF = osp.join(osp.dirname(sys.executable), 'ruff')


def ruff(*args):
    return subprocess.run(
        [RUFF, *args, REPO], cwd=REPO, capture_output=True, text=True
    )


def test_ruff_lint():
    result = ruff('check')
    assert result.returncode == 0, result.stdout


def test_ruff_format():
    result = ruff('format', '--check')
    assert result.returncode == 0, result.stdout
