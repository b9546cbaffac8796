#include "apiserver/discovery.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <vector>

namespace apiserver {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// kubectl's short names for the built-in types (`kubectl get cm`).
nlohmann::json ShortNames(const ServedResource& resource) {
  static const std::map<std::string, std::string> kShort = {
      {"configmaps", "cm"},     {"namespaces", "ns"},
      {"nodes", "no"},          {"pods", "po"},
      {"services", "svc"},      {"deployments", "deploy"},
      {"daemonsets", "ds"},     {"statefulsets", "sts"},
      {"replicasets", "rs"},    {"persistentvolumeclaims", "pvc"},
      {"serviceaccounts", "sa"}};
  auto it = kShort.find(resource.resource);
  if (it == kShort.end() || resource.group.find('.') != std::string::npos) {
    return nlohmann::json::array();
  }
  return {it->second};
}

// Versions of `group` in table order (the first is the preferred one).
std::vector<std::string> Versions(const ResourceTable& resources, const std::string& group) {
  std::vector<std::string> versions;
  for (const ServedResource& resource : resources) {
    if (resource.group == group &&
        std::find(versions.begin(), versions.end(), resource.version) == versions.end()) {
      versions.push_back(resource.version);
    }
  }
  return versions;
}

nlohmann::json GroupDocument(const ResourceTable& resources, const std::string& group) {
  nlohmann::json versions = nlohmann::json::array();
  for (const std::string& version : Versions(resources, group)) {
    versions.push_back({{"groupVersion", group + "/" + version}, {"version", version}});
  }
  return {{"name", group}, {"versions", versions}, {"preferredVersion", versions.at(0)}};
}

nlohmann::json ResourceList(const ResourceTable& resources, const std::string& group,
                            const std::string& version) {
  nlohmann::json list = nlohmann::json::array();
  for (const ServedResource& resource : resources) {
    if (resource.group != group || resource.version != version) continue;
    list.push_back({{"name", resource.resource},
                    {"singularName", Lower(resource.kind)},
                    {"shortNames", ShortNames(resource)},
                    {"namespaced", resource.namespaced},
                    {"kind", resource.kind},
                    {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}}});
    list.push_back({{"name", resource.resource + "/status"},
                    {"singularName", ""},
                    {"namespaced", resource.namespaced},
                    {"kind", resource.kind},
                    {"verbs", {"get", "patch", "update"}}});
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", list}};
}

}  // namespace

std::optional<nlohmann::json> DiscoveryDocument(const ResourceTable& resources,
                                                const std::string& path) {
  if (path == "/version") {
    return nlohmann::json{{"major", "1"},
                          {"minor", "20"},
                          {"gitVersion", "v1.20.0-test-stand-in"},
                          {"gitCommit", "0000000000000000000000000000000000000000"},
                          {"gitTreeState", "clean"},
                          {"buildDate", "2020-12-08T00:00:00Z"},
                          {"goVersion", "go1.15"},
                          {"compiler", "gc"},
                          {"platform", "linux/amd64"}};
  }
  if (path == "/api") {
    return nlohmann::json{{"kind", "APIVersions"},
                          {"versions", {"v1"}},
                          {"serverAddressByClientCIDRs",
                           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1"}}}}};
  }
  if (path == "/apis") {
    std::set<std::string> seen;
    nlohmann::json groups = nlohmann::json::array();
    for (const ServedResource& resource : resources) {
      if (resource.group.empty() || !seen.insert(resource.group).second) continue;
      groups.push_back(GroupDocument(resources, resource.group));
    }
    return nlohmann::json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
  }
  if (path == "/api/v1") return ResourceList(resources, "", "v1");
  constexpr std::string_view kApis = "/apis/";
  if (!path.starts_with(kApis)) return std::nullopt;
  const std::string rest = path.substr(kApis.size());
  const size_t slash = rest.find('/');
  const std::string group = rest.substr(0, slash);
  const std::vector<std::string> versions = Versions(resources, group);
  if (group.empty() || versions.empty()) return std::nullopt;
  if (slash == std::string::npos) {
    nlohmann::json document = GroupDocument(resources, group);
    document["kind"] = "APIGroup";
    document["apiVersion"] = "v1";
    return document;
  }
  const std::string version = rest.substr(slash + 1);
  if (std::find(versions.begin(), versions.end(), version) == versions.end()) return std::nullopt;
  return ResourceList(resources, group, version);
}

}  // namespace apiserver
