/**
 * Deno's own hello-world, the floor for the one-shot sender's time in
 * `deno task bench`: `deno run -q bench/hello.ts` prints "hello".
 *
 * @module
 */

console.log("hello");
