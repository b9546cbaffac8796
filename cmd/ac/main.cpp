// ac: the platform's admin CLI, the parts our team builds: `ac adm upgrade` (request and
// watch upgrades, preflight, functional components), `ac adm dr` (the global DR runbook) and
// `ac console` (a web console over the same engines).
#include <CLI/CLI.hpp>

#include "ac_commands.h"
#include "cli/app.h"
#include "cli/fail.h"

int main(int argc, char** argv) {
  cli::SetToolName("ac");
  CLI::App app{"ac: Alauda Container Platform admin CLI (upgrade and DR commands)"};
  app.require_subcommand(1);
  app.fallthrough();  // --log-format, -v also after the subcommands
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  // The commands run from CLI11 callbacks during parsing: start logging as the flags say
  // first (CLI11 parses every option before it runs a callback).
  app.parse_complete_callback([&log] { cli::StartLogging(log); });
  CLI::App* adm = app.add_subcommand("adm", "Cluster administration");
  adm->require_subcommand(1);
  int exit_code = 0;
  AddUpgradeCommands(*adm, exit_code);
  AddDrCommands(*adm, exit_code);
  AddConsoleCommand(app, exit_code);
  // --help/--version exit 0; every other parse error is a usage error: exit 2, as the
  // subcommands' own flag checks do (CLI11's codes 105, 106, ... mean nothing to scripts).
  if (auto done = cli::Parse(app, argc, argv)) return *done;
  return exit_code;
}
