#include "runtime/seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "base/fd_passing.h"
#include "runtime/seccomp_bpf.h"
#include "runtime/sync_socket.h"

namespace berth::runtime {

namespace bpf = seccomp_bpf;

namespace {

constexpr std::string_view kWhere = "linux.seccomp";

struct Named {
    std::string_view name;
    uint32_t value;
};

// SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry a 16-bit value (errnoRet) in the low bits.
constexpr Named kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},  // runc: KILL is KILL_THREAD
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

constexpr Named kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr uint32_t kArchUnsupported = 0xffffffffu;  // in the spec, unknown to this libseccomp

constexpr Named kArchs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#else
    {"SCMP_ARCH_LOONGARCH64", kArchUnsupported},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#else
    {"SCMP_ARCH_M68K", kArchUnsupported},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#else
    {"SCMP_ARCH_SH", kArchUnsupported},
    {"SCMP_ARCH_SHEB", kArchUnsupported},
#endif
};

// runc accepts SECCOMP_FILTER_FLAG_TSYNC and ignores it (its init has one thread); it is applied
// here, harmless as it is.
constexpr Named kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

template <size_t N>
const Named* lookup(const Named (&table)[N], std::string_view name) {
    for (const auto& entry : table)
        if (entry.name == name) return &entry;
    return nullptr;
}

template <size_t N>
std::vector<std::string> names_of(const Named (&table)[N]) {
    std::vector<std::string> out;
    for (const auto& entry : table)
        out.emplace_back(entry.name);
    std::sort(out.begin(), out.end());
    return out;
}

long seccomp_syscall(unsigned operation, unsigned flags, void* args) {
    return ::syscall(SYS_seccomp, operation, flags, args);
}

// seccomp(2) checks the flags before it reads the program, so a null program tells them apart:
// EFAULT for flags it knows, EINVAL for the others (libseccomp probes the same way).
bool kernel_has_flags(unsigned flags) {
    return seccomp_syscall(SECCOMP_SET_MODE_FILTER, flags, nullptr) < 0 && errno == EFAULT;
}

bool kernel_has_action(uint32_t action) {
    uint32_t base = action & SECCOMP_RET_ACTION_FULL;
    if (seccomp_syscall(SECCOMP_GET_ACTION_AVAIL, 0, &base) == 0) return true;
    if (errno != EINVAL) return false;
    // Before Linux 4.14 there is no way to ask; the actions of Linux 3.5 are there.
    return base == SCMP_ACT_KILL_THREAD || base == SCMP_ACT_TRAP ||
           base == (SCMP_ACT_ERRNO(0) & SECCOMP_RET_ACTION_FULL) ||
           base == (SCMP_ACT_TRACE(0) & SECCOMP_RET_ACTION_FULL) || base == SCMP_ACT_ALLOW;
}

std::string field(std::string_view where, std::string_view key) {
    return std::string(where) + "." + std::string(key);
}

// An action with its errnoRet (`errno_key` of `obj`).
Result<uint32_t> parse_action(const Json& obj, std::string_view key, std::string_view errno_key,
                              std::string_view where) {
    std::string name;
    TRY(get_optional(obj, key, name, where));
    if (name.empty()) return fail(ErrorKind::InvalidArgument, field(where, key) + ": required");
    const Named* action = lookup(kActions, name);
    if (action == nullptr) {
        return fail(ErrorKind::InvalidArgument,
                    field(where, key) + ": unknown seccomp action \"" + name + "\"");
    }
    bool takes_value = action->value == SCMP_ACT_ERRNO(0) || action->value == SCMP_ACT_TRACE(0);
    auto given = obj.find(errno_key);
    if (given == obj.end() || given->is_null())
        return takes_value ? action->value | EPERM : action->value;
    uint32_t ret = 0;
    TRY(get_optional(obj, errno_key, ret, where));
    if (!takes_value) {
        return fail(ErrorKind::InvalidArgument,
                    field(where, errno_key) + ": " + name +
                        " takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)");
    }
    if (ret > 0xffff) {
        return fail(ErrorKind::InvalidArgument,
                    field(where, errno_key) + ": " + std::to_string(ret) + " is out of range");
    }
    return action->value | ret;
}

