#!/usr/bin/env bash
# The GPU checks in one short run on a CUDA machine (about 8 minutes on one H200):
#   1. tests/train/test_cuda.py: every preset on CUDA in fp32/bf16/fp16, compiled vs eager,
#      exact resume, a torchrun launch with more processes than GPUs;
#   2. benchmarks/speed.py on the GPU: DCGAN-32 and SNGAN-32 at batch 64/128/256, eager fp32 and
#      bf16, plus the compiled modes at batch 256; ganforge against the textbook loop, FLOP/s.
# Results go to $OUT (or benchmarks/results/) as gpu-tests.log and speed-gpu.json.
#
#   bash benchmarks/gpu_check.sh            # from the repository root
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.draw --format=csv

python3 -m pytest tests/train/test_cuda.py -q -p no:cacheprovider 2>&1 |
  tee "$out/gpu-tests.log" | tail -n 25

cd benchmarks
python3 speed.py --devices cuda --models dcgan32 sngan32 --batches 64 128 256 \
  --modes eager-fp32 eager-bf16 --repeats 1 --seconds 2 --no-scaling \
  --out "$out/speed-gpu-eager.json" 2>&1 | tail -n 20
python3 speed.py --devices cuda --models dcgan32 sngan32 --batches 256 \
  --modes compiled-fp32 compiled-bf16 --repeats 1 --seconds 2 --no-scaling \
  --out "$out/speed-gpu-compiled.json" 2>&1 | tail -n 12
