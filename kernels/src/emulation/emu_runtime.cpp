// The emulator's runtime: fibers, barriers, warp exchange, the kernel registry and the C entry points
// the Java side (dev.tandem.cuda.EmulatedDevice) calls through the FFM API.
#include "cuda_emu.h"
#include "emu_registry.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace tdm_emu {

constexpr size_t STACK_BYTES = 64 * 1024;
constexpr int WARP = 32;

enum class State { READY, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Thread {
    dim3 idx;
    int linear, warp, lane;
    State state;
    unsigned waited_generation;
    int exchange_parity;
#if defined(__x86_64__)
    void* sp;
#else
    ucontext_t ctx;
#endif
    char* stack;
};

struct Barrier {
    unsigned generation = 0, arrived = 0, alive = 0;
    // Arrive; the last live thread to arrive opens the barrier for everyone.
    void arrive(Thread* t) {
        t->waited_generation = generation;
        if (++arrived == alive) open();
    }
    void leave() {  // a thread exits: barriers stop waiting for it
        --alive;
        if (arrived > 0 && arrived == alive) open();
    }
    void open() {
        ++generation;
        arrived = 0;
    }
};

struct Warp {
    Barrier barrier;
    uint64_t slots[2][WARP];
};

struct Launch {
    dim3 grid, block, block_id;
    std::vector<Thread> threads;
    Barrier block_barrier;
    std::vector<Warp> warps;
    std::vector<unsigned char> shared;
    void (*body)(void**);
    void** args;
#if defined(__x86_64__)
    void* scheduler_sp;
#else
    ucontext_t scheduler_ctx;
#endif
};

thread_local Thread* current = nullptr;
static Launch* launch = nullptr;
static std::vector<char*> stacks;

const dim3& thread_idx() { return current->idx; }
const dim3& block_idx() { return launch->block_id; }
const dim3& block_dim() { return launch->block; }
const dim3& grid_dim() { return launch->grid; }
void* dynamic_shared() { return launch->shared.data(); }

#if defined(__x86_64__)
// Saves the callee-saved registers and the FP control words on the current stack, stores the stack pointer
// in *from and resumes the context whose stack pointer is to. A tenth of the cost of swapcontext, which
// makes a system call per switch; a reduction kernel switches once per thread per barrier.
extern "C" void tdm_emu_switch(void** from, void* to);
asm(R"(
    .text
    .globl tdm_emu_switch
    .hidden tdm_emu_switch
    .type tdm_emu_switch,@function
tdm_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size tdm_emu_switch,.-tdm_emu_switch
)");
#endif

static void yield_to_scheduler() {
    Thread* t = current;
#if defined(__x86_64__)
    tdm_emu_switch(&t->sp, launch->scheduler_sp);
#else
    swapcontext(&t->ctx, &launch->scheduler_ctx);
#endif
    current = t;
}

[[noreturn]] static void thread_main() {
    launch->body(launch->args);
    Thread* t = current;
    t->state = State::DONE;
    launch->block_barrier.leave();
    launch->warps[t->warp].barrier.leave();
    yield_to_scheduler();
    std::abort();  // a finished thread is never resumed
}

#if !defined(__x86_64__)
static void thread_main_trampoline() { thread_main(); }
#endif

static void start(Thread& t) {
#if defined(__x86_64__)
    // A fresh stack that tdm_emu_switch "returns" into thread_main: FP control words, six zeroed
    // registers, then the return address; aligned so thread_main starts as if called.
    uintptr_t top = (reinterpret_cast<uintptr_t>(t.stack) + STACK_BYTES) & ~uintptr_t(15);
    // After the switch pops 8 + 48 bytes and returns, rsp is sp + 64, which must be 8 mod 16 as after a call.
    uint64_t* sp = reinterpret_cast<uint64_t*>(top) - 11;
    uint32_t control[2] = {0x1F80u, 0x037Fu};               // MXCSR and x87 control word at reset
    std::memcpy(sp, control, sizeof control);
    for (int i = 1; i <= 6; i++) sp[i] = 0;
    sp[7] = reinterpret_cast<uint64_t>(&thread_main);
    sp[8] = 0;
    t.sp = sp;
#else
    getcontext(&t.ctx);
    t.ctx.uc_stack.ss_sp = t.stack;
    t.ctx.uc_stack.ss_size = STACK_BYTES;
    t.ctx.uc_link = nullptr;
    makecontext(&t.ctx, thread_main_trampoline, 0);
#endif
}

static void resume(Thread& t) {
    current = &t;
    t.state = State::READY;
#if defined(__x86_64__)
    tdm_emu_switch(&launch->scheduler_sp, t.sp);
#else
    swapcontext(&launch->scheduler_ctx, &t.ctx);
#endif
    current = nullptr;
}

void sync_threads() {
    Thread* t = current;
    t->state = State::AT_BLOCK_BARRIER;
    launch->block_barrier.arrive(t);
    yield_to_scheduler();
}

void sync_warp() {
    Thread* t = current;
    t->state = State::AT_WARP_BARRIER;
    launch->warps[t->warp].barrier.arrive(t);
    yield_to_scheduler();
}

uint64_t exchange(uint64_t bits, int lane_xor, int src_lane, bool use_xor) {
    Thread* t = current;
    Warp& w = launch->warps[t->warp];
    // Two slot sets used alternately: a lane can only write a set again after the next exchange's barrier,
    // which every lane passes after reading this one.
    int p = t->exchange_parity;
    t->exchange_parity ^= 1;
    w.slots[p][t->lane] = bits;
    sync_warp();
    int from = use_xor ? (t->lane ^ lane_xor) : src_lane;
    return w.slots[p][from & (WARP - 1)];
}

static bool runnable(const Thread& t) {
    switch (t.state) {
        case State::READY: return true;
        case State::AT_BLOCK_BARRIER: return launch->block_barrier.generation != t.waited_generation;
        case State::AT_WARP_BARRIER: return launch->warps[t.warp].barrier.generation != t.waited_generation;
        default: return false;
    }
}

// Runs one block to completion; returns false on a deadlock (a barrier that some live thread never reaches).
static bool run_block(Launch& l) {
    int n = (int)l.threads.size();
    l.block_barrier = Barrier{};
    l.block_barrier.alive = n;
    for (int w = 0; w < (int)l.warps.size(); w++) {
        l.warps[w].barrier = Barrier{};
        l.warps[w].barrier.alive = std::min(WARP, n - w * WARP);
    }
    for (int i = 0; i < n; i++) {
        Thread& t = l.threads[i];
        t.state = State::READY;
        t.exchange_parity = 0;
        start(t);
    }
    int done = 0;
    while (done < n) {
        bool progressed = false;
        for (int i = 0; i < n; i++) {
            Thread& t = l.threads[i];
            if (!runnable(t)) continue;
            resume(t);
            progressed = true;
            if (t.state == State::DONE) done++;
        }
        if (!progressed) return false;
    }
    return true;
}

static std::map<std::string, void (*)(void**)>& registry() {
    static std::map<std::string, void (*)(void**)> kernels;
    return kernels;
}

Registration::Registration(const char* name, void (*body)(void**)) { registry()[name] = body; }

static std::mutex launch_lock;
static thread_local std::string last_error;

static int fail(std::string message) {
    last_error = std::move(message);
    return 1;
}

}  // namespace tdm_emu

