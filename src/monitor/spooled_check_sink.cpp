#include "monitor/spooled_check_sink.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace monitor {
namespace {

std::FILE* OpenSpool() {
  std::FILE* file = std::tmpfile();
  if (file == nullptr) throw std::runtime_error("cannot create a temporary file for /check");
  return file;
}

// Buffered reads through pread: its own offset, so concurrent readers do not disturb
// each other (or the FILE's position).
class SpoolReader {
 public:
  explicit SpoolReader(int fd) : fd_(fd), buffer_(64 * 1024) {}

  // Reads exactly `n` bytes; false at the end of the file.
  bool Read(char* out, size_t n) {
    while (n > 0) {
      if (begin_ == end_) {
        const ssize_t got = pread(fd_, buffer_.data(), buffer_.size(), offset_);
        if (got <= 0) return false;
        offset_ += got;
        begin_ = 0;
        end_ = static_cast<size_t>(got);
      }
      const size_t take = std::min(n, end_ - begin_);
      std::memcpy(out, buffer_.data() + begin_, take);
      begin_ += take;
      out += take;
      n -= take;
    }
    return true;
  }

 private:
  int fd_;
  std::vector<char> buffer_;
  off_t offset_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

SpooledCheckSink::SpooledCheckSink()
    : missed_(OpenSpool()), surplus_(OpenSpool()), stale_(OpenSpool()) {}

SpooledCheckSink::~SpooledCheckSink() {
  std::fclose(missed_);
  std::fclose(surplus_);
  std::fclose(stale_);
}

void SpooledCheckSink::Reset() {
  for (std::FILE* file : {missed_, surplus_, stale_}) {
    std::fflush(file);
    if (ftruncate(fileno(file), 0) != 0) throw std::runtime_error("cannot reset /check spool");
    std::rewind(file);
  }
}

void SpooledCheckSink::Append(std::FILE* file, const std::string& key) {
  // Length-prefixed: etcd keys may contain any byte, newlines included.
  const uint32_t size = static_cast<uint32_t>(key.size());
  std::fwrite(&size, sizeof(size), 1, file);
  std::fwrite(key.data(), 1, key.size(), file);
}

bool SpooledCheckSink::ForEachKey(std::FILE* file,
                                  const std::function<bool(const std::string&)>& line) {
  std::fflush(file);  // locks the stream; nothing to flush once the check is over
  SpoolReader reader(fileno(file));
  std::string key;
  uint32_t size = 0;
  while (reader.Read(reinterpret_cast<char*>(&size), sizeof(size))) {
    key.resize(size);
    if (!reader.Read(key.data(), size)) break;
    if (!line(key)) return false;
  }
  return true;
}

bool SpooledCheckSink::RenderText(const Write& write) const {
  const std::pair<const char*, std::FILE*> sections[] = {{"LOCAL ETCD missed keys:\n", missed_},
                                                         {"LOCAL ETCD surplus keys:\n", surplus_},
                                                         {"LOCAL ETCD stale keys:\n", stale_}};
  for (const auto& [title, file] : sections) {
    if (!write(title)) return false;
    if (!ForEachKey(file, [&](const std::string& key) { return write(key + "\n"); })) {
      return false;
    }
  }
  if (contested_count_ == 0) return true;
  if (!write("LOCAL ETCD contested keys:\n")) return false;
  for (const std::string& key : contested_) {
    if (!write(key + "\n")) return false;
  }
  if (contested_.size() < contested_count_) {
    return write("... (" + std::to_string(contested_count_ - contested_.size()) + " more)\n");
  }
  return true;
}

bool SpooledCheckSink::RenderJson(const etcdsync::CheckReport& report, const Write& write) const {
  nlohmann::json head = {
      {"sourceRevision", report.source_revision},
      {"destinationRevision", report.destination_revision},
      {"sourceKeys", report.source_keys},
      {"destinationKeys", report.destination_keys},
      {"seconds", report.seconds},
      {"consistent", report.missed == 0 && report.surplus == 0 && report.stale == 0},
  };
  std::string opening = head.dump();
  opening.pop_back();  // reopen the object to append the sections as they stream
  if (!write(opening)) return false;
  const std::tuple<const char*, std::FILE*, int64_t> sections[] = {
      {"missed", missed_, report.missed},
      {"surplus", surplus_, report.surplus},
      {"stale", stale_, report.stale}};
  for (const auto& [name, file, count] : sections) {
    if (!write(",\"" + std::string(name) + "\":{\"count\":" + std::to_string(count) +
               ",\"keys\":[")) {
      return false;
    }
    bool first = true;
    if (!ForEachKey(file, [&](const std::string& key) {
          std::string item =
              (first ? "" : ",") +
              nlohmann::json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          first = false;
          return write(item);
        })) {
      return false;
    }
    if (!write("]}")) return false;
  }
  nlohmann::json contested = {{"count", contested_count_}, {"keys", contested_}};
  if (!write(",\"contested\":" +
             contested.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))) {
    return false;
  }
  return write("}\n");
}

}  // namespace monitor
