// A gzip or zstd tar of an OCI layout read in one pass (LayoutStream): the same images as the
// directory, every blob spooled once to a 0600 file of a private directory and verified, the
// spool removed; an archive out of our member order, a corrupt or truncated member, and what
// exceeds the limits refused in one line.
#include "bundle/layout_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "bundle/layout_archive.h"
#include "bundle/sample_bundle.h"
#include "support/status_text.h"
#include "support/temp_dir.h"

// A namespace of its own: archive_layout_test.cpp has helpers of the same names, and a unity
// build compiles both in one translation unit.
namespace layout_stream_test {
namespace {

namespace fs = std::filesystem;
using testing_support::TempDir;

using testing_support::Message;

struct Member {
  std::string name, bytes;
};

std::vector<Member> ReadMembers(const std::string& path) {
  std::vector<Member> members;
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                &archive_read_free);
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_all(reader.get());
  EXPECT_EQ(archive_read_open_filename(reader.get(), path.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    Member member{archive_entry_pathname(entry),
                  std::string(static_cast<size_t>(archive_entry_size(entry)), '\0')};
    if (!member.bytes.empty()) {
      archive_read_data(reader.get(), member.bytes.data(), member.bytes.size());
    }
    members.push_back(std::move(member));
  }
  return members;
}

void WriteTar(const std::string& path, const std::vector<Member>& members, int filter) {
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
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<int64_t>(member.bytes.size()));
    ASSERT_EQ(archive_write_header(writer.get(), entry.get()), ARCHIVE_OK);
    if (!member.bytes.empty())
      archive_write_data(writer.get(), member.bytes.data(), member.bytes.size());
  }
  ASSERT_EQ(archive_write_close(writer.get()), ARCHIVE_OK);
}

class LayoutStreamTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    bundle::SampleBundleOptions options;
    options.images = 4;
    options.shared_layer_bytes = 6000;
    options.layer_bytes = 5000;
    ASSERT_TRUE(bundle::WriteSampleBundle(layout_dir_, options).ok());
    auto layout = bundle::OciLayout::Open(layout_dir_);
    ASSERT_TRUE(layout.ok()) << layout.status();
    ASSERT_TRUE(bundle::WriteLayoutArchive(*layout, dir_.File("ordered.tar")).ok());
    members_ = ReadMembers(dir_.File("ordered.tar"));
    limits_.spool_parent = dir_.path();
    // The blobs of our sample (layers 5000-6000 bytes) are bigger than a held member may be.
    limits_.max_held_member_bytes = 4500;
  }
  int Filter() const { return GetParam(); }
  std::string Archive() const {
    return dir_.File(Filter() == ARCHIVE_FILTER_ZSTD ? "images.tar.zst" : "images.tar.gz");
  }
  Member& Largest() {
    size_t largest = 0;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].bytes.size() > members_[largest].bytes.size()) largest = i;
    }
    return members_.at(largest);
  }
  // Every blob of the stream, wanted; the error that stopped it, if any.
  absl::Status Drain(bundle::LayoutStream& stream, std::set<std::string>* seen = nullptr) {
    while (true) {
      auto blob = stream.Next([](const std::string&, int64_t) { return true; });
      if (!blob.ok()) return blob.status();
      if (*blob == nullptr) return absl::OkStatus();
      struct stat info {};
      EXPECT_EQ(stat((*blob)->path.c_str(), &info), 0);
      EXPECT_EQ(info.st_mode & 0777, 0600u);
      EXPECT_EQ(info.st_size, (*blob)->size);
      if (seen != nullptr) seen->insert((*blob)->digest);
    }
  }

  TempDir dir_;
  std::string layout_dir_ = dir_.File("layout");
  std::vector<Member> members_;
  bundle::LayoutStreamLimits limits_;
};

