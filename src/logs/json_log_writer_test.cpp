#include "logs/json_log_writer.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include "base/test_support.h"

#include <csignal>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/fs.h"

namespace berth::logs {
namespace {

// 2026-11-28T07:42:00Z
constexpr time_t kBase = 1795851720;

timespec at(time_t sec, long nsec = 0) {
    return timespec{kBase + sec, nsec};
}

std::string escaped(std::string_view bytes) {
    std::string out;
    append_json_string(out, bytes);
    return out;
}

std::string time_text(timespec t, bool fixed = false) {
    std::string out;
    append_rfc3339_nano(out, t, fixed);
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(text.substr(start, nl - start));
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

class JsonLogWriterTest : public ::testing::Test {
  protected:
    JsonLogWriter open(JsonLogOptions options = {}) {
        auto writer = JsonLogWriter::open(path_, options);
        EXPECT_TRUE(writer) << writer.error().message();
        return std::move(*writer);
    }
    std::string contents(const std::string& path) {
        auto text = read_file(path);
        return text ? *text : std::string("<missing>");
    }

    TempDir dir_{"berth-jsonlog"};
    std::string path_ = dir_ / "c-json.log";
};

TEST(JsonLogEscape, PlainTextIsCopied) {
    EXPECT_EQ(escaped("hello world"), R"("hello world")");
    EXPECT_EQ(escaped(""), R"("")");
}

TEST(JsonLogEscape, QuotesBackslashNewlineReturn) {
    EXPECT_EQ(escaped("a\"b\\c\nd\re"), R"("a\"b\\c\nd\re")");
}

TEST(JsonLogEscape, OtherControlBytesAsUnicodeEscapes) {
    // dockerd's writer has no short form for tab, unlike encoding/json.
    EXPECT_EQ(escaped("\t"), R"("\u0009")");
    EXPECT_EQ(escaped(std::string("\0\x01\x1b\x1f", 4)), R"("\u0000\u0001\u001b\u001f")");
    EXPECT_EQ(escaped("\x7f"), "\"\x7f\"");  // DEL is printable to JSON
}

TEST(JsonLogEscape, HtmlCharacters) {
    EXPECT_EQ(escaped("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
}

TEST(JsonLogEscape, LineAndParagraphSeparators) {
    EXPECT_EQ(escaped("a\u2028b\u2029c"), R"("a\u2028b\u2029c")");
}

TEST(JsonLogEscape, ValidUtf8IsKeptRaw) {
    EXPECT_EQ(escaped("héllo ✓ 😀 \uFFFD"), "\"héllo ✓ 😀 \uFFFD\"");
}

TEST(JsonLogEscape, InvalidUtf8BytesBecomeReplacementCharacters) {
    EXPECT_EQ(escaped("a\xff"
                      "b"),
              R"("a\ufffdb")");
    EXPECT_EQ(escaped("\xc3"), R"("\ufffd")");                      // truncated sequence
    EXPECT_EQ(escaped("\xe2\x82"), R"("\ufffd\ufffd")");            // one per byte, as Go
    EXPECT_EQ(escaped("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
    EXPECT_EQ(escaped("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
}

TEST(JsonLogTime, TrimsTrailingZerosLikeRfc3339Nano) {
    EXPECT_EQ(time_text(at(0, 123456789)), "2026-11-28T07:42:00.123456789Z");
    EXPECT_EQ(time_text(at(0, 120000000)), "2026-11-28T07:42:00.12Z");
    EXPECT_EQ(time_text(at(0, 1000)), "2026-11-28T07:42:00.000001Z");
    EXPECT_EQ(time_text(at(0, 0)), "2026-11-28T07:42:00Z");
}

TEST(JsonLogTime, FixedWidthKeepsNineDigits) {
    EXPECT_EQ(time_text(at(0, 120000000), true), "2026-11-28T07:42:00.120000000Z");
    EXPECT_EQ(time_text(at(0, 0), true), "2026-11-28T07:42:00.000000000Z");
}

TEST(JsonLogOptions, Defaults) {
    auto options = parse_json_log_options({});
    ASSERT_TRUE(options);
    EXPECT_EQ(options->max_size, -1);
    EXPECT_EQ(options->max_file, 1);
}

TEST(JsonLogOptions, SizesInDockerDecimalUnits) {
    auto size = [](std::string text) -> int64_t {
        auto options = parse_json_log_options({{"max-size", text}});
        return options ? options->max_size : -2;
    };
    EXPECT_EQ(size("100"), 100);
    EXPECT_EQ(size("1k"), 1000);
    EXPECT_EQ(size("10m"), 10'000'000);
    EXPECT_EQ(size("10M"), 10'000'000);
    EXPECT_EQ(size("2g"), 2'000'000'000);
    EXPECT_EQ(size("1kb"), 1000);
    EXPECT_EQ(size("1KiB"), 1000);  // go-units' FromHumanSize: decimal even with "iB"
    EXPECT_EQ(size("1.5k"), 1500);
    EXPECT_EQ(size("20 MB"), 20'000'000);
    EXPECT_EQ(size("-1"), -1);
}

TEST(JsonLogOptions, BadSizes) {
    auto error = [](std::string text) {
        auto options = parse_json_log_options({{"max-size", text}});
        return options ? std::string("ok") : options.error().message();
    };
    EXPECT_EQ(error("abc"), "max-size: invalid size: 'abc'");
    EXPECT_EQ(error("10x"), "max-size: invalid suffix: 'x'");
    EXPECT_EQ(error("10mm"), "max-size: invalid suffix: 'mm'");
    EXPECT_EQ(error("0"), "max-size must be a positive number");
    EXPECT_EQ(error("-5"), "max-size: invalid size: '-5'");
}

TEST(JsonLogOptions, MaxFile) {
    auto options = parse_json_log_options({{"max-size", "1m"}, {"max-file", "3"}});
    ASSERT_TRUE(options);
    EXPECT_EQ(options->max_size, 1'000'000);
    EXPECT_EQ(options->max_file, 3);
    auto zero = parse_json_log_options({{"max-file", "0"}});
    ASSERT_FALSE(zero);
    EXPECT_EQ(zero.error().message(), "max-file cannot be less than 1");
    auto text = parse_json_log_options({{"max-file", "three"}});
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().kind(), ErrorKind::InvalidArgument);
}

TEST(JsonLogOptions, Compress) {
    EXPECT_TRUE(parse_json_log_options({{"compress", "false"}}));
    auto on = parse_json_log_options({{"max-size", "1m"}, {"max-file", "3"}, {"compress", "true"}});
    ASSERT_FALSE(on);
    EXPECT_NE(on.error().message().find("not supported yet"), std::string::npos);
    auto pointless = parse_json_log_options({{"compress", "true"}});
    ASSERT_FALSE(pointless);
    EXPECT_EQ(pointless.error().message(),
              "compress cannot be true when max-file is less than 2 or max-size is not set");
    EXPECT_FALSE(parse_json_log_options({{"compress", "maybe"}}));
}

TEST(JsonLogOptions, UnknownOptionNamed) {
    auto options = parse_json_log_options({{"max-size", "1m"}, {"foo", "bar"}});
    ASSERT_FALSE(options);
    EXPECT_EQ(options.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(options.error().message(), "unknown log opt 'foo' for json-file log driver");
}

TEST(JsonLogOptions, DockerCommonAttributesAccepted) {
    EXPECT_TRUE(parse_json_log_options({{"tag", "{{.Name}}"}, {"labels", "a,b"}, {"env", "X"}}));
}

TEST_F(JsonLogWriterTest, WritesDockerEntries) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "hello\n", at(0, 123456789)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "oops\tfail\n", at(1, 500000000)));
    EXPECT_EQ(contents(path_),
              "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T07:42:00."
              "123456789Z\"}\n"
              "{\"log\":\"oops\\u0009fail\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-28T07:42:"
              "01.5Z\"}\n");
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(JsonLogWriterTest, SplitsOnNewlinesAcrossWrites) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "a\nb", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "c\n\nd", at(1)));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], R"({"log":"a\n","stream":"stdout","time":"2026-11-28T07:42:00Z"})");
    EXPECT_EQ(lines[1], R"({"log":"bc\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})");
    EXPECT_EQ(lines[2], R"({"log":"\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})");
}

TEST_F(JsonLogWriterTest, EachStreamHasItsOwnPartialLine) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "out-", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "err-", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "line\n", at(1)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "line\n", at(2)));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], R"({"log":"out-line\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})");
    EXPECT_EQ(lines[1], R"({"log":"err-line\n","stream":"stderr","time":"2026-11-28T07:42:02Z"})");
}

