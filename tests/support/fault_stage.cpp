#include "support/fault_stage.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "etcd/key_range.h"
#include "k8s/object_meta.h"
#include "support/etcd_member.h"
#include "support/http_get.h"
#include "workload/keyspace_diff.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::unique_ptr<etcd::Client> Connect(const std::string& endpoints, const std::string& name,
                                      std::chrono::milliseconds timeout) {
  etcd::ClientOptions options;
  options.cluster_name = name;
  options.endpoints = etcd::ParseEndpoints(endpoints).value();
  options.request_timeout = timeout;
  auto client = etcd::Client::Connect(options);
  return client.ok() ? *std::move(client) : nullptr;
}

int Port(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

}  // namespace

EtcdCluster::EtcdCluster(std::string dir, std::string name, ClusterOptions options)
    : dir_(std::move(dir)), name_(std::move(name)), options_(options) {
  std::string args = "--members " + std::to_string(options_.members) + " --owner-pid " +
                     std::to_string(getpid()) + " --heartbeat-ms " +
                     std::to_string(options_.heartbeat_ms) + " --election-ms " +
                     std::to_string(options_.election_ms);
  if (options_.quota_bytes > 0) args += " --quota-bytes " + std::to_string(options_.quota_bytes);
  const std::string output = Script("start", args);
  urls_ = Split(output.substr(output.rfind('\n') + 1), ',');
}

EtcdCluster::~EtcdCluster() {
  client_.reset();
  try {
    Script("stop");
  } catch (...) {
  }
}

std::string EtcdCluster::Script(const std::string& action, const std::string& args) const {
  return RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/etcd-cluster.sh " + action + " '" +
                   dir_ + "' " + name_ + " " + args);
}

std::string EtcdCluster::endpoints() const {
  std::string joined;
  for (const auto& url : urls_) joined += (joined.empty() ? "" : ",") + url;
  return joined;
}

std::vector<int> EtcdCluster::client_ports() const {
  std::vector<int> ports;
  for (const auto& url : urls_) ports.push_back(Port(url));
  return ports;
}

etcd::Client& EtcdCluster::client() {
  if (!client_) {
    client_ = Connect(endpoints(), name_ + " etcd", 10s);
    if (!client_) throw std::runtime_error("cannot connect to " + endpoints());
  }
  return *client_;
}

void EtcdCluster::Kill(int member) { Script("kill", std::to_string(member)); }
void EtcdCluster::Restart(int member) { Script("restart", std::to_string(member)); }

pid_t EtcdCluster::Pid(int member) const {
  std::ifstream in(dir_ + "/" + name_ + "-" + std::to_string(member) + ".pid");
  pid_t pid = -1;
  in >> pid;
  return pid;
}

int EtcdCluster::Leader(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    for (size_t i = 0; i < urls_.size(); ++i) {
      auto member = Connect(urls_[i], name_ + " member", 2s);
      if (!member) continue;
      auto status = member->MemberStatus();
      if (status.ok() && status->leader() != 0 &&
          status->leader() == status->header().member_id()) {
        return static_cast<int>(i);
      }
    }
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return -1;
}

bool EtcdCluster::MoveLeader() {
  const int leader = Leader(5s);
  if (leader < 0) return false;
  const int target = (leader + 1) % members();
  auto member = Connect(urls_[target], name_ + " member", 2s);
  if (!member) return false;
  auto status = member->MemberStatus();
  if (!status.ok()) return false;
  std::ostringstream id;
  id << std::hex << status->header().member_id();
  try {
    RunScript("ETCDCTL_API=3 etcdctl --endpoints " + urls_[leader] + " move-leader " + id.str() +
              " 2>&1");
  } catch (const std::exception&) {
    return false;  // e.g. the leader changed meanwhile
  }
  return true;
}

