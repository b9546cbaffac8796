// The one exit-code table of every tool (etcd-sync, image-sync, violet, upgrade-core, ac,
// upgrade.sh). Header-only so that an engine that runs a child tool (the DR runbook) reads the
// child's exit code with the same numbers the mains return; documented once, in README.md.
#pragma once

#include <array>
#include <string_view>

namespace exit_code {

inline constexpr int kOk = 0;            // done; check passed; preflight Passed
inline constexpr int kFailed = 1;        // a step failed at run time; re-run resumes
inline constexpr int kUsage = 2;         // bad flags or configuration; unresumable journal
inline constexpr int kInvalidInput = 3;  // bundle/package missing, invalid, corrupt, unsigned
inline constexpr int kAuthRefused = 4;   // credentials missing or refused
inline constexpr int kRegistryUnreachable = 5;  // registry unreachable, or its TLS failed
inline constexpr int kClusterUnreachable = 6;   // cluster unreachable, or it refused the request
inline constexpr int kPreflightFailed = 7;      // preflight Failed
inline constexpr int kPreflightRetry = 8;       // preflight Retry: no conclusive result
inline constexpr int kImagesMissing = 9;        // images of the release missing from the registry
inline constexpr int kBlocked = 10;             // refused by a rule, a DR gate or a safety rail
inline constexpr int kWaitingConfirm = 11;      // a manual step waits for --confirm
inline constexpr int kInProgress = 12;          // still in progress (status commands)
inline constexpr int kTimedOut = 13;            // timed out waiting (--wait, --timeout)

// Every code above, in order (the README table and the tests walk it).
inline constexpr std::array<int, 14> kAll = {kOk,
                                             kFailed,
                                             kUsage,
                                             kInvalidInput,
                                             kAuthRefused,
                                             kRegistryUnreachable,
                                             kClusterUnreachable,
                                             kPreflightFailed,
                                             kPreflightRetry,
                                             kImagesMissing,
                                             kBlocked,
                                             kWaitingConfirm,
                                             kInProgress,
                                             kTimedOut};

// One line for `code` as the README's table says it; "" for a code outside the table.
constexpr std::string_view ExitMeaning(int code) {
  switch (code) {
    case kOk:
      return "done; check passed; preflight Passed";
    case kFailed:
      return "a step failed at run time (network, API error, interrupted); re-running "
             "resumes or retries";
    case kUsage:
      return "bad flags or configuration, or a journal this command cannot resume";
    case kInvalidInput:
      return "bundle or package missing, invalid or corrupt, or its verification or "
             "signature failed";
    case kAuthRefused:
      return "credentials missing or refused (registry or platform)";
    case kRegistryUnreachable:
      return "registry unreachable, or its TLS failed";
    case kClusterUnreachable:
      return "cluster unreachable, or it refused the request (not credentials)";
    case kPreflightFailed:
      return "preflight Failed";
    case kPreflightRetry:
      return "preflight Retry (no conclusive result; run again)";
    case kImagesMissing:
      return "images of the release missing from the registry";
    case kBlocked:
      return "blocked: refused by a rule, a DR gate or a safety rail (fix it, or --force "
             "where offered)";
    case kWaitingConfirm:
      return "a manual step waits for --confirm";
    case kInProgress:
      return "still in progress (status commands)";
    case kTimedOut:
      return "timed out waiting (--wait / --timeout)";
  }
  return "";
}

}  // namespace exit_code
