// The etcd client against a real etcd: paging, Txn compares, Watch and compaction, leases,
// endpoint failover, TLS and user/password auth, and the error lines operators see.
#include <gtest/gtest.h>

#include <thread>

#include "etcd/client.h"
#include "etcd/key_range.h"
#include "etcd/lease_keeper.h"
#include "etcd/watch_stream.h"
#include "support/etcd_member.h"
#include "support/status_text.h"
#include "support/temp_dir.h"

namespace {

using testing_support::EtcdMember;
using testing_support::RunScript;
using testing_support::TempDir;

void Put(etcd::Client& client, const std::string& key, const std::string& value) {
  etcd::pb::PutRequest put;
  put.set_key(key);
  put.set_value(value);
  ASSERT_TRUE(client.Put(put).ok());
}

using testing_support::Message;

class EtcdClientTest : public ::testing::Test {
 protected:
  TempDir dir_;
  EtcdMember etcd_{dir_.path(), "single"};
};

TEST_F(EtcdClientTest, RangePagesAtARevision) {
  for (int i = 0; i < 25; ++i) Put(etcd_.client(), "/p/" + std::to_string(100 + i), "v");
  etcd::pb::RangeRequest count;
  count.set_key("/p/");
  count.set_range_end(etcd::PrefixRangeEnd("/p/"));
  count.set_count_only(true);
  auto counted = etcd_.client().Range(count);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->count(), 25);
  const int64_t revision = counted->header().revision();
  Put(etcd_.client(), "/p/999", "later");

  etcd::pb::RangeRequest page;
  page.set_key("/p/");
  page.set_range_end(etcd::PrefixRangeEnd("/p/"));
  page.set_limit(10);
  page.set_revision(revision);
  page.set_keys_only(true);
  int seen = 0;
  while (true) {
    auto response = etcd_.client().Range(page);
    ASSERT_TRUE(response.ok()) << response.status();
    seen += response->kvs_size();
    for (const auto& kv : response->kvs()) EXPECT_TRUE(kv.value().empty());
    if (!response->more()) break;
    page.set_key(etcd::KeySuccessor(response->kvs(response->kvs_size() - 1).key()));
  }
  EXPECT_EQ(seen, 25);  // the later key is not visible at the pinned revision
}

TEST_F(EtcdClientTest, TxnCompareDecides) {
  Put(etcd_.client(), "/t/guard", "1");
  etcd::pb::TxnRequest txn;
  auto* compare = txn.add_compare();
  compare->set_key("/t/guard");
  compare->set_target(etcd::pb::Compare::VALUE);
  compare->set_result(etcd::pb::Compare::EQUAL);
  compare->set_value("2");
  txn.add_success()->mutable_request_put()->set_key("/t/written");
  auto response = etcd_.client().Txn(txn);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->succeeded());
  compare->set_value("1");
  response = etcd_.client().Txn(txn);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response->succeeded());
}

TEST_F(EtcdClientTest, WatchDeliversHistoryAndReportsCompaction) {
  Put(etcd_.client(), "/w/a", "1");
  etcd::pb::RangeRequest head;
  head.set_key("/w/a");
  const int64_t start = etcd_.client().Range(head)->header().revision();
  Put(etcd_.client(), "/w/b", "2");
  Put(etcd_.client(), "/x/other", "3");

  etcd::pb::WatchCreateRequest create;
  create.set_key("/w/");
  create.set_range_end(etcd::PrefixRangeEnd("/w/"));
  create.set_start_revision(start);
  auto watch = etcd::WatchStream::Open(etcd_.client(), create);
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::vector<std::string> keys;
  while (keys.size() < 2) {
    auto response = (*watch)->Next();
    ASSERT_TRUE(response.ok());
    for (const auto& event : response->events()) keys.push_back(event.kv().key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"/w/a", "/w/b"}));

  const int64_t now = etcd_.client().Range(head)->header().revision();
  ASSERT_TRUE(etcd_.client().Compact(now).ok());
  auto stale = etcd::WatchStream::Open(etcd_.client(), create);
  if (stale.ok()) {
    auto response = (*stale)->Next();
    ASSERT_FALSE(response.ok());
    EXPECT_TRUE(etcd::IsCompacted(response.status())) << response.status();
  } else {
    EXPECT_TRUE(etcd::IsCompacted(stale.status())) << stale.status();
  }
  etcd::pb::RangeRequest old;
  old.set_key("/w/a");
  old.set_revision(start);
  auto compacted = etcd_.client().Range(old);
  ASSERT_FALSE(compacted.ok());
  EXPECT_TRUE(etcd::IsCompacted(compacted.status()));
}

TEST_F(EtcdClientTest, LeaseKeeperKeepsAndRevokes) {
  int64_t id = 0;
  {
    auto keeper = etcd::LeaseKeeper::Start(etcd_.client(), std::chrono::seconds(3));
    ASSERT_TRUE(keeper.ok());
    id = (*keeper)->id();
    etcd::pb::PutRequest put;
    put.set_key("/l/owned");
    put.set_lease(id);
    ASSERT_TRUE(etcd_.client().Put(put).ok());
    std::this_thread::sleep_for(std::chrono::seconds(5));  // longer than the TTL
    EXPECT_FALSE((*keeper)->lost().stop_requested());
    etcd::pb::RangeRequest get;
    get.set_key("/l/owned");
    EXPECT_EQ(etcd_.client().Range(get)->kvs_size(), 1);
  }
  etcd::pb::RangeRequest get;
  get.set_key("/l/owned");
  EXPECT_EQ(etcd_.client().Range(get)->kvs_size(), 0);  // revoked on destruction
}

