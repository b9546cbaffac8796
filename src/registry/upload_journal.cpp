#include "registry/upload_journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/bounded_parse.h"
#include "common/regular_file.h"

namespace registry {
namespace {

// An entry is a few hundred bytes (URLs and a digest).
constexpr size_t kMaxJournalEntryBytes = 64 << 10;

std::string FileSafe(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  }
  return text;
}

}  // namespace

UploadJournal::UploadJournal(std::string dir, std::string host) : host_(std::move(host)) {
  if (!dir.empty()) dir_ = dir + "/uploads/" + FileSafe(host_);
}

std::string UploadJournal::PathFor(const std::string& digest) const {
  return dir_ + "/" + FileSafe(digest) + ".json";
}

std::optional<JournalEntry> UploadJournal::Load(const std::string& digest) const {
  if (!enabled()) return std::nullopt;
  // Unreadable, too large, too deep or damaged: the blob starts afresh.
  auto text = common::ReadRegularFile(PathFor(digest), kMaxJournalEntryBytes, "journal entry");
  if (!text.ok()) return std::nullopt;
  auto json = common::ParseJsonBounded(*text, kMaxJournalEntryBytes, common::kDefaultMaxJsonDepth,
                                       "journal entry");
  if (!json.ok() || !json->is_object()) return std::nullopt;
  try {
    const nlohmann::json& parsed = *json;
    if (parsed.value("registry", "") != host_ || parsed.value("digest", "") != digest) {
      return std::nullopt;
    }
    JournalEntry entry;
    entry.repository = parsed.at("repository").get<std::string>();
    entry.first = parsed.at("first").get<std::string>();
    entry.location = parsed.at("location").get<std::string>();
    entry.offset = parsed.at("offset").get<int64_t>();
    return entry;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // unreadable: start the blob afresh
  }
}

absl::Status UploadJournal::Save(const std::string& digest, const JournalEntry& entry) const {
  if (!enabled()) return absl::OkStatus();
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  const nlohmann::json json = {{"registry", host_},          {"repository", entry.repository},
                               {"digest", digest},           {"first", entry.first},
                               {"location", entry.location}, {"offset", entry.offset}};
  const std::string path = PathFor(digest);
  const std::string temporary = fmt::format("{}.{}.tmp", path, getpid());
  // 0600: the session URL is not a credential, but it is nobody else's business either.
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        fmt::format("upload journal {}: {}", temporary, std::strerror(errno)));
  }
  const std::string text = json.dump();
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  // No fsync: after a crash the registry is asked for the real offset anyway.
  if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(temporary.c_str());
    return absl::UnavailableError(fmt::format("upload journal {}: {}", path, std::strerror(saved)));
  }
  return absl::OkStatus();
}

void UploadJournal::Remove(const std::string& digest) const {
  if (enabled()) std::remove(PathFor(digest).c_str());
}

std::string DefaultStateDir() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && state[0] == '/') return std::string(state) + "/image-sync";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.local/state/image-sync";
  return "";
}

}  // namespace registry
