#include "cli/go_template_funcs.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cli/go_format.h"

namespace berth::cli::gotmpl {
namespace {

using Json = nlohmann::json;
using Args = std::vector<Json>;

Error type_error(const Json& value, std::string_view expected) {
    if (value.is_null())
        return Error(ErrorKind::InvalidArgument,
                     "invalid value; expected " + std::string(expected));
    return Error(
        ErrorKind::InvalidArgument,
        "wrong type for value; expected " + std::string(expected) + "; got " + go_type_name(value));
}

std::unexpected<Error> call_error(std::string_view name, const std::string& message) {
    return fail(ErrorKind::InvalidArgument, "error calling " + std::string(name) + ": " + message);
}

Result<std::string> want_string(const Json& value) {
    if (!value.is_string()) return fail(type_error(value, "string"));
    return value.get<std::string>();
}

// JSON has one number type; an integral float is accepted where Go wants an int.
bool as_integer(const Json& value, int64_t& out) {
    if (value.is_number_unsigned()) {
        if (value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
        out = static_cast<int64_t>(value.get<uint64_t>());
        return true;
    }
    if (value.is_number_integer()) {
        out = value.get<int64_t>();
        return true;
    }
    if (value.is_number_float()) {
        double d = value.get<double>();
        if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) >= 9.2e18) return false;
        out = static_cast<int64_t>(d);
        return true;
    }
    return false;
}

Result<int64_t> want_int(const Json& value) {
    int64_t out;
    if (!as_integer(value, out)) return fail(type_error(value, "int"));
    return out;
}

std::string ascii_map(std::string text, int (*convert)(int)) {
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(convert(c));
    return text;
}

// ---- comparisons, as Go's eq/lt with JSON's single number type ----

enum class Kind { Null, Bool, Number, String, Other };

Kind kind_of(const Json& value) {
    if (value.is_null()) return Kind::Null;
    if (value.is_boolean()) return Kind::Bool;
    if (value.is_number()) return Kind::Number;
    if (value.is_string()) return Kind::String;
    return Kind::Other;
}

int compare_numbers(const Json& a, const Json& b) {
    if (a.is_number_integer() && b.is_number_integer()) {
        bool a_negative = !a.is_number_unsigned() && a.get<int64_t>() < 0;
        bool b_negative = !b.is_number_unsigned() && b.get<int64_t>() < 0;
        if (a_negative != b_negative) return a_negative ? -1 : 1;
        if (a_negative) {
            int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
            return x < y ? -1 : x > y;
        }
        uint64_t x = a.get<uint64_t>(), y = b.get<uint64_t>();
        return x < y ? -1 : x > y;
    }
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y;
}

Result<bool> equal(const Json& a, const Json& b) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka != kb) {
        // Go: comparing against a missing value is simply false.
        if (ka == Kind::Null || kb == Kind::Null) return false;
        return fail(ErrorKind::InvalidArgument, "incompatible types for comparison");
    }
    switch (ka) {
        case Kind::Null:
            return true;
        case Kind::Bool:
            return a.get<bool>() == b.get<bool>();
        case Kind::Number:
            return compare_numbers(a, b) == 0;
        case Kind::String:
            return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
        case Kind::Other:
            break;
    }
    return fail(ErrorKind::InvalidArgument,
                "non-comparable type " + go_sprint_value(a) + ": " + go_type_name(a));
}

Result<bool> less(const Json& a, const Json& b) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka != kb) return fail(ErrorKind::InvalidArgument, "incompatible types for comparison");
    if (ka == Kind::Number) return compare_numbers(a, b) < 0;
    if (ka == Kind::String)
        return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
    return fail(ErrorKind::InvalidArgument, "invalid type for comparison");
}

// ---- the functions ----

Result<Json> fn_and(Args& args) {
    for (const Json& arg : args)
        if (!is_true(arg)) return arg;
    return args.back();
}

Result<Json> fn_or(Args& args) {
    for (const Json& arg : args)
        if (is_true(arg)) return arg;
    return args.back();
}

Result<Json> fn_not(Args& args) {
    return !is_true(args[0]);
}

Result<Json> fn_len(Args& args) {
    const Json& item = args[0];
    if (item.is_string()) return item.get_ref<const std::string&>().size();
    if (item.is_array() || item.is_object()) return item.size();
    if (item.is_null()) return call_error("len", "len of nil pointer");
    return call_error("len", "len of type " + go_type_name(item));
}

