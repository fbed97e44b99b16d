"""Write OpenMMLab's model index: ``configs/<method>/metafile.yml`` for
every method folder and ``model-index.yml`` at the root.

    python tools/model_index.py          # (re)write the files
    python tools/model_index.py --check  # exit 1 if they are stale

Every config of a method folder is listed with its training data; the
configs the Fashion-MNIST benchmark runs carry their measured result, the
test-split mean over seeds from ``benchmarks/results/fmnist_methods.csv``.
Nothing here imports torch, so ``--check`` is instant.
"""

import argparse
import glob
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'benchmarks'))
from results_table import METHODS_CSV, mean_std, read_rows, summarize  # noqa: E402

# folder -> (collection name, paper title, paper URL or None)
COLLECTIONS = {
    'kd': (
        'KD',
        'Distilling the Knowledge in a Neural Network',
        'https://arxiv.org/abs/1503.02531',
    ),
    'hsakd': (
        'HSAKD',
        'Hierarchical Self-supervised Augmented Knowledge Distillation',
        'https://www.ijcai.org/proceedings/2021/0168.pdf',
    ),
    'sskd': (
        'SSKD',
        'Knowledge Distillation Meets Self-Supervision',
        'https://arxiv.org/abs/2006.07114',
    ),
    'samkd': (
        'SAMKD',
        'Multi-scale Knowledge Distillation with Self-supervised '
        'Adversarial Learning',
        None,
    ),
    'msmgan': (
        'MS-MGANs',
        'Mutual learning knowledge distillation with multi-stage teachers '
        'and generative adversarial networks',
        None,
    ),
    'lightskd': (
        'LightSKD',
        'Lightweight Self-Knowledge Distillation with Multi-source '
        'Information Fusion',
        'https://arxiv.org/abs/2305.09183',
    ),
    'cskd': (
        'CSKD',
        'Improving Knowledge Distillation via Category Structure',
        None,
    ),
    'icakd': (
        'ICAKD',
        'Incremental class-activation knowledge distillation',
        None,
    ),
}
DATASETS = {
    'fmnist': 'Fashion-MNIST',
    'cifar10': 'CIFAR-10',
    'cifar100': 'CIFAR-100',
    'tinyimagenet': 'Tiny-ImageNet',
}
# the benchmark's pair: its configs carry the CSV's result
BENCHMARK_PAIRS = ('resnet14_resnet8-quarter', 'resnet8-quarter')


def benchmark_results():
    """``{method: (mean, std, seeds)}`` of the test split."""
    table = summarize(read_rows(METHODS_CSV), 'test')
    return {
        method: (*mean_std(seeds.values()), len(seeds))
        for method, seeds in table.items()
    }


def model_entry(folder, path, collection, results):
    name = osp.basename(path)[: -len('.py')]
    method, _, rest = name.partition('_')
    pair, _, data = rest.rpartition('_1xb')
    dataset = DATASETS[data.split('_')[-1]]
    lines = [
        f'  - Name: {name}',
        f'    In Collection: {collection}',
        f'    Config: configs/{folder}/{name}.py',
        '    Metadata:',
        f'      Training Data: {dataset}',
    ]
    if dataset == 'Fashion-MNIST' and pair in BENCHMARK_PAIRS:
        if method in results:
            mean, std, seeds = results[method]
            lines += [
                '    Results:',
                '      - Task: Image Classification',
                f'        Dataset: {dataset}',
                '        Metrics:',
                f'          Top 1 Accuracy: {mean:.2f}',
                f'          Top 1 Accuracy std over {seeds} seeds: {std:.2f}',
            ]
    return lines


def metafile(folder, results):
    collection, title, url = COLLECTIONS[folder]
    lines = [
        '# Written by tools/model_index.py: edit that, not this.',
        'Collections:',
        f'  - Name: {collection}',
        '    Paper:',
        f'      Title: {title}',
    ]
    if url:
        lines.append(f'      URL: {url}')
    lines += [f'    README: configs/{folder}/README.md', 'Models:']
    for path in sorted(glob.glob(osp.join(REPO, 'configs', folder, '*.py'))):
        lines += model_entry(folder, path, collection, results)
    return '\n'.join(lines) + '\n'


def index_files():
    """``{path: text}`` of every file this script writes."""
    results = benchmark_results()
    files = {
        osp.join(REPO, 'configs', folder, 'metafile.yml'): metafile(
            folder, results
        )
        for folder in COLLECTIONS
    }
    files[osp.join(REPO, 'model-index.yml')] = (
        '# Written by tools/model_index.py: edit that, not this.\n'
        'Import:\n'
        + ''.join(
            f'  - configs/{folder}/metafile.yml\n' for folder in COLLECTIONS
        )
    )
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--check', action='store_true', help='exit 1 if a file is stale'
    )
    args = parser.parse_args()
    stale = []
    for path, text in index_files().items():
        current = open(path).read() if osp.isfile(path) else None
        if current == text:
            continue
        stale.append(osp.relpath(path, REPO))
        if not args.check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    if args.check and stale:
        print(
            f'stale: {", ".join(stale)}; run python tools/model_index.py',
            file=sys.stderr,
        )
        sys.exit(1)
    print('\n'.join(f'wrote {p}' for p in stale) or 'up to date')


if __name__ == '__main__':
    main()