Result<bpf::Condition> parse_condition(const Json& arg, const std::string& where) {
    if (!arg.is_object()) return fail(ErrorKind::InvalidArgument, where + ": must be an object");
    bpf::Condition c;
    std::string op;
    TRY(get_optional(arg, "index", c.index, where));
    TRY(get_optional(arg, "value", c.value, where));
    TRY(get_optional(arg, "valueTwo", c.value_two, where));
    TRY(get_optional(arg, "op", op, where));
    if (c.index >= 6) {
        return fail(ErrorKind::InvalidArgument, where + ".index: " + std::to_string(c.index) +
                                                    " is out of range (syscalls have 6 arguments)");
    }
    const Named* known = lookup(kOperators, op);
    if (known == nullptr) {
        return fail(ErrorKind::InvalidArgument,
                    where + ".op: unknown seccomp operator \"" + op + "\"");
    }
    c.op = static_cast<scmp_compare>(known->value);
    return c;
}

Result<std::vector<uint32_t>> parse_archs(const Json& seccomp) {
    std::vector<std::string> names;
    TRY(get_optional(seccomp, "architectures", names, kWhere));
    std::vector<uint32_t> archs{seccomp_arch_native()};
    for (const auto& name : names) {
        const Named* arch = lookup(kArchs, name);
        if (arch == nullptr) {
            return fail(ErrorKind::InvalidArgument,
                        "linux.seccomp.architectures: unknown architecture \"" + name + "\"");
        }
        if (arch->value == kArchUnsupported) {
            return fail(ErrorKind::Unsupported, "linux.seccomp.architectures: " + name +
                                                    " is not supported by this libseccomp");
        }
        if (std::find(archs.begin(), archs.end(), arch->value) == archs.end())
            archs.push_back(arch->value);
    }
    return archs;
}

Result<unsigned> parse_flags(const Json& seccomp) {
    auto it = seccomp.find("flags");
    if (it == seccomp.end() || it->is_null()) {
        // No flags at all (not even an empty list): runc's default, which spares the container
        // the speculative store bypass mitigation that seccomp otherwise turns on.
        return kernel_has_flags(SECCOMP_FILTER_FLAG_SPEC_ALLOW) ? SECCOMP_FILTER_FLAG_SPEC_ALLOW
                                                                : 0;
    }
    std::vector<std::string> names;
    TRY(get_optional(seccomp, "flags", names, kWhere));
    unsigned flags = 0;
    for (const auto& name : names) {
        const Named* flag = lookup(kFlags, name);
        if (flag == nullptr) {
            return fail(ErrorKind::InvalidArgument,
                        "linux.seccomp.flags: unknown flag \"" + name + "\"");
        }
        unsigned probe = flag->value;
        if (probe == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
            probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;  // meaningless, and refused, without it
        if (!kernel_has_flags(probe)) {
            return fail(ErrorKind::Unsupported,
                        "linux.seccomp.flags: " + name + " is not supported by the kernel");
        }
        flags |= flag->value;
    }
    return flags;
}

std::string action_name(uint32_t action) {
    for (const auto& a : kActions)
        if (a.value == (action & SECCOMP_RET_ACTION_FULL)) return std::string(a.name);
    return "action " + std::to_string(action);
}

// Everything in linux.seccomp but the program.
struct Profile {
    uint32_t default_action = SCMP_ACT_ALLOW;
    std::vector<uint32_t> archs;
    unsigned flags = 0;
    std::string listener_path, listener_metadata;
    std::vector<bpf::Rule> rules;  // one per name, in order, default-action rules included
    std::vector<std::string> unknown;
};

Result<void> parse_syscall(const Json& entry, const std::string& where, Profile& profile) {
    if (!entry.is_object()) return fail(ErrorKind::InvalidArgument, where + ": must be an object");
    static const Json kNone = Json::array();
    auto names_it = entry.find("names");
    const Json& names = names_it == entry.end() || names_it->is_null() ? kNone : *names_it;
    if (!names.is_array() ||
        !std::all_of(names.begin(), names.end(), [](const Json& n) { return n.is_string(); }))
        return fail(ErrorKind::InvalidArgument, where + ".names: must be an array of strings");
    uint32_t action = TRY(parse_action(entry, "action", "errnoRet", where));

    std::vector<bpf::Condition> conditions;
    auto args = entry.find("args");
    if (args != entry.end() && !args->is_null()) {
        if (!args->is_array())
            return fail(ErrorKind::InvalidArgument, where + ".args: must be an array");
        for (size_t i = 0; i < args->size(); ++i) {
            conditions.push_back(
                TRY(parse_condition((*args)[i], where + ".args[" + std::to_string(i) + "]")));
        }
    }
    // runc: two conditions on one argument cannot be ANDed by libseccomp, so then every
    // condition becomes a rule of its own (ORed); otherwise one rule ANDs them all.
    std::array<int, 6> per_index{};
    bool split = false;
    for (const auto& c : conditions)
        split |= ++per_index[c.index] > 1;

    for (const Json& name_json : names) {
        const std::string& name = name_json.get_ref<const std::string&>();
        if (name.empty())
            return fail(ErrorKind::InvalidArgument, where + ".names: empty syscall name");
        if (action == SCMP_ACT_NOTIFY && name == "write") {
            return fail(ErrorKind::InvalidArgument,
                        where +
                            ": SCMP_ACT_NOTIFY cannot be used for write (the runtime needs "
                            "it to hand the listener over)");
        }
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
            if (std::find(profile.unknown.begin(), profile.unknown.end(), name) ==
                profile.unknown.end())
                profile.unknown.push_back(name);
            continue;
        }
        if (split) {
            for (const auto& c : conditions)
                profile.rules.push_back({name, action, {c}, nr});
        } else {
            profile.rules.push_back({name, action, conditions, nr});
        }
    }
    return {};
}

