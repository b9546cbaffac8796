// violet: pushes Marketplace packages (operator bundles, cluster plugins, charts) into a
// platform, and shows, verifies, lists and garbage-collects them. Flags -> src/violet.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "common/absl_fmt.h"
#include "common/logging.h"
#include "package/opened_package.h"
#include "package/package_archive.h"
#include "package/package_verification.h"
#include "registry/transfer_flags.h"
#include "violet/exit_codes.h"
#include "violet/gc_command.h"
#include "violet/list_command.h"
#include "violet/push_command.h"
#include "violet/show_format.h"

namespace {

// The platform connection flags push, list and gc share.
struct PlatformFlags {
  std::string address, username, password, token, kubeconfig, ca_file;
  bool insecure = false;

  void AddTo(CLI::App* command) {
    command->add_option("--platform-address", address,
                        "platform URL, e.g. https://acp.example.com or https://[fd00::10]");
    command->add_option("--platform-username", username, "a local platform user");
    command
        ->add_option("--platform-password", password,
                     "its password (or $VIOLET_PLATFORM_PASSWORD; shows in ps otherwise)")
        ->envname("VIOLET_PLATFORM_PASSWORD");
    command
        ->add_option("--platform-token", token,
                     "API token from Profile > API Tokens (or $VIOLET_PLATFORM_TOKEN)")
        ->envname("VIOLET_PLATFORM_TOKEN");
    command->add_option("--platform-ca-file", ca_file, "CA bundle for the platform address");
    command->add_flag("--platform-insecure", insecure,
                      "do not verify the platform's TLS certificate");
    command->add_option("--kubeconfig", kubeconfig,
                        "talk to the cluster of a kubeconfig instead of a platform address");
  }
  platform::Connection Connection() const {
    platform::Connection connection;
    connection.platform_address = address;
    connection.platform_token = common::Secret(token);
    connection.platform_username = username;
    connection.platform_password = common::Secret(password);
    connection.kubeconfig = kubeconfig;
    connection.ca_file = ca_file;
    connection.insecure_skip_tls_verify = insecure;
    return connection;
  }
};

// How far a package may expand when it is read (push, show).
void AddLimitFlags(CLI::App* command, package::ExtractLimits& limits) {
  command
      ->add_option("--max-extract-bytes", limits.max_total_bytes,
                   "refuse a package that extracts to more bytes than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--max-member-bytes", limits.max_member_bytes,
                   "refuse a package with a member larger than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--max-members", limits.max_members,
                   "refuse a package with more members (files and directories)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--max-extract-ratio", limits.max_ratio,
                   "refuse a package that extracts to more than this many times its size once "
                   "past 64 MiB (a decompression bomb); 0: no ratio check")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"violet: pushes Marketplace packages into an ACP platform."};
  app.require_subcommand(1);
  bool debug = false;
  app.add_flag("--debug", debug, "debug log lines");

  // push
  violet::PushRequest push;
  PlatformFlags push_platform;
  std::string registry_password;
  std::vector<std::string> clusters;
  auto* push_cmd = app.add_subcommand("push", "push a package (.tgz) or every package in a dir");
  push_cmd->add_option("path", push.path, "package .tgz or directory")->required();
  push_platform.AddTo(push_cmd);
  push_cmd->add_option("--dest-repo", push.dest_repo,
                       "registry host[:port] instead of the platform registry (IPv6: "
                       "[fd00::1]:11443)");
  push_cmd->add_option("--username", push.username, "registry user");
  push_cmd
      ->add_option("--password", registry_password,
                   "registry password (or $VIOLET_REGISTRY_PASSWORD)")
      ->envname("VIOLET_REGISTRY_PASSWORD");
  push_cmd->add_flag("--no-auth", push.no_auth, "the registry needs no credentials");
  push_cmd->add_flag("--plain", push.plain, "HTTP instead of HTTPS to the registry");
  push_cmd->add_flag("--insecure", push.registry_insecure,
                     "HTTPS without verifying the registry's certificate");
  push_cmd->add_option("--registry-ca-file", push.registry_ca_file, "CA bundle for the registry");
  registry::AddTransferLimitFlags(*push_cmd, push.transfer_limits);
  auto* clusters_option =
      push_cmd->add_option("--clusters", clusters, "target clusters for operators (a,b)")
          ->delimiter(',');
  push_cmd->add_option("--target-catalog-source", push.catalog_source, "operator CatalogSource")
      ->capture_default_str();
  push_cmd->add_option("--target-chartrepo", push.chart_repo, "chart repository")
      ->capture_default_str();
  push_cmd->add_option("--namespace", push.ns, "namespace of Artifact/ArtifactVersion")
      ->capture_default_str();
  push_cmd->add_flag("--skip-crs", push.skip_crs, "push images only");
  push_cmd->add_flag("--skip-push", push.skip_push, "create custom resources only");
  push_cmd->add_flag("--force", push.force,
                     "create custom resources on workload clusters even while the global "
                     "cluster's upgrade is in progress");
  push_cmd->add_flag("--skip-verify", push.skip_verify,
                     "do not check the .sha256/.sig files beside packages");
  push_cmd->add_option("--keyring", push.keyring,
                       "public keys (file or GnuPG home) for .sig checks (default "
                       "$VIOLET_KEYRING, then ~/.gnupg); a named keyring requires signatures");
  push_cmd->add_flag("--allow-unsigned", push.allow_unsigned,
                     "with --keyring/$VIOLET_KEYRING: accept packages without .sig (checksum "
                     "only, with a warning)");
  AddLimitFlags(push_cmd, push.limits);
  push_cmd->add_option("--parallel", push.parallel, "registry requests in flight")
      ->check(CLI::Range(1, 64));

