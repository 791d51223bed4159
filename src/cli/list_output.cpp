#include "cli/list_output.h"

#include "cli/go_template.h"
#include "cli/table_format.h"

namespace berth::cli {

Result<std::string> format_list(const std::vector<Json>& rows, const ListFormat& format) {
    FormatSpec spec =
        parse_format(format.user_format.empty() ? format.default_table : format.user_format);
    if (spec.table && spec.body.empty()) spec = parse_format(format.default_table);
    Template tmpl = TRY(Template::parse(spec.body));
    std::string text;
    if (spec.table) text += TRY(tmpl.render_header(format.headers)) + "\n";
    for (auto& row : rows)
        text += TRY(tmpl.render(row)) + "\n";
    return spec.table ? tabwrite(text) : text;
}

Result<std::string> format_objects(const std::vector<Json>& objects, std::string_view user_format) {
    if (user_format.empty() || user_format == "json") {
        Json array = Json::array();
        for (auto& object : objects)
            array.push_back(object);
        return array.dump(4) + "\n";
    }
    FormatSpec spec = parse_format(user_format);
    Template tmpl = TRY(Template::parse(spec.body));
    std::string text;
    for (auto& object : objects)
        text += TRY(tmpl.render(object)) + "\n";
    return text;
}

}  // namespace berth::cli
