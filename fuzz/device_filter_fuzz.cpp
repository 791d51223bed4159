// Device rules (linux.resources.devices, `--device-cgroup-rule`): parsing must never crash, and
// every form the policy takes must decide each access as DevicePolicy::allows does:
//   - the cgroup v2 eBPF program (build_device_filter), run here by an interpreter, for every
//     probe device and access;
//   - cgroup v1: the rules transition_from() writes, applied to the cgroup's current policy;
//   - an allow-list policy read back from its devices.list lines.
// A rule also survives device_rule_json and parse_device_rule unchanged.
#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "fuzz_util.h"
#include "runtime/cgroups/bpf_device_filter.h"
#include "runtime/cgroups/device_rules.h"

namespace {

namespace cg = berth::runtime::cgroups;

struct EbpfVerdict {
    bool ok = false;
    uint64_t r0 = 0;
    std::string why;
};

uint64_t alu(uint8_t op, uint64_t dst, uint64_t src, bool& known) {
    known = true;
    switch (op) {
        case BPF_ADD:
            return dst + src;
        case BPF_SUB:
            return dst - src;
        case BPF_AND:
            return dst & src;
        case BPF_OR:
            return dst | src;
        case BPF_XOR:
            return dst ^ src;
        case BPF_LSH:
            return dst << (src & 63);
        case BPF_RSH:
            return dst >> (src & 63);
        case BPF_MOV:
            return src;
    }
    known = false;
    return 0;
}

bool jump_taken(uint8_t op, uint64_t dst, uint64_t src, bool& known) {
    known = true;
    switch (op) {
        case BPF_JEQ:
            return dst == src;
        case BPF_JNE:
            return dst != src;
        case BPF_JGT:
            return dst > src;
        case BPF_JGE:
            return dst >= src;
        case BPF_JLT:
            return dst < src;
        case BPF_JLE:
            return dst <= src;
        case BPF_JSET:
            return (dst & src) != 0;
    }
    known = false;
    return false;
}

// Runs a BPF_PROG_TYPE_CGROUP_DEVICE program on struct bpf_cgroup_dev_ctx as the kernel would:
// ALU and ALU64 on registers, 64-bit and 32-bit jumps, loads from the context only.
EbpfVerdict run_device_program(const cg::BpfProgram& prog, const bpf_cgroup_dev_ctx& ctx) {
    uint64_t reg[11] = {};
    auto refuse = [](std::string why) { return EbpfVerdict{false, 0, std::move(why)}; };
    for (size_t pc = 0, steps = 0; pc < prog.size(); ++pc) {
        if (++steps > prog.size()) return refuse("a loop");  // the verifier allows none here
        const bpf_insn& in = prog[pc];
        uint8_t cls = BPF_CLASS(in.code), op = BPF_OP(in.code);
        if (in.dst_reg > 10 || in.src_reg > 10) return refuse("bad register");
        uint64_t src =
            BPF_SRC(in.code) == BPF_X ? reg[in.src_reg] : static_cast<uint64_t>(int64_t{in.imm});
        bool known = false;
        if (cls == BPF_ALU || cls == BPF_ALU64) {
            uint64_t v = alu(op, reg[in.dst_reg], cls == BPF_ALU ? src & 0xffffffff : src, known);
            if (!known) return refuse("unknown ALU op at " + std::to_string(pc));
            reg[in.dst_reg] = cls == BPF_ALU ? v & 0xffffffff : v;
        } else if (cls == BPF_LDX) {
            if (in.code != (BPF_LDX | BPF_MEM | BPF_W) || in.src_reg != 1 || in.off < 0 ||
                in.off % 4 != 0 || static_cast<size_t>(in.off) + 4 > sizeof ctx)
                return refuse("a load the program may not make at " + std::to_string(pc));
            uint32_t word;
            std::memcpy(&word, reinterpret_cast<const char*>(&ctx) + in.off, 4);
            reg[in.dst_reg] = word;
        } else if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_EXIT) {
            return {true, reg[0], {}};
        } else if (cls == BPF_JMP || cls == BPF_JMP32) {
            uint64_t dst = reg[in.dst_reg];
            if (cls == BPF_JMP32) dst &= 0xffffffff, src &= 0xffffffff;
            bool taken = op == BPF_JA || jump_taken(op, dst, src, known);
            if (op != BPF_JA && !known) return refuse("unknown jump at " + std::to_string(pc));
            int64_t next = static_cast<int64_t>(pc) + 1 + (taken ? in.off : 0);
            if (next < 0 || next >= static_cast<int64_t>(prog.size()))
                return refuse("jump out of the program at " + std::to_string(pc));
            pc = static_cast<size_t>(next) - 1;
        } else {
            return refuse("unknown instruction class at " + std::to_string(pc));
        }
    }
    return refuse("ran off the end");
}

struct Probe {
    char type;
    uint32_t major, minor;
    uint8_t access;
};

