// slow-link-proxy: a loopback TCP proxy that makes 127.0.0.1 look like a WAN link (fixed
// one-way delay, shared rate limit per direction), for bench/ where the kernel has no netem;
// with --control-port also the fault suite's fault proxy, driven on command (delay, rate,
// black-hole, hold replies, reset, heal). Prints one address per --target-port once listening, then
// "control <address>"; runs until SIGTERM/SIGINT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/app.h"
#include "cli/fail.h"
#include "common/exit_codes.h"
#include "link_model.h"

namespace {

std::atomic<bool> stopping{false};
// Black-hole: connections are accepted but nothing is forwarded or answered (the nasty kind
// of partition: no reset, no refusal, the peer waits for its own timeouts).
std::atomic<bool> blackholed{false};
// Replies held: requests reach the server, its answers are held until heal (a request that
// committed while its client saw a timeout: the ambiguous failure a retry must survive).
std::atomic<bool> replies_held{false};
constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kQueueLimit = 4 * 1024 * 1024;  // per connection and direction
constexpr size_t kControlLineLimit = 256;

void WaitWhileBlackholed(const std::stop_token& stop, bool reply = false) {
  while ((blackholed || (reply && replies_held)) && !stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct Packet {
  std::vector<char> bytes;
  LinkDirection::Clock::time_point deliver_at;
};

// Bytes read from `from`, held until the link delivers them, then written to `to`.
class Pipe {
 public:
  // `reply`: server to client. `reset`: the connection is being reset (no FIN, only RST).
  Pipe(int from, int to, LinkDirection& link, bool reply, const std::atomic<bool>& reset)
      : from_(from), to_(to), link_(link), reply_(reply), reset_(reset) {}

  void Run(std::stop_token stop) {
    std::jthread writer([this](std::stop_token s) { Write(s); });
    std::vector<char> buffer(kReadSize);
    while (!stop.stop_requested()) {
      WaitWhileBlackholed(stop);
      pollfd readable{from_, POLLIN, 0};
      if (poll(&readable, 1, 200) <= 0) continue;
      if (blackholed) continue;
      const ssize_t got = read(from_, buffer.data(), buffer.size());
      if (got <= 0) break;
      Packet packet{{buffer.begin(), buffer.begin() + got},
                    link_.Schedule(static_cast<size_t>(got), LinkDirection::Clock::now())};
      std::unique_lock lock(mutex_);
      room_.wait(lock, [&] { return queued_ < kQueueLimit || broken_; });
      if (broken_) break;
      queued_ += packet.bytes.size();
      queue_.push_back(std::move(packet));
      ready_.notify_all();
    }
    std::lock_guard lock(mutex_);
    ended_ = true;
    ready_.notify_all();
  }

 private:
  void Write(std::stop_token stop) {
    while (!stop.stop_requested()) {
      Packet packet;
      {
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, std::chrono::milliseconds(200),
                        [&] { return !queue_.empty() || ended_; });
        if (queue_.empty()) {
          if (ended_) break;
          continue;
        }
        packet = std::move(queue_.front());
        queue_.pop_front();
      }
      std::this_thread::sleep_until(packet.deliver_at);
      WaitWhileBlackholed(stop, reply_);  // bytes in flight are held too
      size_t done = 0;
      while (done < packet.bytes.size()) {
        const ssize_t put =
            send(to_, packet.bytes.data() + done, packet.bytes.size() - done, MSG_NOSIGNAL);
        if (put <= 0) break;
        done += static_cast<size_t>(put);
      }
      std::lock_guard lock(mutex_);
      queued_ -= packet.bytes.size();
      room_.notify_all();
      if (done < packet.bytes.size()) {
        broken_ = true;
        break;
      }
    }
    // Pass the end of stream on, after the last delayed byte; a reset sends no FIN (the peer
    // must see ECONNRESET, not an orderly end).
    if (!reset_) shutdown(to_, SHUT_WR);
  }

  int from_, to_;
  LinkDirection& link_;
  const bool reply_;
  const std::atomic<bool>& reset_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<Packet> queue_;
  size_t queued_ = 0;
  bool ended_ = false, broken_ = false;
};

class Connection {
 public:
  Connection(int client, int server, LinkDirection& up, LinkDirection& down)
      : client_(client),
        server_(server),
        up_(client, server, up, false, reset_),
        down_(server, client, down, true, reset_) {
    upload_ = std::jthread([this](std::stop_token s) { Finish(s, up_); });
    download_ = std::jthread([this](std::stop_token s) { Finish(s, down_); });
  }
  ~Connection() {
    upload_ = {};
    download_ = {};
    close(client_);
    close(server_);
  }
  bool done() const { return finished_ == 2; }
  // Ends both sides with a reset: SO_LINGER {1, 0} then close sends RST, not FIN. The pipes
  // stop first (no FIN from them); the sockets close once both have (Tidy), within 200 ms.
  void Reset() {
    reset_ = true;
    const linger abort{1, 0};
    setsockopt(client_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    setsockopt(server_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    upload_.request_stop();
    download_.request_stop();
    shutdown(client_, SHUT_RD);
    shutdown(server_, SHUT_RD);
  }

 private:
  void Finish(std::stop_token stop, Pipe& pipe) {
    pipe.Run(stop);
    finished_++;
  }
  int client_, server_;
  std::atomic<bool> reset_{false};
  Pipe up_, down_;
  std::atomic<int> finished_{0};
  std::jthread upload_, download_;
};

int Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 128) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(bound.sin_port);
}

int ConnectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

LinkDirection::Clock::duration Delay(double ms) {
  return std::chrono::duration_cast<LinkDirection::Clock::duration>(
      std::chrono::duration<double, std::milli>(ms));
}

struct Route {
  int listener;
  int target_port;
};

// Everything the control port changes; used by the accept loop's thread only.
class Proxy {
 public:
  Proxy(double delay_ms, double rate_mbit)
      : delay_ms_(delay_ms),
        rate_mbit_(rate_mbit),
        up_(rate_mbit * 1e6 / 8, Delay(delay_ms)),
        down_(rate_mbit * 1e6 / 8, Delay(delay_ms)) {}
  ~Proxy() {
    connections_.clear();
    for (const auto& [client, port] : waiting_) close(client);
  }

  void Accepted(int client, int target_port) {
    if (blackholed) {
      waiting_.push_back({client, target_port});  // accepted, never answered
      return;
    }
    Forward(client, target_port);
  }

  void Tidy() {
    connections_.remove_if([](const auto& c) { return c->done(); });
  }

  // One command line: "delay <ms>", "rate <mbit/s>", "blackhole", "hold-replies", "reset",
  // "heal".
  std::string Command(const std::string& line) {
    const size_t space = line.find(' ');
    const std::string verb = line.substr(0, space);
    double number = 0;
    if (space != std::string::npos) {
      const std::string arg = line.substr(space + 1);
      auto [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), number);
      if (error != std::errc() || end != arg.data() + arg.size() || number < 0) {
        return "error: not a number: " + arg;
      }
    }
    if (verb == "delay" && space != std::string::npos) {
      current_delay_ms_ = number;
    } else if (verb == "rate" && space != std::string::npos) {
      current_rate_mbit_ = number;
    } else if (verb == "blackhole") {
      blackholed = true;
    } else if (verb == "hold-replies") {
      replies_held = true;
    } else if (verb == "reset") {
      for (auto& connection : connections_) connection->Reset();
      for (const auto& [client, port] : waiting_) Abort(client);
      waiting_.clear();
    } else if (verb == "heal") {
      current_delay_ms_ = delay_ms_;
      current_rate_mbit_ = rate_mbit_;
      blackholed = false;
      replies_held = false;
      for (const auto& [client, port] : waiting_) Forward(client, port);
      waiting_.clear();
    } else {
      return "error: unknown command (delay <ms>, rate <mbit>, blackhole, hold-replies, reset, "
             "heal)";
    }
    up_.Set(current_rate_mbit_ * 1e6 / 8, Delay(current_delay_ms_));
    down_.Set(current_rate_mbit_ * 1e6 / 8, Delay(current_delay_ms_));
    return "ok";
  }

 private:
  static void Abort(int fd) {
    const linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    close(fd);
  }

  void Forward(int client, int target_port) {
    const int server = ConnectTo(target_port);
    if (server < 0) {
      close(client);  // the far end refuses: so does the link
      return;
    }
    const int on = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    connections_.push_back(std::make_unique<Connection>(client, server, up_, down_));
  }

  const double delay_ms_, rate_mbit_;
  double current_delay_ms_ = delay_ms_, current_rate_mbit_ = rate_mbit_;
  LinkDirection up_, down_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::vector<std::pair<int, int>> waiting_;  // accepted while black-holed: client, target
};

// Reads one command line from a control connection (bounded), answers it, closes it.
void ServeControl(int listener, Proxy& proxy) {
  const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  std::string line;
  char c = 0;
  while (line.size() < kControlLineLimit) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 2000) <= 0 || read(fd, &c, 1) != 1 || c == '\n') break;
    if (c != '\r') line += c;
  }
  const std::string answer = proxy.Command(line) + "\n";
  send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("slow-link-proxy");
  CLI::App app{"Loopback TCP proxy with a fixed one-way delay and a shared rate limit."};
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  int listen_port = 0, control_port = -1;
  std::vector<int> target_ports;
  double delay_ms = 10, rate_mbit = 200;
  app.add_option("--listen-port", listen_port,
                 "port on 127.0.0.1 (0: any free one; only with one --target-port)");
  app.add_option("--target-port", target_ports,
                 "port on 127.0.0.1 to forward to (repeatable: one listening port each)")
      ->required();
  app.add_option("--delay-ms", delay_ms, "one-way delay, each direction (RTT = 2x)");
  app.add_option("--rate-mbit", rate_mbit,
                 "rate per direction, shared by all connections (0: none)");
  app.add_option("--control-port", control_port,
                 "port on 127.0.0.1 taking one command per connection: delay <ms>, rate <mbit>, "
                 "blackhole, hold-replies, reset, heal (0: any free one; default: no control)");
  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);
  if (listen_port != 0 && target_ports.size() != 1) {
    return cli::Fail(exit_code::kUsage, "--listen-port needs exactly one --target-port");
  }

  std::vector<Route> routes;
  for (const int target : target_ports) {
    const int listener = Listen(listen_port);
    if (listener < 0) {
      return cli::Fail(exit_code::kFailed,
                       "cannot listen on 127.0.0.1:" + std::to_string(listen_port));
    }
    routes.push_back({listener, target});
    std::printf("127.0.0.1:%d\n", BoundPort(listener));
  }
  int control = -1;
  if (control_port >= 0) {
    control = Listen(control_port);
    if (control < 0) {
      return cli::Fail(exit_code::kFailed,
                       "cannot listen on 127.0.0.1:" + std::to_string(control_port));
    }
    std::printf("control 127.0.0.1:%d\n", BoundPort(control));
  }
  std::fflush(stdout);

  struct sigaction action = {};
  action.sa_handler = [](int) { stopping = true; };
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  Proxy proxy(delay_ms, rate_mbit);
  std::vector<pollfd> watched;
  for (const Route& route : routes) watched.push_back({route.listener, POLLIN, 0});
  if (control >= 0) watched.push_back({control, POLLIN, 0});
  while (!stopping) {
    proxy.Tidy();
    for (pollfd& fd : watched) fd.revents = 0;
    if (poll(watched.data(), watched.size(), 200) <= 0) continue;
    for (size_t i = 0; i < routes.size(); ++i) {
      if ((watched[i].revents & POLLIN) == 0) continue;
      const int client = accept4(routes[i].listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) proxy.Accepted(client, routes[i].target_port);
    }
    if (control >= 0 && (watched.back().revents & POLLIN) != 0) ServeControl(control, proxy);
  }
  for (const Route& route : routes) close(route.listener);
  if (control >= 0) close(control);
  return 0;
}
