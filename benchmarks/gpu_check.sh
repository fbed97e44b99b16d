#!/usr/bin/env bash
# The GPU check: on a machine with one GPU (two: DDP too), in at most 8
# minutes, with no network there.
#
#   bash benchmarks/gpu_check.sh --prepare   # here: fill .gpu_check/
#   bash benchmarks/gpu_check.sh             # there, .gpu_check/ beside
#
# --prepare puts into .gpu_check/ (git-ignored, about 35 MB) Fashion-MNIST
# from Debian's dataset-fashion-mnist and the wheels of the OpenMMLab
# stack for a Python 3.12 machine whose image has torch already. The check:
#   1. benchmarks/step_cost.py on the Fashion-MNIST pair: fp32 and --amp
#      step time, each also channels last, host reads per step, peak
#      memory, for KD, HSAKD, SAMKD and SSKD;
#   2. the teacher stages, then KD, HSAKD, SAMKD and SSKD for 3 epochs
#      (237 iterations) each in fp32 and with --amp, through
#      tools/train.py, side by side on the one GPU;
#   3. with two GPUs, SAMKD with --amp and channels_last=True on both
#      through tools/dist_train.sh;
#   4. a line per run: last validation top-1, MMEngine's seconds per
#      iteration and whether every weight of the final checkpoint is
#      finite. The exit status is 1 if any run failed or is not finite.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=.gpu_check
PY=${PYTHON:-python3}

if [ "${1:-}" = --prepare ]; then
    mkdir -p "$HERE/fashion-mnist" "$HERE/wheels"
    cp "$(dpkg -L dataset-fashion-mnist | grep -m1 'train-images.*gz$' |
        xargs dirname)"/*.gz "$HERE/fashion-mnist/"
    .venv/bin/python -m pip download -q --no-deps --only-binary=:all: \
        --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
        -d "$HERE/wheels" mmengine==0.10.7 mmcv-lite==2.1.0 \
        mmpretrain==1.2.0 mmrazor==1.0.0 addict yapf termcolor mat4py \
        modelindex ordered-set importlib-metadata platformdirs \
        'setuptools<82'
    du -sh "$HERE"
    exit 0
fi

[ -d "$HERE/fashion-mnist" ] || {
    echo "error: no $HERE/fashion-mnist: run 'bash $0 --prepare' on a" \
        "machine with the data and network, and carry $HERE" >&2
    exit 2
}
if ! $PY -c 'import mmrazor' 2>/dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile \
        --target /tmp/gpu_check_site "$HERE"/wheels/*.whl
    export PYTHONPATH=/tmp/gpu_check_site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
DEVICE=${GPU_CHECK_DEVICE:-cuda}  # cpu: try this script without a GPU
EPOCHS=${GPU_CHECK_EPOCHS:-3}
if [ "$DEVICE" = cuda ]; then
    $PY -c 'import torch; assert torch.cuda.is_available(), "no GPU"'
    GPUS=$($PY -c 'import torch; print(torch.cuda.device_count())')
    nvidia-smi -L
else
    GPUS=0
fi
ROOT=$(mktemp -d)
DATA=$PWD/$HERE/fashion-mnist
# GPU_CHECK_OPTIONS: more --cfg-options for every run (a smaller set)
ON_DATA="train_dataloader.dataset.data_root=$DATA
val_dataloader.dataset.data_root=$DATA test_dataloader.dataset.data_root=$DATA
${GPU_CHECK_OPTIONS:-}"
echo "== step cost ($DEVICE)"
$PY benchmarks/step_cost.py --pair fmnist --device "$DEVICE" \
    --families KD HSAKD SAMKD SSKD

train() {  # config work_dir [train.py options...]
    local config=$1 work_dir=$ROOT/$2
    shift 2
    # shellcheck disable=SC2086  # ON_DATA is several words
    $PY tools/train.py "configs/$config" --work-dir "$work_dir" "$@" \
        --cfg-options $ON_DATA "${OPTIONS[@]}" >"$work_dir.log" 2>&1 ||
        echo "FAILED: $config in $work_dir ($work_dir.log)"
}

echo "== teacher stages"
OPTIONS=(train_cfg.max_epochs=1)
train teachers/resnet14_1xb64_fmnist.py teacher
T=$ROOT/teacher/epoch_1.pth
OPTIONS=(train_cfg.max_epochs=1 load_from=$T)
train teachers/resnet14_ssa-frozen_1xb64_fmnist.py ssa &
train teachers/resnet14_sskd-head_1xb64_fmnist.py sskd-head &
wait
echo "== students, fp32 and --amp side by side"
PAIR=resnet14_resnet8-quarter_1xb64_fmnist.py
for amp in "" --amp; do
    name=${amp:+-amp}
    OPTIONS=(train_cfg.max_epochs=$EPOCHS model.teacher_ckpt=$T)
    train kd/kd_$PAIR "kd$name" $amp &
    OPTIONS=(train_cfg.max_epochs=$EPOCHS
        model.teacher_ckpt=$ROOT/ssa/epoch_1.pth)
    train hsakd/hsakd_$PAIR "hsakd$name" $amp &
    train samkd/samkd_$PAIR "samkd$name" $amp &
    OPTIONS=(train_cfg.max_epochs=$EPOCHS
        model.teacher_ckpt=$ROOT/sskd-head/epoch_1.pth)
    train sskd/sskd_$PAIR "sskd$name" $amp &
done
wait
if [ "$GPUS" -ge 2 ]; then
    echo "== SAMKD, --amp, channels last, DDP on 2 GPUs"
    OPTIONS=(train_cfg.max_epochs=$EPOCHS
        model.teacher_ckpt=$ROOT/ssa/epoch_1.pth channels_last=True)
    # shellcheck disable=SC2086
    PYTHON=$PY bash tools/dist_train.sh "configs/samkd/samkd_$PAIR" 2 --amp \
        --work-dir "$ROOT/samkd-ddp" --cfg-options $ON_DATA \
        "${OPTIONS[@]}" >"$ROOT/samkd-ddp.log" 2>&1 ||
        echo "FAILED: SAMKD DDP ($ROOT/samkd-ddp.log)"
fi
echo "== results"
$PY - "$ROOT" <<'EOF'
import glob, json, os.path as osp, sys

import torch

root, bad = sys.argv[1], 0
for work_dir in sorted(glob.glob(osp.join(root, '*/'))):
    name = osp.basename(osp.dirname(work_dir))
    last = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(last):
        print(f'{name}: no checkpoint (see {work_dir[:-1]}.log)')
        bad += 1
        continue
    ckpt = torch.load(open(last).read().strip(), map_location='cpu',
                      weights_only=False)
    finite = all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
                 if v.is_floating_point())
    bad += not finite
    scalars = sorted(glob.glob(osp.join(work_dir, '*/vis_data/scalars.json')))
    rows = [json.loads(line) for line in open(scalars[-1])]
    times = [r['time'] for r in rows if 'time' in r and 'loss' in r]
    top1 = [r['accuracy/top1'] for r in rows if 'accuracy/top1' in r]
    print(f'{name}: top-1 {top1[-1] if top1 else "?"}, '
          f'{sum(times) / max(len(times), 1):.4f} s/iter (logged), '
          f'weights {"finite" if finite else "NOT FINITE"}')
sys.exit(1 if bad else 0)
EOF
