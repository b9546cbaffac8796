// violet: pushes Marketplace packages (operator bundles, cluster plugins, charts) into a
// platform, and shows, verifies, lists and garbage-collects them. Flags -> src/violet.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli/app.h"
#include "cli/connection_flags.h"
#include "cli/fail.h"
#include "cli/log_stream.h"
#include "cli/registry_flags.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "package/opened_package.h"
#include "package/package_archive.h"
#include "package/package_verification.h"
#include "registry/credential_chain.h"
#include "violet/failure.h"
#include "violet/gc_command.h"
#include "violet/list_command.h"
#include "violet/push_command.h"
#include "violet/show_format.h"

namespace {

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

// The exit-code table (common/exit_codes.h, README) row of each way a violet command fails.
int ExitCodeFor(violet::FailureKind kind) {
  switch (kind) {
    case violet::FailureKind::kStep:
      return exit_code::kFailed;
    case violet::FailureKind::kUsage:
      return exit_code::kUsage;
    case violet::FailureKind::kPackageInvalid:
      return exit_code::kInvalidInput;
    case violet::FailureKind::kCredentialsRefused:
      return exit_code::kAuthRefused;
    case violet::FailureKind::kRegistryUnreachable:
      return exit_code::kRegistryUnreachable;
    case violet::FailureKind::kClusterUnreachable:
      return exit_code::kClusterUnreachable;
    case violet::FailureKind::kImagesMissing:
      return exit_code::kImagesMissing;
    case violet::FailureKind::kBlocked:
      return exit_code::kBlocked;
  }
  return exit_code::kFailed;
}

// Prints a failed command's line (unless the engine already did) and returns its exit code.
int Finish(const violet::Outcome& outcome) {
  if (outcome.ok()) return exit_code::kOk;
  if (outcome.reported()) return ExitCodeFor(outcome.kind());
  return cli::Fail(ExitCodeFor(outcome.kind()), outcome.status());
}

// --dest-repo without --username, --password or --no-auth: the credentials a `docker login`
// or `podman login` kept (registry/credential_chain.h); none found is credentials missing.
// The platform's registry keeps the platform's credentials (Secret registry-admin).
absl::Status FindDestRepoCredentials(violet::PushRequest& push, const std::string& authfile) {
  if (push.dest_repo.empty()) {
    if (authfile.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "--authfile goes with --dest-repo (the platform registry's credentials come from Secret "
        "cpaas-system/registry-admin, or --username)");
  }
  if (!push.username.empty() || !push.password.empty() || push.no_auth) return absl::OkStatus();
  const std::string host = registry::NormalizeRegistryKey(push.dest_repo);
  auto found = registry::FindRegistryCredentials(
      host, registry::CredentialSearch::FromEnvironment(authfile));
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::UnauthenticatedError(fmt::format(
        "--dest-repo {}: no credentials for it — pass --username and --password (or "
        "$VIOLET_REGISTRY_PASSWORD), log in with docker login / podman login (or --authfile), "
        "or --no-auth",
        push.dest_repo));
  }
  const registry::Credentials& credentials = (*found)->credentials;
  spdlog::info("using the credentials of {} for {} from {}",
               credentials.identity_token() ? std::string("an identity token")
                                            : "user \"" + credentials.username + "\"",
               host, (*found)->source);
  push.username = credentials.username;
  push.password = credentials.password;
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("violet");
  CLI::App app{"violet: pushes Marketplace packages into an ACP platform."};
  app.require_subcommand(1);
  app.fallthrough();  // --debug, --log-format ... also after the subcommand
  cli::LogFlags log;
  cli::AddCommonFlags(app, log, {"--debug"});

