// Runs the package's scripts (upgrade.sh) as child processes: extra environment (KUBECONFIG),
// a secret written to stdin (never argv), output relayed line by line with an indent, and
// the child killed if we die (so a resumed run never races a leftover push).
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace dr {

struct ChildResult {
  int exit_code = -1;
  std::string tail;  // the last lines of output, for error messages
};

absl::StatusOr<ChildResult> RunChild(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& env,
                                     const common::Secret& stdin_secret, std::ostream& out);

// "a b 'c d'" for progress lines (never pass secrets in argv).
std::string ShellQuote(const std::vector<std::string>& argv);

}  // namespace dr
