// A real single-member etcd for one test, started by scripts/etcd-member.sh on a free
// loopback port and stopped when this object goes away (or, by the script's owner watch,
// when the test process dies).
#pragma once

#include <memory>
#include <string>

#include "etcd/client.h"

namespace testing_support {

class EtcdMember {
 public:
  // `certs_dir`: serve mutual TLS with the certificates of scripts/gen-test-certs.sh.
  EtcdMember(std::string state_dir, std::string name, std::string certs_dir = "");
  ~EtcdMember();

  const std::string& url() const { return url_; }
  // A client for test set-up and assertions (TLS from the same certs_dir when given).
  etcd::Client& client();

 private:
  std::string state_dir_;
  std::string name_;
  std::string certs_dir_;
  std::string url_;
  std::unique_ptr<etcd::Client> client_;
};

// Runs a command, returns its standard output; throws with the output on failure.
std::string RunScript(const std::string& command);

}  // namespace testing_support
