// OCI / Docker image documents: descriptors, manifests, indexes (manifest lists), platforms.
// Parsing validates what the engine relies on and keeps unknown fields out of the way; the raw
// bytes stay in the content store, so a manifest is never re-serialised to compute its digest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/error.h"
#include "base/json.h"

namespace berth::image {

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string os_version;

    std::string str() const;  // "linux/arm64/v8"
    friend bool operator==(const Platform&, const Platform&) = default;
};

// The platform this machine runs ("linux/amd64" here), with the variant normalised.
Platform host_platform();
// Parses "os/arch[/variant]" as `--platform` takes it; architecture aliases normalised
// (x86_64 -> amd64, aarch64 -> arm64).
Result<Platform> parse_platform(std::string_view text);
// Whether an image for `candidate` runs as `wanted` asks: os and architecture equal, and the
// variant equal when `wanted` names one (arm64's variant v8 is the default).
bool platform_matches(const Platform& wanted, const Platform& candidate);

struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size = 0;
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
};

struct Manifest {
    int schema_version = 2;
    std::string media_type;  // may be empty in OCI manifests
    Descriptor config;
    std::vector<Descriptor> layers;
    std::map<std::string, std::string> annotations;
};

struct Index {
    int schema_version = 2;
    std::string media_type;
    std::vector<Descriptor> manifests;
    std::map<std::string, std::string> annotations;
};

Result<Descriptor> parse_descriptor(const Json& j, std::string_view where);
Json descriptor_to_json(const Descriptor& descriptor);

// Parses an image manifest (OCI or Docker schema 2); schema 1 and other documents are refused.
Result<Manifest> parse_manifest(std::string_view text);
Json manifest_to_json(const Manifest& manifest);

Result<Index> parse_index(std::string_view text);
Json index_to_json(const Index& index);

// Which kind of document a JSON blob is, from its mediaType field or, when absent (OCI allows
// that), from its shape: "manifests" -> index, "config"+"layers" -> manifest.
Result<std::string> sniff_media_type(std::string_view text);

// The manifest for `platform` in an index, or a NotFound error listing what the index has.
Result<Descriptor> select_platform(const Index& index, const Platform& platform);

// Serialises JSON the way OCI tools write it (compact, keys in insertion order not required).
std::string to_canonical_json(const Json& j);

}  // namespace berth::image
