// common::ReadRegularFile: bounded, and never blocked by a FIFO.
#include "common/regular_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "support/status_text.h"
#include "support/temp_dir.h"

namespace {

using testing_support::TempDir;

using testing_support::Message;

TEST(ReadRegularFile, IsBoundedAndNamesWhatItRefuses) {
  TempDir dir;
  std::ofstream(dir.File("small")) << "12345";
  auto fits = common::ReadRegularFile(dir.File("small"), 5, "small");
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(*fits, "12345");
  auto over = common::ReadRegularFile(dir.File("small"), 4, "small");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(Message(over.status()).find("small is 5 bytes, more than the 4 it may have"),
            std::string::npos)
      << over.status();
  EXPECT_TRUE(absl::IsNotFound(common::ReadRegularFile(dir.File("none"), 4, "none").status()));
}

TEST(ReadRegularFile, FifoAndDirectoryAreRefusedAtOnce) {
  TempDir dir;
  ASSERT_EQ(mkfifo(dir.File("fifo").c_str(), 0600), 0);
  auto fifo = common::ReadRegularFile(dir.File("fifo"), 100, "auth file x");
  ASSERT_FALSE(fifo.ok());
  EXPECT_EQ(Message(fifo.status()), "auth file x is a FIFO, not a regular file");
  auto directory = common::ReadRegularFile(dir.path(), 100, "rules");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(Message(directory.status()), "rules is a directory, not a regular file");
}

}  // namespace
