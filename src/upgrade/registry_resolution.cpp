#include "upgrade/registry_resolution.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <system_error>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/regular_file.h"
#include "common/untrusted_text.h"

namespace upgrade {
namespace {

constexpr std::string_view kBlanks = " \t";
constexpr size_t kMaxRegistryLength = 300;  // a DNS name (253) and a port, with room for [v6]

std::string_view Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(kBlanks);
  return text.substr(begin, end - begin + 1);
}

bool IsHostCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
}

// What is wrong with `value` as host[:port], or nullopt when nothing is.
std::optional<std::string> HostProblem(std::string_view value) {
  if (value.empty()) return "is empty";
  if (value.size() > kMaxRegistryLength) {
    return fmt::format("is {} bytes, longer than a host:port can be", value.size());
  }
  if (value.find("://") != std::string_view::npos) return "has a scheme; write host[:port]";
  if (value.find('/') != std::string_view::npos) return "has a path; write host[:port]";
  for (char c : value) {
    if (!IsHostCharacter(c)) return "is not host[:port]";
  }
  return std::nullopt;
}

struct ConfLine {
  std::string value;
  std::string problem;  // set when the line is a registry line whose value is unusable
};

// The value of a `registry:` line (the text after the colon): quoted or bare, with an
// optional trailing comment.
ConfLine ParseRegistryValue(std::string_view rest) {
  rest = Trim(rest);
  ConfLine line;
  std::string_view value;
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
    const size_t close = rest.find(rest.front(), 1);
    if (close == std::string_view::npos) {
      line.problem = "has an opening quote but no closing one";
      return line;
    }
    value = rest.substr(1, close - 1);
    const std::string_view after = Trim(rest.substr(close + 1));
    if (!after.empty() && after.front() != '#') {
      line.problem = "has text after the quoted value";
      return line;
    }
  } else {
    // A YAML comment starts at a '#' after a blank.
    size_t comment = std::string_view::npos;
    for (size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] == '#' && (rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
        comment = i;
        break;
      }
    }
    value = Trim(rest.substr(0, comment));
    if (!value.empty() && value.front() == '#') value = {};
  }
  if (auto problem = HostProblem(value)) {
    line.problem = value.empty()
                       ? std::string("has no value")
                       : fmt::format("value \"{}\" {}", common::Clip(value, 64), *problem);
    return line;
  }
  line.value = std::string(value);
  return line;
}

// No --username: a login (docker/podman auth files, credential helpers) for the registry,
// unless the platform's Secret gave credentials and no --authfile asks for the file's.
absl::Status UseLogin(const RegistryRequest& request, RegistryChoice& choice) {
  platform::Registry& registry = choice.registry;
  if (!request.credentials.username.empty()) return absl::OkStatus();
  if (!registry.username.empty() && !request.logins.authfile_from_flag) return absl::OkStatus();
  auto found = registry::FindRegistryCredentials(registry::NormalizeRegistryKey(registry.address),
                                                 request.logins);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::OkStatus();
  constexpr std::string_view kFromSecret = "; credentials from Secret cpaas-system/registry-admin";
  if (registry.where_from.ends_with(kFromSecret)) {
    registry.where_from.resize(registry.where_from.size() - kFromSecret.size());
  }
  registry.username = (*found)->credentials.username;
  registry.password = (*found)->credentials.password;
  choice.credentials_from = (*found)->source;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GivenCredentials> CheckCredentials(const GivenCredentials& given) {
  GivenCredentials checked = given;
  if (!given.base64_pair.empty()) {
    if (!given.username.empty()) {
      return absl::InvalidArgumentError("--target-creds and --username are alternatives; pass one");
    }
    std::optional<std::string> pair = common::DecodeBase64(given.base64_pair.Reveal());
    const size_t colon = pair ? pair->find(':') : std::string::npos;
    if (!pair || colon == 0 || colon == std::string::npos || colon + 1 == pair->size()) {
      return absl::InvalidArgumentError(
          "--target-creds is not base64 of user:password (make it with: printf %s "
          "user:password | base64 -w0)");
    }
    checked.username = pair->substr(0, colon);
    checked.password = common::Secret(pair->substr(colon + 1));
    checked.password_given = true;
    checked.base64_pair = common::Secret();
    return checked;
  }
  if (given.password_given && given.username.empty()) {
    return absl::InvalidArgumentError("a password was given without --username");
  }
  if (!given.username.empty() && !given.password_given) {
    return absl::InvalidArgumentError("--username needs --password or --password-stdin");
  }
  if (given.password_given && given.password.empty()) {
    return absl::InvalidArgumentError("the password given for --username is empty");
  }
  return checked;
}

absl::StatusOr<std::string> ParseUpgradeConf(std::string_view text, const std::string& name) {
  std::optional<std::string> found;
  size_t found_at = 0;
  size_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    constexpr std::string_view kKey = "registry:";
    if (line.substr(0, kKey.size()) != kKey) continue;
    ConfLine parsed = ParseRegistryValue(line.substr(kKey.size()));
    if (!parsed.problem.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: line {}: registry: {}; write `registry: host:port` or pass --registry",
                      name, number, parsed.problem));
    }
    if (found && *found != parsed.value) {
      return absl::InvalidArgumentError(
          fmt::format("{}: lines {} and {} name different registries ({} and {}); keep one", name,
                      found_at, number, *found, parsed.value));
    }
    if (!found) {
      found = parsed.value;
      found_at = number;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError(
        fmt::format("{} has no `registry: host:port` line; add one or pass --registry", name));
  }
  return *found;
}

