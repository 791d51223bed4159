// linux.seccomp profiles (config.json, `--security-opt seccomp=FILE`): compile_seccomp must never
// crash on any JSON, and the fast compiler must decide every syscall as libseccomp does, the
// check the unit tests make profile by profile (seccomp_bpf_test.cpp), here on profiles the
// fuzzer makes. Both compilers must also accept and refuse the same profiles, and every program
// must be one the kernel would load.
#include <linux/audit.h>
#include <seccomp.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "fuzz_util.h"
#include "runtime/classic_bpf.h"
#include "runtime/seccomp.h"

namespace {

using berth::Json;
using berth::runtime::BpfVerdict;
using berth::runtime::classic_bpf_malformation;
using berth::runtime::run_classic_bpf;
using berth::runtime::SeccompFilter;

constexpr uint32_t kAuditArchs[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
                                    AUDIT_ARCH_ARM, AUDIT_ARCH_PPC64LE};
constexpr uint32_t kTokens[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64,
                                SCMP_ARCH_ARM};

std::vector<std::string> syscall_names(const Json& profile) {
    std::vector<std::string> names;
    const Json& syscalls = profile.is_object() ? profile.value("syscalls", Json()) : Json();
    if (!syscalls.is_array()) return names;
    for (const auto& rule : syscalls) {
        if (!rule.is_object()) continue;
        if (auto it = rule.find("names"); it != rule.end() && it->is_array())
            for (const auto& n : *it)
                if (n.is_string()) names.push_back(n.get<std::string>());
        if (auto it = rule.find("name"); it != rule.end() && it->is_string())
            names.push_back(it->get<std::string>());
    }
    return names;
}

// Syscall numbers worth asking about: those the profile names on every architecture, their
// neighbours, the x32 and socketcall/ipc ranges, and the edges of the number space.
std::set<uint32_t> probe_numbers(const Json& profile) {
    std::set<uint32_t> nrs{0,           1,           59,          102,         117,
                           231,         435,         0x40000000u, 0x40000001u, 0x7fffffffu,
                           0x80000000u, 0xfffffffeu, 0xffffffffu, 0xf0005u};
    for (uint32_t direct = 337; direct <= 402; direct += 13)
        nrs.insert(direct);
    for (const auto& name : syscall_names(profile)) {
        for (uint32_t token : kTokens) {
            int nr = seccomp_syscall_resolve_name_arch(token, name.c_str());
            if (nr < 0) continue;
            for (int64_t n : {int64_t{nr} - 1, int64_t{nr}, int64_t{nr} + 1})
                nrs.insert(static_cast<uint32_t>(n));
        }
    }
    return nrs;
}

// Argument values worth trying: the profile's own, their neighbours, both halves of 64 bits.
std::vector<uint64_t> probe_values(const Json& profile) {
    std::set<uint64_t> v{0, 1, 0xffffffffull, 0x100000000ull, ~0ull, 0x8000000000000000ull};
    const Json& syscalls = profile.is_object() ? profile.value("syscalls", Json()) : Json();
    if (syscalls.is_array()) {
        for (const auto& rule : syscalls) {
            if (!rule.is_object() || !rule.contains("args") || !rule["args"].is_array()) continue;
            for (const auto& arg : rule["args"]) {
                for (const char* key : {"value", "valueTwo"}) {
                    if (!arg.is_object() || !arg.contains(key) || !arg[key].is_number()) continue;
                    uint64_t x = arg[key].is_number_unsigned()
                                     ? arg[key].get<uint64_t>()
                                     : static_cast<uint64_t>(arg[key].get<int64_t>());
                    for (uint64_t y :
                         {x, x - 1, x + 1, x | uint64_t{1} << 32, x & uint64_t{0xffffffff}})
                        v.insert(y);
                }
            }
        }
    }
    return {v.begin(), v.end()};
}

void check_well_formed(const SeccompFilter& filter, const char* compiler, const Json& profile) {
    if (filter.empty()) return;
    std::string why = classic_bpf_malformation(filter.program());
    FUZZ_CHECK(why.empty(), "%s program the kernel would refuse (%s) for %s", compiler, why.c_str(),
               profile.dump().c_str());
}

// Both programs decide every probe the same way; each probe's inputs vary one argument at a time
// over the interesting values, and then all at once.
void check_same_decisions(const SeccompFilter& fast, const SeccompFilter& reference,
                          const Json& profile) {
    auto values = probe_values(profile);
    for (uint32_t arch : kAuditArchs) {
        for (uint32_t nr : probe_numbers(profile)) {
            seccomp_data data{};
            data.arch = arch;
            data.nr = static_cast<int>(nr);
            auto compare = [&] {
                BpfVerdict want = run_classic_bpf(reference.program(), data);
                BpfVerdict got = run_classic_bpf(fast.program(), data);
                FUZZ_CHECK(want.ok && got.ok, "a program fails to run: %s%s", want.why.c_str(),
                           got.why.c_str());
                FUZZ_CHECK(want.action == got.action,
                           "arch %#x nr %u args %#llx %#llx %#llx: libseccomp %#x, fast %#x\n%s",
                           arch, nr, static_cast<unsigned long long>(data.args[0]),
                           static_cast<unsigned long long>(data.args[1]),
                           static_cast<unsigned long long>(data.args[2]), want.action, got.action,
                           profile.dump().c_str());
            };
            compare();
            for (size_t index = 0; index < 6; ++index) {
                for (uint64_t x : values) {
                    data.args[index] = x;
                    compare();
                }
                data.args[index] = 0;
            }
            for (size_t k = 0; k < values.size(); ++k) {
                for (size_t index = 0; index < 6; ++index)
                    data.args[index] = values[(k + index * 7) % values.size()];
                compare();
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (!json_nesting_within(text, kFuzzJsonDepth)) return -1;
    auto profile = berth::parse_json(text, "seccomp profile");
    if (!profile) return 0;
    std::vector<std::string> warnings;
    auto fast = berth::runtime::compile_seccomp(*profile, warnings);
    auto reference =
        berth::runtime::compile_seccomp(*profile, warnings, {.force_libseccomp = true});
    FUZZ_CHECK(fast.has_value() == reference.has_value(),
               "one compiler accepts what the other refuses (%s) in %s",
               fast ? reference.error().message().c_str() : fast.error().message().c_str(),
               profile->dump().c_str());
    if (!fast) {
        FUZZ_CHECK(!fast.error().message().empty(), "empty error for %s", profile->dump().c_str());
        return 0;
    }
    check_well_formed(*fast, "fast", *profile);
    check_well_formed(*reference, "libseccomp", *profile);
    FUZZ_CHECK(fast->empty() == reference->empty(), "one program is empty, the other not: %s",
               profile->dump().c_str());
    FUZZ_CHECK(fast->flags() == reference->flags() && fast->notifies() == reference->notifies(),
               "the compilers disagree on the flags of %s", profile->dump().c_str());
    if (fast->compiler() == SeccompFilter::Compiler::Fast)
        check_same_decisions(*fast, *reference, *profile);
    return 0;
}
