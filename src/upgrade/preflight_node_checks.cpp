// The checks that read the cluster being upgraded itself: its Nodes, kube-system Pods,
// CronJobs and leftover CRI migration Pods.
#include <fmt/format.h>

#include <algorithm>

#include "k8s/json_fields.h"
#include "upgrade/name_list.h"
#include "upgrade/preflight_check.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

namespace {

bool IsControlPlane(const json& node) {
  if (!node.contains("metadata") || !node["metadata"].contains("labels")) return false;
  const json& labels = node["metadata"]["labels"];
  return labels.contains("node-role.kubernetes.io/control-plane") ||
         labels.contains("node-role.kubernetes.io/master");
}

}  // namespace

// Reads: Nodes' status.nodeInfo.kubeletVersion. The cluster is as old as its oldest node;
// that version must lie in the range the target needs (§2 by source: 3.16 1.28, 3.18 1.30,
// 4.0 1.31, 4.1 1.32; §1 rule 5: 1.31-1.34 for 4.3 and later). No Nodes read: Retry.
CheckResult KubernetesVersionSupported(const PreflightInputs& in) {
  const std::string name = "KubernetesVersionSupported";
  std::string oldest, oldest_node;
  for (const json& node : in.nodes) {
    const std::string version = k8s::StringAt(node, "/status/nodeInfo/kubeletVersion");
    if (version.empty()) continue;
    if (oldest.empty() || VersionLess(version, oldest)) {
      oldest = version;
      oldest_node = k8s::NameOf(node);
    }
  }
  if (oldest.empty()) {
    return Retry(
        name, "NoNodes",
        fmt::format("no Node of cluster {} reports status.nodeInfo.kubeletVersion", in.cluster));
  }
  const KubernetesRange range = KubernetesRangeFor(in.current_version, in.target_version);
  if (!KubernetesInRange(oldest, range)) {
    return Failed(name, "KubernetesVersionUnsupported",
                  fmt::format("node {} runs Kubernetes {}; upgrading to {} needs {} — upgrade "
                              "the cluster's Kubernetes first",
                              oldest_node, oldest, in.target_version, DescribeRange(range)));
  }
  return Passed(
      name, fmt::format("Kubernetes {} (oldest node) is within {}", oldest, DescribeRange(range)));
}

// Reads: Nodes' status.nodeInfo.containerRuntimeVersion. Any docker:// node fails: the
// release runs on containerd only; migrate those nodes first.
CheckResult DockerRuntimeUnsupported(const PreflightInputs& in) {
  const std::string name = "DockerRuntimeUnsupported";
  if (in.nodes.empty()) {
    return Retry(name, "NoNodes", fmt::format("no Node objects read from cluster {}", in.cluster));
  }
  std::vector<std::string> docker;
  for (const json& node : in.nodes) {
    if (k8s::StringAt(node, "/status/nodeInfo/containerRuntimeVersion").starts_with("docker://")) {
      docker.push_back(k8s::NameOf(node));
    }
  }
  if (!docker.empty()) {
    return Failed(name, "DockerRuntime",
                  fmt::format("nodes still run Docker: {} — migrate them to containerd first",
                              JoinNames(docker)));
  }
  return Passed(name, fmt::format("no Docker runtime on {} nodes", in.nodes.size()));
}

// Reads: Nodes labelled node-role.kubernetes.io/control-plane (or /master) and the Pods of
// kube-system. Each control-plane node must have the mirror pods of its static pods:
// kube-apiserver-<node>, kube-controller-manager-<node>, kube-scheduler-<node>, etcd-<node>.
CheckResult ControlPlaneStaticPodsPresent(const PreflightInputs& in) {
  const std::string name = "ControlPlaneStaticPodsPresent";
  std::vector<std::string> control_plane;
  for (const json& node : in.nodes) {
    if (IsControlPlane(node)) control_plane.push_back(k8s::NameOf(node));
  }
  if (control_plane.empty()) {
    return Retry(name, "NoControlPlaneNodes",
                 fmt::format("no Node of cluster {} is labelled "
                             "node-role.kubernetes.io/control-plane",
                             in.cluster));
  }
  std::vector<std::string> pod_names;
  for (const json& pod : in.kube_system_pods) pod_names.push_back(k8s::NameOf(pod));
  std::vector<std::string> missing;
  for (const std::string& node : control_plane) {
    for (const char* component :
         {"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}) {
      const std::string pod = fmt::format("{}-{}", component, node);
      if (std::find(pod_names.begin(), pod_names.end(), pod) == pod_names.end()) {
        missing.push_back(pod);
      }
    }
  }
  if (!missing.empty()) {
    return Failed(name, "StaticPodsMissing",
                  fmt::format("static pods missing in kube-system: {} — restore the manifests "
                              "in /etc/kubernetes/manifests on those nodes",
                              JoinNames(missing)));
  }
  return Passed(name,
                fmt::format("static pods present on {} control-plane nodes", control_plane.size()));
}

// Reads: CronJobs in cpaas-system and kube-system. Since 4.0 custom periodic etcd backups
// are deprecated (§2): a CronJob whose name contains "etcd-backup", other than
// etcd-backup-default, must be backed up and deleted.
CheckResult CustomEtcdBackupCronJobsAbsent(const PreflightInputs& in) {
  const std::string name = "CustomEtcdBackupCronJobsAbsent";
  std::vector<std::string> custom;
  for (const json& cronjob : in.cronjobs) {
    const std::string job = k8s::NameOf(cronjob);
    if (job.find("etcd-backup") != std::string::npos && job != "etcd-backup-default") {
      custom.push_back(k8s::StringAt(cronjob, "/metadata/namespace") + "/" + job);
    }
  }
  if (!custom.empty()) {
    return Failed(name, "CustomEtcdBackupCronJobs",
                  fmt::format("custom etcd backup CronJobs: {} — back them up and delete them "
                              "(only etcd-backup-default stays)",
                              JoinNames(custom)));
  }
  return Passed(name, "only etcd-backup-default backs up etcd");
}

// Reads: Pods labelled app=cri-upgrade in every namespace (the Docker -> containerd
// migration's pods). Any such Pod means a migration is unfinished or left behind.
CheckResult CRIUpgradePodsAbsent(const PreflightInputs& in) {
  const std::string name = "CRIUpgradePodsAbsent";
  std::vector<std::string> pods;
  for (const json& pod : in.cri_upgrade_pods) {
    pods.push_back(fmt::format("{}/{} ({})", k8s::StringAt(pod, "/metadata/namespace"),
                               k8s::NameOf(pod), k8s::StringAt(pod, "/status/phase")));
  }
  if (!pods.empty()) {
    return Failed(name, "CRIUpgradePods",
                  fmt::format("CRI migration pods present: {} — let the migration finish, then "
                              "delete them",
                              JoinNames(pods)));
  }
  return Passed(name, "no CRI migration pods (label app=cri-upgrade)");
}

}  // namespace upgrade
