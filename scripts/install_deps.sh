#!/usr/bin/env bash
# Installs the Debian 12 packages facemirror builds, tests and runs with. Idempotent: only
# missing packages are installed, so repeated runs cost a dpkg query.
#   --slurm  also Slurm and munge (slurm-wlm, munge), which the Slurm test (tests/slurm) runs
#            as a throw-away single-node cluster; scripts/test.sh passes it.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ffmpeg
  libopencv-dev libdlib-dev libdlib-data
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libtbb-dev libopenblas-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format python3 curl ca-certificates
  python3-dev python3-pybind11 pybind11-dev python3-numpy python3-pytest dpkg-dev file
  # The Python module as a wheel (pip wheel --no-build-isolation: no index needed).
  python3-pip python3-venv python3-setuptools python3-wheel
  libssl-dev libcpp-httplib-dev libexif-dev
  # The libFuzzer targets (scripts/fuzz.sh): clang and its sanitizer and fuzzer runtimes.
  clang libclang-rt-dev
  # The report's browser test renders the HTML report headless (fonts for its text).
  chromium fonts-dejavu-core
)

if [ "${1:-}" = --slurm ]; then
  packages+=(slurm-wlm munge)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--slurm]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install_deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
# Another apt run on the machine holds dpkg's lock for a while: wait for it rather than fail.
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
