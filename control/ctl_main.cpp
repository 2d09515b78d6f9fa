// softwire-ctl: the operator CLI. One request per command over softwire-cp's
// unix socket (one JSON line each way). Arguments are validated here first,
// the same way softwire-cp and the configuration loader do, so that a typo
// is reported with the argument's name before anything is sent.
//
// Exit codes: 0 done; 1 refused by softwire-cp or the data plane (or no
// connection); 2 invalid arguments.
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "control/ctl_args.h"
#include "control/json.h"
#include "control/operator_server.h"
#include "control/pcapng.h"

namespace {

using softwire::cp::JsonValue;
using softwire::cp::JsonWriter;

constexpr const char* kDefaultSocket = "/run/softwire/softwire.sock";

int usage(std::ostream& out, int code) {
  out << "usage: softwire-ctl [-s SOCKET | -c CONFIG] [--json] [--timeout S] COMMAND\n"
         "  show status|sessions|sas|counters|drops [--all]\n"
         "  wait-synced [SECONDS]        wait until softwire-cp and the data plane agree\n"
         "  sa add spi=N direction=in|out local=ADDR remote=ADDR proposal=P key=@FILE|key=-\n"
         "         [esn=yes|no] [replay_window=N] [nat_t=yes|no] [local_port=N]\n"
         "         [remote_port=N] [mode=transport|tunnel] [local_ts=P] [remote_ts=P]\n"
         "         [life_bytes=N] [life_packets=N] [soft_life_bytes=N] [soft_life_packets=N]\n"
         "  sa del SPI [direction=in|out]\n"
         "  session add identity=ID sa_in=SPI sa_out=SPI tunnel_id=N session_id=N\n"
         "         peer_tunnel_id=N peer_session_id=N prefixes=P1,P2 [mtu=N] [peer_port=N]\n"
         "  session del IDENTITY\n"
         "  session rekey IDENTITY sa_in=SPI sa_out=SPI [grace=SECONDS]\n"
         "  batch FILE|-                  one command per line (sa/session add/del/rekey)\n"
         "  capture drops [--reason R] [--identity I] [--count N] [--timeout S] --write FILE\n"
         "Key material is never taken from the command line: key=@FILE (hex of key and\n"
         "4-byte salt, as in the configuration) or key=- (standard input).\n"
         "Exit codes: 0 done, 1 refused or unreachable, 2 invalid arguments.\n";
  return code;
}

class Connection {
 public:
  explicit Connection(const std::string& path) : fd_(softwire::cp::connect_operator_socket(path)) {}
  ~Connection() { close(fd_); }

