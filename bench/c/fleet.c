/*
 * The fleet load for `deno task bench`: SENDERS PUSH sockets in one process
 * on Debian's libzmq, each connected to the logger on its own TCP
 * connection, each sending RATE messages a second for SECONDS seconds, as
 * that many small machines would. The sends are spread evenly over each
 * 1/RATE s period (sender i sends at i/SENDERS of it), on an absolute
 * clock, so a slow moment does not slow the rate after it. Each message is
 * exactly SIZE bytes, "fNNNN SEQ xxxx..." (cut to SIZE when that is
 * shorter). It exits once every message is delivered to the logger's
 * queue, and prints the messages it sent.
 *
 * Build and run (bench/bench.ts does both):
 *
 *   gcc -O2 -o fleet fleet.c -lzmq
 *   ./fleet PORT SENDERS RATE SECONDS SIZE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

/* Each socket holds a TCP connection and a mailbox: two descriptors. */
static void raise_open_file_limit(long senders) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t want = (rlim_t)(senders * 2 + 64);
  if (limit.rlim_cur >= want) return;
  limit.rlim_cur = limit.rlim_max < want ? limit.rlim_max : want;
  setrlimit(RLIMIT_NOFILE, &limit);
}

/* The time `ns` nanoseconds after `start`. */
static struct timespec after(struct timespec start, long long ns) {
  long long total = (long long)start.tv_nsec + ns;
  start.tv_sec += (time_t)(total / 1000000000LL);
  start.tv_nsec = (long)(total % 1000000000LL);
  return start;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: fleet PORT SENDERS RATE SECONDS SIZE\n");
    return 2;
  }
  long senders = atol(argv[2]);
  long rate = atol(argv[3]);
  long seconds = atol(argv[4]);
  int size = atoi(argv[5]);
  if (senders < 1 || rate < 1 || seconds < 1 || size < 1) {
    fprintf(stderr, "fleet: SENDERS, RATE, SECONDS and SIZE must be positive\n");
    return 2;
  }
  raise_open_file_limit(senders);
  void *context = zmq_ctx_new();
  zmq_ctx_set(context, ZMQ_MAX_SOCKETS, (int)senders + 16);
  void **sockets = calloc((size_t)senders, sizeof *sockets);
  char endpoint[64];
  snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", argv[1]);
  int linger = -1; /* zmq_ctx_term waits until every message is out */
  for (long i = 0; i < senders; i++) {
    sockets[i] = zmq_socket(context, ZMQ_PUSH);
    if (sockets[i] == NULL) {
      fprintf(stderr, "fleet: socket %ld of %ld: %s\n", i + 1, senders,
              zmq_strerror(zmq_errno()));
      return 1;
    }
    zmq_setsockopt(sockets[i], ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sockets[i], endpoint) != 0) {
      fprintf(stderr, "fleet: cannot connect to %s: %s\n", endpoint,
              zmq_strerror(zmq_errno()));
      return 1;
    }
  }
  char *message = malloc((size_t)size + 64);
  memset(message, 'x', (size_t)size + 64);
  long long period_ns = 1000000000LL / rate;
  long long sends = (long long)senders * rate * seconds;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  /* Send number n is sender n % SENDERS's (n / SENDERS)-th message. */
  for (long long n = 0; n < sends; n++) {
    long i = (long)(n % senders);
    long long seq = n / senders;
    struct timespec due = after(start, seq * period_ns + i * period_ns / senders);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR) {
    }
    int head = snprintf(message, 64, "f%04ld %09lld ", i, seq);
    if (head < size) message[head] = 'x'; /* snprintf's NUL */
    if (zmq_send(sockets[i], message, (size_t)size, 0) != size) {
      fprintf(stderr, "fleet: send failed: %s\n", zmq_strerror(zmq_errno()));
      return 1;
    }
  }
  for (long i = 0; i < senders; i++) zmq_close(sockets[i]);
  zmq_ctx_term(context);
  printf("%lld\n", sends);
  return 0;
}
