#include "sync/copy_progress.h"

#include <gtest/gtest.h>

namespace etcdsync {
namespace {

TEST(CopyProgressTest, FormatsRateAndEta) {
  const std::string line = CopyProgress::Format(100000, 25000, 24000, 25 * 1048576, 1.0);
  EXPECT_EQ(line, "25000/100000 keys scanned, 24000 written (25.0 MiB), 25000 keys/s, ETA 3s");
}

TEST(CopyProgressTest, NoEtaWhenDone) {
  EXPECT_EQ(CopyProgress::Format(10, 10, 0, 0, 2.0),
            "10/10 keys scanned, 0 written (0.0 MiB), "
            "5 keys/s");
}

}  // namespace
}  // namespace etcdsync
