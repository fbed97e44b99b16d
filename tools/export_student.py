"""Strip a distillation checkpoint down to a plain MMPretrain classifier.

    python tools/export_student.py WORK_DIR/epoch_N.pth [--out student.pth]
        [--force]

Writes ``student.pth`` (only the student's weights: no teacher, connector,
discriminator, auxiliary branch or other training-only module, no optimizer
state) and
``student.py``, a plain MMPretrain config for it rebuilt from the config
stored in the checkpoint, so that

    python tools/test.py student.py student.pth

evaluates the student alone with the accuracy it had inside the algorithm.
"""

import argparse
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='checkpoint of a distillation run')
    parser.add_argument(
        '--out',
        help='output checkpoint (default: <checkpoint>_student.pth); the '
        'config is written beside it with the .py suffix',
    )
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace an earlier export at --out (never the checkpoint '
        'exported from)',
    )
    return parser.parse_args()


def main():
    args = parse_args()
    from mmsamkd.errors import MmsamkdError
    from mmsamkd.student_export import export

    try:
        out, cfg_out = export(args.checkpoint, args.out, args.force)
    except MmsamkdError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
    print(f'student weights: {out}')
    if cfg_out:
        print(f'student config:  {cfg_out}')
        print(f'evaluate with:   python tools/test.py {cfg_out} {out}')
    else:
        print(
            'the stored config names the student by cfg_path; load the '
            'weights with that config'
        )


if __name__ == '__main__':
    main()
