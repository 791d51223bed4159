#include "image/isal_loader.h"

#include <dlfcn.h>

#include <optional>

namespace berth::image {
namespace {

// libisal's SONAME since ISA-L 2.0.
constexpr const char* kLibisal = "libisal.so.2";

std::optional<IsalInflate> load() {
    void* library = ::dlopen(kLibisal, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return std::nullopt;
    IsalInflate functions{
        reinterpret_cast<decltype(IsalInflate::init)>(::dlsym(library, "isal_inflate_init")),
        reinterpret_cast<decltype(IsalInflate::reset)>(::dlsym(library, "isal_inflate_reset")),
        reinterpret_cast<decltype(IsalInflate::inflate)>(::dlsym(library, "isal_inflate")),
    };
    if (!functions.init || !functions.reset || !functions.inflate) return std::nullopt;
    return functions;
}

}  // namespace

const IsalInflate* isal_inflate_functions() {
    static const std::optional<IsalInflate> functions = load();
    return functions ? &*functions : nullptr;
}

}  // namespace berth::image
