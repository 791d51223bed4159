// The media types of OCI image-spec and Docker's v2 schema 2 image format.
#pragma once

#include <string_view>

namespace berth::image::media_type {

inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view oci_layer_nondistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view oci_layer_nondistributable_gzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view docker_layer_gzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view docker_layer_foreign =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

inline bool is_index(std::string_view type) {
    return type == oci_index || type == docker_manifest_list;
}
inline bool is_manifest(std::string_view type) {
    return type == oci_manifest || type == docker_manifest;
}
inline bool is_config(std::string_view type) {
    return type == oci_config || type == docker_config;
}
inline bool is_layer(std::string_view type) {
    return type == oci_layer || type == oci_layer_gzip || type == oci_layer_zstd ||
           type == oci_layer_nondistributable || type == oci_layer_nondistributable_gzip ||
           type == docker_layer || type == docker_layer_gzip || type == docker_layer_foreign;
}

}  // namespace berth::image::media_type
