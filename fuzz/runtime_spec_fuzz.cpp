// config.json as berth-runtime reads it from a bundle (and `exec --process` files): parse_spec,
// validate and the parsers of its parts the runtime uses before it creates anything (resources,
// mount options, the process) must never crash on any JSON, and every refusal has a message.
// A document that parses once parses again the same way (create, start and exec each read it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "fuzz_util.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroups/resources.h"
#include "runtime/mount_options.h"

namespace {

template <typename T>
void check_refusal(const berth::Result<T>& result, const char* what, std::string_view text) {
    if (result) return;
    FUZZ_CHECK(!result.error().message().empty(), "%s: empty error for %.*s", what,
               static_cast<int>(text.size()), text.data());
}

void check_parts(const berth::oci::Spec& spec, std::string_view text) {
    auto resources = berth::runtime::cgroups::parse_resources(spec.linux.resources);
    check_refusal(resources, "parse_resources", text);
    for (const auto& mount : spec.mounts)
        (void)berth::runtime::parse_mount_options(mount.options);
    (void)berth::runtime::propagation_flags(spec.linux.rootfs_propagation);
    if (spec.process) check_refusal(berth::oci::validate_process(*spec.process), "process", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (!json_nesting_within(text, kFuzzJsonDepth)) return -1;
    auto doc = berth::parse_json(text, "config.json");
    if (!doc) return 0;
    auto spec = berth::oci::parse_spec(*doc);
    check_refusal(spec, "parse_spec", text);
    if (doc->is_object() && doc->contains("process")) {
        auto process = berth::oci::parse_process((*doc)["process"]);
        check_refusal(process, "parse_process", text);
    }
    if (!spec) return 0;
    auto valid = berth::oci::validate(*spec);
    check_refusal(valid, "validate", text);
    check_parts(*spec, text);
    // What parsed parses again the same way (the runtime reads config.json more than once:
    // create, then start and exec).
    auto again = berth::oci::parse_spec(*doc);
    FUZZ_CHECK(again.has_value(), "config.json parsed once, not twice: %s",
               again.error().message().c_str());
    FUZZ_CHECK(again->mounts.size() == spec->mounts.size() &&
                   again->linux.namespaces.size() == spec->linux.namespaces.size(),
               "config.json parses differently the second time");
    return 0;
}
