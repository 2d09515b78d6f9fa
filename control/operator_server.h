// softwire-cp's operator socket: a unix stream socket (mode 0660, removed at
// exit) that takes one request per line and answers each with one line (the
// JSON response). Requests are handed to a handler that may answer later
// (when the data plane replied); answers to a client that went away are
// dropped. Request lines may hold key material (sa add): their buffers are
// wiped after use. Single-threaded: the cp's main loop drives poll().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace softwire::cp {

class OperatorServer {
 public:
  // Sends one response line (without the newline) to the client that asked.
  using Respond = std::function<void(const std::string& line)>;
  // `line` is wiped by the server when the handler returns.
  using Handler = std::function<void(std::string& line, Respond respond)>;

  // Refuses (std::runtime_error) when another process answers on `path` or
  // `path` is something else than a socket; removes a stale socket.
  OperatorServer(std::string path, Handler handler);
  ~OperatorServer();
  OperatorServer(const OperatorServer&) = delete;
  OperatorServer& operator=(const OperatorServer&) = delete;

  // Waits up to timeout_us for the socket or `extra_fd` (-1: none), serves
  // what is ready. Returns true when extra_fd is readable.
  bool poll(uint64_t timeout_us, int extra_fd = -1);

  // Writes queued answers (poll() does too); call after answering from
  // elsewhere than a handler.
  void flush();

  size_t clients() const { return clients_.size(); }
  const std::string& path() const { return path_; }

  static constexpr size_t kMaxLine = 1 << 20;
  static constexpr size_t kMaxClients = 64;
  static constexpr size_t kFlushBytes = 1 << 16;

 private:
  struct Client {
    int fd = -1;
    std::string in;
    std::string out;
    bool closing = false;      // peer closed its side: close once answered and written
    uint32_t outstanding = 0;  // requests not answered yet
  };

  void accept_clients();
  void read_client(uint64_t id, Client& client);
  bool write_client(Client& client);
  void close_client(uint64_t id);
  void send(uint64_t id, const std::string& line);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Client> clients_;
  // Responses may arrive after the server is gone (a callback queued in the
  // controller): they check this flag through a shared pointer.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// softwire-ctl: connects to `path`; throws std::runtime_error saying why not.
int connect_operator_socket(const std::string& path);

}  // namespace softwire::cp
