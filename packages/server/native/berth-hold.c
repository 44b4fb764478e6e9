/*
 * berth-hold: keeps a terminal's shell alive inside an environment, whoever is attached to it.
 *
 *   berth-hold open DIR GRACE_SECONDS SCROLLBACK_BYTES COLS ROWS -- ARGV...
 *       Attaches to the shell held in DIR, starting it (and its holder) first if there is none,
 *       and gives it the size COLS x ROWS (0 0: none) before anything else.
 *   berth-hold attach DIR
 *       Attaches to the shell held in DIR.
 *   berth-hold stop DIR
 *       Ends the shell held in DIR and everything it started (every process of its session).
 *
 * The holder runs the shell on a pseudo-terminal of its own, keeps the last SCROLLBACK_BYTES of its
 * output, and listens on DIR/sock. An attached client (the process Berth runs through the engine,
 * from any Berth process) gets the scrollback, then the output as it comes; what it reads on stdin
 * goes to the shell, and its terminal's size follows its own (SIGWINCH). The first size comes in
 * the open command itself: the engine sets the size of the client's own terminal by a call of its own,
 * which may come after the shell has printed, or not at all (it gives up on a process slow to start). When the client's
 * connection goes (its Berth process died, say), the shell lives on; when no client has been
 * attached for GRACE_SECONDS, or the shell exits, the holder ends (the shell's exit code is left in
 * DIR/exit for the client). The holder drops BERTH_EXEC_ID from its environment, so ending a
 * client's process tree leaves the shell alone.
 *
 * Client to holder: frames of a type byte and a payload: 'd' + u32 length + bytes (input),
 * 'w' + u16 cols + u16 rows (size), big-endian; 'k' alone ends the shell. Holder to client: raw terminal output.
 *
 * It also holds the processes E2B's process service starts, one holder each, so that any Berth
 * process can follow, feed or kill them, and they outlive the Berth process that started them:
 *
 *   berth-hold proc ROOT TIMEOUT_MS COLS ROWS -- ARGV...
 *       Starts ARGV under a holder of its own in ROOT/<pid> (its pid is the holder's; COLS 0: no
 *       terminal, pipes instead), and relays the holder's socket to stdin and stdout. The first
 *       frame the client sends must be 'm' (what `proc-list` prints for it); the command starts
 *       then. TIMEOUT_MS > 0 kills it (and its session) that long after it started.
 *   berth-hold proc-attach ROOT PID MODE
 *       Relays the socket of the process PID: MODE 'a' follows its output, 'c' only sends it frames
 *       (and reads 'h' alone). Without such a process, it exits at once with nothing written.
 *   berth-hold proc-list ROOT
 *       Prints "<pid> <meta>" for each process held in ROOT.
 *
 * Both ways, frames are a type byte, a u32 big-endian length and that many bytes. Client to holder:
 * 'm' meta, 'd' input, 'e' end of input, 'w' u16 cols + u16 rows, 'k' kill (its whole session).
 * Holder to client: 'h' u32 pid (the process started), 'f' why it could not start, 'o' stdout,
 * 'r' stderr, 'p' terminal output, 'x' i32 exit code + u8 signal + u8 timed out (the last frame);
 * then berth-hold itself adds 'z' (the holder hung up), after which it waits for the end of its input.
 * Output nobody follows is dropped; a follower that reads slowly holds the process back.
 *
 * Built statically (no libc needed in the environment's image); Linux only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 16

extern char **environ;

static void die(const char *what) {
  fprintf(stderr, "berth-hold: %s: %s\n", what, strerror(errno));
  exit(111);
}

static void path_in(char *out, size_t size, const char *dir, const char *name) {
  if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size) {
    fprintf(stderr, "berth-hold: path too long\n");
    exit(111);
  }
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* After a failed write to a holder's socket: whether it failed because the holder hung up (what it sent is still to be read). */
static int holder_gone(void) { return errno == EPIPE || errno == ECONNRESET; }

static int read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int connect_to(const char *dir) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  path_in(addr.sun_path, sizeof addr.sun_path, dir, "sock");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
  close(fd);
  return -1;
}

/* A unix socket listening at PATH (108 bytes at most), which only this user may connect to. */
static int listen_at(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path, path, sizeof addr.sun_path);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  unlink(path);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  chmod(path, 0600);
  if (listen(listener, 8) < 0) die("listen");
  return listener;
}

/* ---- the holder ---- */

struct ring {
  char *buf;
  size_t size, start, len;
};

