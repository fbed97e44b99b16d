"""Count the places where the host reads a tensor's value.

On a GPU each such read (``.item()``, ``float()``, ``if tensor:``, a copy
to the host, ``nonzero``) waits for every kernel queued before it, so the
host stops queueing work; a training step should need very few. They are
counted on any device, the CPU included, so that a test on a CPU machine
fails when a new one enters a hot path, and names its line.

Left out: reads of tensors that stay on the host on a GPU machine too,
recognised by where they happen: an optimizer's step counters (kept on
the CPU by torch.optim) and the image sizes MMEngine's ``stack_batch``
compares (a tensor made from shapes).
"""

import os.path as osp
import traceback
from typing import List, Tuple

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

_HERE = osp.abspath(__file__).replace('\\', '/')
# aten ops that read values on the host, or whose output size depends on
# values (the host must learn it)
VALUE_READS = frozenset(
    (
        '_local_scalar_dense',  # item(), float(), int(), bool()
        'is_nonzero',
        'nonzero',
        'masked_select',
        '_unique2',
        'unique_dim',
        'unique_consecutive',
        'equal',
    )
)
# tensor methods that copy to the host; on a CPU they dispatch nothing
HOST_COPIES = frozenset(('tolist', 'cpu', 'numpy'))


HOST_ONLY = ('/torch/optim/', '/mmengine/model/utils.py')


def _caller():
    """The innermost frame outside torch and this module, or None for a
    read of a tensor that stays on the host (:data:`HOST_ONLY`)."""
    stack = traceback.extract_stack()[:-2]
    if any(
        place in f.filename.replace('\\', '/')
        for f in stack
        for place in HOST_ONLY
    ):
        return None
    for frame in reversed(stack):
        path = frame.filename.replace('\\', '/')
        if '/torch/' not in path and path != _HERE:
            return f'{path}:{frame.lineno}'
    return '?'


class _Reads(TorchDispatchMode):
    def __init__(self, found: List[Tuple[str, str]]) -> None:
        super().__init__()
        self.found = found

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.__name__.split('.')[0]
        if name in VALUE_READS:
            where = _caller()
            if where:
                self.found.append((name, where))
        return func(*args, **(kwargs or {}))


class _Copies(TorchFunctionMode):
    def __init__(self, found: List[Tuple[str, str]]) -> None:
        super().__init__()
        self.found = found

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, '__name__', '') in HOST_COPIES:
            where = _caller()
            if where:
                self.found.append((func.__name__, where))
        return func(*args, **(kwargs or {}))


class HostSyncCounter:
    """``with HostSyncCounter() as syncs: ...``; then ``syncs.count`` and
    ``syncs.found``: ``[(op, 'file:line')]``, one per read."""

    def __init__(self):
        self.found = []
        self._modes = (_Copies(self.found), _Reads(self.found))

    @property
    def count(self) -> int:
        return len(self.found)

    def __enter__(self):
        for mode in self._modes:
            mode.__enter__()
        return self

    def __exit__(self, *exc):
        for mode in reversed(self._modes):
            mode.__exit__(*exc)
        return False
