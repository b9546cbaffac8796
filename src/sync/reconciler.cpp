#include "sync/reconciler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "common/absl_fmt.h"
#include "etcd/grpc_error.h"
#include "sync/destination_writer.h"

namespace etcdsync {
namespace {

// Surplus keys named in the log per pass (all of them are listed by /check).
constexpr int kSurplusLogged = 10;

// Keys are untrusted source data: a log line shows at most this much of one.
std::string Shown(const std::string& key) {
  constexpr size_t kShown = 200;
  if (key.size() <= kShown) return key;
  return fmt::format("{}... ({} bytes)", key.substr(0, kShown), key.size());
}

const char* TriggerName(Reconciler::Trigger trigger) {
  switch (trigger) {
    case Reconciler::Trigger::kLeaderStart:
      return "on becoming leader";
    case Reconciler::Trigger::kPeriodic:
      return "periodic check";
    case Reconciler::Trigger::kReportOnly:
      return "report only";
  }
  return "";
}

class RepairingSink : public CheckSink {
 public:
  RepairingSink(Reconciler& reconciler, CheckSink* listing, std::optional<Fence> fence,
                bool name_surplus)
      : reconciler_(reconciler),
        listing_(listing),
        fence_(std::move(fence)),
        name_surplus_(name_surplus) {}

  void Missed(const std::string& key) override {
    if (listing_ != nullptr) listing_->Missed(key);
  }
  void Surplus(const std::string& key) override {
    if (listing_ != nullptr) listing_->Surplus(key);
  }
  void Stale(const std::string& key) override {
    if (listing_ != nullptr) listing_->Stale(key);
  }
  void Reset() override {
    if (listing_ != nullptr) listing_->Reset();
    surplus_logged_ = 0;
  }
  absl::Status Failure() const override { return failure_; }

  void Difference(const KeyDifference& difference) override {
    if (listing_ != nullptr) listing_->Difference(difference);
    const bool repairing = fence_.has_value();
    switch (DecideReconcile(difference.kind, repairing,
                            reconciler_.ledger().IsContested(difference.key))) {
      case ReconcileAction::kKeepSurplus:
        if (repairing && name_surplus_ && surplus_logged_++ < kSurplusLogged) {
          spdlog::warn(
              "surplus key {} exists only on the standby: kept (review it with the ops team; "
              "GET /check lists all)",
              Shown(difference.key));
        }
        return;
      case ReconcileAction::kReportOnly:
        return;
      case ReconcileAction::kSkipContested:
        ++contested;
        return;
      case ReconcileAction::kRepair:
        break;
    }
    auto outcome = reconciler_.Repair(difference, *fence_);
    if (!outcome.ok()) {
      failure_ = outcome.status();
      return;
    }
    switch (*outcome) {
      case Reconciler::Outcome::kRepaired:
        ++repaired;
        break;
      case Reconciler::Outcome::kLiveWon:
      case Reconciler::Outcome::kSourceChanged:
      case Reconciler::Outcome::kUndone:
        ++left_to_live;
        break;
      case Reconciler::Outcome::kUnwritable:
        ++unwritable;
        break;
      case Reconciler::Outcome::kContested:
        ++contested;
        break;
    }
  }

  int64_t repaired = 0;
  int64_t left_to_live = 0;
  int64_t contested = 0;
  int64_t unwritable = 0;

