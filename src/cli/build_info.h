// What --version and etcd_sync_build_info report. Defined in build_info.cpp, which the build
// regenerates (cmake/BuildInfo.cmake) so that only it recompiles when the commit changes.
#pragma once

namespace cli {

const char* BuildVersion();  // the CMake project VERSION
const char* BuildCommit();   // full git sha, or "unknown" outside a git checkout
const char* BuildDate();     // $SOURCE_DATE_EPOCH if set, else the commit's date (UTC)

}  // namespace cli
