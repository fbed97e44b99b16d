"""Checkpoint files that can be trusted, copied and moved.

MMEngine writes a checkpoint in place and trusts whatever it reads back:
a bit-flipped file resumes with rc 0 and ruined weights, a truncated one
gives a raw torch traceback, and a run killed while saving can leave a
half-written file. It also stores absolute paths (``last_checkpoint``,
the best checkpoint) that point into the old work dir after a copy or a
move. ``mmsamkd.compat`` (patch 5) routes MMEngine through these helpers:

- :func:`save_verified` writes ``<file>.part``, renames it over ``<file>``
  only when complete, and writes ``<file>.sha256`` beside it (the format
  ``sha256sum -c`` reads); a failed write (a full disk) removes the part
  and stops with one line; :class:`AtomicTextFile` does the same for
  ``last_checkpoint``;
- :func:`newer_best` finds the best checkpoint a resumed run would
  otherwise forget;
- :func:`verify` checks that checksum before a load, and
  :func:`unreadable` turns a failed load into one line that names the
  last intact checkpoint to resume from;
- :func:`rebase` maps a stored path into the current work dir.
"""

import contextlib
import glob
import hashlib
import io
import os
import os.path as osp
import re
from typing import Any, List, Optional, Tuple

from ..errors import CheckpointError

SUFFIX = '.sha256'
_NUMBERED = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
_BEST = re.compile(r'^best_.+_(epoch|iter)_(\d+)\.pth$')


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(data, path):
    part = path + '.part'
    try:
        with open(part, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, path)
    except OSError as error:  # a full disk, a quota, a permission
        with contextlib.suppress(OSError):
            os.remove(part)
        raise CheckpointError(
            f'could not write {path} ({error.strerror or error}); the file '
            'there before is unchanged. Free space or fix the directory, '
            f'then resume. {_fix(path, exclude=False)}.'
        ) from error


class AtomicTextFile(io.StringIO):
    """A text file opened for writing that replaces ``path`` whole on a
    clean close, and never leaves it empty or half-written."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def __exit__(self, kind, value, traceback):
        if kind is None:
            _write_atomically(self.getvalue().encode(), self.path)
        return super().__exit__(kind, value, traceback)


def save_verified(checkpoint: dict, filename: str) -> None:
    """``torch.save`` to ``filename``, atomically, with its checksum."""
    import torch

    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    data = buffer.getvalue()
    os.makedirs(osp.dirname(osp.abspath(filename)), exist_ok=True)
    _write_atomically(data, filename)
    line = f'{hashlib.sha256(data).hexdigest()}  {osp.basename(filename)}\n'
    try:
        _write_atomically(line.encode(), filename + SUFFIX)
    except CheckpointError:
        # the old checksum would call the new file damaged: better none
        with contextlib.suppress(OSError):
            os.remove(filename + SUFFIX)
        raise
    # MMEngine deletes old checkpoints itself; drop their checksums too
    for old in glob.glob(osp.join(osp.dirname(filename), '*.pth' + SUFFIX)):
        if not osp.exists(old[: -len(SUFFIX)]):
            os.remove(old)


def stored_checksum(filename: str) -> Optional[str]:
    """The checksum saved beside ``filename``, or None if there is none."""
    try:
        with open(filename + SUFFIX, encoding='utf-8') as f:
            return f.read().split()[0]
    except (OSError, IndexError):
        return None


def is_intact(filename: str) -> bool:
    expected = stored_checksum(filename)
    return expected is not None and sha256_of(filename) == expected


def last_intact(
    directory: str, exclude: Optional[str] = None
) -> Optional[str]:
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


def _fix(filename, exclude=True):
    """Where to resume from, ``filename`` itself left out if ``exclude``
    (it is the damaged one)."""
    intact = last_intact(
        osp.dirname(osp.abspath(filename)), filename if exclude else None
    )
    if intact:
        return f'The last intact checkpoint is {intact}: --resume {intact}'
    return 'No intact checkpoint is left beside it: start the run again'


def verify(filename: str) -> None:
    """Raise :class:`CheckpointError` if ``filename`` fails its checksum."""
    expected = stored_checksum(filename)
    if expected is not None and sha256_of(filename) != expected:
        raise CheckpointError(
            f'checkpoint {filename} does not match its checksum '
            f'({filename}{SUFFIX}): it was changed or damaged after saving. '
            f'{_fix(filename)}.'
        )


def unreadable(filename: str, error: BaseException) -> CheckpointError:
    """The one-line :class:`CheckpointError` for a file torch cannot read."""
    reason = str(error).splitlines()[0] if str(error) else ''
    return CheckpointError(
        f'checkpoint {filename} cannot be read ({type(error).__name__}: '
        f'{reason}); it is truncated or not a checkpoint. {_fix(filename)}.'
    )


def remove_partial(directory: str) -> None:
    """Remove the ``*.part`` files a killed save left in ``directory``."""
    for part in glob.glob(osp.join(directory, '*.part')):
        with contextlib.suppress(OSError):
            os.remove(part)


def newer_best(
    directory: str, known: Optional[str], step: int
) -> Optional[Tuple[str, float, List[str]]]:
    """The best checkpoint in ``directory`` that the resumed state does not
    know, with its score: ``(path, score, outdated)`` or None.

    MMEngine saves ``best_*_epoch_N.pth`` and only then saves ``epoch_N``
    again to record it; a run that dies in between (a full disk, a kill)
    resumes with the previous best in mind, and its next improvement
    leaves two best files, or one that is not the best. Of the intact best
    files saved at or before ``step`` (the resumed epoch or iteration),
    the newest is the real best; ``outdated`` lists the older ones, which
    MMEngine would have removed. Files after ``step`` belong to epochs the
    run is about to train again and are not considered.
    """
    import torch

    found = []
    for name in os.listdir(directory) if osp.isdir(directory) else []:
        match = _BEST.match(name)
        path = osp.join(directory, name)
        if match and int(match.group(2)) <= step and is_intact(path):
            found.append((int(match.group(2)), path))
    found.sort()
    known = osp.abspath(known) if known else None
    if not found or osp.abspath(found[-1][1]) == known:
        return None
    path = found[-1][1]
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    info = checkpoint.get('message_hub', {}).get('runtime_info', {})
    if 'best_score' not in info:
        return None
    return path, info['best_score'], [p for _, p in found[:-1]]


def rebase(path: str, work_dir: str) -> str:
    """``path`` in ``work_dir`` if it names a file of another directory.

    A copied or moved work dir keeps the old absolute paths MMEngine
    stored; the same file name in the current work dir is meant.
    """
    if not path or osp.dirname(osp.abspath(path)) == osp.abspath(work_dir):
        return path
    return osp.join(work_dir, osp.basename(path))


def rebase_stored_paths(message_hub: Any, work_dir: str) -> None:
    """Point the checkpoint paths a resumed run's message hub holds (the
    last checkpoint, each best one) into ``work_dir``, so that a copied
    work dir never writes or removes a file of the one it was copied from.
    Its other entries are left as they are."""
    for key in list(message_hub.runtime_info):
        if key == 'last_ckpt' or key.startswith('best_ckpt'):
            path = message_hub.get_info(key)
            if isinstance(path, str) and osp.isabs(path):
                message_hub.update_info(key, rebase(path, work_dir))


def missing_latest(work_dir: str, named: str) -> CheckpointError:
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
