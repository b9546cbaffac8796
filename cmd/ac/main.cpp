// ac: the platform's admin CLI, the parts our team builds: `ac adm upgrade` (request and
// watch upgrades, preflight, functional components) and `ac adm dr` (the global DR runbook).
#include <CLI/CLI.hpp>

#include "ac_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ac: Alauda Container Platform admin CLI (upgrade and DR commands)"};
  app.require_subcommand(1);
  CLI::App* adm = app.add_subcommand("adm", "Cluster administration");
  adm->require_subcommand(1);
  int exit_code = 0;
  AddUpgradeCommands(*adm, exit_code);
  AddDrCommands(*adm, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help prints and exits 0; every other parse error is a usage error: exit 2, as the
    // subcommands' own flag checks do (CLI11's codes 105, 106, ... mean nothing to scripts).
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