static void ring_push(struct ring *r, const char *data, size_t n) {
  if (r->size == 0) return;
  if (n >= r->size) {
    memcpy(r->buf, data + n - r->size, r->size);
    r->start = 0;
    r->len = r->size;
    return;
  }
  for (size_t i = 0; i < n; i++) r->buf[(r->start + r->len + i) % r->size] = data[i];
  r->len += n;
  if (r->len > r->size) {
    r->start = (r->start + r->len - r->size) % r->size;
    r->len = r->size;
  }
}

static int ring_send(const struct ring *r, int fd) {
  size_t first = r->len < r->size - r->start ? r->len : r->size - r->start;
  if (write_all(fd, r->buf + r->start, first) < 0) return -1;
  return write_all(fd, r->buf, r->len - first);
}

/* SIGKILLs every process of the shell's session (background jobs included), pass after pass until none is left. */
static void kill_session(pid_t sid) {
  for (int pass = 0; pass < 50; pass++) {
    int found = 0;
    DIR *proc = opendir("/proc");
    if (!proc) return;
    struct dirent *e;
    while ((e = readdir(proc))) {
      pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
      if (pid <= 0) continue;
      char path[64], stat[1024];
      snprintf(path, sizeof path, "/proc/%d/stat", pid);
      FILE *f = fopen(path, "r");
      if (!f) continue;
      size_t n = fread(stat, 1, sizeof stat - 1, f);
      fclose(f);
      stat[n] = 0;
      /* pid (comm) state ppid pgrp session: comm may hold spaces and parentheses, so read after the last ')'. */
      char *close_paren = strrchr(stat, ')');
      int ppid, pgrp, session;
      char state;
      if (!close_paren || sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) continue;
      if (session == sid && state != 'Z') {
        kill(pid, SIGKILL);
        found = 1;
      }
    }
    closedir(proc);
    if (!found) return;
    usleep(20000);
  }
}

static volatile sig_atomic_t child_exited;
static void on_child(int sig) {
  (void)sig;
  child_exited = 1;
}

static int serve(const char *dir, long grace, long scrollback, struct winsize size, char **argv) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) die("openpty");
  /* The shell starts at its client's size. */
  if (size.ws_col > 0 && size.ws_row > 0) ioctl(master, TIOCSWINSZ, &size);
  char *slave_name = ptsname(master);
  if (!slave_name) die("ptsname");

  struct sigaction sa = {.sa_handler = on_child};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  /* Closed by the shell's exec (or its death): until then the pty's other end may not be open yet, and
     gVisor answers a read of the master with EIO then (Linux waits), which would read as the shell gone. */
  int started[2];
  if (pipe2(started, O_CLOEXEC) < 0) die("pipe");
  pid_t shell = fork();
  if (shell < 0) die("fork");
  if (shell == 0) {
    close(started[0]);
    setsid();
    int slave = open(slave_name, O_RDWR);
    if (slave < 0) die("open pty");
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execvp(argv[0], argv);
    die("exec");
  }
  close(started[1]);
  char ignored;
  while (read(started[0], &ignored, 1) < 0 && errno == EINTR) {
  }
  close(started[0]);

  char sock_path[108], exit_path[4096];
  path_in(sock_path, sizeof sock_path, dir, "sock");
  path_in(exit_path, sizeof exit_path, dir, "exit");
  unlink(exit_path);
  int listener = listen_at(sock_path);

  struct ring ring = {.buf = malloc((size_t)scrollback), .size = (size_t)scrollback};
  if (!ring.buf) die("malloc");
  int clients[MAX_CLIENTS];
  int count = 0;
  time_t alone_since = time(NULL);
  char buf[65536];
  int status = 0;
  int ended = 0;

  while (!ended) {
    struct pollfd fds[2 + MAX_CLIENTS];
    fds[0] = (struct pollfd){.fd = master, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < count; i++) fds[2 + i] = (struct pollfd){.fd = clients[i], .events = POLLIN};
    int polled = count;
    int ready = poll(fds, (nfds_t)(2 + count), 1000);
    if (ready < 0 && errno != EINTR) die("poll");

    if (child_exited && waitpid(shell, &status, WNOHANG) == shell) ended = 1;
    if (count == 0 && grace >= 0 && time(NULL) - alone_since >= grace) {
      kill_session(shell);
      waitpid(shell, &status, 0);
      ended = 1;
    }
    if (ready <= 0 && !ended) continue;

    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        ring_push(&ring, buf, (size_t)n);
        for (int i = 0; i < count; i++) write_all(clients[i], buf, (size_t)n);
      } else if (n < 0 && errno == EIO) {
        waitpid(shell, &status, 0); /* every end of the pty is closed: the shell is gone */
        ended = 1;
      }
    }
    if (!ended && (fds[1].revents & POLLIN)) {
      int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      if (client >= 0 && count < MAX_CLIENTS && ring_send(&ring, client) == 0) clients[count++] = client;
      else if (client >= 0) close(client);
    }
    /* Only the clients polled this turn (one accepted just now has no revents yet). */
    for (int i = polled - 1; i >= 0 && !ended; i--) {
      if (!(fds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      unsigned char type;
      int gone = read_all(clients[i], &type, 1) < 0;
      if (!gone && type == 'd') {
        unsigned char len[4];
        gone = read_all(clients[i], len, 4) < 0;
        uint32_t n = (uint32_t)len[0] << 24 | (uint32_t)len[1] << 16 | (uint32_t)len[2] << 8 | len[3];
        while (!gone && n > 0) {
          size_t chunk = n < sizeof buf ? n : sizeof buf;
          gone = read_all(clients[i], buf, chunk) < 0;
          if (!gone) write_all(master, buf, chunk);
          n -= (uint32_t)chunk;
        }
      } else if (!gone && type == 'w') {
        unsigned char size[4];
        gone = read_all(clients[i], size, 4) < 0;
        struct winsize ws = {.ws_col = (unsigned short)(size[0] << 8 | size[1]), .ws_row = (unsigned short)(size[2] << 8 | size[3])};
        if (!gone && ws.ws_col > 0 && ws.ws_row > 0) ioctl(master, TIOCSWINSZ, &ws);
      } else if (!gone && type == 'k') {
        kill_session(shell);
        waitpid(shell, &status, 0);
        ended = 1;
        break;
      } else {
        gone = 1;
      }
      if (gone) {
        close(clients[i]);
        clients[i] = clients[--count];
        if (count == 0) alone_since = time(NULL);
      }
    }
  }

  /* The rest of its output, then its exit code, then the clients learn it ended. */
  for (;;) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    for (int i = 0; i < count; i++) write_all(clients[i], buf, (size_t)n);
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  FILE *f = fopen(exit_path, "w");
  if (f) {
    fprintf(f, "%d\n", code);
    fclose(f);
  }
  unlink(sock_path);
  for (int i = 0; i < count; i++) close(clients[i]);
  return 0;
}

