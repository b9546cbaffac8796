#include "violet/registry_address.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace violet {

absl::StatusOr<RegistryAddress> ParseRegistryAddress(const std::string& text,
                                                     const std::string& flag) {
  RegistryAddress address;
  std::string host = text;
  if (host.starts_with("http://")) {
    address.plain = true;
    host = host.substr(7);
  } else if (host.starts_with("https://")) {
    host = host.substr(8);
  }
  while (!host.empty() && host.back() == '/') host.pop_back();
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        fmt::format("{} \"{}\": {}; write host[:port], e.g. harbor.demo.io, 10.0.0.1:11443 or "
                    "[fd00::1]:11443",
                    flag, text, why));
  };
  if (host.empty()) return bad("no host");
  if (host.find('/') != std::string::npos) {
    return bad("a path is not allowed (repository paths come from the package)");
  }
  std::string port;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) return bad("unclosed '[' in an IPv6 address");
    const std::string literal = host.substr(1, close - 1);
    if (literal.empty() || literal.find(':') == std::string::npos ||
        !std::all_of(literal.begin(), literal.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        })) {
      return bad("not an IPv6 address in brackets");
    }
    const std::string rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected :port after ']'");
      port = rest.substr(1);
    }
  } else {
    const size_t colons = std::count(host.begin(), host.end(), ':');
    if (colons > 1) return bad("an IPv6 address must be in brackets");
    if (colons == 1) port = host.substr(host.find(':') + 1);
    const std::string name = host.substr(0, host.find(':'));
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
        })) {
      return bad("not a host name or IPv4 address");
    }
  }
  if (host.back() == ':') return bad("empty port");
  if (!port.empty()) {
    if (!std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        port.size() > 5 || std::stoi(port) == 0 || std::stoi(port) > 65535) {
      return bad(fmt::format("port \"{}\" is not 1-65535", port));
    }
  }
  address.host = host;
  return address;
}

}  // namespace violet
