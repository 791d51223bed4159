#include "oci_runtime/runtime_registry.h"

#include "base/fs.h"

namespace berth::oci_runtime {
namespace {

constexpr std::string_view kRunc = "runc";
// What /info names as the built-in runtime's path: the library's command-line face.
constexpr const char* kBuiltinPath = "berth-runtime";

}  // namespace

RuntimeRegistry::RuntimeRegistry(std::string exec_root,
                                 std::map<std::string, RuntimeBinary> registered,
                                 std::string default_name)
    : exec_root_(std::move(exec_root)),
      registered_(std::move(registered)),
      default_(default_name.empty() ? std::string(kBuiltinRuntimeName) : std::move(default_name)) {
    registered_.erase(std::string(kBuiltinRuntimeName));  // reserved (daemon_config refuses it)
}

Result<std::string> RuntimeRegistry::name_for(std::string_view requested) const {
    if (requested.empty()) return default_;
    std::string name(requested);
    if (name == kBuiltinRuntimeName || name == kRunc || registered_.contains(name)) return name;
    return fail(ErrorKind::InvalidArgument, "unknown or invalid runtime name: " + name);
}

Result<OciRuntimeConfig> RuntimeRegistry::resolve(std::string_view requested) const {
    std::string name = TRY(name_for(requested));
    if (auto it = registered_.find(name); it != registered_.end())
        return OciRuntimeConfig{join_path(exec_root_, "runtime-" + name), it->second.path,
                                it->second.args};
    // The built-in library keeps the state root it always had, whichever name chose it.
    return OciRuntimeConfig{join_path(exec_root_, "runtime"), "", {}};
}

std::map<std::string, RuntimeBinary> RuntimeRegistry::list() const {
    std::map<std::string, RuntimeBinary> all = registered_;
    all.emplace(std::string(kBuiltinRuntimeName), RuntimeBinary{kBuiltinPath, {}});
    all.emplace(std::string(kRunc), RuntimeBinary{kBuiltinPath, {}});
    return all;
}

}  // namespace berth::oci_runtime
