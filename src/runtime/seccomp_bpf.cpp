#include "runtime/seccomp_bpf.h"

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace berth::runtime::seccomp_bpf {

namespace {

constexpr uint32_t kOffsetNr = offsetof(seccomp_data, nr);
constexpr uint32_t kOffsetArch = offsetof(seccomp_data, arch);
constexpr uint32_t kX32Bit = 0x40000000;
constexpr uint32_t kMaxShortJump = 255;  // jt and jf are 8 bits

// Little-endian hosts only (compile_fast checks): the low word of an argument comes first.
uint32_t arg_lo(unsigned index) {
    return offsetof(seccomp_data, args) + 8 * index;
}
uint32_t arg_hi(unsigned index) {
    return arg_lo(index) + 4;
}

// Where a jump goes: an instruction already emitted, or a return of an action (emitted next to
// the jump when the nearest copy is too far away).
struct Dest {
    bool is_return = false;
    uint32_t value = 0;  // the label, or the action

    static Dest label(uint32_t l) { return {false, l}; }
    static Dest ret(uint32_t action) { return {true, action}; }
    bool operator==(const Dest&) const = default;
};

// Emits a program back to front, so that the target of every jump exists when the jump is
// emitted (BPF jumps only forward) and its distance is known. A label is an instruction's
// position counted from the end of the program.
class Builder {
  public:
    uint32_t size() const { return static_cast<uint32_t>(rev_.size()); }

    uint32_t emit(uint16_t code, uint32_t k) {
        rev_.push_back(sock_filter{code, 0, 0, k});
        return size() - 1;
    }
    uint32_t load(uint32_t offset) { return emit(BPF_LD | BPF_W | BPF_ABS, offset); }
    uint32_t alu_and(uint32_t k) { return emit(BPF_ALU | BPF_AND | BPF_K, k); }
    uint32_t ret(uint32_t action) {
        uint32_t l = emit(BPF_RET | BPF_K, action);
        returns_[action] = l;
        return l;
    }

    // A conditional jump (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET against k).
    Dest jump(uint16_t op, uint32_t k, Dest if_true, Dest if_false) {
        uint32_t f = near(if_false, 1);  // resolving if_true may emit one more instruction
        uint32_t t = near(if_true, 0);
        uint32_t at = size();
        rev_.push_back(sock_filter{static_cast<uint16_t>(BPF_JMP | op | BPF_K),
                                   static_cast<uint8_t>(at - t - 1),
                                   static_cast<uint8_t>(at - f - 1), k});
        return Dest::label(at);
    }

    // Makes the next instruction emitted fall through to `d`.
    void flow_into(Dest d) {
        if (d.is_return) {
            if (!(size() > 0 && rev_.back().code == (BPF_RET | BPF_K) && rev_.back().k == d.value))
                ret(d.value);
        } else if (d.value != size() - 1) {
            emit(BPF_JMP | BPF_JA, size() - d.value - 1);
        }
    }

    // Appends a finished program (its jumps are relative, so it moves as a whole); returns the
    // label of its first instruction.
    uint32_t append(const Program& program) {
        rev_.insert(rev_.end(), program.rbegin(), program.rend());
        return size() - 1;
    }

    Program finish() && {
        std::reverse(rev_.begin(), rev_.end());
        return std::move(rev_);
    }

  private:
    // A label for `d` that an instruction emitted after `extra` more can reach with an 8-bit
    // offset, emitting a return or a long jump when needed.
    uint32_t near(Dest d, uint32_t extra) {
        auto reachable = [&](uint32_t l) { return size() + extra - l - 1 <= kMaxShortJump; };
        if (d.is_return) {
            auto it = returns_.find(d.value);
            if (it != returns_.end() && reachable(it->second)) return it->second;
            return ret(d.value);
        }
        if (reachable(d.value)) return d.value;
        return emit(BPF_JMP | BPF_JA, size() - d.value - 1);
    }

    std::vector<sock_filter> rev_;
    std::unordered_map<uint32_t, uint32_t> returns_;  // action -> label of its nearest return
};

// A comparison as libseccomp prepares it: MASKED_EQ keeps its mask, the others compare all bits,
// and the datum is masked.
struct Compare {
    unsigned index;
    scmp_compare op;
    uint64_t mask;
    uint64_t datum;
};

struct ArchInfo {
    uint32_t token;
    bool is64;
};

// Little-endian architectures without libseccomp quirks beyond x86's multiplexing.
constexpr ArchInfo kFastArchs[] = {
    {SCMP_ARCH_X86_64, true},  {SCMP_ARCH_X32, false}, {SCMP_ARCH_X86, false},
    {SCMP_ARCH_AARCH64, true}, {SCMP_ARCH_ARM, false}, {SCMP_ARCH_RISCV64, true},
};

const ArchInfo* fast_arch(uint32_t token) {
    for (const auto& a : kFastArchs)
        if (a.token == token) return &a;
    return nullptr;
}

// x86 reaches the socket and SysV IPC calls both through socketcall(2)/ipc(2) and, since Linux
// 4.3, directly. libseccomp resolves their names to pseudo numbers (-101.. and -201..) and adds a
// rule for each way in; this is its table of the direct numbers (checked against it once).
constexpr int kX86Socketcall = 102;
constexpr int kX86Ipc = 117;
struct DirectCall {
    const char* name;
    int nr;
};
constexpr DirectCall kX86Direct[] = {
    {"recvmmsg", 337},   {"sendmmsg", 345},   {"socket", 359},      {"socketpair", 360},
    {"bind", 361},       {"connect", 362},    {"listen", 363},      {"accept4", 364},
    {"getsockopt", 365}, {"setsockopt", 366}, {"getsockname", 367}, {"getpeername", 368},
    {"sendto", 369},     {"sendmsg", 370},    {"recvfrom", 371},    {"recvmsg", 372},
    {"shutdown", 373},   {"semget", 393},     {"semctl", 394},      {"shmget", 395},
    {"shmctl", 396},     {"shmat", 397},      {"shmdt", 398},       {"msgget", 399},
    {"msgsnd", 400},     {"msgrcv", 401},     {"msgctl", 402},
};

bool x86_direct_table_matches_libseccomp() {
    static const bool matches = [] {
        for (const auto& d : kX86Direct) {
            char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, d.nr);
            bool same = name != nullptr && std::strcmp(name, d.name) == 0;
            std::free(name);
            if (!same) return false;
        }
        return true;
    }();
    return matches;
}

// libseccomp's pseudo numbers for the calls x86 multiplexes.
bool multiplexed(int nr) {
    return (nr <= -100 && nr >= -120) || (nr <= -200 && nr >= -224);
}

int x86_direct_number(const std::string& name) {
    for (const auto& d : kX86Direct)
        if (name == d.name) return d.nr;
    return -1;  // accept, send, recv, semop, semtimedop: only through the multiplexer
}

// One rule as it applies to one syscall number of one architecture.
struct Entry {
    uint32_t nr;
    uint32_t order;  // position of the rule in the profile
    bool is64;
    int subcall;  // > 0: the multiplexed form; argument 0 must equal it
};

// The comparisons of a rule on one architecture, without those libseccomp drops as always true.
std::vector<Compare> compares_for(const Rule& rule, const Entry& e) {
    std::vector<Compare> out;
    uint64_t width = e.is64 ? ~uint64_t{0} : 0xffffffffu;
    if (e.subcall > 0) out.push_back({0, SCMP_CMP_EQ, width, static_cast<uint64_t>(e.subcall)});
    for (const auto& c : rule.conditions) {
        if (e.subcall > 0 && c.index == 0) continue;  // replaced by the subcall, as libseccomp does
        Compare cmp{c.index, c.op, width, c.value & width};
        if (c.op == SCMP_CMP_MASKED_EQ) {
            cmp.mask = c.value & width;
            cmp.datum = c.value_two & cmp.mask;
            if (cmp.mask == 0) continue;
        }
        out.push_back(cmp);
    }
    std::sort(out.begin(), out.end(),
              [](const Compare& a, const Compare& b) { return a.index < b.index; });
    return out;
}

uint32_t lo32(uint64_t v) {
    return static_cast<uint32_t>(v);
}
uint32_t hi32(uint64_t v) {
    return static_cast<uint32_t>(v >> 32);
}

// Emits the test of one 32-bit word; returns its entry. The accumulator is loaded afresh.
Dest emit_word(Builder& b, uint32_t offset, scmp_compare op, uint32_t mask, uint32_t datum,
               Dest pass, Dest fail) {
    switch (op) {
        case SCMP_CMP_EQ:
        case SCMP_CMP_MASKED_EQ:
            b.jump(BPF_JEQ, datum, pass, fail);
            break;
        case SCMP_CMP_NE:
            b.jump(BPF_JEQ, datum, fail, pass);
            break;
        case SCMP_CMP_GT:
            b.jump(BPF_JGT, datum, pass, fail);
            break;
        case SCMP_CMP_GE:
            b.jump(BPF_JGE, datum, pass, fail);
            break;
        case SCMP_CMP_LT:
            b.jump(BPF_JGE, datum, fail, pass);
            break;
        case SCMP_CMP_LE:
        default:
            b.jump(BPF_JGT, datum, fail, pass);
            break;
    }
    if (op == SCMP_CMP_MASKED_EQ && mask != 0xffffffffu) b.alu_and(mask);
    b.load(offset);
    return Dest::label(b.size() - 1);
}

// Emits one comparison; `pass` and `fail` are where it goes. Returns its entry.
Dest emit_compare(Builder& b, const Compare& c, bool is64, Dest pass, Dest fail) {
    if (!is64) return emit_word(b, arg_lo(c.index), c.op, lo32(c.mask), lo32(c.datum), pass, fail);
    uint32_t hi = hi32(c.datum), lo = lo32(c.datum);
    switch (c.op) {
        case SCMP_CMP_EQ: {
            Dest low = emit_word(b, arg_lo(c.index), SCMP_CMP_EQ, ~0u, lo, pass, fail);
            return emit_word(b, arg_hi(c.index), SCMP_CMP_EQ, ~0u, hi, low, fail);
        }
        case SCMP_CMP_NE: {
            Dest low = emit_word(b, arg_lo(c.index), SCMP_CMP_NE, ~0u, lo, pass, fail);
            return emit_word(b, arg_hi(c.index), SCMP_CMP_NE, ~0u, hi, pass, low);
        }
        case SCMP_CMP_MASKED_EQ: {
            Dest low = pass;
            if (lo32(c.mask) != 0)
                low = emit_word(b, arg_lo(c.index), c.op, lo32(c.mask), lo, pass, fail);
            if (hi32(c.mask) == 0) return low;
            return emit_word(b, arg_hi(c.index), c.op, hi32(c.mask), hi, low, fail);
        }
        default: {
            // Ordered comparisons: the high words decide unless they are equal.
            bool greater = c.op == SCMP_CMP_GT || c.op == SCMP_CMP_GE;
            Dest low = emit_word(b, arg_lo(c.index), c.op, ~0u, lo, pass, fail);
            Dest equal = b.jump(BPF_JEQ, hi, low, greater ? fail : pass);
            Dest above = b.jump(BPF_JGT, hi, greater ? pass : fail, equal);
            b.flow_into(above);
            b.load(arg_hi(c.index));
            return Dest::label(b.size() - 1);
        }
    }
}

bool operator==(const Compare& a, const Compare& b) {
    return a.index == b.index && a.op == b.op && a.mask == b.mask && a.datum == b.datum;
}

// libseccomp merges the rules of a syscall into one decision tree, and that tree is not always
// their OR: a rule that fails part way down can skip a sibling that would have matched. OR is
// certain for one rule, and for rules that each test one argument for equality with different
// values (only one can match): personality(2) in docker's profile, x86's socketcall(2).
// Duplicates are dropped first, as libseccomp drops them.
bool ored_like_libseccomp(std::vector<std::vector<Compare>>& rules) {
    for (size_t i = 1; i < rules.size();) {
        if (std::find(rules.begin(), rules.begin() + i, rules[i]) != rules.begin() + i)
            rules.erase(rules.begin() + i);
        else
            ++i;
    }
    if (rules.size() == 1) return true;
    for (const auto& rule : rules) {
        if (rule.size() != 1 || rule[0].op != SCMP_CMP_EQ || rule[0].index != rules[0][0].index)
            return false;
    }
    return true;
}

// The rules of one syscall that all have conditions and one action: the first that matches
// decides, none matching gives the default.
Dest emit_conditional(Builder& b, const std::vector<std::vector<Compare>>& rules, bool is64,
                      uint32_t action, uint32_t default_action) {
    Dest next = Dest::ret(default_action);
    for (auto rule = rules.rbegin(); rule != rules.rend(); ++rule) {
        Dest d = Dest::ret(action);
        for (auto c = rule->rbegin(); c != rule->rend(); ++c)
            d = emit_compare(b, *c, is64, d, next);
        next = d;
    }
    return next;
}

struct Segment {
    uint32_t start;  // first syscall number; the segment runs to the next one's start
    Dest dest;
};

// A binary search over the segments' starts.
Dest emit_search(Builder& b, const std::vector<Segment>& segs, size_t lo, size_t hi) {
    if (lo == hi) return segs[lo].dest;
    size_t mid = (lo + hi + 1) / 2;
    Dest upper = emit_search(b, segs, mid, hi);
    Dest lower = emit_search(b, segs, lo, mid - 1);
    return b.jump(BPF_JGE, segs[mid].start, upper, lower);
}

// The syscalls of one audit architecture (x86_64 and x32 share one).
struct Section {
    uint32_t audit;
    bool has_x86_64 = false;
    bool has_x32 = false;
    std::vector<Entry> entries;
};

// Builds the sorted, merged segments from the background ranges and the per-syscall outcomes.
std::vector<Segment> segments(const std::vector<Segment>& background,
                              const std::vector<std::pair<uint32_t, Dest>>& points) {
    std::vector<Segment> out;
    auto push = [&](uint32_t start, Dest d) {
        if (!out.empty() && out.back().start == start) {
            out.back().dest = d;
            if (out.size() >= 2 && out[out.size() - 2].dest == d) out.pop_back();
            return;
        }
        if (!out.empty() && out.back().dest == d) return;
        out.push_back({start, d});
    };
    auto background_at = [&](uint64_t nr) {
        Dest d = background.front().dest;
        for (const auto& s : background)
            if (s.start <= nr) d = s.dest;
        return d;
    };
    size_t bi = 0;
    for (const auto& [nr, dest] : points) {
        while (bi < background.size() && background[bi].start < nr) {
            push(background[bi].start, background[bi].dest);
            ++bi;
        }
        push(nr, dest);
        if (nr == 0xffffffffu) {
            bi = background.size();
            break;
        }
        while (bi < background.size() && background[bi].start <= nr + 1)
            ++bi;
        push(nr + 1, background_at(uint64_t{nr} + 1));
    }
    for (; bi < background.size(); ++bi)
        push(background[bi].start, background[bi].dest);
    return out;
}

}  // namespace

