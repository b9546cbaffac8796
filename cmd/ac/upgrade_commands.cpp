// Placeholder registration, replaced by the upgrade commands' author.
#include "ac_commands.h"

void AddUpgradeCommands(CLI::App&, int&) {}
