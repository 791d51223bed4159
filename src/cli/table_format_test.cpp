#include "cli/table_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::cli {
namespace {

TEST(ParseFormat, TablePrefix) {
    FormatSpec spec = parse_format(R"(table {{.ID}}\t{{.Image}})");
    EXPECT_TRUE(spec.table);
    EXPECT_EQ(spec.body, "{{.ID}}\t{{.Image}}");
}

TEST(ParseFormat, TableAloneMeansDefaultColumns) {
    FormatSpec spec = parse_format("table");
    EXPECT_TRUE(spec.table);
    EXPECT_EQ(spec.body, "");
}

TEST(ParseFormat, JsonShorthand) {
    FormatSpec spec = parse_format("json");
    EXPECT_FALSE(spec.table);
    EXPECT_EQ(spec.body, "{{json .}}");
}

TEST(ParseFormat, PlainTemplateTrimmedAndUnescaped) {
    FormatSpec spec = parse_format(R"(  {{.ID}}\n{{.Names}}\t. )");
    EXPECT_FALSE(spec.table);
    EXPECT_EQ(spec.body, "{{.ID}}\n{{.Names}}\t.");
    // Real tabs and other backslashes pass through.
    EXPECT_EQ(parse_format("{{.A}}\t\\x").body, "{{.A}}\t\\x");
}

struct TableCase {
    std::string name;
    std::vector<std::vector<std::string>> rows;
    std::string want;
};

void PrintTo(const TableCase& c, std::ostream* os) {
    *os << c.name;
}

class RendersTable : public ::testing::TestWithParam<TableCase> {};

TEST_P(RendersTable, AsDockersTabwriter) {
    EXPECT_EQ(render_table(GetParam().rows), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RendersTable,
    ::testing::Values(
        // Widest cell plus 3; the last column is never padded.
        TableCase{"WidestPlusPadding",
                  {{"CONTAINER ID", "IMAGE", "NAMES"}, {"4f2a9c0d1e7b", "busybox", "web"}},
                  "CONTAINER ID   IMAGE     NAMES\n"
                  "4f2a9c0d1e7b   busybox   web\n"},
        TableCase{"MinimumWidthTen", {{"a", "b"}, {"cc", "d"}}, "a         b\ncc        d\n"},
        TableCase{"SingleColumn", {{"one"}, {"two"}}, "one\ntwo\n"},
        TableCase{"EmptyCells", {{"", "x"}, {"y", ""}}, "          x\ny         \n"},
        TableCase{"Utf8CountsCharacters",
                  {{"caf\xc3\xa9", "x"}, {"abcdefghijk", "y"}},
                  "caf\xc3\xa9          x\nabcdefghijk   y\n"},
        // A line with fewer cells ends the block of the columns it lacks: the widths
        // before and after it are computed separately.
        TableCase{"BlocksSplitByShortLines",
                  {{"a", "b", "c"}, {"only"}, {"longer-cell", "y"}},
                  "a         b         c\n"
                  "only\n"
                  "longer-cell   y\n"},
        TableCase{"InnerColumnBlocks",
                  {{"k", "a-much-longer-cell", "x"}, {"k", "v"}, {"k", "w", "z"}},
                  "k         a-much-longer-cell   x\n"
                  "k         v\n"
                  "k         w         z\n"},
        TableCase{"EmptyRow", {{"a", "b"}, {}}, "a         b\n\n"}));

TEST(Tabwrite, TextWithTabsAndNewlines) {
    EXPECT_EQ(tabwrite("NAME\tSIZE\nbusybox\t4.26MB\nalpine-with-long-name\t7.8MB\n"),
              "NAME                    SIZE\n"
              "busybox                 4.26MB\n"
              "alpine-with-long-name   7.8MB\n");
}

TEST(Tabwrite, TrailingTabPadsTheLastCell) {
    EXPECT_EQ(tabwrite("a\tb\t\n"), "a         b         \n");
}

TEST(Tabwrite, TextAfterLastNewlineStaysUnterminated) {
    EXPECT_EQ(tabwrite("a\tb"), "a         b");
    EXPECT_EQ(tabwrite(""), "");
    EXPECT_EQ(tabwrite("plain\n"), "plain\n");
}

}  // namespace
}  // namespace berth::cli
