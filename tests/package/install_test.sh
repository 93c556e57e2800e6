#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR PYTHON SHARED_DIR
#
# Installs BUILD_DIR into a temporary prefix, then, against that prefix only: checks the man page
# covers every subcommand and that the library exports facemirror's symbols only; builds examples/
# twice (find_package(facemirror) and pkg-config) and runs each on a shared video, checking that
# it loaded the installed libfacemirror.so and wrote the installed CLI's CSV byte for byte, with
# models the installed fetch_models.sh provisioned; and imports the installed Python module. Exits 77 (skipped) after the builds when the shared data
# folder is absent.
set -euo pipefail
build=$1 source=$2 python=$3 shared=$4
work="$build/test-scratch/install_test"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for file in bin/facemirror include/facemirror/pipeline/engine.h share/man/man1/facemirror.1 \
            share/facemirror/fetch_models.sh share/facemirror/openface-2.2.0.sha256; do
  [ -f "$prefix/$file" ] || fail "cmake --install did not install $file"
done
libdir=$(dirname "$(find "$prefix" -name 'libfacemirror.so' | head -1)")
[ -f "$libdir/pkgconfig/facemirror.pc" ] || fail "no facemirror.pc in $libdir/pkgconfig"
[ -f "$libdir/cmake/facemirror/facemirrorConfig.cmake" ] || fail "no CMake package in $libdir/cmake"
# The tests' fault switch must not be installed (no_test_switches_test checks the build tree).
if grep -rlaF FACEMIRROR_TEST_FAULT "$prefix/bin" "$prefix/include" "$libdir"; then
  fail "the installed files above carry the tests' fault switch FACEMIRROR_TEST_FAULT"
fi
soname=$(objdump -p "$libdir/libfacemirror.so" | awk '/SONAME/ {print $2}')
[[ "$soname" == libfacemirror.so.* ]] || fail "libfacemirror.so has SONAME '$soname'"
# Only facemirror's own symbols are exported: dlib's code and std/OpenCV template instances
# compiled into the library stay local, so a program that has its own dlib cannot take them over.
foreign=$(nm -D --defined-only -C "$libdir/libfacemirror.so" | cut -d' ' -f3- |
  sed -E 's/^(typeinfo name for|typeinfo for|vtable for|VTT for|guard variable for) //' |
  grep -v '^facemirror::' || true)
[ -z "$foreign" ] || fail "libfacemirror.so exports $(wc -l <<<"$foreign") symbols outside \
facemirror::, the first: $(head -1 <<<"$foreign")"

# The installed programs must load the installed library, not the build tree's.
uses_installed_lib() {
  local lib
  lib=$(ldd "$1" | awk '/libfacemirror/ {print $3}')
  [ "$(realpath "$lib")" = "$(realpath "$libdir/$soname")" ] ||
    fail "$1 loads libfacemirror from '$lib', not from $libdir"
}
uses_installed_lib "$prefix/bin/facemirror"
"$prefix/bin/facemirror" --version | grep -q '^0\.' || fail "installed facemirror --version"
# Without models, the message names the fetch script this prefix holds (not the prefix the
# build was configured with, where nothing may be installed).
said=$(FACEMIRROR_MODELS="$work/no-models" "$prefix/bin/facemirror" aus "$work/absent.mp4" \
  -o "$work/no-models-out" 2>&1) && fail "a run without models succeeded: $said"
grep -qF "fetch_models.sh ($prefix/share/facemirror/fetch_models.sh where installed" <<<"$said" ||
  fail "the missing-models message does not name this prefix's fetch script: $said"
# Every docs/ page the installed README links to is installed beside it.
docdir="$prefix/share/doc/facemirror"
for page in $(grep -o '](docs/[^)#]*' "$docdir/README.md" | sed 's/^](//' | sort -u); do
  [ -f "$docdir/$page" ] || fail "the installed README links to $page, which is not installed"
done
# The man page has a section for every subcommand the CLI lists.
subcommands=$("$prefix/bin/facemirror" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}')
[ -n "$subcommands" ] || fail "facemirror --help lists no subcommands"
for subcommand in $subcommands; do
  grep -qF ".SH \"FACEMIRROR ${subcommand^^}\"" "$prefix/share/man/man1/facemirror.1" ||
    fail "the man page has no section for facemirror $subcommand"
done

# The installed copy of examples/ (beside the README), as a user finds it.
examples=$(dirname "$(find "$prefix" -path '*/doc/facemirror/examples/CMakeLists.txt' | head -1)")
[ -f "$examples/au_summary.cpp" ] || fail "examples/ is not installed beside the README"
for how in cmake pkg-config; do
  PKG_CONFIG_PATH="$libdir/pkgconfig" cmake -S "$examples" -B "$work/examples-$how" \
    -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DFACEMIRROR_FIND_WITH="$how" >"$work/examples-$how.log" ||
    { cat "$work/examples-$how.log" >&2; fail "configuring examples/ with $how failed"; }
  cmake --build "$work/examples-$how" >>"$work/examples-$how.log" ||
    { cat "$work/examples-$how.log" >&2; fail "building examples/ with $how failed"; }
  uses_installed_lib "$work/examples-$how/au_summary"
done

if [ -n "$python" ]; then
  site=$(dirname "$(find "$prefix" -path '*-packages/facemirror/__init__.py' | head -1)")
  [ -d "$site" ] || fail "the Python module was not installed"
  uses_installed_lib "$(ls "$site"/_facemirror*.so)"
  PYTHONPATH=$(dirname "$site") "$python" -c "
import sys, facemirror
assert facemirror.__file__.startswith('$prefix'), facemirror.__file__
print('installed python module', facemirror.__version__, 'at', facemirror.__file__)
" || fail "the installed Python module does not import"
  # Under Python the program is the interpreter, whose prefix holds no fetch script: the
  # message names the one installed with the library.
  said=$(site_dir=$(cd "$(dirname "$site")" && pwd) && cd / &&
    FACEMIRROR_MODELS="$work/no-models" PYTHONPATH=$site_dir "$python" -c "
import facemirror
facemirror.Analyzer()" 2>&1) && fail "an Analyzer without models was made: $said"
  grep -qF "fetch_models.sh ($prefix/share/facemirror/fetch_models.sh where installed" <<<"$said" ||
    fail "Python's missing-models message does not name this prefix's fetch script: $said"
fi

video="$shared/videos/openface-samples/changeLighting.wmv"
models="$shared/models/openface"
if [ ! -f "$video" ] || [ ! -d "$models" ]; then
  echo "install_test: shared data folder not found: examples built, not run" >&2
  exit 77
fi
# The installed fetch_models.sh, run from outside any checkout, fills a folder the CLI then uses.
fetched="$work/models"
(cd / && bash "$prefix/share/facemirror/fetch_models.sh" --from "$models" "$fetched") ||
  fail "the installed fetch_models.sh could not provision $fetched from $models"
models=$fetched
"$prefix/bin/facemirror" aus "$video" -o "$work/cli" --models "$models" -q
for how in cmake pkg-config; do
  "$work/examples-$how/au_summary" "$video" "$work/au_summary-$how.csv" "$models"
  cmp "$work/cli/changeLighting.csv" "$work/au_summary-$how.csv" ||
    fail "examples/au_summary ($how) wrote another CSV than the installed CLI"
done
echo "install_test: ok"
