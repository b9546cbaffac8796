// slow-link-proxy: a loopback TCP proxy that makes 127.0.0.1 look like a WAN link (fixed
// one-way delay, shared rate limit per direction), for bench/ where the kernel has no netem.
// Prints its address once listening; runs until SIGTERM/SIGINT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <list>
#include <memory>
#include <thread>
#include <vector>

#include "cli/app.h"
#include "cli/fail.h"
#include "common/exit_codes.h"
#include "link_model.h"

namespace {

std::atomic<bool> stopping{false};
constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kQueueLimit = 4 * 1024 * 1024;  // per connection and direction

struct Packet {
  std::vector<char> bytes;
  LinkDirection::Clock::time_point deliver_at;
};

// Bytes read from `from`, held until the link delivers them, then written to `to`.
class Pipe {
 public:
  Pipe(int from, int to, LinkDirection& link) : from_(from), to_(to), link_(link) {}

  void Run(std::stop_token stop) {
    std::jthread writer([this](std::stop_token s) { Write(s); });
    std::vector<char> buffer(kReadSize);
    while (!stop.stop_requested()) {
      pollfd readable{from_, POLLIN, 0};
      if (poll(&readable, 1, 200) <= 0) continue;
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
    shutdown(to_, SHUT_WR);  // pass the end of stream on, after the last delayed byte
  }

  int from_, to_;
  LinkDirection& link_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<Packet> queue_;
  size_t queued_ = 0;
  bool ended_ = false, broken_ = false;
};

class Connection {
 public:
  Connection(int client, int server, LinkDirection& up, LinkDirection& down)
      : client_(client), server_(server), up_(client, server, up), down_(server, client, down) {
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

 private:
  void Finish(std::stop_token stop, Pipe& pipe) {
    pipe.Run(stop);
    finished_++;
  }
  int client_, server_;
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

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("slow-link-proxy");
  CLI::App app{"Loopback TCP proxy with a fixed one-way delay and a shared rate limit."};
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  int listen_port = 0, target_port = 0;
  double delay_ms = 10, rate_mbit = 200;
  app.add_option("--listen-port", listen_port, "port on 127.0.0.1 (0: any free one)");
  app.add_option("--target-port", target_port, "port on 127.0.0.1 to forward to")->required();
  app.add_option("--delay-ms", delay_ms, "one-way delay, each direction (RTT = 2x)");
  app.add_option("--rate-mbit", rate_mbit,
                 "rate per direction, shared by all connections (0: none)");
  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);

  const int listener = Listen(listen_port);
  if (listener < 0) {
    return cli::Fail(exit_code::kFailed,
                     "cannot listen on 127.0.0.1:" + std::to_string(listen_port));
  }
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length);
  std::printf("127.0.0.1:%d\n", ntohs(bound.sin_port));
  std::fflush(stdout);

  struct sigaction action = {};
  action.sa_handler = [](int) { stopping = true; };
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  const auto delay = std::chrono::duration_cast<LinkDirection::Clock::duration>(
      std::chrono::duration<double, std::milli>(delay_ms));
  LinkDirection up(rate_mbit * 1e6 / 8, delay), down(rate_mbit * 1e6 / 8, delay);
  std::list<std::unique_ptr<Connection>> connections;
  while (!stopping) {
    connections.remove_if([](const auto& c) { return c->done(); });
    pollfd incoming{listener, POLLIN, 0};
    if (poll(&incoming, 1, 200) <= 0) continue;
    const int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = ConnectTo(target_port);
    if (server < 0) {
      close(client);  // the far end refuses: so does the link
      continue;
    }
    const int on = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    connections.push_back(std::make_unique<Connection>(client, server, up, down));
  }
  connections.clear();
  close(listener);
  return 0;
}
