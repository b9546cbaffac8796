// Placeholder registration, replaced by the dr commands' author.
#include "ac_commands.h"

void AddDrCommands(CLI::App&, int&) {}
