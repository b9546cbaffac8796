// The fault proxy's faults against single servers (issue 17): `reset` ends a connection with
// a true RST on both halves, and a Txn whose answer is held after it committed (the etcd
// client re-sends it on another endpoint) is applied once, not twice, when chained on the
// checkpoint (CheckpointChain); a term lost to an outage revokes its own old lease.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "etcd/client.h"
#include "support/child_process.h"
#include "support/etcd_member.h"
#include "support/fault_stage.h"
#include "support/temp_dir.h"
#include "sync/destination_writer.h"

namespace testing_support {
namespace {

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

// A connected loopback socket to `port`, -1 on failure.
int Dial(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// What a blocking reader of `fd` sees within 10 s: the errno of a failed recv, 0 for an
// orderly end (FIN), -1 for data or nothing.
int ReadOutcome(int fd) {
  pollfd readable{fd, POLLIN, 0};
  if (poll(&readable, 1, 10000) <= 0) return -1;
  char byte = 0;
  const ssize_t got = recv(fd, &byte, 1, 0);
  if (got == 0) return 0;
  return got < 0 ? errno : -1;
}

TEST(FaultProxyTest, ResetSendsARstToBothHalves) {
  TempDir dir;
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);

  FaultProxy proxy(dir.path(), "proxy", {ntohs(address.sin_port)});
  const int client = Dial(PortOf(proxy.endpoints()));
  ASSERT_GE(client, 0);
  ASSERT_EQ(send(client, "x", 1, MSG_NOSIGNAL), 1);
  const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  char byte = 0;
  ASSERT_EQ(recv(server, &byte, 1, 0), 1);  // the pipe is up both ways

  proxy.Command("reset");
  EXPECT_EQ(ReadOutcome(client), ECONNRESET) << "the client saw an orderly end, not a reset";
  EXPECT_EQ(ReadOutcome(server), ECONNRESET) << "the server saw an orderly end, not a reset";
  close(client);
  close(server);
  close(listener);
}

class HeldAnswerTest : public ::testing::Test {
 protected:
  // A client whose first endpoint is the proxy and second the member itself: after the
  // proxy's held answer times out, the client re-sends the Txn to the member directly.
  std::unique_ptr<etcd::Client> ClientThroughProxy() {
    etcd::ClientOptions options;
    options.endpoints = *etcd::ParseEndpoints(proxy_.endpoints() + "," + etcd_.url());
    options.request_timeout = std::chrono::milliseconds(1000);
    return *etcd::Client::Connect(options);
  }

  int64_t Put(const std::string& key, const std::string& value) {
    etcd::pb::PutRequest put;
    put.set_key(key);
    put.set_value(value);
    return etcd_.client().Put(put)->header().revision();
  }

  int64_t Version(const std::string& key) {
    etcd::pb::RangeRequest range;
    range.set_key(key);
    auto read = etcd_.client().Range(range);
    return read->kvs_size() == 1 ? read->kvs(0).version() : 0;
  }

  etcd::pb::TxnRequest FencedTxn(const std::string& key, const std::string& checkpoint) {
    etcd::pb::TxnRequest txn;
    auto* fence = txn.add_compare();
    fence->set_key(kLeaderKey);
    fence->set_target(etcd::pb::Compare::CREATE);
    fence->set_result(etcd::pb::Compare::EQUAL);
    fence->set_create_revision(fence_revision_);
    auto* data = txn.add_success()->mutable_request_put();
    data->set_key(key);
    data->set_value("once");
    auto* moved = txn.add_success()->mutable_request_put();
    moved->set_key(kCheckpointKey);
    moved->set_value(checkpoint);
    return txn;
  }

