// The upload journal: what one run saves the next one loads, per registry and blob, and
// nothing is left once a blob is done.
#include "registry/upload_journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(UploadJournalTest, SavedEntryLoadsBackUntilRemoved) {
  testing_support::TempDir dir;
  const registry::UploadJournal journal(dir.path(), "reg.example.com:5000");
  EXPECT_FALSE(journal.Load(kDigest).has_value());
  ASSERT_TRUE(journal.Save(kDigest, {"acp/x", "https://r/first", "https://r/latest", 42}).ok());
  const auto entry = journal.Load(kDigest);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->repository, "acp/x");
  EXPECT_EQ(entry->first, "https://r/first");
  EXPECT_EQ(entry->location, "https://r/latest");
  EXPECT_EQ(entry->offset, 42);
  struct stat info {};
  ASSERT_EQ(stat(journal.PathFor(kDigest).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // Only the entry itself, no temporary file next to it.
  int files = 0;
  for (const auto& file : std::filesystem::directory_iterator(
           std::filesystem::path(journal.PathFor(kDigest)).parent_path())) {
    files += file.is_regular_file();
  }
  EXPECT_EQ(files, 1);
  journal.Remove(kDigest);
  EXPECT_FALSE(journal.Load(kDigest).has_value());
}

TEST(UploadJournalTest, EntriesAreKeptApartPerRegistry) {
  testing_support::TempDir dir;
  const registry::UploadJournal primary(dir.path(), "primary:5000");
  const registry::UploadJournal standby(dir.path(), "standby:5000");
  ASSERT_TRUE(primary.Save(kDigest, {"acp/x", "u", "u", 1}).ok());
  EXPECT_FALSE(standby.Load(kDigest).has_value());
}

TEST(UploadJournalTest, DamagedOrDisabledJournalRemembersNothing) {
  testing_support::TempDir dir;
  const registry::UploadJournal journal(dir.path(), "r:1");
  ASSERT_TRUE(journal.Save(kDigest, {"acp/x", "u", "u", 1}).ok());
  std::ofstream(journal.PathFor(kDigest), std::ios::trunc) << "{\"offset\":";
  EXPECT_FALSE(journal.Load(kDigest).has_value());

  // A FIFO at the entry's name (it used to block the run forever) or a deep entry: nothing.
  std::filesystem::remove(journal.PathFor(kDigest));
  ASSERT_EQ(mkfifo(journal.PathFor(kDigest).c_str(), 0600), 0);
  EXPECT_FALSE(journal.Load(kDigest).has_value());
  std::filesystem::remove(journal.PathFor(kDigest));
  std::ofstream(journal.PathFor(kDigest)) << std::string(100000, '[') << std::string(100000, ']');
  EXPECT_FALSE(journal.Load(kDigest).has_value());

  const registry::UploadJournal off("", "r:1");
  EXPECT_FALSE(off.enabled());
  EXPECT_TRUE(off.Save(kDigest, {"acp/x", "u", "u", 1}).ok());
  EXPECT_FALSE(off.Load(kDigest).has_value());
}

}  // namespace
