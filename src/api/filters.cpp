#include "api/routes.h"

namespace berth::api {

Result<Filters> parse_filters(const Request& request) {
    Filters filters;
    auto text = request.query_value("filters");
    if (!text || text->empty()) return filters;
    Json document = TRY_CTX(parse_json(*text, "filters"), "invalid filter");
    if (!document.is_object())
        return fail(ErrorKind::InvalidArgument, "invalid filter: not an object");
    for (auto& [key, values] : document.items()) {
        auto& out = filters[key];
        if (values.is_array()) {
            for (auto& value : values)
                if (value.is_string()) out.push_back(value.get<std::string>());
        } else if (values.is_object()) {
            for (auto& [value, enabled] : values.items())
                if (enabled.is_boolean() && enabled.get<bool>()) out.push_back(value);
        } else {
            return fail(ErrorKind::InvalidArgument, "invalid filter '" + key + "'");
        }
    }
    return filters;
}

}  // namespace berth::api
