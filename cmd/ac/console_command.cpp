// `ac console`: the web console (src/console) for the upgrade pages and the DR pair. Flags ->
// ConsoleOptions -> ConsoleServer; it prints the address with its access token and serves
// until interrupted.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "ac_commands.h"
#include "cli/connection_flags.h"
#include "cli/fail.h"
#include "common/exit_codes.h"
#include "console/access_token.h"
#include "console/console_server.h"
#include "dr/monitor_client.h"
#include "platform/connection.h"
#include "platform/resources.h"

namespace {

struct ConsoleFlags {
  cli::ConnectionFlags connection;
  std::string listen = "127.0.0.1:8765";
  std::string tls_cert_file, tls_key_file;
  std::string standby_kubeconfig, monitor_url, monitor_token_file, standby_vip, journal_dir = ".",
                                                                                state_dir = ".";
  std::vector<std::string> primary_etcd_endpoints;
};

int RunConsole(const ConsoleFlags& flags) {
  auto listen = console::ParseListen(flags.listen);
  if (!listen.ok()) return cli::Fail(exit_code::kUsage, listen.status());
  const platform::Connection connection = cli::ToConnection(flags.connection);
  auto global = platform::ConfigForCluster(connection, platform::kGlobalCluster);
  if (!global.ok()) return cli::Fail(exit_code::kUsage, global.status());
  auto token = console::NewAccessToken();
  if (!token.ok()) return cli::Fail(exit_code::kFailed, token.status());

  console::ConsoleOptions options;
  options.host = listen->host;
  options.port = listen->port;
  options.tls_cert_file = flags.tls_cert_file;
  options.tls_key_file = flags.tls_key_file;
  options.token = *std::move(token);
  options.global = *global;
  options.journal_dir = flags.journal_dir;
  options.state_dir = flags.state_dir;
  options.cluster_config = [connection](const std::string& cluster) {
    return platform::ConfigForCluster(connection, cluster);
  };
  if (!flags.standby_kubeconfig.empty()) {
    platform::Connection standby_connection;
    standby_connection.kubeconfig = flags.standby_kubeconfig;
    auto standby = platform::ConfigForCluster(standby_connection, platform::kGlobalCluster);
    if (!standby.ok()) return cli::Fail(exit_code::kUsage, standby.status());
    dr::DrOptions dr_options;
    dr_options.monitor_url = flags.monitor_url;
    if (!flags.monitor_token_file.empty()) {
      auto monitor_token = dr::ReadMonitorTokenFile(flags.monitor_token_file);
      if (!monitor_token.ok()) return cli::Fail(exit_code::kUsage, monitor_token.status());
      dr_options.monitor_token = *std::move(monitor_token);
      dr_options.monitor_token_file = std::filesystem::absolute(flags.monitor_token_file).string();
    }
    dr_options.standby_vip = flags.standby_vip;
    dr_options.primary_etcd_endpoints = flags.primary_etcd_endpoints;
    options.dr = std::make_unique<dr::DrContext>(
        std::move(dr_options), dr::ClusterAccess{"primary", *global, connection.kubeconfig},
        dr::ClusterAccess{"standby", *standby, flags.standby_kubeconfig}, std::cerr);
  }
  auto server = console::ConsoleServer::Start(std::move(options));
  if (!server.ok()) {
    return cli::Fail(
        absl::IsInvalidArgument(server.status()) ? exit_code::kUsage : exit_code::kFailed,
        server.status());
  }
  // The address holds the token: stdout only (never the log), for the operator to open.
  std::cout << "ac console: open " << (*server)->Url() << "\n" << std::flush;
  (*server)->Wait();
  return exit_code::kOk;
}

}  // namespace

void AddConsoleCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ConsoleFlags>();
  CLI::App* command = app.add_subcommand(
      "console", "A web console for upgrades and the DR pair (prints its address with a token)");
  cli::AddConnectionFlags(*command, flags->connection);
  command->add_option("--listen", flags->listen,
                      "host:port to serve on (default 127.0.0.1:8765; port 0: any free port)");
  command->add_option("--tls-cert-file", flags->tls_cert_file, "PEM certificate: serve HTTPS");
  command->add_option("--tls-key-file", flags->tls_key_file, "PEM key of --tls-cert-file");
  command->add_option("--standby-kubeconfig", flags->standby_kubeconfig,
                      "kubeconfig of the standby global cluster: enables the DR page");
  command->add_option("--monitor-url", flags->monitor_url,
                      "the standby's etcd-sync-monitor (default: its Service, read through the "
                      "standby API)");
  command->add_option("--monitor-token-file", flags->monitor_token_file,
                      "file holding the monitor's bearer token (mode 0600; never printed)");
  command->add_option("--standby-vip", flags->standby_vip,
                      "the standby VIP, expected in ProductBase base spec.alternativeURLs");
  command
      ->add_option("--primary-etcd-endpoints", flags->primary_etcd_endpoints,
                   "etcd endpoints the sync reaches through the primary VIP")
      ->delimiter(',');
  command->add_option("--journal-dir", flags->journal_dir,
                      "where `ac adm dr` keeps its journals (default .)");
  command->add_option("--state-dir", flags->state_dir,
                      "where TopoLVM's ArtifactVersion is saved before components move "
                      "(default .)");
  command->callback([flags, &exit_code] { exit_code = RunConsole(*flags); });
}
