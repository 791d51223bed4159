#include <iostream>

#include "base/utf8.h"
#include "cli/container_commands.h"

namespace berth::cli {

std::vector<CLI::App*> container_command(const CommandGroups& groups, const std::string& name,
                                         const std::string& description, bool top_level) {
    if (!top_level) return groups.add({{groups.container, name}}, description);
    return groups.add({{groups.app, name}, {groups.container, name}}, description);
}

std::string short_id(const std::string& id, bool no_trunc) {
    std::string hex = id.starts_with("sha256:") ? id.substr(7) : id;
    if (no_trunc) return id;
    return hex.substr(0, 12);
}

bool confirm(const std::string& warning) {
    std::printf("%s\nAre you sure you want to continue? [y/N] ", warning.c_str());
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

std::string ellipsis(std::string_view text, size_t width) {
    std::vector<std::pair<size_t, size_t>> runes;
    for (size_t i = 0; i < text.size();) {
        size_t length = decode_utf8(text, i).second;
        runes.emplace_back(i, length);
        i += length;
    }
    if (runes.size() <= width) return std::string(text);
    if (width == 0) return "";
    size_t cut = runes[width - 1].first;
    return std::string(text.substr(0, cut)) + "…";
}

std::string json_indent(std::string_view raw) {
    std::string out;
    int depth = 0;
    auto newline = [&] {
        out += '\n';
        for (int i = 0; i < depth; ++i)
            out += "    ";
    };
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (in_string) {
            out += c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case ' ':
            case '\t':
            case '\n':
            case '\r':
                break;
            case '"':
                in_string = true;
                out += c;
                break;
            case '{':
            case '[': {
                size_t next = raw.find_first_not_of(" \t\r\n", i + 1);
                char close = c == '{' ? '}' : ']';
                if (next != std::string_view::npos && raw[next] == close) {
                    out += c;
                    out += close;
                    i = next;
                    break;
                }
                out += c;
                ++depth;
                newline();
                break;
            }
            case '}':
            case ']':
                --depth;
                newline();
                out += c;
                break;
            case ',':
                out += c;
                newline();
                break;
            case ':':
                out += ": ";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace berth::cli
