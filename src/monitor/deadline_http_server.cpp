#include "monitor/deadline_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace monitor {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `sock` is ready for `events`; false on timeout or error.
bool Wait(int sock, short events, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return false;
  pollfd fd{sock, events, 0};
  for (;;) {
    const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

void AddressOf(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

// A connection whose reads fail once the current request's deadline has passed; writes
// keep a per-write timeout (a /check response may legitimately stream for long).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, std::chrono::milliseconds write_timeout)
      : sock_(sock), write_timeout_(write_timeout), buffer_(4096) {}

  void StartRequest(std::chrono::milliseconds deadline) { deadline_ = Clock::now() + deadline; }
  bool HasBufferedInput() const { return begin_ < end_; }

  bool is_readable() const override { return HasBufferedInput() || Wait(sock_, POLLIN, Left()); }
  bool is_writable() const override { return Wait(sock_, POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!HasBufferedInput()) {
      if (!Wait(sock_, POLLIN, Left())) return -1;
      ssize_t got;
      do {
        got = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
      } while (got < 0 && errno == EINTR);
      if (got <= 0) return got;
      begin_ = 0;
      end_ = static_cast<size_t>(got);
    }
    const size_t take = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_.data() + begin_, take);
    begin_ += take;
    return static_cast<ssize_t>(take);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t sent;
    do {
      sent = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      AddressOf(address, ip, port);
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      AddressOf(address, ip, port);
    }
  }
  socket_t socket() const override { return sock_; }

 private:
  std::chrono::milliseconds Left() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  }

  int sock_;
  std::chrono::milliseconds write_timeout_;
  Clock::time_point deadline_ = Clock::now();
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

DeadlineHttpServer::DeadlineHttpServer(size_t worker_threads,
                                       std::chrono::milliseconds request_deadline)
    : request_deadline_(request_deadline) {
  new_task_queue = [worker_threads] { return new httplib::ThreadPool(worker_threads); };
  // The monitor's routes are all GETs: no request needs a body.
  set_payload_max_length(64 * 1024);
}

bool DeadlineHttpServer::process_and_close_socket(socket_t sock) {
  DeadlineStream stream(
      sock, std::chrono::milliseconds(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
  bool ok = true;
  for (size_t served = 0; served < keep_alive_max_count_; ++served) {
    if (served > 0) {
      // An idle keep-alive connection waits for its next request at most the keep-alive
      // timeout, in slices so that a stopping server does not wait for it.
      const auto idle_until = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
      bool next = stream.HasBufferedInput();
      while (!next && svr_sock_ != INVALID_SOCKET && Clock::now() < idle_until) {
        next = Wait(sock, POLLIN, std::chrono::milliseconds(100));
      }
      if (!next || svr_sock_ == INVALID_SOCKET) break;
    }
    stream.StartRequest(request_deadline_);
    bool connection_closed = false;
    const bool last = served + 1 == keep_alive_max_count_ || svr_sock_ == INVALID_SOCKET;
    ok = process_request(stream, last, connection_closed, nullptr);
    if (!ok || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace monitor
