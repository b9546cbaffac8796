// Where each interrupted chunked upload stands, kept on disk so a restarted (or killed)
// image-sync continues the registry's upload session instead of sending the blob again.
// One small JSON file per registry and blob; the registry's own offset is authoritative.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace registry {

struct JournalEntry {
  std::string repository;  // the session belongs to this repository
  std::string first;       // the session's URL as the registry opened it (POST)
  std::string location;    // its URL as the registry last gave it
  int64_t offset = 0;      // bytes the registry confirmed (informational; it is asked again)
};

class UploadJournal {
 public:
  // `dir` empty: a journal that remembers nothing.
  UploadJournal(std::string dir, std::string host);

  std::optional<JournalEntry> Load(const std::string& digest) const;
  // Atomic (write to a temporary file, rename): a reader never sees half an entry.
  absl::Status Save(const std::string& digest, const JournalEntry& entry) const;
  void Remove(const std::string& digest) const;

  bool enabled() const { return !dir_.empty(); }
  std::string PathFor(const std::string& digest) const;

 private:
  std::string dir_;  // <state dir>/uploads/<host with ':' as '_'>
  std::string host_;
};

// $XDG_STATE_HOME/image-sync, else ~/.local/state/image-sync; empty when neither is known.
std::string DefaultStateDir();

}  // namespace registry
