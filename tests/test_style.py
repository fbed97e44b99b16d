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


def test_codespell():
    """Spelling, with the settings in pyproject.toml (also a pre-commit
    hook)."""
    result = subprocess.run(
        [osp.join(osp.dirname(sys.executable), 'codespell')],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_nothing_refers_to_files_outside_the_repository():
    """A user's clone has only the repository: the design lives in docs/."""
    tracked = subprocess.run(
        ['git', 'ls-files'], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    outside = []
    for name in tracked:
        if name == 'tests/test_style.py' or not name.endswith(
            ('.py', '.md', '.sh', '.txt', '.toml', '.cfg', 'run')
        ):
            continue
        with open(osp.join(REPO, name), encoding='utf-8') as f:
            text = f.read()
        if 'shared/DESIGN' in text or '../shared' in text:
            outside.append(name)
    assert not outside
