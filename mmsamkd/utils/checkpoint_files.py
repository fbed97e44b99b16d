"""Checkpoint files that can be trusted, copied and moved.

MMEngine writes a checkpoint in place and trusts whatever it reads back:
a bit-flipped file resumes with rc 0 and ruined weights, a truncated one
gives a raw torch traceback, and a run killed while saving can leave a
half-written file. It also stores absolute paths (``last_checkpoint``,
the best checkpoint) that point into the old work dir after a copy or a
move. ``mmsamkd.compat`` (patch 5) routes MMEngine through these helpers:

- :func:`save_verified` writes ``<file>.part``, renames it over ``<file>``
  only when complete, and writes ``<file>.sha256`` beside it (the format
  ``sha256sum -c`` reads);
- :func:`verify` checks that checksum before a load, and
  :func:`unreadable` turns a failed load into one line that names the
  last intact checkpoint to resume from;
- :func:`rebase` maps a stored path into the current work dir.
"""

import glob
import hashlib
import io
import os
import os.path as osp
import re

from ..errors import CheckpointError

SUFFIX = '.sha256'
_NUMBERED = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(data, path):
    part = path + '.part'
    with open(part, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, path)


def save_verified(checkpoint, filename):
    """``torch.save`` to ``filename``, atomically, with its checksum."""
    import torch

    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    data = buffer.getvalue()
    os.makedirs(osp.dirname(osp.abspath(filename)), exist_ok=True)
    _write_atomically(data, filename)
    line = f'{hashlib.sha256(data).hexdigest()}  {osp.basename(filename)}\n'
    _write_atomically(line.encode(), filename + SUFFIX)
    # MMEngine deletes old checkpoints itself; drop their checksums too
    for old in glob.glob(osp.join(osp.dirname(filename), '*.pth' + SUFFIX)):
        if not osp.exists(old[: -len(SUFFIX)]):
            os.remove(old)


def stored_checksum(filename):
    """The checksum saved beside ``filename``, or None if there is none."""
    try:
        with open(filename + SUFFIX, encoding='utf-8') as f:
            return f.read().split()[0]
    except (OSError, IndexError):
        return None


def is_intact(filename):
    expected = stored_checksum(filename)
    return expected is not None and sha256_of(filename) == expected


def last_intact(directory, exclude=None):
    """The newest ``epoch_N.pth`` / ``iter_N.pth`` whose checksum holds."""
    numbered = []
    for name in os.listdir(directory) if osp.isdir(directory) else []:
        match = _NUMBERED.match(name)
        path = osp.join(directory, name)
        if match and osp.abspath(path) != osp.abspath(exclude or ''):
            numbered.append((int(match.group(2)), path))
    for _, path in sorted(numbered, reverse=True):
        if is_intact(path):
            return path
    return None


def _fix(filename):
    intact = last_intact(osp.dirname(osp.abspath(filename)), filename)
    if intact:
        return f'The last intact checkpoint is {intact}: --resume {intact}'
    return 'No intact checkpoint is left beside it: start the run again'


def verify(filename):
    """Raise :class:`CheckpointError` if ``filename`` fails its checksum."""
    expected = stored_checksum(filename)
    if expected is not None and sha256_of(filename) != expected:
        raise CheckpointError(
            f'checkpoint {filename} does not match its checksum '
            f'({filename}{SUFFIX}): it was changed or damaged after saving. '
            f'{_fix(filename)}.'
        )


def unreadable(filename, error):
    """The one-line :class:`CheckpointError` for a file torch cannot read."""
    reason = str(error).splitlines()[0] if str(error) else ''
    return CheckpointError(
        f'checkpoint {filename} cannot be read ({type(error).__name__}: '
        f'{reason}); it is truncated or not a checkpoint. {_fix(filename)}.'
    )


def rebase(path, work_dir):
    """``path`` in ``work_dir`` if it names a file of another directory.

    A copied or moved work dir keeps the old absolute paths MMEngine
    stored; the same file name in the current work dir is meant.
    """
    if not path or osp.dirname(osp.abspath(path)) == osp.abspath(work_dir):
        return path
    return osp.join(work_dir, osp.basename(path))


def missing_latest(work_dir, named):
    """The one-line :class:`CheckpointError` for a ``last_checkpoint`` that
    names no file (empty, or a checkpoint removed since)."""
    intact = last_intact(work_dir)
    fix = (
        f'the last intact checkpoint is {intact}: --resume {intact}'
        if intact
        else 'no intact checkpoint is left: start the run again'
    )
    return CheckpointError(
        f'{osp.join(work_dir, "last_checkpoint")} names {named!r}, which '
        f'is not a file; {fix}.'
    )
