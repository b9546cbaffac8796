// The fault suite's stage (issue 17): multi-member etcd clusters started by
// scripts/etcd-cluster.sh, the fault proxy (slow-link-proxy with a control port) in front of
// a cluster, and the verdict after a fault: byte-exact source and destination under the
// prefix, nothing outside it touched, no orphan ownerReference, keys written once still at
// version 1, and the time from heal to consistent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "etcd/client.h"
#include "support/child_process.h"
#include "workload/churn.h"

namespace testing_support {

struct ClusterOptions {
  int members = 3;
  // Raised for a loaded 2-core machine (six members, two replicas and the writer share it),
  // so load does not cause elections; etcd's defaults are 100/1000.
  int heartbeat_ms = 300;
  int election_ms = 3000;
  int64_t quota_bytes = 0;  // 0: the script's default (8 GiB)
};

class EtcdCluster {
 public:
  EtcdCluster(std::string dir, std::string name, ClusterOptions options = {});
  ~EtcdCluster();

  int members() const { return options_.members; }
  std::string endpoints() const;  // comma-separated client URLs
  std::vector<int> client_ports() const;
  etcd::Client& client();  // every member; for set-up, the writer and the verdict

  void Kill(int member);     // kill -9
  void Restart(int member);  // on its data, rejoining the cluster
  pid_t Pid(int member) const;
  // The member that leads now, -1 when none answers as leader within `timeout`.
  int Leader(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Hands leadership to the next member (etcdctl move-leader); false when it did not.
  bool MoveLeader();
  // Waits until every member serves (after a restart).
  bool WaitHealthy(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void SaveSnapshot(const std::string& path);
  void Restore(const std::string& snapshot);  // stop all, restore all, start all

 private:
  std::string Script(const std::string& action, const std::string& args = "") const;
  std::string dir_, name_;
  ClusterOptions options_;
  std::vector<std::string> urls_;
  std::unique_ptr<etcd::Client> client_;
};

// slow-link-proxy in front of every member of a cluster, driven through its control port.
class FaultProxy {
 public:
  FaultProxy(const std::string& dir, const std::string& name, const std::vector<int>& ports);
  std::string endpoints() const;  // comma-separated http:// addresses, one per member
  // "delay <ms>", "rate <mbit>", "blackhole", "reset", "heal"; throws unless answered ok.
  void Command(const std::string& line);

 private:
  std::unique_ptr<ChildProcess> process_;
  std::vector<std::string> addresses_;
  int control_port_ = 0;
};

struct VerdictOptions {
  std::string prefix = "/registry/";
  std::string state_prefix = "/etcd-sync/";
  // Keys outside the prefix the destination must hold unchanged (key -> mod_revision).
  std::vector<std::pair<std::string, int64_t>> untouched;
  std::string monitor_base;    // a replica's monitor: its /check must say 0/0/0
  bool check_versions = true;  // false after a fault that forces a full resync
  std::chrono::seconds timeout{120};
};

struct Verdict {
  bool consistent = false;
  double seconds_to_consistent = -1;  // from `healed`
  int64_t lost = 0, extra = 0, stale = 0;
  int64_t check_missed = -1, check_surplus = -1, check_stale = -1;
  std::vector<std::string> outside_touched;
  std::vector<std::string> orphans;
  std::vector<std::string> not_once;  // written once, the standby's version above the source's
  std::vector<std::string> source_disagrees;  // the source lost an acknowledged write
  bool ok() const;
  std::string Summary() const;
};

// Waits until the destination equals the source under the prefix (the writer stopped), then
// judges. `writer`: its record of keys written once (may be null).
Verdict JudgeAfterFault(etcd::Client& source, etcd::Client& destination,
                        const workload::ChurnWriter* writer, const VerdictOptions& options,
                        std::chrono::steady_clock::time_point healed);

// Appends one row to $FAULT_SUITE_TABLE (if set) for bench/fault_suite.sh.
void RecordFaultRun(const std::string& fault, const Verdict& verdict);

}  // namespace testing_support