  // show
  std::string show_path;
  bool show_all = false;
  auto* show_cmd = app.add_subcommand("show", "print a package's metadata");
  show_cmd->add_option("package", show_path, "package .tgz")->required();
  show_cmd->add_flag("--all", show_all, "also the artifact and the related images");
  package::ExtractLimits show_limits;
  AddLimitFlags(show_cmd, show_limits);

  // verify
  std::string verify_path;
  package::VerifyOptions verify_options;
  auto* verify_cmd = app.add_subcommand("verify", "check packages' .sha256 and .sig files");
  verify_cmd->add_option("path", verify_path, "package .tgz or directory")->required();
  verify_cmd->add_option("--keyring", verify_options.keyring,
                         "public keys (file or GnuPG home); default $VIOLET_KEYRING, then "
                         "~/.gnupg; a named keyring requires signatures");
  verify_cmd->add_flag("--allow-unsigned", verify_options.allow_unsigned,
                       "with --keyring/$VIOLET_KEYRING: accept packages without .sig");

  // list
  violet::ListRequest list;
  PlatformFlags list_platform;
  auto* list_cmd = app.add_subcommand("list", "installed Aligned/Agnostic extensions (apps.yaml)");
  list_platform.AddTo(list_cmd);
  list_cmd->add_option("--clusters", list.clusters, "only these clusters (a,b)")->delimiter(',');
  list_cmd->add_option("--output-file", list.output_file, "where to write the YAML")
      ->capture_default_str();

  // gc
  violet::GcRequest gc;
  PlatformFlags gc_platform;
  std::vector<std::string> gc_clusters;
  auto* gc_cmd = app.add_subcommand("gc", "delete Aligned/Agnostic leftovers");
  gc_platform.AddTo(gc_cmd);
  gc_cmd->add_option("--clusters", gc_clusters, "clusters to clean (default global)")
      ->delimiter(',');
  gc_cmd->add_option("--namespace", gc.ns, "namespace of Artifact/ArtifactVersion")
      ->capture_default_str();
  gc_cmd->add_flag("--dry-run", gc.dry_run, "print what would be deleted, delete nothing");

  auto* version_cmd = app.add_subcommand("version", "print violet's version");

  for (CLI::App* command : {push_cmd, list_cmd, gc_cmd, verify_cmd, show_cmd}) {
    command->add_flag("--debug", debug, "debug log lines");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "violet: " << e.what() << " (see violet --help)\n";
    return violet::kExitUsage;
  }
  common::InitLogging(debug);

  if (version_cmd->parsed()) {
    std::cout << "violet v" << VIOLET_VERSION << "\n";
    return violet::kExitOk;
  }
  if (show_cmd->parsed()) {
    auto manifest = package::ReadPackageManifest(show_path, show_limits);
    if (!manifest.ok()) {
      std::cerr << "violet: " << common::View(manifest.status().message()) << "\n";
      return violet::kExitPackageInvalid;
    }
    std::cout << violet::FormatShow(*manifest, show_all);
    return violet::kExitOk;
  }
  if (verify_cmd->parsed()) {
    auto packages = package::FindPackages(verify_path);
    if (!packages.ok()) {
      std::cerr << "violet: " << common::View(packages.status().message()) << "\n";
      return violet::kExitUsage;
    }
    std::vector<package::Verification> results;
    for (const std::string& archive : *packages) {
      results.push_back(package::VerifyPackageFile(archive, verify_options));
      if (!results.back().warning.empty()) {
        std::cerr << "WARNING: " << std::filesystem::path(archive).filename().string() << ": "
                  << results.back().warning << "\n";
      }
    }
    std::cout << package::FormatVerificationSummary(verify_path, results);
    for (const auto& result : results) {
      if (result.outcome == package::VerificationOutcome::kFailed) {
        return violet::kExitPackageInvalid;
      }
    }
    return violet::kExitOk;
  }
  if (push_cmd->parsed()) {
    push.connection = push_platform.Connection();
    push.password = common::Secret(registry_password);
    if (clusters_option->count() > 0) {
      push.clusters = clusters;
      push.clusters_given = true;
    }
    return violet::RunPush(push, std::cout, std::cerr);
  }
  if (list_cmd->parsed()) {
    list.connection = list_platform.Connection();
    return violet::RunList(list, std::cout, std::cerr);
  }
  gc.connection = gc_platform.Connection();
  if (!gc_clusters.empty()) gc.clusters = gc_clusters;
  return violet::RunGc(gc, std::cout, std::cerr);
}
