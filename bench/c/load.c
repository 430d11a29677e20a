/*
 * The load generator for `deno task bench`, the same for every logger: one
 * PUSH socket on Debian's libzmq that sends COUNT messages of exactly SIZE
 * bytes, "NAME SEQ xxxx..." (cut to SIZE when that is shorter), then waits
 * until all are delivered. With COUNT 1 and a short SIZE it is also the
 * one-shot sender in C: `load PORT hello 1 5` sends "hello".
 *
 * Build and run (bench/bench.ts does both):
 *
 *   gcc -O2 -o load load.c -lzmq
 *   ./load PORT NAME COUNT SIZE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: load PORT NAME COUNT SIZE\n");
    return 2;
  }
  long count = atol(argv[3]);
  int size = atoi(argv[4]);
  if (count < 1 || size < 1) {
    fprintf(stderr, "load: COUNT and SIZE must be positive\n");
    return 2;
  }
  void *context = zmq_ctx_new();
  void *socket = zmq_socket(context, ZMQ_PUSH);
  int linger = -1; /* zmq_ctx_term waits until every message is out */
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
  char endpoint[64];
  snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", argv[1]);
  if (zmq_connect(socket, endpoint) != 0) {
    fprintf(stderr, "load: cannot connect to %s\n", endpoint);
    return 1;
  }
  char *message = malloc((size_t)size + 64);
  memset(message, 'x', (size_t)size + 64);
  for (long seq = 0; seq < count; seq++) {
    int head = snprintf(message, 64, "%s %09ld ", argv[2], seq);
    if (head < size) message[head] = 'x'; /* snprintf's NUL */
    if (zmq_send(socket, message, (size_t)size, 0) != size) {
      fprintf(stderr, "load: send failed: %s\n", zmq_strerror(zmq_errno()));
      return 1;
    }
  }
  zmq_close(socket);
  zmq_ctx_term(context);
  return 0;
}
