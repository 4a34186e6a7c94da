/*
 * A power cut for the WAL of a real process (LD_PRELOAD): what is written to a file whose path
 * ends in ".wal" is held in this process's memory until that file descriptor is fdatasync'ed or
 * fsync'ed, so a SIGKILL loses exactly the unsynced writes, as a power cut loses the page cache.
 * Positioned writes (pwrite, pwritev) are held, unless the descriptor is O_DSYNC or O_SYNC (then
 * they are durable when the call returns, and pass through); anything else on such a descriptor (write, read,
 * pread, ftruncate, fallocate, close) first applies what is held, which only makes the fault
 * milder, never wrong. Built by test/faults/support/power-cut.ts; set UV_USE_IO_URING=0 so libuv
 * goes through these functions.
 *
 * Torn writes (LOSSY_WAL_TEAR=1): a disk writes a large write sector by sector, in any order, and a
 * power cut may leave any subset of them. With tearing on, each held write also sends about half of
 * its 512-byte sectors (by file offset), chosen at random, through at once; the whole write still
 * lands at the next sync. A SIGKILL before that sync leaves those sectors only: a torn write, with
 * the sectors in between still as they were (zeros in a preallocated segment). LOSSY_WAL_SEED seeds
 * the choice (default: the pid), so a seed repeats a process's sequence of choices.
 * LOSSY_WAL_SYNC_DELAY_MS=N makes each sync of a descriptor with held writes wait N ms first (a slow
 * disk), so a SIGKILL at a random moment most likely finds a write held, and torn.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 4096

struct pending {
  off_t pos;
  size_t len;
  struct pending *next;
  char data[];
};

static struct pending *heads[MAX_FD];
static struct pending *tails[MAX_FD];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int tear;
static unsigned long long rng;
static useconds_t sync_delay_us;

#define SECTOR 512

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_fdatasync)(int);
static int (*real_fsync)(int);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static int (*real_ftruncate)(int, off_t);

__attribute__((constructor)) static void init(void) {
  real_pwrite = dlsym(RTLD_NEXT, "pwrite64");
  real_pwritev = dlsym(RTLD_NEXT, "pwritev64");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_close = dlsym(RTLD_NEXT, "close");
  real_write = dlsym(RTLD_NEXT, "write");
  real_read = dlsym(RTLD_NEXT, "read");
  real_pread = dlsym(RTLD_NEXT, "pread64");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate64");
  const char *t = getenv("LOSSY_WAL_TEAR");
  tear = t != NULL && strcmp(t, "") != 0 && strcmp(t, "0") != 0;
  const char *seed = getenv("LOSSY_WAL_SEED");
  rng = seed != NULL ? strtoull(seed, NULL, 10) : (unsigned long long)getpid();
  rng = rng * 0x9E3779B97F4A7C15ULL + 1;
  const char *delay = getenv("LOSSY_WAL_SYNC_DELAY_MS");
  sync_delay_us = delay != NULL ? (useconds_t)(strtoul(delay, NULL, 10) * 1000) : 0;
}

/* A slow disk: waits before syncing a descriptor that holds writes (lock not held while waiting). */
static void slow_sync(int fd) {
  if (sync_delay_us == 0 || fd < 0 || fd >= MAX_FD) return;
  pthread_mutex_lock(&lock);
  int holds = heads[fd] != NULL;
  pthread_mutex_unlock(&lock);
  if (holds) usleep(sync_delay_us);
}

/* xorshift64 (lock held). */
static unsigned long long next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* A write of zeros only (preallocation, zeroing a stale tail): tearing it changes nothing a reader
 * could tell from the zeros already there, and would cost a system call per sector. */
static int all_zero(const struct pending *p) {
  for (size_t i = 0; i < p->len; i++)
    if (p->data[i] != 0) return 0;
  return 1;
}

/* Sends about half of p's sectors through now, chosen at random (lock held). */
static void tear_now(int fd, const struct pending *p) {
  off_t at = p->pos;
  off_t end = p->pos + (off_t)p->len;
  while (at < end) {
    off_t next = (at / SECTOR + 1) * SECTOR;
    if (next > end) next = end;
    if (next_random() & 1) {
      size_t done = 0, len = (size_t)(next - at);
      while (done < len) {
        ssize_t n = real_pwrite(fd, p->data + (at - p->pos) + done, len - done, at + (off_t)done);
        if (n <= 0 && errno != EINTR) break;
        if (n > 0) done += (size_t)n;
      }
    }
    at = next;
  }
}