uint32_t audit_arch(uint32_t arch_token) {
    return arch_token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch_token;
}

std::vector<ArchMax> syscall_maxima(std::span<const uint32_t> archs, std::span<const Rule> rules) {
    std::vector<ArchMax> out;
    for (uint32_t token : archs) {
        int max = -1;
        for (const auto& rule : rules)
            max = std::max(max, seccomp_syscall_resolve_name_arch(token, rule.name.c_str()));
        if (max >= 0) out.push_back({token, static_cast<uint32_t>(max)});
    }
    return out;
}

namespace {

// Each architecture's section: the rules' syscall numbers there (x86's socketcall and ipc
// multiplexers included), and the largest number named. nullopt where libseccomp must decide.
std::optional<std::pair<std::vector<Section>, std::vector<ArchMax>>> sections_for(
    uint32_t default_action, std::span<const uint32_t> archs, std::span<const Rule> rules) {
    std::vector<Section> sections;
    std::vector<ArchMax> maxima;
    const uint32_t native = seccomp_arch_native();
    for (uint32_t token : archs) {
        const ArchInfo* info = fast_arch(token);
        if (info == nullptr) return std::nullopt;
        uint32_t audit = audit_arch(token);
        auto it = std::find_if(sections.begin(), sections.end(),
                               [&](const Section& s) { return s.audit == audit; });
        if (it == sections.end()) it = sections.insert(sections.end(), Section{audit});
        if (token == SCMP_ARCH_X32) it->has_x32 = true;
        if (token == SCMP_ARCH_X86_64) it->has_x86_64 = true;

        int max = -1;
        for (uint32_t i = 0; i < rules.size(); ++i) {
            const std::string& name = rules[i].name;
            int nr = token == native && rules[i].native_nr != __NR_SCMP_ERROR
                         ? rules[i].native_nr
                         : seccomp_syscall_resolve_name_arch(token, name.c_str());
            max = std::max(max, nr);
            if (rules[i].action == default_action) continue;
            if (nr >= 0) {
                it->entries.push_back({static_cast<uint32_t>(nr), i, info->is64, 0});
            } else if (nr == __NR_SCMP_ERROR) {
                return std::nullopt;  // libseccomp fails such a rule; let it say so
            } else if (token == SCMP_ARCH_X86 && multiplexed(nr)) {
                if (!x86_direct_table_matches_libseccomp()) return std::nullopt;
                bool socket = nr >= -120;
                uint32_t mux = socket ? kX86Socketcall : kX86Ipc;
                it->entries.push_back({mux, i, false, (-nr) % (socket ? 100 : 200)});
                int direct = x86_direct_number(name);
                if (direct >= 0)
                    it->entries.push_back({static_cast<uint32_t>(direct), i, false, 0});
            }
            // Other negative numbers: the syscall does not exist on this architecture.
        }
        if (max >= 0) maxima.push_back({token, static_cast<uint32_t>(max)});
    }
    return std::pair{std::move(sections), std::move(maxima)};
}

// What one section does for each syscall number that has rules: a return, or the conditional
// code emitted for it. nullopt where libseccomp must decide.
std::optional<std::vector<std::pair<uint32_t, Dest>>> decision_points(Builder& b, Section& section,
                                                                      std::span<const Rule> rules,
                                                                      uint32_t default_action) {
    std::sort(section.entries.begin(), section.entries.end(), [](const Entry& x, const Entry& y) {
        return x.nr != y.nr ? x.nr < y.nr : x.order < y.order;
    });
    std::vector<std::pair<uint32_t, Dest>> points;
    for (size_t i = 0; i < section.entries.size();) {
        size_t end = i;
        while (end < section.entries.size() && section.entries[end].nr == section.entries[i].nr)
            ++end;
        std::vector<std::vector<Compare>> conditional;
        std::optional<uint32_t> unconditional;
        std::optional<uint32_t> action;
        bool mixed = false;
        for (size_t j = i; j < end && !unconditional; ++j) {
            const Entry& e = section.entries[j];
            const Rule& rule = rules[e.order];
            if (rule.conditions.empty() && e.subcall == 0) {  // most rules: no need to look
                unconditional = rule.action;
                break;
            }
            auto compares = compares_for(rule, e);
            if (compares.empty()) {
                unconditional = rule.action;
                break;
            }
            if (action && *action != rule.action) mixed = true;
            action = rule.action;
            conditional.push_back(std::move(compares));
        }
        // Conditional rules with different actions before the deciding rule may still make
        // libseccomp fail (two equal conditions with different actions); it has the say.
        if (mixed) return std::nullopt;
        if (unconditional) {
            points.push_back({section.entries[i].nr, Dest::ret(*unconditional)});
        } else {
            if (!ored_like_libseccomp(conditional)) return std::nullopt;
            points.push_back(
                {section.entries[i].nr, emit_conditional(b, conditional, section.entries[i].is64,
                                                         *action, default_action)});
        }
        i = end;
    }
    return points;
}

}  // namespace

