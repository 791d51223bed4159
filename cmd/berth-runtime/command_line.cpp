#include "command_line.h"

namespace berth::cli {

namespace {

// The long name of a spec ("bundle" of "b,bundle"), the one values are stored under.
std::string_view long_name(const FlagSpec& spec) {
    auto comma = spec.names.rfind(',');
    return comma == std::string_view::npos ? spec.names : spec.names.substr(comma + 1);
}

bool matches(const FlagSpec& spec, std::string_view name) {
    std::string_view names = spec.names;
    while (!names.empty()) {
        auto comma = names.find(',');
        if (names.substr(0, comma) == name) return true;
        if (comma == std::string_view::npos) break;
        names.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

std::string ParsedArgs::get(std::string_view name, std::string fallback) const {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return fallback;
    return it->second.back();
}

const std::vector<std::string>& ParsedArgs::all(std::string_view name) const {
    static const std::vector<std::string> kNone;
    auto it = values.find(name);
    return it == values.end() ? kNone : it->second;
}

Result<ParsedArgs> parse_flags(const std::vector<std::string>& args, size_t begin, size_t end,
                               const std::vector<FlagSpec>& specs, bool stop_at_positional,
                               std::string_view context) {
    ParsedArgs out;
    for (size_t i = begin; i < end; ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            for (++i; i < end; ++i)
                out.positionals.push_back(args[i]);
            break;
        }
        if (arg.size() < 2 || arg.front() != '-') {
            out.positionals.emplace_back(arg);
            if (stop_at_positional) {
                for (++i; i < end; ++i)
                    out.positionals.push_back(args[i]);
                break;
            }
            continue;
        }
        std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
        std::string_view name = body, inline_value;
        bool has_inline = false;
        if (auto eq = body.find('='); eq != std::string_view::npos) {
            name = body.substr(0, eq);
            inline_value = body.substr(eq + 1);
            has_inline = true;
        }
        const FlagSpec* spec = nullptr;
        for (const auto& s : specs)
            if (matches(s, name)) spec = &s;
        if (spec == nullptr)
            return fail(ErrorKind::InvalidArgument,
                        std::string(context) + ": unknown flag " + std::string(arg));
        auto& slot = out.values[std::string(long_name(*spec))];
        if (!spec->takes_value) {
            if (has_inline && inline_value != "true" && inline_value != "false")
                return fail(ErrorKind::InvalidArgument, std::string(context) + ": flag " +
                                                            std::string(name) + " takes no value");
            if (has_inline && inline_value == "false") {
                out.values.erase(std::string(long_name(*spec)));
            } else {
                slot.emplace_back("true");
            }
            continue;
        }
        if (has_inline) {
            slot.emplace_back(inline_value);
        } else if (i + 1 < end) {
            slot.push_back(args[++i]);
        } else {
            return fail(ErrorKind::InvalidArgument,
                        std::string(context) + ": flag " + std::string(arg) + " needs a value");
        }
    }
    return out;
}

std::string describe_flags(const std::vector<FlagSpec>& specs) {
    std::string out;
    for (const auto& spec : specs) {
        std::string names;
        std::string_view rest = spec.names;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string_view name = rest.substr(0, comma);
            if (!names.empty()) names += ", ";
            names += (name.size() == 1 ? "-" : "--") + std::string(name);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        if (spec.takes_value) names += " VALUE";
        out += "  " + names;
        out += std::string(names.size() < 30 ? 30 - names.size() : 1, ' ');
        out += std::string(spec.help) + "\n";
    }
    return out;
}

}  // namespace berth::cli
