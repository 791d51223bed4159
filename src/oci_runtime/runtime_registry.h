// The OCI runtimes containers can run under, by name (HostConfig.Runtime, docker's --runtime):
// "berth", the built-in runtime library; "runc", the built-in one too unless daemon.json
// registers a runtime of that name; and every runtime daemon.json registers (`runtimes`,
// --add-runtime), each a runc-compatible binary with its own state root
// <exec-root>/runtime-<name>. Immutable once made, so safe to share between threads.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci_runtime/oci_runtime.h"

namespace berth::oci_runtime {

inline constexpr std::string_view kBuiltinRuntimeName = "berth";

// A runtime daemon.json registers.
struct RuntimeBinary {
    std::string path;
    std::vector<std::string> args;  // runtimeArgs
};

class RuntimeRegistry {
  public:
    RuntimeRegistry(std::string exec_root, std::map<std::string, RuntimeBinary> registered,
                    std::string default_name = std::string(kBuiltinRuntimeName));

    const std::string& default_name() const { return default_; }
    // The name a new container records: `requested`, or the default when empty. An unknown
    // name is docker's 400: "unknown or invalid runtime name: NAME".
    Result<std::string> name_for(std::string_view requested) const;
    // What runs a container of that name (empty: the default).
    Result<OciRuntimeConfig> resolve(std::string_view name) const;
    // Every name, with the path /info shows ("berth-runtime" for the built-in library).
    std::map<std::string, RuntimeBinary> list() const;

  private:
    std::string exec_root_;
    std::map<std::string, RuntimeBinary> registered_;
    std::string default_;
};

}  // namespace berth::oci_runtime
