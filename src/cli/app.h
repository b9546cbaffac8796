// What every main shares around its CLI11 app: --version, --log-format and -v/--verbose,
// and parsing with one usage line (exit 2) on a bad command line.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// "<tool> <version> (commit <sha>, built <date>)".
std::string VersionLine(std::string_view tool);

struct LogFlags {
  std::string format = "text";  // text or json
  bool verbose = false;
};

// Adds --version (prints VersionLine(ToolName()), exits 0), --log-format text|json and
// -v/--verbose plus `verbose_aliases` (e.g. "--debug") to `app`. An app with subcommands
// should call app.fallthrough() before adding them, so these flags work after a subcommand.
void AddCommonFlags(CLI::App& app, LogFlags& log,
                    const std::vector<std::string>& verbose_aliases = {});

// Parses; on --help/--version returns 0 (after printing), on any other parse error prints
// one line "<tool>: <error> (see <help>)" and returns exit_code::kUsage. nullopt: go on.
// `help` defaults to "<tool> --help".
std::optional<int> Parse(CLI::App& app, int argc, char** argv, std::string_view help = "");

// Starts the process's logging as the flags say (logger named after the tool).
void StartLogging(const LogFlags& log);

}  // namespace cli
