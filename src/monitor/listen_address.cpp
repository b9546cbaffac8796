#include "monitor/listen_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace monitor {
namespace {

bool IsIpv6Literal(const std::string& host) {
  in6_addr address{};
  return ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

bool IsIpv4Literal(const std::string& host) {
  in_addr address{};
  return ::inet_pton(AF_INET, host.c_str(), &address) == 1;
}

}  // namespace

std::string ListenAddress::ToString() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  // The text may come from the Pod's environment; only a bounded, printable part of it is
  // quoted back.
  const std::string shown(text.substr(0, 100));
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "--monitor-listen \"{}\": {} (expected host:port, e.g. 0.0.0.0:8080, [::]:8080 or, in "
        "a Pod, [$(POD_IP)]:8080)",
        shown, why));
  };
  if (text.size() > 300) return invalid("too long");
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return invalid("contains spaces or control characters");
    }
  }
  if (text.find('$') != std::string_view::npos) {
    return invalid(
        "holds an unexpanded variable: set it in the container's env (e.g. POD_IP from "
        "fieldRef status.podIP)");
  }
  ListenAddress address;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("unterminated [");
    address.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return invalid("missing :port after ]");
    port_text = rest.substr(1);
    if (!IsIpv6Literal(address.host) && !IsIpv4Literal(address.host)) {
      return invalid("between [ and ] must be an IP address");
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid("missing :port");
    address.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (address.host.find(':') != std::string::npos) {
      return invalid(
          fmt::format("an IPv6 address needs brackets: [{}]:{}", address.host, port_text));
    }
  }
  if (address.host.empty()) {
    return invalid(
        "the host is empty (an empty $(POD_IP)?); use 0.0.0.0 or [::] for every "
        "address");
  }
  int port = -1;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  address.port = port;
  return address;
}

}  // namespace monitor
