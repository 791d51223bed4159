#include "image/manifest.h"

#include <sys/utsname.h>

#include "image/media_types.h"

namespace berth::image {
namespace {

std::string normalise_architecture(std::string arch) {
    if (arch == "x86_64" || arch == "x86-64") return "amd64";
    if (arch == "aarch64") return "arm64";
    if (arch == "armhf" || arch == "armel") return "arm";
    if (arch == "i386" || arch == "i686") return "386";
    return arch;
}

Result<std::map<std::string, std::string>> parse_annotations(const Json& j,
                                                             std::string_view where) {
    std::map<std::string, std::string> out;
    auto it = j.find("annotations");
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_object())
        return fail(ErrorKind::InvalidArgument,
                    std::string(where) + ".annotations: must be an object");
    for (auto& [key, value] : it->items()) {
        if (!value.is_string())
            return fail(ErrorKind::InvalidArgument,
                        std::string(where) + ".annotations." + key + ": must be a string");
        out[key] = value.get<std::string>();
    }
    return out;
}

Result<Platform> parse_platform_json(const Json& j, std::string_view where) {
    if (!j.is_object())
        return fail(ErrorKind::InvalidArgument, std::string(where) + ": must be an object");
    Platform platform;
    std::string w(where);
    TRY(get_optional(j, "os", platform.os, w));
    TRY(get_optional(j, "architecture", platform.architecture, w));
    TRY(get_optional(j, "variant", platform.variant, w));
    TRY(get_optional(j, "os.version", platform.os_version, w));
    return platform;
}

Json platform_to_json(const Platform& platform) {
    Json j = Json::object();
    j["architecture"] = platform.architecture;
    j["os"] = platform.os;
    if (!platform.os_version.empty()) j["os.version"] = platform.os_version;
    if (!platform.variant.empty()) j["variant"] = platform.variant;
    return j;
}

Result<Json> parse_object(std::string_view text, std::string_view what) {
    Json j = TRY(parse_json(text, what));
    if (!j.is_object())
        return fail(ErrorKind::InvalidArgument, std::string(what) + ": not a JSON object");
    return j;
}

}  // namespace

std::string Platform::str() const {
    std::string out = os + "/" + architecture;
    if (!variant.empty()) out += "/" + variant;
    return out;
}

Platform host_platform() {
    utsname info{};
    uname(&info);
    Platform platform{.os = "linux", .architecture = normalise_architecture(info.machine)};
    if (platform.architecture == "arm64") platform.variant = "v8";
    return platform;
}

