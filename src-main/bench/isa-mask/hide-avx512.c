/*
 * LD_PRELOAD library: the process sees a CPU without AVX-512, so every library in it that picks
 * its kernels from CPUID (ONNX Runtime's MLAS, PyTorch's ATen and oneDNN, libgcc's
 * __builtin_cpu_supports in the workbench's native addon) takes the AVX2 + FMA path it would
 * take on an AVX2-only laptop, at this machine's real speed. ONNX Runtime has no switch for
 * this, hence the library.
 *
 * How: Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID, 0) makes the CPUID instruction trap
 * (SIGSEGV, si_code SI_KERNEL) in this thread and every thread it starts. The handler runs the
 * real CPUID with faulting lifted for that one instruction, clears the AVX-512 feature bits and
 * steps over the 2-byte instruction. Whatever ran CPUID before this constructor (the dynamic
 * loader's own probe, which picks glibc's memcpy variants) saw the real CPU.
 *
 * The handler must stay first for SIGSEGV: Node installs its own (WebAssembly bounds traps)
 * and ends the process on any other fault. So sigaction() and signal() for SIGSEGV are
 * interposed: the program's handler is kept aside and called for every fault that is not a
 * CPUID, as if it were installed, and the program reads back what it set.
 *
 * Where the kernel or CPU cannot fault CPUID (or the CPU has no AVX-512 to hide) the
 * constructor says so on stderr and ends the process with status 3: a run that claims AVX2
 * never measures AVX-512 by accident. Linux x86-64 only.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* CPUID leaf 7, subleaf 0: the AVX-512 bits of EBX, ECX and EDX (Intel SDM vol. 2A, CPUID). */
#define LEAF7_EBX_AVX512 ((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
#define LEAF7_ECX_AVX512 ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14))
#define LEAF7_EDX_AVX512 ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23))
/* Leaf 7, subleaf 1: AVX512_BF16 in EAX. */
#define LEAF7_1_EAX_AVX512 (1u << 5)

typedef int (*sigaction_fn)(int, const struct sigaction*, struct sigaction*);

/* libc's own sigaction, which installs for real. */
static sigaction_fn real_sigaction(void) {
  static sigaction_fn real;
  if (!real) real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  return real;
}

/* The SIGSEGV action the program set (SIG_DFL until it sets one). */
static struct sigaction program_action;

static long set_cpuid_allowed(int allowed) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, allowed); }

static void say(const char* text) {
  ssize_t ignored = write(2, text, strlen(text));
  (void)ignored;
}

/*
 * A fault that is not a CPUID goes where the program's own action sends it. Its handler runs
 * inside this one, so the mask and flags it asked for (other than SA_SIGINFO) do not apply: Node's
 * handler, the one that matters here, needs neither.
 */
static void forward(int sig, siginfo_t* info, void* context) {
  if (program_action.sa_flags & SA_SIGINFO) {
    program_action.sa_sigaction(sig, info, context);
    return;
  }
  if (program_action.sa_handler != SIG_DFL && program_action.sa_handler != SIG_IGN) {
    program_action.sa_handler(sig);
    return;
  }
  /* The default action: a fault repeats on return and ends the process; a sent signal is sent again. */
  struct sigaction fallback;
  memset(&fallback, 0, sizeof fallback);
  fallback.sa_handler = SIG_DFL;
  real_sigaction()(sig, &fallback, NULL);
  if (info->si_code <= 0) raise(sig);
}

static void on_segv(int sig, siginfo_t* info, void* context) {
  ucontext_t* uc = (ucontext_t*)context;
  greg_t* regs = uc->uc_mcontext.gregs;
  /* si_code first: a fault at an unmapped address must not read its instruction bytes. */
  const unsigned char* ip = (const unsigned char*)regs[REG_RIP];
  if (info->si_code != SI_KERNEL || ip[0] != 0x0f || ip[1] != 0xa2) {
    forward(sig, info, context);
    return;
  }
  const uint32_t leaf = (uint32_t)regs[REG_RAX];
  const uint32_t subleaf = (uint32_t)regs[REG_RCX];
  uint32_t a, b, c, d;
  set_cpuid_allowed(1);
  __cpuid_count(leaf, subleaf, a, b, c, d);
  set_cpuid_allowed(0);
  if (leaf == 7 && subleaf == 0) {
    b &= ~LEAF7_EBX_AVX512;
    c &= ~LEAF7_ECX_AVX512;
    d &= ~LEAF7_EDX_AVX512;
  } else if (leaf == 7 && subleaf == 1) {
    a &= ~LEAF7_1_EAX_AVX512;
  }
  /* CPUID writes the 32-bit registers, which zeroes the upper halves. */
  regs[REG_RAX] = a;
  regs[REG_RBX] = b;
  regs[REG_RCX] = c;
  regs[REG_RDX] = d;
  regs[REG_RIP] += 2;
}

int sigaction(int signum, const struct sigaction* action, struct sigaction* old) {
  if (signum != SIGSEGV) return real_sigaction()(signum, action, old);
  if (old) *old = program_action;
  if (action) program_action = *action;
  return 0;
}

sighandler_t signal(int signum, sighandler_t handler) {
  struct sigaction action, old;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  action.sa_flags = SA_RESTART;
  if (sigaction(signum, &action, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}

__attribute__((constructor)) static void hide_avx512(void) {
  uint32_t a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16))) {
    say("hide-avx512: this CPU has no AVX-512 to hide (CPUID leaf 7 EBX bit 16 is clear)\n");
    _exit(3);
  }
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  program_action.sa_handler = SIG_DFL;
  if (real_sigaction()(SIGSEGV, &action, NULL) != 0 || set_cpuid_allowed(0) != 0) {
    say("hide-avx512: this kernel cannot make CPUID fault (arch_prctl ARCH_SET_CPUID failed); AVX-512 stays visible\n");
    _exit(3);
  }
}
