#!/usr/bin/env bash
# Regenerate the pictures of the README section "Use a trained generator" (docs/images/explore/)
# by running every explore command on one DCGAN Fashion-MNIST run, exactly as a user would.
#
#   docs/make_explore_images.sh                # train a run first (IMAGES images), then draw
#   docs/make_explore_images.sh runs/<run>     # reuse a finished run
#
# Environment: IMAGES (length of a new run, default 120000: ~20-40 min on a 2-core CPU), RUNS
# (parent folder of a new run, default runs), OUT (default docs/images/explore), and the exemplar
# choices below. Needs Debian's chromium for the report screenshot (skipped with a note without).
#
# The exemplars are sample numbers of sheet.png (seed 7). They were picked by eye on the run the
# committed pictures come from (120k images, the preset's seed 0); another run draws other images
# under these numbers: look at its sheet.png and set A, B, C, FROM, TO again.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-docs/images/explore}
IMAGES=${IMAGES:-120000}
RUNS=${RUNS:-runs}
SEED=7          # the seed of sheet.png, which the numbers below refer to
A=${A:-12,57,59}  # arithmetic a - b + c: T-shirts (short sleeves) ...
B=${B:-3,42,48}   # ... minus pullovers (long sleeves) ...
C=${C:-25,75,90}  # ... plus dresses: a short-sleeved dress
FROM=${FROM:-81}  # interpolation: trousers ...
TO=${TO:-29}      # ... to a pullover
LAYER=${LAYER:-1}  # ablation: the 8x8 layer of the 32 px DCGAN (128 channels)
CHANNELS=${CHANNELS:-14,17,27,66,67,71,84,102}  # the 8 most active around the collar
REGION=${REGION:-0,8,9,28}  # x0,y0,x1,y1: the left sleeve of tops
TOP=${TOP:-32}
TEST_IMAGE=${TEST_IMAGE:-1}  # index in the Fashion-MNIST test split: a pullover with a print

if [[ $# -ge 1 ]]; then
  RUN=$1
else
  mkdir -p "$RUNS"
  log=$(mktemp)
  # eval_every=0: the FD-FMNIST evaluations are not needed for pictures and cost ~3% of the run.
  ganforge train --preset dcgan-fashion-mnist --set train.images="$IMAGES" \
    --set train.eval_every=0 --out "$RUNS" --name explore-docs --no-progress | tee "$log"
  RUN=$(sed -n 's/^run folder: //p' "$log" | head -n 1)
  rm -f "$log"
fi
[[ -f "$RUN/config.yaml" ]] || { echo "make_explore_images: $RUN is not a run folder" >&2; exit 2; }
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "drawing from $RUN into $OUT"

# 1. samples: a grid, and the numbered sheet the exemplars come from
ganforge sample "$RUN" --n 64 --seed 1 --grid "$OUT/grid.png"
ganforge sheet "$RUN" --n 100 --seed "$SEED" --out "$OUT/sheet.png"

# 2. a spherical walk between two sheet samples, as a strip and as an animation
ganforge interpolate "$RUN" --seed "$SEED" --from "$FROM" --to "$TO" --steps 10 --slerp \
  --out "$OUT/walk.png"
ganforge interpolate "$RUN" --seed "$SEED" --from "$FROM" --to "$TO" --steps 24 --slerp \
  --frame-ms 80 --out "$OUT/walk.gif"

# 3. latent arithmetic on exemplar means (DCGAN section 6.3.2)
ganforge arithmetic "$RUN" --seed "$SEED" --a "$A" --b "$B" --c "$C" --out "$OUT/arithmetic.png"

# 4. feature-map surgery (DCGAN section 6.3.1): chosen channels, then the top channels of a region
ganforge ablate "$RUN" --layer "$LAYER" --channels "$CHANNELS" --out "$OUT/ablate.png"
ganforge ablate "$RUN" --layer "$LAYER" --region "$REGION" --top "$TOP" --out "$OUT/ablate_region.png"

# 5. inversion of a real test image (28 px: the command resizes it as the training data was),
#    then a walk from the latent it found to a sheet sample
python - "$TEST_IMAGE" "$tmp/real.png" <<'EOF'
import sys

from PIL import Image

from ganforge.data.idx import read_idx

images = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
Image.fromarray(images[int(sys.argv[1])]).save(sys.argv[2])
EOF
ganforge invert "$RUN" "$tmp/real.png" --steps 500 --out "$OUT/inverted.png" \
  --save-z "$tmp/real_z.npy"
ganforge interpolate "$RUN" --seed "$SEED" --from "$tmp/real_z.npy" --to "$TO" --steps 8 --slerp \
  --out "$OUT/walk_from_photo.png"

# 6. export the generator alone and check the ONNX file in onnxruntime against PyTorch
ganforge export "$RUN" --format onnx --out "$tmp/generator.onnx"
python - "$RUN" "$tmp/generator.onnx" <<'EOF'
import sys

import numpy as np
import onnxruntime as ort
import torch

import ganforge

run = ganforge.load_run(sys.argv[1])
z = torch.randn(5, run.z_dim)
(got,) = ort.InferenceSession(sys.argv[2], providers=["CPUExecutionProvider"]).run(
    None, {"z": z.numpy()}
)
diff = float(np.abs(got - run.G(z).numpy()).max())
print(f"onnxruntime vs PyTorch on 5 latents: max difference {diff:.2e}")
assert diff < 1e-4
EOF

# 7. the report page, and a screenshot of its top in headless Chromium
ganforge report "$RUN" --out "$tmp/report.html"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -n "$chromium" ]]; then
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --force-device-scale-factor=1 --window-size=1200,1500 \
    --screenshot="$OUT/report.png" "file://$(realpath "$tmp/report.html")" 2>/dev/null
else
  echo "note: chromium not found: $OUT/report.png not updated" >&2
fi
echo "done: $(ls "$OUT" | tr '\n' ' ')"
