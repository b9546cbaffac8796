#include "etcd/client.h"

#include <fmt/format.h>
#include <grpc/support/log.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/absl_fmt.h"
#include "common/status_macros.h"

namespace etcd {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(fmt::format(
        "{}{}{}{}{}{}", flag, " ", path, ": cannot read the file (", std::strerror(errno), ")"));
  }
  std::stringstream content;
  content << in.rdbuf();
  if (content.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(fmt::format("{}{}{}{}", flag, " ", path, ": not a PEM file"));
  }
  return content.str();
}

// gRPC reports a key that does not belong to the certificate as a failed connection; say
// which flags disagree before connecting.
absl::Status CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem,
                                        const ClientOptions& options) {
  const std::string cert_flag =
      fmt::format("{}cert {}", options.flag_prefix, options.tls.cert_file);
  const std::string key_flag = fmt::format("{}key {}", options.flag_prefix, options.tls.key_file);
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  // No passphrase callback may prompt on a terminal: an encrypted key simply fails to load.
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr), EVP_PKEY_free);
  absl::Status result;
  if (cert == nullptr) {
    result = absl::InvalidArgumentError(
        fmt::format("{}: not a PEM certificate — give the client certificate", cert_flag));
  } else if (key == nullptr) {
    result = absl::InvalidArgumentError(fmt::format(
        "{}: not an unencrypted PEM private key — give the key of {}", key_flag, cert_flag));
  } else if (X509_check_private_key(cert.get(), key.get()) != 1) {
    result = absl::InvalidArgumentError(fmt::format(
        "{} does not match the certificate {} — give the private key of that certificate", key_flag,
        cert_flag));
  }
  ERR_clear_error();
  return result;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(
    const ClientOptions& options, const Endpoint& endpoint) {
  const bool tls = endpoint.scheme == Endpoint::Scheme::kHttps ||
                   (endpoint.scheme == Endpoint::Scheme::kUnspecified && options.tls.any());
  if (!tls) {
    if (options.tls.any()) {
      return absl::InvalidArgumentError(
          fmt::format("{}{}{}{}", options.flag_prefix, "endpoints has http://", endpoint.Target(),
                      " but TLS files were given: use https:// or drop the TLS flags"));
    }
    return grpc::InsecureChannelCredentials();
  }
  if (options.tls.cert_file.empty() != options.tls.key_file.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}{}{}{}", options.flag_prefix, "cert and ",
                                                  options.flag_prefix,
                                                  "key must be given together"));
  }
  grpc::SslCredentialsOptions ssl;
  if (!options.tls.ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs,
                     ReadPemFile(options.tls.ca_file, options.flag_prefix + "cacert"));
  }
  if (!options.tls.cert_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                     ReadPemFile(options.tls.cert_file, options.flag_prefix + "cert"));
    ASSIGN_OR_RETURN(ssl.pem_private_key,
                     ReadPemFile(options.tls.key_file, options.flag_prefix + "key"));
    RETURN_IF_ERROR(CheckKeyMatchesCertificate(ssl.pem_cert_chain, ssl.pem_private_key, options));
  }
  return grpc::SslCredentials(ssl);
}

constexpr int kMaxAttemptsPerEndpoint = 2;

// gRPC's own log lines (e.g. every failed TLS handshake) would print beside our one-line
// errors; they go to our log at debug level instead ("print detail logs").
void RouteGrpcLogs(gpr_log_func_args* args) {
  spdlog::debug("grpc {}:{}: {}", args->file, args->line, args->message);
}

// Debian's abseil is built without NDEBUG, so every absl::Mutex (gRPC takes several per
// call) also feeds a lock-order graph for deadlock detection (GraphCycles: about 2-4 % of
// etcd-sync's CPU samples in live replication), a check meant for debug builds.
// Process-wide, set once.
void ProcessWideGrpcSetup() {
  gpr_set_log_function(RouteGrpcLogs);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  static std::once_flag grpc_setup;
  std::call_once(grpc_setup, ProcessWideGrpcSetup);
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}{}", options.flag_prefix, "endpoints: no endpoint given"));
  }
  std::unique_ptr<Client> client(new Client(std::move(options)));
  RETURN_IF_ERROR(client->Init());
  return client;
}

