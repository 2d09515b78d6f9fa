# Shared by demo.sh, test.sh and bench/run.sh: package installation and builds.
# Sourced, not executed.

SOFTWIRE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything comes from Debian 12's archive.
SOFTWIRE_PACKAGES=(
  g++ clang libclang-rt-14-dev meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libconfig++-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-scapy python3-cryptography tshark iproute2 procps libpcap-dev
  prometheus
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what is missing; runs `apt-get update` only when something is.
ensure_packages() {
  local missing=() p
  for p in "${SOFTWIRE_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# build_dir DIR [meson options...]: configure once, then build incrementally.
build_dir() {
  local dir=$1; shift
  if [ ! -f "$SOFTWIRE_ROOT/$dir/build.ninja" ]; then
    meson setup "$SOFTWIRE_ROOT/$dir" "$SOFTWIRE_ROOT" "$@"
  fi
  ninja -C "$SOFTWIRE_ROOT/$dir"
}

# The release build that the demo, the tests and the benchmarks share.
build_release() {
  build_dir build --buildtype=release
}

# clang with ASan and UBSan (any UB report is fatal) plus the libFuzzer harnesses.
build_sanitized() {
  CC=clang CXX=clang++ build_dir build-san --buildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true \
    -Dcpp_args=-fno-sanitize-recover=all -Dc_args=-fno-sanitize-recover=all \
    -Dbenchmarks=false
}