TEST_P(LayoutStreamTest, ReadsTheSameImagesAndEveryBlobOnceThenRemovesTheSpool) {
  WriteTar(Archive(), members_, Filter());
  auto from_dir = bundle::OciLayout::Open(layout_dir_);
  ASSERT_TRUE(from_dir.ok());
  std::string spool;
  {
    auto stream = bundle::LayoutStream::Open(Archive(), limits_);
    ASSERT_TRUE(stream.ok()) << stream.status();
    spool = (*stream)->spool_dir();
    struct stat info {};
    ASSERT_EQ(stat(spool.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    const auto& images = (*stream)->layout().images();
    ASSERT_EQ(images.size(), from_dir->images().size());
    for (size_t i = 0; i < images.size(); ++i) {
      EXPECT_EQ(images[i].name.ToString(), from_dir->images()[i].name.ToString());
      EXPECT_EQ(images[i].root.descriptor.digest, from_dir->images()[i].root.descriptor.digest);
    }
    std::set<std::string> seen;
    ASSERT_TRUE(Drain(**stream, &seen).ok());
    EXPECT_EQ(seen.size(), (*stream)->blob_sizes().size());
    // Each blob was dropped once read: the spool never held more than the largest blob.
    int64_t largest = 0;
    for (const auto& [digest, size] : (*stream)->blob_sizes()) largest = std::max(largest, size);
    EXPECT_EQ((*stream)->peak_spool_bytes(), largest);
    EXPECT_EQ((*stream)->spool_bytes(), 0);
  }
  EXPECT_FALSE(fs::exists(spool));
}

TEST_P(LayoutStreamTest, ABlobBeforeTheManifestsThatNameItIsRefusedBeforeAnyBlobIsRead) {
  // The largest layer moved before index.json: too big to hold, so the order is wrong.
  const Member moved = Largest();
  std::vector<Member> members{members_.front(), moved};
  for (size_t i = 1; i < members_.size(); ++i) {
    if (members_[i].name != moved.name) members.push_back(members_[i]);
  }
  WriteTar(Archive(), members, Filter());
  auto stream = bundle::LayoutStream::Open(Archive(), limits_);
  ASSERT_FALSE(stream.ok());
  const std::string message = Message(stream.status());
  EXPECT_NE(message.find("comes before index.json"), std::string::npos) << message;
  EXPECT_NE(message.find("-dc"), std::string::npos) << message;
  EXPECT_NE(message.find("> images.tar), which is read in place"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  // A small member out of order is held and the archive is read.
  limits_.max_held_member_bytes = 8000;
  auto held = bundle::LayoutStream::Open(Archive(), limits_);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(Drain(**held).ok());
}

TEST_P(LayoutStreamTest, ACorruptMemberRefusesTheImageWithTheDirectoryLine) {
  Largest().bytes[100] ^= 0x5a;  // same size, other content
  WriteTar(Archive(), members_, Filter());
  auto stream = bundle::LayoutStream::Open(Archive(), limits_);
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::Status read = Drain(**stream);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(Message(read).starts_with("bundle corrupt: image acp/")) << read;
  EXPECT_NE(Message(read).find("has content sha256:"), std::string::npos) << read;
  EXPECT_TRUE(fs::is_empty((*stream)->spool_dir()));  // the bad blob's file is gone

  Largest().bytes.pop_back();  // one byte short of what its manifest says
  WriteTar(Archive(), members_, Filter());
  auto shorter = bundle::LayoutStream::Open(Archive(), limits_);
  ASSERT_TRUE(shorter.ok()) << shorter.status();
  read = Drain(**shorter);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(Message(read).find("bytes, the manifest says"), std::string::npos) << read;
}

TEST_P(LayoutStreamTest, ATruncatedStreamIsRefusedInOneLine) {
  WriteTar(Archive(), members_, Filter());
  fs::resize_file(Archive(), fs::file_size(Archive()) * 3 / 4);
  absl::Status status;
  auto stream = bundle::LayoutStream::Open(Archive(), limits_);
  if (!stream.ok()) {
    status = stream.status();
  } else {
    status = Drain(**stream);
  }
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(Message(status).starts_with("bundle ")) << status;
  EXPECT_NE(Message(status).find("truncated"), std::string::npos) << status;
  EXPECT_EQ(Message(status).find('\n'), std::string::npos);
}

TEST_P(LayoutStreamTest, RefusesWhatExceedsTheLimits) {
  WriteTar(Archive(), members_, Filter());
  bundle::LayoutStreamLimits few = limits_;
  few.members.max_members = 3;
  auto many = bundle::LayoutStream::Open(Archive(), few);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(Message(many.status()).find("more than 3 members"), std::string::npos) << many.status();
  bundle::LayoutStreamLimits held = limits_;
  held.max_held_bytes = 2000;
  auto big = bundle::LayoutStream::Open(Archive(), held);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(Message(big.status()).find("add up to more than 2000 bytes"), std::string::npos)
      << big.status();
  bundle::LayoutStreamLimits manifest = limits_;
  manifest.max_held_member_bytes = 100;  // index.json is bigger
  auto index = bundle::LayoutStream::Open(Archive(), manifest);
  ASSERT_FALSE(index.ok());
  EXPECT_NE(Message(index.status()).find("a manifest or index may have"), std::string::npos)
      << index.status();
}

INSTANTIATE_TEST_SUITE_P(Compressions, LayoutStreamTest,
                         ::testing::Values(ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD),
                         [](const auto& info) {
                           return info.param == ARCHIVE_FILTER_ZSTD ? "zstd" : "gzip";
                         });

}  // namespace
}  // namespace layout_stream_test
