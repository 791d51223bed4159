// --format templates: Template::parse must never crash on any text, and a parsed template renders
// (or fails with an error) against a small document like the ones `berth images` formats.
//
// The template language can ask for unbounded work: {{range 1000000000}}, a variable doubled in a
// loop, join/split squaring a string. Go's text/template (and so docker) does that work too; it is
// not a bug, so templates that could ask for it are parsed but not rendered (see cheap_to_render).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/go_template.h"
#include "fuzz_util.h"

namespace {

const nlohmann::json& document() {
    static const nlohmann::json doc = nlohmann::json::parse(R"({
        "ID": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "Repository": "busybox", "Tag": "latest", "Digest": "<none>",
        "Size": 4276000, "Created": 1700000000, "Ratio": 1.5, "Negative": -3, "Dangling": false,
        "Names": ["web", "db", ""], "Labels": {"com.example": "x", "a b": "c\td", "empty": ""},
        "Ports": [{"PrivatePort": 80, "Type": "tcp"}], "Nil": null,
        "Nested": {"A": {"B": ["é", "日本", 7]}}, "Mounts": []
    })");
    return doc;
}

size_t count(std::string_view text, std::string_view what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

// A bound on the work rendering can take, read off the text: few ranges and small numbers
// (range counts, printf widths, pad counts), few variable uses (each can double a string), at most
// one split (join of a split squares a string).
bool cheap_to_render(std::string_view text) {
    size_t ranges = count(text, "range");
    if (ranges > 2 || count(text, "$") > 4 || count(text, "split") > (ranges > 0 ? 0 : 1))
        return false;
    if (ranges > 0 && text.find('\'') != std::string_view::npos) return false;  // '\U0010ffff'
    size_t max_number = ranges > 0 ? 1 : 4;  // characters of one number-like word
    for (size_t i = 0; i < text.size();) {
        auto word = [&](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '_' || c == '.';
        };
        if (text[i] >= '0' && text[i] <= '9') {
            size_t start = i;
            while (i < text.size() && word(text[i]))
                ++i;
            if (i - start > max_number) return false;
        } else {
            ++i;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4096) return -1;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto tmpl = berth::cli::Template::parse(text);
    if (!tmpl) {
        FUZZ_CHECK(!tmpl.error().message().empty(), "empty parse error");
        return 0;
    }
    if (!cheap_to_render(text)) return 0;
    auto out = tmpl->render(document());
    if (!out) FUZZ_CHECK(!out.error().message().empty(), "empty render error");
    auto again = tmpl->render(document());
    FUZZ_CHECK(out.has_value() == again.has_value() && (!out || *out == *again),
               "rendering twice gave different results");
    (void)tmpl->render(nlohmann::json::array({1, "two", nullptr}));
    (void)tmpl->render_header({{"ID", "IMAGE ID"}, {"Repository", "REPOSITORY"}, {"Size", "SIZE"}});
    return 0;
}
