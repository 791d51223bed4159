// What the compiled programs decide, input by input: a classic BPF interpreter runs them, and
// the fast compiler is held to libseccomp's result on docker's profile and on random profiles.
#include "runtime/seccomp_bpf.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>

#include "runtime/classic_bpf.h"
#include "runtime/seccomp.h"

namespace berth::runtime {
namespace {

using Args = std::array<uint64_t, 6>;

// Runs a seccomp BPF program over one input as the kernel does; fails the test on anything the
// kernel would refuse (unknown opcodes, loads outside seccomp_data, running off the end).
uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
    BpfVerdict verdict = run_classic_bpf(prog, data);
    if (!verdict.ok) {
        ADD_FAILURE() << verdict.why;
        return ~0u;
    }
    return verdict.action;
}

// Every jump lands inside the program and the program ends in a return, as the kernel checks.
void expect_well_formed(const std::vector<sock_filter>& prog) {
    EXPECT_EQ(classic_bpf_malformation(prog), "");
}

uint32_t eval(const SeccompFilter& filter, uint32_t arch, uint32_t nr, const Args& args = {}) {
    seccomp_data data{};
    data.nr = static_cast<int>(nr);
    data.arch = arch;
    for (size_t i = 0; i < 6; ++i)
        data.args[i] = args[i];
    return run_bpf(filter.program(), data);
}

uint32_t nr_of(const char* name, uint32_t arch = SCMP_ARCH_X86_64) {
    return static_cast<uint32_t>(seccomp_syscall_resolve_name_arch(arch, name));
}

SeccompFilter compile_ok(const Json& j, std::vector<std::string>* warnings = nullptr,
                         SeccompOptions options = {}) {
    std::vector<std::string> ignored;
    auto r = compile_seccomp(j, warnings ? *warnings : ignored, options);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? std::move(*r) : SeccompFilter{};
}

Json docker_profile() {
    auto path =
        std::filesystem::path(__FILE__).parent_path() / "testdata" / "docker_default_seccomp.json";
    auto j = read_json_file(path.string());
    EXPECT_TRUE(j.has_value()) << path;
    return j ? *j : Json::object();
}

TEST(SeccompProgram, ErrnoRetDefaultsToEperm) {
    SeccompFilter f =
        compile_ok({{"defaultAction", "SCMP_ACT_ERRNO"},
                    {"syscalls",
                     {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ALLOW"}},
                      {{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}},
                      {{"names", {"getppid"}}, {"action", "SCMP_ACT_TRACE"}}}}});
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("getpid")), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("mkdir")), SCMP_ACT_ERRNO(38));
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("getppid")), SCMP_ACT_TRACE(EPERM));
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("read")), SCMP_ACT_ERRNO(EPERM));
}

TEST(SeccompProgram, ConditionsOnOneArgumentAreOredOnDifferentArgumentsAnded) {
    Json j = {{"defaultAction", "SCMP_ACT_ERRNO"},
              {"syscalls",
               {{{"names", {"personality"}},
                 {"action", "SCMP_ACT_ALLOW"},
                 {"args",
                  {{{"index", 0}, {"value", 8}, {"op", "SCMP_CMP_EQ"}},
                   {{"index", 0}, {"value", 0xffffffffu}, {"op", "SCMP_CMP_EQ"}}}}},
                {{"names", {"socket"}},
                 {"action", "SCMP_ACT_ALLOW"},
                 {"args",
                  {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}},
                   {{"index", 1}, {"value", 2}, {"op", "SCMP_CMP_GE"}}}}}}}};
    for (bool libseccomp : {false, true}) {
        SeccompFilter f = compile_ok(j, nullptr, {.force_libseccomp = libseccomp});
        uint32_t x64 = AUDIT_ARCH_X86_64;
        EXPECT_EQ(eval(f, x64, nr_of("personality"), {8}), SCMP_ACT_ALLOW);
        EXPECT_EQ(eval(f, x64, nr_of("personality"), {0xffffffff}), SCMP_ACT_ALLOW);
        EXPECT_EQ(eval(f, x64, nr_of("personality"), {0}), SCMP_ACT_ERRNO(EPERM));
        EXPECT_EQ(eval(f, x64, nr_of("socket"), {1, 2}), SCMP_ACT_ALLOW);
        EXPECT_EQ(eval(f, x64, nr_of("socket"), {1, 1ull << 32}), SCMP_ACT_ALLOW);
        EXPECT_EQ(eval(f, x64, nr_of("socket"), {1, 1}), SCMP_ACT_ERRNO(EPERM));
        EXPECT_EQ(eval(f, x64, nr_of("socket"), {2, 2}), SCMP_ACT_ERRNO(EPERM));
    }
}

