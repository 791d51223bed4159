#include "image/manifest.h"

#include <gtest/gtest.h>

#include "image/image_config.h"
#include "image/media_types.h"

namespace berth::image {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

TEST(Manifest, ParsesDockerSchema2) {
    std::string text =
        R"({"schemaVersion":2,"mediaType":")" + std::string(media_type::docker_manifest) +
        R"(","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":")" +
        kDigestA +
        R"("},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":9,"digest":")" +
        kDigestB + R"("}]})";
    auto manifest = parse_manifest(text);
    ASSERT_TRUE(manifest) << manifest.error().message();
    EXPECT_EQ(manifest->config.digest.str(), kDigestA);
    ASSERT_EQ(manifest->layers.size(), 1u);
    EXPECT_EQ(manifest->layers[0].size, 9);
    auto again = parse_manifest(manifest_to_json(*manifest).dump());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->layers[0].digest, manifest->layers[0].digest);
}

TEST(Manifest, RejectsBadDocuments) {
    EXPECT_FALSE(parse_manifest("{"));
    EXPECT_FALSE(parse_manifest("[]"));
    EXPECT_FALSE(parse_manifest(R"({"schemaVersion":1,"name":"x"})"));
    EXPECT_FALSE(
        parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:12"},"layers":[]})"));
    auto negative = parse_manifest(R"({"schemaVersion":2,"config":{"digest":")" + kDigestA +
                                   R"(","size":-1},"layers":[]})");
    ASSERT_FALSE(negative);
    EXPECT_NE(negative.error().message().find("size"), std::string::npos);
    auto bad_layer =
        parse_manifest(R"({"schemaVersion":2,"config":{"digest":")" + kDigestA +
                       R"(","size":1},"layers":[{"mediaType":"text/plain","digest":")" + kDigestB +
                       R"(","size":1}]})");
    ASSERT_FALSE(bad_layer);
    EXPECT_NE(bad_layer.error().message().find("text/plain"), std::string::npos);
}

TEST(Manifest, SelectsPlatformFromIndex) {
    std::string text =
        R"({"schemaVersion":2,"manifests":[)"
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
        kDigestA +
        R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},)"
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
        kDigestB + R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
    auto index = parse_index(text);
    ASSERT_TRUE(index) << index.error().message();
    auto amd64 = select_platform(*index, *parse_platform("linux/amd64"));
    ASSERT_TRUE(amd64);
    EXPECT_EQ(amd64->digest.str(), kDigestB);
    auto arm64 = select_platform(*index, *parse_platform("linux/aarch64"));
    ASSERT_TRUE(arm64);
    EXPECT_EQ(arm64->digest.str(), kDigestA);
    auto missing = select_platform(*index, *parse_platform("linux/s390x"));
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("linux/amd64"), std::string::npos);
    EXPECT_FALSE(parse_platform("linux"));
    EXPECT_FALSE(parse_platform("linux//"));
}

TEST(Manifest, SniffsDocumentKind) {
    EXPECT_EQ(*sniff_media_type(R"({"manifests":[]})"), media_type::oci_index);
    EXPECT_EQ(*sniff_media_type(R"({"config":{},"layers":[]})"), media_type::oci_manifest);
    EXPECT_FALSE(sniff_media_type(R"({"foo":1})"));
}

TEST(ImageConfig, ParsesAndComputesChainIds) {
    std::string text =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
        kDigestA + R"(",")" + kDigestB +
        R"("]},"history":[{"created_by":"ADD x"},{"created_by":"ENV a=b","empty_layer":true}]})";
    auto config = parse_image_config(text);
    ASSERT_TRUE(config) << config.error().message();
    EXPECT_EQ(config->diff_ids.size(), 2u);
    EXPECT_TRUE(config->history[1].empty_layer);
    auto chain = chain_ids(config->diff_ids);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0].str(), kDigestA);
    EXPECT_EQ(chain[1], sha256_of(kDigestA + " " + kDigestB));
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"foo","diff_ids":[]}})"));
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":["nope"]}})"));
}

}  // namespace
}  // namespace berth::image