  static constexpr char kLeaderKey[] = "/etcd-sync/election/leader";
  static constexpr char kCheckpointKey[] = "/etcd-sync/checkpoint";
  TempDir dir_;
  EtcdMember etcd_{dir_.path(), "standby"};
  FaultProxy proxy_{dir_.path(), "proxy", {PortOf(etcd_.url())}};
  int64_t fence_revision_ = Put(kLeaderKey, "me");
};

TEST_F(HeldAnswerTest, AChainedTxnWhoseAnswerWasLostIsAppliedOnce) {
  Put(kCheckpointKey, "revision 1");
  auto client = ClientThroughProxy();
  etcdsync::CheckpointChain chain(kCheckpointKey);
  ASSERT_TRUE(chain.Load(*client).ok());

  proxy_.Command("hold-replies");
  absl::Status applied = etcdsync::ApplyTxn(*client, FencedTxn("/registry/a", "revision 2"),
                                            {kCheckpointKey, nullptr, &chain});
  proxy_.Command("heal");
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_EQ(Version("/registry/a"), 1) << "the re-sent Txn was applied twice";
  EXPECT_EQ(chain.replays_detected(), 1);

  // The chain goes on from the checkpoint the first attempt wrote.
  ASSERT_TRUE(etcdsync::ApplyTxn(*client, FencedTxn("/registry/b", "revision 3"),
                                 {kCheckpointKey, nullptr, &chain})
                  .ok());
  EXPECT_EQ(Version("/registry/b"), 1);
  EXPECT_EQ(chain.replays_detected(), 1);
}

TEST_F(HeldAnswerTest, WithoutTheChainTheResentTxnIsAppliedTwice) {
  // What the chain prevents: the client's retry after a lost answer is a second apply.
  auto client = ClientThroughProxy();
  proxy_.Command("hold-replies");
  absl::Status applied =
      etcdsync::ApplyTxn(*client, FencedTxn("/registry/a", "revision 2"), {kCheckpointKey});
  proxy_.Command("heal");
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_EQ(Version("/registry/a"), 2);
}

TEST_F(HeldAnswerTest, AChainedTxnFailsWhenAnotherWriterMovedTheCheckpoint) {
  Put(kCheckpointKey, "revision 1");
  auto client = ClientThroughProxy();
  etcdsync::CheckpointChain chain(kCheckpointKey);
  ASSERT_TRUE(chain.Load(*client).ok());
  Put(kCheckpointKey, "revision 7");  // not this writer's: an ordering problem, not a replay
  absl::Status applied = etcdsync::ApplyTxn(*client, FencedTxn("/registry/a", "revision 2"),
                                            {kCheckpointKey, nullptr, &chain});
  EXPECT_TRUE(etcdsync::IsFenceLost(applied)) << applied;
  EXPECT_EQ(Version("/registry/a"), 0);

  // And a lost fence is still reported as such.
  ASSERT_TRUE(chain.Load(*client).ok());
  Put(kLeaderKey, "me");  // same create revision: still ours
  etcd::pb::DeleteRangeRequest gone;
  gone.set_key(kLeaderKey);
  ASSERT_TRUE(etcd_.client().DeleteRange(gone).ok());
  Put(kLeaderKey, "another replica");
  applied = etcdsync::ApplyTxn(*client, FencedTxn("/registry/a", "revision 2"),
                               {kCheckpointKey, nullptr, &chain});
  EXPECT_TRUE(etcdsync::IsFenceLost(applied)) << applied;
  EXPECT_EQ(Version("/registry/a"), 0);
}

// A term lost to an outage of the destination: the destination may still hold the term's
// lease, and our leader key with it (a new etcd leader extends every lease by its TTL and an
// election timeout). etcd-sync revokes its own old lease once the destination answers again
// instead of campaigning behind it. Here the test keeps that old lease alive itself
// (`etcdctl lease keep-alive`, as the extension would, only longer): without the revoke the
// new campaign waits as long as the lease lives and nothing more is replicated.
TEST(StaleLeaseTest, ATermLostToAnOutageRevokesItsOwnOldLease) {
  TempDir dir;
  EtcdMember source(dir.path(), "source");
  EtcdMember standby(dir.path(), "standby");
  FaultProxy proxy(dir.path(), "proxy", {PortOf(standby.url())});
  ChildProcess sync({ETCD_SYNC_BINARY, "--source-endpoints", source.url(), "--dest-endpoints",
                     proxy.endpoints(), "--identity", "replica", "--leader-lease-ttl", "3",
                     "--request-timeout-ms", "2000", "--monitor-listen", "127.0.0.1:0"},
                    dir.File("sync.log"));
  ASSERT_TRUE(sync.WaitForLog("Start Sync update", std::chrono::seconds(60))) << sync.Log();

  etcd::pb::RangeRequest election;
  election.set_key("/etcd-sync/etcd-sync-mirror/");
  election.set_range_end("/etcd-sync/etcd-sync-mirror0");
  auto held = standby.client().Range(election);
  ASSERT_TRUE(held.ok() && held->kvs_size() == 1) << sync.Log();
  const int64_t lease = held->kvs(0).lease();
  ASSERT_NE(lease, 0);
  char lease_hex[32];
  std::snprintf(lease_hex, sizeof lease_hex, "%llx", static_cast<unsigned long long>(lease));

  proxy.Command("blackhole");
  ChildProcess keep_alive({"/usr/bin/env", "ETCDCTL_API=3", "etcdctl", "--endpoints", standby.url(),
                           "lease", "keep-alive", lease_hex},
                          dir.File("keep-alive.log"));
  ASSERT_TRUE(sync.WaitForLog("lost leadership", std::chrono::seconds(60))) << sync.Log();
  proxy.Command("heal");

  etcd::pb::PutRequest put;
  put.set_key("/registry/configmaps/team-a/after-the-outage");
  put.set_value("v");
  ASSERT_TRUE(source.client().Put(put).ok());
  etcd::pb::RangeRequest arrived;
  arrived.set_key(put.key());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool replicated = false;
  while (!replicated && std::chrono::steady_clock::now() < deadline) {
    auto read = standby.client().Range(arrived);
    replicated = read.ok() && read->kvs_size() == 1;
    if (!replicated) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(replicated) << "etcd-sync is waiting behind its own old leader key\n" << sync.Log();
  EXPECT_EQ(sync.CountInLog("Acquired leader lease"), 2) << sync.Log();
  EXPECT_TRUE(sync.WaitForLog("revoked lease", std::chrono::seconds(1)))
      << sync.Log() << "\nkeep-alive:\n"
      << keep_alive.Log();
}

}  // namespace
}  // namespace testing_support