/* ---- a client ---- */

static volatile sig_atomic_t resized = 1;
static void on_winch(int sig) {
  (void)sig;
  resized = 1;
}

static int send_size(int sock, struct winsize ws) {
  unsigned char frame[5] = {'w', ws.ws_col >> 8, ws.ws_col & 0xff, ws.ws_row >> 8, ws.ws_row & 0xff};
  return write_all(sock, frame, 5);
}

/* Sends this terminal's size when it has one and it is not the one last sent. */
static int follow_size(int sock, struct winsize *last) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0 || ws.ws_row == 0) return 0;
  if (ws.ws_col == last->ws_col && ws.ws_row == last->ws_row) return 0;
  *last = ws;
  return send_size(sock, ws);
}

/* Relays a client's terminal to the holder in DIR; `size` (unless 0 x 0) is sent first, then its own terminal's. */
static int attach(const char *dir, struct winsize size) {
  int sock = connect_to(dir);
  if (sock < 0) die("connect");
  signal(SIGPIPE, SIG_IGN);
  if (size.ws_col > 0 && size.ws_row > 0 && send_size(sock, size) < 0) die("send size");
  struct termios saved;
  int tty = isatty(0) && tcgetattr(0, &saved) == 0;
  if (tty) {
    struct termios raw = saved;
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
    struct sigaction sa = {.sa_handler = on_winch};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
  }
  char buf[65536 + 5];
  int stdin_open = 1;
  /* Cleared when the holder takes nothing more (it hung up): its last output is still to be passed on. */
  int taking = 1;
  struct winsize last = size;
  for (;;) {
    if (tty && resized && taking) {
      resized = 0;
      if (follow_size(sock, &last) < 0) {
        if (!holder_gone()) break;
        taking = 0;
      }
    }
    struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = stdin_open && taking ? 0 : -1, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(sock, buf, sizeof buf);
      if (n <= 0) break;
      if (write_all(1, buf, (size_t)n) < 0) break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf + 5, sizeof buf - 5);
      if (n <= 0) {
        stdin_open = 0; /* nothing more to type: the shell stays, and so does its output */
        continue;
      }
      /* What is typed after a resize reaches the shell after it: Berth sends it once the engine has
         resized this terminal, but the SIGWINCH can come later (gVisor relays it), so look first. */
      if (tty && follow_size(sock, &last) < 0) {
        if (!holder_gone()) break;
        taking = 0;
        continue;
      }
      buf[0] = 'd';
      buf[1] = (char)(n >> 24);
      buf[2] = (char)(n >> 16);
      buf[3] = (char)(n >> 8);
      buf[4] = (char)n;
      if (write_all(sock, buf, (size_t)n + 5) < 0) {
        if (!holder_gone()) break;
        taking = 0;
      }
    }
  }
  if (tty) tcsetattr(0, TCSANOW, &saved);
  char exit_path[4096];
  path_in(exit_path, sizeof exit_path, dir, "exit");
  FILE *f = fopen(exit_path, "r");
  int code = 0;
  if (f) {
    if (fscanf(f, "%d", &code) != 1) code = 0;
    fclose(f);
  }
  return code;
}

