// Kubernetes-shaped sample data for the quickstart, tests and benchmarks: keys laid out as
// kube-apiserver lays them out in etcd, JSON values of a chosen size.
#pragma once

#include <cstdint>
#include <string>

namespace workload {

struct SampleObject {
  std::string key;
  std::string value;
};

// The i-th object of a deterministic mix of namespaced and cluster-scoped resources
// (pods, configmaps, secrets, services/specs, deployments, replicasets, namespaces, ...),
// with `value_size` bytes of JSON (at least the metadata).
SampleObject MakeSampleObject(const std::string& prefix, int64_t index, size_t value_size,
                              int64_t generation = 0);

}  // namespace workload
