#include "sync/watch_tap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

// Records what it is told, one line per callback.
class Recorder : public etcdsync::WatchTap::Observer {
 public:
  void TapOpened(int64_t start_revision) override {
    told.push_back("open " + std::to_string(start_revision));
  }
  void TapDelivered(const etcd::pb::WatchResponse& response) override {
    told.push_back("response " + std::to_string(response.header().revision()));
  }
  void TapClosed() override { told.push_back("close"); }
  std::vector<std::string> told;
};

etcd::pb::WatchResponse At(int64_t revision) {
  etcd::pb::WatchResponse response;
  response.mutable_header()->set_revision(revision);
  return response;
}

TEST(WatchTapTest, TellsTheObserverEachStreamInOrder) {
  etcdsync::WatchTap tap;
  Recorder recorder;
  tap.Attach(&recorder);
  tap.Open(11);
  tap.Deliver(At(11));
  tap.Deliver(At(14));
  tap.Close();
  tap.Open(15);
  tap.Deliver(At(15));
  tap.Close();
  EXPECT_EQ(recorder.told, (std::vector<std::string>{"open 11", "response 11", "response 14",
                                                     "close", "open 15", "response 15", "close"}));
}

// An observer that missed a stream's start cannot count from it: it hears nothing until
// the next stream opens. Streams with no observer cost nothing and tell no one.
TEST(WatchTapTest, ObserverAttachedMidStreamWaitsForTheNextOpen) {
  etcdsync::WatchTap tap;
  tap.Open(5);
  tap.Deliver(At(5));
  Recorder recorder;
  tap.Attach(&recorder);
  tap.Deliver(At(6));
  tap.Close();
  EXPECT_TRUE(recorder.told.empty());
  tap.Open(7);
  tap.Deliver(At(7));
  EXPECT_EQ(recorder.told, (std::vector<std::string>{"open 7", "response 7"}));
}

TEST(WatchTapTest, DetachedObserverIsToldNothingMore) {
  etcdsync::WatchTap tap;
  Recorder recorder;
  tap.Attach(&recorder);
  tap.Open(3);
  tap.Attach(nullptr);
  tap.Deliver(At(3));
  tap.Close();
  tap.Open(4);
  EXPECT_EQ(recorder.told, (std::vector<std::string>{"open 3"}));
}

}  // namespace
