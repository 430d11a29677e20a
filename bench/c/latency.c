/*
 * One-message latency for `deno task bench`: from a send until the line is
 * in the log file. A PUSH socket sends COUNT messages of SIZE bytes, one at a
 * time, GAP_US apart (so the logger is idle and waiting when each arrives);
 * after each send, inotify wakes this program on every change to FILE, and
 * the time is taken when the file has grown by the line. A first message,
 * not timed, makes the connection. Prints the median and the 99th
 * percentile in microseconds: "P50 P99".
 *
 * Build and run (bench/bench.ts does both):
 *
 *   gcc -O2 -o latency latency.c -lzmq
 *   ./latency PORT FILE COUNT SIZE GAP_US
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static off_t size_of(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 ? info.st_size : 0;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Waits until FILE is at least `want` bytes; inotify says when it changed. */
static void wait_for(int watch, const char *path, off_t want) {
  char events[4096];
  struct pollfd ready = {watch, POLLIN, 0};
  while (size_of(path) < want) {
    if (poll(&ready, 1, -1) < 0 && errno != EINTR) {
      perror("latency: poll");
      exit(1);
    }
    while (read(watch, events, sizeof events) > 0) {} /* taken: wait anew */
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: latency PORT FILE COUNT SIZE GAP_US\n");
    return 2;
  }
  const char *path = argv[2];
  int count = atoi(argv[3]), size = atoi(argv[4]), gap = atoi(argv[5]);
  if (count < 1 || size < 1 || gap < 0) {
    fprintf(stderr, "latency: COUNT and SIZE must be positive, GAP_US not negative\n");
    return 2;
  }
  int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (watch < 0 || inotify_add_watch(watch, path, IN_MODIFY) < 0) {
    fprintf(stderr, "latency: cannot watch %s: %s\n", path, strerror(errno));
    return 1;
  }
  void *context = zmq_ctx_new();
  void *socket = zmq_socket(context, ZMQ_PUSH);
  int linger = 0;
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
  char endpoint[64];
  snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", argv[1]);
  zmq_connect(socket, endpoint);
  char *message = malloc((size_t)size);
  memset(message, 'x', (size_t)size);
  double *times = malloc(sizeof(double) * (size_t)count);
  off_t want = size_of(path);
  for (int i = -1; i < count; i++) {
    usleep((useconds_t)gap);
    char events[4096];
    while (read(watch, events, sizeof events) > 0) {} /* older changes */
    double began = now_us();
    zmq_send(socket, message, (size_t)size, 0);
    want += size + 1;
    wait_for(watch, path, want);
    if (i >= 0) times[i] = now_us() - began;
  }
  qsort(times, (size_t)count, sizeof(double), by_value);
  printf("%.0f %.0f\n", times[count / 2], times[(count * 99) / 100]);
  zmq_close(socket);
  zmq_ctx_term(context);
  return 0;
}
