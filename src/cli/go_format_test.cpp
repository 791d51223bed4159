#include "cli/go_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::cli {
namespace {

using Json = nlohmann::json;

TEST(GoFormat, FloatsPrintAsGoPrintsFloat64) {
    struct Case {
        double value;
        std::string want;
    };
    for (const Case& c : std::vector<Case>{{1.5, "1.5"},
                                           {2.0, "2"},
                                           {0, "0"},
                                           {-0.5, "-0.5"},
                                           {123456, "123456"},
                                           {1e6, "1e+06"},
                                           {1234567, "1.234567e+06"},
                                           {0.0001, "0.0001"},
                                           {0.00001, "1e-05"},
                                           {1e21, "1e+21"},
                                           {1e100, "1e+100"},
                                           {0.1 + 0.2, "0.30000000000000004"}}) {
        EXPECT_EQ(go_format_float(c.value), c.want) << c.value;
    }
}

TEST(GoFormat, ValuesPrintAsPercentV) {
    EXPECT_EQ(go_sprint_value(Json("text")), "text");
    EXPECT_EQ(go_sprint_value(Json(42)), "42");
    EXPECT_EQ(go_sprint_value(Json(-42)), "-42");
    EXPECT_EQ(go_sprint_value(Json(18446744073709551615ull)), "18446744073709551615");
    EXPECT_EQ(go_sprint_value(Json(true)), "true");
    EXPECT_EQ(go_sprint_value(Json()), "<nil>");
    EXPECT_EQ(go_sprint_value(Json::parse(R"(["a", 1, null, [2, 3]])")), "[a 1 <nil> [2 3]]");
    EXPECT_EQ(go_sprint_value(Json::parse(R"({"b": {"x": 1}, "a": "v"})")), "map[a:v b:map[x:1]]");
    EXPECT_EQ(go_sprint_value(Json::object()), "map[]");
    EXPECT_EQ(go_template_print(Json()), "<no value>");
    EXPECT_EQ(go_template_print(Json::parse("[null]")), "[<nil>]");
}

TEST(GoFormat, SprintSpacesOnlyBetweenNonStrings) {
    EXPECT_EQ(go_sprint({Json(1), Json(2), Json("a"), Json(3), Json("b"), Json("c")}), "1 2a3bc");
    EXPECT_EQ(go_sprintln({Json("a"), Json(1), Json("b")}), "a 1 b\n");
    EXPECT_EQ(go_sprintln({}), "\n");
}

TEST(GoFormat, Sprintf) {
    struct Case {
        std::string format;
        std::vector<Json> args;
        std::string want;
    };
    std::vector<Case> cases = {
        {"%s|%v|%d", {Json("a"), Json(1.5), Json(7)}, "a|1.5|7"},
        {"[%5s][%-5s][%.2s]", {Json("ab"), Json("ab"), Json("abc")}, "[   ab][ab   ][ab]"},
        {"[%05d][%+d][%x][%X][%o][%b]",
         {Json(42), Json(5), Json(255), Json(255), Json(8), Json(5)},
         "[00042][+5][ff][FF][10][101]"},
        {"%q", {Json("a\"b\n")}, R"("a\"b\n")"},
        {"%t %c", {Json(true), Json(0x263a)}, "true \xe2\x98\xba"},
        {"%.2f|%e|%g|%6.1f",
         {Json(3.14159), Json(1500.0), Json(1e6), Json(2.25)},
         "3.14|1.500000e+03|1e+06|   2.2"},
        {"%x", {Json("hi")}, "6869"},
        {"100%%", {}, "100%"},
        {"%d", {Json("x")}, "%!d(string=x)"},
        {"%s", {Json(5)}, "%!s(int=5)"},
        {"%d %d", {Json(1)}, "1 %!d(MISSING)"},
        {"%d", {Json(1), Json("x"), Json()}, "1%!(EXTRA string=x, <nil>)"},
        {"%v", {Json::parse(R"({"k": [1]})")}, "map[k:[1]]"},
        {"trailing %", {}, "trailing %!(NOVERB)"},
    };
    for (const Case& c : cases)
        EXPECT_EQ(go_sprintf(c.format, c.args), c.want) << c.format;
}

TEST(GoFormat, JsonMarshalLikeGo) {
    // Compact, keys in the object's (sorted) order, no HTML escaping as docker sets it.
    EXPECT_EQ(go_json_marshal(Json::parse(R"({"b": [1, 2.5, null], "a": {"x": true}})")),
              R"({"a":{"x":true},"b":[1,2.5,null]})");
    EXPECT_EQ(go_json_marshal(Json("<a&b>")), R"("<a&b>")");
    // Floats as Go's encoding/json writes float64.
    EXPECT_EQ(go_json_marshal(Json(2.0)), "2");
    EXPECT_EQ(go_json_marshal(Json(1e20)), "100000000000000000000");
    EXPECT_EQ(go_json_marshal(Json(1e21)), "1e+21");
    EXPECT_EQ(go_json_marshal(Json(0.000001)), "0.000001");
    EXPECT_EQ(go_json_marshal(Json(1e-7)), "1e-7");
    EXPECT_EQ(go_json_marshal(Json(-1.5e-10)), "-1.5e-10");
    // String escapes: short forms, \u00XX for other controls, U+2028/9, bad UTF-8 replaced.
    EXPECT_EQ(go_json_marshal(Json("q\"\\\n\r\t\b\f\x01")), R"("q\"\\\n\r\t\b\f\u0001")");
    EXPECT_EQ(go_json_marshal(Json("a\xe2\x80\xa8"
                                   "b")),
              R"("a\u2028b")");
    EXPECT_EQ(go_json_marshal(Json(std::string("ok\xff"))), R"("ok\ufffd")");
    EXPECT_EQ(go_json_marshal(Json("caf\xc3\xa9")), "\"caf\xc3\xa9\"");
    EXPECT_EQ(go_json_marshal(Json()), "null");
    EXPECT_EQ(go_json_marshal(Json::array()), "[]");
    EXPECT_EQ(go_json_marshal(Json::object()), "{}");
}

TEST(GoFormat, TypeNames) {
    EXPECT_EQ(go_type_name(Json("x")), "string");
    EXPECT_EQ(go_type_name(Json(1)), "int");
    EXPECT_EQ(go_type_name(Json(1.5)), "float64");
    EXPECT_EQ(go_type_name(Json::array()), "[]interface {}");
    EXPECT_EQ(go_type_name(Json::object()), "map[string]interface {}");
}

}  // namespace
}  // namespace berth::cli
