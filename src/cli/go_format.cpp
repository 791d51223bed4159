#include "cli/go_format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "base/utf8.h"

namespace berth::cli {
namespace {

using Json = nlohmann::json;

constexpr char kHexDigits[] = "0123456789abcdef";

size_t rune_count(std::string_view s) {
    size_t count = 0;
    for (size_t i = 0; i < s.size(); i += decode_utf8(s, i).second)
        ++count;
    return count;
}

std::string shortest(double value, std::chars_format format) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, format);
    return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string json_float(double value) {
    if (!std::isfinite(value)) return "null";  // json.Marshal refuses these; JSON has no form
    double magnitude = std::fabs(value);
    bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
    std::string text =
        shortest(value, exponent ? std::chars_format::scientific : std::chars_format::fixed);
    // Go writes "1e-07" as "1e-7" (but keeps "1e+21").
    size_t n = text.size();
    if (exponent && n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0')
        text.erase(n - 2, 1);
    return text;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                default:
                    if (c < 0x20) {
                        out += "\\u00";
                        out += kHexDigits[c >> 4];
                        out += kHexDigits[c & 0xf];
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        auto [rune, length] = decode_utf8(s, i);
        if (rune < 0)
            out += "\\ufffd";
        else if (rune == 0x2028 || rune == 0x2029)  // JavaScript line separators, as Go escapes
            out += rune == 0x2028 ? "\\u2028" : "\\u2029";
        else
            out.append(s.substr(i, length));
        i += length;
    }
    out += '"';
}

void append_json(std::string& out, const Json& value) {
    switch (value.type()) {
        case Json::value_t::string:
            append_json_string(out, value.get_ref<const std::string&>());
            return;
        case Json::value_t::number_float:
            out += json_float(value.get<double>());
            return;
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const Json& element : value) {
                if (!first) out += ',';
                first = false;
                append_json(out, element);
            }
            out += ']';
            return;
        }
        case Json::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, element] : value.items()) {
                if (!first) out += ',';
                first = false;
                append_json_string(out, key);
                out += ':';
                append_json(out, element);
            }
            out += '}';
            return;
        }
        case Json::value_t::binary:
        case Json::value_t::discarded:
            out += "null";
            return;
        default:  // null, booleans and integers print the same in both
            out += value.dump();
            return;
    }
}

struct Spec {
    bool minus = false;
    bool plus = false;
    bool space = false;
    bool zero = false;
    bool sharp = false;
    int width = -1;
    int precision = -1;
};

// Pads to the width in runes: left with spaces (or zeros after the sign), right with '-'.
std::string pad(std::string text, const Spec& spec, bool numeric) {
    size_t count = rune_count(text);
    if (spec.width < 0 || count >= static_cast<size_t>(spec.width)) return text;
    size_t fill = static_cast<size_t>(spec.width) - count;
    if (spec.minus) return text + std::string(fill, ' ');
    if (spec.zero && numeric) {
        size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ');
        text.insert(sign, fill, '0');
        return text;
    }
    return std::string(fill, ' ') + text;
}

std::string bad_verb(char verb, const Json& arg) {
    std::string out = "%!";
    out += verb;
    out += '(';
    if (arg.is_null()) return out + "<nil>)";
    return out + go_type_name(arg) + "=" + go_sprint_value(arg) + ")";
}

bool integral(const Json& arg) {
    if (arg.is_number_integer()) return true;
    if (!arg.is_number_float()) return false;
    double d = arg.get<double>();
    return std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18;
}