std::optional<FastFilter> compile_fast(uint32_t default_action, std::span<const uint32_t> archs,
                                       std::span<const Rule> rules) {
    if constexpr (std::endian::native != std::endian::little) return std::nullopt;  // arg_lo()
    const Dest kDefault = Dest::ret(default_action);
    const Dest kBadArch = Dest::ret(SCMP_ACT_KILL_THREAD);  // libseccomp's default

    auto found = sections_for(default_action, archs, rules);
    if (!found) return std::nullopt;
    auto& [sections, maxima] = *found;
    Builder b;
    std::vector<Dest> entries;
    for (auto& section : sections) {
        auto points = decision_points(b, section, rules, default_action);
        if (!points) return std::nullopt;
        std::vector<Segment> background{{0, kDefault}};
        if (section.has_x86_64 && !section.has_x32) {
            background.push_back({kX32Bit, kBadArch});
            background.push_back({0xffffffffu, kDefault});  // -1: a tracer skipping the call
        } else if (section.has_x32 && !section.has_x86_64) {
            background = {{0, kBadArch}, {kX32Bit, kDefault}};
        }
        auto segs = segments(background, *points);
        Dest search = emit_search(b, segs, 0, segs.size() - 1);
        b.flow_into(search);
        b.load(kOffsetNr);
        entries.push_back(Dest::label(b.size() - 1));
    }

    Dest next = kBadArch;
    for (size_t i = sections.size(); i-- > 0;)
        next = b.jump(BPF_JEQ, sections[i].audit, entries[i], next);
    b.flow_into(next);
    b.load(kOffsetArch);
    return FastFilter{std::move(b).finish(), std::move(maxima)};
}

