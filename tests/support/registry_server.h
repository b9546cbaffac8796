// A real Docker Distribution registry for one test, started by scripts/registry-server.sh
// on a free loopback port with its own storage, stopped when this object goes away (or, by
// the script's owner watch, when the test process dies). Plus a shell runner for clients.
#pragma once

#include <string>

namespace testing_support {

class RegistryServer {
 public:
  // `certs_dir`: HTTPS with scripts/gen-test-certs.sh's server.crt; `htpasswd`: Basic auth.
  // `token_realm` + `token_cert`: the Docker token flow (see registry_token_server.h).
  RegistryServer(std::string state_dir, std::string name, std::string certs_dir = "",
                 std::string htpasswd = "", std::string token_realm = "",
                 std::string token_cert = "");
  ~RegistryServer();

  const std::string& address() const { return address_; }  // "127.0.0.1:<port>"

 private:
  std::string state_dir_, name_, address_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through /bin/sh; never throws on a non-zero exit.
CommandResult RunCommand(const std::string& command);

}  // namespace testing_support
