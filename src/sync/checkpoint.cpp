#include "sync/checkpoint.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/absl_fmt.h"

namespace etcdsync {

std::string EncodeCheckpoint(const Checkpoint& checkpoint) {
  nlohmann::json json = {
      {"phase", checkpoint.phase == Checkpoint::Phase::kLive ? "live" : "copying"},
      {"revision", checkpoint.revision},
      {"sourceClusterID", checkpoint.source_cluster_id},
      {"prefix", checkpoint.prefix},
  };
  if (checkpoint.source_raft_term != 0) json["sourceRaftTerm"] = checkpoint.source_raft_term;
  if (checkpoint.source_log_lead != 0) json["sourceLogLead"] = checkpoint.source_log_lead;
  return json.dump();
}

absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::DataLossError("checkpoint is not a JSON object");
  }
  Checkpoint checkpoint;
  try {
    const std::string phase = json.at("phase").get<std::string>();
    if (phase == "live") {
      checkpoint.phase = Checkpoint::Phase::kLive;
    } else if (phase == "copying") {
      checkpoint.phase = Checkpoint::Phase::kCopying;
    } else {
      return absl::DataLossError(
          fmt::format("{}{}{}", "checkpoint has unknown phase \"", phase, "\""));
    }
    checkpoint.revision = json.at("revision").get<int64_t>();
    checkpoint.source_cluster_id = json.at("sourceClusterID").get<std::string>();
    checkpoint.prefix = json.at("prefix").get<std::string>();
    checkpoint.source_raft_term = json.value("sourceRaftTerm", int64_t{0});
    checkpoint.source_log_lead = json.value("sourceLogLead", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(fmt::format("{}{}", "checkpoint is incomplete: ", e.what()));
  }
  return checkpoint;
}

absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(etcd::Client& destination,
                                                         const std::string& key) {
  etcd::pb::RangeRequest request;
  request.set_key(key);
  auto response = destination.Range(request);
  if (!response.ok()) return response.status();
  if (response->kvs_size() == 0) return std::optional<Checkpoint>();
  auto checkpoint = DecodeCheckpoint(response->kvs(0).value());
  if (!checkpoint.ok()) return checkpoint.status();
  return std::optional<Checkpoint>(*std::move(checkpoint));
}

}  // namespace etcdsync
