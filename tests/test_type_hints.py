"""Every public function and method of the package says what it takes and
returns: each argument but ``self`` / ``cls`` / ``*args`` / ``**kwargs``
is annotated, and so is the return (``__init__`` may leave it out)."""

import ast
import glob
import os.path as osp

from conftest import REPO


def unannotated(tree):
    """``['Class.method', 'function', ...]`` of ``tree``'s public module-
    and class-level functions that lack an annotation."""
    found = []

    def visit(node, owner):
        for child in ast.iter_child_nodes(node):
            public = not getattr(child, 'name', '_').startswith('_')
            if isinstance(child, ast.ClassDef) and public:
                visit(child, f'{child.name}.')
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
                if name.startswith('_') and name != '__init__':
                    continue
                args = child.args.posonlyargs + child.args.args
                args = args + child.args.kwonlyargs
                args = [a for a in args if a.arg not in ('self', 'cls')]
                returns = child.returns is not None or name == '__init__'
                if not returns or any(a.annotation is None for a in args):
                    found.append(owner + name)

    visit(tree, '')
    return found


def test_public_signatures_are_annotated():
    missing = {}
    for path in sorted(
        glob.glob(osp.join(REPO, 'mmsamkd', '**', '*.py'), recursive=True)
    ):
        with open(path, encoding='utf-8') as f:
            names = unannotated(ast.parse(f.read()))
        if names:
            missing[osp.relpath(path, REPO)] = names
    assert not missing


def test_an_unannotated_function_is_found():
    tree = ast.parse(
        'def f(x: int) -> int: ...\n'
        'def g(x) -> int: ...\n'
        'def _private(x): ...\n'
        'class A:\n'
        '    def __init__(self, y: int): ...\n'
        '    def h(self, y: int): ...\n'
        'class _B:\n'
        '    def k(self, y): ...\n'
    )
    assert unannotated(tree) == ['g', 'A.h']