/*
 * Starts a holder: this program again (HEAD, then REST, as its arguments) in a session of its own,
 * detached from the client's input and output, without the marker the client's exec was given, so
 * that ending the client's process tree leaves the holder (and what it holds) alone. Its pid.
 */
static pid_t start_holder(char *const head[], int heads, char **rest) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid > 0) return pid;
  setsid();
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  int n = 0;
  while (environ[n]) n++;
  char **env = calloc((size_t)n + 1, sizeof *env);
  int k = 0;
  for (int i = 0; i < n; i++)
    if (strncmp(environ[i], "BERTH_EXEC_ID=", 14) != 0) env[k++] = environ[i];
  int argc = 0;
  while (rest[argc]) argc++;
  char **args = calloc((size_t)(heads + argc + 1), sizeof *args);
  for (int i = 0; i < heads; i++) args[i] = head[i];
  for (int i = 0; i < argc; i++) args[heads + i] = rest[i];
  execve("/proc/self/exe", args, env);
  _exit(111);
}

/*
 * Connects to the holder just started (pid `holder`) once it listens in DIR: -1 if it died first, or
 * has not listened after a minute. No shorter deadline: on a busy machine, under gVisor, starting
 * a process can take seconds.
 */
static int wait_for_holder(pid_t holder, const char *dir, int (*connect_fn)(const char *dir)) {
  for (int i = 0; i < 6000; i++) {
    int sock = connect_fn(dir);
    if (sock >= 0) return sock;
    if (waitpid(holder, NULL, WNOHANG) == holder) return -1;
    usleep(i < 100 ? 2000 : 10000);
  }
  return -1;
}

/* ---- open: attach, starting the holder first when there is none ---- */

static int open_session(const char *self, const char *dir, struct winsize size, char **rest) {
  int sock = connect_to(dir);
  if (sock >= 0) {
    close(sock);
    return attach(dir, size);
  }
  char lock_path[4096];
  path_in(lock_path, sizeof lock_path, dir, "lock");
  mkdir(dir, 0700);
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) die("lock");
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (fcntl(lock, F_SETLKW, &fl) < 0) die("lock");
  /* Another client may have started it while this one waited for the lock. */
  sock = connect_to(dir);
  if (sock < 0) {
    char *head[] = {(char *)self, "serve"};
    sock = wait_for_holder(start_holder(head, 2, rest), dir, connect_to);
    if (sock < 0) {
      fprintf(stderr, "berth-hold: the shell's holder did not start\n");
      return 111;
    }
  }
  close(sock);
  close(lock);
  return attach(dir, size);
}

/* Asks the holder to end its shell, and waits until it has (its socket closes). */
static int stop(const char *dir) {
  int sock = connect_to(dir);
  if (sock < 0) return 0; /* no holder: nothing to end */
  signal(SIGPIPE, SIG_IGN);
  if (write_all(sock, "k", 1) < 0) return 0;
  char buf[65536];
  while (read(sock, buf, sizeof buf) > 0) {
  }
  return 0;
}

/* ---- held processes ---- */

#define MAX_FRAME (1u << 20)

static int send_frame(int fd, char type, const void *data, uint32_t len) {
  unsigned char head[5] = {(unsigned char)type, len >> 24, len >> 16, len >> 8, len & 0xff};
  if (write_all(fd, head, 5) < 0) return -1;
  return len ? write_all(fd, data, len) : 0;
}

