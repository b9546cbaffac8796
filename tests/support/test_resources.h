// Resources the stand-in API server serves, shared by the k8s client tests (one definition,
// so test files can share an executable and a unity translation unit).
#pragma once

#include "k8s/resource_ref.h"

namespace test_resources {

inline const k8s::ResourceRef kConfigMaps{"", "v1", "configmaps", true};
inline const k8s::ResourceRef kWidgets{"example.com", "v1", "widgets", true};
inline const k8s::ResourceRef kClusterWidgets{"example.com", "v1", "clusterwidgets", false};

}  // namespace test_resources
