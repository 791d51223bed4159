// Image references as users type them: parse_reference must never crash, and what it accepts must
// print back (str(), familiar_str()) as text that parses to the same reference.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "image/reference.h"

using berth::image::parse_reference;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto ref = parse_reference(text);
    (void)berth::image::is_valid_tag(text);
    if (!ref) {
        FUZZ_CHECK(!ref.error().message().empty(), "empty error for '%.*s'", static_cast<int>(size),
                   text.data());
        return 0;
    }
    std::string full = ref->str();
    auto again = parse_reference(full);
    FUZZ_CHECK(again.has_value(), "'%.*s' parsed, its str() '%s' does not: %s",
               static_cast<int>(size), text.data(), full.c_str(), again.error().message().c_str());
    FUZZ_CHECK(*again == *ref, "'%.*s' -> '%s' -> '%s'", static_cast<int>(size), text.data(),
               full.c_str(), again->str().c_str());

    // The familiar form parses too. It names the same image unless it is ambiguous the way
    // docker's is: a Docker Hub repository whose first component looks like a host
    // ("docker.io/a.b/c" prints as "a.b/c", which names host a.b).
    std::string familiar = ref->familiar_str();
    auto from_familiar = parse_reference(familiar);
    FUZZ_CHECK(from_familiar.has_value(), "'%.*s' parsed, its familiar_str() '%s' does not: %s",
               static_cast<int>(size), text.data(), familiar.c_str(),
               from_familiar.error().message().c_str());
    std::string first = familiar.substr(0, familiar.find('/'));
    bool ambiguous = ref->domain == berth::image::kDefaultDomain &&
                     familiar.find('/') != std::string::npos &&
                     (first == "localhost" || first.find_first_of(".:") != std::string::npos);
    FUZZ_CHECK(ambiguous || *from_familiar == *ref, "'%.*s' -> familiar '%s' -> '%s'",
               static_cast<int>(size), text.data(), familiar.c_str(), from_familiar->str().c_str());

    auto tagged = ref->with_default_tag();
    FUZZ_CHECK(!tagged.tag.empty() || !tagged.digest.empty(), "with_default_tag of '%s'",
               full.c_str());
    return 0;
}