  void send(std::string& line) {
    line.push_back('\n');
    size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = write(fd_, line.data() + done, line.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        explicit_bzero(line.data(), line.size());
        throw std::runtime_error(std::string("lost softwire-cp: ") + std::strerror(errno));
      }
      done += static_cast<size_t>(n);
    }
    explicit_bzero(line.data(), line.size());  // may hold a key
    line.clear();
  }
  // Sends without blocking as much as fits; returns what is left.
  bool writable(int timeout_ms) {
    pollfd p{fd_, POLLOUT, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
  }
  // The next response line, or nullopt at the timeout.
  std::optional<std::string> read_line(int timeout_ms) {
    while (true) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, timeout_ms);
      if (r == 0) return std::nullopt;
      if (r < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::strerror(errno));
      }
      char chunk[65536];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("softwire-cp closed the connection");
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  bool has_buffered_line() const { return buffer_.find('\n') != std::string::npos; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string buffer_;
};

std::string request_line(uint64_t id, const std::vector<std::string>& args, bool json) {
  JsonWriter w;
  w.begin_object().key("id").value(id).key("json").value(json).key("args").begin_array();
  for (const auto& a : args) w.value(a);
  w.end_array().end_object();
  return w.take();
}

// Local checks of a command's arguments (and key=@FILE resolution). Returns
// the error text ("" when fine); `args` is the whole command.
std::string check_command(std::vector<std::string>& args, std::istream& key_input,
                          bool allow_key_stdin) {
  using namespace softwire::cp;
  if (args.size() < 2) return "command: incomplete";
  const std::string& verb = args[0];
  const std::string& sub = args[1];
  const std::vector<std::string> rest(args.begin() + 2, args.end());
  const auto error_of = [](const auto& parsed) -> std::string {
    if (auto* e = std::get_if<std::string>(&parsed)) return *e;
    return "";
  };
  if (verb == "sa" && sub == "add") {
    for (const auto& a : args)
      if (a == "key=-" && !allow_key_stdin)
        return "key: key=- is not available here (standard input holds the commands)";
    std::string warning;
    if (auto e = resolve_key_argument(args, key_input, warning)) return *e;
    if (!warning.empty()) std::cerr << "softwire-ctl: warning: " << warning << "\n";
    std::vector<std::string> resolved(args.begin() + 2, args.end());
    const std::string e = error_of(parse_sa_add(resolved));
    wipe(resolved);
    return e;
  }
  if (verb == "sa" && (sub == "del" || sub == "delete")) return error_of(parse_sa_delete(rest));
  if (verb == "session" && sub == "add") return error_of(parse_session_add(rest));
  if (verb == "session" && (sub == "del" || sub == "delete"))
    return rest.size() == 1 ? "" : "identity: exactly one identity expected";
  if (verb == "session" && sub == "rekey") return error_of(parse_rekey(rest));
  if (verb == "capture" && sub == "drops") return error_of(parse_capture(rest));
  if (verb == "show") {
    static const std::vector<std::string> kShow = {"status", "sessions", "sas", "counters",
                                                   "drops"};
    if (std::find(kShow.begin(), kShow.end(), sub) == kShow.end())
      return "show: \"" + sub + "\" is not one of status|sessions|sas|counters|drops";
    return "";
  }
  return "command: unknown: " + verb + " " + sub;
}

std::string command_name(const std::vector<std::string>& args) {
  std::string name = args.empty() ? "" : args[0];
  if (args.size() > 1 && args[0] != "wait-synced") name += " " + args[1];
  return name;
}

uint16_t linktype_of(unsigned layer) {
  switch (layer) {
    case 1:
      return softwire::cp::kLinktypeEthernet;
    case 2:
      return softwire::cp::kLinktypeRaw;
    case 5:
      return softwire::cp::kLinktypePpp;
    default:
      return softwire::cp::kLinktypeUser0;
  }
}

int write_capture(const JsonValue& result, const std::string& path) {
  const JsonValue* packets = result.find("packets");
  if (packets == nullptr || !packets->is_array()) {
    std::cerr << "softwire-ctl: capture drops: the response has no packets\n";
    return 1;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "softwire-ctl: capture drops: --write: cannot write " << path << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }
  softwire::cp::PcapngWriter writer(out);
  for (const JsonValue& p : packets->array) {
    const auto number = [&](const char* name) -> uint64_t {
      const JsonValue* v = p.find(name);
      return v && v->is_number() ? std::stoull(v->string) : 0;
    };
    const auto text = [&](const char* name) -> std::string {
      const JsonValue* v = p.find(name);
      return v && v->is_string() ? v->string : "";
    };
    const std::string hex = text("data");
    std::vector<uint8_t> bytes(hex.size() / 2);
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    std::string comment = "reason=" + text("reason");
    if (!text("identity").empty()) comment += " identity=" + text("identity");
    writer.write(linktype_of(static_cast<unsigned>(number("layer"))), number("timestamp_ns"),
                 bytes.data(), bytes.size(), number("original_length"), comment);
  }
  out.close();
  if (!out) {
    std::cerr << "softwire-ctl: capture drops: --write: error writing " << path << "\n";
    return 1;
  }
  return 0;
}

// Splits a batch line into words (whitespace; no quoting: identities and
// settings have no spaces).
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

int run_batch(Connection& c, const std::string& source, bool json, double timeout_s) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (source != "-") {
    file.open(source);
    if (!file) {
      std::cerr << "softwire-ctl: batch: cannot read " << source << ": " << std::strerror(errno)
                << "\n";
      return 2;
    }
    in = &file;
  }
  struct Line {
    size_t number;
    std::string command;
  };
  std::vector<Line> lines;
  std::string text;
  size_t number = 0, invalid = 0, adds = 0;
  std::istringstream no_input;
  std::vector<std::string> requests;
  while (std::getline(*in, text)) {
    ++number;
    std::vector<std::string> args = words_of(text);
    softwire::cp::wipe(text);
    if (args.empty() || args[0][0] == '#') continue;
    const std::string e = check_command(args, no_input, false);
    if (!e.empty() || args[0] == "show" || args[0] == "capture") {
      std::cerr << "softwire-ctl: batch: line " << number << ": " << command_name(args) << ": "
                << (e.empty() ? "not allowed in a batch" : e) << "\n";
      ++invalid;
      softwire::cp::wipe(args);
      continue;
    }
    if (args[1] == "add") ++adds;
    lines.push_back({number, command_name(args)});
    requests.push_back(request_line(lines.size() - 1, args, false));
    softwire::cp::wipe(args);
  }
  if (invalid != 0) {
    for (auto& r : requests) softwire::cp::wipe(r);
    std::cerr << "softwire-ctl: batch: " << invalid << " invalid lines; nothing sent\n";
    return 2;
  }
  // Pipelined: up to `window` requests outstanding.
  constexpr size_t kWindow = 4096;
  size_t sent = 0, answered = 0, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  std::string pending;
  while (answered < requests.size()) {
    while (sent < requests.size() && sent - answered < kWindow) {
      pending += requests[sent];
      pending.push_back('\n');
      softwire::cp::wipe(requests[sent]);
      ++sent;
      if (pending.size() > 65536) break;
    }
    if (!pending.empty()) {
      std::string chunk = std::move(pending);
      pending.clear();
      chunk.pop_back();  // send() appends the newline
      c.send(chunk);
    }
    while (answered < sent) {
      const bool more_to_send = sent < requests.size() && sent - answered < kWindow;
      auto line = c.read_line(
          more_to_send && !c.has_buffered_line() ? 0 : static_cast<int>(timeout_s * 1000));
      if (!line) {
        if (more_to_send) break;
        std::cerr << "softwire-ctl: batch: timeout after " << answered << " of " << requests.size()
                  << " replies\n";
        return 1;
      }
      ++answered;
      // softwire-cp writes "ok" second: successes need no parsing.
      if (line->find(",\"ok\":true,") != std::string::npos) continue;
      auto v = softwire::cp::parse_json(*line);
      if (!v) {
        ++failed;
        continue;
      }
      const JsonValue* code = v->find("code");
      if (code && code->is_number() && code->number != 0) {
        ++failed;
        const JsonValue* id = v->find("id");
        const JsonValue* error = v->find("error");
        // The cp echoes our ids (indexes into lines); anything else names no line.
        const bool known = id && id->is_number() && id->number >= 0 &&
                           id->number < static_cast<double>(lines.size());
        const size_t index = known ? static_cast<size_t>(id->number) : lines.size();
        if (index < lines.size())
          std::cerr << "softwire-ctl: batch: line " << lines[index].number << ": "
                    << lines[index].command << ": " << (error ? error->string : "failed") << "\n";
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? double(requests.size()) / seconds : 0;
  const double add_rate = seconds > 0 ? double(adds) / seconds : 0;
  if (json) {
    JsonWriter w;
    w.begin_object().key("commands").value(uint64_t{requests.size()});
    w.key("ok").value(uint64_t{requests.size() - failed}).key("failed").value(uint64_t{failed});
    w.key("adds").value(uint64_t{adds});
    w.key("seconds").value(seconds).key("commands_per_second").value(rate);
    w.key("adds_per_second").value(add_rate).end_object();
    std::cout << w.text() << "\n";
  } else {
    std::cout << requests.size() << " commands: " << requests.size() - failed << " ok, " << failed
              << " failed, in " << seconds << " s (" << static_cast<uint64_t>(rate)
              << " commands/s, " << static_cast<uint64_t>(add_rate)
              << " adds/s, first send to last reply)\n";
  }
  return failed != 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::string socket_path, config_path;
  bool json = false;
  double timeout_s = 60;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (args.empty() && (a == "-s" || a == "--socket") && i + 1 < argc) {
      socket_path = argv[++i];
    } else if (args.empty() && (a == "-c" || a == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (args.empty() && a == "--json") {
      json = true;
    } else if (args.empty() && a == "--timeout" && i + 1 < argc) {
      timeout_s = std::atof(argv[++i]);
      if (!(timeout_s > 0)) {
        std::cerr << "softwire-ctl: --timeout: must be a positive number of seconds\n";
        return 2;
      }
    } else if (args.empty() && (a == "-h" || a == "--help")) {
      return usage(std::cout, 0);
    } else if (a == "--json" && !args.empty() && args[0] == "show") {
      json = true;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return usage(std::cerr, 2);
  if (args[0] == "status") args = {"show", "status"};
  if (socket_path.empty() && !config_path.empty()) {
    try {
      const auto config = softwire::config::load_config_file(config_path);
      if (config.control) socket_path = config.control->socket;
    } catch (const std::exception& e) {
      std::cerr << "softwire-ctl: " << e.what() << "\n";
      return 2;
    }
  }
  if (socket_path.empty()) socket_path = kDefaultSocket;

  const bool batch = args[0] == "batch";
  const bool wait = args[0] == "wait-synced";
  if (batch && args.size() != 2) {
    std::cerr << "softwire-ctl: batch: one FILE (or - for standard input) expected\n";
    return 2;
  }
  std::string capture_file;
  if (!batch && !wait) {
    const std::string e = check_command(args, std::cin, true);
    if (!e.empty()) {
      std::cerr << "softwire-ctl: " << command_name(args) << ": " << e << "\n";
      softwire::cp::wipe(args);
      return 2;
    }
    if (args[0] == "capture") {
      auto parsed = softwire::cp::parse_capture({args.begin() + 2, args.end()});
      const auto& c = std::get<softwire::cp::CaptureArgs>(parsed);
      capture_file = c.write;
      timeout_s = std::max(timeout_s, c.timeout_seconds + 10);
    }
  }
  if (wait && args.size() > 1) timeout_s = std::max(timeout_s, std::atof(args[1].c_str()) + 10);

  try {
    Connection c(socket_path);
    if (batch) return run_batch(c, args[1], json, timeout_s);
    const std::string name = command_name(args);
    std::string line = request_line(1, args, json);
    softwire::cp::wipe(args);
    c.send(line);
    auto response = c.read_line(static_cast<int>(timeout_s * 1000));
    if (!response) {
      std::cerr << "softwire-ctl: " << name << ": no answer from softwire-cp within " << timeout_s
                << " s\n";
      return 1;
    }
    auto v = softwire::cp::parse_json(*response);
    if (!v) {
      std::cerr << "softwire-ctl: " << name << ": unreadable answer from softwire-cp\n";
      return 1;
    }
    const JsonValue* code = v->find("code");
    const int exit_code = code && code->is_number() ? static_cast<int>(code->number) : 1;
    const JsonValue* result = v->find("result");
    if (exit_code != 0) {
      const JsonValue* error = v->find("error");
      std::cerr << "softwire-ctl: " << name << ": " << (error ? error->string : "failed") << "\n";
      if (json && result) std::cout << softwire::cp::to_json(*result) << "\n";
      return exit_code;
    }
    if (!capture_file.empty() && result) {
      if (int rc = write_capture(*result, capture_file); rc != 0) return rc;
    }
    if (json) {
      std::cout << (result ? softwire::cp::to_json(*result) : *response) << "\n";
    } else if (const JsonValue* text = v->find("text"); text && !text->string.empty()) {
      std::cout << text->string << (text->string.back() == '\n' ? "" : "\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "softwire-ctl: " << e.what() << "\n";
    return 1;
  }
}
