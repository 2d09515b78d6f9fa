#!/usr/bin/env bash
# The main job: builds softwire, then
#   1. measures the AES-GCM batch engine against raw intel-ipsec-mb (burst 32);
#   2. generates softwire traffic from several SIs with scapy: IPv6-over-IPv4,
#      IPv4-over-IPv6, NAT-T tunnel mode, plus spoofed, replayed and forged
#      packets and control traffic;
#   3. decodes that capture layer by layer with the protocol codecs;
#   4. runs softwire-dp on DPDK virtual devices (net_pcap) over it and prints
#      what was forwarded and why the rest was dropped, then checks every
#      output and counter against the generator's independent expectations;
#   6. runs softwire-dp in control mode with softwire-cp live (net_af_packet in
#      a network namespace): softwire-ctl adds a subscriber while its traffic
#      arrives, an LCP keepalive is answered, counters and a Prometheus scrape.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$SOFTWIRE_ROOT"

ensure_packages
build_release >/dev/null
echo "== built: $(ls build/dataplane/softwire-dp build/dataplane/softwire-decode build/control/softwire-cp build/control/softwire-ctl | tr '\n' ' ')"

out="$SOFTWIRE_ROOT/demo-out"
rm -rf "$out" && mkdir -p "$out"

echo
echo "== 1. crypto engine: AES-128-GCM, one burst of 32 per call, vs one job per call (single)"
build/bench/crypto/crypto_bench --benchmark_min_time=0.05 \
  --benchmark_filter='^(engine/(enc|dec)/aes128/(64|512|1420)/32|single/(enc|dec)/aes128/(64|512|1420))$' \
  2>/dev/null | grep -E "^(Benchmark|engine|single|-)" || true

echo
echo "== 2. generating softwire traffic (scapy) into $out"
/usr/bin/python3 scripts/softwire_traffic.py demo --out "$out"

echo
echo "== 3. the codecs decoding the SI capture (softwire-decode, keys from the configuration)"
for pcap in "$out"/si*.pcap; do
  build/dataplane/softwire-decode -c "$out/softwire.conf" "$pcap" > "$out/decode.txt"
  head -n 12 "$out/decode.txt"
  echo "   ..."
  tail -n 1 "$out/decode.txt"
done

echo
echo "== 4. softwire-dp on net_pcap virtual devices"
(cd "$out" && "$SOFTWIRE_ROOT/build/dataplane/softwire-dp" -c softwire.conf --run-for 3 \
   --stats-json stats.json -- --no-huge -m 512 --no-shconf --file-prefix softwire-demo \
   --no-pci -l 0,1 --log-level='*:warning')
echo
/usr/bin/python3 scripts/show_stats.py "$out/stats.json"

echo
echo "== 5. every output and counter against the generator's expectations"
if /usr/bin/python3 scripts/softwire_traffic.py check "$out"; then
  echo "all outputs and counters match"
else
  echo "MISMATCH (see above)"; exit 1
fi

echo
echo "== 6. control plane: softwire-cp and softwire-ctl with softwire-dp, live"
/usr/bin/python3 scripts/demo_control.py build "$out/control"
