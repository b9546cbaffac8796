// The `ac adm ...` command groups, each defined in its own file: upgrade_commands.cpp
// (ac adm upgrade ...) and dr_commands.cpp (ac adm dr ...). Each registers its
// subcommands under `adm` and, when one runs, stores its exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

void AddUpgradeCommands(CLI::App& adm, int& exit_code);
void AddDrCommands(CLI::App& adm, int& exit_code);
// `ac console` (console_command.cpp): a top-level command, beside `adm`.
void AddConsoleCommand(CLI::App& app, int& exit_code);
