// Image references ("busybox", "localhost:5000/app:1.0", "example.com/a/b@sha256:…") parsed and
// normalised the way docker does (distribution/reference's ParseNormalizedNamed), so a name typed
// at berth names the same image it names at docker, and errors read the same.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
    // "docker.io", "localhost:5000", "[::1]:5000". Empty only for the odd names docker itself
    // leaves without a domain ("a_b.c/app": the first component looks like a host but is not one).
    std::string domain;
    std::string path;    // "library/busybox", "user/app"
    std::string tag;     // empty when none was given
    std::string digest;  // "sha256:<hex>", empty when none was given

    std::string name() const;           // "docker.io/library/busybox"
    std::string familiar_name() const;  // "busybox", "user/app", "localhost:5000/app"
    std::string str() const;            // name() + ":tag" + "@digest" where present
    std::string familiar_str() const;   // "busybox:latest"
    // The reference with tag "latest" when it has neither tag nor digest (docker's TagNameOnly).
    Reference with_default_tag() const;

    friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses a reference as the user types it and normalises it to the full form: the domain
// defaults to docker.io, "index.docker.io" becomes docker.io, and single-component names on
// docker.io get the "library/" namespace. Errors are InvalidArgument with docker's messages.
Result<Reference> parse_reference(std::string_view text);

// Whether text is a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(std::string_view text);

}  // namespace berth::image
