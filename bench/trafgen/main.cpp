// softwire-trafgen: writes pcaps of SI (up) or core (down) traffic for N
// sessions, and the softwire configuration that accepts them, for throughput
// benchmarks that replay the pcap with net_pcap's infinite_rx.
#include <pcap/pcap.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config_writer.h"
#include "frames.h"
#include "plan.h"

namespace softwire::trafgen {
namespace {

constexpr const char* kUsage =
    R"(usage: softwire-trafgen --out-pcap FILE [--out-config FILE] [options]

Writes softwire benchmark traffic (Ethernet pcap) and the matching softwire
configuration. Packet i belongs to session i % sessions; session i uses SA
pair i % sas.

  --direction up|down   up (default): SI -> SC frames for the access port:
                        Ethernet / outer IP / ESP transport (AES-GCM, RFC 4106,
                        IV = 64-bit sequence number, sequence numbers 1, 2, ...
                        per SA) / UDP 1701->1701 / L2TPv2 data / PPP ff03 /
                        inner IP / UDP 5001->5001.
                        down: core -> SC frames for the core port: Ethernet /
                        inner IP / UDP to the session's address.
  --sessions N          sessions, 1..2097151 (default 1)
  --sas K               SA pairs, 1..sessions (default 1)
  --packets P           packets (default max(sessions, 1024))
  --inner-size B        inner IP packet bytes, 28 (v4) or 48 (v6) .. 1500
                        (default 512); UDP payload bytes are 0, 1, 2, ...
  --inner v4|v6         inner IP version (default v6)
  --outer v4|v6         outer IP version of the SAs (default v4)
  --proposal aes128gcm16|aes256gcm16   (default aes128gcm16)
  --out-pcap FILE       the pcap to write (required)
  --out-config FILE     the softwire configuration to write: access port
                        net_pcap0,rx_pcap=FILE,infinite_rx=1 and core net_null0
                        (up), or core net_pcap1,... and access net_null1 (down);
                        rx_pcap is repeated once per worker (one RX queue each)
  --workers L           comma-separated worker lcores for the config (default 1)
  --eal ARG             an EAL argument for the config; repeat for several
                        (default none: the harness passes them after --)
  --seed S              seed of the SA keys (default 1)
  --help

Addresses: access 198.51.100.1/24 and 2001:db8:a::1/64 (mac 02:00:00:00:00:02,
gateway 02:00:00:00:00:01); core 203.0.113.1/24 and 2001:db8:c::1/64 (mac
02:00:00:00:01:02, gateway 02:00:00:00:01:01). SA pair k: SI 100.64.0.0 + k + 1
or 2001:db8:f::(k + 1), SPIs 0x10000000 + k (in) and 0x20000000 + k (out).
Session i: 2001:db8:8000::/33 + i as a /64 and 10.0.0.0 + 4i /30, SI host
address = prefix + 1; tunnel id 1 + i / 65535, session id 1 + i % 65535.
Inner far end: 198.18.0.1 or 2001:2::1.
)";

[[noreturn]] void usage_error(const std::string& what) {
  throw std::invalid_argument(what + " (see --help)");
}

uint64_t parse_number(std::string_view name, const char* text, uint64_t min, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
    usage_error(std::string(name) + ": expected an integer in " + std::to_string(min) + ".." +
                std::to_string(max) + ", got \"" + text + "\"");
  }
  return v;
}

Family parse_family(std::string_view name, std::string_view v) {
  if (v == "v4") return Family::kV4;
  if (v == "v6") return Family::kV6;
  usage_error(std::string(name) + ": expected v4 or v6");
}

struct Command {
  Options options;
  bool help = false;
  std::string line;  // for the configuration's header comment
};

