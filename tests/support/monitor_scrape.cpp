#include "support/monitor_scrape.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "support/http_get.h"

namespace testing_support {

std::optional<double> Metric(const std::string& text, const std::string& name) {
  const std::regex line("(^|\n)" + name + " ([^\n]+)");
  std::smatch match;
  if (!std::regex_search(text, match, line)) return std::nullopt;
  return std::stod(match[2]);
}

int64_t EtcdRangeCalls(const std::string& etcd_url) {
  const std::string body = HttpGet(etcd_url + "/metrics", "", "", 10).body;
  const std::string line =
      "\ngrpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Range\","
      "grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} ";
  const size_t at = body.find(line);
  EXPECT_NE(at, std::string::npos) << body.substr(0, 2000);
  return at == std::string::npos ? -1 : std::stoll(body.substr(at + line.size()));
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
