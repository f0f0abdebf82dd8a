/*
 * fakepg: impersonates PostgreSQL's System V shared memory behaviour exactly where pgipc looks, for
 * the adversarial safety harness (dev.pgipc.adversarial). Compiled by the test at run time:
 *
 *   gcc -O2 -o <dir>/postgres fakepg.c      (the binary MUST be named "postgres": that is its comm)
 *
 * Copies of the binary under other names (gdb, psql, fakeinit) give other comms.
 *
 * Modes (argv[1]); every line printed starts with the caller's tag and is written with one write()
 * (atomic on a pipe), so many processes can share the harness's stdout:
 *
 *   reaper                      a pod init: PR_SET_CHILD_SUBREAPER, spawns what it is told on
 *                               stdin (tab-separated commands, see reaper()), never reaps unless
 *                               told, and on "killall" or stdin EOF SIGKILLs every descendant and
 *                               reaps them all, so nothing (not even a zombie) outlives it; at
 *                               stdin EOF it also IPC_RMIDs the segments its children created.
 *   cluster TAG DIR N MASK FLAGS PORT SOCKDIR
 *                               a postmaster: chdir(DIR); CreateLockFile's stale-PID and in-use
 *                               checks for postmaster.pid, then for SOCKDIR/.s.PGSQL.PORT.lock
 *                               (same first five lines); PGSharedMemoryCreate's key walk from the inode (ATTACHED or
 *                               ANALYSIS_FAILURE -> FATAL, FOREIGN -> next key, UNATTACHED ->
 *                               IPC_RMID and retry, ENOENT -> retry); shmat, the 56-byte header;
 *                               postmaster.pid exactly like PostgreSQL; N backends re-exec'd as
 *                               "postgres: fake backend" (bit i of MASK: backend i ignores
 *                               SIGTERM). FLAGS: "ready", "starting" (status line 8), or
 *                               "noattach" (a postmaster between shmget and shmat: header written,
 *                               detached, lock file lines 1-6 only). Prints
 *                               "TAG ready PID KEY SHMID B1,B2,..." or "TAG fatal WHY".
 *                               Never reaps its backends (a killed one stays a zombie).
 *   backend TAG SHMID STUBBORN  (internal) attaches SHMID, reports its PID on fd 3, waits; each
 *                               SIGUSR1 detaches SHMID or attaches it again.
 *   attach TAG SHMID            attaches SHMID read-write and waits: "TAG attached PID SHMID".
 *   create TAG KEY SIZE KIND DEV INO HOLD PERM UID WALK
 *                               shmget(KEY, SIZE, IPC_CREAT|IPC_EXCL|PERM) as UID (-1: as is; WALK
 *                               1: key+1 on EEXIST); KIND pg writes PostgreSQL's header for DEV/INO
 *                               with creatorPID = getpid(), random writes noise (no magic), zero
 *                               leaves it zeroed; HOLD exit (creator dead), detach (creator alive,
 *                               nattch 0) or attach. Prints "TAG created PID KEY SHMID".
 *
 * Every waiting process exits when its stdin (the reaper's lifeline pipe) reaches EOF, i.e. when
 * the reaper dies: nothing outlives the test JVM by more than that.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG_MAGIC 679834894
#define HDR_SIZE 56

static void say(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int) sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  ssize_t w = write(1, buf, n);
  (void) w;
}

/* Blocks until the lifeline (stdin) reaches EOF, then exits. */
static void wait_forever(void) {
  char c[64];
  for (;;) {
    ssize_t n = read(0, c, sizeof c);
    if (n == 0) _exit(0);
    if (n < 0 && errno != EINTR) _exit(0);
  }
}

static char self_dir[PATH_MAX];

static void find_self_dir(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    exe[0] = '.';
    exe[1] = 0;
  } else {
    exe[n] = 0;
  }
  char *slash = strrchr(exe, '/');
  if (slash) *slash = 0;
  snprintf(self_dir, sizeof self_dir, "%s", exe);
}

/* ------------------------------------------------------------------ PostgreSQL's judgement */

