// The console's pages (web/): HTML, ES modules, CSS and the pinned uPlot, embedded into the
// binary at build time (cmake/EmbedAssets.cmake writes the table).
#pragma once

#include <string_view>

namespace console {

struct Asset {
  std::string_view path;  // "/index.html", "/assets/app.js"
  std::string_view content_type;
  std::string_view body;
};

// nullptr when no asset has this path.
const Asset* FindAsset(std::string_view path);

}  // namespace console