Result<Json> fn_index(Args& args) {
    Json current = std::move(args[0]);
    for (size_t i = 1; i < args.size(); ++i) {
        const Json& index = args[i];
        if (current.is_array() || current.is_string()) {
            int64_t n;
            if (!as_integer(index, n))
                return call_error("index",
                                  "cannot index slice/array with type " + go_type_name(index));
            size_t size =
                current.is_array() ? current.size() : current.get_ref<const std::string&>().size();
            if (n < 0 || static_cast<size_t>(n) >= size)
                return call_error("index", "index out of range: " + std::to_string(n));
            if (current.is_array()) {
                Json element = std::move(current[static_cast<size_t>(n)]);
                current = std::move(element);
            } else {
                current = static_cast<unsigned char>(
                    current.get_ref<const std::string&>()[static_cast<size_t>(n)]);
            }
        } else if (current.is_object()) {
            if (!index.is_string())
                return call_error("index",
                                  "value has type " + go_type_name(index) + "; should be string");
            auto it = current.find(index.get_ref<const std::string&>());
            Json element = it == current.end() ? Json() : std::move(*it);
            current = std::move(element);
        } else if (current.is_null()) {
            return call_error("index", "index of untyped nil");
        } else {
            return call_error("index", "can't index item of type " + go_type_name(current));
        }
    }
    return current;
}

Result<Json> fn_slice(Args& args) {
    const Json& item = args[0];
    if (!item.is_array() && !item.is_string()) {
        if (item.is_null()) return call_error("slice", "slice of untyped nil");
        return call_error("slice", "can't slice item of type " + go_type_name(item));
    }
    if (args.size() > 3)
        return call_error("slice", "too many slice indexes: " + std::to_string(args.size() - 1));
    size_t size = item.is_array() ? item.size() : item.get_ref<const std::string&>().size();
    int64_t bounds[2] = {0, static_cast<int64_t>(size)};
    for (size_t i = 1; i < args.size(); ++i) {
        if (!as_integer(args[i], bounds[i - 1]))
            return call_error("slice",
                              "cannot index slice/array with type " + go_type_name(args[i]));
        if (bounds[i - 1] < 0 || bounds[i - 1] > static_cast<int64_t>(size))
            return call_error("slice", "index out of range: " + std::to_string(bounds[i - 1]));
    }
    if (bounds[0] > bounds[1])
        return call_error("slice", "invalid slice index: " + std::to_string(bounds[0]) + " > " +
                                       std::to_string(bounds[1]));
    auto begin = static_cast<size_t>(bounds[0]), end = static_cast<size_t>(bounds[1]);
    if (item.is_string()) return item.get_ref<const std::string&>().substr(begin, end - begin);
    return Json(item.begin() + static_cast<std::ptrdiff_t>(begin),
                item.begin() + static_cast<std::ptrdiff_t>(end));
}

Result<Json> fn_print(Args& args) {
    return go_sprint(args);
}

Result<Json> fn_println(Args& args) {
    return go_sprintln(args);
}

Result<Json> fn_printf(Args& args) {
    std::string format = TRY(want_string(args[0]));
    return go_sprintf(format, Args(args.begin() + 1, args.end()));
}

Result<Json> fn_eq(Args& args) {
    if (args.size() < 2) return call_error("eq", "missing argument for comparison");
    for (size_t i = 1; i < args.size(); ++i) {
        auto same = equal(args[0], args[i]);
        if (!same) return call_error("eq", same.error().message());
        if (*same) return true;
    }
    return false;
}

Result<Json> fn_ne(Args& args) {
    auto same = equal(args[0], args[1]);
    if (!same) return call_error("ne", same.error().message());
    return !*same;
}

// lt, le, gt, ge: `strict` is lt/gt, `reverse` swaps to gt/ge.
Result<Json> ordered(std::string_view name, Args& args, bool strict, bool reverse) {
    const Json& a = args[0];
    const Json& b = args[1];
    auto lower = less(reverse ? b : a, reverse ? a : b);
    if (!lower) return call_error(name, lower.error().message());
    if (*lower || strict) return *lower;
    auto same = equal(a, b);
    if (!same) return call_error(name, same.error().message());
    return *same;
}

Result<Json> fn_lt(Args& args) {
    return ordered("lt", args, true, false);
}
Result<Json> fn_le(Args& args) {
    return ordered("le", args, false, false);
}
Result<Json> fn_gt(Args& args) {
    return ordered("gt", args, true, true);
}
Result<Json> fn_ge(Args& args) {
    return ordered("ge", args, false, true);
}

Result<Json> fn_json(Args& args) {
    return go_json_marshal(args[0]);
}

Result<Json> fn_join(Args& args) {
    std::string separator = TRY(want_string(args[1]));
    const Json& items = args[0];
    if (items.is_null()) return "";  // a nil []string joins to ""
    if (!items.is_array()) return fail(type_error(items, "[]string"));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += separator;
        out += go_sprint_value(items[i]);
    }
    return out;
}

Result<Json> fn_split(Args& args) {
    std::string text = TRY(want_string(args[0]));
    std::string separator = TRY(want_string(args[1]));
    Json parts = Json::array();
    if (separator.empty()) {  // Go splits into UTF-8 sequences
        for (size_t i = 0; i < text.size();) {
            unsigned char c = static_cast<unsigned char>(text[i]);
            size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            length = std::min(length, text.size() - i);
            parts.push_back(text.substr(i, length));
            i += length;
        }
        return parts;
    }
    size_t start = 0;
    while (true) {
        size_t found = text.find(separator, start);
        parts.push_back(text.substr(start, found - start));
        if (found == std::string::npos) break;
        start = found + separator.size();
    }
    return parts;
}

