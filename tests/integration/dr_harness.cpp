#include "dr_harness.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apiserver/platform_table.h"
#include "platform/resources.h"
#include "support/http_get.h"

namespace dr_testing {

using nlohmann::json;
using testing_support::ChildProcess;
using testing_support::CommandResult;

namespace {

constexpr const char* kToken = "dr-test-token";

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string HostPort(const std::string& url) {
  const auto scheme = url.find("://");
  return scheme == std::string::npos ? url : url.substr(scheme + 3);
}

k8s::RestConfig Config(const std::string& server) {
  k8s::RestConfig config;
  config.server = server;
  config.token = common::Secret(kToken);
  return config;
}

void MustCreate(k8s::RestClient& client, const k8s::ResourceRef& ref, const std::string& ns,
                const json& object) {
  auto created = client.Create(ref, ns, object);
  ASSERT_TRUE(created.ok()) << created.status();
  if (object.contains("status")) {
    json with_status = *created;
    with_status["status"] = object["status"];
    auto updated = client.UpdateStatus(ref, ns, with_status);
    ASSERT_TRUE(updated.ok()) << updated.status();
  }
}

}  // namespace

DrPair::DrPair(DrPairOptions options) : options_(std::move(options)) {
  setenv("IMAGE_SYNC_BIN", IMAGE_SYNC_BINARY, 1);
  setenv("UPGRADE_CORE_BIN", UPGRADE_CORE_BINARY, 1);
  primary_etcd_ = std::make_unique<testing_support::EtcdMember>(dir_.path(), "etcd-primary");
  standby_etcd_ = std::make_unique<testing_support::EtcdMember>(dir_.path(), "etcd-standby");
  auto api = [](testing_support::EtcdMember& etcd) {
    apiserver::ApiServerOptions options;
    options.resources = apiserver::PlatformResourceTable();
    options.token = common::Secret(kToken);
    auto server = std::make_unique<apiserver::ApiServer>(etcd.client(), std::move(options));
    EXPECT_TRUE(server->Start().ok());
    return server;
  };
  primary_api_ = api(*primary_etcd_);
  standby_api_ = api(*standby_etcd_);
  primary_client_ = std::make_unique<k8s::RestClient>(Config(primary_api_->url()));
  standby_client_ = std::make_unique<k8s::RestClient>(Config(standby_api_->url()));
  primary_kubeconfig_ = dir_.File("primary.kubeconfig");
  standby_kubeconfig_ = dir_.File("standby.kubeconfig");
  WriteKubeconfig(primary_kubeconfig_, primary_api_->url());
  WriteKubeconfig(standby_kubeconfig_, standby_api_->url());

  primary_registry_ = std::make_unique<testing_support::RegistryServer>(dir_.path(), "reg-primary");
  standby_registry_ = std::make_unique<testing_support::RegistryServer>(dir_.path(), "reg-standby");
  WritePackage();

  // The standby's own plugin object is cluster-scoped like every ModuleInfo: without this
  // rule etcd-sync would delete it (the primary has none) and /check would call it surplus.
  rules_file_ = dir_.File("etcd-sync-rules.yaml");
  std::ofstream(rules_file_) << "defaults: true\nexclude:\n  patterns:\n"
                                "    - \"/registry/cluster.alauda.io/moduleinfoes/*etcd-sync*\"\n";
  if (!options_.monitor_token.empty()) {
    monitor_token_file_ = dir_.File("monitor-token");
    std::ofstream(monitor_token_file_) << options_.monitor_token << "\n";
    std::filesystem::permissions(monitor_token_file_, std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::owner_write);
  }
  monitor_port_ = FreePort();
  monitor_url_ = "http://127.0.0.1:" + std::to_string(monitor_port_);

  Seed();
  primary_sim_ = std::make_unique<platform_sim::PlatformSimulator>(
      Config(primary_api_->url()),
      platform_sim::SimOptions{.tick = std::chrono::milliseconds(100)});
  standby_sim_ = std::make_unique<platform_sim::PlatformSimulator>(
      Config(standby_api_->url()),
      platform_sim::SimOptions{.tick = std::chrono::milliseconds(100)});
  primary_sim_->Start();
  standby_sim_->Start();
  controller_ = std::jthread([this](std::stop_token stop) { ControlPlugin(stop); });
}

DrPair::~DrPair() {
  controller_.request_stop();
  if (controller_.joinable()) controller_.join();
  StopSync();
  if (primary_sim_) primary_sim_->Stop();
  if (standby_sim_) standby_sim_->Stop();
}

void DrPair::WriteKubeconfig(const std::string& path, const std::string& server) {
  std::ofstream(path) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                         "    server: "
                      << server << "\nusers:\n- name: u\n  user:\n    token: " << kToken
                      << "\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
                         "current-context: x\n";
}

void DrPair::WritePackage() {
  package_dir_ = dir_.File("package");
  std::filesystem::create_directories(package_dir_);
  std::filesystem::copy_file(std::string(PROJECT_SOURCE_DIR) + "/upgrade.sh",
                             package_dir_ + "/upgrade.sh");
  CommandResult bundle = testing_support::RunCommand(
      std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " " + Quote(package_dir_ + "/images") +
      " --images 4 --layer-mib 1 --shared-layer-mib 1");
  ASSERT_EQ(bundle.exit_code, 0) << bundle.output;
  // release.yaml: the version the package installs and the images it needs (the bundle's).
  std::ifstream index_file(package_dir_ + "/images/index.json");
  json index = json::parse(index_file, nullptr, false);
  std::vector<std::string> images;
  if (index.is_object()) {
    for (const json& manifest : index.value("manifests", json::array())) {
      std::string ref =
          manifest.value("/annotations/io.containerd.image.name"_json_pointer, std::string());
      if (ref.empty()) {
        ref = manifest.value("/annotations/org.opencontainers.image.ref.name"_json_pointer,
                             std::string());
      }
      if (!ref.empty()) images.push_back(ref);
    }
  }
  ASSERT_GE(images.size(), 2u) << "the sample bundle names no images";
  std::ofstream release(package_dir_ + "/release.yaml");
  release << "version: " << kToVersion << "\nproductImage: " << images[0]
          << "\ncvoImage: " << images[1] << "\nimages:\n";
  for (size_t i = 2; i < images.size(); ++i) release << "  - " << images[i] << "\n";
}

void DrPair::Seed() {
  MustCreate(
      *primary_client_, platform::kProductBases, "",
      {{"apiVersion", "product.alauda.io/v1alpha2"},
       {"kind", "ProductBase"},
       {"metadata", {{"name", "base"}}},
       {"spec",
        {{"version", kFromVersion},
         {"alternativeURLs", {"https://10.20.0.1", std::string("https://") + kStandbyVip}}}}});
  for (int i = 1; i <= 3; ++i) {
    MustCreate(*primary_client_, platform::kMachines, "",
               {{"apiVersion", "platform.tkestack.io/v1"},
                {"kind", "Machine"},
                {"metadata", {{"name", "business-1-m" + std::to_string(i)}}},
                {"spec", {{"clusterName", "business-1"}, {"ip", "10.30.0." + std::to_string(i)}}},
                {"status", {{"phase", "Running"}}}});
  }
  MustCreate(*primary_client_, platform::kClusters, "",
             {{"metadata", {{"name", "business-1"}}}, {"spec", {{"version", "1.31.4"}}}});
  for (int i = 0; i < 5; ++i) {
    MustCreate(
        *primary_client_, platform::kConfigMaps, "team-a",
        {{"metadata", {{"name", "app-config-" + std::to_string(i)}, {"namespace", "team-a"}}},
         {"data", {{"key", "value-" + std::to_string(i)}}}});
  }
  for (k8s::RestClient* client : {primary_client_.get(), standby_client_.get()}) {
    MustCreate(*client, platform::kClusterVersionShadows, platform::kPlatformNamespace,
               {{"metadata", {{"name", "global"}, {"namespace", platform::kPlatformNamespace}}},
                {"spec", json::object()},
                {"status", {{"current", {{"version", kFromVersion}}}}}});
  }
  json plugin_config = {{"checkInterval", 300}};
  if (options_.plugin_config_names_source) {
    plugin_config["active-global-vip"] = "10.20.0.1";
    plugin_config["source-endpoints"] = primary_etcd_->url();
  }
  MustCreate(*standby_client_, platform::kModuleInfos, "",
             {{"apiVersion", "cluster.alauda.io/v1alpha1"},
              {"kind", "ModuleInfo"},
              {"metadata",
               {{"name", kPluginName},
                {"labels",
                 {{"cpaas.io/module-name", "etcd-sync"},
                  {"cpaas.io/cluster-name", "global"},
                  {"cpaas.io/module-type", "plugin"}}}}},
              {"spec", {{"version", kFromVersion}, {"config", plugin_config}}}});
}

std::vector<std::string> DrPair::AcArgs(const std::string& command, bool with_monitor_url) const {
  const apiserver::ApiServer& primary_api = swapped_ ? *standby_api_ : *primary_api_;
  const apiserver::ApiServer& standby_api = swapped_ ? *primary_api_ : *standby_api_;
  std::vector<std::string> args = {
      AC_BINARY,
      "adm",
      "dr",
      command,
      by_address_ ? "--primary-address" : "--primary-kubeconfig",
      by_address_ ? primary_api.url() : (swapped_ ? standby_kubeconfig_ : primary_kubeconfig_),
      by_address_ ? "--standby-address" : "--standby-kubeconfig",
      by_address_ ? standby_api.url() : (swapped_ ? primary_kubeconfig_ : standby_kubeconfig_),
      "--standby-vip",
      swapped_ ? "10.20.0.1" : kStandbyVip,
      "--primary-etcd-endpoints",
      HostPort((swapped_ ? standby_etcd_ : primary_etcd_)->url()),
      "--poll-interval-ms",
      "100",
      "--step-timeout",
      "120",
      "--stall-grace",
      "3"};
  if (with_monitor_url) {
    args.push_back("--monitor-url");
    args.push_back(monitor_url_);
  }
  if (command == "upgrade") {
    for (const std::string& arg :
         {std::string("--to"), std::string(kToVersion), std::string("--package"), package_dir_,
          std::string("--primary-registry"), primary_registry_->address(),
          std::string("--standby-registry"), standby_registry_->address(), std::string("--no-auth"),
          std::string("--plain"), std::string("--journal"), dir_.File("upgrade-journal.json")}) {
      args.push_back(arg);
    }
  }
  if (command == "failover" || command == "reenable") {
    args.push_back("--journal");
    args.push_back(dir_.File("dr-" + command + "-journal.json"));
  }
  return args;
}

CommandResult DrPair::RunAc(const std::string& command, const std::vector<std::string>& extra,
                            bool with_monitor_url) const {
  std::string line;
  std::vector<std::string> args = AcArgs(command, with_monitor_url);
  args.insert(args.end(), extra.begin(), extra.end());
  for (const std::string& arg : args) line += Quote(arg) + " ";
  if (by_address_) {
    line = std::string("AC_DR_PRIMARY_TOKEN=") + kToken + " AC_DR_STANDBY_TOKEN=" + kToken + " " +
           line;
  }
  return testing_support::RunCommand("cd " + Quote(dir_.path()) + " && " + line);
}

bool DrPair::WaitConsistent(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto response = testing_support::HttpGet(
        monitor_url_ + "/check?format=json", "",
        options_.monitor_token.empty() ? "" : "Bearer " + options_.monitor_token);
    if (response.status == 200) {
      json report = json::parse(response.body, nullptr, false);
      if (!report.is_discarded() && report["missed"]["count"] == 0 &&
          report["surplus"]["count"] == 0) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool DrPair::sync_running() {
  std::lock_guard lock(sync_mutex_);
  return sync_ && sync_->Running();
}

std::string DrPair::SyncLogs() const {
  std::string out;
  for (int i = 1; i <= sync_starts_.load(); ++i) {
    std::ifstream in(dir_.File("etcd-sync-" + std::to_string(i) + ".log"));
    std::stringstream text;
    text << in.rdbuf();
    out += text.str();
  }
  // The tail is what explains a failure; whole logs would drown the test output.
  return out.size() > 6000 ? "...\n" + out.substr(out.size() - 6000) : out;
}

int DrPair::CatalogSize(bool standby) const {
  auto response = testing_support::HttpGet(
      "http://" + (standby ? standby_registry_ : primary_registry_)->address() + "/v2/_catalog");
  json catalog = json::parse(response.body, nullptr, false);
  if (catalog.is_discarded() || !catalog.contains("repositories")) return -1;
  return static_cast<int>(catalog["repositories"].size());
}

int DrPair::HistoryEntries(bool standby, const std::string& version) {
  auto cvsh = (standby ? standby_client_ : primary_client_)
                  ->Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  if (!cvsh.ok()) return -1;
  int count = 0;
  for (const json& entry : cvsh->value("/status/history"_json_pointer, json::array())) {
    count += entry.value("version", "") == version ? 1 : 0;
  }
  return count;
}

std::vector<std::string> DrPair::sync_argv() {
  std::lock_guard lock(sync_mutex_);
  return sync_ ? sync_argv_ : std::vector<std::string>();
}

void DrPair::StartSync(bool on_standby, const std::string& source_endpoints) {
  const int n = ++sync_starts_;
  sync_pod_ = "etcd-sync-" + std::to_string(n);
  sync_on_standby_ = on_standby;
  lease_written_ = false;
  sync_argv_ = {ETCD_SYNC_BINARY,
                "--source-endpoints",
                source_endpoints,
                "--dest-endpoints",
                (on_standby ? standby_etcd_ : primary_etcd_)->url(),
                "--leader-lease-ttl",
                "3",
                "--monitor-listen",
                "127.0.0.1:" + std::to_string(monitor_port_),
                "--rules",
                rules_file_,
                "--identity",
                sync_pod_};
  if (!monitor_token_file_.empty()) {
    sync_argv_.push_back("--monitor-token-file");
    sync_argv_.push_back(monitor_token_file_);
  }
  sync_ = std::make_unique<ChildProcess>(sync_argv_,
                                         dir_.File("etcd-sync-" + std::to_string(n) + ".log"));
  (void)(on_standby ? standby_client_ : primary_client_)
      ->Create(platform::kPods, platform::kPlatformNamespace,
               {{"metadata",
                 {{"name", sync_pod_},
                  {"namespace", platform::kPlatformNamespace},
                  {"labels", {{"app", "etcd-sync"}}}}},
                {"spec", {{"containers", {{{"name", "etcd-sync"}, {"image", "acp/etcd-sync"}}}}}}});
}

// Holds the lock until the process is gone, so sync_running() false means stopped.
// The Lease stays behind, as the platform's would: the tools must not trust a stale holder.
void DrPair::StopSync() {
  std::lock_guard lock(sync_mutex_);
  if (!sync_) return;
  sync_->Terminate();
  if (!sync_->WaitExit(std::chrono::seconds(10))) sync_->Kill();
  (void)(sync_on_standby_ ? standby_client_ : primary_client_)
      ->Delete(platform::kPods, platform::kPlatformNamespace, sync_pod_);
  sync_.reset();
}

void DrPair::ControlPlugin(std::stop_token stop) {
  while (!stop.stop_requested()) {
    // The plugin is installed where its ModuleInfo is: the standby, or (after a failover and
    // the re-enable) the old primary.
    auto on_standby =
        standby_client_->List(platform::kModuleInfos, "", "cpaas.io/module-name=etcd-sync");
    auto on_primary =
        primary_client_->List(platform::kModuleInfos, "", "cpaas.io/module-name=etcd-sync");
    const bool listed = on_standby.ok() && on_primary.ok();
    const bool standby_has = on_standby.ok() && !(*on_standby)["items"].empty();
    const bool primary_has = on_primary.ok() && !(*on_primary)["items"].empty();
    const bool installed = standby_has || primary_has;
    const bool plugin_on_standby = standby_has;
    // The source the plugin's config names, as the plugin's Deployment would pass it; a config
    // without one syncs from the other cluster's etcd.
    std::string source = (plugin_on_standby ? primary_etcd_ : standby_etcd_)->url();
    if (installed) {
      const json& plugin = (plugin_on_standby ? *on_standby : *on_primary)["items"][0];
      const auto pointer = "/spec/config/source-endpoints"_json_pointer;
      if (plugin.contains(pointer) && plugin.at(pointer).is_string() &&
          !plugin.at(pointer).get<std::string>().empty()) {
        source = plugin.at(pointer).get<std::string>();
      }
    }
    bool running, pod_gone = false, exited = false, moved = false;
    {
      std::lock_guard lock(sync_mutex_);
      running = sync_ != nullptr;
      if (running) {
        k8s::RestClient& pods = sync_on_standby_ ? *standby_client_ : *primary_client_;
        pod_gone = absl::IsNotFound(
            pods.Get(platform::kPods, platform::kPlatformNamespace, sync_pod_).status());
        exited = !sync_->Running();
        moved = installed && (sync_on_standby_ != plugin_on_standby || sync_argv_.size() < 3 ||
                              sync_argv_[2] != source);
      }
    }
    if (listed && !installed && running) {
      StopSync();
    } else if (installed && running && (pod_gone || exited || moved)) {
      StopSync();  // the pod was deleted: its ReplicaSet starts another
      std::lock_guard lock(sync_mutex_);
      StartSync(plugin_on_standby, source);
    } else if (installed && !running) {
      std::lock_guard lock(sync_mutex_);
      StartSync(plugin_on_standby, source);
    }
    {
      std::lock_guard lock(sync_mutex_);
      if (sync_ && !lease_written_ &&
          sync_->Log().find("Acquired leader lease") != std::string::npos) {
        k8s::RestClient& client = sync_on_standby_ ? *standby_client_ : *primary_client_;
        json lease = {{"metadata",
                       {{"name", "etcd-sync-mirror"}, {"namespace", platform::kPlatformNamespace}}},
                      {"spec", {{"holderIdentity", sync_pod_}}}};
        auto updated =
            client.MergePatch(platform::kLeases, platform::kPlatformNamespace, "etcd-sync-mirror",
                              {{"spec", {{"holderIdentity", sync_pod_}}}});
        if (!updated.ok()) {
          (void)client.Create(platform::kLeases, platform::kPlatformNamespace, lease);
        }
        lease_written_ = true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace dr_testing