TEST_F(JsonLogWriterTest, LongLinesAreCutInto16KiBPartials) {
    auto writer = open();
    std::string line(kMaxLogLine * 2 + 10, 'x');
    // Fed in odd pieces, as reads from a pipe come.
    std::string data = line + "\n";
    for (size_t i = 0; i < data.size(); i += 3000)
        ASSERT_TRUE(writer.write(LogStream::Stdout, std::string_view(data).substr(i, 3000),
                                 at(static_cast<time_t>(i / 3000))));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 3u);
    std::string x16k(kMaxLogLine, 'x');
    // Every piece carries the time of the first one, as docker's copier does.
    EXPECT_EQ(lines[0],
              "{\"log\":\"" + x16k + "\",\"stream\":\"stdout\",\"time\":\"2026-11-28T07:42:05Z\"}");
    EXPECT_EQ(lines[1],
              "{\"log\":\"" + x16k + "\",\"stream\":\"stdout\",\"time\":\"2026-11-28T07:42:05Z\"}");
    EXPECT_EQ(lines[2],
              "{\"log\":\"xxxxxxxxxx\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T07:"
              "42:05Z\"}");
}

TEST_F(JsonLogWriterTest, LineOfExactly16KiBIsAPartialThenAnEmptyLine) {
    auto writer = open();
    std::string data(kMaxLogLine - 1, 'y');
    ASSERT_TRUE(writer.write(LogStream::Stdout, data + "\n", at(0)));  // fits: one entry
    std::string full(kMaxLogLine, 'z');
    ASSERT_TRUE(writer.write(LogStream::Stdout, full + "\nnext\n", at(1)));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0].substr(0, 9), "{\"log\":\"y");
    EXPECT_NE(lines[0].find("yy\\n\""), std::string::npos);
    EXPECT_EQ(lines[1],
              "{\"log\":\"" + full + "\",\"stream\":\"stdout\",\"time\":\"2026-11-28T07:42:01Z\"}");
    EXPECT_EQ(lines[2], R"({"log":"\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})");
    EXPECT_EQ(lines[3], R"({"log":"next\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})");
}

