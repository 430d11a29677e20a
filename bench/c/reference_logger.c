/*
 * The reference logger for `deno task bench`: logging_basic.ts's design in C
 * on Debian's libzmq, as fast as that design goes on this machine. It binds a
 * PULL socket, takes every queued message without waiting (ZMQ_DONTWAIT)
 * into one buffer, each followed by a newline, and writes the buffer with
 * write(2) whenever the queue is empty (or the buffer full), then waits in
 * zmq_poll. Like logging_basic.ts with no options, each line is in the file
 * before it waits for more.
 *
 * Build and run (bench/bench.ts does both):
 *
 *   gcc -O2 -o reference_logger reference_logger.c -lzmq
 *   ./reference_logger PORT FILE      # until killed
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

/* The largest message, as logging_basic.ts's MAX_MESSAGE_SIZE (longer ones are cut). */
#define MAX_MESSAGE_SIZE 65536
/* Bytes gathered before a write even if the queue is not empty: logger.ts's MAX_BATCH_BYTES. */
#define BATCH_BYTES (1 << 20)

static char buffer[BATCH_BYTES + MAX_MESSAGE_SIZE + 1];

static void write_all(int fd, const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, bytes, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      perror("reference_logger: write");
      exit(1);
    }
    bytes += n;
    length -= (size_t)n;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: reference_logger PORT FILE\n");
    return 2;
  }
  int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0640);
  if (fd < 0) {
    perror("reference_logger: open");
    return 1;
  }
  void *context = zmq_ctx_new();
  void *socket = zmq_socket(context, ZMQ_PULL);
  int linger = 0;
  int64_t max_size = MAX_MESSAGE_SIZE;
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
  char endpoint[64];
  snprintf(endpoint, sizeof endpoint, "tcp://*:%s", argv[1]);
  if (zmq_bind(socket, endpoint) != 0) {
    fprintf(stderr, "reference_logger: cannot bind %s: %s\n", endpoint,
            zmq_strerror(zmq_errno()));
    return 1;
  }
  zmq_pollitem_t items[] = {{socket, 0, ZMQ_POLLIN, 0}};
  size_t length = 0;
  for (;;) {
    int size = zmq_recv(socket, buffer + length, MAX_MESSAGE_SIZE, ZMQ_DONTWAIT);
    if (size >= 0) {
      length += size > MAX_MESSAGE_SIZE ? MAX_MESSAGE_SIZE : (size_t)size;
      buffer[length++] = '\n';
      if (length < BATCH_BYTES) continue;
    } else if (zmq_errno() == EINTR) {
      continue;
    } else if (zmq_errno() != EAGAIN) {
      fprintf(stderr, "reference_logger: %s\n", zmq_strerror(zmq_errno()));
      return 1;
    }
    write_all(fd, buffer, length);
    length = 0;
    if (size < 0) zmq_poll(items, 1, -1); /* the queue is empty: wait */
  }
}
