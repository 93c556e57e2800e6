#!/usr/bin/env bash
# public_headers_test.sh CXX SOURCE_DIR
#
# Every public header compiles alone (it includes what it uses) and warning-free under the
# strict flags an embedder may build with (-Wconversion, -Wsign-conversion and -Werror): the
# headers are compiled into the user's program with the user's flags, not ours.
set -euo pipefail
cxx=$1 source=$2
# OpenCV as a system header (its own code does not pass -Wconversion), as CMake's targets give it.
opencv=$(pkg-config --cflags-only-I opencv4 | sed 's/-I/-isystem /g')
failed=0
while IFS= read -r header; do
  # shellcheck disable=SC2086  # pkg-config's flags are words
  if ! echo "#include \"$header\"" |
    "$cxx" -std=c++17 -fsyntax-only -x c++ -Wall -Wextra -Wpedantic -Wshadow -Wconversion \
      -Wsign-conversion -Werror -I"$source/include" $opencv - 2>&1 | head -20; then
    echo "public_headers_test: $header does not compile alone under the strict flags" >&2
    failed=1
  fi
done < <(cd "$source/include" && find facemirror -name '*.h' | sort)
exit $failed