std::vector<Probe> probes(const std::vector<cg::DeviceRule>& rules) {
    std::set<uint32_t> numbers{0, 1, 3, 5, 136, 0x7fffffffu, 0x80000000u, 0xffffffffu};
    for (const auto& r : rules) {
        for (int64_t n : {r.major, r.minor}) {
            if (n < 0) continue;
            for (int64_t d : {-1, 0, 1})
                numbers.insert(static_cast<uint32_t>(n + d));
        }
    }
    std::vector<uint32_t> list(numbers.begin(), numbers.end());
    std::vector<Probe> out;
    for (char type : {'c', 'b'})
        for (size_t i = 0; i < list.size(); ++i)
            for (size_t j = 0; j < list.size(); j += (i % 3) + 1)
                for (uint8_t access = 1; access <= cg::kDevAll; ++access)
                    out.push_back({type, list[i], list[j], access});
    return out;
}

uint32_t bpf_access(uint8_t access) {
    return (access & cg::kDevRead ? BPF_DEVCG_ACC_READ : 0) |
           (access & cg::kDevWrite ? BPF_DEVCG_ACC_WRITE : 0) |
           (access & cg::kDevMknod ? BPF_DEVCG_ACC_MKNOD : 0);
}

std::string describe(const Probe& p) {
    return std::string(1, p.type) + " " + std::to_string(p.major) + ":" + std::to_string(p.minor) +
           " " + cg::device_access_string(p.access);
}

void check_program(const cg::DevicePolicy& policy, const std::vector<Probe>& probes,
                   const std::string& input) {
    cg::BpfProgram program = cg::build_device_filter(policy);
    FUZZ_CHECK(program.size() <= 1000000, "a program of %zu instructions", program.size());
    for (const auto& p : probes) {
        bpf_cgroup_dev_ctx ctx{};
        ctx.access_type = (bpf_access(p.access) << 16) |
                          (p.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        ctx.major = p.major;
        ctx.minor = p.minor;
        EbpfVerdict verdict = run_device_program(program, ctx);
        FUZZ_CHECK(verdict.ok, "the device program does not run (%s) for %s", verdict.why.c_str(),
                   input.c_str());
        bool allowed = policy.allows(p.type, p.major, p.minor, p.access);
        FUZZ_CHECK((verdict.r0 != 0) == allowed, "%s: the program says %s, the policy %s; rules %s",
                   describe(p).c_str(), verdict.r0 ? "allow" : "deny", allowed ? "allow" : "deny",
                   input.c_str());
    }
}

bool same_decisions(const cg::DevicePolicy& a, const cg::DevicePolicy& b,
                    const std::vector<Probe>& probes) {
    for (const auto& p : probes)
        if (a.allows(p.type, p.major, p.minor, p.access) !=
            b.allows(p.type, p.major, p.minor, p.access))
            return false;
    return true;
}

// cgroup v1: the transition rules take `current` to `target`, as the kernel applies them.
void check_transition(const cg::DevicePolicy& current, const cg::DevicePolicy& target,
                      const std::vector<Probe>& probes, const std::string& input) {
    cg::DevicePolicy applied = current;
    for (const auto& rule : target.transition_from(current)) {
        auto ok = applied.apply(rule);
        FUZZ_CHECK(ok.has_value(), "transition rule %s refused: %s; rules %s",
                   rule.cgroup_string().c_str(), ok.error().message().c_str(), input.c_str());
    }
    FUZZ_CHECK(same_decisions(applied, target, probes),
               "the v1 transition does not reach the policy; rules %s", input.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (!json_nesting_within(text, kFuzzJsonDepth)) return -1;
    auto doc = berth::parse_json(text, "devices");
    if (!doc || !doc->is_array()) return 0;
    std::string input = doc->dump();
    std::vector<cg::DeviceRule> rules;
    for (size_t i = 0; i < doc->size(); ++i) {
        auto rule = cg::parse_device_rule((*doc)[i], "devices[" + std::to_string(i) + "]");
        if (!rule) {
            FUZZ_CHECK(!rule.error().message().empty(), "empty error for %s", input.c_str());
            return 0;
        }
        auto again = cg::parse_device_rule(cg::device_rule_json(*rule), "again");
        FUZZ_CHECK(again.has_value() && *again == *rule, "rule %s does not round-trip",
                   rule->cgroup_string().c_str());
        rules.push_back(*rule);
    }
    auto policy = cg::DevicePolicy::from_rules(rules);
    if (!policy) return 0;
    auto probe_set = probes(rules);
    check_program(*policy, probe_set, input);

    check_transition(cg::DevicePolicy(), *policy, probe_set, input);
    auto allow_all = cg::DevicePolicy::from_rules({cg::DeviceRule{.allow = true}});
    FUZZ_CHECK(allow_all.has_value(), "allow-all refused");
    check_transition(*allow_all, *policy, probe_set, input);
    std::vector<cg::DeviceRule> first_half(rules.begin(), rules.begin() + rules.size() / 2);
    if (auto half = cg::DevicePolicy::from_rules(first_half))
        check_transition(*half, *policy, probe_set, input);

    if (!policy->default_allow()) {  // an allow list reads back from devices.list
        std::string list;
        for (const auto& rule : policy->exceptions())
            list += rule.cgroup_string() + "\n";
        auto read = cg::DevicePolicy::from_devices_list(list);
        FUZZ_CHECK(read.has_value(), "devices.list %s does not parse: %s", list.c_str(),
                   read.error().message().c_str());
        FUZZ_CHECK(same_decisions(*read, *policy, probe_set),
                   "devices.list %s reads back as another policy", list.c_str());
    }
    return 0;
}
