#include "support/monitor_scrape.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>

namespace testing_support {

std::optional<double> Metric(const std::string& text, const std::string& name) {
  const std::regex line("(^|\n)" + name + " ([^\n]+)");
  std::smatch match;
  if (!std::regex_search(text, match, line)) return std::nullopt;
  return std::stod(match[2]);
}

std::string MonitorBase(ChildProcess& sync) {
  EXPECT_TRUE(sync.WaitForLog("etcd-sync-monitor listening on", std::chrono::seconds(20)))
      << sync.Log();
  std::smatch match;
  const std::string log = sync.Log();
  if (!std::regex_search(log, match, std::regex("etcd-sync-monitor listening on (\\S+:\\d+)"))) {
    return "";
  }
  return "http://" + match[1].str();
}

}  // namespace testing_support