enum state { ST_ENOENT, ST_FOREIGN, ST_UNATTACHED, ST_ATTACHED, ST_FAILURE };
static const char *state_name[] = {"ENOENT", "FOREIGN", "UNATTACHED", "ATTACHED", "ANALYSIS_FAILURE"};

/* PGSharedMemoryAttach (PostgreSQL 10.8+): nattch sampled before the attach decides. */
static enum state pg_attach_state(int shmid, const struct stat *dir) {
  struct shmid_ds ds;
  if (shmctl(shmid, IPC_STAT, &ds) < 0) {
    if (errno == EINVAL || errno == EIDRM) return ST_ENOENT;
    if (errno == EACCES) return ST_FOREIGN;
    return ST_FAILURE;
  }
  void *p = shmat(shmid, NULL, SHM_RDONLY);
  if (p == (void *) -1) {
    if (errno == EACCES) return ST_FOREIGN;
    if (errno == EINVAL || errno == EIDRM) return ST_ENOENT;
    return ST_FAILURE;
  }
  int magic;
  uint64_t dev, ino;
  memcpy(&magic, (char *) p, 4);
  memcpy(&dev, (char *) p + 40, 8);
  memcpy(&ino, (char *) p + 48, 8);
  shmdt(p);
  if (ds.shm_segsz < HDR_SIZE || magic != PG_MAGIC || dev != (uint64_t) dir->st_dev || ino != (uint64_t) dir->st_ino) {
    return ST_FOREIGN;
  }
  return ds.shm_nattch == 0 ? ST_UNATTACHED : ST_ATTACHED;
}

static void write_header(void *p, size_t total, uint64_t dev, uint64_t ino) {
  memset(p, 0, HDR_SIZE);
  int magic = PG_MAGIC;
  int pid = getpid();
  uint64_t t = total, fo = HDR_SIZE;
  uint32_t dsm = 0;
  memcpy((char *) p + 0, &magic, 4);
  memcpy((char *) p + 4, &pid, 4);
  memcpy((char *) p + 8, &t, 8);
  memcpy((char *) p + 16, &fo, 8);
  memcpy((char *) p + 24, &dsm, 4);
  memcpy((char *) p + 40, &dev, 8);
  memcpy((char *) p + 48, &ino, 8);
}

/* ------------------------------------------------------------------ cluster (postmaster) */

/*
 * CreateLockFile: O_EXCL; an existing file whose PID is alive (kill(pid, 0) succeeds, zombies
 * included) and not ours or our parent's is fatal; for the data directory's lock, so is the segment
 * of its line 7 when PGSharedMemoryIsInUse; anything else is stale and replaced. Returns the fd.
 */
static int create_lock(const char *tag, const char *path, int is_dd, const struct stat *st) {
  for (int tries = 0;; tries++) {
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) return fd;
    if (errno != EEXIST || tries > 50) {
      say("%s fatal lockfile-open %s %d", tag, path, errno);
      return -1;
    }
    char buf[1024] = {0};
    int rfd = open(path, O_RDONLY);
    if (rfd < 0) continue; /* removed meanwhile: try again */
    ssize_t n = read(rfd, buf, sizeof buf - 1);
    close(rfd);
    if (n <= 0) {
      say("%s fatal lockfile-empty %s", tag, path);
      return -1;
    }
    long other = atol(buf);
    if (other < 0) other = -other;
    if (other == 0) {
      say("%s fatal lockfile-bogus %s", tag, path);
      return -1;
    }
    if (other != getpid() && other != getppid()) {
      if (kill((pid_t) other, 0) == 0 || (errno != ESRCH && errno != EPERM)) {
        say("%s fatal lockfile-exists %s %ld", tag, path, other);
        return -1;
      }
    }
    if (is_dd) {
      /* line 7: "key shmid"; PGSharedMemoryIsInUse */
      char *line = buf;
      for (int i = 0; i < 6 && line; i++) {
        line = strchr(line, '\n');
        if (line) line++;
      }
      if (line && *line) {
        unsigned long k = 0, id = 0;
        if (sscanf(line, "%lu %lu", &k, &id) == 2) {
          enum state s = pg_attach_state((int) id, st);
          if (s == ST_ATTACHED || s == ST_FAILURE) {
            say("%s fatal inuse %lu %s", tag, id, state_name[s]);
            return -1;
          }
        }
      }
    }
    if (unlink(path) < 0 && errno != ENOENT) {
      say("%s fatal lockfile-unlink %s %d", tag, path, errno);
      return -1;
    }
  }
}

