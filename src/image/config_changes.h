// The Dockerfile instructions that `import --change` and `commit --change` accept (CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR), applied to the
// "config" object of an image configuration.
#pragma once

#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace berth::image {

// Applies one instruction ("ENV A=1 B=2", "CMD [\"sh\"]", "EXPOSE 80/tcp") to `container_config`.
Result<void> apply_config_change(Json& container_config, std::string_view instruction);

}  // namespace berth::image
