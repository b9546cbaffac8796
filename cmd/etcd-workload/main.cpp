// etcd-workload: Kubernetes-shaped sample data and measurements for the quickstart, the
// integration tests and the benchmarks (load, mutate, diff, wait-equal, lag).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "cli/app.h"
#include "cli/fail.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "etcd/client.h"
#include "workload/keyspace_diff.h"
#include "workload/kube_keys.h"
#include "workload/lag_probe.h"
#include "workload/loader.h"

namespace {

constexpr int kExitDifferent = 3;

absl::StatusOr<std::unique_ptr<etcd::Client>> Connect(const std::string& endpoints,
                                                      const std::string& name) {
  auto parsed = etcd::ParseEndpoints(endpoints);
  if (!parsed.ok()) return parsed.status();
  etcd::ClientOptions options;
  options.cluster_name = name;
  options.endpoints = *parsed;
  return etcd::Client::Connect(options);
}

int Fail(const absl::Status& status) { return cli::Fail(exit_code::kFailed, status); }

void PrintDiff(const workload::KeyspaceDiff& diff) {
  fmt::print("{}\n", diff.Summary());
  auto list = [](const char* title, const std::vector<std::string>& keys) {
    for (size_t i = 0; i < keys.size() && i < 10; ++i) fmt::print("  {} {}\n", title, keys[i]);
    if (keys.size() > 10) fmt::print("  ... {} more\n", keys.size() - 10);
  };
  list("missed:", diff.missing);
  list("surplus:", diff.surplus);
  list("different:", diff.different);
}

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("etcd-workload");
  CLI::App app{"etcd-workload: sample data and measurements for etcd-sync"};
  app.require_subcommand(1);
  app.fallthrough();
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  std::string endpoints, source, dest, prefix = "/registry/";

  workload::LoadOptions load;
  auto* load_cmd = app.add_subcommand("load", "write Kubernetes-shaped objects, batched");
  load_cmd->add_option("--endpoints", endpoints)->required();
  load_cmd->add_option("--prefix", load.prefix)->capture_default_str();
  load_cmd->add_option("--first", load.first)->capture_default_str();
  load_cmd->add_option("--count", load.count)->capture_default_str();
  load_cmd->add_option("--value-size", load.value_size)->capture_default_str();
  load_cmd->add_option("--generation", load.generation, "changes every value")
      ->capture_default_str();
  load_cmd->add_option("--parallelism", load.parallelism)->capture_default_str();
  load_cmd->add_option("--max-txn-ops", load.max_txn_ops)->capture_default_str();

  int mutate_count = 100;
  auto* mutate_cmd = app.add_subcommand(
      "mutate", "live changes: new objects, updates, deletes and one multi-key Txn");
  mutate_cmd->add_option("--endpoints", endpoints)->required();
  mutate_cmd->add_option("--prefix", prefix)->capture_default_str();
  mutate_cmd->add_option("--count", mutate_count)->capture_default_str();

  double timeout_s = 0;
  auto* diff_cmd = app.add_subcommand("diff", "compare the keys under a prefix, byte for byte");
  for (auto* cmd : {diff_cmd}) {
    cmd->add_option("--source", source)->required();
    cmd->add_option("--dest", dest)->required();
    cmd->add_option("--prefix", prefix)->capture_default_str();
    cmd->add_option("--wait", timeout_s, "seconds to wait for the two sides to become equal")
        ->capture_default_str();
  }