bool EtcdCluster::WaitHealthy(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    bool all = true;
    for (const auto& url : urls_) {
      auto member = Connect(url, name_ + " member", 2s);
      etcd::pb::RangeRequest get;
      get.set_key("health");
      all = all && member && member->Range(get).ok();  // a linearizable read needs quorum
    }
    if (all) return true;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void EtcdCluster::SaveSnapshot(const std::string& path) {
  RunScript("ETCDCTL_API=3 etcdctl --endpoints " + urls_[std::max(Leader(), 0)] +
            " snapshot save '" + path + "'");
}

void EtcdCluster::Restore(const std::string& snapshot) {
  client_.reset();
  Script("restore", "'" + snapshot + "'");
}

FaultProxy::FaultProxy(const std::string& dir, const std::string& name,
                       const std::vector<int>& ports) {
  std::vector<std::string> argv = {SLOW_LINK_PROXY_BINARY, "--delay-ms", "0", "--rate-mbit", "0",
                                   "--control-port",       "0"};
  for (int port : ports) {
    argv.push_back("--target-port");
    argv.push_back(std::to_string(port));
  }
  process_ = std::make_unique<ChildProcess>(argv, dir + "/" + name + ".log");
  if (!process_->WaitForLog("control 127.0.0.1:", 20s)) {
    throw std::runtime_error("fault proxy did not start: " + process_->Log());
  }
  for (const std::string& line : Split(process_->Log(), '\n')) {
    if (line.rfind("control ", 0) == 0) {
      control_port_ = Port(line);
    } else if (line.rfind("127.0.0.1:", 0) == 0) {
      addresses_.push_back("http://" + line);
    }
  }
}

std::string FaultProxy::endpoints() const {
  std::string joined;
  for (const auto& address : addresses_) joined += (joined.empty() ? "" : ",") + address;
  return joined;
}

void FaultProxy::Command(const std::string& line) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(control_port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = line + "\n";
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char c = 0;
    while (answer.size() < 256 && read(fd, &c, 1) == 1 && c != '\n') answer += c;
  }
  close(fd);
  if (answer != "ok") throw std::runtime_error("fault proxy: " + line + ": " + answer);
}

bool Verdict::ok() const {
  return consistent && lost == 0 && extra == 0 && stale == 0 && check_missed == 0 &&
         check_surplus == 0 && check_stale == 0 && outside_touched.empty() && orphans.empty() &&
         not_once.empty() && source_disagrees.empty();
}

std::string Verdict::Summary() const {
  std::string text = "consistent=" + std::to_string(consistent) +
                     " seconds=" + std::to_string(seconds_to_consistent) +
                     " lost/extra/stale=" + std::to_string(lost) + "/" + std::to_string(extra) +
                     "/" + std::to_string(stale) + " /check=" + std::to_string(check_missed) + "/" +
                     std::to_string(check_surplus) + "/" + std::to_string(check_stale);
  auto list = [&](const char* title, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    text += std::string("\n") + title + " (" + std::to_string(keys.size()) + "):";
    for (size_t i = 0; i < keys.size() && i < 5; ++i) text += " " + keys[i];
  };
  list("outside the prefix touched", outside_touched);
  list("orphans", orphans);
  list("written once, the standby's version above the source's", not_once);
  list("the source lost acknowledged writes", source_disagrees);
  return text;
}

