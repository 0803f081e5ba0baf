#!/usr/bin/env bash
# make fresh-check: the README's quick start, word for word, on fresh Debian machines.
#
# For each root it builds a minimal Debian with mmdebstrap (variant apt, plus
# only make, gcc, libc6-dev, git and ca-certificates), clones the committed
# HEAD into it and runs there, with chroot and an empty environment:
#   1. make test                              network open: the Makefile installs what it needs
#   2. make train TRAIN_FLAGS="--epochs 1"    network closed (an empty network namespace)
# Roots: "plain", and "libblas", which also has libblas-dev (Debian's reference
# BLAS, whose cblas.h once passed for OpenBLAS's), chosen by hand as the
# system BLAS (update-alternatives --set), so that the default cblas.h stays
# the reference one after OpenBLAS is installed and the build must find
# OpenBLAS's own header. A root fails when a command fails, when the build
# prints a warning, when make test's first line does not name the backends,
# when the test summary shows a failure or no test, or when the epoch ends
# under 96% test accuracy.
# The step that failed is named, with the end of its log; all logs are in
# OUT_DIR (default build/fresh-check). Each root is unmounted and removed at
# the end, whatever happened.
#
# Needs root, mmdebstrap and unshare (util-linux). FRESH_ROOTS picks roots,
# FRESH_SUITE the release (bookworm), FRESH_MIRROR a Debian mirror (default:
# mmdebstrap's own), FRESH_TMP where roots are made (default /var/tmp).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$PWD
out=${OUT_DIR:-build/fresh-check}
roots=${FRESH_ROOTS:-plain libblas}
suite=${FRESH_SUITE:-bookworm}
base_pkgs=make,gcc,libc6-dev,git,ca-certificates
test_cmd='make test'
train_cmd='make train TRAIN_FLAGS="--epochs 1"'
min_acc=96.0

