// `import --change` / `commit --change` lines: each line of the input is applied in turn to a
// config that starts as an empty object. Nothing may crash or throw, and the config must stay a
// JSON object that serialises (it is written into the image config).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "image/config_changes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4096) return -1;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    berth::Json config = berth::Json::object();
    while (!text.empty()) {
        size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
        auto applied = berth::image::apply_config_change(config, line);
        FUZZ_CHECK(applied || !applied.error().message().empty(), "empty error for '%.*s'",
                   static_cast<int>(line.size()), line.data());
        FUZZ_CHECK(config.is_object(), "config is no longer an object after '%.*s'",
                   static_cast<int>(line.size()), line.data());
    }
    // Import and commit write this config into the image config with Json::dump().
    bool dumps = true;
    std::string why;
    try {
        (void)config.dump();
    } catch (const std::exception& e) {
        dumps = false;
        why = e.what();
    }
    FUZZ_CHECK(dumps, "the changes were accepted but the config cannot be serialised: %s",
               why.c_str());
    return 0;
}
