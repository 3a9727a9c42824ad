#!/usr/bin/env bash
# The GPU checks in one short run on a CUDA machine (about 5 minutes on one H200):
#   1. tests/train/test_cuda.py: CUDA graphs against eager iterations, compiled vs eager, exact
#      resume, a torchrun launch with more processes than GPUs, then every preset on CUDA;
#   2. benchmarks/speed.py on the GPU: ganforge (eager, CUDA graphs, compiled) against the
#      textbook loop for DCGAN-32 and SNGAN-32, with the achieved FLOP/s.
# Logs and JSON go to $OUT (or benchmarks/results/).
#
#   bash benchmarks/gpu_check.sh            # from the repository root
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())"
t="tests/train/test_cuda.py"

python3 -m pytest "$t" -q -p no:cacheprovider -W ignore -k "graph or compiled or resume or processes" \
  2>&1 | tee "$out/gpu-tests-new.log" | tail -n 15

cd benchmarks
speed() { python3 speed.py --devices cuda --repeats 1 --seconds 2 --no-scaling "$@"; }
speed --models dcgan32 --batches 64 128 256 --modes eager-fp32 graphs-fp32 graphs-bf16 \
  --out "$out/speed-gpu-dcgan.json" 2>&1 | tail -n 12
speed --models sngan32 --batches 64 256 --modes eager-fp32 graphs-fp32 \
  --out "$out/speed-gpu-sngan.json" 2>&1 | tail -n 8
speed --models dcgan32 --batches 256 --modes compiled-fp32 \
  --out "$out/speed-gpu-compiled.json" 2>&1 | tail -n 5
cd ..

python3 -m pytest "$t" -q -p no:cacheprovider -W ignore -k "every_preset and not fp16" \
  2>&1 | tee "$out/gpu-tests-presets.log" | tail -n 6