static char socket_lock[PATH_MAX];

static void fatal_cleanup(void) {
  unlink("postmaster.pid");
  if (socket_lock[0]) unlink(socket_lock);
}

static int cluster(int argc, char **argv) {
  if (argc < 9) return 2;
  const char *tag = argv[2], *dir = argv[3], *flags = argv[6], *sockdir = argv[8];
  int nbackends = atoi(argv[4]);
  unsigned mask = (unsigned) strtoul(argv[5], NULL, 10);
  int port = atoi(argv[7]);
  int noattach = strcmp(flags, "noattach") == 0;
  const char *status = strcmp(flags, "starting") == 0 ? "starting" : "ready   ";
  long started = (long) time(NULL);

  if (chdir(dir) < 0) {
    say("%s fatal chdir %d", tag, errno);
    return 1;
  }
  struct stat st;
  if (stat(dir, &st) < 0) {
    say("%s fatal stat %d", tag, errno);
    return 1;
  }
  int fd = create_lock(tag, "postmaster.pid", 1, &st);
  if (fd < 0) return 1;
  char lock[2048];
  int len = snprintf(lock, sizeof lock, "%d\n%s\n%ld\n%d\n%s\n%s\n", getpid(), dir, started, port, sockdir, "localhost");
  if (write(fd, lock, len) != len) {
    say("%s fatal lockfile-write %d", tag, errno);
    unlink("postmaster.pid");
    return 1;
  }
  /* the socket's lock file: same first five lines (CreateSocketLockFile) */
  char sl[PATH_MAX];
  snprintf(sl, sizeof sl, "%s/.s.PGSQL.%d.lock", sockdir, port);
  int sfd = create_lock(tag, sl, 0, &st);
  if (sfd < 0) {
    unlink("postmaster.pid");
    return 1;
  }
  snprintf(socket_lock, sizeof socket_lock, "%s", sl);
  int slen = snprintf(lock, sizeof lock, "%d\n%s\n%ld\n%d\n%s\n", getpid(), dir, started, port, sockdir);
  if (write(sfd, lock, slen) != slen) {
    say("%s fatal socketlock-write %d", tag, errno);
    fatal_cleanup();
    return 1;
  }
  close(sfd);

  /* PGSharedMemoryCreate's key walk */
  size_t size = 4096;
  int key = (int) st.st_ino;
  int shmid = -1;
  for (int tries = 0; tries < 1000; tries++) {
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid >= 0) break;
    if (errno != EEXIST) {
      say("%s fatal shmget %d", tag, errno);
      fatal_cleanup();
      return 1;
    }
    int old = shmget(key, HDR_SIZE, 0);
    enum state s;
    if (old < 0) {
      s = (errno == ENOENT) ? ST_ENOENT : ST_FOREIGN; /* e.g. too small: EINVAL */
    } else {
      s = pg_attach_state(old, &st);
    }
    switch (s) {
      case ST_ATTACHED:
      case ST_FAILURE:
        say("%s fatal inuse %d %s", tag, old, state_name[s]);
        fatal_cleanup();
        return 1;
      case ST_FOREIGN:
        key++;
        break;
      case ST_ENOENT:
        break; /* same key again */
      case ST_UNATTACHED:
        if (shmctl(old, IPC_RMID, NULL) == 0) {
          say("%s rmid %d", tag, old);
        } else {
          key++;
        }
        break;
    }
  }
  if (shmid < 0) {
    say("%s fatal keys-exhausted", tag);
    fatal_cleanup();
    return 1;
  }
  void *p = shmat(shmid, NULL, 0);
  if (p == (void *) -1) {
    say("%s fatal shmat %d", tag, errno);
    shmctl(shmid, IPC_RMID, NULL);
    fatal_cleanup();
    return 1;
  }
  write_header(p, size, (uint64_t) st.st_dev, (uint64_t) st.st_ino);
  if (noattach) shmdt(p);

  /* postmaster.pid lines 7 (key, shmid) and 8 (status), added once shared memory exists */
  if (!noattach) {
    len = snprintf(lock, sizeof lock, "%9lu %9lu\n%s\n", (unsigned long) key, (unsigned long) shmid, status);
    if (write(fd, lock, len) != len) {
      say("%s fatal lockfile-write %d", tag, errno);
      return 1;
    }
  }
  close(fd);

  /* backends: re-exec'd so that their command line reads "postgres: ..." and comm stays postgres */
  char pids[512] = "";
  if (nbackends > 0) {
    int pfd[2];
    if (pipe(pfd) < 0) {
      say("%s fatal pipe %d", tag, errno);
      return 1;
    }
    char exe[PATH_MAX + 16];
    snprintf(exe, sizeof exe, "%s/postgres", self_dir);
    for (int i = 0; i < nbackends; i++) {
      pid_t c = fork();
      if (c < 0) {
        say("%s fatal fork %d", tag, errno);
        return 1;
      }
      if (c == 0) {
        close(pfd[0]);
        if (pfd[1] != 3) {
          dup2(pfd[1], 3);
          close(pfd[1]);
        }
        char sid[32];
        snprintf(sid, sizeof sid, "%d", shmid);
        char *args[] = {"postgres: fake backend", "backend", (char *) tag, sid, (mask >> i) & 1 ? "1" : "0", NULL};
        execv(exe, args);
        _exit(127);
      }
    }
    close(pfd[1]);
    for (int i = 0; i < nbackends; i++) {
      int b = 0;
      ssize_t n = read(pfd[0], &b, sizeof b);
      if (n != sizeof b || b <= 0) {
        say("%s fatal backend-start", tag);
        return 1;
      }
      char one[24];
      snprintf(one, sizeof one, "%s%d", i ? "," : "", b);
      strncat(pids, one, sizeof pids - strlen(pids) - 1);
    }
    close(pfd[0]);
  }
  say("%s ready %d %d %d %s", tag, getpid(), key, shmid, nbackends > 0 ? pids : "-");
  wait_forever();
  return 0;
}

