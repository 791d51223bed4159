// The body of POST /containers/create, through what berthd does with it at create and at start
// (Engine::create, Engine::start_locked, Engine::write_bundle): validate_container_config,
// merge_image_config with an image's config, complete_host_config, discard_unsupported_resources,
// ensure_working_dir (in a root file system of its own), merge_default_ulimits,
// write_network_files and build_runtime_spec. Invariants: nothing crashes or throws, every refusal
// says why, and a body that passes validation gives a spec the runtime takes (oci::parse_spec and
// oci::validate), or a refusal; its default seccomp profile compiles; what it gives serialises.
//
// Input: the body, optionally followed by a NUL byte and the image's config ("config" object).
// Bind sources are moved under a private /tmp first: the spec builder creates missing ones.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "engine/working_dir.h"
#include "fuzz_util.h"
#include "oci/runtime_spec.h"
#include "private_tmp.h"
#include "runtime/seccomp.h"
#include "spec/container_spec.h"
#include "spec/image_defaults.h"
#include "spec/network_files.h"
#include "spec/spec_parts.h"

namespace {

namespace fs = std::filesystem;
namespace engine = berth::engine;
using berth::Json;

const std::string kSandbox = "/tmp/container-create-fuzz";
const std::string kRootfs = kSandbox + "/rootfs";
const std::string kContainerDir = kSandbox + "/container";
const std::string kBindRoot = kSandbox + "/binds";
const std::string kId = std::string(64, 'f');

const Json& default_image_config() {
    static const Json config = {{"Cmd", {"sh"}},
                                {"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"}},
                                {"WorkingDir", "/"}};
    return config;
}

void write(const std::string& path, std::string_view text) {
    FILE* f = std::fopen(path.c_str(), "w");
    FUZZ_CHECK(f != nullptr, "create %s", path.c_str());
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
}

// A root file system with the users and groups the spec builder looks up.
void make_rootfs() {
    fs::create_directories(kRootfs + "/etc");
    write(kRootfs + "/etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
          "app:x:1000:1000::/home/app:/bin/sh\n");
    write(kRootfs + "/etc/group", "root:x:0:\nnogroup:x:65534:\nusers:x:100:app\n");
}

// Host paths of binds, moved under kBindRoot: the spec builder creates missing sources.
void confine_bind_sources(Json& host_config) {
    if (auto it = host_config.find("Binds"); it != host_config.end() && it->is_array())
        for (auto& bind : *it)
            if (bind.is_string() && bind.get<std::string>().starts_with('/'))
                bind = kBindRoot + bind.get<std::string>();
    if (auto it = host_config.find("Mounts"); it != host_config.end() && it->is_array())
        for (auto& mount : *it)
            if (mount.is_object() && mount.contains("Source") && mount["Source"].is_string() &&
                mount["Source"].get<std::string>().starts_with('/'))
                mount["Source"] = kBindRoot + mount["Source"].get<std::string>();
}

bool has_own_seccomp_profile(const Json& host_config) {
    auto it = host_config.find("SecurityOpt");
    if (it == host_config.end() || !it->is_array()) return false;
    for (const auto& option : *it)
        if (option.is_string() && option.get<std::string>().starts_with("seccomp")) return true;
    return false;
}

bool serialises(const Json& doc, std::string& why) {
    try {
        (void)doc.dump();
        return true;
    } catch (const std::exception& e) {
        why = e.what();
        return false;
    }
}

template <typename T>
void check_refusal(const berth::Result<T>& result, const char* what) {
    if (!result) FUZZ_CHECK(!result.error().message().empty(), "%s: an empty error", what);
}

// The start: network files and the spec, which the runtime then reads.
void check_start(const Json& config, const Json& host_config, const std::string& body) {
    std::error_code ec;
    fs::remove_all(kContainerDir, ec);
    fs::remove_all(kBindRoot, ec);
    fs::remove_all(kRootfs, ec);
    fs::create_directories(kContainerDir);
    make_rootfs();
    auto workdir = engine::ensure_working_dir(kRootfs, config.value("WorkingDir", ""));
    check_refusal(workdir, "ensure_working_dir");
    if (!workdir) return;
    auto files = berth::spec::write_network_files(kContainerDir, config, host_config, kId);
    check_refusal(files, "write_network_files");
    if (!files) return;
    berth::spec::SpecContext context;
    context.container_id = kId;
    context.rootfs = kRootfs;
    context.container_dir = kContainerDir;
    context.init_binary = "/usr/bin/true";
    Json ulimits = Json::object({{"nofile", {{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 4096}}}});
    auto spec = berth::spec::build_runtime_spec(
        config, berth::spec::merge_default_ulimits(host_config, ulimits), context);
    check_refusal(spec, "build_runtime_spec");
    if (!spec) return;
    std::string why;
    FUZZ_CHECK(serialises(*spec, why), "the spec does not serialise (%s) for %s", why.c_str(),
               body.c_str());
    auto parsed = berth::oci::parse_spec(*spec);
    FUZZ_CHECK(parsed.has_value(), "the runtime refuses the spec (%s) for %s",
               parsed.error().message().c_str(), body.c_str());
    auto valid = berth::oci::validate(*parsed);
    FUZZ_CHECK(valid.has_value(), "the runtime refuses the spec (%s) for %s",
               valid.error().message().c_str(), body.c_str());
    // The default seccomp profile, resolved for whatever capabilities the body asks for, must
    // compile (a user's own profile may fail at start, as with docker).
    if (!parsed->linux.seccomp.is_null() && !has_own_seccomp_profile(host_config)) {
        std::vector<std::string> warnings;
        auto filter = berth::runtime::compile_seccomp(parsed->linux.seccomp, warnings);
        FUZZ_CHECK(filter.has_value(), "the default seccomp profile does not compile (%s) for %s",
                   filter.error().message().c_str(), body.c_str());
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    use_private_tmp("container_create_fuzz");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (!json_nesting_within(input, kFuzzJsonDepth)) return -1;
    size_t nul = input.find('\0');
    auto body = berth::parse_json(input.substr(0, nul), "body");
    if (!body || !body->is_object()) return 0;
    Json image_config = default_image_config();
    if (nul != std::string_view::npos) {
        auto given = berth::parse_json(input.substr(nul + 1), "image config");
        if (!given) return 0;
        image_config = std::move(*given);
    }
    std::string text = body->dump();

    // Engine::create
    Json request = *body;
    Json host_config = request.value("HostConfig", Json::object());
    if (host_config.is_null()) host_config = Json::object();
    request.erase("HostConfig");
    request.erase("NetworkingConfig");
    auto valid = berth::spec::validate_container_config(request, host_config);
    check_refusal(valid, "validate_container_config");
    if (!valid) return 0;
    auto merged = berth::spec::merge_image_config(request, image_config);
    check_refusal(merged, "merge_image_config");
    if (!merged) return 0;
    std::string why;
    FUZZ_CHECK(serialises(*merged, why), "the merged config does not serialise (%s): %s",
               why.c_str(), text.c_str());
    Json completed = berth::spec::complete_host_config(host_config);
    (void)berth::spec::discard_unsupported_resources(completed, "/sys/fs/cgroup");
    FUZZ_CHECK(serialises(completed, why), "the host config does not serialise (%s): %s",
               why.c_str(), text.c_str());

    // Engine::write_bundle
    confine_bind_sources(completed);
    check_start(*merged, completed, text);
    return 0;
}