Command parse(int argc, char** argv) {
  Command cmd;
  Options& o = cmd.options;
  bool sas_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 1) cmd.line += ' ';
    cmd.line.append(arg);
    if (arg == "--help" || arg == "-h") {
      cmd.help = true;
      continue;
    }
    if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value or is unknown");
    const char* value = argv[++i];
    cmd.line += ' ';
    cmd.line.append(value);
    const std::string_view v = value;
    if (arg == "--sessions") {
      o.sessions = static_cast<uint32_t>(parse_number(arg, value, 1, kMaxSessions));
    } else if (arg == "--sas") {
      o.sas = static_cast<uint32_t>(parse_number(arg, value, 1, kMaxSas));
      sas_given = true;
    } else if (arg == "--packets") {
      o.packets = parse_number(arg, value, 1, 4000000000ull);
    } else if (arg == "--inner-size") {
      o.inner_size = static_cast<uint32_t>(parse_number(arg, value, 28, kMaxInnerSize));
    } else if (arg == "--inner") {
      o.inner = parse_family(arg, v);
    } else if (arg == "--outer") {
      o.outer = parse_family(arg, v);
    } else if (arg == "--proposal") {
      if (v != "aes128gcm16" && v != "aes256gcm16") {
        usage_error("--proposal: expected aes128gcm16 or aes256gcm16");
      }
      o.aes256 = v == "aes256gcm16";
    } else if (arg == "--direction") {
      if (v != "up" && v != "down") usage_error("--direction: expected up or down");
      o.direction = v == "up" ? Direction::kUp : Direction::kDown;
    } else if (arg == "--out-pcap") {
      o.out_pcap = value;
    } else if (arg == "--out-config") {
      o.out_config = value;
    } else if (arg == "--workers") {
      o.workers.clear();
      std::string list(v);
      size_t start = 0;
      while (start <= list.size()) {
        const size_t comma = std::min(list.find(',', start), list.size());
        const std::string item = list.substr(start, comma - start);
        const auto lcore = static_cast<unsigned>(parse_number(arg, item.c_str(), 0, 127));
        for (unsigned w : o.workers) {
          if (w == lcore) usage_error("--workers: lcore " + item + " is listed twice");
        }
        o.workers.push_back(lcore);
        start = comma + 1;
      }
    } else if (arg == "--eal") {
      o.eal.emplace_back(value);
    } else if (arg == "--seed") {
      o.seed = parse_number(arg, value, 0, UINT64_MAX);
    } else {
      usage_error("unknown option " + std::string(arg));
    }
  }
  if (cmd.help) return cmd;
  if (o.out_pcap.empty()) usage_error("--out-pcap is required");
  if (sas_given && o.sas > o.sessions) usage_error("--sas: more SA pairs than sessions");
  const uint32_t min_inner = o.inner == Family::kV4 ? 28 : 48;
  if (o.inner_size < min_inner) {
    usage_error("--inner-size: an inner " + std::string(o.inner == Family::kV4 ? "IPv4" : "IPv6") +
                "/UDP packet needs at least " + std::to_string(min_inner) + " bytes");
  }
  return cmd;
}

struct Totals {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

Totals write_pcap(const Options& o) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  if (dead == nullptr) throw std::runtime_error("pcap_open_dead failed");
  std::FILE* file = std::fopen(o.out_pcap.c_str(), "wb");
  if (file == nullptr) {
    pcap_close(dead);
    throw std::runtime_error(o.out_pcap + ": " + std::strerror(errno));
  }
  std::vector<char> buffer(16u << 20);  // outlives the dumper that uses it
  std::setvbuf(file, buffer.data(), _IOFBF, buffer.size());
  pcap_dumper_t* dumper = pcap_dump_fopen(dead, file);
  if (dumper == nullptr) {
    const std::string err = pcap_geterr(dead);
    std::fclose(file);
    pcap_close(dead);
    throw std::runtime_error(o.out_pcap + ": " + err);
  }

  FrameBuilder builder(o);
  Totals totals;
  const uint64_t count = packet_count(o);
  pcap_pkthdr header{};
  for (uint64_t i = 0; i < count; ++i) {
    const std::span<const uint8_t> frame = builder.build(i);
    // One microsecond apart, from a fixed epoch: the files are reproducible.
    header.ts.tv_sec = static_cast<time_t>(1700000000 + i / 1000000);
    header.ts.tv_usec = static_cast<suseconds_t>(i % 1000000);
    header.caplen = header.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.data());
    totals.bytes += frame.size();
  }
  totals.packets = count;
  const bool failed = pcap_dump_flush(dumper) != 0 || std::ferror(file) != 0;
  pcap_dump_close(dumper);  // closes `file`
  pcap_close(dead);
  if (failed) throw std::runtime_error(o.out_pcap + ": write error");
  return totals;
}

int run(int argc, char** argv) {
  const Command cmd = parse(argc, argv);
  if (cmd.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const Options& o = cmd.options;
  const std::string pcap_path = std::filesystem::absolute(o.out_pcap).lexically_normal().string();
  if (pcap_path.find(',') != std::string::npos) {
    usage_error("--out-pcap: a DPDK device string cannot hold a path with a comma");
  }

  const auto start = std::chrono::steady_clock::now();
  if (!o.out_config.empty()) write_config(o, o.out_config, pcap_path, cmd.line);
  const auto config_done = std::chrono::steady_clock::now();
  const Totals totals = write_pcap(o);
  const auto done = std::chrono::steady_clock::now();

  const double config_s = std::chrono::duration<double>(config_done - start).count();
  const double pcap_s = std::chrono::duration<double>(done - config_done).count();
  std::fprintf(stderr,
               "softwire-trafgen: %llu packets, %llu frame bytes in %.3f s (%.2f Mpps, %.2f "
               "Gbit/s); config %.3f s\n",
               static_cast<unsigned long long>(totals.packets),
               static_cast<unsigned long long>(totals.bytes), pcap_s,
               pcap_s > 0 ? static_cast<double>(totals.packets) / pcap_s / 1e6 : 0.0,
               pcap_s > 0 ? static_cast<double>(totals.bytes) * 8 / pcap_s / 1e9 : 0.0, config_s);
  return 0;
}

}  // namespace
}  // namespace softwire::trafgen

int main(int argc, char** argv) {
  try {
    return softwire::trafgen::run(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "softwire-trafgen: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "softwire-trafgen: %s\n", e.what());
    return 1;
  }
}