/* A descriptor whose writes are held: on a ".wal" file, not opened O_DSYNC/O_SYNC (those writes
 * are durable when the call returns, so they pass through). */
static int is_wal(int fd) {
  if (fd < 0 || fd >= MAX_FD) return 0;
  int flags = fcntl(fd, F_GETFL);
  if (flags == -1 || (flags & O_DSYNC) != 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 4) return 0;
  path[n] = 0;
  return strcmp(path + n - 4, ".wal") == 0;
}

/* Applies what fd holds (lock held). Returns -1 with errno on a failed write. */
static int apply(int fd) {
  if (fd < 0 || fd >= MAX_FD) return 0;
  int rc = 0;
  struct pending *p = heads[fd];
  heads[fd] = tails[fd] = NULL;
  while (p != NULL) {
    size_t done = 0;
    while (rc == 0 && done < p->len) {
      ssize_t n = real_pwrite(fd, p->data + done, p->len - done, p->pos + (off_t)done);
      if (n < 0 && errno != EINTR) rc = -1;
      if (n > 0) done += (size_t)n;
    }
    struct pending *next = p->next;
    free(p);
    p = next;
  }
  return rc;
}

static void hold(int fd, const struct iovec *iov, int iovcnt, off_t pos, size_t total) {
  struct pending *p = malloc(sizeof *p + total);
  if (p == NULL) abort();
  p->pos = pos;
  p->len = total;
  p->next = NULL;
  size_t at = 0;
  for (int i = 0; i < iovcnt; i++) {
    memcpy(p->data + at, iov[i].iov_base, iov[i].iov_len);
    at += iov[i].iov_len;
  }
  if (tails[fd] != NULL) tails[fd]->next = p;
  else heads[fd] = p;
  tails[fd] = p;
  if (tear && !all_zero(p)) tear_now(fd, p);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t pos) {
  if (!is_wal(fd)) return real_pwritev(fd, iov, iovcnt, pos);
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
  pthread_mutex_lock(&lock);
  hold(fd, iov, iovcnt, pos, total);
  pthread_mutex_unlock(&lock);
  return (ssize_t)total;
}
ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t pos) { return pwritev64(fd, iov, iovcnt, pos); }

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t pos) {
  struct iovec one = {(void *)buf, len};
  return pwritev64(fd, &one, 1, pos);
}
ssize_t pwrite(int fd, const void *buf, size_t len, off_t pos) { return pwrite64(fd, buf, len, pos); }

#define APPLY_THEN(call)                       \
  do {                                         \
    pthread_mutex_lock(&lock);                 \
    int bad = apply(fd);                       \
    pthread_mutex_unlock(&lock);               \
    if (bad != 0) return -1;                   \
    return call;                               \
  } while (0)

int fdatasync(int fd) {
  slow_sync(fd);
  APPLY_THEN(real_fdatasync(fd));
}
int fsync(int fd) {
  slow_sync(fd);
  APPLY_THEN(real_fsync(fd));
}
ssize_t write(int fd, const void *buf, size_t len) { APPLY_THEN(real_write(fd, buf, len)); }
ssize_t read(int fd, void *buf, size_t len) { APPLY_THEN(real_read(fd, buf, len)); }
ssize_t pread64(int fd, void *buf, size_t len, off_t pos) { APPLY_THEN(real_pread(fd, buf, len, pos)); }
ssize_t pread(int fd, void *buf, size_t len, off_t pos) { APPLY_THEN(real_pread(fd, buf, len, pos)); }
int ftruncate64(int fd, off_t len) { APPLY_THEN(real_ftruncate(fd, len)); }
int ftruncate(int fd, off_t len) { APPLY_THEN(real_ftruncate(fd, len)); }
int close(int fd) {
  pthread_mutex_lock(&lock);
  apply(fd);
  pthread_mutex_unlock(&lock);
  return real_close(fd);
}
