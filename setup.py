"""Install mmsamkd: ``pip install -e .[tests]``."""

from setuptools import find_packages, setup

# Exact pins: this stack (MMRazor 1.0.0 on a 2026 torch) is verified only
# together; see mmsamkd/compat.py for the breakages the pins still need.
INSTALL_REQUIRES = [
    'torch==2.14.1',
    'torchvision==0.29.1',
    'mmengine==0.10.7',
    'mmcv-lite==2.1.0',  # mmrazor 1.0.0 refuses mmcv>=2.1.1
    'mmpretrain==1.2.0',
    'mmrazor==1.0.0',
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
    extras_require={'tests': ['pytest', 'ruff']},
    license='Apache License 2.0',
)