/* Reads one frame; its payload (at most MAX_FRAME bytes) in *data, to free. -1: the peer is gone or broke the protocol. */
static int read_frame(int fd, char *type, char **data, uint32_t *len) {
  unsigned char head[5];
  if (read_all(fd, head, 5) < 0) return -1;
  *type = (char)head[0];
  *len = (uint32_t)head[1] << 24 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 8 | head[4];
  if (*len > MAX_FRAME) return -1;
  *data = malloc(*len + 1);
  if (!*data) return -1;
  if (*len && read_all(fd, *data, *len) < 0) {
    free(*data);
    return -1;
  }
  (*data)[*len] = 0;
  return 0;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

struct follower {
  int fd;
  int follows; /* 'a' clients get output; 'c' clients only send frames */
};

/* The holder of one process: ROOT/<own pid>/{sock,meta}, gone with the process. */
static int serve_proc(const char *root, long timeout_ms, int cols, int rows, char **argv) {
  char dir[4096], sock_path[108], meta_path[4096];
  snprintf(dir, sizeof dir, "%s/%d", root, (int)getpid());
  mkdir(root, 0700);
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) die("mkdir");
  path_in(sock_path, sizeof sock_path, dir, "sock");
  path_in(meta_path, sizeof meta_path, dir, "meta");
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_child};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);

  int listener = listen_at(sock_path);

  struct follower clients[MAX_CLIENTS];
  int count = 0;
  pid_t child = -1;
  int in_fd = -1, out_fd = -1, err_fd = -1; /* with a terminal, in_fd == out_fd (its master) */
  int tty = cols > 0 && rows > 0;
  char *pending = NULL; /* input not yet taken by the process: no client frame is read until it is */
  size_t pending_len = 0, pending_off = 0;
  int close_input = 0; /* end of input asked for, once what is pending is written */
  unsigned char last_byte = '\n';
  int status = 0, ended = 0, killed = 0, timed_out = 0;
  struct timespec started = {0};
  char buf[65536];

  /*
   * The first client is the `proc` that started this holder (its parent), and it sends the meta once
   * its Berth process has it, which waits on the engine saying the exec started: no deadline, as
   * that can take any time on a busy engine. The holder gives up only when the client hangs up
   * first, or when its parent died without ever connecting.
   */
  pid_t parent = getppid();
  for (;;) {
    int ready_for_meta = count > 0;
    struct pollfd fds[1 + MAX_CLIENTS];
    fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < count; i++) fds[1 + i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
    int ready = poll(fds, (nfds_t)(1 + count), 1000);
    if (ready < 0 && errno != EINTR) goto cleanup;
    if (ready <= 0) {
      if (count == 0 && getppid() != parent) goto cleanup;
      continue;
    }
    if (fds[0].revents & POLLIN) {
      int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      unsigned char mode;
      if (fd >= 0 && count < MAX_CLIENTS && read_all(fd, &mode, 1) == 0 && (mode == 'a' || mode == 'c')) clients[count++] = (struct follower){fd, mode == 'a'};
      else if (fd >= 0) close(fd);
    }
    if (!ready_for_meta || !(fds[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char type, *data;
    uint32_t len;
    if (read_frame(clients[0].fd, &type, &data, &len) < 0 || type != 'm') goto cleanup;
    int meta = open(meta_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (meta < 0 || write_all(meta, data, len) < 0) die("meta");
    close(meta);
    free(data);
    break;
  }

  {
    int errpipe[2], inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int master = -1;
    char *slave_name = NULL;
    if (pipe2(errpipe, O_CLOEXEC) < 0) die("pipe");
    if (tty) {
      master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !(slave_name = ptsname(master))) die("openpty");
      struct winsize ws = {.ws_col = (unsigned short)cols, .ws_row = (unsigned short)rows};
      ioctl(master, TIOCSWINSZ, &ws);
    } else if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
      die("pipe");
    }
    child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      setsid();
      if (tty) {
        int slave = open(slave_name, O_RDWR);
        if (slave < 0) _exit(127);
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        if (slave > 2) close(slave);
      } else {
        dup2(inp[0], 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
      }
      signal(SIGPIPE, SIG_DFL);
      signal(SIGHUP, SIG_DFL);
      execvp(argv[0], argv);
      int e = errno;
      write_all(errpipe[1], &e, sizeof e);
      _exit(127);
    }
    close(errpipe[1]);
    int e = 0;
    ssize_t got = read(errpipe[0], &e, sizeof e); /* nothing (the pipe closed on exec): it started */
    close(errpipe[0]);
    if (got == (ssize_t)sizeof e) {
      char why[512];
      if (e == ENOENT) snprintf(why, sizeof why, "command not found: %s", argv[0]);
      else snprintf(why, sizeof why, "cannot start %s: %s", argv[0], strerror(e));
      send_frame(clients[0].fd, 'f', why, (uint32_t)strlen(why));
      waitpid(child, &status, 0);
      goto cleanup;
    }
    if (tty) {
      in_fd = out_fd = master;
    } else {
      close(inp[0]);
      close(outp[1]);
      close(errp[1]);
      in_fd = inp[1];
      out_fd = outp[0];
      err_fd = errp[0];
    }
    set_nonblock(in_fd);
    set_nonblock(out_fd);
    if (err_fd >= 0) set_nonblock(err_fd);
    clock_gettime(CLOCK_MONOTONIC, &started);
    unsigned char pid_be[4] = {(unsigned char)(getpid() >> 24), (unsigned char)(getpid() >> 16), (unsigned char)(getpid() >> 8), (unsigned char)getpid()};
    for (int i = 0; i < count; i++)
      if (clients[i].follows) send_frame(clients[i].fd, 'h', pid_be, 4);
  }

  while (!ended) {
    struct pollfd fds[3 + 1 + MAX_CLIENTS];
    int n = 0;
    int want_out = out_fd >= 0, want_err = err_fd >= 0;
    fds[n++] = (struct pollfd){.fd = want_out ? out_fd : -1, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = want_err ? err_fd : -1, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = pending_len > pending_off && in_fd >= 0 ? in_fd : -1, .events = POLLOUT};
    fds[n++] = (struct pollfd){.fd = listener, .events = POLLIN};
    int reading_clients = !(pending_len > pending_off);
    for (int i = 0; i < count; i++) fds[n + i] = (struct pollfd){.fd = reading_clients ? clients[i].fd : -1, .events = POLLIN};
    /* Its output is closed: only its exit is awaited (a SIGCHLD just before poll would otherwise wait the full second). */
    long wait_ms = out_fd < 0 && err_fd < 0 ? 20 : 1000;
    if (timeout_ms > 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long elapsed = (now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
      if (elapsed >= timeout_ms) {
        timed_out = 1;
        kill_session(child);
        timeout_ms = 0;
      } else if (timeout_ms - elapsed < wait_ms) {
        wait_ms = timeout_ms - elapsed;
      }
    }
    int polled = count;
    int ready = poll(fds, (nfds_t)(n + count), (int)wait_ms);
    if (ready < 0 && errno != EINTR) die("poll");

    /* Output first, to every follower; blocking writes, so the slowest follower sets the pace. */
    for (int s = 0; s < 2; s++) {
      int fd = s == 0 ? out_fd : err_fd;
      if (fd < 0 || !(fds[s].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fd, buf, sizeof buf);
      if (got > 0) {
        char type = tty ? 'p' : s == 0 ? 'o' : 'r';
        for (int i = 0; i < count; i++)
          if (clients[i].follows) send_frame(clients[i].fd, type, buf, (uint32_t)got);
      } else if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        /* This stream is done (EIO on a terminal once the last process holding it is gone). */
        if (s == 0) out_fd = -1;
        else err_fd = -1;
        if (tty) in_fd = -1;
      }
    }
    if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t put = write(in_fd, pending + pending_off, pending_len - pending_off);
      if (put > 0) pending_off += (size_t)put;
      else if (put < 0 && errno != EAGAIN && errno != EINTR) pending_off = pending_len; /* the process closed its input: drop it */
    }
    if (pending_off >= pending_len && pending) {
      free(pending);
      pending = NULL;
      pending_len = pending_off = 0;
    }
    if (close_input && !pending && in_fd >= 0) {
      close_input = 0;
      if (tty) {
        /* A terminal's end of input is ^D at the start of a line: two when a partial line is pending. */
        const char eot[2] = {4, 4};
        int partial = last_byte != '\n' && last_byte != '\r';
        if (write(in_fd, eot, partial ? 2 : 1) < 0) {
        }
      } else {
        close(in_fd);
        in_fd = -1;
      }
    }
    if (fds[3].revents & POLLIN) {
      int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      unsigned char mode;
      if (fd >= 0 && count < MAX_CLIENTS && read_all(fd, &mode, 1) == 0 && (mode == 'a' || mode == 'c')) {
        clients[count++] = (struct follower){fd, mode == 'a'};
        /* Every client learns it reached the process (a control client too: it has nothing else to read). */
        unsigned char pid_be[4] = {(unsigned char)(getpid() >> 24), (unsigned char)(getpid() >> 16), (unsigned char)(getpid() >> 8), (unsigned char)getpid()};
        send_frame(fd, 'h', pid_be, 4);
      } else if (fd >= 0) {
        close(fd);
      }
    }
    /* Only the clients polled this turn (one accepted just now has no revents yet). */
    for (int i = polled - 1; i >= 0 && reading_clients; i--) {
      if (!(fds[n + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char type, *data = NULL;
      uint32_t len;
      int gone = read_frame(clients[i].fd, &type, &data, &len) < 0;
      if (!gone && type == 'd' && len > 0 && in_fd >= 0 && !close_input) {
        pending = data;
        pending_len = len;
        pending_off = 0;
        last_byte = (unsigned char)data[len - 1];
        data = NULL;
      } else if (!gone && type == 'e') {
        close_input = 1;
      } else if (!gone && type == 'w' && len == 4 && tty && in_fd >= 0) {
        unsigned char *size = (unsigned char *)data;
        struct winsize ws = {.ws_col = (unsigned short)(size[0] << 8 | size[1]), .ws_row = (unsigned short)(size[2] << 8 | size[3])};
        if (ws.ws_col > 0 && ws.ws_row > 0) ioctl(in_fd, TIOCSWINSZ, &ws);
      } else if (!gone && type == 'k') {
        killed = 1;
        kill_session(child);
      }
      free(data);
      if (gone) {
        close(clients[i].fd);
        clients[i] = clients[--count];
      }
    }
    if (child_exited && waitpid(child, &status, WNOHANG) == child) ended = 1;
  }

  /* What it wrote before it ended, then how it ended. (A background job still holding its output does not hold this up.) */
  for (int s = 0; s < 2; s++) {
    int fd = s == 0 ? out_fd : err_fd;
    ssize_t got;
    while (fd >= 0 && (got = read(fd, buf, sizeof buf)) > 0)
      for (int i = 0; i < count; i++)
        if (clients[i].follows) send_frame(clients[i].fd, tty ? 'p' : s == 0 ? 'o' : 'r', buf, (uint32_t)got);
  }
  {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    unsigned char x[6] = {(unsigned char)(code >> 24), (unsigned char)(code >> 16), (unsigned char)(code >> 8), (unsigned char)code, (unsigned char)(killed ? SIGKILL : sig), (unsigned char)timed_out};
    for (int i = 0; i < count; i++)
      if (clients[i].follows) send_frame(clients[i].fd, 'x', x, 6);
  }

cleanup:
  unlink(sock_path);
  unlink(meta_path);
  rmdir(dir);
  for (int i = 0; i < count; i++) close(clients[i].fd);
  return 0;
}

/*
 * Copies the socket to stdout and stdin to the socket until the holder closes it. The end of stdin
 * is the Berth process leaving (or gone: the engine closes an exec's input when its connection
 * drops). A follower then hangs up at once, whatever it had not yet passed on: the holder must not
 * wait on a reader that will never read. A controller passes the end on and waits for the holder
 * to hang up, so that what it asked for is done when it exits.
 *
 * When the holder hangs up, a follower says so ('z') and waits for that end of its input before it
 * exits: its Berth process closes it once it has read the 'z', and so everything before it (how the
 * process ended included). The engine stops copying an exec's output 2 s after the exec exits, and
 * on a busy machine what was still on its way would be lost.
 *
 * Input that can no longer reach the holder (it has hung up: a short command ends before its end
 * of input comes) is dropped, never a reason to stop: what the holder sent before hanging up is
 * still to be passed on, its hello and how the process ended among it.
 */
static int relay(int sock, char mode) {
  signal(SIGPIPE, SIG_IGN);
  set_nonblock(1);
  static char buf[65536];
  size_t held = 0, off = 0; /* read from the socket, not yet written to stdout */
  int stdin_open = 1, sock_open = 1, sock_writable = 1;
  for (;;) {
    struct pollfd fds[3] = {
        {.fd = held || !sock_open ? -1 : sock, .events = POLLIN},
        {.fd = stdin_open ? 0 : -1, .events = POLLIN},
        {.fd = held ? 1 : -1, .events = POLLOUT},
    };
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(sock, buf, sizeof buf);
      if (n <= 0) {
        if (mode != 'a' || !stdin_open) return 0;
        sock_open = 0;
        memcpy(buf, "z\0\0\0\0", 5);
        held = 5;
        off = 0;
        continue;
      }
      held = (size_t)n;
      off = 0;
    }
    if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = write(1, buf + off, held - off);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return 1;
      if (n > 0) off += (size_t)n;
      if (off == held) held = off = 0;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char in[65536];
      ssize_t n = read(0, in, sizeof in);
      if (n <= 0) {
        if (mode == 'a') return 0;
        stdin_open = 0;
        shutdown(sock, SHUT_WR);
        continue;
      }
      if (sock_open && sock_writable && write_all(sock, in, (size_t)n) < 0) {
        if (!holder_gone()) return 1;
        sock_writable = 0;
      }
    }
  }
}

static int connect_mode(const char *dir, char mode) {
  int sock = connect_to(dir);
  if (sock < 0) return -1;
  if (write_all(sock, &mode, 1) < 0) {
    close(sock);
    return -1;
  }
  return sock;
}

static int connect_follower(const char *dir) { return connect_mode(dir, 'a'); }

static int proc_start(const char *root, char **args) {
  mkdir(root, 0700);
  char *head[] = {"berth-hold", "proc-serve", (char *)root};
  pid_t pid = start_holder(head, 3, args);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/%d", root, (int)pid);
  int sock = wait_for_holder(pid, dir, connect_follower);
  if (sock < 0) {
    fprintf(stderr, "berth-hold: the process's holder did not start\n");
    return 111;
  }
  return relay(sock, 'a');
}

static int proc_attach(const char *root, const char *pid, const char *mode) {
  char dir[4096];
  if (strspn(pid, "0123456789") != strlen(pid) || !*pid || (mode[0] != 'a' && mode[0] != 'c')) return 2;
  snprintf(dir, sizeof dir, "%s/%s", root, pid);
  int sock = connect_mode(dir, mode[0]);
  if (sock < 0) return 0; /* no such process: nothing written */
  return relay(sock, mode[0]);
}

static int proc_list(const char *root) {
  DIR *d = opendir(root);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strspn(e->d_name, "0123456789") != strlen(e->d_name) || !*e->d_name) continue;
    char dir[4096], meta_path[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
    int sock = connect_to(dir);
    if (sock < 0) continue; /* gone (or going) */
    close(sock);
    path_in(meta_path, sizeof meta_path, dir, "meta");
    FILE *f = fopen(meta_path, "r");
    if (!f) continue; /* not started yet */
    printf("%s ", e->d_name);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    printf("\n");
    fclose(f);
  }
  closedir(d);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "proc-list") == 0) return proc_list(argv[2]);
  if (argc >= 5 && strcmp(argv[1], "proc-attach") == 0) return proc_attach(argv[2], argv[3], argv[4]);
  /* proc|proc-serve ROOT TIMEOUT_MS COLS ROWS -- ARGV... */
  if (argc >= 8 && strcmp(argv[6], "--") == 0 && strcmp(argv[1], "proc") == 0) return proc_start(argv[2], argv + 3);
  if (argc >= 8 && strcmp(argv[6], "--") == 0 && strcmp(argv[1], "proc-serve") == 0)
    return serve_proc(argv[2], strtol(argv[3], NULL, 10), (int)strtol(argv[4], NULL, 10), (int)strtol(argv[5], NULL, 10), argv + 7);
  if (argc >= 3 && strcmp(argv[1], "attach") == 0) return attach(argv[2], (struct winsize){0});
  if (argc >= 3 && strcmp(argv[1], "stop") == 0) return stop(argv[2]);
  /* open|serve DIR GRACE SCROLLBACK COLS ROWS -- ARGV... */
  if (argc >= 9 && strcmp(argv[7], "--") == 0) {
    long grace = strtol(argv[3], NULL, 10);
    long scrollback = strtol(argv[4], NULL, 10);
    if (scrollback < 0 || scrollback > 64L * 1024 * 1024) scrollback = 1024 * 1024;
    long cols = strtol(argv[5], NULL, 10), rows = strtol(argv[6], NULL, 10);
    struct winsize size = {0};
    if (cols > 0 && cols <= 0xffff && rows > 0 && rows <= 0xffff) size = (struct winsize){.ws_col = (unsigned short)cols, .ws_row = (unsigned short)rows};
    if (strcmp(argv[1], "serve") == 0) return serve(argv[2], grace, scrollback, size, argv + 8);
    if (strcmp(argv[1], "open") == 0) return open_session(argv[0], argv[2], size, argv + 2);
  }
  fprintf(stderr, "usage: berth-hold open DIR GRACE_SECONDS SCROLLBACK_BYTES COLS ROWS -- ARGV...\n       berth-hold attach DIR\n       berth-hold stop DIR\n");
  return 2;
}
