"""``--help`` of every tool: answered before torch, MMEngine or mmsamkd
load (seconds of imports), and every option explained."""

import subprocess
import sys

import pytest

from conftest import REPO

TOOLS = ('train.py', 'test.py', 'compare.py', 'export_student.py')

SHOW_HELP = """
import runpy, sys
sys.argv = [{path!r}, '--help']
try:
    runpy.run_path({path!r}, run_name='__main__')
except SystemExit:
    pass
print('LOADED', sorted(m for m in ('torch', 'mmengine', 'mmsamkd')
                        if m in sys.modules))
"""


def show_help(script):
    path = f'{REPO}/tools/{script}'
    result = subprocess.run(
        [sys.executable, '-c', SHOW_HELP.format(path=path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize('script', TOOLS)
def test_help_loads_nothing_heavy(script):
    out = show_help(script)
    assert 'usage:' in out
    assert out.splitlines()[-1] == 'LOADED []'


@pytest.mark.parametrize('script', TOOLS)
def test_every_option_is_explained(script):
    lines = show_help(script).splitlines()[:-1] + ['']
    start = next(i for i, line in enumerate(lines) if line.endswith(':'))
    options = [
        (i, line)
        for i, line in enumerate(lines[start:], start)
        if line.startswith('  -') or line.startswith('  ') and line[2] != ' '
    ]
    for i, line in options:
        text_beside = '  ' in line.strip()
        text_below = lines[i + 1].startswith(' ' * 6)
        assert text_beside or text_below, f'{script}: {line.strip()!r}'