TEST_F(EtcdClientTest, FailsOverToALiveEndpoint) {
  etcd::ClientOptions options;
  options.cluster_name = "source etcd";
  options.flag_prefix = "--source-";
  // A port nobody listens on first.
  options.endpoints = etcd::ParseEndpoints("127.0.0.1:1," + etcd_.url()).value();
  auto client = etcd::Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  Put(**client, "/f/x", "1");
}

TEST(EtcdClientErrorsTest, UnreachableEndpointNamesTheFlag) {
  etcd::ClientOptions options;
  options.cluster_name = "source etcd";
  options.flag_prefix = "--source-";
  options.endpoints = etcd::ParseEndpoints("127.0.0.1:1").value();
  auto client = etcd::Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(Message(client.status()).find("127.0.0.1:1"), std::string::npos);
  EXPECT_NE(Message(client.status()).find("check --source-endpoints"), std::string::npos)
      << client.status();
}

class EtcdTlsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string certs_ = RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                                 dir_.File("certs") + "'");
  EtcdMember etcd_{dir_.path(), "secure", dir_.File("certs")};

  etcd::ClientOptions Options(const std::string& ca) {
    etcd::ClientOptions options;
    options.cluster_name = "destination etcd";
    options.flag_prefix = "--dest-";
    options.endpoints = etcd::ParseEndpoints(etcd_.url()).value();
    options.tls = {ca, certs_ + "/client.crt", certs_ + "/client.key"};
    return options;
  }
};

TEST_F(EtcdTlsTest, MutualTlsWorks) {
  auto client = etcd::Client::Connect(Options(certs_ + "/ca.crt"));
  ASSERT_TRUE(client.ok()) << client.status();
  Put(**client, "/tls/x", "1");
}

TEST_F(EtcdTlsTest, WrongCaIsOneClearLine) {
  auto client = etcd::Client::Connect(Options(certs_ + "/other-ca.crt"));
  ASSERT_FALSE(client.ok());
  const std::string message = Message(client.status());
  EXPECT_NE(message.find("TLS handshake failed"), std::string::npos) << message;
  EXPECT_NE(message.find("--dest-cacert"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST_F(EtcdTlsTest, MissingFileIsNamed) {
  auto client = etcd::Client::Connect(Options(certs_ + "/nope.crt"));
  ASSERT_FALSE(client.ok());
  EXPECT_NE(Message(client.status()).find("--dest-cacert " + certs_ + "/nope.crt"),
            std::string::npos)
      << client.status();
}

TEST_F(EtcdTlsTest, KeyOfAnotherCertificateNamesCertAndKey) {
  auto options = Options(certs_ + "/ca.crt");
  options.tls.key_file = certs_ + "/server.key";
  auto client = etcd::Client::Connect(options);
  ASSERT_FALSE(client.ok());
  const std::string message = Message(client.status());
  EXPECT_NE(message.find("--dest-key " + certs_ + "/server.key does not match"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--dest-cert"), std::string::npos) << message;
  EXPECT_EQ(message.find("--dest-endpoints"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST_F(EtcdTlsTest, ServerThatRequiresAClientCertificateSaysSo) {
  auto options = Options(certs_ + "/ca.crt");
  options.tls.cert_file.clear();
  options.tls.key_file.clear();
  auto client = etcd::Client::Connect(options);
  ASSERT_FALSE(client.ok());
  const std::string message = Message(client.status());
  EXPECT_NE(message.find("requires a client certificate"), std::string::npos) << message;
  EXPECT_NE(message.find("--dest-cert"), std::string::npos) << message;
  EXPECT_NE(message.find("--dest-key"), std::string::npos) << message;
  EXPECT_EQ(message.find("unreachable"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST_F(EtcdTlsTest, PlainClientAgainstTlsServerSaysSo) {
  etcd::ClientOptions options;
  options.cluster_name = "destination etcd";
  options.flag_prefix = "--dest-";
  options.endpoints =
      etcd::ParseEndpoints("http://" + etcd::ParseEndpoint(etcd_.url()).value().Target()).value();
  auto client = etcd::Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(Message(client.status()).find("--dest-"), std::string::npos) << client.status();
}

TEST_F(EtcdClientTest, UserPasswordAuth) {
  const std::string etcdctl = "ETCDCTL_API=3 etcdctl --endpoints " + etcd_.url() + " ";
  RunScript(etcdctl + "user add root:rootpw");
  RunScript(etcdctl + "user add sync:s3cret-pw");
  RunScript(etcdctl + "user grant-role sync root");
  RunScript(etcdctl + "auth enable");

  etcd::ClientOptions options;
  options.cluster_name = "source etcd";
  options.flag_prefix = "--source-";
  options.endpoints = etcd::ParseEndpoints(etcd_.url()).value();
  options.username = "sync";
  options.password = common::Secret("s3cret-pw");
  auto client = etcd::Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  Put(**client, "/auth/x", "1");

  options.password = common::Secret("wrong-pw");
  auto refused = etcd::Client::Connect(options);
  ASSERT_FALSE(refused.ok());
  const std::string message = Message(refused.status());
  EXPECT_NE(message.find("--source-user"), std::string::npos) << message;
  // The flag that exists: --source-password-file (there is no --source-password).
  EXPECT_NE(message.find("--source-password-file"), std::string::npos) << message;
  EXPECT_EQ(message.find("--source-password "), std::string::npos) << message;
  EXPECT_EQ(message.find("wrong-pw"), std::string::npos) << "password leaked: " << message;
}

}  // namespace