Result<Profile> parse_profile(const Json& seccomp) {
    Profile p;
    p.default_action = TRY(parse_action(seccomp, "defaultAction", "defaultErrnoRet", kWhere));
    if (p.default_action == SCMP_ACT_NOTIFY) {
        return fail(ErrorKind::InvalidArgument,
                    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    }
    p.archs = TRY(parse_archs(seccomp));
    p.flags = TRY(parse_flags(seccomp));
    TRY(get_optional(seccomp, "listenerPath", p.listener_path, kWhere));
    TRY(get_optional(seccomp, "listenerMetadata", p.listener_metadata, kWhere));
    if (p.listener_path.empty() && !p.listener_metadata.empty()) {
        return fail(ErrorKind::InvalidArgument,
                    "linux.seccomp.listenerMetadata: set without listenerPath");
    }

    auto syscalls = seccomp.find("syscalls");
    if (syscalls != seccomp.end() && !syscalls->is_null()) {
        if (!syscalls->is_array())
            return fail(ErrorKind::InvalidArgument, "linux.seccomp.syscalls: must be an array");
        for (size_t i = 0; i < syscalls->size(); ++i) {
            TRY(parse_syscall((*syscalls)[i], "linux.seccomp.syscalls[" + std::to_string(i) + "]",
                              p));
        }
    }
    return p;
}

// Every action the profile uses must exist in this kernel, or the filter would kill where it
// should not.
Result<void> check_actions(const Profile& p) {
    std::vector<uint32_t> checked;
    auto check = [&](uint32_t action) -> Result<void> {
        uint32_t base = action & SECCOMP_RET_ACTION_FULL;
        if (std::find(checked.begin(), checked.end(), base) != checked.end()) return {};
        checked.push_back(base);
        if (!kernel_has_action(action)) {
            return fail(ErrorKind::Unsupported, "linux.seccomp: " + action_name(action) +
                                                    " is not supported by the kernel");
        }
        return {};
    };
    TRY(check(p.default_action));
    for (const auto& rule : p.rules)
        TRY(check(rule.action));
    return {};
}

struct ContextDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

Error libseccomp_error(const std::string& what, int rc) {
    return Error::from_errno(what, -rc).context("libseccomp");
}

// libseccomp for one architecture.
Result<bpf::Program> compile_libseccomp_arch(const Profile& p, uint32_t arch) {
    std::unique_ptr<void, ContextDeleter> ctx(seccomp_init(p.default_action));
    if (!ctx) return fail(ErrorKind::Internal, "libseccomp: cannot create a filter");
    if (arch != seccomp_arch_native()) {
        int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE);
        if (rc == 0) rc = seccomp_arch_add(ctx.get(), arch);
        if (rc != 0) return fail(libseccomp_error("set the architecture", rc));
    }
    std::vector<const bpf::Rule*> rules;
    for (const auto& rule : p.rules) {
        // libseccomp refuses rules with the default action.
        if (rule.action != p.default_action && bpf::exists_on(arch, rule.name))
            rules.push_back(&rule);
    }
    // runc's choice: a binary tree for long profiles (libseccomp 2.5 misbehaves on empty ones).
    if (rules.size() > 32) (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

    for (const bpf::Rule* rule : rules) {
        std::vector<scmp_arg_cmp> cmps;
        cmps.reserve(rule->conditions.size());
        for (const auto& c : rule->conditions)
            cmps.push_back({c.index, c.op, c.value, c.value_two});
        int rc = seccomp_rule_add_array(ctx.get(), rule->action, rule->native_nr,
                                        static_cast<unsigned>(cmps.size()), cmps.data());
        if (rc < 0) return fail(libseccomp_error("add a rule for " + rule->name, rc));
    }

    int fd = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0) return fail_errno("memfd_create");
    UniqueFd memfd(fd);
    if (int rc = seccomp_export_bpf(ctx.get(), fd); rc < 0)
        return fail(libseccomp_error("export the filter", rc));
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0) return fail_errno("seek the exported filter");
    bpf::Program program(static_cast<size_t>(size) / sizeof(sock_filter));
    size_t want = program.size() * sizeof(sock_filter);
    if (::pread(fd, program.data(), want, 0) != static_cast<ssize_t>(want))
        return fail_errno("read the exported filter");
    return bpf::load_syscall_after_arch_check(std::move(program));
}

