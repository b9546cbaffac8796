// The watch body decoder (WatchEventSplitter) fed as libcurl hands chunks over: events split
// across chunks, several per chunk, an overlong line, bad JSON, ERROR 410. No network.
#include "k8s/watch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace k8s {
namespace {

using nlohmann::json;

std::string Event(const std::string& type, const std::string& name, const std::string& version) {
  return json{{"type", type},
              {"object", {{"metadata", {{"name", name}, {"resourceVersion", version}}}}}}
             .dump() +
         "\n";
}

struct Seen {
  std::vector<std::string> names;
  std::vector<WatchEventType> types;
  WatchCallback callback() {
    return [this](const WatchEvent& event) {
      names.push_back(event.object["metadata"]["name"].get<std::string>());
      types.push_back(event.type);
      return true;
    };
  }
};

TEST(WatchEventSplitterTest, EventsSplitAcrossChunksAtEveryByte) {
  const std::string body = Event("ADDED", "a", "1") + Event("MODIFIED", "b", "2") +
                           Event("DELETED", "c", "3") + Event("BOOKMARK", "", "4");
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    WatchEventSplitter splitter(1 << 20, "watch test");
    Seen seen;
    ASSERT_TRUE(splitter.Feed(std::string_view(body).substr(0, cut), seen.callback()).ok());
    ASSERT_TRUE(splitter.Feed(std::string_view(body).substr(cut), seen.callback()).ok());
    ASSERT_TRUE(splitter.Finish(seen.callback()).ok());
    ASSERT_EQ(seen.names, (std::vector<std::string>{"a", "b", "c", ""})) << "cut at " << cut;
    EXPECT_EQ(seen.types,
              (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kModified,
                                           WatchEventType::kDeleted, WatchEventType::kBookmark}));
    EXPECT_EQ(splitter.resource_version(), "4");
  }
}

TEST(WatchEventSplitterTest, OneByteChunksCrlfAndBlankLines) {
  const std::string body =
      "\r\n" + Event("ADDED", "a", "7") + "\n  \n" +
      json{{"type", "MODIFIED"}, {"object", {{"metadata", {{"name", "b"}}}}}}.dump() + "\r\n";
  WatchEventSplitter splitter(1 << 20, "watch test");
  Seen seen;
  for (char c : body) ASSERT_TRUE(splitter.Feed(std::string_view(&c, 1), seen.callback()).ok());
  ASSERT_TRUE(splitter.Finish(seen.callback()).ok());
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(splitter.resource_version(), "7");  // b carried none
}

TEST(WatchEventSplitterTest, ALastEventWithoutNewlineIsDecodedAtTheEnd) {
  std::string body = Event("ADDED", "a", "1") + Event("ADDED", "b", "2");
  body.pop_back();
  WatchEventSplitter splitter(1 << 20, "watch test");
  Seen seen;
  ASSERT_TRUE(splitter.Feed(body, seen.callback()).ok());
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a"}));
  ASSERT_TRUE(splitter.Finish(seen.callback()).ok());
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a", "b"}));
}

