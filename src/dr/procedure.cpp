#include "dr/procedure.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "dr/plan.h"
#include "dr/upgrade_steps.h"
#include "platform/readers.h"
#include "platform/resources.h"

namespace dr {

namespace {

struct Prepared {
  std::unique_ptr<JournalStore> store;
  Plan plan;
};

absl::StatusOr<Prepared> Prepare(DrContext& context, const ProcedureOptions& options) {
  const std::string& operation = options.operation;
  if (operation != kUpgrade && operation != kFailover && operation != kReenable) {
    return absl::InvalidArgumentError(fmt::format("no DR procedure named {}", operation));
  }
  Prepared prepared;
  prepared.store = std::make_unique<JournalStore>(
      options.journal_file.empty() ? DefaultJournalFile(operation) : options.journal_file,
      &context.client(JournalOnStandby(operation)), JournalConfigMap(operation), context.out());
  if (operation == kUpgrade) {
    auto source = UpgradeSourceVersion(context, *prepared.store, options.reset_journal);
    if (!source.ok()) return source.status();
    auto plan = BuildUpgradePlan(*source, context.options().target_version);
    if (!plan.ok()) return plan.status();
    prepared.plan = std::move(*plan);
  } else if (operation == kFailover) {
    prepared.plan = BuildFailoverPlan(context.options().primary_lost, context.options().domain);
  } else {
    prepared.plan = BuildReenablePlan();
  }
  return prepared;
}

}  // namespace

absl::StatusOr<std::string> UpgradeSourceVersion(DrContext& context, JournalStore& store,
                                                 bool reset_journal) {
  if (!context.options().source_version.empty()) return context.options().source_version;
  if (!reset_journal) {
    auto saved = store.Load();
    if (!saved.ok()) return saved.status();
    if (*saved && (*saved)->operation == kUpgrade && !(*saved)->Complete() &&
        (*saved)->target_version == context.options().target_version) {
      return (*saved)->source_version;
    }
  }
  auto version = platform::ReadCurrentVersion(context.primary_client(), platform::kGlobalCluster);
  if (!version.ok()) {
    return absl::UnavailableError(fmt::format("cannot read the primary's version: {}; pass --from",
                                              common::View(version.status().message())));
  }
  return version->version;
}

absl::StatusOr<RunOutcome> RunProcedure(DrContext& context, const ProcedureOptions& options) {
  auto prepared = Prepare(context, options);
  if (!prepared.ok()) return prepared.status();
  if (auto valid = CheckConfirmations(prepared->plan, options.confirm); !valid.ok()) return valid;
  Runner runner(std::move(prepared->plan), *prepared->store, context.out());
  if (auto loaded = runner.Prepare(options.reset_journal); !loaded.ok()) return loaded;
  context.out() << RenderPlanText(runner.plan(), &runner.journal()) << std::flush;
  return runner.Run(context, std::set<std::string>(options.confirm.begin(), options.confirm.end()));
}

absl::StatusOr<std::string> ShowProcedure(DrContext& context, const ProcedureOptions& options,
                                          bool json) {
  auto prepared = Prepare(context, options);
  if (!prepared.ok()) return prepared.status();
  const Plan& plan = prepared->plan;
  auto saved = prepared->store->Load();
  if (!saved.ok()) return saved.status();
  const Journal* journal = nullptr;
  if (*saved && (*saved)->operation == plan.operation &&
      (*saved)->target_version == plan.target_version) {
    journal = &**saved;
  }
  return json ? RenderPlanJson(plan, journal).dump(2) + "\n" : RenderPlanText(plan, journal);
}

}  // namespace dr
