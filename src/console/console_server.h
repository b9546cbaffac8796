// `ac console`: an HTTP(S) server for the pages of web/ and a JSON API over the engines `ac`
// uses (src/upgrade for clusters and components, src/dr for the DR pair). Every request
// carries the access token (access_token.h); it binds to 127.0.0.1 unless told otherwise.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "dr/dr_context.h"
#include "k8s/rest_config.h"

namespace console {

struct ConsoleOptions {
  std::string host = "127.0.0.1";  // IPv6 without brackets
  int port = 0;                    // 0: a free port
  std::string tls_cert_file;       // both or neither: HTTPS
  std::string tls_key_file;
  common::Secret token;
  k8s::RestConfig global;  // the global cluster: cvsh, ModuleInfos, upgrade requests
  // A cluster's own API (the TopoLVM steps before its components move); unset: those steps
  // are refused with a line saying to use `ac adm upgrade components`.
  std::function<absl::StatusOr<k8s::RestConfig>(const std::string& cluster)> cluster_config;
  std::string state_dir = ".";  // where TopoLVM's ArtifactVersion is saved (--state-dir)
  // The DR pair (primary = the global above, standby, monitor); null: the DR page says how
  // to enable it.
  std::unique_ptr<dr::DrContext> dr;
  std::string journal_dir = ".";  // where `ac adm dr` keeps dr-<operation>-journal.json
  // How long one /api/events stream watches before it ends (the page reconnects).
  std::chrono::seconds events_timeout{25};
};

class ConsoleServer {
 public:
  // Binds (an error names the address and why) and serves on a thread of its own.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(ConsoleOptions options);
  ~ConsoleServer();

  int port() const;
  // "http(s)://host:port/?token=..." — what the operator opens; it holds the token.
  std::string Url() const;
  void Wait();
  void Stop();

  struct Impl;

 private:
  explicit ConsoleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8765", "[::1]:0", ":8765" (all addresses), "8765" -> host and port; one line
// naming the form otherwise.
struct ListenAddress {
  std::string host;
  int port = 0;
};
absl::StatusOr<ListenAddress> ParseListen(const std::string& text);

}  // namespace console
