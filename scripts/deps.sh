#!/usr/bin/env bash
# scripts/deps.sh [build|check|plots|bench]: what the project needs from Debian.
#
#   build   (make runs it before compiling; CC and CFLAGS come from make) each
#           library the build links is checked the way the build uses it: a
#           small program is compiled and linked with the Makefile's own
#           compiler and flags, warnings as errors. OpenBLAS is reached
#           through its own cblas.h, which must declare openblas_set_num_threads
#           (Debian's reference BLAS, libblas-dev, has a cblas.h without it).
#           What is missing is installed from its Debian package when that can
#           be done (as root, or where sudo works without a password);
#           otherwise the exact apt-get line is printed and the script fails.
#           On success it prints, for make, the flags that reach OpenBLAS's
#           header (make keeps them in build/deps.mk).
#   check   the same checks, installing nothing: exit 0 when all link
#   plots   gnuplot;  bench: numpy, PyTorch, PIL (Debian's python3) and gnuplot
set -u
mode=${1:-build}
CC=${CC:-cc}
CFLAGS=${CFLAGS:-}
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

# links NAME "EXTRA_CFLAGS" "LIBS": compiles and links the program on stdin
# with the Makefile's flags; the compiler's messages go to $work/NAME.log.
links() {
    # shellcheck disable=SC2086 # the flags are words
    $CC $CFLAGS $2 -Werror -x c - -x none $3 -o "$work/$1" >"$work/$1.log" 2>&1
}

# The compiler with the Makefile's flags, before blaming any library.
compiler_works() {
    printf 'int main(void) { return 0; }\n' | links compiler "" ""
}
criterion_links() {
    printf '#include <criterion/criterion.h>\nTest(probe, links) { cr_assert(1); }\n' |
        links criterion "" -lcriterion
}
zlib_links() {
    printf '#include <zlib.h>\nint main(void) { return crc32(0L, Z_NULL, 0) != 0; }\n' |
        links zlib "" -lz
}
png_links() {
    printf '#include <png.h>\nint main(void) { return png_access_version_number() == 0; }\n' |
        links png "" -lpng
}
# jpeglib.h needs stdio.h before it (it uses FILE and size_t).
jpeg_links() {
    printf '%s\n' '#include <stdio.h>' '#include <jpeglib.h>' \
        'int main(void) { struct jpeg_error_mgr e; return jpeg_std_error(&e) == NULL; }' |
        links jpeg "" -ljpeg
}
openblas_program() {
    cat <<'EOF'
#include <cblas.h>
#ifndef OPENBLAS_VERSION
#error "this cblas.h is not OpenBLAS's"
#endif
int main(void)
{
    float a = 1, b = 2, c = 0;
    openblas_set_num_threads(1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f,
                &c, 1);
    return c != 2.0f;
}
EOF
}
# Sets openblas_cflags to the first include flag under which OpenBLAS's own
# header compiles and links: its own folder (Debian and Ubuntu keep one per
# threading variant, beside other BLASes' headers; Fedora /usr/include/openblas),
# then the compiler's default path.
openblas_links() {
    local multiarch dirs=() d
    multiarch=$($CC -print-multiarch 2>/dev/null)
    for d in /usr/include/"$multiarch"/openblas-{pthread,openmp,serial} /usr/include/openblas; do
        [ -f "$d/cblas.h" ] && dirs+=("-I$d")
    done
    for d in "${dirs[@]}" ""; do
        if openblas_program | links openblas "$d" -lopenblas; then
            openblas_cflags=$d
            openblas_header=${d:+${d#-I}/cblas.h}
            return 0
        fi
    done
    return 1
}

# Each library the build links, with the Debian package that brings it.
declare -A package=([criterion]=libcriterion-dev [zlib]=zlib1g-dev [png]=libpng-dev
                    [jpeg]=libjpeg62-turbo-dev [openblas]=libopenblas-dev)
# missing: the libraries that do not link now (libs) and their packages (pkgs).
missing() {
    local lib
    libs=() pkgs=()
    for lib in criterion zlib png jpeg openblas; do
        "${lib}_links" || { libs+=("$lib"); pkgs+=("${package[$lib]}"); }
    done
}

# apt_install PACKAGE...: apt-get as root or through sudo, else the line to run.
apt_install() {
    local line="apt-get install -y --no-install-recommends $*" sudo
    if [ "$(id -u)" = 0 ]; then sudo=""
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
    else
        echo "missing packages: $*" >&2
        echo "install them with:  sudo apt-get update && sudo $line" >&2
        exit 1
    fi
    echo "installing missing packages: $*" >&2
    # shellcheck disable=SC2086 # the line is words
    { $sudo apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive $line -o DPkg::Lock::Timeout=600; } >&2 || {
        echo "apt-get failed; install by hand:  sudo apt-get update && sudo $line" >&2
        exit 1
    }
}

# The first error the compiler gave for library NAME.
first_error() { grep -m 1 -E 'error|cannot find|undefined' "$work/$1.log" || head -n 1 "$work/$1.log"; }

tools() {
    pkgs=()
    command -v gnuplot >/dev/null || pkgs+=(gnuplot-nox)
    if [ "$mode" = bench ]; then
        /usr/bin/python3 -c 'import numpy' 2>/dev/null || pkgs+=(python3-numpy)
        /usr/bin/python3 -c 'import torch' 2>/dev/null || pkgs+=(python3-torch)
        /usr/bin/python3 -c 'import PIL' 2>/dev/null || pkgs+=(python3-pil)
    fi
    [ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
}

case $mode in
plots | bench) tools; exit 0 ;;
check | build) ;;
*) echo "scripts/deps.sh: unknown mode '$mode' (build, check, plots, bench)" >&2; exit 2 ;;
esac
if ! compiler_works; then
    echo "scripts/deps.sh: $CC cannot build a program with the Makefile's flags ($CFLAGS):" \
         "$(first_error compiler)" >&2
    [[ $CC == *clang* ]] && echo "(clang's -fopenmp needs libomp-dev)" >&2
    exit 1
fi
missing
[ "$mode" = check ] && exit $((${#pkgs[@]} > 0))
if [ ${#pkgs[@]} -gt 0 ]; then
    apt_install "${pkgs[@]}"
    missing
    if [ ${#pkgs[@]} -gt 0 ]; then
        for lib in "${libs[@]}"; do
            echo "scripts/deps.sh: ${package[$lib]} is installed but $lib still does not" \
                 "compile and link: $(first_error "$lib")" >&2
        done
        exit 1
    fi
fi
echo "deps: Criterion, zlib, libpng, libjpeg-turbo and OpenBLAS (${openblas_cflags:-its cblas.h on the default path}) compile and link" >&2
echo "# scripts/deps.sh: the flags that reach OpenBLAS's own cblas.h, found with"
echo "# DEPS_CC; make checks again when CC changes or DEPS_FILES are gone."
echo "OPENBLAS_CFLAGS := $openblas_cflags"
echo "DEPS_CC := $CC"
echo "DEPS_FILES := ${openblas_header:-}"
