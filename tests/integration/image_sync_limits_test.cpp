// image-sync against registries that are too slow or hostile, as an operator sees them: a
// registry that trickles its answer fails within the configured limits with one line naming
// the registry and the flag to change, and nonsense numeric flags are refused (exit 2).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace {

using testing_support::CommandResult;
using testing_support::RunCommand;

int Lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

// A TEST STAND-IN for a registry on a dying link: accepts on 127.0.0.1, reads a request,
// writes `at_once`, then `trickle` one byte every 200 ms (forever, repeating its last byte)
// until the client goes away or the server is destroyed.
class TrickleServer {
 public:
  TrickleServer(std::string at_once, std::string trickle)
      : at_once_(std::move(at_once)), trickle_(std::move(trickle)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("trickle server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Accept(); });
  }
  ~TrickleServer() {
    stop_ = true;
    thread_.join();
    for (std::thread& connection : connections_) connection.join();
    close(listener_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void Accept() {
    while (!stop_) {
      pollfd ready{listener_, POLLIN, 0};
      if (poll(&ready, 1, 100) <= 0) continue;
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  void Serve(int fd) {
    std::string request;
    char buffer[4096];
    while (!stop_ && request.find("\r\n\r\n") == std::string::npos) {
      pollfd ready{fd, POLLIN, 0};
      if (poll(&ready, 1, 100) <= 0) continue;
      const ssize_t got = read(fd, buffer, sizeof buffer);
      if (got <= 0) break;
      request.append(buffer, static_cast<size_t>(got));
    }
    ++requests_;
    const bool sent = send(fd, at_once_.data(), at_once_.size(), MSG_NOSIGNAL) >= 0;
    for (size_t at = 0; sent && !stop_; ++at) {
      const char byte = trickle_[std::min(at, trickle_.size() - 1)];
      if (send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    close(fd);
  }

  std::string at_once_, trickle_;
  int listener_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
  std::vector<std::thread> connections_;
};

class ImageSyncLimitsTest : public ::testing::Test {
 protected:
  ImageSyncLimitsTest() {
    testing_support::RunScript(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " '" + bundle_ +
                               "' --images 1");
  }
  CommandResult ImageSync(const std::string& registry, const std::string& args) {
    return RunCommand(std::string(IMAGE_SYNC_BINARY) + " --progress none --plain --bundle '" +
                      bundle_ + "' --registry " + registry + " " + args);
  }
  testing_support::TempDir dir_;
  std::string bundle_ = dir_.File("bundle");
};

TEST_F(ImageSyncLimitsTest, TrickledHeadersHitTheRequestTimeout) {
  // 5 bytes a second, forever: used to hang image-sync (the stall rule was 1 byte/s).
  TrickleServer server("", "HTTP/1.1 200 OK\r\nX-Padding: aaaaaaaaaaaaaaa");
  CommandResult slow = ImageSync(server.address(), "--request-timeout 2");
  EXPECT_EQ(slow.exit_code, 5) << slow.output;
  EXPECT_EQ(Lines(slow.output), 1) << slow.output;
  EXPECT_NE(slow.output.find("registry " + server.address()), std::string::npos) << slow.output;
  EXPECT_NE(slow.output.find("--request-timeout 2 s"), std::string::npos) << slow.output;
  EXPECT_EQ(server.requests(), 1) << "a registry too slow at the first request is not retried";
}

TEST_F(ImageSyncLimitsTest, TrickledBodyHitsTheMinimumSpeed) {
  TrickleServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", " ");
  CommandResult slow =
      ImageSync(server.address(), "--min-speed 100 --stall-seconds 2 --request-timeout 120");
  EXPECT_EQ(slow.exit_code, 5) << slow.output;
  EXPECT_EQ(Lines(slow.output), 1) << slow.output;
  EXPECT_NE(slow.output.find("registry " + server.address()), std::string::npos) << slow.output;
  EXPECT_NE(slow.output.find("below --min-speed 100 B/s over --stall-seconds 2"), std::string::npos)
      << slow.output;
}

TEST_F(ImageSyncLimitsTest, OversizedAnswerIsRefusedWithOneLine) {
  // A 5 MB answer where a few bytes of JSON are due: read up to 4 MiB, then refused.
  TrickleServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n" +
          std::string(5000000, ' '),
      " ");
  CommandResult big = ImageSync(server.address(), "--request-timeout 5 --retries 1");
  EXPECT_EQ(big.exit_code, 1) << big.output;
  EXPECT_EQ(Lines(big.output), 1) << big.output;
  EXPECT_NE(big.output.find("registry answer to GET http://" + server.address() +
                            "/v2/ is more than 4194304 bytes"),
            std::string::npos)
      << big.output;
}

TEST_F(ImageSyncLimitsTest, NonsenseNumbersAreRefusedWithExit2) {
  for (const std::string flag :
       {"--parallel 0", "--parallel -3", "--chunk-size -5", "--retries 0", "--min-speed 0",
        "--min-speed -1", "--stall-seconds 0", "--request-timeout 0", "--request-timeout -60",
        "--progress-interval 0", "--parallel x"}) {
    CommandResult refused = ImageSync("127.0.0.1:1", flag);
    EXPECT_EQ(refused.exit_code, 2) << flag << ": " << refused.output;
    EXPECT_EQ(Lines(refused.output), 1) << flag << ": " << refused.output;
    const std::string name = flag.substr(0, flag.find(' '));
    EXPECT_NE(refused.output.find(name), std::string::npos) << flag << ": " << refused.output;
  }
}

}  // namespace
