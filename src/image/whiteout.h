// The whiteout conventions of the OCI image layer format and their overlayfs equivalents, shared
// by unpacking (tar -> overlay) and diffing (overlay -> tar).
#pragma once

#include <string_view>

namespace berth::image {

// ".wh.NAME" in a layer deletes NAME of the layers below; overlayfs says it with a 0:0 char device.
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
// ".wh..wh..opq" in a directory hides everything below it; overlayfs uses an xattr on the dir.
inline constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";
// Other ".wh..wh." names are AUFS bookkeeping (".wh..wh.plnk", ".wh..wh.aufs"), never content.
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

inline constexpr const char* kOverlayOpaqueXattr = "trusted.overlay.opaque";
// overlayfs' own xattrs (opaque, redirect, origin, metacopy...): never taken from or put in a tar.
inline constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

}  // namespace berth::image
