// A classic BPF interpreter for seccomp programs, for the unit tests and fuzz targets that hold
// the compilers to the kernel's decisions (header-only; no program uses it). It refuses what the
// kernel's checker would refuse (unknown opcodes, loads outside seccomp_data, jumps past the end,
// running off the end) instead of guessing.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace berth::runtime {

struct BpfVerdict {
    bool ok = false;
    uint32_t action = 0;
    std::string why;  // when !ok
};

// Jumps inside the program, a return at its end, not too long: what seccomp(2) checks on load.
inline std::string classic_bpf_malformation(const std::vector<sock_filter>& prog) {
    if (prog.empty()) return "empty program";
    if (prog.size() > BPF_MAXINSNS) return "more than BPF_MAXINSNS instructions";
    if (BPF_CLASS(prog.back().code) != BPF_RET) return "does not end in a return";
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const sock_filter& f = prog[pc];
        if (BPF_CLASS(f.code) != BPF_JMP) continue;
        size_t far = BPF_OP(f.code) == BPF_JA ? f.k : std::max(f.jt, f.jf);
        if (pc + 1 + far >= prog.size()) return "jump out of the program at " + std::to_string(pc);
    }
    return {};
}

inline bool classic_bpf_jump_taken(uint16_t op, uint32_t a, uint32_t operand, bool& known) {
    known = true;
    switch (op) {
        case BPF_JEQ:
            return a == operand;
        case BPF_JGT:
            return a > operand;
        case BPF_JGE:
            return a >= operand;
        case BPF_JSET:
            return (a & operand) != 0;
    }
    known = false;
    return false;
}

inline bool classic_bpf_alu(uint16_t op, uint32_t& a, uint32_t operand) {
    switch (op) {
        case BPF_ADD:
            a += operand;
            return true;
        case BPF_SUB:
            a -= operand;
            return true;
        case BPF_MUL:
            a *= operand;
            return true;
        case BPF_AND:
            a &= operand;
            return true;
        case BPF_OR:
            a |= operand;
            return true;
        case BPF_XOR:
            a ^= operand;
            return true;
        case BPF_LSH:
            a = operand < 32 ? a << operand : 0;
            return true;
        case BPF_RSH:
            a = operand < 32 ? a >> operand : 0;
            return true;
        case BPF_NEG:
            a = -a;
            return true;
    }
    return false;
}

inline BpfVerdict run_classic_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
    uint32_t a = 0, x = 0;
    std::array<uint32_t, BPF_MEMWORDS> mem{};
    auto bytes = reinterpret_cast<const unsigned char*>(&data);
    auto refuse = [](std::string why) { return BpfVerdict{false, 0, std::move(why)}; };
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const sock_filter& f = prog[pc];
        uint16_t cls = BPF_CLASS(f.code);
        if (cls == BPF_JMP) {
            if (BPF_OP(f.code) == BPF_JA) {
                pc += f.k;
                continue;
            }
            bool known;
            bool taken = classic_bpf_jump_taken(BPF_OP(f.code), a,
                                                BPF_SRC(f.code) == BPF_X ? x : f.k, known);
            if (!known) return refuse("unknown jump at " + std::to_string(pc));
            pc += taken ? f.jt : f.jf;
            continue;
        }
        if (cls == BPF_ALU) {
            if (!classic_bpf_alu(BPF_OP(f.code), a, BPF_SRC(f.code) == BPF_X ? x : f.k))
                return refuse("unknown ALU operation at " + std::to_string(pc));
            continue;
        }
        switch (f.code) {
            case BPF_LD | BPF_W | BPF_ABS:
                if (f.k % 4 != 0 || f.k + 4 > sizeof data)
                    return refuse("load outside seccomp_data at " + std::to_string(pc));
                std::memcpy(&a, bytes + f.k, 4);
                break;
            case BPF_LD | BPF_IMM:
                a = f.k;
                break;
            case BPF_LDX | BPF_IMM:
                x = f.k;
                break;
            case BPF_LD | BPF_MEM:
            case BPF_LDX | BPF_MEM:
            case BPF_ST:
            case BPF_STX:
                if (f.k >= BPF_MEMWORDS) return refuse("scratch memory out of range");
                if (f.code == (BPF_LD | BPF_MEM)) a = mem[f.k];
                if (f.code == (BPF_LDX | BPF_MEM)) x = mem[f.k];
                if (f.code == BPF_ST) mem[f.k] = a;
                if (f.code == BPF_STX) mem[f.k] = x;
                break;
            case BPF_MISC | BPF_TAX:
                x = a;
                break;
            case BPF_MISC | BPF_TXA:
                a = x;
                break;
            case BPF_RET | BPF_K:
                return {true, f.k, {}};
            case BPF_RET | BPF_A:
                return {true, a, {}};
            default:
                return refuse("unknown opcode " + std::to_string(f.code));
        }
    }
    return refuse("ran off the end");
}

}  // namespace berth::runtime
