#include "api/router.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

class NullExchange : public Exchange {
  public:
    Result<size_t> read_body(char*, size_t) override { return 0; }
    Result<void> respond(int, std::string_view, std::string_view, const Fields&) override {
        return {};
    }
    Result<void> begin_stream(int, std::string_view, const Fields&) override { return {}; }
    Result<void> write(std::string_view) override { return {}; }
    Result<void> end_stream() override { return {}; }
    Result<HijackedConnection> hijack(std::string_view) override {
        return fail(ErrorKind::Unsupported, "no connection");
    }
};

class RouterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        add("GET", "/_ping");
        add("GET", "/version");
        add("GET", "/images/json");
        add("GET", "/images/get");
        add("GET", "/images/{name*}/json");
        add("GET", "/images/{name*}/history");
        add("GET", "/images/{name*}/get");
        add("POST", "/images/{name*}/tag");
        add("DELETE", "/images/{name*}");
        add("GET", "/containers/{id}/logs");
    }
    void add(const std::string& method, const std::string& pattern) {
        std::string name = method + " " + pattern;
        router_.add(method, pattern, [this, name](Exchange&) -> Result<void> {
            hit_ = name;
            return {};
        });
    }
    // Which route matched ("METHOD pattern"), or the error message.
    std::string which(std::string_view method, std::string_view path) {
        auto match = router_.route(method, path);
        if (!match) return "error: " + match.error().message();
        last_ = *match;
        hit_.clear();
        NullExchange exchange;
        (void)(*match->handler)(exchange);
        return hit_;
    }

    Router router_;
    std::string hit_;
    RouteMatch last_;
};

TEST_F(RouterTest, LiteralRoutes) {
    EXPECT_EQ(which("GET", "/_ping"), "GET /_ping");
    EXPECT_EQ(which("GET", "/version"), "GET /version");
    EXPECT_EQ(which("GET", "/images/json"), "GET /images/json");
    EXPECT_EQ(which("GET", "/images/get"), "GET /images/get");
}

TEST_F(RouterTest, HeadIsAnsweredByGet) {
    EXPECT_EQ(which("HEAD", "/_ping"), "GET /_ping");
}

TEST_F(RouterTest, VersionPrefixIsRecorded) {
    EXPECT_EQ(which("GET", "/v1.47/images/json"), "GET /images/json");
    EXPECT_EQ(last_.version, (ApiVersion{1, 47}));
    EXPECT_EQ(last_.path, "/images/json");
    EXPECT_EQ(which("GET", "/v1.24/version"), "GET /version");
    EXPECT_EQ(last_.version, (ApiVersion{1, 24}));
    EXPECT_EQ(which("GET", "/version"), "GET /version");
    EXPECT_EQ(last_.version, kMaxApiVersion);
}

TEST_F(RouterTest, VersionsOutOfRangeAreRefusedLikeDocker) {
    EXPECT_EQ(which("GET", "/v1.99/version"),
              "error: client version 1.99 is too new. Maximum supported API version is 1.47");
    EXPECT_EQ(which("GET", "/v1.12/version"),
              "error: client version 1.12 is too old. Minimum supported API version is 1.24, "
              "please upgrade your client to a newer version");
    auto error = router_.route("GET", "/v2.0/_ping");
    ASSERT_FALSE(error);
    EXPECT_EQ(error.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_FALSE(router_.route("GET", "/v1/_ping"));
}

TEST_F(RouterTest, ImageNamesWithSlashesAndColons) {
    EXPECT_EQ(which("GET", "/v1.47/images/localhost:5000/a/b:tag/json"),
              "GET /images/{name*}/json");
    EXPECT_EQ(last_.params["name"], "localhost:5000/a/b:tag");
    EXPECT_EQ(which("GET", "/images/busybox/history"), "GET /images/{name*}/history");
    EXPECT_EQ(last_.params["name"], "busybox");
    EXPECT_EQ(which("POST", "/images/sha256:abcd/tag"), "POST /images/{name*}/tag");
    EXPECT_EQ(last_.params["name"], "sha256:abcd");
    EXPECT_EQ(which("DELETE", "/images/registry.example.com/team/app:1.0"),
              "DELETE /images/{name*}");
    EXPECT_EQ(last_.params["name"], "registry.example.com/team/app:1.0");
    EXPECT_EQ(which("GET", "/images/a/b/get"), "GET /images/{name*}/get");
    EXPECT_EQ(last_.params["name"], "a/b");
}

TEST_F(RouterTest, GreedyNameTakesTheLongestSpan) {
    // An image called "json/json" (a repository "json" under a namespace "json").
    EXPECT_EQ(which("GET", "/images/json/json/json"), "GET /images/{name*}/json");
    EXPECT_EQ(last_.params["name"], "json/json");
}

TEST_F(RouterTest, SingleSegmentParameter) {
    EXPECT_EQ(which("GET", "/containers/abc/logs"), "GET /containers/{id}/logs");
    EXPECT_EQ(last_.params["id"], "abc");
    EXPECT_EQ(which("GET", "/containers/a/b/logs"), "error: page not found");
}

TEST_F(RouterTest, UnknownPathsAndMethods) {
    EXPECT_EQ(which("GET", "/nosuch"), "error: page not found");
    EXPECT_EQ(which("POST", "/images/json"), "error: page not found");
    EXPECT_EQ(which("GET", "/images//json"), "GET /images/json");  // empty segments collapse
    auto error = router_.route("GET", "/nosuch");
    EXPECT_EQ(error.error().kind(), ErrorKind::NotFound);
}

TEST(SplitVersion, PathsStartingWithVAreNotVersions) {
    auto [version, rest] = *split_version("/version");
    EXPECT_FALSE(version);
    EXPECT_EQ(rest, "/version");
    auto [v2, rest2] = *split_version("/v1.40");
    EXPECT_EQ(v2, (ApiVersion{1, 40}));
    EXPECT_EQ(rest2, "/");
}

TEST(Query, DecodesAndKeepsRepeats) {
    auto fields = *parse_query(
        "names=a%2Fb%3A1&names=c&filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D&q=a+b&flag");
    ASSERT_EQ(fields.size(), 5u);
    Request request;
    request.query = fields;
    EXPECT_EQ(request.query_values("names"), (std::vector<std::string>{"a/b:1", "c"}));
    EXPECT_EQ(request.query_value("filters"), R"({"dangling":["true"]})");
    EXPECT_EQ(request.query_value("q"), "a b");
    EXPECT_FALSE(request.query_bool("flag"));
    EXPECT_FALSE(parse_query("a=%zz"));
}

TEST(Query, DockerBooleans) {
    Request request;
    request.query = {{"a", "1"}, {"b", "true"}, {"c", "0"}, {"d", "False"}, {"e", "none"}};
    EXPECT_TRUE(request.query_bool("a"));
    EXPECT_TRUE(request.query_bool("b"));
    EXPECT_FALSE(request.query_bool("c"));
    EXPECT_FALSE(request.query_bool("d"));
    EXPECT_FALSE(request.query_bool("e"));
    EXPECT_FALSE(request.query_bool("missing"));
}

}  // namespace
}  // namespace berth::api