Program dispatch_by_arch(const std::vector<std::pair<uint32_t, Program>>& programs,
                         uint32_t bad_arch) {
    Builder b;
    std::vector<Dest> starts;
    starts.reserve(programs.size());
    for (const auto& [audit, program] : programs)
        starts.push_back(Dest::label(b.append(program)));
    Dest next = Dest::ret(bad_arch);
    for (size_t i = programs.size(); i-- > 0;)
        next = b.jump(BPF_JEQ, programs[i].first, starts[i], next);
    b.flow_into(next);
    b.load(kOffsetArch);
    return std::move(b).finish();
}

Program load_syscall_after_arch_check(Program p) {
    if (p.size() < 2 || p[0].code != (BPF_LD | BPF_W | BPF_ABS) || p[0].k != kOffsetArch ||
        p[1].code != (BPF_JMP | BPF_JEQ | BPF_K) || p[1].jf > kMaxShortJump - 2)
        return p;
    // ld arch; jeq ARCH, T, F  ->  ld arch; jeq ARCH, +0, F; ld nr; [ja T]
    // Only the jeq jumps across the insertion; every later jump stays where it points.
    sock_filter load{BPF_LD | BPF_W | BPF_ABS, 0, 0, kOffsetNr};
    if (p[1].jt == 0) {
        p[1].jf += 1;
        p.insert(p.begin() + 2, load);
        return p;
    }
    sock_filter to_true{BPF_JMP | BPF_JA, 0, 0, p[1].jt};
    p[1].jt = 0;
    p[1].jf += 2;
    p.insert(p.begin() + 2, {load, to_true});
    return p;
}

