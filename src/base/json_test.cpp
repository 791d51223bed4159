#include "base/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/fs.h"

namespace berth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParseJson, ParsesValidDocuments) {
    auto doc = parse_json(R"({"a": [1, 2, {"b": null}], "c": "d"})", "test.json");
    ASSERT_TRUE(doc.has_value()) << doc.error().message();
    EXPECT_EQ((*doc)["a"][1], 2);
    EXPECT_EQ((*doc)["c"], "d");
}

TEST(ParseJson, ErrorNamesTheDocumentAndPosition) {
    auto doc = parse_json("{\"a\": }", "config.json");
    ASSERT_FALSE(doc.has_value());
    EXPECT_EQ(doc.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_THAT(doc.error().message(), StartsWith("config.json: "));
    EXPECT_THAT(doc.error().message(), HasSubstr("line 1, column 7"));
    // The exception class prefix of nlohmann is dropped.
    EXPECT_THAT(doc.error().message(), ::testing::Not(HasSubstr("[json.exception")));
}

TEST(ParseJson, ErrorOnALaterLine) {
    auto doc = parse_json("{\n  \"a\": 1,\n  \"b\": [1,,2]\n}\n", "bundle/config.json");
    ASSERT_FALSE(doc.has_value());
    EXPECT_THAT(doc.error().message(), StartsWith("bundle/config.json: "));
    EXPECT_THAT(doc.error().message(), HasSubstr("line 3"));
}

TEST(ParseJson, EmptyAndTrailingGarbage) {
    auto empty = parse_json("", "empty.json");
    ASSERT_FALSE(empty.has_value());
    EXPECT_THAT(empty.error().message(), StartsWith("empty.json: "));

    auto trailing = parse_json("{} x", "trailing.json");
    ASSERT_FALSE(trailing.has_value());
    EXPECT_THAT(trailing.error().message(), StartsWith("trailing.json: "));
    EXPECT_THAT(trailing.error().message(), HasSubstr("column"));
}

std::string nested_arrays(size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

TEST(ParseJson, NestingUpToGosLimitIsAccepted) {
    auto doc = parse_json(nested_arrays(kMaxJsonDepth), "deep.json");
    ASSERT_TRUE(doc.has_value()) << doc.error().message();
    EXPECT_TRUE(doc->is_array());
    // Objects and arrays count alike.
    std::string objects;
    for (size_t i = 0; i < kMaxJsonDepth - 1; ++i)
        objects += "{\"a\":";
    objects += "[]" + std::string(kMaxJsonDepth - 1, '}');
    EXPECT_TRUE(parse_json(objects, "deep.json").has_value());
}

TEST(ParseJson, NestingBeyondGosLimitIsRefused) {
    auto doc = parse_json(nested_arrays(kMaxJsonDepth + 1), "request body");
    ASSERT_FALSE(doc.has_value());
    EXPECT_EQ(doc.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_THAT(doc.error().message(), StartsWith("request body: "));
    EXPECT_THAT(doc.error().message(), HasSubstr("exceeded max depth"));
    std::string mixed = "{\"a\":" + nested_arrays(kMaxJsonDepth) + "}";
    EXPECT_FALSE(parse_json(mixed, "mixed").has_value());
}

TEST(ParseJson, AMillionLevelsFailWithoutCrashing) {
    // Unbalanced too: the prefix alone is refused.
    std::string text(1000000, '[');
    auto doc = parse_json(text, "request body");
    ASSERT_FALSE(doc.has_value());
    EXPECT_THAT(doc.error().message(), HasSubstr("exceeded max depth"));
}

TEST(ParseJson, BracketsInsideStringsDoNotCount) {
    std::string text = "[\"" + std::string(kMaxJsonDepth + 5, '[') + "\\\"{\"]";
    auto doc = parse_json(text, "strings.json");
    ASSERT_TRUE(doc.has_value()) << doc.error().message();
    EXPECT_EQ((*doc)[0].get<std::string>().size(), kMaxJsonDepth + 7);
}

TEST(ReadJsonFile, MissingFileIsNotFound) {
    auto doc = read_json_file("/nonexistent/berth/config.json");
    ASSERT_FALSE(doc.has_value());
    EXPECT_EQ(doc.error().kind(), ErrorKind::NotFound);
    EXPECT_THAT(doc.error().message(), HasSubstr("/nonexistent/berth/config.json"));
}

TEST(ReadJsonFile, ParseErrorNamesThePath) {
    std::string path = "/tmp/berth-json-test-" + std::to_string(::getpid()) + ".json";
    ASSERT_TRUE(write_file(path, "[1, 2,]").has_value());
    auto doc = read_json_file(path);
    ::unlink(path.c_str());
    ASSERT_FALSE(doc.has_value());
    EXPECT_THAT(doc.error().message(), StartsWith(path + ": "));
    EXPECT_THAT(doc.error().message(), HasSubstr("line 1, column"));
}

TEST(GetOptional, MissingOrNullLeavesTheDefault) {
    Json obj = Json::parse(R"({"n": null})");
    int value = 7;
    EXPECT_TRUE(get_optional(obj, "missing", value, "x").has_value());
    EXPECT_TRUE(get_optional(obj, "n", value, "x").has_value());
    EXPECT_EQ(value, 7);
}

TEST(GetOptional, ReadsPresentFields) {
    Json obj = Json::parse(R"({"s": "v", "i": -3, "u": 4000000000, "b": true, "l": [1, 2]})");
    std::string s;
    int i = 0;
    uint32_t u = 0;
    bool b = false;
    std::vector<unsigned> l;
    ASSERT_TRUE(get_optional(obj, "s", s, "x").has_value());
    ASSERT_TRUE(get_optional(obj, "i", i, "x").has_value());
    ASSERT_TRUE(get_optional(obj, "u", u, "x").has_value());
    ASSERT_TRUE(get_optional(obj, "b", b, "x").has_value());
    ASSERT_TRUE(get_optional(obj, "l", l, "x").has_value());
    EXPECT_EQ(s, "v");
    EXPECT_EQ(i, -3);
    EXPECT_EQ(u, 4000000000u);
    EXPECT_TRUE(b);
    EXPECT_EQ(l, (std::vector<unsigned>{1, 2}));
}

TEST(GetOptional, WrongTypeNamesTheField) {
    Json obj = Json::parse(R"({"uid": "root", "terminal": 1, "args": "sh"})");
    uid_t uid = 0;
    auto r = get_optional(obj, "uid", uid, "process.user");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_THAT(r.error().message(), StartsWith("process.user.uid: "));

    bool terminal = false;
    r = get_optional(obj, "terminal", terminal, "process");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message(), StartsWith("process.terminal: "));

    std::vector<std::string> args;
    r = get_optional(obj, "args", args, "process");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message(), StartsWith("process.args: "));
}

// Numbers that do not fit the field are errors, not silently wrapped or truncated: runc (Go's
// encoding/json) rejects them too.
TEST(GetOptional, IntegersMustFitTheField) {
    Json obj = Json::parse(
        R"({"neg": -1, "big": 4294967296, "frac": 1.5, "flag": true, "ok": 4294967295,
            "list": [1, -2], "int_big": 3000000000})");
    uint32_t u = 9;
    for (const char* key : {"neg", "big", "frac", "flag"}) {
        SCOPED_TRACE(key);
        auto r = get_optional(obj, key, u, "process.user");
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_THAT(r.error().message(), StartsWith(std::string("process.user.") + key + ": "));
        EXPECT_EQ(u, 9u);
    }
    ASSERT_TRUE(get_optional(obj, "ok", u, "x").has_value());
    EXPECT_EQ(u, 4294967295u);

    int i = 0;
    auto r = get_optional(obj, "int_big", i, "process");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message(), StartsWith("process.int_big: "));

    std::vector<uint32_t> gids;
    r = get_optional(obj, "list", gids, "process.user");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message(), StartsWith("process.user.list"));
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(ParseJson, NumberTooLargeIsAnErrorNotAnAbort) {
    auto parsed = parse_json(R"({"size":1e999})", "manifest");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(parsed.error().message().find("manifest: "), std::string::npos);
}

}  // namespace
}  // namespace berth
