#include "runtime/cgroups/bpf_device_filter.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "base/unique_fd.h"

namespace berth::runtime::cgroups {

namespace {

bpf_insn make_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

// Registers: r1 holds struct bpf_cgroup_dev_ctx* on entry, r0 the verdict on exit.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

bpf_insn load_word(uint8_t dst, uint8_t src, int16_t off) {
    return make_insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return make_insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
    return make_insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn jne_imm(uint8_t dst, int32_t imm) {
    return make_insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm);
}
bpf_insn jeq_imm(uint8_t dst, int32_t imm) {
    return make_insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, 0, imm);
}
bpf_insn jne_reg(uint8_t dst, uint8_t src) {
    return make_insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0);
}
bpf_insn exit_insn() {
    return make_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// if (reg != value) jump to the next block (the jump's index goes into `to_next`). A 64-bit
// jump sign-extends its immediate, so a number above INT32_MAX (the rules allow up to
// UINT32_MAX) is moved into R1 first: a 32-bit move zero-extends.
void jump_unless_equal(BpfProgram& p, uint8_t reg, int64_t value, std::vector<size_t>& to_next) {
    if (value <= INT32_MAX) {
        to_next.push_back(p.size());
        p.push_back(jne_imm(reg, static_cast<int32_t>(value)));
        return;
    }
    p.push_back(alu32_imm(BPF_MOV, R1, static_cast<int32_t>(static_cast<uint32_t>(value))));
    to_next.push_back(p.size());
    p.push_back(jne_reg(reg, R1));
}

int32_t bpf_access_of(uint8_t access) {
    int32_t out = 0;
    if (access & kDevRead) out |= BPF_DEVCG_ACC_READ;
    if (access & kDevWrite) out |= BPF_DEVCG_ACC_WRITE;
    if (access & kDevMknod) out |= BPF_DEVCG_ACC_MKNOD;
    return out;
}

long sys_bpf(int cmd, union bpf_attr* attr) {
    return ::syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

Result<UniqueFd> load_program(const BpfProgram& program) {
    static const char license[] = "Apache";
    auto attempt = [&](char* log, uint32_t log_size) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = reinterpret_cast<uintptr_t>(program.data());
        attr.insn_cnt = static_cast<uint32_t>(program.size());
        attr.license = reinterpret_cast<uintptr_t>(license);
        if (log != nullptr) {
            attr.log_level = 1;
            attr.log_buf = reinterpret_cast<uintptr_t>(log);
            attr.log_size = log_size;
        }
        long fd;
        int retries = 0;
        // The verifier may be interrupted by a signal (EAGAIN since 4.20).
        do {
            fd = sys_bpf(BPF_PROG_LOAD, &attr);
        } while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++retries < 30);
        return fd;
    };
    long fd = attempt(nullptr, 0);
    if (fd < 0 && errno == EPERM) {
        // Kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK (runc raises it too); the
        // limit is not inherited by the container.
        struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
        if (::setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0) fd = attempt(nullptr, 0);
    }
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int err = errno;
    // Again with the verifier's log, to say why.
    std::string log(64 * 1024, '\0');
    long again = attempt(log.data(), static_cast<uint32_t>(log.size()));
    if (again >= 0) return UniqueFd(static_cast<int>(again));
    log.resize(std::strlen(log.c_str()));
    while (!log.empty() && log.back() == '\n')
        log.pop_back();
    auto error = Error::from_errno("bpf BPF_PROG_LOAD", err);
    if (!log.empty()) error = Error(error.kind(), error.message() + ": " + log, err);
    return fail(std::move(error));
}

