#!/usr/bin/env bash
# Every CPU figure in the README, one after another on a quiet machine (about 6 hours on 2
# cores: nothing else should run meanwhile, the quality rows are budgets of wall-clock time).
# Results: benchmarks/results/*.json and the printed tables in benchmarks/results/*.txt.
#
#   bash benchmarks/run_cpu.sh [speed] [metrics] [quality] [i2i]     # default: all four
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p results
parts=("${@:-speed metrics quality i2i}")
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

if want speed; then
  # bf16 is left out here: this CPU (AVX2) has no bf16 units, so autocast emulates it (~10x slower)
  python speed.py --models dcgan32 --batches 64 128 --modes eager-fp32 compiled-fp32 \
    --out results/speed-cpu.json 2>&1 | tee results/speed-cpu.txt
fi
if want metrics; then
  python metrics_speed.py --sqrtm --reference-kid --inception-random 2>&1 | tee results/metrics-speed-cpu.txt
fi
if want quality; then
  for preset in dcgan-fashion-mnist cgan-fashion-mnist wgangp-fashion-mnist; do
    python quality.py --preset "$preset" --minutes 5,15,20,60 2>&1 | tee -a results/quality-cpu.txt
  done
  python quality.py --textbook --minutes 5,15,20,60 2>&1 | tee -a results/quality-cpu.txt
  python quality.py --table 2>&1 | tee -a results/quality-cpu.txt
fi
if want i2i; then
  python i2i_quality.py 2>&1 | tee results/i2i-quality-cpu.txt
fi
