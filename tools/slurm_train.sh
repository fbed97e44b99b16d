#!/usr/bin/env bash
# Train on a Slurm cluster (the OpenMMLab convention):
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args ...]
# srun starts GPUS tasks, GPUS_PER_NODE per node, each running tools/train.py
# with --launcher slurm (one process per GPU). With GPUS_PER_NODE=0 no GPU
# is requested and the tasks train on the CPU over gloo (mmsamkd.compat).
# Unless MASTER_PORT is set, train.py takes the rendezvous port from the
# job and step ids (MMEngine's 29500 would be every job's on a node).
set -euo pipefail
if [ "$#" -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py args ...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$(( GPUS < 8 ? GPUS : 8 ))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
PYTHON=${PYTHON:-python}
GRES=()
TASKS_PER_NODE=$GPUS_PER_NODE
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES=(--gres="gpu:${GPUS_PER_NODE}")
else
    TASKS_PER_NODE=$GPUS
fi
# SRUN_ARGS is split on spaces on purpose: it holds several srun options
# shellcheck disable=SC2086
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${GRES[@]}" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$TASKS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "$PYTHON" -u "$(dirname "$0")/train.py" "$CONFIG" \
    --work-dir="$WORK_DIR" --launcher=slurm "$@"
