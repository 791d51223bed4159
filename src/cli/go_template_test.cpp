#include "cli/go_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/table_format.h"

namespace berth::cli {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

// A container as `docker ps` and `docker inspect` templates see it.
const Json& container() {
    static const Json data = Json::parse(R"({
        "ID": "4f2a9c0d1e7b8a6f5c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
        "Image": "busybox:latest",
        "Names": ["web", "web-alias"],
        "Labels": {"maintainer": "me", "com.example": "yes"},
        "State": "running",
        "Ports": [],
        "Size": 1234,
        "Ratio": 0.5,
        "Whole": 2.0,
        "Big": 1e6,
        "Negative": -3,
        "Running": true,
        "Stopped": false,
        "Nested": {"A": {"B": "deep"}},
        "Mounts": [{"Source": "/srv", "Destination": "/data"}],
        "Empty": "",
        "Zero": 0,
        "Null": null,
        "Html": "<a & b>"
    })");
    return data;
}

struct RenderCase {
    std::string name;
    std::string text;
    std::string want;
};

void PrintTo(const RenderCase& c, std::ostream* os) {
    *os << c.name;
}

std::string case_name(const ::testing::TestParamInfo<RenderCase>& info) {
    return info.param.name;
}

class Renders : public ::testing::TestWithParam<RenderCase> {};

