"""Checkpoints named by URL (MMPretrain's and MMRazor's model zoos):
downloaded once, checked against the hash their name carries, and loaded
as tensors only.

MMEngine's own ``http(s)://`` loader unpickles the download in full: a
file from the network could run code. mmsamkd loads it with
``weights_only=True`` and stops where that is not enough; loading the
downloaded copy as a local file, which the user then names, is the
explicit opt-in to full unpickling.
"""

import hashlib
import os
import os.path as osp
import re
import urllib.error
from typing import Any, Optional
from urllib.parse import urlparse

import torch

from ..errors import CheckpointError

# torch.hub's convention: ``name-<first 8+ hex digits of sha256>.pth``
HASH_IN_NAME = re.compile(r'-([a-f0-9]{8,})\.')


def cache_path(url: str, model_dir: Optional[str] = None) -> str:
    """Where the download of ``url`` is kept: ``<torch hub>/checkpoints``
    as MMEngine keeps it, unless ``model_dir``."""
    if model_dir is None:
        model_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    return osp.join(model_dir, osp.basename(urlparse(url).path))


def promised_hash(path: str) -> Optional[str]:
    """The SHA-256 prefix the file name promises, or None."""
    match = HASH_IN_NAME.search(osp.basename(path))
    return match.group(1) if match else None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, path: str) -> None:
    """Fetch ``url`` to ``path`` (whole or not at all)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    try:
        # writes a temporary file and moves it into place
        torch.hub.download_url_to_file(url, path, None, progress=False)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, 'reason', None) or error
        raise CheckpointError(
            f'cannot download {url} ({reason}); check the address, or '
            'download the file and name the local path instead'
        ) from None


def load_from_url(
    filename: str,
    map_location: Any = None,
    model_dir: Optional[str] = None,
    **kwargs,
) -> dict:
    """MMEngine's ``http://`` / ``https://`` checkpoint scheme, safely.

    Rank 0 downloads (once: a cached copy is reused) while the other ranks
    wait; the file is checked against the SHA-256 prefix in its name,
    where there is one, at every load; it is unpickled with
    ``weights_only=True`` only. ``kwargs`` (MMEngine's ``progress``) are
    accepted and ignored.

    Raises:
        CheckpointError: in one line, when the download fails, the file
            does not match its hash, or it holds more than tensors (with
            the way to load it anyway: name the downloaded copy).
    """
    from mmengine.dist import barrier, get_dist_info

    path = cache_path(filename, model_dir)
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.isfile(path):
        download(filename, path)
    if world_size > 1:
        barrier()
    expected = promised_hash(path)
    if expected and not _sha256(path).startswith(expected):
        raise CheckpointError(
            f'{path} (from {filename}) does not match the SHA-256 prefix '
            f'{expected} its name promises: a changed or truncated '
            'download. Remove it to download it again.'
        )
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # noqa: BLE001 (UnpicklingError and others)
        if 'weights' not in str(error).lower():
            raise CheckpointError(
                f'{path} (from {filename}) is not a readable checkpoint '
                f'({type(error).__name__}); remove it to download it again'
            ) from None
    raise CheckpointError(
        f'{filename} holds more than tensors, and unpickling a file from '
        'the network could run code, so mmsamkd loads downloaded '
        'checkpoints as tensors only. If you trust it, opt in by naming '
        f'the downloaded copy instead: {path}'
    )
