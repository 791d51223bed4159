#include "base/json.h"

#include <optional>

#include "base/fs.h"

namespace berth {
namespace {

// The offset of the bracket that opens level kMaxJsonDepth + 1, if any. Exact for valid JSON;
// for invalid JSON either answer is fine, since the parser refuses it anyway.
std::optional<size_t> too_deep_at(std::string_view text) {
    // Each level takes a byte: a document this short cannot be too deep (config.json, most
    // request bodies), and is not scanned.
    if (text.size() <= kMaxJsonDepth) return std::nullopt;
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // the escaped character cannot end the string
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth) return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::string_view what) {
    if (auto at = too_deep_at(text))
        return fail(ErrorKind::InvalidArgument,
                    std::string(what) + ": invalid character '" + text[*at] +
                        "' exceeded max depth (arrays and objects nest at most " +
                        std::to_string(kMaxJsonDepth) + " levels deep)");
    Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        // Parse again with exceptions for the position and reason of the failure.
        try {
            Json ignored = Json::parse(text);
            (void)ignored;
        } catch (const Json::parse_error& e) {
            std::string reason = e.what();
            if (auto pos = reason.find("parse error"); pos != std::string::npos)
                reason = reason.substr(pos);
            return fail(ErrorKind::InvalidArgument, std::string(what) + ": " + reason);
        } catch (const Json::exception& e) {
            // Not a syntax error: a number too large for a double ("1e999") and the like.
            std::string reason = e.what();
            if (auto pos = reason.find("] "); pos != std::string::npos)
                reason = reason.substr(pos + 2);
            return fail(ErrorKind::InvalidArgument, std::string(what) + ": " + reason);
        }
        return fail(ErrorKind::InvalidArgument, std::string(what) + ": invalid JSON");
    }
    return doc;
}

Result<Json> read_json_file(const std::string& path) {
    auto text = TRY(read_file(path));
    return parse_json(text, path);
}

}  // namespace berth
