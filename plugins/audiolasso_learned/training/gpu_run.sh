#!/usr/bin/env bash
# Train on the borrowed GPU machine (one H200, 16 cores, no network, no Debian audio packages), ~9 minutes:
# two runs side by side on the same card, each fed by 7 data workers: config-gpu-continue.yaml (the shipped
# model, continued) and config-gpu-wide.yaml (a wider model from scratch). Weights come back as float16
# under $OUT; choose among them on the tune corpus here (training/select.py), never on validation alone.
#
# Prepared here (docs/learned.md, "Training on a GPU"):
#   .venv/bin/python -m audiolasso_learned.training.pack .audiolasso/learned/bank.npz .gpu/bank
#   pip download soundfile, cffi, pycparser, pydantic and its needs into .gpu/wheels (cp312, manylinux)
# Run there with .gpu carried: bash plugins/audiolasso_learned/training/gpu_run.sh
set -euo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/wheels/*.whl
export PYTHONPATH=/tmp/site:$PWD:$PWD/plugins:$PWD/corpora PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -m audiolasso_learned.training.pack --unpack .gpu/bank /tmp/bank.npz
train() { python3 -m audiolasso_learned.training.train --config "plugins/audiolasso_learned/training/config-gpu-$1.yaml"; }
train continue > /tmp/continue.out 2>&1 &
train wide > /tmp/wide.out 2>&1 &
wait
for run in continue wide; do
  echo "== $run"; cat /tmp/$run.out "/tmp/run-$run/train.log"
  for w in best_val last; do cp "/tmp/run-$run/$w.safetensors" "$OUT/${run}_$w.safetensors" || echo "no $w"; done
done | tee "$OUT/logs.txt"
