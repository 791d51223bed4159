// The base images that need no registry: busybox from the host's busybox-static binary, and
// Debian from debootstrap (the Debian archive is reachable where Docker Hub is not).
#pragma once

#include <string>

#include "base/digest.h"
#include "base/error.h"
#include "image/image_service.h"

namespace berth::image {

struct BusyboxBootstrap {
    std::string tag = "busybox:latest";
    std::string busybox = "/bin/busybox";  // must be statically linked
};

// Makes a busybox image: the binary, its applet links, /etc/passwd and /etc/group, the usual
// empty directories. Reproducible: file times and the created date are the binary's mtime, so the
// same busybox always gives the same image ID.
Result<Digest> bootstrap_busybox(ImageService& images, const BusyboxBootstrap& options);

struct DebianBootstrap {
    std::string suite = "bookworm";
    std::string tag;  // default: "debian:<suite>"
    std::string mirror = "http://deb.debian.org/debian";
    std::string variant = "minbase";
};

// Runs debootstrap into a temporary directory and imports the result as a single-layer image.
Result<Digest> bootstrap_debian(ImageService& images, const DebianBootstrap& options);

}  // namespace berth::image