absl::Status Client::Init() {
  for (const Endpoint& endpoint : options_.endpoints) {
    ASSIGN_OR_RETURN(auto credentials, MakeCredentials(options_, endpoint));
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    // Detect a dead peer within ~40 s instead of hanging on a half-open connection.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
    Connection connection;
    connection.endpoint = endpoint;
    connection.display = endpoint.ToString();
    connection.channel = grpc::CreateCustomChannel(endpoint.Target(), credentials, args);
    connection.kv = pb::KV::NewStub(connection.channel);
    connection.watch = pb::Watch::NewStub(connection.channel);
    connection.lease = pb::Lease::NewStub(connection.channel);
    connection.maintenance = pb::Maintenance::NewStub(connection.channel);
    connection.auth = pb::Auth::NewStub(connection.channel);
    connection.election = v3electionpb::Election::NewStub(connection.channel);
    connections_.push_back(std::move(connection));
  }
  // Find a live endpoint now so that a wrong address or TLS setting fails at start-up.
  std::vector<std::string> failures;
  for (size_t i = 0; i < connections_.size(); ++i) {
    Connection& connection = connections_[i];
    if (!options_.username.empty()) {
      absl::Status auth = Authenticate(connection);
      if (!auth.ok()) {
        failures.emplace_back(auth.message());
        continue;
      }
    }
    grpc::ClientContext context;
    PrepareContext(context, std::min(options_.request_timeout, std::chrono::milliseconds(5000)));
    context.set_wait_for_ready(false);
    pb::StatusResponse response;
    grpc::Status status = connection.maintenance->Status(&context, pb::StatusRequest(), &response);
    if (status.ok()) {
      current_ = i;
      return absl::OkStatus();
    }
    failures.emplace_back(FromGrpc(status, Site(connection, "connect")).message());
  }
  if (failures.size() == 1) return absl::UnavailableError(failures.front());
  return absl::UnavailableError(fmt::format(
      "{}{}{}", options_.cluster_name, ": no endpoint answered: ", absl::StrJoin(failures, "; ")));
}

absl::Status Client::Authenticate(Connection& connection) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.request_timeout);
  pb::AuthenticateRequest request;
  request.set_name(options_.username);
  request.set_password(options_.password.Reveal());
  pb::AuthenticateResponse response;
  grpc::Status status = connection.auth->Authenticate(&context, request, &response);
  if (!status.ok()) {
    // The server's message never contains the password; ours must not either.
    return FromGrpc(status, Site(connection, "authenticate"));
  }
  std::lock_guard lock(token_mutex_);
  token_ = response.token();
  return absl::OkStatus();
}

CallSite Client::Site(const Connection& connection, std::string_view operation) const {
  const Endpoint::Scheme scheme = connection.endpoint.scheme;
  const bool tls = scheme == Endpoint::Scheme::kHttps ||
                   (scheme == Endpoint::Scheme::kUnspecified && options_.tls.any());
  return CallSite{options_.cluster_name,          connection.display,
                  options_.flag_prefix,           operation,
                  options_.password_source,       tls,
                  !options_.tls.cert_file.empty()};
}

void Client::PrepareContext(grpc::ClientContext& context, std::chrono::milliseconds timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  std::lock_guard lock(token_mutex_);
  if (!token_.empty()) context.AddMetadata("token", token_);
}

template <typename Response, typename Rpc>
absl::StatusOr<Response> Client::Call(std::string_view operation, Rpc rpc,
                                      std::chrono::milliseconds timeout) {
  const size_t attempts = connections_.size() * kMaxAttemptsPerEndpoint;
  absl::Status last_error;
  for (size_t attempt = 0; attempt < attempts; ++attempt) {
    const size_t index = current_.load();
    Connection& connection = connections_[index];
    grpc::ClientContext context;
    PrepareContext(context, timeout);
    Response response;
    grpc::Status status = rpc(connection, context, response);
    if (status.ok()) return response;
    last_error = FromGrpc(status, Site(connection, operation));
    if (!options_.username.empty() &&
        absl::StrContains(status.error_message(), "invalid auth token")) {
      RETURN_IF_ERROR(Authenticate(connection));
      continue;
    }
    if (!IsRetriable(status)) return last_error;
    MarkFailed(index);
    if (attempt + 1 >= connections_.size()) {
      // Every endpoint failed once: give the cluster a moment (leader election, restart).
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
    }
  }
  return last_error;
}

void Client::MarkFailed(size_t index) {
  size_t expected = index;
  current_.compare_exchange_strong(expected, (index + 1) % connections_.size());
}

absl::StatusOr<pb::RangeResponse> Client::Range(const pb::RangeRequest& request) {
  return Range(request, options_.request_timeout);
}

absl::StatusOr<pb::RangeResponse> Client::Range(const pb::RangeRequest& request,
                                                std::chrono::milliseconds timeout) {
  return Call<pb::RangeResponse>(
      "Range",
      [&](Connection& c, grpc::ClientContext& ctx, pb::RangeResponse& r) {
        return c.kv->Range(&ctx, request, &r);
      },
      timeout);
}