// The reference compiler, for what compile_fast does not model. libseccomp 2.5.4 puts the load
// of the syscall number into the block of an architecture's first syscall, and drops that block
// when the architecture lacks the syscall (a rule on time(2) for aarch64, or x86's semop(2),
// which exists there only inside ipc(2)): that architecture's filter then compares its audit
// number with syscall numbers and never matches. So every architecture is compiled on its own,
// without rules it lacks, with the load made sure of (bpf::load_syscall_after_arch_check), and
// the programs are joined by architecture (x86_64 and x32 by the x32 bit).
Result<bpf::Program> compile_libseccomp(const Profile& p) {
    std::vector<std::pair<uint32_t, bpf::Program>> sections;  // audit arch -> program
    std::optional<bpf::Program> x86_64, x32;
    for (uint32_t arch : p.archs) {
        bpf::Program program = TRY(compile_libseccomp_arch(p, arch));
        if (arch == SCMP_ARCH_X86_64)
            x86_64 = std::move(program);
        else if (arch == SCMP_ARCH_X32)
            x32 = std::move(program);
        else
            sections.emplace_back(bpf::audit_arch(arch), std::move(program));
    }
    if (x86_64 && x32) {
        sections.emplace_back(AUDIT_ARCH_X86_64, bpf::dispatch_by_x32_bit(*x86_64, *x32));
    } else if (x86_64 || x32) {
        sections.emplace_back(AUDIT_ARCH_X86_64, x86_64 ? std::move(*x86_64) : std::move(*x32));
    }
    if (sections.size() == 1) return std::move(sections[0].second);
    return bpf::dispatch_by_arch(sections, SCMP_ACT_KILL_THREAD);
}

bool allows_by_default(uint32_t action) {
    uint32_t base = action & SECCOMP_RET_ACTION_FULL;
    return base == SCMP_ACT_ALLOW || base == SCMP_ACT_LOG ||
           base == (SCMP_ACT_TRACE(0) & SECCOMP_RET_ACTION_FULL);
}

Result<void> send_all(int fd, const std::string& payload, int listener_fd) {
    std::string_view rest = payload;
    // The fd goes with the first part only, as the spec asks.
    std::span<const int> fds(&listener_fd, 1);
    while (!rest.empty()) {
        size_t sent = TRY(send_with_fds(fd, rest, fds, "send the seccomp listener"));
        rest.remove_prefix(sent);
        fds = {};
    }
    return {};
}

}  // namespace