static volatile sig_atomic_t toggles;
static void on_toggle(int sig) { (void) sig; toggles++; }

static int backend(int argc, char **argv) {
  if (argc < 5) return 2;
  if (strcmp(argv[4], "1") == 0) signal(SIGTERM, SIG_IGN);
  /* SIGUSR1 detaches the segment, the next one attaches it again: a live process whose attachments change */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_toggle; /* no SA_RESTART: the read below returns EINTR */
  sigaction(SIGUSR1, &sa, NULL);
  int shmid = atoi(argv[3]);
  int me = -1;
  void *at = shmat(shmid, NULL, 0);
  if (at != (void *) -1) me = getpid();
  ssize_t w = write(3, &me, sizeof me);
  (void) w;
  close(3);
  if (me < 0) _exit(1);
  int handled = 0;
  char c[64];
  for (;;) {
    ssize_t n = read(0, c, sizeof c);
    if (n == 0) _exit(0);
    if (n < 0 && errno != EINTR) _exit(0);
    while (handled < toggles) {
      handled++;
      if (at != (void *) -1) {
        shmdt(at);
        at = (void *) -1;
      } else {
        at = shmat(shmid, NULL, 0);
      }
    }
  }
  return 0;
}

static int attach(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *tag = argv[2];
  int shmid = atoi(argv[3]);
  if (shmat(shmid, NULL, 0) == (void *) -1) {
    say("%s error attach %d", tag, errno);
    return 1;
  }
  say("%s attached %d %d", tag, getpid(), shmid);
  wait_forever();
  return 0;
}

