#!/usr/bin/env bash
# Installs the peer runtimes for Elide's side-by-side benchmarks and checks that they work.
#
#   bench/peers/setup.sh
#
# Idempotent and quiet: installs only what is missing, prints one line when ready, and on failure
# prints the failing step's log. Needs root (apt-get) and the Debian and npm registries.
#   - PyTorch 1.13 eager, torchvision, onnx, numpy from Debian (python3-*; always run with /usr/bin/python3,
#     since a pyenv python may shadow python3 on PATH and does not see Debian's packages)
#   - onnxruntime-node 1.30.0 from npm, pinned by package-lock.json; ONNXRUNTIME_NODE_INSTALL=skip because
#     its postinstall would try to download GPU extras, while the CPU binding ships inside the package
# Verification: exports resnet20 to a temporary folder and checks that ONNX Runtime reproduces PyTorch's
# output on CPU (ort_check.mjs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=/usr/bin/python3
apt_packages=(python3-torch python3-torchvision python3-onnx python3-numpy)
log="$(mktemp)"
work="$(mktemp -d)"
trap 'rm -rf "$log" "$work"' EXIT

fail() {
  echo "setup.sh: $1 failed; log follows" >&2
  cat "$log" >&2
  exit 1
}

missing=()
for package in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} > 0)); then
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${missing[@]}" >>"$log" 2>&1
  }
  # A fresh machine's package lists may be missing or stale: update once, then retry.
  if ! apt_install; then
    apt-get update -qq -o DPkg::Lock::Timeout=600 >>"$log" 2>&1 || fail "apt-get update"
    apt_install || fail "apt-get install ${missing[*]}"
  fi
fi

# npm ci only when node_modules is absent or older than the lock file.
installed_lock="$here/node_modules/.package-lock.json"
if [[ ! -f "$installed_lock" || "$here/package-lock.json" -nt "$installed_lock" ]]; then
  (cd "$here" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error) >>"$log" 2>&1 \
    || fail "npm ci"
fi

versions="$("$python" -c 'import torch, torchvision, onnx, numpy; print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}, numpy {numpy.__version__}")' 2>>"$log")" \
  || fail "python imports"
"$python" "$here/export_models.py" --out "$work" --models resnet20 >>"$log" 2>&1 || fail "export of resnet20"
(cd "$here" && node ort_check.mjs --dir "$work" --models resnet20) >>"$log" 2>&1 || fail "onnxruntime-node CPU check"
ort_version="$(cd "$here" && node -e 'console.log(require("onnxruntime-node").env.versions.node)')"
echo "peers ready: $versions, onnxruntime-node $ort_version (CPU run of resnet20 matches PyTorch)"
