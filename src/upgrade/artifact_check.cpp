#include "upgrade/artifact_check.h"

#include "common/status_macros.h"

namespace upgrade {

absl::StatusOr<std::vector<std::string>> MissingImages(registry::RegistryClient& client,
                                                       const std::vector<std::string>& images) {
  std::unique_ptr<registry::HttpSession> session = client.NewSession();
  std::vector<std::string> missing;
  for (const std::string& image : images) {
    std::string repository = image, reference = "latest";
    if (const size_t at = image.find('@'); at != std::string::npos) {
      repository = image.substr(0, at);
      reference = image.substr(at + 1);
    } else if (const size_t colon = image.rfind(':');
               colon != std::string::npos && image.find('/', colon) == std::string::npos) {
      repository = image.substr(0, colon);
      reference = image.substr(colon + 1);
    }
    ASSIGN_OR_RETURN(std::optional<std::string> digest,
                     client.ManifestDigest(*session, repository, reference));
    if (!digest) missing.push_back(image);
  }
  return missing;
}

}  // namespace upgrade
