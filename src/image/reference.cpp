#include "image/reference.h"

#include <algorithm>
#include <optional>

#include "base/digest.h"

namespace berth::image {
namespace {

constexpr size_t kMaxPathLength = 255;
constexpr size_t kMaxTagLength = 128;
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || is_upper(c);
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_lower_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f');
}
bool has_upper(std::string_view s) {
    return std::ranges::any_of(s, is_upper);
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// path-component: [a-z0-9]+ followed by any number of (separator [a-z0-9]+), where a separator
// is one '.', one or two '_', or any run of '-'.
bool is_path_component(std::string_view s) {
    size_t i = 0;
    auto alnum_run = [&] {
        size_t start = i;
        while (i < s.size() && is_lower_alnum(s[i]))
            ++i;
        return i > start;
    };
    if (!alnum_run()) return false;
    while (i < s.size()) {
        if (s[i] == '.') {
            ++i;
        } else if (s[i] == '_') {
            ++i;
            if (i < s.size() && s[i] == '_') ++i;
        } else if (s[i] == '-') {
            while (i < s.size() && s[i] == '-')
                ++i;
        } else {
            return false;
        }
        if (!alnum_run()) return false;
    }
    return true;
}

bool is_remote_name(std::string_view s) {
    while (true) {
        size_t slash = s.find('/');
        if (!is_path_component(s.substr(0, slash))) return false;
        if (slash == std::string_view::npos) return true;
        s.remove_prefix(slash + 1);
    }
}

// A DNS label as docker allows it: alphanumerics and '-', not starting or ending with '-'.
bool is_domain_component(std::string_view s) {
    return !s.empty() && is_alnum(s.front()) && is_alnum(s.back()) &&
           std::ranges::all_of(s, [](char c) { return is_alnum(c) || c == '-'; });
}

// host[:port] where host is a dotted name, an IPv4 address or a bracketed IPv6 address.
bool is_domain_and_port(std::string_view s) {
    std::string_view rest;
    if (s.starts_with('[')) {
        size_t close = s.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        std::string_view address = s.substr(1, close - 1);
        if (!std::ranges::all_of(address, [](char c) { return is_hex(c) || c == ':'; }))
            return false;
        rest = s.substr(close + 1);
    } else {
        size_t colon = s.find(':');
        std::string_view host = s.substr(0, colon);
        while (true) {
            size_t dot = host.find('.');
            if (!is_domain_component(host.substr(0, dot))) return false;
            if (dot == std::string_view::npos) break;
            host.remove_prefix(dot + 1);
        }
        if (colon != std::string_view::npos) rest = s.substr(colon);
    }
    if (rest.empty()) return true;
    return rest.size() > 1 && rest[0] == ':' && std::ranges::all_of(rest.substr(1), is_digit);
}

// The digest syntax the reference grammar accepts; whether the algorithm and length are ones we
// can verify is decided afterwards, as docker does, to give its more precise messages.
bool is_digest_syntax(std::string_view s) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view algorithm = s.substr(0, colon);
    std::string_view hex = s.substr(colon + 1);
    if (hex.size() < 32 || !std::ranges::all_of(hex, is_hex)) return false;
    // [A-Za-z][A-Za-z0-9]* components separated by one of "-_+."
    bool at_component_start = true;
    for (char c : algorithm) {
        if (at_component_start) {
            if (!is_alnum(c) || is_digit(c)) return false;
            at_component_start = false;
        } else if (c == '-' || c == '_' || c == '+' || c == '.') {
            at_component_start = true;
        } else if (!is_alnum(c)) {
            return false;
        }
    }
    return !at_component_start;
}

struct Parts {
    std::string_view domain;
    std::string_view path;
    std::string_view tag;
    std::string_view digest;
};

// remote-name [":" tag] ["@" digest]. Neither a remote name nor a tag holds ':' or '@', so the
// first '@' and then the first ':' are the only possible split points.
bool match_tail(std::string_view s, Parts& parts) {
    size_t at = s.find('@');
    std::string_view named = s.substr(0, at);
    if (at != std::string_view::npos) {
        parts.digest = s.substr(at + 1);
        if (!is_digest_syntax(parts.digest)) return false;
    }
    size_t colon = named.find(':');
    parts.path = named.substr(0, colon);
    if (colon != std::string_view::npos) {
        parts.tag = named.substr(colon + 1);
        if (!is_valid_tag(parts.tag)) return false;
    }
    return is_remote_name(parts.path);
}

// The whole reference grammar: [domain "/"] remote-name [":" tag] ["@" digest]. A domain never
// holds '/', so it can only be the text before the first '/'; like the regular expression docker
// uses, a match with a domain is preferred to one without.
std::optional<Parts> match_reference(std::string_view s) {
    size_t slash = s.find('/');
    if (slash != std::string_view::npos && is_domain_and_port(s.substr(0, slash))) {
        Parts parts{.domain = s.substr(0, slash)};
        if (match_tail(s.substr(slash + 1), parts)) return parts;
    }
    Parts parts;
    if (match_tail(s, parts)) return parts;
    return std::nullopt;
}

// Checks a syntactically valid digest the way docker's digest package does, with its messages,
// then as berth's Digest (which is what the rest of berth verifies content with).
Result<std::string> validate_digest(std::string_view text) {
    size_t colon = text.find(':');
    std::string_view algorithm = text.substr(0, colon);
    std::string_view hex = text.substr(colon + 1);
    size_t length = algorithm == "sha256" ? 64 : algorithm == "sha512" ? 128 : 0;
    if (length == 0) {
        return fail(ErrorKind::InvalidArgument, has_upper(algorithm)
                                                    ? "invalid checksum digest format"
                                                    : "unsupported digest algorithm");
    }
    if (hex.size() != length)
        return fail(ErrorKind::InvalidArgument, "invalid checksum digest length");
    if (!std::ranges::all_of(hex, is_lower_hex))
        return fail(ErrorKind::InvalidArgument, "invalid checksum digest format");
    Digest digest = TRY(Digest::parse(text));
    return digest.str();
}

// docker's Parse, applied to the already normalised "domain/remainder" text.
Result<Reference> parse_full(const std::string& text) {
    auto parts = match_reference(text);
    if (!parts) {
        std::string lower = ascii_lower(text);
        if (lower != text && match_reference(lower))
            return fail(ErrorKind::InvalidArgument, "repository name must be lowercase");
        return fail(ErrorKind::InvalidArgument, "invalid reference format");
    }
    if (parts->path.size() > kMaxPathLength) {
        return fail(ErrorKind::InvalidArgument, "repository name must not be more than " +
                                                    std::to_string(kMaxPathLength) + " characters");
    }
    Reference ref{.domain = std::string(parts->domain),
                  .path = std::string(parts->path),
                  .tag = std::string(parts->tag)};
    if (!parts->digest.empty()) ref.digest = TRY(validate_digest(parts->digest));
    return ref;
}

// Splits off the domain when the first component names a host: it holds '.' or ':', is
// "localhost", or has upper case (which a namespace never has). Otherwise the name is on
// Docker Hub, where single-component names live in "library/".
std::pair<std::string, std::string> split_docker_domain(std::string_view name) {
    std::string domain(kDefaultDomain);
    std::string remainder(name);
    size_t slash = name.find('/');
    if (slash != std::string_view::npos) {
        std::string_view first = name.substr(0, slash);
        if (first == kLegacyDefaultDomain) {
            remainder = name.substr(slash + 1);
        } else if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos ||
                   has_upper(first)) {
            domain = first;
            remainder = name.substr(slash + 1);
        }
    }
    if (domain == kDefaultDomain && remainder.find('/') == std::string::npos)
        remainder.insert(0, kOfficialPrefix);
    return {std::move(domain), std::move(remainder)};
}

}  // namespace

