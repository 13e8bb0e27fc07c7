#!/usr/bin/env bash
# Runs the whole peer side of Elide's side-by-side benchmarks.
#
#   bench/peers/run_peers.sh [OUTDIR]            (default OUTDIR: bench/out/peers, git-ignored)
#
# Steps: setup.sh; export every model to OUTDIR/models (export_models.py); check ONNX Runtime against
# PyTorch's reference outputs (ort_check.mjs); then the matrix below, each configuration run back to
# back in ONNX Runtime and PyTorch so that machine noise hits both alike.
#   inference: resnet20, resnet56 at batch 1 and 64; resnet18, mobilenet_v2 at batch 1 and 8;
#              threads 1 and 2; ORT (spinning off; at 2 threads also spinning on) and PyTorch eager
#   training:  PyTorch eager SGD step, resnet20 and resnet56, batch 128, threads 1 and 2
# Every measurement: median of at least PEERS_ITERS (30) timed runs and at least PEERS_MIN_SECONDS (2) s,
# after PEERS_WARMUP (10) untimed runs; training uses at least 10 steps and the same time, after 2 warm-up
# steps. The whole matrix is repeated PEERS_ROUNDS (3) times, rounds one after the other, and the tables
# keep, per configuration, the round with the lowest median: the machine is shared, and a 2-thread run
# collapses whenever another process takes a core, so the best round is the closest to an idle machine.
# Writes OUTDIR/results.jsonl (one JSON object per run, all rounds), OUTDIR/results.md (tables) and
# OUTDIR/machine.txt (date, CPU, versions, load). Takes about 11 minutes on an idle 2-core machine,
# longer when other processes compete for the cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/bench/out/peers}"
python=/usr/bin/python3
iters="${PEERS_ITERS:-30}"
warmup="${PEERS_WARMUP:-10}"
min_seconds="${PEERS_MIN_SECONDS:-2}"
rounds="${PEERS_ROUNDS:-3}"

mkdir -p "$out/models"
out="$(cd "$out" && pwd)"
results="$out/results.jsonl"
: >"$results"

"$here/setup.sh"
"$python" "$here/export_models.py" --out "$out/models"
(cd "$here" && node ort_check.mjs --dir "$out/models")

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "kernel: $(uname -r)"
  echo "node: $(node --version), onnxruntime-node $(cd "$here" && node -e 'console.log(require("onnxruntime-node").env.versions.node)')"
  echo "python: $("$python" --version 2>&1), torch $(dpkg-query -W -f='${Version}' python3-torch)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

run() { # prints the JSON line to the terminal and appends it to results.jsonl
  "$@" | tee -a "$results"
}

inference() { # model batch threads
  local model="$1" batch="$2" threads="$3"
  local common=(--model "$out/models/$model.onnx" --batch "$batch" --threads "$threads"
    --warmup "$warmup" --iters "$iters" --min-seconds "$min_seconds")
  run node "$here/ort_bench.mjs" "${common[@]}"
  if ((threads > 1)); then
    run node "$here/ort_bench.mjs" "${common[@]}" --spin 1
  fi
  run "$python" "$here/torch_bench.py" "${common[@]}"
}

for ((round = 1; round <= rounds; round++)); do
  echo "round $round of $rounds" >&2
  for model in resnet20 resnet56; do
    for batch in 1 64; do
      for threads in 1 2; do inference "$model" "$batch" "$threads"; done
    done
  done
  for model in resnet18 mobilenet_v2; do
    for batch in 1 8; do
      for threads in 1 2; do inference "$model" "$batch" "$threads"; done
    done
  done
  for model in resnet20 resnet56; do
    for threads in 1 2; do
      run "$python" "$here/torch_bench.py" --arch "$model" --batch 128 --threads "$threads" \
        --warmup 2 --iters 10 --min-seconds "$min_seconds" --train
    done
  done
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
"$python" "$here/summarize.py" "$results" >"$out/results.md"
cat "$out/machine.txt" "$out/results.md"
echo "results: $results, $out/results.md; models and reference inputs/outputs: $out/models"