TEST(WatchEventSplitterTest, TheCallbackStopsTheWatch) {
  const std::string body = Event("ADDED", "a", "1") + Event("ADDED", "b", "2");
  WatchEventSplitter splitter(1 << 20, "watch test");
  std::vector<std::string> names;
  auto stop_at_first = [&](const WatchEvent& event) {
    names.push_back(event.object["metadata"]["name"].get<std::string>());
    return false;
  };
  ASSERT_TRUE(splitter.Feed(body, stop_at_first).ok());
  EXPECT_TRUE(splitter.stopped());
  ASSERT_TRUE(splitter.Feed(Event("ADDED", "c", "3"), stop_at_first).ok());
  ASSERT_TRUE(splitter.Finish(stop_at_first).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(splitter.resource_version(), "1");
}

TEST(WatchEventSplitterTest, AnOverlongLineIsRefusedBeforeItEnds) {
  const std::string small = Event("ADDED", "a", "1");
  WatchEventSplitter splitter(small.size() + 8, "watch https://h/x");
  Seen seen;
  ASSERT_TRUE(splitter.Feed(small, seen.callback()).ok());
  // A line that never ends: refused as soon as it passes the bound, not buffered on.
  const std::string endless(small.size() + 9, 'x');
  absl::Status status = splitter.Feed(endless, seen.callback());
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_EQ(status.message(), "watch https://h/x: an event is more than " +
                                  std::to_string(small.size() + 8) + " bytes; refusing it");
  // Same error afterwards, nothing more handed over.
  EXPECT_EQ(splitter.Feed(small, seen.callback()), status);
  EXPECT_EQ(splitter.Finish(seen.callback()), status);
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a"}));
}

TEST(WatchEventSplitterTest, AnOverlongLineAcrossChunksIsRefused) {
  WatchEventSplitter splitter(100, "watch test");
  Seen seen;
  ASSERT_TRUE(splitter.Feed(std::string(60, ' '), seen.callback()).ok());
  EXPECT_TRUE(
      absl::IsResourceExhausted(splitter.Feed(std::string(60, ' ') + "\n", seen.callback())));
}

TEST(WatchEventSplitterTest, BadJsonAndNotAWatchEventAreDataLoss) {
  for (const std::string& line :
       {std::string("{\"type\":\"ADDED\",\"object\":{\n"), std::string("[1,2]\n"),
        std::string("{\"type\":\"ADDED\"}\n"), std::string("{\"type\":7,\"object\":{}}\n"),
        std::string("{\"type\":\"SOMETHING\",\"object\":{}}\n")}) {
    WatchEventSplitter splitter(1 << 20, "watch test");
    Seen seen;
    absl::Status status = splitter.Feed(line, seen.callback());
    EXPECT_TRUE(absl::IsDataLoss(status)) << line << " -> " << status;
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << status;
    EXPECT_TRUE(seen.names.empty());
  }
}

TEST(WatchEventSplitterTest, DeepNestingIsRefusedWithoutRecursion) {
  const std::string deep = "{\"type\":\"ADDED\",\"object\":{\"a\":" + std::string(100000, '[') +
                           std::string(100000, ']') + "}}\n";
  WatchEventSplitter splitter(1 << 20, "watch test");
  Seen seen;
  absl::Status status = splitter.Feed(deep, seen.callback());
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_NE(status.message().find("nests deeper"), std::string::npos) << status;
}

TEST(WatchEventSplitterTest, AnErrorEvent410IsResourceExpired) {
  const std::string gone = json{{"type", "ERROR"},
                                {"object",
                                 {{"kind", "Status"},
                                  {"apiVersion", "v1"},
                                  {"status", "Failure"},
                                  {"message", "too old resource version: 5 (9)"},
                                  {"reason", "Expired"},
                                  {"code", 410}}}}
                               .dump() +
                           "\n";
  WatchEventSplitter splitter(1 << 20, "watch test");
  Seen seen;
  absl::Status status = splitter.Feed(Event("ADDED", "a", "5") + gone, seen.callback());
  EXPECT_TRUE(IsResourceExpired(status)) << status;
  EXPECT_NE(status.message().find("too old resource version: 5 (9)"), std::string::npos);
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a"}));
}

TEST(WatchEventSplitterTest, AnotherErrorEventIsTheApiError) {
  const std::string error = json{{"type", "ERROR"},
                                 {"object",
                                  {{"kind", "Status"},
                                   {"message", "internal error"},
                                   {"reason", "InternalError"},
                                   {"code", 500}}}}
                                .dump() +
                            "\n";
  WatchEventSplitter splitter(1 << 20, "watch test");
  Seen seen;
  absl::Status status = splitter.Feed(error, seen.callback());
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_FALSE(IsResourceExpired(status));
  EXPECT_NE(status.message().find("internal error"), std::string::npos);
}

}  // namespace
}  // namespace k8s
