#include "base/json.h"

#include "base/fs.h"

namespace berth {

Result<Json> parse_json(std::string_view text, std::string_view what) {
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
