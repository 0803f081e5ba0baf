#!/usr/bin/env bash
# Checks for the Debian packages the build needs ("deps.sh bench": also what
# the benchmark's peers and plots need; "deps.sh plots": gnuplot) and installs what is missing when it
# can (as root, or where sudo works without a password); otherwise it prints
# the exact apt-get line and fails.
set -u
pkgs=()
if [ "${1:-}" = plots ]; then
    command -v gnuplot >/dev/null || pkgs+=(gnuplot-nox)
fi
if [ "${1:-}" = bench ]; then
    /usr/bin/python3 -c 'import numpy' 2>/dev/null || pkgs+=(python3-numpy)
    /usr/bin/python3 -c 'import torch' 2>/dev/null || pkgs+=(python3-torch)
    command -v gnuplot >/dev/null || pkgs+=(gnuplot-nox)
fi
have_header() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1; }
have_header criterion/criterion.h || pkgs+=(libcriterion-dev)
have_header zlib.h || pkgs+=(zlib1g-dev)
have_header cblas.h || pkgs+=(libopenblas-dev)
have_header png.h || pkgs+=(libpng-dev)
command -v pkg-config >/dev/null || true
[ ${#pkgs[@]} -eq 0 ] && exit 0

line="apt-get install -y ${pkgs[*]}"
if [ "$(id -u)" = 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
else
    echo "missing packages: ${pkgs[*]}" >&2
    echo "install them with:  sudo apt-get update && sudo $line" >&2
    exit 1
fi
echo "installing missing packages: ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 && $sudo $line >&2 || {
    echo "apt-get failed; install by hand:  sudo apt-get update && sudo $line" >&2
    exit 1
}