TEST(SeccompProgram, ArgumentsCompareAllSixtyFourBits) {
    auto rule = [](const char* op, uint64_t value, uint64_t two = 0) {
        return Json{
            {"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls",
             {{{"names", {"mmap"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"args", {{{"index", 3}, {"value", value}, {"valueTwo", two}, {"op", op}}}}}}}};
    };
    const uint64_t big = 0x100000005ull;
    struct Case {
        const char* op;
        uint64_t arg;
        bool match;
    } cases[] = {
        {"SCMP_CMP_EQ", big, true},     {"SCMP_CMP_EQ", 5, false},
        {"SCMP_CMP_NE", 5, true},       {"SCMP_CMP_NE", big, false},
        {"SCMP_CMP_GT", big + 1, true}, {"SCMP_CMP_GT", 0x200000000ull, true},
        {"SCMP_CMP_GT", big, false},    {"SCMP_CMP_GT", 6, false},
        {"SCMP_CMP_GE", big, true},     {"SCMP_CMP_GE", big - 1, false},
        {"SCMP_CMP_LT", big - 1, true}, {"SCMP_CMP_LT", 0xffffffffull, true},
        {"SCMP_CMP_LT", big, false},    {"SCMP_CMP_LT", 0x200000000ull, false},
        {"SCMP_CMP_LE", big, true},     {"SCMP_CMP_LE", big + 1, false},
    };
    for (const auto& c : cases) {
        for (bool libseccomp : {false, true}) {
            SeccompFilter f =
                compile_ok(rule(c.op, big), nullptr, {.force_libseccomp = libseccomp});
            Args args{};
            args[3] = c.arg;
            EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("mmap"), args),
                      c.match ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW)
                << c.op << " " << c.arg << (libseccomp ? " (libseccomp)" : "");
        }
    }
    // MASKED_EQ: (arg & value) == valueTwo
    SeccompFilter f = compile_ok(rule("SCMP_CMP_MASKED_EQ", 0xff000000ffull, 0x1200000034ull));
    Args args{};
    args[3] = 0x1277777734ull;
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("mmap"), args), SCMP_ACT_ERRNO(EPERM));
    args[3] = 0x1377777734ull;
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("mmap"), args), SCMP_ACT_ALLOW);
}

TEST(SeccompProgram, RuleWithTheDefaultActionIsDropped) {
    std::vector<std::string> warnings;
    SeccompFilter f =
        compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"syscalls",
                     {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ALLOW"}},
                      {{"names", {"getppid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}}}},
                   &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("getpid")), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("getppid")), SCMP_ACT_KILL_PROCESS);
}

TEST(SeccompProgram, ForeignArchitecturesAreKilled) {
    SeccompFilter f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"}});
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, 0), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(f, AUDIT_ARCH_I386, 0), SCMP_ACT_KILL_THREAD);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, 0x40000000), SCMP_ACT_KILL_THREAD);  // x32
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, 0xffffffff), SCMP_ACT_ALLOW);        // a tracer's skip
    f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"architectures", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}});
    EXPECT_EQ(eval(f, AUDIT_ARCH_I386, 0), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, 0x40000000), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(f, AUDIT_ARCH_AARCH64, 0), SCMP_ACT_KILL_THREAD);
}

