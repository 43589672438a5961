// deny_syscalls: runs a program with some system calls refused, the way a container runtime's
// seccomp profile refuses them, so tests can start the real ringside where io_uring is
// forbidden.
//
//   deny_syscalls SYSCALL[,SYSCALL...] PROGRAM [ARG...]
//
// Each named call fails with EPERM; everything else is allowed. Known names: io_uring_setup,
// io_uring_enter, io_uring_register.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "deny_syscalls knows the seccomp architecture value of x86_64 and aarch64 only"
#endif

struct Known {
  std::string_view name;
  long number;
};
constexpr Known kKnown[] = {
    {"io_uring_setup", __NR_io_uring_setup},
    {"io_uring_enter", __NR_io_uring_enter},
    {"io_uring_register", __NR_io_uring_register},
};

bool Lookup(std::string_view name, long* number) {
  for (const Known& k : kKnown) {
    if (k.name == name) {
      *number = k.number;
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SYSCALL[,SYSCALL...] PROGRAM [ARG...]\n", argv[0]);
    return 2;
  }
  std::vector<long> denied;
  std::string_view list = argv[1];
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    long number;
    if (!Lookup(name, &number)) {
      std::fprintf(stderr, "deny_syscalls: unknown system call '%.*s'\n",
                   static_cast<int>(name.size()), name.data());
      return 2;
    }
    denied.push_back(number);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }

  // A call from another architecture's table is killed rather than misread; each denied
  // number answers EPERM; the rest are allowed.
  std::vector<sock_filter> filter = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  for (long number : denied) {
    filter.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(number), 0, 1));
    filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)));
  }
  filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    std::perror("deny_syscalls: PR_SET_NO_NEW_PRIVS");
    return 2;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    std::perror("deny_syscalls: PR_SET_SECCOMP");
    return 2;
  }
  execvp(argv[2], argv + 2);
  std::fprintf(stderr, "deny_syscalls: cannot run %s: %s\n", argv[2], std::strerror(errno));
  return 127;
}
