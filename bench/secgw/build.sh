#!/usr/bin/env bash
# Build DPDK's ipsec-secgw example (Debian dpdk-doc, DPDK 22.11) out of tree,
# with bench/secgw/rx-offload.patch applied. Idempotent: the sources are
# re-copied and re-patched only when the example sources or the patch change,
# and make rebuilds only what is stale.
#
# Usage: bench/secgw/build.sh            (BUILD_DIR defaults to build/secgw)
#        BUILD_DIR=/tmp/secgw bench/secgw/build.sh
# Prints the path of the built binary on the last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
SRC_DIR="${SECGW_SRC:-/usr/share/dpdk/examples/ipsec-secgw}"
BUILD_DIR="${BUILD_DIR:-$repo/build/secgw}"
PATCH="$here/rx-offload.patch"

[[ -f "$SRC_DIR/ipsec-secgw.c" ]] || {
	echo "build.sh: $SRC_DIR not found (apt-get install dpdk-doc)" >&2; exit 1; }
pkg-config --exists libdpdk || {
	echo "build.sh: pkg-config libdpdk not found (apt-get install libdpdk-dev)" >&2; exit 1; }

mkdir -p "$BUILD_DIR"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"
case "$BUILD_DIR/" in
	"$SRC_DIR"/*) echo "build.sh: BUILD_DIR must be outside $SRC_DIR" >&2; exit 1 ;;
esac

# Stamp: hash of the pristine example sources, the patch and the DPDK version.
stamp="$( (cd "$SRC_DIR" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
	sha256sum < "$PATCH"; pkg-config --modversion libdpdk)"
stamp="$(printf '%s' "$stamp" | sha256sum | cut -d' ' -f1)"

src="$BUILD_DIR/src"
if [[ ! -f "$BUILD_DIR/.stamp" || "$(cat "$BUILD_DIR/.stamp")" != "$stamp" ]]; then
	rm -rf "$src" "$BUILD_DIR/.stamp"
	mkdir -p "$src"
	cp -a "$SRC_DIR"/. "$src"/
	chmod -R u+w "$src"
	patch -d "$src" -p1 --forward --quiet < "$PATCH"
	echo "$stamp" > "$BUILD_DIR/.stamp"
	echo "build.sh: copied and patched $SRC_DIR -> $src" >&2
fi

make -C "$src" -j"$(nproc)" shared >&2
bin="$src/build/ipsec-secgw"
[[ -x "$bin" ]] || { echo "build.sh: $bin missing" >&2; exit 1; }
echo "$bin"