  workload::LagOptions lag;
  int lag_seconds = 10;
  auto* lag_cmd = app.add_subcommand("lag", "replication lag at a steady write rate");
  lag_cmd->add_option("--source", source)->required();
  lag_cmd->add_option("--dest", dest)->required();
  lag_cmd->add_option("--prefix", lag.prefix)->capture_default_str();
  lag_cmd->add_option("--rate", lag.rate_per_second)->capture_default_str();
  lag_cmd->add_option("--duration", lag_seconds)->capture_default_str();
  lag_cmd->add_option("--value-size", lag.value_size, "bytes per probe value")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  lag_cmd->add_option("--writers", lag.writers, "concurrent writers (each Put waits)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  lag_cmd
      ->add_option("--keys", lag.keys,
                   "0: a new key per probe; N: probes update N keys in turn (number in the value)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}))
      ->capture_default_str();
  int window_seconds = 0;
  lag_cmd->add_option("--window", window_seconds, "also print the lag per window of seconds")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();

  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);

  if (load_cmd->parsed()) {
    auto client = Connect(endpoints, "etcd");
    if (!client.ok()) return Fail(client.status());
    auto result = workload::LoadSampleObjects(**client, load);
    if (!result.ok()) return Fail(result.status());
    fmt::print("loaded {} keys ({:.1f} MiB) in {:.2f}s: {:.0f} keys/s, {:.1f} MiB/s\n",
               result->keys, result->bytes / 1048576.0, result->seconds,
               result->keys / result->seconds, result->bytes / 1048576.0 / result->seconds);
    return 0;
  }
  if (mutate_cmd->parsed()) {
    auto client = Connect(endpoints, "etcd");
    if (!client.ok()) return Fail(client.status());
    // New objects beyond any loaded index, an update of the first ones, deletes of others.
    workload::LoadOptions fresh;
    fresh.prefix = prefix;
    fresh.first = 10'000'000;
    fresh.count = mutate_count;
    auto added = workload::LoadSampleObjects(**client, fresh);
    if (!added.ok()) return Fail(added.status());
    workload::LoadOptions update = fresh;
    update.first = 0;
    update.generation = 1;
    auto updated = workload::LoadSampleObjects(**client, update);
    if (!updated.ok()) return Fail(updated.status());
    int deleted = 0;
    for (int i = 0; i < mutate_count / 2; ++i) {
      etcd::pb::DeleteRangeRequest remove;
      remove.set_key(workload::MakeSampleObject(prefix, mutate_count + i, 16).key);
      auto done = (*client)->DeleteRange(remove);
      if (!done.ok()) return Fail(done.status());
      deleted += static_cast<int>(done->deleted());
    }
    etcd::pb::TxnRequest txn;  // several keys in one revision, as the API server never does
    for (int i = 0; i < 3; ++i) {
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key(fmt::format("{}configmaps/quickstart/multi-{}", prefix, i));
      put->set_value(fmt::format(R"({{"kind":"ConfigMap","data":{{"n":"{}"}}}})", i));
    }
    auto done = (*client)->Txn(txn);
    if (!done.ok()) return Fail(done.status());
    fmt::print("mutated: {} added, {} updated, {} deleted, 1 Txn of 3 puts\n", added->keys,
               updated->keys, deleted);
    return 0;
  }
  if (diff_cmd->parsed()) {
    auto src = Connect(source, "source etcd");
    if (!src.ok()) return Fail(src.status());
    auto dst = Connect(dest, "destination etcd");
    if (!dst.ok()) return Fail(dst.status());
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    while (true) {
      auto diff = workload::DiffKeyspaces(**src, **dst, prefix);
      if (!diff.ok()) return Fail(diff.status());
      if (diff->equal() || std::chrono::steady_clock::now() >= deadline) {
        PrintDiff(*diff);
        return diff->equal() ? 0 : kExitDifferent;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  if (lag_cmd->parsed()) {
    lag.duration = std::chrono::seconds(lag_seconds);
    lag.window = std::chrono::seconds(window_seconds);
    auto src = Connect(source, "source etcd");
    if (!src.ok()) return Fail(src.status());
    auto dst = Connect(dest, "destination etcd");
    if (!dst.ok()) return Fail(dst.status());
    auto result = workload::MeasureLag(**src, **dst, lag);
    if (!result.ok()) return Fail(result.status());
    fmt::print(
        "lag: sent {} received {} at {:.0f} writes/s: p50 {:.2f} ms, p99 {:.2f} ms, "
        "max {:.2f} ms\n",
        result->sent, result->received, result->achieved_rate, result->p50_ms, result->p99_ms,
        result->max_ms);
    for (const workload::LagWindow& window : result->windows) {
      fmt::print(
          "window {:.0f}s: sent {} received {}: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n",
          window.start_s, window.sent, window.received, window.p50_ms, window.p99_ms,
          window.max_ms);
    }
    return result->received == result->sent ? 0 : kExitDifferent;
  }
  return 0;
}
