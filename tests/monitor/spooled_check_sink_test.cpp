#include "monitor/spooled_check_sink.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace monitor {
namespace {

std::string Render(SpooledCheckSink& sink, bool json, const etcdsync::CheckReport& report = {}) {
  std::string out;
  auto write = [&](std::string_view chunk) {
    out += chunk;
    return true;
  };
  json ? sink.RenderJson(report, write) : sink.RenderText(write);
  return out;
}

TEST(SpooledCheckSinkTest, TextHasTheDocumentedSections) {
  SpooledCheckSink sink;
  sink.Missed("/registry/pods/a/1");
  sink.Surplus("/registry/pods/a/2");
  sink.Missed("/registry/pods/a/3");
  sink.Stale("/registry/pods/a/4");
  EXPECT_EQ(Render(sink, false),
            "LOCAL ETCD missed keys:\n/registry/pods/a/1\n/registry/pods/a/3\n"
            "LOCAL ETCD surplus keys:\n/registry/pods/a/2\n"
            "LOCAL ETCD stale keys:\n/registry/pods/a/4\n");
  EXPECT_EQ(Render(sink, false), Render(sink, false));  // rendering twice is safe
}

TEST(SpooledCheckSinkTest, ResetForgetsAnAbandonedPass) {
  SpooledCheckSink sink;
  sink.Missed("/registry/x");
  sink.Reset();
  EXPECT_EQ(Render(sink, false),
            "LOCAL ETCD missed keys:\nLOCAL ETCD surplus keys:\nLOCAL ETCD stale keys:\n");
}

TEST(SpooledCheckSinkTest, JsonCarriesCountsAndKeys) {
  SpooledCheckSink sink;
  sink.Surplus("/registry/a\"quoted");
  etcdsync::CheckReport report;
  report.surplus = 1;
  report.source_revision = 42;
  auto json = nlohmann::json::parse(Render(sink, true, report));
  EXPECT_EQ(json["sourceRevision"], 42);
  EXPECT_EQ(json["consistent"], false);
  EXPECT_EQ(json["missed"]["count"], 0);
  EXPECT_EQ(json["surplus"]["count"], 1);
  EXPECT_EQ(json["surplus"]["keys"][0], "/registry/a\"quoted");
}

TEST(SpooledCheckSinkTest, ContestedKeysAreListedWhenThereAreAny) {
  SpooledCheckSink sink;
  sink.Surplus("/registry/pods/a/2");
  sink.SetContested({"/registry/pods/a/9"}, 2);
  EXPECT_EQ(Render(sink, false),
            "LOCAL ETCD missed keys:\nLOCAL ETCD surplus keys:\n/registry/pods/a/2\n"
            "LOCAL ETCD stale keys:\nLOCAL ETCD contested keys:\n/registry/pods/a/9\n"
            "... (1 more)\n");
  etcdsync::CheckReport report;
  report.surplus = 1;
  auto json = nlohmann::json::parse(Render(sink, true, report));
  EXPECT_EQ(json["contested"]["count"], 2);
  EXPECT_EQ(json["contested"]["keys"][0], "/registry/pods/a/9");
  EXPECT_EQ(json["surplus"]["count"], 1);
}

}  // namespace
}  // namespace monitor
