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
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