absl::StatusOr<pb::TxnResponse> Client::Txn(const pb::TxnRequest& request) {
  return Call<pb::TxnResponse>(
      "Txn",
      [&](Connection& c, grpc::ClientContext& ctx, pb::TxnResponse& r) {
        return c.kv->Txn(&ctx, request, &r);
      },
      options_.request_timeout);
}

absl::StatusOr<pb::PutResponse> Client::Put(const pb::PutRequest& request) {
  return Call<pb::PutResponse>(
      "Put",
      [&](Connection& c, grpc::ClientContext& ctx, pb::PutResponse& r) {
        return c.kv->Put(&ctx, request, &r);
      },
      options_.request_timeout);
}

absl::StatusOr<pb::DeleteRangeResponse> Client::DeleteRange(const pb::DeleteRangeRequest& request) {
  return Call<pb::DeleteRangeResponse>(
      "DeleteRange",
      [&](Connection& c, grpc::ClientContext& ctx, pb::DeleteRangeResponse& r) {
        return c.kv->DeleteRange(&ctx, request, &r);
      },
      options_.request_timeout);
}

absl::StatusOr<pb::CompactionResponse> Client::Compact(int64_t revision) {
  pb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(true);
  return Call<pb::CompactionResponse>(
      "Compact",
      [&](Connection& c, grpc::ClientContext& ctx, pb::CompactionResponse& r) {
        return c.kv->Compact(&ctx, request, &r);
      },
      options_.request_timeout);
}

absl::StatusOr<pb::StatusResponse> Client::MemberStatus() {
  return Call<pb::StatusResponse>(
      "Status",
      [&](Connection& c, grpc::ClientContext& ctx, pb::StatusResponse& r) {
        return c.maintenance->Status(&ctx, pb::StatusRequest(), &r);
      },
      options_.request_timeout);
}

absl::StatusOr<pb::LeaseGrantResponse> Client::LeaseGrant(int64_t ttl_seconds) {
  pb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  return Call<pb::LeaseGrantResponse>(
      "LeaseGrant",
      [&](Connection& c, grpc::ClientContext& ctx, pb::LeaseGrantResponse& r) {
        return c.lease->LeaseGrant(&ctx, request, &r);
      },
      options_.request_timeout);
}

absl::Status Client::LeaseRevoke(int64_t lease_id) {
  pb::LeaseRevokeRequest request;
  request.set_id(lease_id);
  return Call<pb::LeaseRevokeResponse>(
             "LeaseRevoke",
             [&](Connection& c, grpc::ClientContext& ctx, pb::LeaseRevokeResponse& r) {
               return c.lease->LeaseRevoke(&ctx, request, &r);
             },
             options_.request_timeout)
      .status();
}

absl::StatusOr<v3electionpb::LeaderKey> Client::Campaign(const std::string& name, int64_t lease_id,
                                                         const std::string& value,
                                                         std::stop_token stop) {
  v3electionpb::CampaignRequest request;
  request.set_name(name);
  request.set_lease(lease_id);
  request.set_value(value);
  while (!stop.stop_requested()) {
    const size_t index = current_.load();
    Connection& connection = connections_[index];
    grpc::ClientContext context;
    {
      std::lock_guard lock(token_mutex_);
      if (!token_.empty()) context.AddMetadata("token", token_);
    }
    std::stop_callback cancel(stop, [&context] { context.TryCancel(); });
    v3electionpb::CampaignResponse response;
    grpc::Status status = connection.election->Campaign(&context, request, &response);
    if (status.ok()) return response.leader();
    if (stop.stop_requested()) break;
    if (!IsRetriable(status)) return FromGrpc(status, Site(connection, "Campaign"));
    MarkFailed(index);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return absl::CancelledError("campaign cancelled");
}

absl::Status Client::Resign(const v3electionpb::LeaderKey& leader) {
  v3electionpb::ResignRequest request;
  *request.mutable_leader() = leader;
  return Call<v3electionpb::ResignResponse>(
             "Resign",
             [&](Connection& c, grpc::ClientContext& ctx, v3electionpb::ResignResponse& r) {
               return c.election->Resign(&ctx, request, &r);
             },
             options_.request_timeout)
      .status();
}

Client::StreamTarget Client::CurrentStreamTarget() {
  const size_t index = current_.load();
  Connection& connection = connections_[index];
  return StreamTarget{connection.watch.get(), connection.lease.get(), Site(connection, "Watch"),
                      index};
}

absl::Status Client::PrepareStreamContext(grpc::ClientContext& context) {
  // Makes the server end the stream when its member loses the raft leader, instead of
  // leaving us on a partitioned member that will never deliver events again.
  context.AddMetadata("hasleader", "true");
  std::lock_guard lock(token_mutex_);
  if (!token_.empty()) context.AddMetadata("token", token_);
  return absl::OkStatus();
}

}  // namespace etcd
