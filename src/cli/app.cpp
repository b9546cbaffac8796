#include "cli/app.h"

#include "cli/build_info.h"
#include "cli/fail.h"
#include "common/exit_codes.h"
#include "common/logging.h"

namespace cli {
namespace {

// Before parsing succeeded: did the command line ask for JSON logs? Then the usage error is
// a JSON line too, so that a collector never sees a stray text line.
bool AsksForJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--log-format=json") return true;
    if (arg == "--log-format" && i + 1 < argc && std::string_view(argv[i + 1]) == "json") {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string VersionLine(std::string_view tool) {
  return std::string(tool) + " " + BuildVersion() + " (commit " + BuildCommit() + ", built " +
         BuildDate() + ")";
}

void AddCommonFlags(CLI::App& app, LogFlags& log, const std::vector<std::string>& verbose_aliases) {
  app.set_version_flag("--version", VersionLine(ToolName()), "print the version and exit");
  app.add_option("--log-format", log.format,
                 "text (one plain line per event) or json (one JSON object per line: ts, level, "
                 "logger, msg)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  std::string names = "-v,--verbose";
  for (const std::string& alias : verbose_aliases) names += "," + alias;
  app.add_flag(names, log.verbose, "debug log lines");
}

std::optional<int> Parse(CLI::App& app, int argc, char** argv, std::string_view help) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (AsksForJson(argc, argv)) common::InitLogging(false, common::LogFormat::kJson, ToolName());
    const std::string see = help.empty() ? ToolName() + " --help" : std::string(help);
    return Fail(exit_code::kUsage, std::string(e.what()) + " (see " + see + ")");
  }
  return std::nullopt;
}

void StartLogging(const LogFlags& log) {
  common::InitLogging(log.verbose,
                      log.format == "json" ? common::LogFormat::kJson : common::LogFormat::kText,
                      ToolName());
}

}  // namespace cli
