#!/usr/bin/env bash
# wheel_test.sh BUILD_DIR SOURCE_DIR PYTHON SHARED_DIR
#
# The Python module as a wheel, as a user installs it into a virtual environment: builds it
# with `pip wheel --no-build-isolation .` from BUILD_DIR (setup.py), checks what it holds (the
# package, its extension, libfacemirror.so and fetch_models.sh, no path of the build machine),
# installs it with pip into a fresh venv (NumPy from Debian's packages, nothing from an index),
# imports it there and analyses a shared photograph with it, provisions models with its
# fetch_models.sh (exit 77 after the rest without the shared data), checks pip's metadata and
# version, and that `pip uninstall` leaves nothing and the source tree was not written to.
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2") python=$3 shared=$4
work="$build/test-scratch/wheel_test"
rm -rf "$work"
mkdir -p "$work"
fail() { echo "wheel_test: $*" >&2; exit 1; }

sources_before=$(cd "$source" && git status --porcelain --ignored=no 2>/dev/null || true)
FACEMIRROR_BUILD_DIR="$build" "$python" -m pip wheel --no-build-isolation --no-deps --no-index \
  -w "$work/dist" "$source" >"$work/pip-wheel.log" 2>&1 ||
  { tail -30 "$work/pip-wheel.log" >&2; fail "pip wheel failed"; }
sources_after=$(cd "$source" && git status --porcelain --ignored=no 2>/dev/null || true)
[ "$sources_before" = "$sources_after" ] || fail "building the wheel wrote into $source"

version=$(awk -F= '/^CMAKE_PROJECT_VERSION:/ {print $2}' "$build/CMakeCache.txt")
tag=$("$python" -c 'import sys; print(f"cp{sys.version_info.major}{sys.version_info.minor}")')
wheel="$work/dist/facemirror-$version-$tag-$tag-linux_$(uname -m).whl"
[ -f "$wheel" ] || fail "no $(basename "$wheel"): $(ls "$work/dist")"
mkdir "$work/unpacked"
"$python" -m zipfile -e "$wheel" "$work/unpacked"
for file in facemirror/__init__.py facemirror/libfacemirror.so.* facemirror/fetch_models.sh \
            facemirror/openface-2.2.0.sha256; do
  compgen -G "$work/unpacked/$file" >/dev/null || fail "the wheel lacks $file"
done
compgen -G "$work/unpacked/facemirror/_facemirror.*.so" >/dev/null || fail "no extension in the wheel"
if grep -rlaF -e "$build" -e "$source/" "$work/unpacked"; then
  fail "the wheel's files above name a folder of the build machine"
fi

"$python" -m venv --system-site-packages "$work/venv"
venv_python="$work/venv/bin/python"
"$venv_python" -m pip install --no-index -q "$wheel" ||
  fail "pip install of the wheel failed (its numpy requirement is met by python3-numpy)"
site=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
(cd / && env -u PYTHONPATH "$venv_python" - "$site" "$version" "$shared" <<'PY') || fail "the installed wheel does not work"
import importlib.metadata, os, sys
site, version, shared = sys.argv[1:]
import facemirror
assert facemirror.__file__.startswith(site), facemirror.__file__
assert facemirror.__version__ == version == importlib.metadata.version("facemirror"), version
loaded = [line.split()[-1] for line in open("/proc/self/maps") if "libfacemirror" in line]
assert loaded and all(path.startswith(site) for path in loaded), loaded
photo = os.path.join(shared, "videos/openface-samples/sample1.jpg")
models = os.path.join(shared, "models/openface")
if os.path.isfile(photo) and os.path.isdir(models):
    faces = facemirror.Analyzer(models).analyze(facemirror.read_image(photo))
    assert len(faces) == 1 and faces[0].success, faces
    print("wheel_test: one face in sample1.jpg, AU12_r", faces[0].au_intensity["AU12_r"])
PY
# The wheel's fetch_models.sh provisions a models folder, checked against its own list.
if [ -d "$shared/models/openface" ]; then
  (cd / && bash "$site/facemirror/fetch_models.sh" --from "$shared/models/openface" \
    "$work/models") >"$work/fetch.log" 2>&1 ||
    fail "the wheel's fetch_models.sh failed: $(cat "$work/fetch.log")"
fi
"$venv_python" -m pip uninstall -y -q facemirror || fail "pip uninstall failed"
left=$(find "$site" -maxdepth 1 -iname 'facemirror*')
[ -z "$left" ] || fail "pip uninstall left $left"
if [ ! -f "$shared/videos/openface-samples/sample1.jpg" ]; then
  echo "wheel_test: shared data folder not found: the wheel was not run on a photograph" >&2
  exit 77
fi
echo "wheel_test: $(basename "$wheel") ok"
