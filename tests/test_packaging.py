"""What setup.py asks of an environment a user already has."""

import ast
import os.path as osp
import re
import subprocess
import sys

from conftest import REPO


def setup_requirements():
    tree = ast.parse(open(osp.join(REPO, 'setup.py')).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == (
            'INSTALL_REQUIRES'
        ):
            return ast.literal_eval(node.value)
    raise AssertionError('setup.py lost INSTALL_REQUIRES')


def test_a_full_mmcv_is_never_replaced():
    """mmcv-lite installs the same ``mmcv`` package: required, it would
    overwrite a full mmcv and its compiled ops."""
    names = [re.split('[<>=!~; ]', r)[0] for r in setup_requirements()]
    assert not [n for n in names if n.startswith('mmcv')]


def test_the_verified_stack_is_inside_the_ranges():
    """tools/setup_env.sh installs requirements/verified.txt as
    constraints: every pin must satisfy setup.py's range."""
    from packaging.requirements import Requirement

    ranges = {
        Requirement(r).name: Requirement(r).specifier
        for r in setup_requirements()
    }
    for name in ('verified.txt', 'oldest.txt'):
        path = osp.join(REPO, 'requirements', name)
        for line in open(path):
            line = line.split('#')[0].strip()
            if '==' not in line:
                continue
            pin = Requirement(line)
            if pin.name in ranges:
                version = str(pin.specifier).lstrip('=')
                assert ranges[pin.name].contains(version), (name, line)


def test_a_missing_mmcv_is_one_clear_error():
    result = subprocess.run(
        [
            sys.executable,
            '-c',
            "import sys; sys.modules['mmcv'] = None; import mmsamkd",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: mmsamkd needs mmcv')
    assert "pip install 'mmcv-lite>=2.0.0,<2.1.1'" in last


def test_known_third_party_warnings_are_silenced_and_no_other():
    code = (
        'import warnings, mmsamkd\n'
        "warnings.warn('a new warning')\n"
        "warnings.warn('pkg_resources is deprecated as an API', "
        'DeprecationWarning)\n'
    )
    result = subprocess.run(
        [sys.executable, '-W', 'default', '-c', code],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert 'MultiScaleDeformableAttention' not in result.stderr
    assert 'UserWarning: pkg_resources' not in result.stderr
    # only the listed category and message: others still show
    assert 'UserWarning: a new warning' in result.stderr
    assert 'DeprecationWarning: pkg_resources' in result.stderr
