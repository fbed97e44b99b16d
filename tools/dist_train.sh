#!/usr/bin/env bash
# Train on N processes: tools/dist_train.sh CONFIG N [train.py args ...]
# One process per GPU with nccl; without CUDA the processes train on the CPU
# over gloo (mmsamkd.compat). PYTHON, NNODES, NODE_RANK, MASTER_ADDR, PORT
# may be set as for any torchrun job; on one node PORT defaults to a free
# port (a second run beside the first found torchrun's 29500 taken).
set -euo pipefail
if [ "$#" -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
    echo "error: usage: $0 CONFIG N [train.py args ...], N the processes" \
        "per node (a whole number from 1), got '${2-}'" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
shift 2
PYTHON=${PYTHON:-python}
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
# binds port $1 (0: any free one) as torchrun's store will, and prints
# it; fails where the port is taken
LISTEN='import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("", int(sys.argv[1])))
except OSError:
    sys.exit(1)
print(s.getsockname()[1])'
if [ -z "${PORT:-}" ] && [ "$NNODES" = 1 ]; then
    PORT=$("$PYTHON" -c "$LISTEN" 0)
elif [ "$NODE_RANK" = 0 ] && ! "$PYTHON" -c "$LISTEN" "${PORT:=29500}" \
    >/dev/null; then
    # before: torchrun's 45-line EADDRINUSE traceback
    echo "error: port $PORT cannot be listened on here: another" \
        "distributed run (or program) holds it. Set PORT to a free port" \
        "(PORT=29501 $0 ...)." >&2
    exit 2
fi
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="$PORT" \
    --nproc_per_node="$NPROC" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
