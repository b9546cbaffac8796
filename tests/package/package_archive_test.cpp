// Archive reading: members read back, hostile members (.., absolute paths, links) refused,
// truncated archives reported as corrupt, directories searched for *.tgz.
#include "package/package_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/status_text.h"
#include "support/temp_dir.h"

namespace package {
namespace {

struct Member {
  std::string name;
  std::string content;
  bool symlink = false;
  int64_t zeros = 0;  // instead of content: this many zero bytes, written in chunks
};

void WriteTgz(const std::string& path, const std::vector<Member>& members) {
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
  archive_write_set_filter_option(writer, "gzip", "compression-level", "1");
  archive_write_set_format_pax_restricted(writer);
  ASSERT_EQ(archive_write_open_filename(writer, path.c_str()), ARCHIVE_OK);
  for (const Member& member : members) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.name.c_str());
    if (member.symlink) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, member.content.c_str());
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, member.zeros > 0 ? member.zeros : member.content.size());
    }
    archive_entry_set_perm(entry, 0644);
    archive_write_header(writer, entry);
    if (member.zeros > 0) {
      const std::string chunk(1 << 20, '\0');
      for (int64_t left = member.zeros; left > 0; left -= chunk.size()) {
        archive_write_data(writer, chunk.data(), std::min<int64_t>(left, chunk.size()));
      }
    } else if (!member.symlink) {
      archive_write_data(writer, member.content.data(), member.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PackageArchiveTest, ReadsAMemberAndExtractsTheTree) {
  testing_support::TempDir dir;
  const std::string tgz = dir.File("p.tgz");
  WriteTgz(tgz, {{"./package.yaml", "name: x\n"}, {"images/index.json", "{}"}});
  auto member = ReadArchiveMember(tgz, "package.yaml", 1024);
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(*member, "name: x\n");
  EXPECT_TRUE(absl::IsNotFound(ReadArchiveMember(tgz, "other.yaml", 1024).status()));
  ASSERT_TRUE(ExtractArchive(tgz, dir.File("out")).ok());
  EXPECT_EQ(Read(dir.File("out/images/index.json")), "{}");
}

TEST(PackageArchiveTest, RefusesMembersOutsideThePackageAndLinks) {
  testing_support::TempDir dir;
  for (const Member& hostile :
       {Member{"../escape.txt", "x"}, Member{"/etc/escape.txt", "x"},
        Member{"images/../../escape.txt", "x"}, Member{"images/link", "/etc/passwd", true}}) {
    const std::string tgz = dir.File("bad.tgz");
    WriteTgz(tgz, {{"package.yaml", "a"}, hostile});
    absl::Status status = ExtractArchive(tgz, dir.File("out"));
    EXPECT_FALSE(status.ok()) << hostile.name;
    EXPECT_NE(status.message().find(hostile.name), std::string::npos) << status;
    EXPECT_FALSE(std::filesystem::exists(dir.File("escape.txt")));
  }
}

TEST(PackageArchiveTest, TruncatedArchiveIsCorrupt) {
  testing_support::TempDir dir;
  const std::string tgz = dir.File("p.tgz");
  WriteTgz(tgz, {{"package.yaml", "a"}, {"images/blob", std::string(200000, 'z') + "end"}});
  std::filesystem::resize_file(tgz, std::filesystem::file_size(tgz) / 2);
  absl::Status status = ExtractArchive(tgz, dir.File("out"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("corrupt or truncated"), std::string::npos) << status;
}

TEST(PackageArchiveTest, FindsPackagesInADirectorySorted) {
  testing_support::TempDir dir;
  for (const char* name : {"b.tgz", "a.tgz", "a.tgz.sha256", "notes.txt"}) {
    std::ofstream(dir.File(name)) << "x";
  }
  auto found = FindPackages(dir.path());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, (std::vector<std::string>{dir.File("a.tgz"), dir.File("b.tgz")}));
  auto single = FindPackages(dir.File("b.tgz"));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1u);
  EXPECT_FALSE(FindPackages(dir.File("missing")).ok());
  std::filesystem::create_directory(dir.File("empty"));
  EXPECT_NE(FindPackages(dir.File("empty")).status().message().find("no *.tgz"), std::string::npos);
}

// Hostile archives (issue 11): small packages that expand hugely, duplicate members.
using testing_support::Message;

