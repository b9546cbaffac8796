// Archive reading: members read back, hostile members (.., absolute paths, links) refused,
// truncated archives reported as corrupt, directories searched for *.tgz.
#include "package/package_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace package {
namespace {

struct Member {
  std::string name;
  std::string content;
  bool symlink = false;
};

void WriteTgz(const std::string& path, const std::vector<Member>& members) {
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
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
      archive_entry_set_size(entry, member.content.size());
    }
    archive_entry_set_perm(entry, 0644);
    archive_write_header(writer, entry);
    if (!member.symlink) archive_write_data(writer, member.content.data(), member.content.size());
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
  auto member = ReadArchiveMember(tgz, "package.yaml");
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(*member, "name: x\n");
  EXPECT_TRUE(absl::IsNotFound(ReadArchiveMember(tgz, "other.yaml").status()));
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

}  // namespace
}  // namespace package
