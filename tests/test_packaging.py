"""What setup.py asks of an environment a user already has."""

import ast
import json
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

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
        "warnings.warn('Detected call of `scheduler.step()` before "
        "`optimizer.step()`. In PyTorch 1.1.0 and later')\n"
    )
    result = subprocess.run(
        [sys.executable, '-W', 'default', '-c', code],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert 'MultiScaleDeformableAttention' not in result.stderr
    assert 'UserWarning: pkg_resources' not in result.stderr
    assert 'scheduler.step()' not in result.stderr
    # only the listed category and message: others still show
    assert 'UserWarning: a new warning' in result.stderr
    assert 'DeprecationWarning: pkg_resources' in result.stderr


def stand_in_wheel(folder, name, version):
    """An empty wheel named ``name`` at ``version``: an installed
    distribution as pip sees it, built in a second."""
    import zipfile

    dist = f'{name.replace("-", "_")}-{version}'
    info = f'{dist}.dist-info'
    files = {
        f'{info}/METADATA': (
            f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n'
        ),
        f'{info}/WHEEL': (
            'Wheel-Version: 1.0\nGenerator: mmsamkd-tests\n'
            'Root-Is-Purelib: true\nTag: py3-none-any\n'
        ),
    }
    record = ''.join(f'{path},,\n' for path in files) + f'{info}/RECORD,,\n'
    files[f'{info}/RECORD'] = record
    path = osp.join(folder, f'{dist}-py3-none-any.whl')
    with zipfile.ZipFile(path, 'w') as wheel:
        for member, text in files.items():
            wheel.writestr(member, text)
    return path


def test_pip_keeps_an_installed_full_mmcv(tmp_path):
    """``pip install`` of mmsamkd into an environment holding a full mmcv
    (a stand-in wheel named ``mmcv``, as mim installs it) plans no
    mmcv-lite; ``.[mmcv-lite]`` does, for a fresh environment. Offline:
    mmsamkd's real wheel (setup.py's metadata), stand-ins for the rest."""
    import importlib.util

    import setuptools
    from packaging.requirements import Requirement
    from packaging.version import Version

    if not importlib.util.find_spec('wheel') and Version(
        setuptools.__version__
    ) < Version('70.1'):
        pytest.skip('setuptools < 70.1 builds wheels only with `wheel`')
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    wheels = tmp_path / 'wheels'
    source = tmp_path / 'source'  # setuptools builds inside the tree
    shutil.copytree(
        osp.join(REPO, 'mmsamkd'),
        source / 'mmsamkd',
        ignore=shutil.ignore_patterns('__pycache__'),
    )
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(REPO, name), source)
    built = subprocess.run(
        pip
        + ['wheel', '-q', '--no-deps', '--no-build-isolation', '-w']
        + [str(wheels), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    pins = {}
    for line in open(osp.join(REPO, 'requirements', 'verified.txt')):
        line = line.split('#')[0].strip()
        if '==' in line:
            pin = Requirement(line)
            pins[pin.name] = str(pin.specifier).lstrip('=')
    for requirement in setup_requirements():
        name = Requirement(requirement).name
        stand_in_wheel(wheels, name, pins.get(name, '1.0'))
    stand_in_wheel(wheels, 'mmcv-lite', pins['mmcv-lite'])
    full_mmcv = stand_in_wheel(tmp_path, 'mmcv', '2.1.0')

    env = tmp_path / 'env'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', env])
    python = str(env / 'bin' / 'python')
    into_env = pip + ['--python', python, 'install', '-q', '--no-index']
    subprocess.run(into_env + [full_mmcv], check=True, capture_output=True)

    def planned(target):
        report = tmp_path / 'report.json'
        result = subprocess.run(
            into_env
            + ['--find-links', str(wheels), '--dry-run', '--report']
            + [str(report), target],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        with open(report) as f:
            plan = json.load(f)['install']
        return {item['metadata']['name'] for item in plan}

    plain = planned('mmsamkd')
    assert 'mmsamkd' in plain and 'torch' in plain
    assert not {'mmcv-lite', 'mmcv'} & plain
    assert 'mmcv-lite' in planned('mmsamkd[mmcv-lite]')
