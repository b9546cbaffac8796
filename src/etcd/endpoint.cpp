#include "etcd/endpoint.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "absl/status/status.h"
#include "common/absl_fmt.h"

namespace etcd {
namespace {

bool ConsumePrefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

std::string_view StripSpaces(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::string Endpoint::Target() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return ipv6 ? fmt::format("{}{}{}{}", "[", host, "]:", port)
              : fmt::format("{}{}{}", host, ":", port);
}

std::string Endpoint::ToString() const {
  switch (scheme) {
    case Scheme::kHttp:
      return "http://" + Target();
    case Scheme::kHttps:
      return "https://" + Target();
    case Scheme::kUnspecified:
      break;
  }
  return Target();
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, bool allow_port_zero) {
  const std::string original(text);
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("{}{}{}{}{}", "endpoint \"", original, "\": ", why,
                    " (expected host:port, http://host:port or https://host:port)"));
  };
  Endpoint endpoint;
  if (ConsumePrefix(text, "https://")) {
    endpoint.scheme = Endpoint::Scheme::kHttps;
  } else if (ConsumePrefix(text, "http://")) {
    endpoint.scheme = Endpoint::Scheme::kHttp;
  } else if (text.find("://") != std::string_view::npos) {
    return invalid("unsupported scheme");
  }
  if (text.ends_with('/')) text.remove_suffix(1);
  if (text.empty()) return invalid("empty");

  std::string_view port_text;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    endpoint.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!ConsumePrefix(rest, ":")) return invalid("missing port");
    port_text = rest;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid("missing port");
    endpoint.host = std::string(text.substr(0, colon));
    if (endpoint.host.find(':') != std::string::npos) {
      return invalid("IPv6 addresses must be written in brackets, e.g. [::1]:2379");
    }
    port_text = text.substr(colon + 1);
  }
  if (endpoint.host.empty()) return invalid("missing host");
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < (allow_port_zero ? 0 : 1) || port > 65535) {
    return invalid("port must be a number from 1 to 65535");
  }
  endpoint.port = port;
  return endpoint;
}

absl::StatusOr<std::vector<Endpoint>> ParseEndpoints(std::string_view comma_list) {
  std::vector<Endpoint> endpoints;
  size_t start = 0;
  while (start <= comma_list.size()) {
    size_t comma = comma_list.find(',', start);
    if (comma == std::string_view::npos) comma = comma_list.size();
    std::string_view item = StripSpaces(comma_list.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}{}{}", "endpoint list \"", comma_list, "\" has an empty entry"));
    }
    auto endpoint = ParseEndpoint(item);
    if (!endpoint.ok()) return endpoint.status();
    endpoints.push_back(*std::move(endpoint));
  }
  if (endpoints.empty()) return absl::InvalidArgumentError("no endpoints given");
  return endpoints;
}

}  // namespace etcd
