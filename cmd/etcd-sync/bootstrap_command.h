// `etcd-sync bootstrap`: its settings and the subcommand. The settings the plugin's form
// has (active-global-vip, active-token-secret) and the CA location are options of the main
// command too, so config.yaml (the ModuleInfo spec.config keys) carries them for both.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

struct BootstrapFlags {
  std::string active_global_vip;
  std::string active_token_secret = "etcd-sync-active-cluster-token";
  std::string active_etcd_ca_secret = "kube-system/etcd-ca";
  std::string platform_cert_secret = "cpaas-system/dex.tls";
  std::string active_server_name;
  std::string kubeconfig;  // of the standby; default: in-cluster, then $KUBECONFIG
  int client_wait = 120;   // seconds to wait for cert-manager's remote-etcd-client
};

// Adds the settings to `app` and returns the `bootstrap` subcommand (call before parsing).
CLI::App* AddBootstrapCommand(CLI::App& app, BootstrapFlags& flags);

// Runs one bootstrap pass; returns the exit code (src/common/exit_codes.h).
int RunBootstrap(const BootstrapFlags& flags);