Result<Platform> parse_platform(std::string_view text) {
    Platform platform;
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t slash = text.find('/', start);
        parts.emplace_back(text.substr(start, slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    bool empty_part = false;
    for (auto& part : parts) {
        empty_part |= part.empty();
        for (auto& c : part)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (parts.size() < 2 || parts.size() > 3 || empty_part)
        return fail(ErrorKind::InvalidArgument,
                    "invalid platform \"" + std::string(text) + "\": expected os/arch[/variant]");
    platform.os = parts[0];
    platform.architecture = normalise_architecture(parts[1]);
    if (parts.size() == 3) platform.variant = parts[2];
    if (platform.architecture == "arm64" && platform.variant == "8") platform.variant = "v8";
    return platform;
}

bool platform_matches(const Platform& wanted, const Platform& candidate) {
    if (wanted.os != candidate.os) return false;
    if (normalise_architecture(wanted.architecture) !=
        normalise_architecture(candidate.architecture))
        return false;
    if (wanted.variant.empty()) return true;
    std::string variant = candidate.variant;
    if (variant.empty() && candidate.architecture == "arm64") variant = "v8";
    return variant == wanted.variant;
}

Result<Descriptor> parse_descriptor(const Json& j, std::string_view where) {
    std::string w(where);
    if (!j.is_object()) return fail(ErrorKind::InvalidArgument, w + ": must be an object");
    Descriptor descriptor;
    TRY(get_optional(j, "mediaType", descriptor.media_type, w));
    std::string digest;
    TRY(get_optional(j, "digest", digest, w));
    if (digest.empty()) return fail(ErrorKind::InvalidArgument, w + ".digest: missing");
    descriptor.digest = TRY_CTX(Digest::parse(digest), w + ".digest");
    TRY(get_optional(j, "size", descriptor.size, w));
    if (descriptor.size < 0) return fail(ErrorKind::InvalidArgument, w + ".size: negative");
    if (auto it = j.find("platform"); it != j.end() && !it->is_null())
        descriptor.platform = TRY(parse_platform_json(*it, w + ".platform"));
    descriptor.annotations = TRY(parse_annotations(j, w));
    return descriptor;
}

Json descriptor_to_json(const Descriptor& descriptor) {
    Json j = Json::object();
    j["mediaType"] = descriptor.media_type;
    j["digest"] = descriptor.digest.str();
    j["size"] = descriptor.size;
    if (!descriptor.annotations.empty()) j["annotations"] = descriptor.annotations;
    if (descriptor.platform) j["platform"] = platform_to_json(*descriptor.platform);
    return j;
}

Result<Manifest> parse_manifest(std::string_view text) {
    Json j = TRY(parse_object(text, "manifest"));
    Manifest manifest;
    TRY(get_optional(j, "schemaVersion", manifest.schema_version, "manifest"));
    if (manifest.schema_version != 2)
        return fail(ErrorKind::Unsupported, "manifest: schema version " +
                                                std::to_string(manifest.schema_version) +
                                                " is not supported (only schema 2 and OCI)");
    TRY(get_optional(j, "mediaType", manifest.media_type, "manifest"));
    if (!manifest.media_type.empty() && !media_type::is_manifest(manifest.media_type))
        return fail(ErrorKind::InvalidArgument, "manifest: media type \"" + manifest.media_type +
                                                    "\" is not an image manifest");
    auto config = j.find("config");
    if (config == j.end()) return fail(ErrorKind::InvalidArgument, "manifest.config: missing");
    manifest.config = TRY(parse_descriptor(*config, "manifest.config"));
    auto layers = j.find("layers");
    if (layers == j.end() || !layers->is_array())
        return fail(ErrorKind::InvalidArgument, "manifest.layers: missing or not an array");
    for (size_t i = 0; i < layers->size(); ++i) {
        auto layer =
            TRY(parse_descriptor((*layers)[i], "manifest.layers[" + std::to_string(i) + "]"));
        if (!layer.media_type.empty() && !media_type::is_layer(layer.media_type))
            return fail(ErrorKind::Unsupported, "manifest.layers[" + std::to_string(i) +
                                                    "]: unsupported layer media type \"" +
                                                    layer.media_type + "\"");
        manifest.layers.push_back(std::move(layer));
    }
    manifest.annotations = TRY(parse_annotations(j, "manifest"));
    return manifest;
}

Json manifest_to_json(const Manifest& manifest) {
    Json j = Json::object();
    j["schemaVersion"] = manifest.schema_version;
    if (!manifest.media_type.empty()) j["mediaType"] = manifest.media_type;
    j["config"] = descriptor_to_json(manifest.config);
    j["layers"] = Json::array();
    for (auto& layer : manifest.layers)
        j["layers"].push_back(descriptor_to_json(layer));
    if (!manifest.annotations.empty()) j["annotations"] = manifest.annotations;
    return j;
}

Result<Index> parse_index(std::string_view text) {
    Json j = TRY(parse_object(text, "index"));
    Index index;
    TRY(get_optional(j, "schemaVersion", index.schema_version, "index"));
    if (index.schema_version != 2)
        return fail(
            ErrorKind::Unsupported,
            "index: schema version " + std::to_string(index.schema_version) + " is not supported");
    TRY(get_optional(j, "mediaType", index.media_type, "index"));
    if (!index.media_type.empty() && !media_type::is_index(index.media_type))
        return fail(ErrorKind::InvalidArgument,
                    "index: media type \"" + index.media_type + "\" is not an index");
    auto manifests = j.find("manifests");
    if (manifests == j.end() || !manifests->is_array())
        return fail(ErrorKind::InvalidArgument, "index.manifests: missing or not an array");
    for (size_t i = 0; i < manifests->size(); ++i)
        index.manifests.push_back(
            TRY(parse_descriptor((*manifests)[i], "index.manifests[" + std::to_string(i) + "]")));
    index.annotations = TRY(parse_annotations(j, "index"));
    return index;
}

Json index_to_json(const Index& index) {
    Json j = Json::object();
    j["schemaVersion"] = index.schema_version;
    if (!index.media_type.empty()) j["mediaType"] = index.media_type;
    j["manifests"] = Json::array();
    for (auto& m : index.manifests)
        j["manifests"].push_back(descriptor_to_json(m));
    if (!index.annotations.empty()) j["annotations"] = index.annotations;
    return j;
}

Result<std::string> sniff_media_type(std::string_view text) {
    Json j = TRY(parse_object(text, "document"));
    if (auto it = j.find("mediaType"); it != j.end() && it->is_string())
        return it->get<std::string>();
    if (j.contains("manifests")) return std::string(media_type::oci_index);
    if (j.contains("config") && j.contains("layers")) return std::string(media_type::oci_manifest);
    return fail(ErrorKind::InvalidArgument, "document is neither an image manifest nor an index");
}

Result<Descriptor> select_platform(const Index& index, const Platform& platform) {
    std::string available;
    for (auto& m : index.manifests) {
        if (!media_type::is_manifest(m.media_type) && !m.media_type.empty()) continue;
        if (!m.platform) {
            // Single-manifest indexes (OCI layouts written by tools) often omit the platform;
            // the config decides later.
            if (index.manifests.size() == 1) return m;
            continue;
        }
        if (platform_matches(platform, *m.platform)) return m;
        if (!available.empty()) available += ", ";
        available += m.platform->str();
    }
    return fail(ErrorKind::NotFound,
                "no image for platform " + platform.str() +
                    " (the index has: " + (available.empty() ? "none" : available) + ")");
}

std::string to_canonical_json(const Json& j) {
    return j.dump();
}

}  // namespace berth::image