using namespace tdm_emu;

extern "C" {

const char* tdm_emu_error() { return last_error.c_str(); }

int tdm_emu_has_kernel(const char* name) { return registry().count(name) ? 1 : 0; }

int tdm_emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared_bytes, void** args) {
    auto it = registry().find(name);
    if (it == registry().end()) return fail(std::string("no kernel named ") + name + " in the emulation library");
    unsigned n = bx * by * bz;
    if (n == 0 || n > 1024 || gx == 0 || gy == 0 || gz == 0)
        return fail("launch of " + std::string(name) + " with an empty grid or more than 1024 threads per block");
    std::lock_guard<std::mutex> guard(launch_lock);
    while (stacks.size() < n) stacks.push_back(static_cast<char*>(std::aligned_alloc(64, STACK_BYTES)));
    Launch l;
    l.grid = {gx, gy, gz};
    l.block = {bx, by, bz};
    l.body = it->second;
    l.args = args;
    l.threads.resize(n);
    l.warps.resize((n + WARP - 1) / WARP);
    // Uninitialised shared memory reads as NaN, so a kernel that reads before writing shows it.
    l.shared.assign(shared_bytes, 0xFF);
    for (unsigned i = 0; i < n; i++) {
        Thread& t = l.threads[i];
        t.idx = {i % bx, (i / bx) % by, i / (bx * by)};
        t.linear = (int)i;
        t.warp = (int)(i / WARP);
        t.lane = (int)(i % WARP);
        t.stack = stacks[i];
    }
    launch = &l;
    for (unsigned z = 0; z < gz; z++)
        for (unsigned y = 0; y < gy; y++)
            for (unsigned x = 0; x < gx; x++) {
                l.block_id = {x, y, z};
                if (!run_block(l)) {
                    launch = nullptr;
                    char where[96];
                    std::snprintf(where, sizeof where, " deadlocked in block (%u,%u,%u): a barrier not every thread reaches", x, y, z);
                    return fail(std::string(name) + where);
                }
            }
    launch = nullptr;
    return 0;
}

void* tdm_emu_alloc(size_t bytes) {
    void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (p) std::memset(p, 0xFF, bytes);  // like fresh device memory: garbage, here NaN
    return p;
}

void tdm_emu_free(void* p) { std::free(p); }

}  // extern "C"
