// A thin etcd v3 client over gRPC: the unary calls the tools need, with several endpoints
// per cluster (fail over on connection trouble), TLS, user/password auth and deadlines.
// Streams (watch, lease keep-alive) live in watch_stream.h and lease_keeper.h.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "etcd/endpoint.h"
#include "etcd/etcdserver/api/v3election/v3electionpb/v3election.grpc.pb.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "etcd/grpc_error.h"

namespace etcd {

namespace pb = etcdserverpb;

struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool any() const { return !ca_file.empty() || !cert_file.empty() || !key_file.empty(); }
};

struct ClientOptions {
  std::string cluster_name = "etcd";  // "source etcd", "destination etcd": names errors
  std::string flag_prefix = "--";     // "--source-": names the flags to check in errors
  std::vector<Endpoint> endpoints;
  TlsFiles tls;
  std::string username;
  common::Secret password;
  // Where the operator sets the password, for errors; default: <flag_prefix>password-file.
  std::string password_source;
  std::chrono::milliseconds request_timeout{15000};
};

class Client {
 public:
  // Builds channels and checks that at least one endpoint answers (Maintenance.Status).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);

  absl::StatusOr<pb::RangeResponse> Range(const pb::RangeRequest& request);
  // With a deadline of its own, shorter than request_timeout (health probes).
  absl::StatusOr<pb::RangeResponse> Range(const pb::RangeRequest& request,
                                          std::chrono::milliseconds timeout);
  absl::StatusOr<pb::TxnResponse> Txn(const pb::TxnRequest& request);
  absl::StatusOr<pb::PutResponse> Put(const pb::PutRequest& request);
  absl::StatusOr<pb::DeleteRangeResponse> DeleteRange(const pb::DeleteRangeRequest& request);
  absl::StatusOr<pb::CompactionResponse> Compact(int64_t revision);
  absl::StatusOr<pb::StatusResponse> MemberStatus();
  absl::StatusOr<pb::LeaseGrantResponse> LeaseGrant(int64_t ttl_seconds);
  absl::Status LeaseRevoke(int64_t lease_id);

  // Blocks until this candidate leads `name` (or `stop` is requested: Cancelled).
  absl::StatusOr<v3electionpb::LeaderKey> Campaign(const std::string& name, int64_t lease_id,
                                                   const std::string& value, std::stop_token stop);
  absl::Status Resign(const v3electionpb::LeaderKey& leader);

  // For streams: the stubs of the endpoint in use, a context carrying auth, and how to
  // describe/classify failures. A stream that breaks calls MarkFailed() and asks again.
  struct StreamTarget {
    pb::Watch::Stub* watch;
    pb::Lease::Stub* lease;
    CallSite site;
    size_t index;
  };
  StreamTarget CurrentStreamTarget();
  void MarkFailed(size_t index);
  absl::Status PrepareStreamContext(grpc::ClientContext& context);

  const ClientOptions& options() const { return options_; }
  const std::string& cluster_name() const { return options_.cluster_name; }

 private:
  struct Connection {
    Endpoint endpoint;
    std::string display;  // endpoint.ToString(), kept alive for CallSite views
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<pb::KV::Stub> kv;
    std::unique_ptr<pb::Watch::Stub> watch;
    std::unique_ptr<pb::Lease::Stub> lease;
    std::unique_ptr<pb::Maintenance::Stub> maintenance;
    std::unique_ptr<pb::Auth::Stub> auth;
    std::unique_ptr<v3electionpb::Election::Stub> election;
  };

  explicit Client(ClientOptions options) : options_(std::move(options)) {}
  absl::Status Init();
  absl::Status Authenticate(Connection& connection);
  CallSite Site(const Connection& connection, std::string_view operation) const;
  void PrepareContext(grpc::ClientContext& context, std::chrono::milliseconds timeout);

  // Runs `rpc(connection, context)` against the current endpoint, moving to the next one on
  // connection-level failures, re-authenticating when the token expired.
  template <typename Response, typename Rpc>
  absl::StatusOr<Response> Call(std::string_view operation, Rpc rpc,
                                std::chrono::milliseconds timeout);

  ClientOptions options_;
  std::vector<Connection> connections_;
  std::atomic<size_t> current_{0};
  std::mutex token_mutex_;
  std::string token_;
};

}  // namespace etcd