absl::StatusOr<std::string> ReadUpgradeConf(const std::string& path) {
  auto text = common::ReadRegularFile(path, kMaxUpgradeConfBytes, "config file " + path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}; pass --registry", common::View(text.status().message())));
  }
  return ParseUpgradeConf(*text, path);
}

namespace {

absl::StatusOr<RegistryChoice> ResolveAddress(const RegistryRequest& request,
                                              k8s::RestClient* global) {
  const GivenCredentials& given = request.credentials;
  RegistryChoice choice;
  platform::Registry& registry = choice.registry;
  auto from_flags = [&](std::string address, std::string where_from) {
    registry.address = std::move(address);
    registry.where_from = std::move(where_from);
    registry.username = given.username;
    registry.password = given.password;
  };
  if (!request.registry.empty()) {
    if (auto problem = HostProblem(request.registry)) {
      return absl::InvalidArgumentError(
          fmt::format("--registry \"{}\" {}", common::Clip(request.registry, 64), *problem));
    }
    from_flags(request.registry, "--registry");
    return choice;
  }
  // Anything at the path counts: a directory or a FIFO there is refused by ReadUpgradeConf.
  std::error_code error;
  const bool have_config = !request.config_file.empty() &&
                           std::filesystem::symlink_status(request.config_file, error).type() !=
                               std::filesystem::file_type::not_found;
  if (global != nullptr) {
    auto platform = platform::ReadRegistry(*global);
    if (platform.ok()) {
      registry = *std::move(platform);
      if (!given.username.empty()) {
        registry.username = given.username;
        registry.password = given.password;
      } else if (!registry.username.empty()) {
        registry.where_from += "; credentials from Secret cpaas-system/registry-admin";
      }
      return choice;
    }
    const absl::Status& problem = platform.status();
    if (!have_config) {
      return absl::Status(absl::IsUnauthenticated(problem) ? absl::StatusCode::kUnauthenticated
                                                           : absl::StatusCode::kUnavailable,
                          problem.message());
    }
    choice.warning =
        fmt::format("{} — using {}", common::View(problem.message()), request.config_file);
  } else if (!have_config) {
    return absl::InvalidArgumentError(fmt::format(
        "no --registry given, no cluster configured (--kubeconfig) and no config file {} (a "
        "line `registry: host:port`)",
        request.config_file));
  }
  auto address = ReadUpgradeConf(request.config_file);
  if (!address.ok()) return address.status();
  from_flags(*std::move(address), request.config_file);
  return choice;
}

}  // namespace

absl::StatusOr<RegistryChoice> ResolveRegistry(const RegistryRequest& request,
                                               k8s::RestClient* global) {
  auto choice = ResolveAddress(request, global);
  if (!choice.ok()) return choice;
  if (absl::Status login = UseLogin(request, *choice); !login.ok()) return login;
  return choice;
}

}  // namespace upgrade
