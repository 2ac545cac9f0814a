#!/usr/bin/env bash
# Train on the borrowed GPU machine (one H200, 16 cores, no network, no Debian audio packages):
#   bash plugins/audiolasso_learned/training/gpu_run.sh [RUN ...]      (RUN: continue, wide; default both)
# Each RUN is config-gpu-RUN.yaml, all side by side on the one card, sharing 14 data workers; MINUTES
# (default 6.5) is how long each trains. Weights come back as float16 under $OUT; choose among them on
# the tune corpus here (training/select.py, training/compare.py), never on validation alone.
#
# Prepared here (docs/learned.md, "Training on a GPU"), in the git-ignored .gpu/ that the call carries:
#   .venv/bin/python -m audiolasso_learned.training.pack .audiolasso/learned/bank.npz .gpu/bank
#   pip download soundfile, cffi, pycparser, pydantic and its needs into .gpu/wheels (cp312, manylinux)
set -euo pipefail
OUT=${OUT:-/tmp/out}
MINUTES=${MINUTES:-6.5}
[ $# -gt 0 ] || set -- continue wide
WORKERS=$((14 / $#))
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/wheels/*.whl
export PYTHONPATH=/tmp/site:$PWD:$PWD/plugins:$PWD/corpora PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -m audiolasso_learned.training.pack --unpack .gpu/bank /tmp/bank.npz
for run in "$@"; do
  python3 -m audiolasso_learned.training.train --config "plugins/audiolasso_learned/training/config-gpu-$run.yaml" \
    --workers "$WORKERS" --anneal-minutes "$MINUTES" --max-minutes "$(python3 -c "print($MINUTES + 0.1)")" > "/tmp/$run.out" 2>&1 &
done
wait
for run in "$@"; do
  echo "== $run"; cat "/tmp/$run.out" "/tmp/run-$run/train.log"
  for w in best_val last; do cp "/tmp/run-$run/$w.safetensors" "$OUT/${run}_$w.safetensors" || echo "no $w"; done
done | tee "$OUT/logs.txt"
