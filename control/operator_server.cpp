#include "control/operator_server.h"

#include <fcntl.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace softwire::cp {

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path)
    throw std::runtime_error("socket path too long (at most 107 characters): " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

void wipe_string(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
}

}  // namespace

int connect_operator_socket(const std::string& path) {
  const sockaddr_un a = address_of(path);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(errno_text("socket"));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const std::string e = errno_text("cannot connect to softwire-cp at " + path);
    close(fd);
    throw std::runtime_error(e);
  }
  return fd;
}

OperatorServer::OperatorServer(std::string path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {
  const sockaddr_un a = address_of(path_);
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error(path_ + " exists and is not a socket; refusing to replace it");
    try {
      const int fd = connect_operator_socket(path_);
      close(fd);
      throw std::logic_error("alive");
    } catch (const std::logic_error&) {
      throw std::runtime_error("another softwire-cp answers on " + path_);
    } catch (const std::runtime_error&) {
      unlink(path_.c_str());  // stale: nobody listens
    }
  }
  const size_t slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path_.substr(0, slash);
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
      throw std::runtime_error(errno_text("cannot create " + dir));
  }
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw std::runtime_error(errno_text("socket"));
  // 0660 from the start: no window in which others could connect.
  const mode_t old_mask = umask(0117);
  const int bound = bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  umask(old_mask);
  if (bound != 0 || chmod(path_.c_str(), 0660) != 0 || listen(listen_fd_, 64) != 0) {
    const std::string e = errno_text("cannot listen on " + path_);
    close(listen_fd_);
    throw std::runtime_error(e);
  }
}

OperatorServer::~OperatorServer() {
  *alive_ = false;
  for (auto& [id, c] : clients_) {
    wipe_string(c.in);
    close(c.fd);
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
}

void OperatorServer::accept_clients() {
  while (true) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (clients_.size() >= kMaxClients) {
      static const char kBusy[] = "{\"ok\":false,\"code\":1,\"error\":\"too many clients\"}\n";
      (void)!write(fd, kBusy, sizeof kBusy - 1);
      close(fd);
      continue;
    }
    clients_[next_id_++].fd = fd;
  }
}

void OperatorServer::send(uint64_t id, const std::string& line) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  if (it->second.outstanding > 0) --it->second.outstanding;
  it->second.out += line;
  it->second.out += '\n';
  // Written at the next poll(): answers that arrive together leave in one
  // system call (a batch gets thousands per loop).
  if (it->second.out.size() >= kFlushBytes) write_client(it->second);
}

bool OperatorServer::write_client(Client& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      return false;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  return true;
}

void OperatorServer::read_client(uint64_t id, Client& c) {
  char buffer[65536];
  while (true) {
    const ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
    if (n == 0) {
      c.closing = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c.closing = true;
      break;
    }
    c.in.append(buffer, static_cast<size_t>(n));
    explicit_bzero(buffer, static_cast<size_t>(n));
    if (c.in.size() > kMaxLine && c.in.find('\n') == std::string::npos) {
      ++c.outstanding;
      send(id, "{\"ok\":false,\"code\":2,\"error\":\"request line too long\"}");
      wipe_string(c.in);
      c.in.clear();
      c.closing = true;
      break;
    }
  }
  size_t start = 0;
  const std::weak_ptr<bool> alive = alive_;
  while (true) {
    const size_t end = c.in.find('\n', start);
    if (end == std::string::npos) break;
    std::string line = c.in.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    ++c.outstanding;
    handler_(line, [this, alive, id](const std::string& response) {
      if (auto a = alive.lock(); a && *a) send(id, response);
    });
    wipe_string(line);
    // The handler may have answered and the client may be gone.
    if (!clients_.count(id)) return;
  }
  if (start != 0) explicit_bzero(c.in.data(), start);  // the consumed lines only
  c.in.erase(0, start);
}

void OperatorServer::close_client(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  wipe_string(it->second.in);
  close(it->second.fd);
  clients_.erase(it);
}

void OperatorServer::flush() {
  for (auto& [id, c] : clients_)
    if (!c.out.empty()) write_client(c);
}

bool OperatorServer::poll(uint64_t timeout_us, int extra_fd) {
  flush();
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;
  fds.push_back({listen_fd_, POLLIN, 0});
  if (extra_fd >= 0) fds.push_back({extra_fd, POLLIN, 0});
  const size_t first_client = fds.size();
  for (const auto& [id, c] : clients_) {
    const short events =
        static_cast<short>((c.closing ? 0 : POLLIN) | (c.out.empty() ? 0 : POLLOUT));
    fds.push_back({c.fd, events, 0});
    ids.push_back(id);
  }
  const timespec timeout{static_cast<time_t>(timeout_us / 1'000'000),
                         static_cast<long>(timeout_us % 1'000'000) * 1000};
  const int ready = ppoll(fds.data(), fds.size(), &timeout, nullptr);
  if (ready <= 0) return false;
  bool extra_ready = false;
  if (extra_fd >= 0 && (fds[1].revents & POLLIN)) extra_ready = true;
  for (size_t i = first_client; i < fds.size(); ++i) {
    const uint64_t id = ids[i - first_client];
    auto it = clients_.find(id);
    if (it == clients_.end()) continue;
    Client& c = it->second;
    if ((fds[i].revents & (POLLHUP | POLLERR)) && !(fds[i].revents & POLLIN)) {
      close_client(id);  // gone: nothing can be written any more
      continue;
    }
    if ((fds[i].revents & POLLOUT) && !write_client(c)) {
      close_client(id);
      continue;
    }
    if (fds[i].revents & POLLIN) read_client(id, c);
    it = clients_.find(id);
    if (it != clients_.end() && it->second.closing && it->second.out.empty() &&
        it->second.outstanding == 0)
      close_client(id);
  }
  if (fds[0].revents & POLLIN) accept_clients();
  flush();
  return extra_ready;
}

}  // namespace softwire::cp
