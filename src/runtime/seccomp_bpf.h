// The seccomp BPF code generator behind compile_seccomp (seccomp.h): a direct compiler for the
// shape nearly every OCI profile has, and runc's -ENOSYS stub. Internal to the seccomp module;
// declared here so that its tests can compare it with libseccomp.
//
// libseccomp needs 6-15 ms to turn docker's default profile into BPF (it snapshots its whole rule
// database on every rule it adds, then optimises block by block). compile_fast() produces a filter
// that behaves the same for every input in well under a millisecond: it asks libseccomp only for
// syscall numbers, and models libseccomp 2.5's rule semantics where they are simple:
//   - a rule without conditions decides its syscall; the first such rule wins over all others;
//   - a rule with conditions matches when all of them hold (AND); several such rules on one
//     syscall are modelled only where libseccomp's merged decision tree is sure to be their OR:
//     one action, and either a single rule or rules that each compare one argument for equality
//     (docker's personality(2) values);
//   - 32-bit ABIs (x86, x32, arm) compare only the low 32 bits of arguments and values;
//   - x86's socketcall(2)/ipc(2) multiplexing is mirrored (a rule on socket(2) also matches
//     socketcall(SYS_SOCKET, ...));
//   - an architecture not in the filter gets KILL_THREAD, and x86_64 without x32 treats x32
//     syscall numbers as a foreign architecture (except -1, the number ptrace uses to skip).
// It returns nullopt for anything else (other architectures, other combinations of conditional
// rules), and the caller uses libseccomp. Tests hold the two to the same answer for every input.
#pragma once

#include <linux/filter.h>
#include <seccomp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace berth::runtime::seccomp_bpf {

using Program = std::vector<sock_filter>;

struct Condition {
    unsigned index = 0;  // argument 0..5
    scmp_compare op = SCMP_CMP_EQ;
    uint64_t value = 0;
    uint64_t value_two = 0;  // SCMP_CMP_MASKED_EQ: (arg & value) == value_two
};

// One libseccomp rule: the syscall `name` gets `action` when all conditions hold.
struct Rule {
    std::string name;
    uint32_t action = SCMP_ACT_ALLOW;
    std::vector<Condition> conditions;
    int native_nr = __NR_SCMP_ERROR;  // seccomp_syscall_resolve_name(name), which the parser needs
};

// The highest syscall number a profile names on one architecture.
struct ArchMax {
    uint32_t arch = 0;  // libseccomp token
    uint32_t max_syscall = 0;
};

struct FastFilter {
    Program program;
    std::vector<ArchMax> maxima;  // for prepend_enosys_stub
};

// The filter for `archs` (libseccomp tokens, the native one included), or nullopt when the rules
// fall outside what this compiler models. Rules naming syscalls unknown to an architecture are
// skipped for it; rules whose action is the default one are left out of the filter (libseccomp
// refuses them) but count for the maxima.
std::optional<FastFilter> compile_fast(uint32_t default_action, std::span<const uint32_t> archs,
                                       std::span<const Rule> rules);

// The maxima on their own, for programs compiled by libseccomp: over every rule, as runc counts.
std::vector<ArchMax> syscall_maxima(std::span<const uint32_t> archs, std::span<const Rule> rules);

// runc's -ENOSYS stub in front of `filter`: a syscall numbered above every syscall the profile
// names on its architecture gets ENOSYS instead of the default action, so that a program built for
// a newer kernel than the profile knows falls back (glibc tries clone3, faccessat2, openat2 …
// first and falls back only on ENOSYS).
Program prepend_enosys_stub(const Program& filter, std::span<const ArchMax> maxima);

// One program per audit architecture, joined: the program whose architecture the syscall has
// runs; a syscall of any other architecture gets `bad_arch`.
Program dispatch_by_arch(const std::vector<std::pair<uint32_t, Program>>& programs,
                         uint32_t bad_arch);

// Makes sure a libseccomp program for one architecture loads the syscall number after its
// architecture check. libseccomp 2.5.4 leaves that load to the first syscall's block and drops
// the block (and the load with it) when the architecture lacks that syscall: x86's semop(2),
// which it has only inside ipc(2), is enough. The filter then compares the architecture's audit
// number with syscall numbers.
Program load_syscall_after_arch_check(Program program);

// One program for x86_64 syscalls and one for x32 syscalls (numbers from the x32 bit up, -1
// among them, as in a libseccomp filter with both), joined.
Program dispatch_by_x32_bit(const Program& x86_64, const Program& x32);

// Whether the architecture has the syscall: directly, or on x86 through socketcall(2)/ipc(2).
bool exists_on(uint32_t arch_token, const std::string& name);

// The BPF audit architecture of a libseccomp token (they differ only for x32).
uint32_t audit_arch(uint32_t arch_token);

}  // namespace berth::runtime::seccomp_bpf