TEST(PackageArchiveLimitsTest, MemberLargerThanTheCapIsRefusedBeforeItIsWritten) {
  testing_support::TempDir dir;
  const std::string tgz = dir.File("p.tgz");
  WriteTgz(tgz, {{"package.yaml", "a"}, {"images/blob", "", false, 3 << 20}});
  ExtractLimits limits;
  limits.max_member_bytes = 1 << 20;
  absl::Status status = ExtractArchive(tgz, dir.File("out"), limits);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(Message(status), "package " + tgz +
                                 ": member \"images/blob\" is 3145728 bytes, more than the limit "
                                 "of 1048576 per member (--max-member-bytes); refusing it");
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));  // nothing half-extracted is left
}

TEST(PackageArchiveLimitsTest, TotalAndMemberCountCaps) {
  testing_support::TempDir dir;
  const std::string tgz = dir.File("p.tgz");
  std::vector<Member> members{{"package.yaml", "a"}};
  for (int i = 0; i < 12; ++i)
    members.push_back({"images/" + std::to_string(i), "", false, 100000});
  WriteTgz(tgz, members);
  ExtractLimits total;
  total.max_total_bytes = 500000;
  absl::Status status = ExtractArchive(tgz, dir.File("out"), total);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(Message(status).find("extracts to more than the limit of 500000 bytes "
                                 "(--max-extract-bytes)"),
            std::string::npos)
      << status;
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
  ExtractLimits count;
  count.max_members = 10;
  status = ExtractArchive(tgz, dir.File("out"), count);
  EXPECT_NE(Message(status).find("more than 10 members (--max-members)"), std::string::npos)
      << status;
  // show's reader checks the same headers.
  EXPECT_NE(
      Message(ReadArchiveMember(tgz, "package.yaml", 1024, count).status()).find("(--max-members)"),
      std::string::npos);
  EXPECT_TRUE(ExtractArchive(tgz, dir.File("out")).ok());  // the defaults take it
}

TEST(PackageArchiveLimitsTest, DecompressionBombIsRefusedWithTheDefaultLimits) {
  // 100 MiB of zeros in a ~100 KB archive: refused by the ratio from its header, unwritten.
  testing_support::TempDir dir;
  const std::string tgz = dir.File("bomb.tgz");
  WriteTgz(tgz, {{"package.yaml", "a"}, {"images/zeros", "", false, 100 << 20}});
  ASSERT_LT(std::filesystem::file_size(tgz), 1u << 20);
  absl::Status status = ExtractArchive(tgz, dir.File("out"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(Message(status).find("extracts to more than 100 times its size"), std::string::npos)
      << status;
  EXPECT_NE(Message(status).find("--max-extract-ratio"), std::string::npos) << status;
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
  EXPECT_FALSE(ReadArchiveMember(tgz, "package.yaml", 1024).ok());
  ExtractLimits no_ratio;
  no_ratio.max_ratio = 0;
  no_ratio.max_member_bytes = 1 << 20;
  EXPECT_NE(Message(ExtractArchive(tgz, dir.File("out"), no_ratio)).find("--max-member-bytes"),
            std::string::npos);
}

TEST(PackageArchiveLimitsTest, OversizedMemberIsNotReadIntoMemory) {
  testing_support::TempDir dir;
  const std::string tgz = dir.File("p.tgz");
  WriteTgz(tgz, {{"package.yaml", "", false, 3 << 20}});
  auto member = ReadArchiveMember(tgz, "package.yaml", 1 << 20);
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(Message(member.status()), "package " + tgz +
                                          ": package.yaml is 3145728 bytes, more than the 1048576 "
                                          "allowed; refusing it");
}

TEST(PackageArchiveTest, DuplicateMembersAreRefused) {
  testing_support::TempDir dir;
  const std::string tgz = dir.File("p.tgz");
  // show would read the first package.yaml, extraction would keep the last.
  WriteTgz(tgz, {{"package.yaml", "name: first\n"},
                 {"images/index.json", "{}"},
                 {"./package.yaml", "name: second\n"}});
  const std::string expected = "package " + tgz +
                               ": member \"package.yaml\" appears twice in the archive; a "
                               "package holds each path once; refusing it";
  auto member = ReadArchiveMember(tgz, "package.yaml", 1024);
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(Message(member.status()), expected);
  absl::Status status = ExtractArchive(tgz, dir.File("out"));
  EXPECT_EQ(Message(status), expected);
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
  WriteTgz(tgz, {{"images/a", "1"}, {"images//a", "2"}, {"package.yaml", "x"}});
  EXPECT_NE(Message(ExtractArchive(tgz, dir.File("out"))).find("\"images/a\" appears twice"),
            std::string::npos);
}

}  // namespace
}  // namespace package
