// violet's exit codes, one meaning each, as documented in the README (violet section).
#pragma once

namespace violet {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;           // a push/list/gc step failed (named on stderr)
inline constexpr int kExitUsage = 2;            // bad flags or combination of flags
inline constexpr int kExitPackageInvalid = 3;   // corrupt/invalid package, verification failed
inline constexpr int kExitAuthRefused = 4;      // platform or registry refused the credentials
inline constexpr int kExitRefusedBySafety = 5;  // a safety rail said no (use --force)

}  // namespace violet
