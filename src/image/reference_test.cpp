#include "image/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace berth::image {
namespace {

using ::testing::HasSubstr;

const std::string kHex = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
const std::string kDigest = "sha256:" + kHex;

struct ValidCase {
    std::string input;
    std::string domain;
    std::string path;
    std::string tag;
    std::string digest;
    std::string familiar;  // familiar_str()
};

class ParsesValid : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ParsesValid, NormalisesLikeDocker) {
    const ValidCase& c = GetParam();
    auto ref = parse_reference(c.input);
    ASSERT_TRUE(ref) << c.input << ": " << ref.error().message();
    EXPECT_EQ(ref->domain, c.domain) << c.input;
    EXPECT_EQ(ref->path, c.path) << c.input;
    EXPECT_EQ(ref->tag, c.tag) << c.input;
    EXPECT_EQ(ref->digest, c.digest) << c.input;
    EXPECT_EQ(ref->familiar_str(), c.familiar) << c.input;
    // The full form parses back to the same reference, as does the familiar one.
    auto again = parse_reference(ref->str());
    ASSERT_TRUE(again) << ref->str();
    EXPECT_EQ(*again, *ref);
    auto familiar = parse_reference(ref->familiar_str());
    ASSERT_TRUE(familiar) << ref->familiar_str();
    EXPECT_EQ(*familiar, *ref);
}

INSTANTIATE_TEST_SUITE_P(
    Reference, ParsesValid,
    ::testing::Values(
        ValidCase{"busybox", "docker.io", "library/busybox", "", "", "busybox"},
        ValidCase{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "busybox:1.36"},
        ValidCase{"library/busybox", "docker.io", "library/busybox", "", "", "busybox"},
        ValidCase{"docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox"},
        ValidCase{"docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "",
                  "busybox:latest"},
        ValidCase{"index.docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox"},
        ValidCase{"index.docker.io/user/app", "docker.io", "user/app", "", "", "user/app"},
        ValidCase{"user/app:v2", "docker.io", "user/app", "v2", "", "user/app:v2"},
        // Only a single component under library/ is shortened.
        ValidCase{"library/foo/bar", "docker.io", "library/foo/bar", "", "", "library/foo/bar"},
        ValidCase{"other/library", "docker.io", "other/library", "", "", "other/library"},
        ValidCase{"localhost/foo", "localhost", "foo", "", "", "localhost/foo"},
        ValidCase{"localhost:5000/foo:bar", "localhost:5000", "foo", "bar", "",
                  "localhost:5000/foo:bar"},
        // Without a '/', "localhost:5000" is the name "localhost" with tag "5000".
        ValidCase{"localhost:5000", "docker.io", "library/localhost", "5000", "", "localhost:5000"},
        ValidCase{"192.168.0.1", "docker.io", "library/192.168.0.1", "", "", "192.168.0.1"},
        ValidCase{"127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", "", "",
                  "127.0.0.1:5000/docker/docker"},
        ValidCase{"[fc00::1]:5000/docker", "[fc00::1]:5000", "docker", "", "",
                  "[fc00::1]:5000/docker"},
        ValidCase{"example.com/a/b/c:tag@" + kDigest, "example.com", "a/b/c", "tag", kDigest,
                  "example.com/a/b/c:tag@" + kDigest},
        ValidCase{"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
                  "busybox@" + kDigest},
        ValidCase{"busybox:latest@" + kDigest, "docker.io", "library/busybox", "latest", kDigest,
                  "busybox:latest@" + kDigest},
        ValidCase{"test-com:8080/foo", "test-com:8080", "foo", "", "", "test-com:8080/foo"},
        ValidCase{"xn--n3h.com/foo", "xn--n3h.com", "foo", "", "", "xn--n3h.com/foo"},
        // An underscore is no host, so this is a namespace on Docker Hub.
        ValidCase{"test_com/foo", "docker.io", "test_com/foo", "", "", "test_com/foo"},
        // Upper case is never a namespace, so docker takes the first component as a host.
        ValidCase{"Foo/bar", "Foo", "bar", "", "", "Foo/bar"},
        ValidCase{"docker---rules/dock__er", "docker.io", "docker---rules/dock__er", "", "",
                  "docker---rules/dock__er"},
        ValidCase{"a.b-c.example/x", "a.b-c.example", "x", "", "", "a.b-c.example/x"},
        // 64 characters, but not hexadecimal: a name.
        ValidCase{"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io",
                  "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "",
                  "", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"},
        ValidCase{"busybox:" + std::string(128, 't'), "docker.io", "library/busybox",
                  std::string(128, 't'), "", "busybox:" + std::string(128, 't')},
        ValidCase{"busybox:_Tag.1-x", "docker.io", "library/busybox", "_Tag.1-x", "",
                  "busybox:_Tag.1-x"}));

TEST(Reference, DomainThatIsNotAHostIsLeftEmptyAsDockerDoes) {
    // "a_b.c" holds a '.', so it is split off as a domain, but it is not a valid host; docker's
    // grammar then reads the whole text as a path without a domain.
    auto ref = parse_reference("a_b.c/foo");
    ASSERT_TRUE(ref) << ref.error().message();
    EXPECT_EQ(ref->domain, "");
    EXPECT_EQ(ref->path, "a_b.c/foo");
    EXPECT_EQ(ref->name(), "a_b.c/foo");
}

TEST(Reference, HexNameWithDomain) {
    // With a domain in front, a 64-hex name is unambiguous and allowed (its familiar form is not
    // a valid reference on its own, as with docker).
    auto ref = parse_reference("docker.io/" + kHex);
    ASSERT_TRUE(ref) << ref.error().message();
    EXPECT_EQ(ref->path, "library/" + kHex);
    EXPECT_EQ(ref->familiar_name(), kHex);
}

TEST(Reference, NamesAndStrings) {
    auto ref = parse_reference("busybox");
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->name(), "docker.io/library/busybox");
    EXPECT_EQ(ref->familiar_name(), "busybox");
    EXPECT_EQ(ref->str(), "docker.io/library/busybox");
    EXPECT_EQ(ref->with_default_tag().str(), "docker.io/library/busybox:latest");
    EXPECT_EQ(ref->with_default_tag().familiar_str(), "busybox:latest");

    auto local = parse_reference("localhost:5000/app:1");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->name(), "localhost:5000/app");
    EXPECT_EQ(local->familiar_name(), "localhost:5000/app");
    EXPECT_EQ(local->str(), "localhost:5000/app:1");
}

