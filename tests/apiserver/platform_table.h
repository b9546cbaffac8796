// TEST STAND-IN for kube-apiserver: the resource table of an ACP cluster (every type in
// platform/resources.h), with kube-apiserver's storage paths for the built-in groups.
#pragma once

#include "apiserver/served_resource.h"

namespace apiserver {

ResourceTable PlatformResourceTable();

}  // namespace apiserver
