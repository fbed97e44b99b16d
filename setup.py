"""Install mmsamkd: ``pip install -e .[tests]`` into an OpenMMLab
environment, ``pip install -e .[tests,mmcv-lite]`` into a fresh one."""

from setuptools import find_packages, setup

# Ranges: a plugin joins an OpenMMLab environment that already exists.
# CI verifies both ends: requirements/verified.txt (the figures' stack) and
# requirements/oldest.txt. mmcv is not required here: a full mmcv (with its
# compiled ops) satisfies MMRazor, and installing mmcv-lite would overwrite
# it; a fresh environment takes the lite build with `.[mmcv-lite]`.
INSTALL_REQUIRES = [
    'torch>=2.1,<=2.14.1',
    'torchvision>=0.16,<=0.29.1',
    'mmengine>=0.10.7,<0.11',
    'mmpretrain>=1.2.0,<1.3',
    'mmrazor==1.0.0',  # its last release; compat.py patches its internals
    'setuptools<82',  # >=82 drops pkg_resources, used by mmengine pkg:: paths
    'joblib',  # imported by mmrazor without being declared
    'matplotlib',  # tools/compare.py curves
]


def read_version():
    scope = {}
    with open('mmsamkd/version.py', encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmsamkd',
    version=read_version(),
    description=(
        'Self-supervised and adversarial knowledge distillation '
        '(SAMKD and baselines) for MMRazor / MMPretrain'
    ),
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmsamkd', 'mmsamkd.*']),
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require={
        'tests': ['pytest', 'pytest-xdist', 'ruff', 'codespell'],
        # mmrazor 1.0.0 refuses mmcv >= 2.1.1
        'mmcv-lite': ['mmcv-lite>=2.0.0,<2.1.1'],
    },
    license='Apache License 2.0',
)