 private:
  Reconciler& reconciler_;
  CheckSink* listing_;
  std::optional<Fence> fence_;
  absl::Status failure_;
  const bool name_surplus_;  // the pass on becoming leader names surplus keys in the log
  int surplus_logged_ = 0;
};

}  // namespace

Reconciler::Reconciler(const SyncConfig& config, etcd::Client& source, etcd::Client& destination,
                       const KeyFilter& filter, SyncStats& stats, int contested_after_repairs,
                       int64_t periodic_page_bytes)
    : config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      stats_(stats),
      ledger_(contested_after_repairs),
      periodic_page_bytes_(periodic_page_bytes) {}

void Reconciler::Lead(Fence fence) {
  std::lock_guard lock(fence_mutex_);
  fence_ = std::move(fence);
}

void Reconciler::StandDown() {
  std::lock_guard lock(fence_mutex_);
  fence_.reset();
}

std::optional<Fence> Reconciler::CurrentFence() const {
  std::lock_guard lock(fence_mutex_);
  return fence_;
}

absl::StatusOr<Reconciler::Outcome> Reconciler::Repair(const KeyDifference& difference,
                                                       const Fence& fence) {
  switch (ledger_.Ask(difference.key)) {
    case RepairLedger::Verdict::kRepair:
      break;
    case RepairLedger::Verdict::kNewlyContested:
      stats_.contested_keys = static_cast<int64_t>(ledger_.contested());
      spdlog::warn(
          "key {} is contested: repaired {} times and undone again on the standby; no longer "
          "repaired (GET /check lists it; find what deletes or rewrites it there)",
          Shown(difference.key), ledger_.contested_after());
      return Outcome::kContested;
    case RepairLedger::Verdict::kContested:
      return Outcome::kContested;
  }
  etcd::pb::RangeRequest read;
  read.set_key(difference.key);
  absl::StatusOr<etcd::pb::RangeResponse> latest = source_.Range(read);
  if (!latest.ok()) return latest.status();
  const bool present = latest->kvs_size() > 0;
  if (!SourceUnchanged(present, present ? latest->kvs(0).mod_revision() : 0,
                       difference.source_mod_revision)) {
    return Outcome::kSourceChanged;
  }
  const auto& kv = latest->kvs(0);
  if (!config_.Replicates(kv.lease()) || !filter_.IncludesValue(kv.key(), kv.value())) {
    return Outcome::kSourceChanged;
  }
  absl::StatusOr<etcd::pb::TxnResponse> written = destination_.Txn(
      BuildRepairTxn(fence, HeldMarkerKey(config_.state_prefix, difference.key), difference.key,
                     kv.value(), difference.destination_mod_revision));
  if (!written.ok() && etcd::IsRequestTooLarge(written.status())) {
    spdlog::error(
        "key {} ({} byte value) cannot be repaired: the destination refuses the Txn as too "
        "large. Raise the destination etcd's --max-request-bytes to at least the source's",
        Shown(difference.key), kv.value().size());
    ++stats_.unwritable_values;
    return Outcome::kUnwritable;
  }
  if (!written.ok()) return written.status();
  if (!written->succeeded()) {
    if (!FenceHeld(*written, fence)) {
      return FenceLostError(
          "the leader key changed on the destination during the reconcile pass; another "
          "etcd-sync replica leads now");
    }
    return Outcome::kLiveWon;
  }
  if (difference.kind == KeyDifference::Kind::kMissed) {
    // The source may have deleted the key between our read and our write; live
    // replication's delete of a then-absent key changed nothing, so take the repair back.
    absl::StatusOr<etcd::pb::RangeResponse> again = source_.Range(read);
    if (!again.ok()) return again.status();
    if (again->kvs_size() == 0) {
      absl::StatusOr<etcd::pb::TxnResponse> undone =
          destination_.Txn(BuildUndoRepairTxn(fence, difference.key, written->header().revision()));
      if (!undone.ok()) return undone.status();
      return Outcome::kUndone;
    }
  }
  ledger_.Repaired(difference.key);
  ++stats_.reconcile_repairs;
  spdlog::info("repaired {} key {} from the source (source revision {})",
               difference.kind == KeyDifference::Kind::kMissed ? "missed" : "stale",
               Shown(difference.key), difference.source_mod_revision);
  return Outcome::kRepaired;
}

absl::StatusOr<CheckReport> Reconciler::Run(Trigger trigger, CheckSink* listing,
                                            std::stop_token stop,
                                            const std::atomic<bool>* full_speed) {
  std::optional<Fence> fence;
  if (trigger != Trigger::kReportOnly) fence = CurrentFence();
  const bool repairing = fence.has_value();
  if (trigger == Trigger::kLeaderStart) {
    spdlog::info(
        "Reconcile pass started: comparing {} on source and standby; missed and stale keys are "
        "written from the source, surplus keys are kept and reported",
        config_.prefix);
  }
  RepairingSink sink(*this, listing, fence, trigger == Trigger::kLeaderStart);
  CheckScan scan =
      trigger == Trigger::kPeriodic ? PacedCheckScan(periodic_page_bytes_) : CheckScan{};
  scan.boundaries = boundaries_;
  scan.full_speed = full_speed;
  absl::StatusOr<CheckReport> report =
      RunConsistencyCheck(source_, destination_, config_, filter_, sink, scan, stop);
  if (!repairing) return report;
  ++stats_.reconcile_passes;
  if (!report.ok()) {
    spdlog::warn("Reconcile pass ({}) did not finish: {}; {} keys repaired before that",
                 TriggerName(trigger), report.status().message(), sink.repaired);
    return report;
  }
  stats_.reconcile_surplus_kept = report->surplus;
  const std::string summary = fmt::format(
      "Reconcile pass finished: {} repaired, {} surplus kept ({}; {} missed and {} stale seen at "
      "source revision {}, {} left to live replication, {} contested skipped, {} unwritable; "
      "{:.2f} s)",
      sink.repaired, report->surplus, TriggerName(trigger), report->missed, report->stale,
      report->source_revision, sink.left_to_live, sink.contested, sink.unwritable, report->seconds);
  if (trigger == Trigger::kLeaderStart || sink.repaired > 0 || report->surplus > 0 ||
      sink.contested > 0) {
    spdlog::info("{}", summary);
  }
  return report;
}

}  // namespace etcdsync