TEST_P(Renders, AsGoTemplateDoes) {
    const RenderCase& c = GetParam();
    auto tmpl = Template::parse(c.text);
    ASSERT_TRUE(tmpl) << c.text << ": " << tmpl.error().message();
    auto out = tmpl->render(container());
    ASSERT_TRUE(out) << c.text << ": " << out.error().message();
    EXPECT_EQ(*out, c.want) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, Renders,
    ::testing::Values(
        RenderCase{"Literal", "plain text", "plain text"}, RenderCase{"Empty", "", ""},
        RenderCase{"Field", "{{.Image}}", "busybox:latest"},
        RenderCase{"FieldInText", "image={{.Image}};", "image=busybox:latest;"},
        RenderCase{"Nested", "{{.Nested.A.B}}", "deep"},
        RenderCase{"Missing", "{{.Missing}}", "<no value>"},
        RenderCase{"MissingNested", "{{.Missing.Deeper.Still}}", "<no value>"},
        RenderCase{"Null", "{{.Null}}", "<no value>"}, RenderCase{"Integer", "{{.Size}}", "1234"},
        RenderCase{"Negative", "{{.Negative}}", "-3"}, RenderCase{"Float", "{{.Ratio}}", "0.5"},
        RenderCase{"WholeFloat", "{{.Whole}}", "2"}, RenderCase{"LargeFloat", "{{.Big}}", "1e+06"},
        RenderCase{"Bool", "{{.Running}} {{.Stopped}}", "true false"},
        RenderCase{"Array", "{{.Names}}", "[web web-alias]"},
        RenderCase{"EmptyArray", "{{.Ports}}", "[]"},
        RenderCase{"Map", "{{.Labels}}", "map[com.example:yes maintainer:me]"},
        RenderCase{"ArrayOfMaps", "{{.Mounts}}", "[map[Destination:/data Source:/srv]]"},
        RenderCase{"Root", "{{$.State}}", "running"}, RenderCase{"Html", "{{.Html}}", "<a & b>"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    Functions, Renders,
    ::testing::Values(
        RenderCase{"Json", "{{json .Labels}}", R"({"com.example":"yes","maintainer":"me"})"},
        RenderCase{"JsonArray", "{{json .Names}}", R"(["web","web-alias"])"},
        RenderCase{"JsonString", "{{json .Html}}", R"("<a & b>")"},
        RenderCase{"JsonNumbers", "{{json .Size}} {{json .Whole}} {{json .Ratio}}", "1234 2 0.5"},
        RenderCase{"JsonMissing", "{{json .Missing}}", "null"},
        RenderCase{"JsonNested", "{{json .Mounts}}",
                   R"([{"Destination":"/data","Source":"/srv"}])"},
        RenderCase{"Join", R"({{join .Names ", "}})", "web, web-alias"},
        RenderCase{"JoinMissing", R"({{join .Missing ","}})", ""},
        RenderCase{"Split", R"({{split "a,b,c" ","}})", "[a b c]"},
        RenderCase{"SplitIndex", R"({{index (split .Image ":") 1}})", "latest"},
        RenderCase{"Upper", "{{upper .State}}", "RUNNING"},
        RenderCase{"Lower", R"({{lower "MiXeD"}})", "mixed"},
        RenderCase{"Title", R"({{title "hello wide-world_x"}})", "Hello Wide-World_x"},
        RenderCase{"Truncate", "{{truncate .ID 12}}", "4f2a9c0d1e7b"},
        RenderCase{"TruncateShort", "{{truncate .State 100}}", "running"},
        RenderCase{"Pad", "[{{pad .State 1 2}}]", "[ running  ]"},
        RenderCase{"PadEmpty", "[{{pad .Empty 1 2}}]", "[]"},
        RenderCase{"Println", "{{println .State}}", "running\n"},
        RenderCase{"Print", R"({{print 1 2 "a" 3}})", "1 2a3"},
        RenderCase{"Printf", R"t({{printf "%s has %d bytes (%.1f)" .Image .Size .Ratio}})t",
                   "busybox:latest has 1234 bytes (0.5)"},
        RenderCase{"PrintfWidth", R"([{{printf "%-8s|%5d" .State .Zero}}])", "[running |    0]"},
        RenderCase{"IndexMap", R"({{index .Labels "com.example"}})", "yes"},
        RenderCase{"IndexMissing", R"({{index .Labels "nope"}})", "<no value>"},
        RenderCase{"IndexArray", "{{index .Names 1}}", "web-alias"},
        RenderCase{"IndexNested", R"({{index .Mounts 0 "Source"}})", "/srv"},
        RenderCase{"Len", "{{len .Names}} {{len .Labels}} {{len .State}}", "2 2 7"},
        RenderCase{"Slice", "{{slice .State 0 3}} {{slice .Names 1}}", "run [web-alias]"},
        RenderCase{"Eq", R"({{eq .State "running"}} {{eq .State "exited" "running"}})",
                   "true true"},
        RenderCase{"EqNumbers", "{{eq .Size 1234}} {{eq .Whole 2}}", "true true"},
        RenderCase{"EqMissing", R"({{eq .Missing "x"}})", "false"},
        RenderCase{"Ne", R"({{ne .State "exited"}})", "true"},
        RenderCase{"Ordering", "{{lt .Zero 1}} {{le 2 2}} {{gt .Size 1000}} {{ge .Ratio 1}}",
                   "true true true false"},
        RenderCase{"OrderingStrings", R"({{lt "abc" "abd"}})", "true"},
        RenderCase{"And", "{{and .Running .State}} {{and .Empty .State}}", "running "},
        RenderCase{"Or", R"({{or .Empty "default"}} {{or .State "x"}})", "default running"},
        RenderCase{"Not", "{{not .Running}} {{not .Empty}}", "false true"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    Control, Renders,
    ::testing::Values(
        RenderCase{"Range", "{{range .Names}}[{{.}}]{{end}}", "[web][web-alias]"},
        RenderCase{"RangeKeyValue", "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}",
                   "com.example=yes;maintainer=me;"},
        RenderCase{"RangeIndex", "{{range $i, $n := .Names}}{{$i}}:{{$n}} {{end}}",
                   "0:web 1:web-alias "},
        RenderCase{"RangeOneVariable", "{{range $n := .Names}}{{$n}},{{end}}", "web,web-alias,"},
        RenderCase{"RangeElse", "{{range .Ports}}port{{else}}none{{end}}", "none"},
        RenderCase{"RangeMissing", "{{range .Missing}}x{{else}}nothing{{end}}", "nothing"},
        RenderCase{"RangeFields", "{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}}",
                   "/srv:/data"},
        RenderCase{"RangeRoot", "{{range .Names}}{{$.State}} {{end}}", "running running "},
        RenderCase{"RangeInt", "{{range 3}}{{.}}{{end}}", "012"},
        RenderCase{"Break",
                   R"({{range .Names}}{{if eq . "web-alias"}}{{break}}{{end}}{{.}};{{end}})",
                   "web;"},
        RenderCase{"Continue",
                   R"({{range .Names}}{{if eq . "web"}}{{continue}}{{end}}{{.}};{{end}})",
                   "web-alias;"},
        RenderCase{"If", "{{if .Running}}up{{end}}", "up"},
        RenderCase{"IfElse", "{{if .Stopped}}down{{else}}up{{end}}", "up"},
        RenderCase{"IfElseIf",
                   R"({{if eq .State "exited"}}x{{else if eq .State "running"}}r{{else}}?{{end}})",
                   "r"},
        RenderCase{"IfFalsy",
                   "{{if .Empty}}a{{end}}{{if .Zero}}b{{end}}{{if .Ports}}c{{end}}"
                   "{{if .Missing}}d{{end}}{{if .Null}}e{{end}}",
                   ""},
        RenderCase{"IfTruthy",
                   "{{if .Names}}a{{end}}{{if .Labels}}b{{end}}{{if .Size}}c{{end}}"
                   "{{if .Ratio}}d{{end}}",
                   "abcd"},
        RenderCase{"IfAnd", "{{if and .Running (not .Empty)}}ok{{end}}", "ok"},
        RenderCase{"IfVariable", "{{if $s := .State}}{{$s}}{{end}}", "running"},
        RenderCase{"With", "{{with .Nested.A}}{{.B}}{{end}}", "deep"},
        RenderCase{"WithElse", "{{with .Missing}}{{.}}{{else}}none{{end}}", "none"},
        RenderCase{"WithElseWith", "{{with .Missing}}a{{else with .State}}{{.}}{{end}}",
                   "running"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    Syntax, Renders,
    ::testing::Values(
        RenderCase{"Pipeline", "{{.State | upper}}", "RUNNING"},
        RenderCase{"PipelineChain", R"({{.Image | printf "%s!" | upper}})", "BUSYBOX:LATEST!"},
        RenderCase{"PipelineLastArgument", R"({{"x" | printf "%s-%s" "y"}})", "y-x"},
        RenderCase{"Group", "{{(index .Names 0) | upper}}", "WEB"},
        RenderCase{"GroupField", R"({{(index .Nested "A").B}})", "deep"},
        RenderCase{"Variable", "{{$x := .State}}{{$x}}", "running"},
        RenderCase{"VariableField", "{{$n := .Nested}}{{$n.A.B}}", "deep"},
        RenderCase{"Assign", "{{$x := 1}}{{$x = 2}}{{$x}}", "2"},
        RenderCase{"AssignInRange",
                   "{{$last := \"\"}}{{range .Names}}{{$last = .}}{{end}}{{$last}}", "web-alias"},
        RenderCase{"Dot", "{{with .Image}}{{.}}{{end}}", "busybox:latest"},
        RenderCase{"StringLiteral", R"({{"a\tb\u00e9\x41"}})",
                   "a\tb\xc3\xa9"
                   "A"},
        RenderCase{"RawString", "{{`a\\n{{b}}`}}", "a\\n{{b}}"},
        RenderCase{"CharLiteral", "{{'A'}} {{printf \"%c\" 'B'}}", "65 B"},
        RenderCase{"Numbers", "{{1.0}} {{-7}} {{0x1F}} {{1e3}} {{1_000}}", "1 -7 31 1000 1000"},
        RenderCase{"Nil", "{{print nil}}", "<nil>"},
        RenderCase{"Comment", "a{{/* a comment */}}b", "ab"},
        RenderCase{"CommentTrimmed", "a \n{{- /* a comment */ -}}\n b", "ab"},
        RenderCase{"TrimLeft", "a  \n {{- .State}}", "arunning"},
        RenderCase{"TrimRight", "{{.State -}} \n b", "runningb"},
        RenderCase{"TrimBoth", "{{range .Names -}}\n  {{.}}\n{{- end}}", "webweb-alias"},
        RenderCase{"NegativeNumberIsNoTrim", "{{-3}}", "-3"},
        RenderCase{"SpacesInAction", "{{  .State  }}", "running"},
        RenderCase{"NewlinesInAction", "{{index\n  .Names\n  0}}", "web"}),
    case_name);

// What docker's own ps, images and inspect formats print.
INSTANTIATE_TEST_SUITE_P(
    DockerFormats, Renders,
    ::testing::Values(
        RenderCase{"PsRow", "{{truncate .ID 12}}\t{{.Image}}\t{{.State}}\t{{join .Names \",\"}}",
                   "4f2a9c0d1e7b\tbusybox:latest\trunning\tweb,web-alias"},
        RenderCase{"InspectMounts",
                   "{{range .Mounts}}{{.Source}} -> {{.Destination}}{{println}}{{end}}",
                   "/srv -> /data\n"},
        RenderCase{"InspectLabelsJson", "{{json .Labels}}",
                   R"({"com.example":"yes","maintainer":"me"})"},
        RenderCase{"LabelList", "{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}",
                   "com.example=yes,maintainer=me,"}),
    case_name);

struct ErrorCase {
    std::string name;
    std::string text;
    std::string want;  // the whole message
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
    *os << c.name;
}

std::string error_case_name(const ::testing::TestParamInfo<ErrorCase>& info) {
    return info.param.name;
}

class RejectsAtParse : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RejectsAtParse, WithGoStyleMessage) {
    const ErrorCase& c = GetParam();
    auto tmpl = Template::parse(c.text);
    ASSERT_FALSE(tmpl) << c.text;
    EXPECT_EQ(tmpl.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(tmpl.error().message(), c.want) << c.text;
}

const std::string kParse = "template parsing error: template: ";

INSTANTIATE_TEST_SUITE_P(
    Template, RejectsAtParse,
    ::testing::Values(
        ErrorCase{"UnknownFunction", "{{foo .X}}", kParse + ":1: function \"foo\" not defined"},
        ErrorCase{"UnclosedAction", "{{.Name", kParse + ":1: unclosed action"},
        ErrorCase{"MissingEnd", "{{if .X}}yes", kParse + ":1: unexpected EOF"},
        ErrorCase{"MissingEndOfElse", "{{range .X}}a{{else}}b", kParse + ":1: unexpected EOF"},
        ErrorCase{"StrayEnd", "text{{end}}", kParse + ":1: unexpected {{end}}"},
        ErrorCase{"StrayElse", "{{else}}", kParse + ":1: unexpected {{else}}"},
        ErrorCase{"TwoElses", "{{if .X}}{{else}}{{else}}{{end}}",
                  kParse + ":1: expected end; found {{else}}"},
        ErrorCase{"UndefinedVariable", "{{$x}}", kParse + ":1: undefined variable \"$x\""},
        ErrorCase{"VariableOutOfScope", "{{range $v := .X}}{{end}}{{$v}}",
                  kParse + ":1: undefined variable \"$v\""},
        ErrorCase{"EmptyAction", "{{}}", kParse + ":1: missing value for command"},
        ErrorCase{"EmptyIf", "{{if}}{{end}}", kParse + ":1: missing value for if"},
        ErrorCase{"EmptyPipe", "{{.X |}}", kParse + ":1: missing value for command"},
        ErrorCase{"BreakOutsideRange", "{{break}}", kParse + ":1: {{break}} outside {{range}}"},
        ErrorCase{"NonExecutableStage", "line one\n{{.A | \"x\"}}",
                  kParse + ":2: non executable command in pipeline stage 2"},
        ErrorCase{"UnterminatedString", "{{\"abc}}", kParse + ":1: unterminated quoted string"},
        ErrorCase{"BadEscape", R"({{"\q"}})", kParse + ":1: invalid syntax"},
        ErrorCase{"BadCharacter", "{{.X=1}}", kParse + ":1: bad character U+003D '='"},
        ErrorCase{"UnclosedParen", "{{(.X}}", kParse + ":1: unclosed left paren"},
        ErrorCase{"UnexpectedParen", "{{.X)}}", kParse + ":1: unexpected right paren"},
        ErrorCase{"FieldOfLiteral", "{{\"x\".Y}}",
                  kParse + ":1: unexpected . after term \"\\\"x\\\"\""},
        ErrorCase{"UnclosedComment", "{{/* x }}", kParse + ":1: unclosed comment"},
        ErrorCase{"Define", "{{define \"x\"}}{{end}}", kParse + ":1: {{define}} is not supported"}),
    error_case_name);

class RejectsAtRender : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RejectsAtRender, WithGoStyleMessage) {
    const ErrorCase& c = GetParam();
    auto tmpl = Template::parse(c.text);
    ASSERT_TRUE(tmpl) << c.text << ": " << tmpl.error().message();
    auto out = tmpl->render(container());
    ASSERT_FALSE(out) << c.text << " rendered " << *out;
    EXPECT_EQ(out.error().message(), c.want) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Template, RejectsAtRender,
    ::testing::Values(
        ErrorCase{"FieldOfArray", "{{.Names.First}}",
                  kParse + ":1:2: executing \"\" at <.Names.First>: can't evaluate field First in "
                           "type []interface {}"},
        ErrorCase{"FieldOfString", "x\n  {{.State.Code}}",
                  kParse + ":2:4: executing \"\" at <.State.Code>: can't evaluate field Code in "
                           "type string"},
        ErrorCase{"IndexOutOfRange", "{{index .Names 5}}",
                  kParse + ":1:2: executing \"\" at <index .Names 5>: error calling index: index "
                           "out of range: 5"},
        ErrorCase{"WrongType", "{{upper .Size}}",
                  kParse + ":1:2: executing \"\" at <upper .Size>: wrong type for value; expected "
                           "string; got int"},
        ErrorCase{"WrongArgCount", "{{truncate .ID}}",
                  kParse + ":1:2: executing \"\" at <truncate .ID>: wrong number of args for "
                           "truncate: want 2 got 1"},
        ErrorCase{"ArgumentsToField", "{{.State 1}}",
                  kParse + ":1:2: executing \"\" at <.State>: State is not a method but has "
                           "arguments"},
        ErrorCase{"ArgumentsToLiteral", "{{\"x\" 1}}",
                  kParse + ":1:2: executing \"\" at <\"x\">: can't give argument to non-function "
                           "\"x\""},
        ErrorCase{"RangeOverString", "{{range .State}}{{end}}",
                  kParse + ":1:8: executing \"\" at <.State>: range can't iterate over running"},
        ErrorCase{"IncomparableTypes", "{{eq .State 1}}",
                  kParse + ":1:2: executing \"\" at <eq .State 1>: error calling eq: incompatible "
                           "types for comparison"},
        ErrorCase{"LongNodeIsCut", "{{index .Names 1 2 3 4 5 6}}",
                  kParse + ":1:2: executing \"\" at <index .Names 1 2 3 4...>: error calling "
                           "index: can't index item of type int"}),
    error_case_name);

TEST(Template, RendersManyTimes) {
    auto tmpl = Template::parse("{{.Name}}:{{range .Tags}}{{.}},{{end}}");
    ASSERT_TRUE(tmpl);
    Template copy = *tmpl;
    EXPECT_EQ(*tmpl->render(Json{{"Name", "a"}, {"Tags", {"x", "y"}}}), "a:x,y,");
    EXPECT_EQ(*copy.render(Json{{"Name", "b"}, {"Tags", Json::array()}}), "b:");
}

TEST(Template, VariablesDoNotLeakBetweenRenders) {
    auto tmpl = Template::parse("{{$x := .A}}{{$x}}");
    ASSERT_TRUE(tmpl);
    EXPECT_EQ(*tmpl->render(Json{{"A", 1}}), "1");
    EXPECT_EQ(*tmpl->render(Json{{"A", 2}}), "2");
}

TEST(Template, HeaderRowKeepsTitlesThroughDockerFunctions) {
    auto tmpl = Template::parse(
        "{{truncate .ID 12}}\t{{upper .Image}}\t{{join .Names \",\"}}\t{{pad .Status 1 1}}\t"
        "{{json .Labels}}");
    ASSERT_TRUE(tmpl) << tmpl.error().message();
    Json headers = {{"ID", "CONTAINER ID"},
                    {"Image", "IMAGE"},
                    {"Names", "NAMES"},
                    {"Status", "STATUS"},
                    {"Labels", "LABELS"}};
    auto header = tmpl->render_header(headers);
    ASSERT_TRUE(header) << header.error().message();
    EXPECT_EQ(*header, "CONTAINER ID\tIMAGE\tNAMES\tSTATUS\tLABELS");
}

// `docker ps --format 'table {{.ID}}\t{{.Image}}\t{{.Status}}\t{{.Names}}'` end to end: the
// header from the template, one line per container, aligned as docker aligns them.
TEST(Template, DockerPsTable) {
    FormatSpec spec =
        parse_format(R"(table {{truncate .ID 12}}\t{{.Image}}\t{{.Status}}\t{{.Names}})");
    ASSERT_TRUE(spec.table);
    auto tmpl = Template::parse(spec.body);
    ASSERT_TRUE(tmpl) << tmpl.error().message();
    Json headers = {
        {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Status", "STATUS"}, {"Names", "NAMES"}};
    std::vector<Json> containers = {
        {{"ID", "4f2a9c0d1e7b8a6f"},
         {"Image", "busybox"},
         {"Status", "Up 2 minutes"},
         {"Names", "web"}},
        {{"ID", "9b8c7d6e5f4a3b2c"},
         {"Image", "registry.example.com/team/app:1.2"},
         {"Status", "Exited (0) 5 seconds ago"},
         {"Names", "worker"}},
    };
    std::string text = *tmpl->render_header(headers) + "\n";
    for (const Json& c : containers)
        text += *tmpl->render(c) + "\n";
    EXPECT_EQ(
        tabwrite(text),
        "CONTAINER ID   IMAGE                               STATUS                     NAMES\n"
        "4f2a9c0d1e7b   busybox                             Up 2 minutes               web\n"
        "9b8c7d6e5f4a   registry.example.com/team/app:1.2   Exited (0) 5 seconds ago   "
        "worker\n");
}

TEST(Template, DockerImagesJsonLines) {
    FormatSpec spec = parse_format("json");
    EXPECT_FALSE(spec.table);
    auto tmpl = Template::parse(spec.body);
    ASSERT_TRUE(tmpl);
    Json image = {{"Repository", "busybox"}, {"Tag", "latest"}, {"Size", "4.26MB"}};
    EXPECT_EQ(*tmpl->render(image), R"({"Repository":"busybox","Size":"4.26MB","Tag":"latest"})");
}

}  // namespace
}  // namespace berth::cli
