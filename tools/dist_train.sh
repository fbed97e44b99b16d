#!/usr/bin/env bash
# Train on N processes: tools/dist_train.sh CONFIG N [train.py args ...]
# One process per GPU with nccl; without CUDA the processes train on the CPU
# over gloo (mmsamkd.compat). PYTHON, NNODES, NODE_RANK, MASTER_ADDR, PORT
# may be set as for any torchrun job.
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
"$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