std::string format_integer(const Json& arg, char verb, const Spec& spec) {
    bool negative = false;
    uint64_t magnitude;
    if (arg.is_number_unsigned()) {
        magnitude = arg.get<uint64_t>();
    } else {
        int64_t value =
            arg.is_number_float() ? static_cast<int64_t>(arg.get<double>()) : arg.get<int64_t>();
        negative = value < 0;
        magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    }
    if (verb == 'c') {
        std::string out;
        append_utf8(out, negative ? 0xfffd
                                  : static_cast<uint32_t>(std::min<uint64_t>(magnitude, 0x110000)));
        return pad(out, spec, false);
    }
    int base = verb == 'x' || verb == 'X' ? 16 : verb == 'o' ? 8 : verb == 'b' ? 2 : 10;
    char buffer[80];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, magnitude, base);
    std::string digits(buffer, end);
    if (verb == 'X')
        for (char& c : digits)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (spec.precision >= 0 && digits.size() < static_cast<size_t>(spec.precision))
        digits.insert(0, static_cast<size_t>(spec.precision) - digits.size(), '0');
    if (spec.sharp && base == 16) digits.insert(0, verb == 'X' ? "0X" : "0x");
    if (spec.sharp && base == 8 && digits[0] != '0') digits.insert(0, "0");
    std::string sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
    return pad(sign + digits, spec, spec.precision < 0);
}

std::string format_float(double value, char verb, const Spec& spec) {
    std::string text;
    if ((verb == 'g' || verb == 'G') && spec.precision < 0) {
        text = go_format_float(value);
    } else if (!std::isfinite(value)) {
        text = std::isnan(value) ? "NaN" : value < 0 ? "-Inf" : "+Inf";
    } else {
        char format[8] = {'%', '.', '*', verb == 'F' ? 'f' : verb, 0};
        char buffer[512];
        int precision = spec.precision < 0 ? 6 : std::min(spec.precision, 300);
        std::snprintf(buffer, sizeof buffer, format, precision, value);
        text = buffer;
    }
    if (text[0] != '-' && text[0] != '+') {
        if (spec.plus)
            text.insert(0, "+");
        else if (spec.space)
            text.insert(0, " ");
    }
    return pad(text, spec, std::isfinite(value));
}

std::string format_one(const Json& arg, char verb, const Spec& spec) {
    switch (verb) {
        case 'v':
            return pad(go_sprint_value(arg), spec, false);
        case 's':
        case 'q': {
            if (!arg.is_string()) {
                if (verb == 's' && (arg.is_array() || arg.is_object()))
                    return pad(go_sprint_value(arg), spec, false);
                return bad_verb(verb, arg);
            }
            std::string_view text = arg.get_ref<const std::string&>();
            if (spec.precision >= 0) {  // precision counts runes
                size_t end = 0;
                for (int n = 0; n < spec.precision && end < text.size(); ++n)
                    end += decode_utf8(text, end).second;
                text = text.substr(0, end);
            }
            return pad(verb == 'q' ? go_quote(text) : std::string(text), spec, false);
        }
        case 't':
            return arg.is_boolean() ? pad(arg.get<bool>() ? "true" : "false", spec, false)
                                    : bad_verb(verb, arg);
        case 'd':
        case 'b':
        case 'o':
        case 'c':
            return integral(arg) ? format_integer(arg, verb, spec) : bad_verb(verb, arg);
        case 'x':
        case 'X':
            if (arg.is_string()) {
                std::string hex;
                for (unsigned char c : arg.get_ref<const std::string&>()) {
                    hex += kHexDigits[c >> 4];
                    hex += kHexDigits[c & 0xf];
                }
                if (verb == 'X')
                    for (char& c : hex)
                        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                return pad(hex, spec, false);
            }
            return integral(arg) ? format_integer(arg, verb, spec) : bad_verb(verb, arg);
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
            return arg.is_number() ? format_float(arg.get<double>(), verb, spec)
                                   : bad_verb(verb, arg);
        default:
            return bad_verb(verb, arg);
    }
}

}  // namespace

// strconv.Quote for the %q verb: ASCII escapes as Go writes them, other valid UTF-8 kept.
std::string go_quote(std::string_view s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        auto [rune, length] = decode_utf8(s, i);
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (rune < 0) {
            out += "\\x";
            out += kHexDigits[c >> 4];
            out += kHexDigits[c & 0xf];
        } else if (rune >= 0x80) {
            out.append(s.substr(i, length));
        } else {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\a':
                    out += "\\a";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\v':
                    out += "\\v";
                    break;
                default:
                    if (c < 0x20 || c == 0x7f) {
                        out += "\\x";
                        out += kHexDigits[c >> 4];
                        out += kHexDigits[c & 0xf];
                    } else {
                        out += static_cast<char>(c);
                    }
            }
        }
        i += length;
    }
    return out + "\"";
}