Result<SeccompFilter> compile_seccomp(const Json& seccomp, std::vector<std::string>& warnings,
                                      const SeccompOptions& options) {
    if (!seccomp.is_object())
        return fail(ErrorKind::InvalidArgument, "linux.seccomp: must be an object");
    auto has = [&](const char* key) {
        auto it = seccomp.find(key);
        return it != seccomp.end() && !it->is_null() && !(it->is_string() && it->empty()) &&
               !(it->is_array() && it->empty());
    };
    // runc: no default action and no syscalls means no seccomp at all.
    if (!has("defaultAction") && !has("syscalls")) return SeccompFilter{};

    Profile p = TRY(parse_profile(seccomp));
    if (!p.unknown.empty()) {
        std::string list;
        for (const auto& name : p.unknown)
            list += (list.empty() ? "" : ", ") + name;
        const scmp_version* v = seccomp_version();
        warnings.push_back("seccomp: skipping syscalls unknown to libseccomp " +
                           std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                           std::to_string(v->micro) + ": " + list);
    }
    TRY(check_actions(p));

    SeccompFilter filter;
    filter.notifies_ = std::any_of(p.rules.begin(), p.rules.end(),
                                   [&](const bpf::Rule& r) { return r.action == SCMP_ACT_NOTIFY; });
    if (filter.notifies_ && p.listener_path.empty()) {
        return fail(ErrorKind::InvalidArgument,
                    "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
    }
    filter.flags_ = p.flags;
    if (filter.notifies_) {
        filter.flags_ |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        // With a listener, seccomp(2) can only report a failed thread sync as ESRCH.
        if (p.flags & SECCOMP_FILTER_FLAG_TSYNC) filter.flags_ |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    } else if (p.flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
        filter.flags_ &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
        warnings.push_back(
            "seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV has no effect without "
            "SCMP_ACT_NOTIFY");
    }
    filter.listener_path_ = std::move(p.listener_path);
    filter.listener_metadata_ = std::move(p.listener_metadata);

    std::optional<bpf::FastFilter> fast;
    if (!options.force_libseccomp) fast = bpf::compile_fast(p.default_action, p.archs, p.rules);
    bpf::Program program;
    std::vector<bpf::ArchMax> maxima;
    if (fast) {
        filter.compiler_ = SeccompFilter::Compiler::Fast;
        program = std::move(fast->program);
        maxima = std::move(fast->maxima);
    } else {
        filter.compiler_ = SeccompFilter::Compiler::Libseccomp;
        program = TRY(compile_libseccomp(p));
        maxima = bpf::syscall_maxima(p.archs, p.rules);
    }
    bool stub = !allows_by_default(p.default_action) &&
                p.default_action != static_cast<uint32_t>(SCMP_ACT_ERRNO(ENOSYS));
    filter.program_ = stub ? bpf::prepend_enosys_stub(program, maxima) : std::move(program);
    if (filter.program_.size() > BPF_MAXINSNS) {
        return fail(ErrorKind::InvalidArgument, "linux.seccomp: the filter takes " +
                                                    std::to_string(filter.program_.size()) +
                                                    " BPF instructions, more than the kernel's " +
                                                    std::to_string(BPF_MAXINSNS));
    }
    return filter;
}

Result<UniqueFd> install_seccomp(const SeccompFilter& filter) {
    if (filter.empty()) return UniqueFd{};
    sock_fprog prog{static_cast<unsigned short>(filter.program().size()),
                    const_cast<sock_filter*>(filter.program().data())};
    long rc = seccomp_syscall(SECCOMP_SET_MODE_FILTER, filter.flags(), &prog);
    if (rc < 0) {
        if (errno == EACCES)
            return fail_errno("load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
        return fail_errno("load seccomp filter");
    }
    if (filter.flags() & SECCOMP_FILTER_FLAG_NEW_LISTENER) return UniqueFd(static_cast<int>(rc));
    if (rc > 0) {
        return fail(ErrorKind::Internal, "load seccomp filter: thread " + std::to_string(rc) +
                                             " cannot be synchronised");
    }
    return UniqueFd{};
}

Json seccomp_process_state(const SeccompFilter& filter, pid_t pid, const Json& state) {
    std::string version = "1.2.0";
    if (auto it = state.find("ociVersion"); it != state.end() && it->is_string())
        version = it->get<std::string>();
    Json out = {{"ociVersion", version}, {"fds", {"seccompFd"}}, {"pid", pid}};
    if (!filter.listener_metadata().empty()) out["metadata"] = filter.listener_metadata();
    out["state"] = state;
    return out;
}

Result<void> send_listener_fd(const SeccompFilter& filter, int listener_fd, pid_t pid,
                              const Json& state) {
    if (filter.listener_path().empty())
        return fail(ErrorKind::InvalidArgument, "seccomp: no listenerPath to send the listener to");
    std::string context = "send the seccomp listener to " + filter.listener_path();
    UniqueFd conn = TRY_CTX(connect_unix(filter.listener_path()), context);
    TRY_CTX(send_all(conn.get(), seccomp_process_state(filter, pid, state).dump(), listener_fd),
            context);
    return {};
}

Json seccomp_features_json() {
    std::vector<std::string> archs;
    for (const auto& a : kArchs)
        if (a.value != kArchUnsupported) archs.emplace_back(a.name);
    std::sort(archs.begin(), archs.end());
    std::vector<std::string> known, supported;
    for (const auto& f : kFlags) {
        known.emplace_back(f.name);
        unsigned probe = f.value;
        if (probe == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
            probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if (kernel_has_flags(probe)) supported.emplace_back(f.name);
    }
    return {
        {"enabled", true}, {"actions", names_of(kActions)}, {"operators", names_of(kOperators)},
        {"archs", archs},  {"knownFlags", known},           {"supportedFlags", supported},
    };
}

}  // namespace berth::runtime
