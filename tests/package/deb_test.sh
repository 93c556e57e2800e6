#!/usr/bin/env bash
# deb_test.sh BUILD_DIR INSTALL_PREFIX LIBDIR PYTHON
#
# Builds the .deb with `cpack -G DEB` in BUILD_DIR (into a scratch folder), checks its metadata
# (name, version, Debian runtime dependencies found by dpkg-shlibdeps) and its file list, unpacks
# it with `dpkg-deb -x` and runs `facemirror --version` from the unpacked tree, on the unpacked
# library. PYTHON is empty when the Python module is not built.
set -euo pipefail
build=$1 prefix=$2 libdir=$3 python=$4
work="$build/test-scratch/deb_package_test"
rm -rf "$work"
mkdir -p "$work"

fail() { echo "deb_package_test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
debs=("$work"/*.deb)
[ ${#debs[@]} -eq 1 ] || fail "expected one .deb, got: ${debs[*]}"
deb=${debs[0]}
project_version=$(awk -F= '/^CMAKE_PROJECT_VERSION:/ {print $2}' "$build/CMakeCache.txt")
[ "$(basename "$deb")" = "facemirror_${project_version}_$(dpkg --print-architecture).deb" ] ||
  fail "unexpected file name $(basename "$deb")"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = facemirror ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$project_version" ] || fail "Version is '$(field Version)'"
depends=$(field Depends)
echo "Depends: $depends"
# Each runtime library the program links must come from its Debian package, and dlib's landmark
# model (dlib itself is compiled in) from libdlib-data.
for package in libc6 'libstdc\+\+6' 'libopencv-core[0-9]' libdlib-data 'libavcodec[0-9]' \
               'libavformat[0-9]' 'libswscale[0-9]'; do
  grep -Eq "(^|, )$package" <<<"$depends" || fail "Depends lacks $package: $depends"
done
if [ -n "$python" ]; then
  grep -q 'python3-numpy' <<<"$depends" || fail "Depends lacks python3-numpy"
fi

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/files.txt"
expect=("$prefix/bin/facemirror" "$prefix/$libdir/libfacemirror.so"
        "$prefix/include/facemirror/pipeline/engine.h"
        "$prefix/$libdir/cmake/facemirror/facemirrorConfig.cmake"
        "$prefix/$libdir/pkgconfig/facemirror.pc" "$prefix/share/man/man1/facemirror.1"
        "$prefix/share/facemirror/fetch_models.sh" "$prefix/share/facemirror/openface-2.2.0.sha256"
        "$prefix/share/doc/facemirror/copyright")
for file in "${expect[@]}"; do
  grep -qxF "$file" "$work/files.txt" || fail "the .deb lacks $file"
done
grep -q "^$prefix/$libdir/libfacemirror.so.[0-9]" "$work/files.txt" || fail "no versioned library"
if [ -n "$python" ]; then
  grep -q "/dist-packages/facemirror/_facemirror.*\.so$" "$work/files.txt" ||
    fail "the .deb lacks the Python module"
fi
if grep -Eq '(/AU_predictors/|\.dat$|svms?\.txt$)' "$work/files.txt"; then
  fail "the .deb carries model files"
fi
field Description | grep -q "non-commercial" || fail "the description does not name the models' terms"

# Removal must leave no folder: Python's __pycache__ in the module's folder is not dpkg's.
dpkg-deb -e "$deb" "$work/control"
if [ -n "$python" ]; then
  module_dir=$(dirname "$(grep '/facemirror/__init__.py$' "$work/files.txt")")
  [ -x "$work/control/prerm" ] || fail "the .deb has no executable prerm"
  sh -n "$work/control/prerm" || fail "prerm is not a valid shell script"
  grep -qF "rm -rf \"$module_dir/__pycache__\"" "$work/control/prerm" ||
    fail "prerm does not remove $module_dir/__pycache__: $(cat "$work/control/prerm")"
fi

dpkg-deb -x "$deb" "$work/root"
cli="$work/root$prefix/bin/facemirror"
lib=$(ldd "$cli" | awk '/libfacemirror/ {print $3}')
[ "$(realpath "$lib")" = "$(realpath "$work/root$prefix/$libdir")/$(basename "$(realpath "$lib")")" ] ||
  fail "the unpacked CLI loads libfacemirror from '$lib'"
reported=$("$cli" --version)
[ "$reported" = "$project_version" ] || fail "facemirror --version says '$reported'"
echo "deb_package_test: $(basename "$deb") ok, facemirror --version: $reported"
