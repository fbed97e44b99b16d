#!/usr/bin/env bash
# Set up everything mmsamkd needs on a fresh machine (idempotent):
#   - a virtualenv at .venv in the repository root with mmsamkd installed
#     (editable, with the test and mmcv-lite extras) and the dependencies
#     pinned in requirements/verified.txt (the stack of the READMEs'
#     figures; setup.py itself accepts a range);
#   - Debian's dataset-fashion-mnist package, the embedded default data.
# Then run anything with .venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# pip's and apt's own output goes to this log, shown only if a step fails
LOG=$(mktemp -t mmsamkd-setup.XXXXXX)
quietly() {
    if ! "$@" >>"$LOG" 2>&1; then
        cat "$LOG"
        echo "== failed: $* (output above, kept in $LOG)" >&2
        exit 1
    fi
}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
# Skip pip when the installed pins already satisfy the constraints (fast
# reruns).
if ! .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as md, re, sys
pins = re.findall(
    r'(?m)^([A-Za-z0-9_.-]+)==(\S+)', open('requirements/verified.txt').read()
)
need = pins + [
    ('pytest', None),
    ('pytest-xdist', None),
    ('codespell', None),
    ('mmsamkd', None),
]
for name, version in need:
    have = md.version(name)
    if version and have.split('+')[0] != version:
        sys.exit(1)
PY
then
    echo "== installing mmsamkd and its pinned dependencies into .venv"
    quietly .venv/bin/python -m pip install --quiet --upgrade pip
    quietly .venv/bin/python -m pip install --quiet \
        -e '.[tests,mmcv-lite]' -c requirements/verified.txt
fi

FMNIST=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
if [ ! -f "$FMNIST" ]; then
    echo "== installing Debian package dataset-fashion-mnist"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    quietly $SUDO apt-get update -qq
    quietly $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        dataset-fashion-mnist
fi
rm -f "$LOG"
echo "== environment ready (.venv, Fashion-MNIST in ${FMNIST%/*})"