Program dispatch_by_x32_bit(const Program& x86_64, const Program& x32) {
    Builder b;
    Dest native = Dest::label(b.append(x86_64));
    Dest compat = Dest::label(b.append(x32));
    Dest split = b.jump(BPF_JGE, kX32Bit, compat, native);
    b.flow_into(split);
    b.load(kOffsetNr);
    return std::move(b).finish();
}

bool exists_on(uint32_t arch_token, const std::string& name) {
    int nr = seccomp_syscall_resolve_name_arch(arch_token, name.c_str());
    return nr >= 0 || (arch_token == SCMP_ARCH_X86 && multiplexed(nr));
}

Program prepend_enosys_stub(const Program& filter, std::span<const ArchMax> maxima) {
    struct Group {
        uint32_t audit;
        std::optional<uint32_t> x86_64, x32, other;
        bool s390 = false;
    };
    std::vector<Group> groups;
    for (const auto& m : maxima) {
        uint32_t audit = audit_arch(m.arch);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const Group& g) { return g.audit == audit; });
        if (it == groups.end()) it = groups.insert(groups.end(), Group{audit});
        if (m.arch == SCMP_ARCH_X86_64)
            it->x86_64 = m.max_syscall;
        else if (m.arch == SCMP_ARCH_X32)
            it->x32 = m.max_syscall;
        else
            it->other = m.max_syscall;
        if (m.arch == SCMP_ARCH_S390 || m.arch == SCMP_ARCH_S390X) it->s390 = true;
    }
    if (groups.empty()) return filter;

    Builder b;
    const Dest filter_start = Dest::label(b.append(filter));
    const Dest enosys = Dest::ret(SCMP_ACT_ERRNO(ENOSYS));
    std::vector<Dest> entries;
    for (const auto& g : groups) {
        Dest d;
        if (g.x86_64 || g.x32) {
            Dest native = filter_start, x32 = filter_start;
            if (g.x86_64) native = b.jump(BPF_JGT, *g.x86_64, enosys, filter_start);
            if (g.x32) x32 = b.jump(BPF_JGT, *g.x32, enosys, filter_start);
            d = b.jump(BPF_JSET, kX32Bit, x32, native);
        } else {
            d = b.jump(BPF_JGT, *g.other, enosys, filter_start);
            // s390 multiplexes through syscall 0, which a profile cannot name
            if (g.s390) d = b.jump(BPF_JEQ, 0, enosys, d);
        }
        b.flow_into(d);
        b.load(kOffsetNr);
        entries.push_back(Dest::label(b.size() - 1));
    }
    Dest next = filter_start;
    for (size_t i = groups.size(); i-- > 0;)
        next = b.jump(BPF_JEQ, groups[i].audit, entries[i], next);
    b.flow_into(next);
    b.load(kOffsetArch);
    return std::move(b).finish();
}

}  // namespace berth::runtime::seccomp_bpf
