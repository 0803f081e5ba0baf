#!/usr/bin/env bash
# fetch_mnist.sh [DEST_DIR]: puts the four MNIST .gz files into DEST_DIR (default data/mnist),
# each checked against data/mnist.sha256.
#
# A file already in DEST_DIR with the right checksum is kept. Others come from MNIST_MIRROR
# when it is set (a local folder, or a URL prefix), else from the public mirrors in turn.
# Downloads go to a temporary file in DEST_DIR, renamed only once the checksum matches.
# On success DEST_DIR/.verified is written. All messages go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${1:-data/mnist}
mirror=${MNIST_MIRROR:-}
public_mirrors=(
    https://ossci-datasets.s3.amazonaws.com/mnist
    https://storage.googleapis.com/cvdf-datasets/mnist
    http://yann.lecun.com/exdb/mnist
)

say() { echo "fetch_mnist: $*" >&2; }
die() { say "$*"; exit 1; }

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi |
        cut -d' ' -f1
}

# download URL OUT: short connect timeout, so that an offline machine fails in seconds.
download() {
    if command -v curl >/dev/null 2>&1; then
        curl --connect-timeout 10 --max-time 300 -fsSL -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q --timeout=10 --tries=1 -O "$2" "$1"
    else
        echo "neither curl nor wget is installed"
        return 1
    fi
}

if [[ -n $mirror && ! -d $mirror && $mirror != *://* ]]; then
    die "MNIST_MIRROR=$mirror is neither a folder nor a URL"
fi
mkdir -p "$dest" || die "cannot create $dest"
rm -f "$dest/.verified" # written again only once all four files check out

tmp=
trap '[[ -n $tmp ]] && rm -f "$tmp"' EXIT

while read -r want file; do
    [[ -z $want || $want == \#* ]] && continue
    out=$dest/$file
    if [[ -f $out ]]; then
        have=$(sha256 "$out")
        if [[ $have == "$want" ]]; then
            say "$file: ok (already in $dest)"
            continue
        fi
        say "$file: wrong checksum in $dest (sha256 $have), fetching it again"
    fi

    tmp=$(mktemp "$dest/.$file.XXXXXX")
    if [[ -d $mirror ]]; then
        [[ -f $mirror/$file ]] || die "MNIST_MIRROR=$mirror holds no $file"
        cp "$mirror/$file" "$tmp" || die "cannot copy $mirror/$file"
        sources=("$mirror/$file")
    elif [[ -n $mirror ]]; then
        msg=$(download "$mirror/$file" "$tmp" 2>&1) ||
            die "could not download $mirror/$file: ${msg:-failed}"
        sources=("$mirror/$file")
    else
        # Public mirrors in turn; one with a wrong file does not stop the next.
        sources=()
        for m in "${public_mirrors[@]}"; do
            if msg=$(download "$m/$file" "$tmp" 2>&1); then
                [[ $(sha256 "$tmp") == "$want" ]] && { sources=("$m/$file"); break; }
                say "$m/$file: wrong checksum (sha256 $(sha256 "$tmp"), want $want)"
            else
                say "$m/$file: ${msg:-failed}"
            fi
        done
        [[ ${#sources[@]} -gt 0 ]] || die "could not download $file from any mirror (offline?)." \
            "Put the four MNIST .gz files in a folder and run: MNIST_MIRROR=/path/to/folder make data"
    fi

    have=$(sha256 "$tmp")
    [[ $have == "$want" ]] ||
        die "$file from ${sources[0]}: wrong checksum: sha256 $have, want $want"
    chmod 644 "$tmp" # mktemp made it private
    mv -f "$tmp" "$out"
    tmp=
    say "$file: ok (from ${sources[0]})"
done <"$here/mnist.sha256"

touch "$dest/.verified"