static int create(int argc, char **argv) {
  if (argc < 12) return 2;
  const char *tag = argv[2], *kind = argv[5], *hold = argv[8];
  int key = (int) strtol(argv[3], NULL, 10);
  size_t size = (size_t) strtoul(argv[4], NULL, 10);
  uint64_t dev = strtoull(argv[6], NULL, 10), ino = strtoull(argv[7], NULL, 10);
  int perm = (int) strtol(argv[9], NULL, 8);
  int uid = atoi(argv[10]);
  int walk = atoi(argv[11]);
  if (uid >= 0) {
    if (setgid((gid_t) uid) < 0 || setuid((uid_t) uid) < 0) {
      say("%s error setuid %d", tag, errno);
      return 1;
    }
  }
  int shmid = -1;
  for (int tries = 0; tries < 1000; tries++) {
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | perm);
    if (shmid >= 0 || errno != EEXIST || !walk) break;
    key++;
  }
  if (shmid < 0) {
    say("%s error shmget %d", tag, errno);
    return 1;
  }
  void *p = shmat(shmid, NULL, 0);
  if (p == (void *) -1) {
    say("%s error shmat %d", tag, errno);
    return 1;
  }
  if (strcmp(kind, "pg") == 0 && size >= HDR_SIZE) {
    write_header(p, size, dev, ino);
  } else if (strcmp(kind, "random") == 0) {
    unsigned seed = (unsigned) (getpid() ^ time(NULL));
    for (size_t i = 0; i < size; i++) ((unsigned char *) p)[i] = (unsigned char) rand_r(&seed);
    if (size >= 4 && *(int *) p == PG_MAGIC) ((unsigned char *) p)[0] ^= 1;
  }
  if (strcmp(hold, "attach") != 0) shmdt(p);
  say("%s created %d %d %d", tag, getpid(), key, shmid);
  if (strcmp(hold, "exit") == 0) _exit(0);
  wait_forever();
  return 0;
}

/* ------------------------------------------------------------------ reaper (pod init) */

static int lifeline[2];
static pid_t spawned[65536];
static int nspawned;
static time_t reaper_started;

/*
 * After the last process is gone: IPC_RMID every segment a process we spawned created (postmasters
 * and creators are all spawned directly), so that not even a segment outlives a test JVM that died.
 */
static void remove_our_segments(void) {
  FILE *f = fopen("/proc/sysvipc/shm", "r");
  if (!f) return;
  char line[512];
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return;
  }
  while (fgets(line, sizeof line, f)) {
    long key, shmid, perms, size, cpid, lpid, nattch, uid, gid, cuid, cgid, atime, dtime, ctime;
    if (sscanf(line, "%ld %ld %lo %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &key, &shmid, &perms, &size, &cpid, &lpid,
            &nattch, &uid, &gid, &cuid, &cgid, &atime, &dtime, &ctime) != 14) continue;
    if (ctime < (long) reaper_started - 1) continue; /* older than us: not ours, whatever its cpid */
    for (int i = 0; i < nspawned; i++) {
      if (spawned[i] == (pid_t) cpid) {
        shmctl((int) shmid, IPC_RMID, NULL);
        break;
      }
    }
  }
  fclose(f);
}

/* Every live (non-zombie) descendant of this process, from /proc. */
static int descendants(pid_t self, pid_t *out, int max, int *zombies) {
  static pid_t pid[65536], ppid[65536];
  static char st[65536];
  int n = 0;
  DIR *d = opendir("/proc");
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 65536) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0) continue;
    buf[r] = 0;
    char *close_paren = strrchr(buf, ')');
    if (!close_paren) continue;
    char state;
    int pp;
    if (sscanf(close_paren + 2, "%c %d", &state, &pp) != 2) continue;
    pid[n] = atoi(e->d_name);
    ppid[n] = pp;
    st[n] = state;
    n++;
  }
  closedir(d);
  /* transitive closure over ppid */
  static char mark[65536];
  memset(mark, 0, n);
  int changed = 1;
  while (changed) {
    changed = 0;
    for (int i = 0; i < n; i++) {
      if (mark[i]) continue;
      if (ppid[i] == self) {
        mark[i] = 1;
        changed = 1;
        continue;
      }
      for (int j = 0; j < n; j++) {
        if (mark[j] && pid[j] == ppid[i]) {
          mark[i] = 1;
          changed = 1;
          break;
        }
      }
    }
  }
  int k = 0;
  *zombies = 0;
  for (int i = 0; i < n; i++) {
    if (!mark[i]) continue;
    if (st[i] == 'Z' || st[i] == 'X') {
      (*zombies)++;
    } else if (k < max) {
      out[k++] = pid[i];
    }
  }
  return k;
}

