#include "engine/names.h"

#include <sys/random.h>

#include <array>
#include <cstdint>

namespace berth::engine {
namespace {

// Our own word lists: calm adjectives and shipping words (berth's theme).
constexpr std::array<std::string_view, 40> kAdjectives = {
    "amber",   "brave",  "brisk",  "calm",   "clever", "cosy",   "crisp",  "daring",
    "eager",   "fair",   "fleet",  "gentle", "glad",   "golden", "hardy",  "jolly",
    "keen",    "kind",   "lively", "lucid",  "mellow", "merry",  "nimble", "noble",
    "patient", "plucky", "proud",  "quiet",  "rapid",  "ready",  "serene", "sharp",
    "silent",  "steady", "stoic",  "sunny",  "swift",  "tidy",   "vivid",  "witty",
};
constexpr std::array<std::string_view, 40> kNouns = {
    "anchor",  "barge",   "beacon",  "bollard", "bosun",   "buoy",    "cabin",  "capstan",
    "cargo",   "clipper", "compass", "crane",   "current", "dinghy",  "dock",   "ferry",
    "galley",  "gangway", "harbour", "helm",    "hull",    "jetty",   "keel",   "lantern",
    "lighter", "mast",    "mooring", "pier",    "pilot",   "quay",    "rudder", "schooner",
    "sextant", "skiff",   "sloop",   "tender",  "tide",    "tugboat", "wharf",  "winch",
};

uint64_t random_u64() {
    uint64_t value = 0;
    while (::getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value)) {
    }
    return value;
}

bool name_char(char c, bool first) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

}  // namespace

Result<std::string> validate_container_name(std::string_view name) {
    std::string_view bare = name.starts_with('/') ? name.substr(1) : name;
    bool valid = bare.size() >= 2;
    for (size_t i = 0; valid && i < bare.size(); ++i)
        valid = name_char(bare[i], i == 0);
    if (!valid)
        return fail(ErrorKind::InvalidArgument,
                    "Invalid container name (" + std::string(name) +
                        "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    return std::string(bare);
}

std::string generate_container_name(const std::function<bool(const std::string&)>& taken) {
    for (int attempt = 0;; ++attempt) {
        uint64_t r = random_u64();
        std::string name = std::string(kAdjectives[r % kAdjectives.size()]) + "_" +
                           std::string(kNouns[(r >> 16) % kNouns.size()]);
        if (attempt >= 3) name += std::to_string((r >> 32) % 10);
        if (!taken(name)) return name;
    }
}

std::string random_id() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    id.reserve(64);
    for (int i = 0; i < 4; ++i) {
        uint64_t r = random_u64();
        for (int j = 0; j < 16; ++j, r >>= 4)
            id += kHex[r & 0xf];
    }
    return id;
}

}  // namespace berth::engine