TEST_F(JsonLogWriterTest, EndOfStreamWritesTheRestWithoutNewline) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "done\nno newline", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "err rest", at(1)));
    ASSERT_TRUE(writer.flush_partial(at(2)));
    ASSERT_TRUE(writer.flush_partial(at(3)));  // nothing left: nothing written
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1], R"({"log":"no newline","stream":"stdout","time":"2026-11-28T07:42:02Z"})");
    EXPECT_EQ(lines[2], R"({"log":"err rest","stream":"stderr","time":"2026-11-28T07:42:02Z"})");
}

TEST_F(JsonLogWriterTest, ContinuesAnExistingFileAndEndsATornLine) {
    ASSERT_TRUE(write_file(path_, "{\"log\":\"torn", 0640));
    {
        auto writer = open();
        ASSERT_TRUE(writer.write(LogStream::Stdout, "after\n", at(0)));
    }
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "again\n", at(1)));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "{\"log\":\"torn");
    EXPECT_EQ(lines[1], R"({"log":"after\n","stream":"stdout","time":"2026-11-28T07:42:00Z"})");
    EXPECT_EQ(lines[2], R"({"log":"again\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})");
}

// A write the file system takes only in part (a full disk; here the file size limit, which
// behaves alike: a short write, then an error) leaves no torn entry behind.
TEST_F(JsonLogWriterTest, APartlyWrittenEntryIsCutOff) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "before\n", at(0)));
    size_t size = contents(path_).size();
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit old_limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    rlimit limit = old_limit;
    limit.rlim_cur = size + 20;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
    auto failed = writer.write(LogStream::Stdout, "this entry does not fit\n", at(1));
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
    std::signal(SIGXFSZ, old_handler);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message().find("write log entry to " + path_), std::string::npos);
    ASSERT_TRUE(writer.write(LogStream::Stdout, "after\n", at(2)));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], R"({"log":"before\n","stream":"stdout","time":"2026-11-28T07:42:00Z"})");
    EXPECT_EQ(lines[1], R"({"log":"after\n","stream":"stdout","time":"2026-11-28T07:42:02Z"})");
}

TEST_F(JsonLogWriterTest, RotationKeepsMaxFileFilesWithTheNewestLines) {
    // Entries of "line NN\n" are 68 bytes: two fit in 100 bytes, the third rotates.
    auto writer = open({.max_size = 100, .max_file = 3});
    for (int i = 0; i < 10; ++i) {
        char line[16];
        std::snprintf(line, sizeof line, "line %02d\n", i);
        ASSERT_TRUE(writer.write(LogStream::Stdout, line, at(i)));
    }
    auto logs = [&](const std::string& path) {
        std::string joined;
        for (auto& l : lines_of(contents(path)))
            joined += l.substr(8, 7) + ";";
        return joined;
    };
    // As docker: a file is rotated once it has reached max-size, before the next entry.
    EXPECT_EQ(logs(path_), "line 08;line 09;");
    EXPECT_EQ(logs(path_ + ".1"), "line 06;line 07;");
    EXPECT_EQ(logs(path_ + ".2"), "line 04;line 05;");
    EXPECT_FALSE(path_exists(path_ + ".3"));
}

TEST_F(JsonLogWriterTest, RotationWithOneFileStartsOver) {
    auto writer = open({.max_size = 10, .max_file = 1});
    ASSERT_TRUE(writer.write(LogStream::Stdout, "first\nsecond\n", at(0)));
    auto lines = lines_of(contents(path_));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("second"), std::string::npos);
    EXPECT_FALSE(path_exists(path_ + ".1"));
}

TEST_F(JsonLogWriterTest, UnlimitedSizeNeverRotates) {
    auto writer = open({.max_size = -1, .max_file = 5});
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(writer.write(LogStream::Stdout, "some line\n", at(i)));
    EXPECT_EQ(lines_of(contents(path_)).size(), 100u);
    EXPECT_FALSE(path_exists(path_ + ".1"));
}

TEST_F(JsonLogWriterTest, OpenFailsWithContext) {
    auto writer = JsonLogWriter::open(dir_ / "missing/dir/log", {});
    ASSERT_FALSE(writer);
    EXPECT_NE(writer.error().message().find("open log file"), std::string::npos);
}

}  // namespace
}  // namespace berth::logs