/* SIGKILL every descendant until none is left alive, then reap every child (orphans are ours). */
static int killall(void) {
  pid_t self = getpid();
  pid_t live[4096];
  int zombies, rounds = 0, killed = 0;
  for (;;) {
    int n = descendants(self, live, 4096, &zombies);
    if (n == 0) break;
    for (int i = 0; i < n; i++) {
      if (kill(live[i], SIGKILL) == 0) killed++;
    }
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (++rounds > 5000) break;
  }
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
  return killed;
}

static void spawn(char **f, int nf) {
  /* spawn TAG CWD UID EXE ARGV0 ARGS... */
  if (nf < 6) {
    say("? error bad-spawn");
    return;
  }
  const char *tag = f[1], *cwd = f[2], *exe = f[4];
  int uid = atoi(f[3]);
  pid_t c = fork();
  if (c < 0) {
    say("%s error fork %d", tag, errno);
    return;
  }
  if (c == 0) {
    dup2(lifeline[0], 0);
    close(lifeline[0]);
    signal(SIGPIPE, SIG_DFL);
    if (chdir(cwd) < 0) _exit(126);
    if (uid >= 0 && (setgid((gid_t) uid) < 0 || setuid((uid_t) uid) < 0)) _exit(125);
    char *args[64];
    int k = 0;
    for (int i = 5; i < nf && k < 63; i++) args[k++] = f[i];
    args[k] = NULL;
    execv(exe, args);
    _exit(127);
  }
  if (nspawned < 65536) spawned[nspawned++] = c;
  say("%s spawned %d", tag, c);
}

static int reaper(void) {
  reaper_started = time(NULL);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    say("R error prctl %d", errno);
    return 2;
  }
  if (pipe2(lifeline, 0) < 0) return 2;
  fcntl(lifeline[1], F_SETFD, FD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  int autoreap = 0;
  say("R ready %d", getpid());
  static char buf[65536];
  size_t have = 0;
  for (;;) {
    struct pollfd pfd = {0, POLLIN, 0};
    int pr = poll(&pfd, 1, autoreap ? 20 : -1);
    if (autoreap) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
    }
    if (pr <= 0) continue;
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n <= 0) {
      killall();
      remove_our_segments();
      return 0;
    }
    have += (size_t) n;
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', buf + have - start))) {
      *nl = 0;
      char *f[64];
      int nf = 0;
      char *s = start;
      for (;;) {
        f[nf++] = s;
        char *t = strchr(s, '\t');
        if (!t || nf == 63) break;
        *t = 0;
        s = t + 1;
      }
      if (strcmp(f[0], "spawn") == 0) {
        spawn(f, nf);
      } else if (strcmp(f[0], "reap") == 0 && nf >= 3) {
        pid_t p = (pid_t) atoi(f[2]);
        int r;
        while ((r = waitpid(p, NULL, 0)) < 0 && errno == EINTR) {
        }
        say("%s reaped %d %d", f[1], p, r < 0 ? errno : 0);
      } else if (strcmp(f[0], "autoreap") == 0 && nf >= 3) {
        autoreap = atoi(f[2]);
        say("%s autoreap %d", f[1], autoreap);
      } else if (strcmp(f[0], "killall") == 0 && nf >= 2) {
        autoreap = 0;
        int k = killall();
        say("%s killed %d", f[1], k);
      } else {
        say("? error unknown-command %s", f[0]);
      }
      start = nl + 1;
    }
    have = (size_t) (buf + have - start);
    memmove(buf, start, have);
  }
}

int main(int argc, char **argv) {
  find_self_dir();
  if (argc < 2) {
    fprintf(stderr, "usage: postgres reaper|cluster|backend|attach|create ...\n");
    return 2;
  }
  const char *mode = argv[1];
  if (strcmp(mode, "reaper") == 0) return reaper();
  if (strcmp(mode, "cluster") == 0) return cluster(argc, argv);
  if (strcmp(mode, "backend") == 0) return backend(argc, argv);
  if (strcmp(mode, "attach") == 0) return attach(argc, argv);
  if (strcmp(mode, "create") == 0) return create(argc, argv);
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