// The programs attached to the cgroup for BPF_CGROUP_DEVICE, as fds.
Result<std::vector<UniqueFd>> attached_programs(int cgroup_fd) {
    std::vector<uint32_t> ids(64);
    for (int tries = 0; tries < 10; ++tries) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
        attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) {
            if (errno == ENOSPC) {  // prog_cnt now says how many there are
                ids.resize(attr.query.prog_cnt + 8);
                continue;
            }
            return fail_errno("bpf BPF_PROG_QUERY");
        }
        ids.resize(attr.query.prog_cnt);
        std::vector<UniqueFd> fds;
        for (uint32_t id : ids) {
            union bpf_attr get;
            std::memset(&get, 0, sizeof get);
            get.prog_id = id;
            long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
            if (fd < 0) {
                // A program an LSM keeps from us (systemd's, say) can only add restrictions;
                // leave it (as runc does).
                if (errno == EPERM || errno == EACCES || errno == ENOENT) continue;
                return fail_errno("bpf BPF_PROG_GET_FD_BY_ID");
            }
            fds.emplace_back(static_cast<int>(fd));
        }
        return fds;
    }
    return fail(ErrorKind::Internal, "could not list the device programs of the cgroup");
}

}  // namespace

BpfProgram build_device_filter(const DevicePolicy& policy) {
    BpfProgram p;
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
    p.push_back(load_word(R2, R1, 0));
    p.push_back(alu32_imm(BPF_AND, R2, 0xffff));  // type: BPF_DEVCG_DEV_*
    p.push_back(load_word(R3, R1, 0));
    p.push_back(alu32_imm(BPF_RSH, R3, 16));  // access: BPF_DEVCG_ACC_*
    p.push_back(load_word(R4, R1, 4));
    p.push_back(load_word(R5, R1, 8));

    for (const auto& rule : policy.exceptions()) {
        std::vector<size_t> to_next;  // jumps to the next block, patched below
        int32_t type = rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        to_next.push_back(p.size());
        p.push_back(jne_imm(R2, type));
        if (rule.allow && (rule.access & kDevAll) != kDevAll) {
            // An allow exception must grant everything asked: if ((access & rule) != access) next
            p.push_back(mov32_reg(R1, R3));
            p.push_back(alu32_imm(BPF_AND, R1, bpf_access_of(rule.access)));
            to_next.push_back(p.size());
            p.push_back(jne_reg(R1, R3));
        } else if (!rule.allow && (rule.access & kDevAll) != kDevAll) {
            // A deny exception denies any overlap, as the v1 kernel does (runc's program asks
            // for the whole access here, so "deny w" would not stop an open for rw there):
            // if ((access & rule) == 0) next
            p.push_back(mov32_reg(R1, R3));
            p.push_back(alu32_imm(BPF_AND, R1, bpf_access_of(rule.access)));
            to_next.push_back(p.size());
            p.push_back(jeq_imm(R1, 0));
        }
        if (rule.major >= 0) jump_unless_equal(p, R4, rule.major, to_next);
        if (rule.minor >= 0) jump_unless_equal(p, R5, rule.minor, to_next);
        p.push_back(alu32_imm(BPF_MOV, R0, rule.allow ? 1 : 0));
        p.push_back(exit_insn());
        for (size_t at : to_next)
            p[at].off = static_cast<int16_t>(p.size() - (at + 1));
    }
    p.push_back(alu32_imm(BPF_MOV, R0, policy.default_allow() ? 1 : 0));
    p.push_back(exit_insn());
    return p;
}

Result<void> attach_device_filter(int cgroup_fd, const BpfProgram& program) {
    auto old = TRY(attached_programs(cgroup_fd));
    auto prog = TRY(load_program(program));
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) return fail_errno("bpf BPF_PROG_ATTACH");
    // Until the old programs are gone both apply, which can only deny more, never less.
    for (const auto& fd : old) {
        std::memset(&attr, 0, sizeof attr);
        attr.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.attach_bpf_fd = static_cast<uint32_t>(fd.get());
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
            return fail_errno("bpf BPF_PROG_DETACH of the previous device program");
    }
    return {};
}

}  // namespace berth::runtime::cgroups
