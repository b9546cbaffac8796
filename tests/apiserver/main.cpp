// TEST STAND-IN for kube-apiserver, for manual use: serves the ACP platform's resources plus any
// given with --resource from an etcd, until SIGINT/SIGTERM. Not a product.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "apiserver/api_server.h"
#include "apiserver/platform_table.h"
#include "common/absl_fmt.h"
#include "etcd/endpoint.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

// "group/version/resource/Kind[/cluster]"; group may be "core".
bool ParseResource(const std::string& text, apiserver::ServedResource& out) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, '/');) parts.push_back(part);
  if (parts.size() < 4 || parts.size() > 5) return false;
  out.group = parts[0] == "core" ? "" : parts[0];
  out.version = parts[1];
  out.resource = parts[2];
  out.kind = parts[3];
  out.namespaced = parts.size() == 4 || parts[4] != "cluster";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"TEST STAND-IN for kube-apiserver (not a product)"};
  std::string endpoints = "127.0.0.1:2379", token_file, certs_dir;
  std::vector<std::string> extra;
  int port = 0;
  app.add_option("--etcd-endpoints", endpoints, "comma-separated etcd endpoints");
  app.add_option("--token-file", token_file, "file holding the bearer token")->required();
  app.add_option("--port", port, "port on 127.0.0.1 (0: a free one)");
  app.add_option(
      "--certs-dir", certs_dir,
      "HTTPS with server.crt/server.key from this directory (scripts/gen-test-certs.sh); "
      "token authentication, no client certificates");
  app.add_option("--resource", extra, "group/version/resource/Kind[/cluster]; group 'core'");
  CLI11_PARSE(app, argc, argv);

  apiserver::ApiServerOptions options;
  options.port = port;
  options.certs_dir = certs_dir;
  options.tls_token_only = true;
  options.resources = apiserver::PlatformResourceTable();
  for (const std::string& text : extra) {
    apiserver::ServedResource resource;
    if (!ParseResource(text, resource)) {
      std::fprintf(stderr, "--resource %s: expected group/version/resource/Kind[/cluster]\n",
                   text.c_str());
      return 2;
    }
    options.resources.push_back(resource);
  }
  std::ifstream token_in(token_file);
  std::string token;
  if (!token_in || !std::getline(token_in, token) || token.empty()) {
    std::fprintf(stderr, "--token-file %s: cannot read a token from it\n", token_file.c_str());
    return 2;
  }
  options.token = common::Secret(token);

  etcd::ClientOptions etcd_options;
  auto parsed = etcd::ParseEndpoints(endpoints);
  if (!parsed.ok()) {
    std::fprintf(stderr, "--etcd-endpoints: %s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  etcd_options.endpoints = *parsed;
  auto client = etcd::Client::Connect(etcd_options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", std::string(client.status().message()).c_str());
    return 1;
  }
  apiserver::ApiServer server(**client, std::move(options));
  if (absl::Status started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", std::string(started.message()).c_str());
    return 1;
  }
  std::printf("test apiserver (TEST STAND-IN) serving %s\n", server.url().c_str());
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return 0;
}