Result<Json> fn_upper(Args& args) {
    return ascii_map(TRY(want_string(args[0])), [](int c) { return std::toupper(c); });
}

Result<Json> fn_lower(Args& args) {
    return ascii_map(TRY(want_string(args[0])), [](int c) { return std::tolower(c); });
}

// Upper-cases the first letter of each word; words are broken by anything that is not a letter,
// digit or '_' (as Go's strings.Title, for ASCII).
Result<Json> fn_title(Args& args) {
    std::string text = TRY(want_string(args[0]));
    bool word_start = true;
    for (char& c : text) {
        auto byte = static_cast<unsigned char>(c);
        bool in_word = byte >= 0x80 || std::isalnum(byte) || c == '_';
        if (word_start && byte < 0x80) c = static_cast<char>(std::toupper(byte));
        word_start = !in_word;
    }
    return text;
}

// docker's truncate: the first `length` bytes, as Go slices the string.
Result<Json> fn_truncate(Args& args) {
    std::string text = TRY(want_string(args[0]));
    int64_t length = TRY(want_int(args[1]));
    if (length < 0)
        return call_error("truncate", "runtime error: slice bounds out of range [:" +
                                          std::to_string(length) + "]");
    if (text.size() < static_cast<size_t>(length)) return text;
    return text.substr(0, static_cast<size_t>(length));
}

// docker's pad: spaces before and after a non-empty string.
Result<Json> fn_pad(Args& args) {
    std::string text = TRY(want_string(args[0]));
    int64_t before = TRY(want_int(args[1]));
    int64_t after = TRY(want_int(args[2]));
    if (text.empty()) return text;
    if (before < 0 || after < 0) return call_error("pad", "strings: negative Repeat count");
    return std::string(static_cast<size_t>(before), ' ') + text +
           std::string(static_cast<size_t>(after), ' ');
}

struct Function {
    std::string_view name;
    size_t min_args;
    size_t max_args;  // kVariadic: no limit
    bool docker;      // one of docker's, an identity function in header rows
    Result<Json> (*call)(Args&);
};

constexpr size_t kVariadic = SIZE_MAX;

constexpr Function kFunctions[] = {
    {"and", 1, kVariadic, false, fn_and},
    {"or", 1, kVariadic, false, fn_or},
    {"not", 1, 1, false, fn_not},
    {"len", 1, 1, false, fn_len},
    {"index", 1, kVariadic, false, fn_index},
    {"slice", 1, kVariadic, false, fn_slice},
    {"print", 0, kVariadic, false, fn_print},
    {"printf", 1, kVariadic, false, fn_printf},
    {"println", 0, kVariadic, false, fn_println},
    {"eq", 1, kVariadic, false, fn_eq},
    {"ne", 2, 2, false, fn_ne},
    {"lt", 2, 2, false, fn_lt},
    {"le", 2, 2, false, fn_le},
    {"gt", 2, 2, false, fn_gt},
    {"ge", 2, 2, false, fn_ge},
    {"json", 1, 1, true, fn_json},
    {"join", 2, 2, true, fn_join},
    {"split", 2, 2, true, fn_split},
    {"upper", 1, 1, true, fn_upper},
    {"lower", 1, 1, true, fn_lower},
    {"title", 1, 1, true, fn_title},
    {"truncate", 2, 2, true, fn_truncate},
    {"pad", 3, 3, true, fn_pad},
};

const Function* find_function(std::string_view name) {
    auto it = std::ranges::find(kFunctions, name, &Function::name);
    return it == std::end(kFunctions) ? nullptr : &*it;
}

}  // namespace

bool is_function(std::string_view name) {
    return find_function(name) != nullptr;
}

bool is_true(const Json& value) {
    switch (value.type()) {
        case Json::value_t::boolean:
            return value.get<bool>();
        case Json::value_t::number_integer:
            return value.get<int64_t>() != 0;
        case Json::value_t::number_unsigned:
            return value.get<uint64_t>() != 0;
        case Json::value_t::number_float:
            return value.get<double>() != 0;
        // json::empty() is false for any string, hence the string's own.
        case Json::value_t::string:
            return !value.get_ref<const std::string&>().empty();
        case Json::value_t::array:
        case Json::value_t::object:
            return !value.empty();
        default:
            return false;
    }
}

Result<Json> call_function(std::string_view name, Args& args, bool header) {
    const Function* function = find_function(name);
    if (!function)
        return fail(ErrorKind::InvalidArgument,
                    "function \"" + std::string(name) + "\" not defined");
    if (args.size() < function->min_args || args.size() > function->max_args) {
        bool variadic = function->max_args == kVariadic;
        return fail(ErrorKind::InvalidArgument, "wrong number of args for " + std::string(name) +
                                                    ": want " + (variadic ? "at least " : "") +
                                                    std::to_string(function->min_args) + " got " +
                                                    std::to_string(args.size()));
    }
    if (header && function->docker) return std::move(args[0]);
    return function->call(args);
}

}  // namespace berth::cli::gotmpl