TEST(SeccompProgram, NewerSyscallsGetEnosysAsWithRunc) {
    Json j = {{"defaultAction", "SCMP_ACT_ERRNO"},
              {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
              {"syscalls", {{{"names", {"read", "openat2"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
    SeccompFilter f = compile_ok(j);
    uint32_t openat2 = nr_of("openat2");
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, openat2), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, openat2 - 1), SCMP_ACT_ERRNO(EPERM));
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, openat2 + 1), SCMP_ACT_ERRNO(ENOSYS));
    EXPECT_EQ(eval(f, AUDIT_ARCH_I386, nr_of("openat2", SCMP_ARCH_X86) + 1),
              SCMP_ACT_ERRNO(ENOSYS));
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("openat2", SCMP_ARCH_X32) + 1),
              SCMP_ACT_ERRNO(ENOSYS));
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("openat2", SCMP_ARCH_X32) - 1),
              SCMP_ACT_ERRNO(EPERM));

    j["defaultErrnoRet"] = ENOSYS;  // nothing to patch
    EXPECT_EQ(eval(compile_ok(j), AUDIT_ARCH_X86_64, openat2 + 1), SCMP_ACT_ERRNO(ENOSYS));
    j.erase("defaultErrnoRet");
    j["defaultAction"] = "SCMP_ACT_LOG";  // allows: no stub
    j["syscalls"][0]["action"] = "SCMP_ACT_ERRNO";
    EXPECT_EQ(eval(compile_ok(j), AUDIT_ARCH_X86_64, openat2 + 1), SCMP_ACT_LOG);
}

