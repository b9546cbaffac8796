// The bundle read from an uncompressed tar of its OCI layout (images.tar): the same images as
// the directory, blobs read in place at their offsets and verified, and the refusals of a
// hostile or corrupt archive (members, names, links, duplicates, compression, truncation).
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "bundle/blob_reader.h"
#include "bundle/oci_layout.h"
#include "bundle/sample_bundle.h"
#include "bundle/tar_index.h"
#include "support/status_text.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using testing_support::TempDir;

using testing_support::Message;

struct Member {
  Member(std::string name_, std::string bytes_, mode_t type_ = AE_IFREG, std::string link_ = "")
      : name(std::move(name_)), bytes(std::move(bytes_)), type(type_), link(std::move(link_)) {}
  std::string name;
  std::string bytes;
  mode_t type;
  std::string link;  // symlink target
};

// Writes `members` as a tar (pax, so long names get extended headers) with `filter`.
void WriteTar(const std::string& path, const std::vector<Member>& members,
              int filter = ARCHIVE_FILTER_NONE) {
  std::unique_ptr<archive, decltype(&archive_write_free)> writer(archive_write_new(),
                                                                 &archive_write_free);
  archive_write_set_format_pax_restricted(writer.get());
  if (filter == ARCHIVE_FILTER_GZIP) archive_write_add_filter_gzip(writer.get());
  if (filter == ARCHIVE_FILTER_ZSTD) archive_write_add_filter_zstd(writer.get());
  ASSERT_EQ(archive_write_open_filename(writer.get(), path.c_str()), ARCHIVE_OK);
  for (const Member& member : members) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
    archive_entry_set_pathname(entry.get(), member.name.c_str());
    archive_entry_set_filetype(entry.get(), member.type);
    archive_entry_set_perm(entry.get(), 0644);
    if (!member.link.empty()) archive_entry_set_symlink(entry.get(), member.link.c_str());
    archive_entry_set_size(entry.get(),
                           member.type == AE_IFREG ? static_cast<int64_t>(member.bytes.size()) : 0);
    ASSERT_EQ(archive_write_header(writer.get(), entry.get()), ARCHIVE_OK);
    if (member.type == AE_IFREG && !member.bytes.empty()) {
      archive_write_data(writer.get(), member.bytes.data(), member.bytes.size());
    }
  }
  ASSERT_EQ(archive_write_close(writer.get()), ARCHIVE_OK);
}

// Every file of a layout directory as members: oci-layout, index.json, then blobs/.
std::vector<Member> DirectoryMembers(const std::string& dir) {
  std::vector<Member> members{{"./", "", AE_IFDIR}};
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(a.starts_with("blobs"), a) < std::make_pair(b.starts_with("blobs"), b);
  });
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (fs::is_directory(path)) {
      members.push_back({"./" + name + "/", "", AE_IFDIR});
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    members.push_back({"./" + name, std::string(std::istreambuf_iterator<char>(in), {})});
  }
  return members;
}

class ArchiveLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle::SampleBundleOptions options;
    options.images = 4;
    options.shared_layer_bytes = 4096;
    options.layer_bytes = 3000;  // not a multiple of 512: members padded in the tar
    ASSERT_TRUE(bundle::WriteSampleBundle(layout_dir_, options).ok());
    members_ = DirectoryMembers(layout_dir_);
  }
  Member& Largest() {
    Member* largest = &members_.front();
    for (Member& member : members_) {
      if (member.bytes.size() > largest->bytes.size()) largest = &member;
    }
    return *largest;
  }
  // Reads every blob of every image through BlobReader at its location.
  absl::Status ReadAllBlobs(const bundle::OciLayout& layout) {
    std::function<absl::Status(const bundle::ManifestNode&)> walk =
        [&](const bundle::ManifestNode& node) -> absl::Status {
      for (const auto& child : node.children) {
        absl::Status status = walk(*child);
        if (!status.ok()) return status;
      }
      for (const bundle::Descriptor& blob : node.blobs) {
        bundle::BlobReader reader(layout.Locate(blob.digest), blob.digest, blob.size,
                                  "blob " + blob.digest);
        char buffer[1000];
        while (true) {
          auto got = reader.Read(buffer, sizeof buffer);
          if (!got.ok()) return got.status();
          if (*got == 0) break;
        }
      }
      return absl::OkStatus();
    };
    for (const bundle::Image& image : layout.images()) {
      absl::Status status = walk(image.root);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  TempDir dir_;
  std::string layout_dir_ = dir_.File("layout");
  std::string tar_ = dir_.File("images.tar");
  std::vector<Member> members_;
};

TEST_F(ArchiveLayoutTest, ReadsTheSameImagesAsTheDirectoryAndItsBlobsInPlace) {
  // A long name needs a pax header before the member's own: offsets must count it.
  members_.insert(members_.begin() + 1, Member("./" + std::string(300, 'x'), "padding member"));
  WriteTar(tar_, members_);
  auto from_dir = bundle::OciLayout::Open(layout_dir_);
  ASSERT_TRUE(from_dir.ok()) << from_dir.status();
  auto from_tar = bundle::OciLayout::Open(tar_);
  ASSERT_TRUE(from_tar.ok()) << from_tar.status();
  EXPECT_TRUE(from_tar->archived());
  ASSERT_EQ(from_tar->images().size(), from_dir->images().size());
  for (size_t i = 0; i < from_dir->images().size(); ++i) {
    EXPECT_EQ(from_tar->images()[i].name.ToString(), from_dir->images()[i].name.ToString());
    EXPECT_EQ(from_tar->images()[i].root.descriptor.digest,
              from_dir->images()[i].root.descriptor.digest);
  }
  EXPECT_TRUE(ReadAllBlobs(*from_tar).ok());

  auto index = bundle::IndexTar(tar_);
  ASSERT_TRUE(index.ok()) << index.status();
  const auto& member = index->members.at(std::string(300, 'x'));
  std::ifstream in(tar_, std::ios::binary);
  in.seekg(member.offset);
  std::string bytes(static_cast<size_t>(member.size), '\0');
  in.read(bytes.data(), member.size);
  EXPECT_EQ(bytes, "padding member");
}

TEST_F(ArchiveLayoutTest, ACorruptMemberRefusesTheImageWithTheSameLine) {
  // Flip one byte of the largest layer inside the archive: same size, other content.
  Largest().bytes[100] ^= 0x5a;
  WriteTar(tar_, members_);
  auto from_tar = bundle::OciLayout::Open(tar_);
  ASSERT_TRUE(from_tar.ok()) << from_tar.status();
  absl::Status read = ReadAllBlobs(*from_tar);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(Message(read).starts_with("bundle corrupt: blob sha256:")) << read;
  EXPECT_NE(Message(read).find("has content sha256:"), std::string::npos) << read;
}

TEST_F(ArchiveLayoutTest, RefusesHostileArchivesInOneLine) {
  const auto refused = [&](const std::vector<Member>& members, const std::string& expected,
                           const bundle::TarIndexLimits& limits = {}) {
    WriteTar(tar_, members);
    auto index = bundle::IndexTar(tar_, limits);
    ASSERT_FALSE(index.ok()) << expected;
    EXPECT_NE(Message(index.status()).find(expected), std::string::npos) << index.status();
    EXPECT_EQ(Message(index.status()).find('\n'), std::string::npos);
  };
  bundle::TarIndexLimits few;
  few.max_members = 3;
  refused(members_, "more than 3 members", few);
  refused({{"index.json", "{}"}, {std::string(2000, 'n'), "x"}}, "longer than 1024 bytes");
  refused({{"index.json", "{}"}, {"blobs/link", "", AE_IFLNK, "/etc/passwd"}},
          "is not a regular file");
  refused({{"index.json", "{}"}, {"./index.json", "{}"}}, "appears twice");
  refused({{"../index.json", "{}"}}, "\"..\"");
  refused({{"/index.json", "{}"}}, "is absolute");
  bundle::TarIndexLimits small;
  small.max_member_bytes = 10;
  refused({{"index.json", std::string(11, ' ')}}, "is 11 bytes (at most 10)", small);

  // Truncated: the last member's bytes are cut off.
  WriteTar(tar_, members_);
  fs::resize_file(tar_, fs::file_size(tar_) / 2);
  auto cut = bundle::OciLayout::Open(tar_);
  ASSERT_FALSE(cut.ok());
  EXPECT_TRUE(Message(cut.status()).starts_with("bundle archive ")) << cut.status();
}

TEST_F(ArchiveLayoutTest, ACompressedTarIsRecognisedAndRefusedWithWhatToDo) {
  WriteTar(tar_ + ".gz", members_, ARCHIVE_FILTER_GZIP);
  auto gzip = bundle::OciLayout::Open(tar_ + ".gz");
  ASSERT_FALSE(gzip.ok());
  EXPECT_NE(Message(gzip.status()).find("compressed tar"), std::string::npos) << gzip.status();
  EXPECT_NE(Message(gzip.status()).find("gzip -d -k"), std::string::npos) << gzip.status();
  auto index = bundle::IndexTar(tar_ + ".gz");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->compression, bundle::ArchiveCompression::kGzip);
}

TEST_F(ArchiveLayoutTest, AMissingBlobMemberIsNamed) {
  const std::string gone = Largest().name;
  std::vector<Member> members;
  for (const Member& member : members_) {
    if (member.name != gone) members.push_back(member);
  }
  WriteTar(tar_, members);
  auto layout = bundle::OciLayout::Open(tar_);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(Message(layout.status()).find("is missing"), std::string::npos) << layout.status();
}

}  // namespace