say() { echo "fresh-check: $*"; }
die() { echo "fresh-check: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (it builds Debian roots and chroots into them)"
for tool in mmdebstrap unshare chroot; do
    command -v $tool >/dev/null || die "$tool not found (apt-get install -y mmdebstrap util-linux)"
done
# The quick start must say exactly what this check runs (a line of its own,
# indented as code, a comment after it allowed).
for cmd in "$test_cmd" "$train_cmd"; do
    awk -v c="    $cmd" 'index($0, c) == 1 && substr($0, length(c) + 1) ~ /^( +#.*)?$/ { f = 1 }
                         END { exit !f }' README.md ||
        die "README.md's quick start has no line '    $cmd': keep the two in step"
done
head=$(git -c safe.directory="$top" rev-parse HEAD) || die "$top is not a git checkout git can read"
[ -z "$(git -c safe.directory="$top" status --porcelain --untracked-files=no)" ] ||
    say "note: uncommitted changes are not checked (the roots get a clone of HEAD, ${head:0:10})"
mkdir -p "$out"
out=$(cd "$out" && pwd)

tmp=${FRESH_TMP:-/var/tmp}
[[ $tmp != *[[:space:]]* ]] || die "FRESH_TMP=$tmp: a folder without spaces, please"

# Mount points under ROOT, deepest first.
mounts_under() { awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r; }
# cleanup: unmounts and removes the roots made so far; fails when one stays.
made=()
cleanup() {
    local root m status=0
    for root in "${made[@]}"; do
        for m in $(mounts_under "$root"); do umount "$m" 2>/dev/null || umount -l "$m"; done
        if [ -n "$(mounts_under "$root")" ]; then
            echo "fresh-check: $root: still mounted, not removed" >&2
            status=1
        else
            rm -rf --one-file-system "$root" || status=1
        fi
    done
    made=()
    return $status
}
trap 'cleanup || exit 1' EXIT
trap 'exit 130' INT TERM

# in_root ROOT CMD [offline]: CMD in ROOT's /root/cnn with an empty
# environment; offline: in a network namespace of its own, which holds only a
# loopback device, down.
in_root() {
    local net=()
    [ "${3:-}" = offline ] && net=(unshare --net)
    "${net[@]}" chroot "$1" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/cnn && $2"
}
# step NAME LOG CMD...: runs CMD into LOG, timed; on failure names the step.
step() {
    local name=$1 log=$2 start=$SECONDS status
    shift 2
    "$@" >"$log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        say "$name: ok ($((SECONDS - start)) s)"
        return 0
    fi
    echo "fresh-check: $name: FAILED (exit $status, $((SECONDS - start)) s); the end of $log:" >&2
    tail -n 25 "$log" >&2
    return 1
}
# clone_head DIR: a clone of this repository at HEAD's commit, whatever
# branch (or none) HEAD is on.
# shellcheck disable=SC2317 # called through step
clone_head() {
    git -c safe.directory="$top" clone -q --no-hardlinks --no-checkout "$top" "$1" &&
        git -C "$1" checkout -q --detach "$head"
}
# Warnings in the LOGs: the compiler's, the linker's, make's (apt's and
# dpkg's own notes aside).
warnings() { grep -hE '(^|: )warning: ' "$@" | grep -vE '^(dpkg|debconf|update-alternatives|W):'; }

# check_root NAME EXTRA_PKGS [MMDEBSTRAP_FLAG...]: one root, start to end;
# sets result to its figures.
check_root() {
    local name=$1 pkgs=$base_pkgs${2:+,$2} root log=$out/$1
    shift 2
    root=$(mktemp -d "$tmp/cnn-fresh-$name.XXXXXX") || return 1
    made+=("$root")
    # shellcheck disable=SC2086 # the mirror is one word or none
    step "$name: mmdebstrap $suite (+ $pkgs)" "$log-mmdebstrap.log" \
        mmdebstrap --variant=apt --include="$pkgs" "$@" "$suite" "$root" ${FRESH_MIRROR:-} ||
        return 1
    step "$name: clone HEAD (${head:0:10})" "$log-clone.log" clone_head "$root/root/cnn" || return 1
    if ! mount -t proc proc "$root/proc" || ! mount -t sysfs -o ro sysfs "$root/sys"; then
        echo "fresh-check: $name: cannot mount proc and sysfs in the root" >&2
        return 1
    fi

    step "$name: $test_cmd" "$log-test.log" in_root "$root" "$test_cmd" || return 1
    local summary
    summary=$(grep -o 'Tested: [0-9]* | Passing: [0-9]* | Failing: [0-9]* | Crashing: [0-9]*' \
        "$log-test.log" | tail -n 1)
    local first
    first=$(head -n 1 "$log-test.log")
    say "$name: $first"
    [[ $first == "make test: this build's backends: "* ]] ||
        { echo "fresh-check: $name: make test's first line does not name the backends" >&2; return 1; }
    say "$name: test summary: ${summary:-none}"
    result="$summary"
    local tested passing
    read -r tested passing < <(sed -n 's/Tested: \([0-9]*\) | Passing: \([0-9]*\).*/\1 \2/p' \
        <<<"$summary")
    if [[ ${tested:-0} -eq 0 || $passing != "$tested" || $summary != *"Failing: 0 | Crashing: 0" ]]
    then
        echo "fresh-check: $name: the test summary is missing or shows failures" >&2
        return 1
    fi

    # grep -v prints any device but lo: status 1 is "none", 2 a failed read
    in_root "$root" 'grep -vE "^ *(Inter-|face|lo:)" /proc/net/dev; [ $? -eq 1 ]' offline ||
        { echo "fresh-check: $name: the offline namespace is not empty" >&2; return 1; }
    step "$name: $train_cmd (offline)" "$log-train.log" in_root "$root" "$train_cmd" offline ||
        return 1
    local acc
    acc=$(tail -n 1 "$log-train.log" | sed -n 's/.*"test_acc":\([0-9.]*\).*/\1/p')
    say "$name: offline, 1 epoch: ${acc:-no}% test accuracy (>= $min_acc% needed)"
    awk -v a="${acc:-0}" -v m="$min_acc" 'BEGIN { exit !(a + 0 >= m) }' || return 1
    result="$result; offline, 1 epoch: $acc%"

    if warnings "$log-test.log" "$log-train.log" >"$log-warnings.log"; then
        echo "fresh-check: $name: the build printed warnings:" >&2
        cat "$log-warnings.log" >&2
        return 1
    fi
    say "$name: no compiler or linker warning"
}

failed=0
rows=()
for name in $roots; do
    case $name in
    plain) args=("") ;;
    libblas)
        ma=$(gcc -print-multiarch)
        args=(libblas-dev "--customize-hook=chroot \"\$1\" update-alternatives --set libblas.so-$ma /usr/lib/$ma/blas/libblas.so") ;;
    *) die "unknown root '$name' (plain, libblas)" ;;
    esac
    result=
    if check_root "$name" "${args[@]}"; then rows+=("$name: passed ($result)")
    else rows+=("$name: FAILED${result:+ ($result)}"); failed=1; fi
    cleanup || failed=1
done
printf 'fresh-check: %s\n' "${rows[@]}"
exit $failed