TEST(Reference, DefaultTagOnlyWithoutTagOrDigest) {
    auto tagged = parse_reference("busybox:1.36");
    ASSERT_TRUE(tagged);
    EXPECT_EQ(tagged->with_default_tag().tag, "1.36");
    auto digested = parse_reference("busybox@" + kDigest);
    ASSERT_TRUE(digested);
    EXPECT_EQ(digested->with_default_tag().tag, "");
    EXPECT_EQ(digested->with_default_tag().str(), "docker.io/library/busybox@" + kDigest);
}

struct InvalidCase {
    std::string input;
    std::string message;  // the whole message, as docker prints it
};

class RejectsInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(RejectsInvalid, WithDockersMessage) {
    const InvalidCase& c = GetParam();
    auto ref = parse_reference(c.input);
    ASSERT_FALSE(ref) << c.input << " parsed as " << ref->str();
    EXPECT_EQ(ref.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(ref.error().message(), c.message) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Reference, RejectsInvalid,
    ::testing::Values(
        InvalidCase{"Busybox",
                    "invalid reference format: repository name (library/Busybox) must be "
                    "lowercase"},
        InvalidCase{"docker/Docker",
                    "invalid reference format: repository name (docker/Docker) must be lowercase"},
        InvalidCase{"example.com/Foo:Tag",
                    "invalid reference format: repository name (Foo) must be lowercase"},
        InvalidCase{"", "invalid reference format"},
        InvalidCase{"busybox:", "invalid reference format"},
        InvalidCase{":tag", "invalid reference format"},
        InvalidCase{"busybox@", "invalid reference format"},
        InvalidCase{"a//b", "invalid reference format"},
        InvalidCase{"docker///docker", "invalid reference format"},
        InvalidCase{"docker/", "invalid reference format"},
        InvalidCase{"-a", "invalid reference format"},
        InvalidCase{"-docker/docker", "invalid reference format"},
        InvalidCase{"docker-/docker", "invalid reference format"},
        InvalidCase{"_docker/_docker", "invalid reference format"},
        InvalidCase{"dock..er/docker", "invalid reference format"},
        InvalidCase{"dock_.er/docker", "invalid reference format"},
        InvalidCase{"dock-.er/docker", "invalid reference format"},
        InvalidCase{"dock___er/docker", "invalid reference format"},
        InvalidCase{"-docker.io/docker/docker", "invalid reference format"},
        InvalidCase{"https://github.com/docker/docker", "invalid reference format"},
        InvalidCase{"a:b:c", "invalid reference format"},
        InvalidCase{"busybox:-tag", "invalid reference format"},
        InvalidCase{"busybox:" + std::string(129, 't'), "invalid reference format"},
        InvalidCase{"[fc00::1]", "invalid reference format"},
        InvalidCase{"[fc00::1]:5000", "invalid reference format"},
        InvalidCase{"fc00::1:5000/debian", "invalid reference format"},
        InvalidCase{"[fe80::1%eth0]:5000/debian", "invalid reference format"},
        InvalidCase{"[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format"},
        InvalidCase{"localhost:port/app", "invalid reference format"},
        InvalidCase{"busybox@sha256:abc", "invalid reference format"},
        InvalidCase{kHex, "invalid repository name (" + kHex +
                              "), cannot specify 64-byte hexadecimal strings"},
        InvalidCase{"busybox@sha256:" + kHex.substr(0, 40), "invalid checksum digest length"},
        InvalidCase{"busybox@sha256:" + std::string(64, 'A'), "invalid checksum digest format"},
        InvalidCase{"busybox@md5:" + std::string(32, 'a'), "unsupported digest algorithm"},
        InvalidCase{"a/" + std::string(254, 'b'),
                    "repository name must not be more than 255 characters"}));

TEST(Reference, PathLengthLimitIsOnThePath) {
    // docker limits the path (without domain) to 255 characters.
    EXPECT_TRUE(parse_reference("example.com/" + std::string(255, 'a')));
    EXPECT_FALSE(parse_reference("example.com/" + std::string(256, 'a')));
}

TEST(Reference, ValidTags) {
    EXPECT_TRUE(is_valid_tag("latest"));
    EXPECT_TRUE(is_valid_tag("1.36.1-musl"));
    EXPECT_TRUE(is_valid_tag(std::string(128, 'x')));
    EXPECT_FALSE(is_valid_tag(""));
    EXPECT_FALSE(is_valid_tag(".hidden"));
    EXPECT_FALSE(is_valid_tag("a/b"));
    EXPECT_FALSE(is_valid_tag(std::string(129, 'x')));
}

}  // namespace
}  // namespace berth::image
