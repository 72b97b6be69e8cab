// Runs a program with io_uring forbidden by a seccomp filter, as Docker's default profile
// does: without_io_uring ENOSYS|EPERM PROGRAM ARGS...
// Or with io_uring but without a sparse registered file table, as before Linux 5.19:
// without_io_uring NO_FILE_TABLE PROGRAM ARGS... (io_uring_register(IORING_REGISTER_FILES2)
// fails with EINVAL, as an unknown opcode does).

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: without_io_uring ENOSYS|EPERM|NO_FILE_TABLE PROGRAM ARGS...\n");
    return 2;
  }
  bool no_file_table = std::strcmp(argv[1], "NO_FILE_TABLE") == 0;
  unsigned error = std::strcmp(argv[1], "EPERM") == 0 ? EPERM : ENOSYS;
  // Other architectures' calls pass; then the system call's number is loaded.
  std::vector<sock_filter> filter = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  if (no_file_table) {
    filter.insert(filter.end(),
                  {
                      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
                      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                      // The opcode's low word (x86-64 is little-endian).
                      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1])),
                      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IORING_REGISTER_FILES2, 0, 1),
                      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EINVAL & SECCOMP_RET_DATA)),
                      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                  });
  } else {
    filter.insert(
        filter.end(),
        {
            // io_uring_setup, io_uring_enter and io_uring_register are consecutive numbers.
            BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __NR_io_uring_setup, 0, 2),
            BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, __NR_io_uring_register, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (error & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        });
  }
  sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::perror("seccomp");
    return 3;
  }
  execv(argv[2], argv + 2);
  std::perror("execv");
  return 4;
}
