#!/usr/bin/env bash
# Packs what the build and the tests need besides the C compiler and the
# CUDA toolkit (Criterion, OpenBLAS, zlib, libpng, libjpeg: headers and shared libraries, with
# the libraries they pull in) into build/device-deps.tar.xz, for a GPU machine
# that has no package registry: carry that file, and scripts/device-check.sh
# unpacks it when the machine lacks the packages. Run it after `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/device-deps
rm -rf "$out" && mkdir -p "$out/include" "$out/lib"

cp -r /usr/include/criterion "$out/include/"
[ -d /usr/include/boxfort ] && cp -r /usr/include/boxfort "$out/include/" || true
for h in zlib.h zconf.h png.h pngconf.h pnglibconf.h jpeglib.h jerror.h jmorecfg.h; do
    cp -L "/usr/include/$h" "$out/include/"
done
# jconfig.h sits in the multiarch folder on Debian
cp -L "$(ls /usr/include/"$(cc -print-multiarch)"/jconfig.h /usr/include/jconfig.h 2>/dev/null |
         head -n 1)" "$out/include/"
# OpenBLAS's own header, from the folder scripts/deps.sh finds it in (the
# compiler's default path when that flag is empty)
blas_inc=$(bash scripts/deps.sh build 2>/dev/null | sed -n 's/^OPENBLAS_CFLAGS := -I//p')
blas_inc=${blas_inc:-/usr/include/$(cc -print-multiarch)}
for h in cblas.h openblas_config.h; do cp -L "$blas_inc/$h" "$out/include/"; done

# Every shared library the test binaries load, less the C runtime and CUDA's.
bins=(build/cnn build/test-cpu)
[ -f build/test-gpu ] && bins+=(build/test-gpu)
ldd "${bins[@]}" | awk '/=>/ {print $3}' | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
        libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|libresolv.so*|ld-linux*) ;;
        libstdc++.so*|libgcc_s.so*|libcuda*|libcublas*) ;;
        *) cp -L "$lib" "$out/lib/" ;;
    esac
done
# the names the linker looks for
ln -sf libcriterion.so.3 "$out/lib/libcriterion.so"
ln -sf libopenblas.so.0 "$out/lib/libopenblas.so"
ln -sf libz.so.1 "$out/lib/libz.so"
ln -sf libpng16.so.16 "$out/lib/libpng.so"
ln -sf libjpeg.so.62 "$out/lib/libjpeg.so"
ln -sf libgomp.so.1 "$out/lib/libgomp.so"
tar -C build -cJf build/device-deps.tar.xz device-deps
du -h build/device-deps.tar.xz
