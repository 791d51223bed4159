// Manifests, indexes and image configs, as registries and image archives hand them over: parsing
// must never crash or throw, and what parses must serialise to JSON that parses to the same thing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "image/image_config.h"
#include "image/manifest.h"
#include "image/media_types.h"

namespace img = berth::image;

namespace {

void check_manifest(const img::Manifest& manifest) {
    berth::Json json = img::manifest_to_json(manifest);
    std::string text = json.dump();
    auto again = img::parse_manifest(text);
    FUZZ_CHECK(again.has_value(), "manifest_to_json gave %s, which does not parse: %s",
               text.c_str(), again.error().message().c_str());
    FUZZ_CHECK(img::manifest_to_json(*again) == json, "manifest round trip changed %s",
               text.c_str());
    auto sniffed = img::sniff_media_type(text);
    FUZZ_CHECK(sniffed.has_value(), "sniff_media_type(%s): %s", text.c_str(),
               sniffed.error().message().c_str());
    std::string expected = manifest.media_type.empty() ? std::string(img::media_type::oci_manifest)
                                                       : manifest.media_type;
    FUZZ_CHECK(*sniffed == expected, "sniffed %s as %s", text.c_str(), sniffed->c_str());
}

void check_index(const img::Index& index) {
    berth::Json json = img::index_to_json(index);
    std::string text = json.dump();
    auto again = img::parse_index(text);
    FUZZ_CHECK(again.has_value(), "index_to_json gave %s, which does not parse: %s", text.c_str(),
               again.error().message().c_str());
    FUZZ_CHECK(img::index_to_json(*again) == json, "index round trip changed %s", text.c_str());
    (void)img::select_platform(index, img::host_platform());
    (void)img::select_platform(index, {.os = "linux", .architecture = "arm64", .variant = "v8"});
}

void check_config(const img::ImageConfig& config) {
    std::string text = config.raw.dump();
    auto again = img::parse_image_config(text);
    FUZZ_CHECK(again.has_value(), "image config %s does not parse again: %s", text.c_str(),
               again.error().message().c_str());
    FUZZ_CHECK(again->diff_ids == config.diff_ids && again->platform == config.platform &&
                   again->history.size() == config.history.size(),
               "image config round trip changed %s", text.c_str());
    auto chain = img::chain_ids(config.diff_ids);
    FUZZ_CHECK(chain.size() == config.diff_ids.size(), "chain_ids size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto manifest = img::parse_manifest(text)) check_manifest(*manifest);
    if (auto index = img::parse_index(text)) check_index(*index);
    (void)img::sniff_media_type(text);
    if (auto config = img::parse_image_config(text)) check_config(*config);
    if (size <= 64) {
        if (auto platform = img::parse_platform(text)) {
            auto again = img::parse_platform(platform->str());
            FUZZ_CHECK(again.has_value() && *again == *platform, "platform '%s' round trip",
                       platform->str().c_str());
        }
    }
    return 0;
}