TEST(SeccompProgram, MixedActionsOnOneSyscallFallBackToLibseccomp) {
    Json j = {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls",
               {{{"names", {"socket"}},
                 {"action", "SCMP_ACT_ERRNO"},
                 {"args", {{{"index", 0}, {"value", 16}, {"op", "SCMP_CMP_EQ"}}}}},
                {{"names", {"socket"}},
                 {"action", "SCMP_ACT_KILL_PROCESS"},
                 {"args", {{{"index", 0}, {"value", 40}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    SeccompFilter f = compile_ok(j);
    EXPECT_EQ(f.compiler(), SeccompFilter::Compiler::Libseccomp);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("socket"), {16}), SCMP_ACT_ERRNO(EPERM));
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("socket"), {40}), SCMP_ACT_KILL_PROCESS);
    EXPECT_EQ(eval(f, AUDIT_ARCH_X86_64, nr_of("socket"), {1}), SCMP_ACT_ALLOW);
}

// --- The fast compiler against libseccomp ---

TEST(SeccompProgram, LibseccompLosingTheSyscallLoadIsWorkedAround) {
    // libseccomp 2.5.4 alone compiles both of these into filters whose x86 (and aarch64) section
    // compares the architecture number with syscall numbers, so getpid's rules never match.
    Json x86 = {{"defaultAction", "SCMP_ACT_ERRNO"},
                {"architectures", {"SCMP_ARCH_X86"}},
                {"syscalls",
                 {{{"names", {"semop"}}, {"action", "SCMP_ACT_TRAP"}},
                  {{"names", {"getpid"}},
                   {"action", "SCMP_ACT_TRAP"},
                   {"args", {{{"index", 2}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    Json aarch64 = {{"defaultAction", "SCMP_ACT_LOG"},
                    {"architectures", {"SCMP_ARCH_AARCH64"}},
                    {"syscalls",
                     {{{"names", {"time"}}, {"action", "SCMP_ACT_TRAP"}},
                      {{"names", {"getpid"}},
                       {"action", "SCMP_ACT_TRAP"},
                       {"args", {{{"index", 1}, {"value", 5}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    for (bool libseccomp : {false, true}) {
        SeccompOptions options{.force_libseccomp = libseccomp};
        SeccompFilter f = compile_ok(x86, nullptr, options);
        EXPECT_EQ(eval(f, AUDIT_ARCH_I386, nr_of("getpid", SCMP_ARCH_X86)), SCMP_ACT_TRAP);
        // ipc(2) is numbered above getpid(2), the highest syscall the profile names, so runc's
        // stub answers ENOSYS for it before the filter can say TRAP for semop.
        EXPECT_EQ(eval(f, AUDIT_ARCH_I386, nr_of("ipc", SCMP_ARCH_X86), {1}),
                  SCMP_ACT_ERRNO(ENOSYS));
        f = compile_ok(aarch64, nullptr, options);
        EXPECT_EQ(eval(f, AUDIT_ARCH_AARCH64, nr_of("getpid", SCMP_ARCH_AARCH64), {0, 5}),
                  SCMP_ACT_TRAP);
    }
}

// Interesting argument values: the profile's own, their neighbours, and both halves set.
std::vector<uint64_t> probe_values(const Json& profile) {
    std::set<uint64_t> v{0, 1, 2, 0xffffffffull, 0x100000000ull, ~0ull, 0x8000000000000000ull};
    for (const auto& s : profile.value("syscalls", Json::array())) {
        for (const auto& a : s.value("args", Json::array())) {
            for (const char* key : {"value", "valueTwo"}) {
                uint64_t x = a.value(key, uint64_t{0});
                for (uint64_t y :
                     {x, x - 1, x + 1, x | uint64_t{1} << 32, x & uint64_t{0xffffffff}})
                    v.insert(y);
            }
        }
    }
    return {v.begin(), v.end()};
}

// The (audit arch, syscall number) pairs whose rules look at arguments.
std::set<std::pair<uint32_t, uint32_t>> conditional_syscalls(const Json& profile) {
    std::vector<uint32_t> tokens{seccomp_arch_native()};
    for (const auto& a : profile.value("architectures", Json::array())) {
        for (auto [name, token] : {std::pair{"SCMP_ARCH_X86", SCMP_ARCH_X86},
                                   {"SCMP_ARCH_X32", SCMP_ARCH_X32},
                                   {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
                                   {"SCMP_ARCH_ARM", SCMP_ARCH_ARM}})
            if (a == name) tokens.push_back(token);
    }
    std::set<std::pair<uint32_t, uint32_t>> out;
    for (const auto& s : profile.value("syscalls", Json::array())) {
        if (s.value("args", Json::array()).empty()) continue;
        for (const auto& name : s["names"]) {
            for (uint32_t token : tokens) {
                uint32_t audit = seccomp_bpf::audit_arch(token);
                int nr = seccomp_syscall_resolve_name_arch(token, name.get<std::string>().c_str());
                if (nr >= 0) {
                    out.insert({audit, static_cast<uint32_t>(nr)});
                } else if (token == SCMP_ARCH_X86) {  // socketcall, ipc and the direct calls
                    out.insert({audit, 102});
                    out.insert({audit, 117});
                    for (uint32_t direct = 337; direct <= 402; ++direct)
                        out.insert({audit, direct});
                }
            }
        }
    }
    return out;
}

// Checks that both compilers give the same action for every input that could tell them apart;
// returns the number of inputs compared.
size_t expect_same_behaviour(const Json& profile, const SeccompFilter& fast,
                             const SeccompFilter& reference, std::mt19937_64& rng) {
    std::vector<uint32_t> archs{AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
                                AUDIT_ARCH_ARM, AUDIT_ARCH_PPC64LE};
    std::vector<uint32_t> nrs;
    for (uint32_t n = 0; n < 600; ++n) {
        nrs.push_back(n);
        nrs.push_back(n | 0x40000000u);
    }
    for (uint32_t n : {0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu, 0xf0005u})
        nrs.push_back(n);
    auto conditional = conditional_syscalls(profile);
    auto values = probe_values(profile);
    std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
    auto random_args = [&] {
        Args a{};
        for (auto& x : a)
            x = values[pick(rng)];
        return a;
    };

    size_t compared = 0;
    for (uint32_t arch : archs) {
        for (uint32_t nr : nrs) {
            std::vector<Args> inputs{Args{}, random_args()};
            if (conditional.contains({arch, nr})) {
                for (unsigned i = 0; i < 6; ++i) {
                    for (uint64_t x : values) {
                        Args a{};
                        a[i] = x;
                        inputs.push_back(a);
                    }
                }
                for (int k = 0; k < 200; ++k)
                    inputs.push_back(random_args());
            }
            for (const auto& a : inputs) {
                uint32_t want = eval(reference, arch, nr, a);
                uint32_t got = eval(fast, arch, nr, a);
                ++compared;
                if (want != got) {
                    ADD_FAILURE() << "arch " << std::hex << arch << " nr " << nr << " args " << a[0]
                                  << " " << a[1] << " " << a[2] << " " << a[3] << ": libseccomp "
                                  << want << ", fast " << got << "\nprofile: " << profile.dump();
                    return compared;
                }
            }
        }
    }
    return compared;
}

TEST(SeccompProgram, DockerProfileCompilesFastAndAgreesWithLibseccomp) {
    Json profile = docker_profile();
    std::vector<std::string> warnings;
    SeccompFilter fast = compile_ok(profile, &warnings);
    SeccompFilter reference = compile_ok(profile, nullptr, {.force_libseccomp = true});
    ASSERT_EQ(fast.compiler(), SeccompFilter::Compiler::Fast);
    ASSERT_EQ(reference.compiler(), SeccompFilter::Compiler::Libseccomp);
    expect_well_formed(fast.program());
    expect_well_formed(reference.program());
    for (const auto& w : warnings)
        std::cout << "[ warning  ] " << w << "\n";
    std::cout << "[ bpf size ] fast " << fast.program().size() << " instructions, libseccomp "
              << reference.program().size() << "\n";
    std::mt19937_64 rng(1);
    size_t n = expect_same_behaviour(profile, fast, reference, rng);
    std::cout << "[ compared ] " << n << " inputs\n";

    // Spot checks of what docker's profile means.
    uint32_t x64 = AUDIT_ARCH_X86_64;
    EXPECT_EQ(eval(fast, x64, nr_of("read")), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(fast, x64, nr_of("mount")), SCMP_ACT_ERRNO(EPERM));
    EXPECT_EQ(eval(fast, x64, nr_of("clone3")), SCMP_ACT_ERRNO(ENOSYS));
    EXPECT_EQ(eval(fast, x64, nr_of("clone"), {0x01200011}), SCMP_ACT_ALLOW);  // fork()
    EXPECT_EQ(eval(fast, x64, nr_of("clone"), {CLONE_NEWUSER}), SCMP_ACT_ERRNO(EPERM));
    EXPECT_EQ(eval(fast, x64, nr_of("personality"), {0xffffffff}), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(fast, x64, nr_of("personality"), {1}), SCMP_ACT_ERRNO(EPERM));
    EXPECT_EQ(eval(fast, x64, nr_of("socket"), {AF_UNIX}), SCMP_ACT_ALLOW);
    EXPECT_EQ(eval(fast, x64, nr_of("socket"), {AF_VSOCK}), SCMP_ACT_ERRNO(EPERM));
    // x86: socketcall(SYS_SOCKET) and the direct socket(2) both follow the socket rule
    EXPECT_EQ(eval(fast, AUDIT_ARCH_I386, 359, {AF_VSOCK}), SCMP_ACT_ERRNO(EPERM));
    EXPECT_EQ(eval(fast, AUDIT_ARCH_I386, 359, {AF_UNIX}), SCMP_ACT_ALLOW);
}

// Random profiles in the shape the fast compiler takes (and some it leaves to libseccomp).
Json random_profile(std::mt19937_64& rng) {
    static const char* kNames[] = {
        "read",      "write",   "getpid",     "socket",      "bind",    "connect", "accept",
        "accept4",   "recv",    "sendto",     "recvmmsg",    "semop",   "semget",  "shmat",
        "msgrcv",    "ipc",     "socketcall", "personality", "clone",   "mmap",    "mmap2",
        "_llseek",   "mkdir",   "arch_prctl", "ptrace",      "fcntl64", "time",    "openat2",
        "getrandom", "set_tls", "kill",       "tgkill",
    };
    static const char* kActions[] = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS",
                                     "SCMP_ACT_TRAP", "SCMP_ACT_LOG"};
    static const char* kOps[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                 "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
    static const uint64_t kValues[] = {0,          1,          2,           8,
                                       40,         0xffffffff, 0x100000000, ~0ull,
                                       0x7e020000, 0x80000000, 0x1ffffffff, 0xff00000000ff};
    auto pick = [&](auto& array) {
        return array[std::uniform_int_distribution<size_t>(0, std::size(array) - 1)(rng)];
    };
    auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };

    Json archs = Json::array();
    for (const char* a : {"SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"})
        if (chance(0.5)) archs.push_back(a);
    std::string defaults[] = {"SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL", "SCMP_ACT_LOG"};
    Json profile = {{"defaultAction", pick(defaults)}, {"architectures", archs}};
    // One or two actions per profile keep most syscalls' conditional rules to one action.
    std::vector<const char*> actions{pick(kActions)};
    if (chance(0.3)) actions.push_back(pick(kActions));
    Json syscalls = Json::array();
    int rules = std::uniform_int_distribution<int>(1, 12)(rng);
    for (int r = 0; r < rules; ++r) {
        Json names = Json::array();
        int n = std::uniform_int_distribution<int>(1, 4)(rng);
        for (int i = 0; i < n; ++i)
            names.push_back(pick(kNames));
        Json rule = {
            {"names", names},
            {"action", actions[std::uniform_int_distribution<size_t>(0, actions.size() - 1)(rng)]}};
        if (rule["action"] == "SCMP_ACT_ERRNO" && chance(0.5)) rule["errnoRet"] = 38;
        int conditions = chance(0.5) ? 0 : std::uniform_int_distribution<int>(1, 3)(rng);
        Json args = Json::array();
        for (int c = 0; c < conditions; ++c) {
            args.push_back({{"index", std::uniform_int_distribution<int>(0, 3)(rng)},
                            {"value", pick(kValues)},
                            {"valueTwo", pick(kValues)},
                            {"op", chance(0.4) ? "SCMP_CMP_EQ" : pick(kOps)}});
        }
        if (!args.empty()) rule["args"] = args;
        syscalls.push_back(rule);
    }
    if (chance(0.3)) {  // docker's personality shape: one argument, several allowed values
        const char* name = pick(kNames);
        int index = std::uniform_int_distribution<int>(0, 2)(rng);
        for (int i = std::uniform_int_distribution<int>(2, 5)(rng); i > 0; --i) {
            syscalls.push_back(
                {{"names", {name}},
                 {"action", actions[0]},
                 {"args", {{{"index", index}, {"value", pick(kValues)}, {"op", "SCMP_CMP_EQ"}}}}});
        }
    }
    profile["syscalls"] = syscalls;
    return profile;
}

TEST(SeccompProgram, RandomProfilesAgreeWithLibseccomp) {
    // BERTH_SECCOMP_PROFILES=20000 for a longer run.
    const char* env = std::getenv("BERTH_SECCOMP_PROFILES");
    int fast_count = 0, total = env ? std::atoi(env) : 600;
    std::mt19937_64 rng(20240611);
    for (int i = 0; i < total && !HasFailure(); ++i) {
        Json profile = random_profile(rng);
        std::vector<std::string> warnings;
        auto fast = compile_seccomp(profile, warnings);
        auto reference = compile_seccomp(profile, warnings, {.force_libseccomp = true});
        ASSERT_EQ(fast.has_value(), reference.has_value()) << profile.dump();
        if (!fast) continue;
        if (fast->compiler() != SeccompFilter::Compiler::Fast) continue;
        ++fast_count;
        expect_well_formed(fast->program());
        expect_same_behaviour(profile, *fast, *reference, rng);
    }
    std::cout << "[ random   ] " << fast_count << " of " << total
              << " profiles took the fast compiler\n";
    EXPECT_GE(fast_count, total / 4);
}

TEST(SeccompProgram, LongJumpsStayInRange) {
    // Many conditional syscalls put the search tree's targets more than 255 instructions away.
    Json syscalls = Json::array();
    for (int nr = 0; nr < 300; ++nr) {
        char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (name == nullptr) continue;
        syscalls.push_back({{"names", {name}},
                            {"action", "SCMP_ACT_ALLOW"},
                            {"args",
                             {{{"index", nr % 6}, {"value", nr}, {"op", "SCMP_CMP_GT"}},
                              {{"index", (nr + 1) % 6}, {"value", nr}, {"op", "SCMP_CMP_NE"}}}}});
        std::free(name);
    }
    Json profile = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", syscalls}};
    SeccompFilter fast = compile_ok(profile);
    SeccompFilter reference = compile_ok(profile, nullptr, {.force_libseccomp = true});
    ASSERT_EQ(fast.compiler(), SeccompFilter::Compiler::Fast);
    expect_well_formed(fast.program());
    std::mt19937_64 rng(7);
    expect_same_behaviour(profile, fast, reference, rng);
}

}  // namespace
}  // namespace berth::runtime