  // push
  violet::PushRequest push;
  cli::ConnectionFlags push_platform;
  cli::RegistryFlags push_registry;
  std::vector<std::string> clusters;
  auto* push_cmd = app.add_subcommand("push", "push a package (.tgz) or every package in a dir");
  push_cmd->add_option("path", push.path, "package .tgz or directory")->required();
  cli::AddConnectionFlags(*push_cmd, push_platform);
  cli::RegistryFlagNames push_registry_names;
  push_registry_names.registry = "--dest-repo";  // instead of the platform's registry
  push_registry_names.ca_file = "--registry-ca-file";
  push_registry_names.password_env = "VIOLET_REGISTRY_PASSWORD";
  push_registry_names.no_auth = true;
  push_registry.limits = push.transfer_limits;
  cli::AddRegistryFlags(*push_cmd, push_registry, push_registry_names);
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
  cli::ConnectionFlags list_platform;
  auto* list_cmd = app.add_subcommand("list", "installed Aligned/Agnostic extensions (apps.yaml)");
  cli::AddConnectionFlags(*list_cmd, list_platform);
  list_cmd->add_option("--clusters", list.clusters, "only these clusters (a,b)")->delimiter(',');
  list_cmd->add_option("--output-file", list.output_file, "where to write the YAML")
      ->capture_default_str();

  // gc
  violet::GcRequest gc;
  cli::ConnectionFlags gc_platform;
  std::vector<std::string> gc_clusters;
  auto* gc_cmd = app.add_subcommand("gc", "delete Aligned/Agnostic leftovers");
  cli::AddConnectionFlags(*gc_cmd, gc_platform);
  gc_cmd->add_option("--clusters", gc_clusters, "clusters to clean (default global)")
      ->delimiter(',');
  gc_cmd->add_option("--namespace", gc.ns, "namespace of Artifact/ArtifactVersion")
      ->capture_default_str();
  gc_cmd->add_flag("--dry-run", gc.dry_run, "print what would be deleted, delete nothing");

  auto* version_cmd = app.add_subcommand("version", "print violet's version");

  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);
  std::ostream& report = cli::ReportStream(log);  // engine lines: JSON under --log-format json

  if (version_cmd->parsed()) {
    std::cout << cli::VersionLine("violet") << "\n";
    return exit_code::kOk;
  }
  if (show_cmd->parsed()) {
    auto manifest = package::ReadPackageManifest(show_path, show_limits);
    if (!manifest.ok()) {
      return cli::Fail(exit_code::kInvalidInput, manifest.status());
    }
    std::cout << violet::FormatShow(*manifest, show_all);
    return exit_code::kOk;
  }
  if (verify_cmd->parsed()) {
    auto packages = package::FindPackages(verify_path);
    if (!packages.ok()) {
      return cli::Fail(exit_code::kInvalidInput, packages.status());
    }
    std::vector<package::Verification> results;
    for (const std::string& archive : *packages) {
      results.push_back(package::VerifyPackageFile(archive, verify_options));
      if (!results.back().warning.empty()) {
        report << "WARNING: " << std::filesystem::path(archive).filename().string() << ": "
               << results.back().warning << "\n";
      }
    }
    std::cout << package::FormatVerificationSummary(verify_path, results);
    for (const auto& result : results) {
      if (result.outcome == package::VerificationOutcome::kFailed) {
        return exit_code::kInvalidInput;
      }
    }
    return exit_code::kOk;
  }
  if (push_cmd->parsed()) {
    push.connection = cli::ToConnection(push_platform);
    push.dest_repo = push_registry.registry;
    push.username = push_registry.username;
    push.password = common::Secret(push_registry.password);
    push.no_auth = push_registry.no_auth;
    push.plain = push_registry.plain;
    push.registry_insecure = push_registry.insecure;
    push.registry_ca_file = push_registry.ca_file;
    push.transfer_limits = push_registry.limits;
    if (absl::Status found = FindDestRepoCredentials(push, push_registry.authfile); !found.ok()) {
      return cli::Fail(absl::IsUnauthenticated(found) ? exit_code::kAuthRefused : exit_code::kUsage,
                       found);
    }
    if (clusters_option->count() > 0) {
      push.clusters = clusters;
      push.clusters_given = true;
    }
    return Finish(violet::RunPush(push, std::cout, report));
  }
  if (list_cmd->parsed()) {
    list.connection = cli::ToConnection(list_platform);
    return Finish(violet::RunList(list, std::cout, report));
  }
  gc.connection = cli::ToConnection(gc_platform);
  if (!gc_clusters.empty()) gc.clusters = gc_clusters;
  return Finish(violet::RunGc(gc, std::cout, report));
}