bool is_valid_tag(std::string_view text) {
    auto word = [](char c) { return is_alnum(c) || c == '_'; };
    return !text.empty() && text.size() <= kMaxTagLength && word(text[0]) &&
           std::ranges::all_of(text, [&](char c) { return word(c) || c == '.' || c == '-'; });
}

Result<Reference> parse_reference(std::string_view text) {
    // A bare image ID would otherwise parse as "docker.io/library/<id>".
    if (text.size() == 64 && std::ranges::all_of(text, is_lower_hex)) {
        return fail(ErrorKind::InvalidArgument,
                    "invalid repository name (" + std::string(text) +
                        "), cannot specify 64-byte hexadecimal strings");
    }
    auto [domain, remainder] = split_docker_domain(text);
    std::string_view remote = std::string_view(remainder).substr(0, remainder.find(':'));
    if (has_upper(remote)) {
        return fail(ErrorKind::InvalidArgument, "invalid reference format: repository name (" +
                                                    std::string(remote) + ") must be lowercase");
    }
    return parse_full(domain + "/" + remainder);
}

std::string Reference::name() const {
    return domain.empty() ? path : domain + "/" + path;
}

std::string Reference::familiar_name() const {
    if (domain != kDefaultDomain) return name();
    if (path.starts_with(kOfficialPrefix)) {
        std::string_view rest = std::string_view(path).substr(kOfficialPrefix.size());
        if (rest.find('/') == std::string_view::npos) return std::string(rest);
    }
    return path;
}

namespace {
std::string with_suffixes(std::string name, const Reference& ref) {
    if (!ref.tag.empty()) name += ":" + ref.tag;
    if (!ref.digest.empty()) name += "@" + ref.digest;
    return name;
}
}  // namespace

std::string Reference::str() const {
    return with_suffixes(name(), *this);
}

std::string Reference::familiar_str() const {
    return with_suffixes(familiar_name(), *this);
}

Reference Reference::with_default_tag() const {
    Reference ref = *this;
    if (ref.tag.empty() && ref.digest.empty()) ref.tag = kDefaultTag;
    return ref;
}

}  // namespace berth::image
