#include "platform_sim/platform_simulator.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>

#include "common/version_compare.h"
#include "platform/resources.h"

namespace platform_sim {
namespace {

using nlohmann::json;

constexpr const char* kStallAnnotation = "platform-sim.test/stall-stage";
constexpr const char* kStages[] = {"Core", "Aligned", "Kubernetes"};

std::string Now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string Str(const json& object, const char* pointer) {
  const json::json_pointer path(pointer);
  return object.contains(path) && object.at(path).is_string() ? object.at(path).get<std::string>()
                                                              : "";
}

void SetCondition(json& status, const std::string& type, bool value, const std::string& reason,
                  const std::string& message) {
  json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  json condition = {{"type", type},
                    {"status", value ? "True" : "False"},
                    {"reason", reason},
                    {"message", message},
                    {"lastTransitionTime", Now()}};
  for (json& existing : conditions) {
    if (existing.value("type", "") == type) {
      if (existing.value("status", "") == condition["status"] &&
          existing.value("reason", "") == reason && existing.value("message", "") == message) {
        return;
      }
      existing = condition;
      return;
    }
  }
  conditions.push_back(condition);
}

}  // namespace

PlatformSimulator::PlatformSimulator(k8s::RestConfig cluster, SimOptions options)
    : client_(std::move(cluster), std::chrono::seconds(5)), options_(options) {}

PlatformSimulator::~PlatformSimulator() { Stop(); }

void PlatformSimulator::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      Tick();
      const auto until = std::chrono::steady_clock::now() + options_.tick;
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
}

void PlatformSimulator::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void PlatformSimulator::Tick() {
  std::lock_guard lock(tick_mutex_);
  TickClusterVersions();
  TickModuleInfos();
}

// The CVO runs only once upgrade.sh --skip-sync-image has deployed it.
void PlatformSimulator::TickClusterVersions() {
  if (!client_.Get(platform::kDeployments, platform::kPlatformNamespace, "cluster-version-operator")
           .ok()) {
    return;
  }
  auto shadows = client_.List(platform::kClusterVersionShadows, platform::kPlatformNamespace);
  auto manifests = client_.List(platform::kProductManifests, "");
  if (!shadows.ok() || !manifests.ok()) return;
  for (json cvsh : (*shadows)["items"]) {
    const json before = cvsh.value("status", json::object());
    json& status = cvsh["status"];
    if (!status.is_object()) status = json::object();
    const std::string current = Str(cvsh, "/status/current/version");
    json available = json::array();
    for (const json& manifest : (*manifests)["items"]) {
      const std::string version = Str(manifest, "/spec/version");
      if (!version.empty() && (current.empty() || common::CompareVersions(version, current) > 0)) {
        available.push_back({{"version", version}, {"image", Str(manifest, "/spec/image")}});
      }
    }
    std::sort(available.begin(), available.end(), [](const json& a, const json& b) {
      return common::CompareVersions(a["version"].get<std::string>(),
                                     b["version"].get<std::string>()) < 0;
    });
    status["availableUpdates"] = available;
    const std::string desired = Str(cvsh, "/spec/desiredUpdate/version");
    if (!desired.empty() && desired != current) AdvanceUpgrade(cvsh, desired);
    if (cvsh["status"] == before) continue;
    (void)client_.UpdateStatus(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                               cvsh);
    if (cvsh.value("/metadata/name"_json_pointer, std::string()) == platform::kGlobalCluster &&
        Str(cvsh, "/status/current/version") == desired && !desired.empty()) {
      (void)client_.MergePatch(platform::kProductBases, "", "base",
                               {{"spec", {{"version", desired}}}});
    }
  }
}

// One step per tick: start the run, then move the first unfinished stage along.
void PlatformSimulator::AdvanceUpgrade(json& cvsh, const std::string& desired) {
  json& status = cvsh["status"];
  json& history = status["history"];
  if (!history.is_array()) history = json::array();
  const bool running = !history.empty() && history[0].value("version", "") == desired &&
                       history[0].value("state", "") == "Partial";
  if (!running) {
    status["desired"] = {{"version", desired}};
    const json entry = {{"version", desired}, {"state", "Partial"}, {"startedTime", Now()}};
    history.insert(history.begin(), entry);
    status["stages"] = json::array();
    for (const char* stage : kStages) {
      status["stages"].push_back({{"name", stage}, {"phase", "Pending"}});
    }
    SetCondition(status, "Reconciling", true, "UpgradeStarted",
                 fmt::format("upgrading to {}", desired));
    SetCondition(status, "Ready", false, "Upgrading", fmt::format("upgrading to {}", desired));
    return;
  }
  const std::string stall =
      cvsh.value("/metadata/annotations"_json_pointer, json::object()).value(kStallAnnotation, "");
  for (json& stage : status["stages"]) {
    const std::string phase = stage.value("phase", "");
    if (phase == "Finished") continue;
    const std::string name = stage.value("name", "");
    if (phase == "Pending") {
      stage["phase"] = "Running";
      stage["startedTime"] = Now();
    } else if (name == stall) {
      SetCondition(status, "Stalled", true, "StageFailed",
                   fmt::format("stage {} failed: simulated failure", name));
    } else {
      stage["phase"] = "Finished";
      stage["completionTime"] = Now();
    }
    return;
  }
  history[0]["state"] = "Completed";
  history[0]["completionTime"] = Now();
  status["current"] = {{"version", desired}};
  SetCondition(status, "Reconciling", false, "UpgradeCompleted",
               fmt::format("upgraded to {}", desired));
  SetCondition(status, "Ready", true, "UpgradeCompleted", fmt::format("running {}", desired));
  SetCondition(status, "Stalled", false, "UpgradeCompleted", "");
}

void PlatformSimulator::TickModuleInfos() {
  auto infos = client_.List(platform::kModuleInfos, "");
  if (!infos.ok()) return;
  for (json info : (*infos)["items"]) {
    const std::string wanted = Str(info, "/spec/version");
    if (wanted.empty() ||
        (Str(info, "/status/version") == wanted && Str(info, "/status/phase") == "Running")) {
      continue;
    }
    info["status"]["version"] = wanted;
    info["status"]["phase"] = "Running";
    (void)client_.UpdateStatus(platform::kModuleInfos, "", info);
  }
}

}  // namespace platform_sim