Verdict JudgeAfterFault(etcd::Client& source, etcd::Client& destination,
                        const workload::ChurnWriter* writer, const VerdictOptions& options,
                        std::chrono::steady_clock::time_point healed) {
  Verdict verdict;
  const auto deadline = healed + options.timeout;
  workload::KeyspaceDiff diff;
  while (true) {
    auto compared = workload::DiffKeyspaces(source, destination, options.prefix);
    if (compared.ok()) {
      diff = *compared;
      if (diff.equal()) {
        verdict.consistent = true;
        verdict.seconds_to_consistent =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - healed).count();
        break;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(100ms);
  }
  verdict.lost = static_cast<int64_t>(diff.missing.size());
  verdict.extra = static_cast<int64_t>(diff.surplus.size());
  verdict.stale = static_cast<int64_t>(diff.different.size());

  if (!options.monitor_base.empty()) {
    // The replica may still be finishing a copy (503) or a check may race the last Txn:
    // ask again until it answers 0/0/0 or the time is up.
    const auto check_deadline = std::chrono::steady_clock::now() + 30s;
    do {
      const HttpResponse check = HttpGet(options.monitor_base + "/check?format=json", "", "", 60);
      const auto json = nlohmann::json::parse(check.body, nullptr, false);
      if (check.status == 200 && json.is_object()) {
        verdict.check_missed = json["missed"]["count"].get<int64_t>();
        verdict.check_surplus = json["surplus"]["count"].get<int64_t>();
        verdict.check_stale = json["stale"]["count"].get<int64_t>();
        if (verdict.check_missed == 0 && verdict.check_surplus == 0 && verdict.check_stale == 0) {
          break;
        }
      }
      std::this_thread::sleep_for(500ms);
    } while (std::chrono::steady_clock::now() < check_deadline);
  } else {
    verdict.check_missed = verdict.check_surplus = verdict.check_stale = 0;
  }

  // Everything on the destination: outside the prefix only the state and the untouched keys.
  etcd::pb::RangeRequest all;
  all.set_key(std::string(1, '\0'));
  all.set_range_end(std::string(1, '\0'));
  auto everything = destination.Range(all);
  if (!everything.ok()) {
    verdict.outside_touched.push_back(
        "(cannot read the destination: " + std::string(everything.status().message()) + ")");
    return verdict;
  }
  std::map<std::string, int64_t> untouched(options.untouched.begin(), options.untouched.end());
  std::set<std::string> uids;
  std::vector<std::pair<std::string, std::vector<std::string>>> owners;
  std::map<std::string, int64_t> versions;
  for (const auto& kv : everything->kvs()) {
    const std::string& key = kv.key();
    if (key.rfind(options.prefix, 0) == 0) {
      const k8s::ObjectMeta meta = k8s::ReadObjectMeta(kv.value());
      if (!meta.uid.empty()) uids.insert(meta.uid);
      if (!meta.owner_uids.empty()) owners.push_back({key, meta.owner_uids});
      versions[key] = kv.version();
    } else if (key.rfind(options.state_prefix, 0) != 0) {
      auto expected = untouched.find(key);
      if (expected == untouched.end() || expected->second != kv.mod_revision()) {
        verdict.outside_touched.push_back(key);
      }
      if (expected != untouched.end()) untouched.erase(expected);
    }
  }
  for (const auto& [key, revision] : untouched) verdict.outside_touched.push_back(key + " (gone)");
  for (const auto& [key, owner_uids] : owners) {
    for (const auto& uid : owner_uids) {
      if (!uids.contains(uid)) verdict.orphans.push_back(key + " -> " + uid);
    }
  }
  if (writer != nullptr) {
    const workload::ChurnRecord record = writer->record();
    if (options.check_versions) {
      for (const std::string& key : record.written_once) {
        auto version = versions.find(key);
        if (version == versions.end() || version->second == 1) continue;
        // The writer's client retries a Txn whose answer it lost (a killed leader may have
        // committed it): then the source has version 2 as well, and the standby is right.
        etcd::pb::RangeRequest one;
        one.set_key(key);
        auto at_source = source.Range(one);
        if (at_source.ok() && at_source->kvs_size() == 1 &&
            at_source->kvs(0).version() == version->second) {
          continue;
        }
        verdict.not_once.push_back(key);
      }
    }
    auto disagreements = writer->Disagreements(source);
    if (disagreements.ok()) {
      verdict.source_disagrees = *disagreements;
    } else {
      verdict.source_disagrees.push_back(std::string(disagreements.status().message()));
    }
  }
  return verdict;
}

void RecordFaultRun(const std::string& fault, const Verdict& verdict) {
  const char* table = std::getenv("FAULT_SUITE_TABLE");
  if (table == nullptr || *table == '\0') return;
  std::ofstream(table, std::ios::app)
      << fault << '\t' << (verdict.ok() ? 1 : 0) << '\t' << verdict.seconds_to_consistent << '\t'
      << verdict.lost << '\t' << verdict.extra << '\t' << verdict.stale << '\n';
}

}  // namespace testing_support
