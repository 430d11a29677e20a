/**
 * Loopback ports for the tests that stay free until a test binds them: see
 * {@link freePort}. tests/helpers.ts exports it too.
 *
 * @module
 */

const decoder = new TextDecoder();

/** Ports freePort has handed out in this process: never twice. */
const portsGiven = new Set<number>();

/** The kernel's range of ephemeral ports, as [low, high]. */
let ephemeral: [number, number] | undefined;

/**
 * The ports the kernel picks from for an outgoing connection's local port
 * (net.ipv4.ip_local_port_range). Read with cat: Deno reads /proc only with
 * --allow-all. Linux's default when it cannot be read.
 */
function ephemeralRange(): [number, number] {
  if (ephemeral !== undefined) return ephemeral;
  ephemeral = [32768, 60999];
  try {
    const out = new Deno.Command("cat", {
      args: ["/proc/sys/net/ipv4/ip_local_port_range"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const [low, high] = decoder.decode(out.stdout).trim().split(/\s+/)
      .map(Number);
    if (out.success && low > 0 && high >= low) ephemeral = [low, high];
  } catch {
    // No cat: keep the default.
  }
  return ephemeral;
}

/**
 * A loopback port nothing listens on, that stays free until a test binds
 * it. Why not the port bind(0) gives: the kernel takes the local port of
 * every outgoing connection (a sender, waitForPort's probe, rsyslog) from
 * the same ephemeral range, so between this call and the logger's bind such
 * a connection could take it, and the logger would fail with "port in use".
 * So the port is picked at random outside that range (read from
 * /proc/sys/net/ipv4/ip_local_port_range) and above 10000 (clear of 5555,
 * the logger's default, and 9229, the inspector's), then checked by
 * listening on it. No connecting socket is given such a port; this process
 * hands each port out once; another test run picking the same port in the
 * same instant is a chance of about one in 20,000 per port.
 *
 * @example
 * ```ts
 * const port = freePort();
 * await using logger = await startLogger(dir.path, port);
 * ```
 */
export function freePort(): number {
  const [low, high] = ephemeralRange();
  const ranges = [[10_000, low - 1], [high + 1, 65_535]]
    .filter(([from, to]) => to - from >= 1000);
  const size = ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  for (let tries = 0; tries < 100 && size > 0; tries++) {
    let pick = Math.floor(Math.random() * size);
    const [from, to] = ranges.find(([from, to]) => {
      if (pick <= to - from) return true;
      pick -= to - from + 1;
      return false;
    })!;
    const port = Math.min(from + pick, to);
    if (portsGiven.has(port) || !canListen(port)) continue;
    portsGiven.add(port);
    return port;
  }
  // Nothing free outside the ephemeral range (or it covers nearly every
  // port): let the kernel choose.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Whether a listener can bind 127.0.0.1:`port` now (it is closed at once);
 * a listener on every address holds it too.
 */
export function canListen(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return false;
    throw err;
  }
}