std::string go_format_float(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value < 0 ? "-Inf" : "+Inf";
    std::string scientific = shortest(value, std::chars_format::scientific);
    int exponent = std::atoi(scientific.c_str() + scientific.find('e') + 1);
    if (exponent < -4 || exponent >= 6) return scientific;  // to_chars writes "e+06" as Go does
    return shortest(value, std::chars_format::fixed);
}

std::string go_type_name(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null:
            return "<nil>";
        case Json::value_t::boolean:
            return "bool";
        case Json::value_t::string:
            return "string";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "int";
        case Json::value_t::number_float:
            return "float64";
        case Json::value_t::array:
            return "[]interface {}";
        case Json::value_t::object:
            return "map[string]interface {}";
        default:
            return "interface {}";
    }
}

std::string go_sprint_value(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null:
            return "<nil>";
        case Json::value_t::string:
            return value.get<std::string>();
        case Json::value_t::number_float:
            return go_format_float(value.get<double>());
        case Json::value_t::array: {
            std::string out = "[";
            for (size_t i = 0; i < value.size(); ++i) {
                if (i > 0) out += ' ';
                out += go_sprint_value(value[i]);
            }
            return out + "]";
        }
        case Json::value_t::object: {
            std::string out = "map[";
            bool first = true;
            for (const auto& [key, element] : value.items()) {
                if (!first) out += ' ';
                first = false;
                out += key + ":" + go_sprint_value(element);
            }
            return out + "]";
        }
        default:
            return value.dump();
    }
}

std::string go_template_print(const Json& value) {
    return value.is_null() ? "<no value>" : go_sprint_value(value);
}

std::string go_sprint(const std::vector<Json>& args) {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
        // fmt.Sprint separates operands by a space only when neither is a string.
        if (i > 0 && !args[i - 1].is_string() && !args[i].is_string()) out += ' ';
        out += go_sprint_value(args[i]);
    }
    return out;
}

std::string go_sprintln(const std::vector<Json>& args) {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
        if (i > 0) out += ' ';
        out += go_sprint_value(args[i]);
    }
    return out + "\n";
}

std::string go_sprintf(std::string_view format, const std::vector<Json>& args) {
    std::string out;
    size_t next_arg = 0;
    size_t i = 0;
    auto number = [&] {
        int value = 0;
        while (i < format.size() && format[i] >= '0' && format[i] <= '9')
            value = std::min(value * 10 + (format[i++] - '0'), 1000000);
        return value;
    };
    while (i < format.size()) {
        if (format[i] != '%') {
            out += format[i++];
            continue;
        }
        ++i;
        Spec spec;
        for (; i < format.size(); ++i) {
            char flag = format[i];
            if (flag == '-')
                spec.minus = true;
            else if (flag == '+')
                spec.plus = true;
            else if (flag == ' ')
                spec.space = true;
            else if (flag == '0')
                spec.zero = true;
            else if (flag == '#')
                spec.sharp = true;
            else
                break;
        }
        if (i < format.size() && format[i] >= '1' && format[i] <= '9') spec.width = number();
        if (i < format.size() && format[i] == '.') {
            ++i;
            spec.precision = number();
        }
        if (i >= format.size()) {
            out += "%!(NOVERB)";
            break;
        }
        char verb = format[i++];
        if (verb == '%') {
            out += '%';
        } else if (next_arg >= args.size()) {
            out += std::string("%!") + verb + "(MISSING)";
        } else {
            out += format_one(args[next_arg++], verb, spec);
        }
    }
    if (next_arg < args.size()) {
        out += "%!(EXTRA ";
        for (size_t k = next_arg; k < args.size(); ++k) {
            if (k > next_arg) out += ", ";
            out += args[k].is_null() ? "<nil>"
                                     : go_type_name(args[k]) + "=" + go_sprint_value(args[k]);
        }
        out += ")";
    }
    return out;
}

std::string go_json_marshal(const Json& value) {
    std::string out;
    append_json(out, value);
    return out;
}

}  // namespace berth::cli
