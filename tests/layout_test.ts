/**
 * The layout docs/layout.md's Layout table describes, held against the code:
 * each folder of lib/ says in its README.md what it may import ("May
 * import: ..."), and its modules import nothing else; nothing in lib/
 * imports an entry script; there is no import circle; modules and functions
 * stay short; and the book's plain runs load only what they use (`deno info`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT, run } from "./helpers.ts";

const LIB = `${ROOT}lib/`;
const ENTRIES = ["logging_basic.ts", "log_cmd_basic.ts"];
/** The longest module and function lib/ may have, in lines. */
const MAX_MODULE_LINES = 400;
const MAX_FUNCTION_LINES = 60;

/** One import of a module: what it names, and how. */
interface Import {
  /** Path relative to ROOT, e.g. "lib/log/wire.ts". */
  target: string;
  dynamic: boolean;
  typeOnly: boolean;
}

/** lib/'s modules (tests left out), relative to ROOT. */
function libModules(): string[] {
  const found: string[] = [];
  for (const folder of Deno.readDirSync(LIB)) {
    if (!folder.isDirectory) continue;
    for (const file of Deno.readDirSync(`${LIB}${folder.name}`)) {
      if (file.name.endsWith(".ts") && !file.name.endsWith("_test.ts")) {
        found.push(`lib/${folder.name}/${file.name}`);
      }
    }
  }
  return found.sort();
}

/** The relative imports of a module (static, dynamic and type-only). */
function importsOf(path: string): Import[] {
  const text = Deno.readTextFileSync(`${ROOT}${path}`);
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const found: Import[] = [];
  const statics =
    /^(import|export)(\s+type)?\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)";/gm;
  for (const [, , type, spec] of text.matchAll(statics)) {
    found.push({
      target: resolve(dir, spec),
      dynamic: false,
      typeOnly: !!type,
    });
  }
  for (
    const [, spec] of text.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)
  ) {
    found.push({ target: resolve(dir, spec), dynamic: true, typeOnly: false });
  }
  return found;
}

/** `spec` (./x.ts, ../y/z.ts) seen from the folder `dir`, relative to ROOT. */
function resolve(dir: string, spec: string): string {
  return new URL(spec, `file:///${dir}`).pathname.slice(1);
}

/** The folder of lib/ a path is in ("log" for lib/log/wire.ts), if any. */
function folderOf(path: string): string | undefined {
  return /^lib\/([^/]+)\//.exec(path)?.[1];
}

/** Each folder's "May import:" line of its README.md, as folder names. */
function mayImport(): Map<string, Set<string>> {
  const rules = new Map<string, Set<string>>();
  for (const folder of Deno.readDirSync(LIB)) {
    if (!folder.isDirectory) continue;
    const readme = Deno.readTextFileSync(`${LIB}${folder.name}/README.md`);
    // The paragraph that starts "May import:" (deno fmt may wrap it).
    const line = /^May import: ((?:.+\n?)+)/m.exec(readme);
    assert.ok(line, `lib/${folder.name}/README.md has no "May import:" line`);
    const allowed = [...line[1].matchAll(/lib\/([a-z_]+)\//g)].map((m) => m[1]);
    rules.set(folder.name, new Set(allowed));
  }
  return rules;
}

Deno.test("each folder of lib/ imports only what its README.md says it may, and nothing in lib/ imports an entry script", () => {
  const rules = mayImport();
  const wrong: string[] = [];
  for (const module of libModules()) {
    const own = folderOf(module)!;
    for (const { target } of importsOf(module)) {
      const other = folderOf(target);
      if (other === undefined) {
        wrong.push(`${module} imports ${target}, outside lib/`);
      } else if (other !== own && !rules.get(own)!.has(other)) {
        wrong.push(
          `${module} imports ${target}: lib/${own}/ may not import lib/${other}/`,
        );
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("the folders' rules point one way: no folder may import one that may import it, however indirectly", () => {
  const rules = mayImport();
  for (const [folder] of rules) {
    const seen = new Set<string>();
    const todo = [...rules.get(folder)!];
    while (todo.length > 0) {
      const next = todo.pop()!;
      assert.notEqual(
        next,
        folder,
        `lib/${folder}/ may import itself through ${[...seen]}`,
      );
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(rules.get(next) ?? []));
    }
  }
});

Deno.test("no import circle among the modules of lib/ and the entry scripts", () => {
  const graph = new Map<string, string[]>();
  for (const module of [...libModules(), ...ENTRIES]) {
    graph.set(module, importsOf(module).map((i) => i.target));
  }
  const state = new Map<string, "open" | "done">();
  const visit = (module: string, path: string[]): void => {
    if (state.get(module) === "done") return;
    assert.notEqual(
      state.get(module),
      "open",
      `import circle: ${
        [...path.slice(path.indexOf(module)), module].join(" -> ")
      }`,
    );
    state.set(module, "open");
    for (const next of graph.get(module) ?? []) visit(next, [...path, module]);
    state.set(module, "done");
  };
  for (const module of graph.keys()) visit(module, []);
});

Deno.test(`no module in lib/ is over ${MAX_MODULE_LINES} lines, and no function or method over ${MAX_FUNCTION_LINES}`, () => {
  const long: string[] = [];
  for (const module of libModules()) {
    const lines = Deno.readTextFileSync(`${ROOT}${module}`).split("\n");
    if (lines.length > MAX_MODULE_LINES) {
      long.push(`${module}: ${lines.length} lines`);
    }
    for (const [name, length] of functionLengths(lines)) {
      if (length > MAX_FUNCTION_LINES) {
        long.push(`${module}: ${name} is ${length} lines`);
      }
    }
  }
  assert.deepEqual(long, []);
});

/**
 * Each function's and method's length in lines, as deno fmt lays them out:
 * from its first line to the first line after it that is its indentation
 * and a closing brace.
 */
function functionLengths(lines: string[]): [string, number][] {
  const start =
    /^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?\s+([\w$]+)|(?:static\s+|async\s+|get\s+|set\s+|private\s+|readonly\s+)*(#?[\w$]+)\s*(?:<[^>]*>)?\()/;
  const found: [string, number][] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = start.exec(lines[i]);
    if (!match) continue;
    const name = match[2] ?? match[3];
    if (
      ["if", "for", "while", "switch", "catch", "return", "await"].includes(
        name,
      )
    ) continue;
    if (match[3] !== undefined && match[1].length !== 2) continue; // methods: class body
    // A declaration without a body (an interface's method) ends in ";" first.
    const opens = lines.findIndex((line, j) => j >= i && /[{;]$/.test(line));
    if (opens === -1 || lines[opens].endsWith(";")) continue;
    const end = lines.findIndex((line, j) => j > i && line === `${match[1]}}`);
    if (end !== -1) found.push([name, end - i + 1]);
  }
  return found;
}

/**
 * The local modules (and `node:` ones) an entry loads on every start: its
 * imports that are neither dynamic nor type-only.
 */
async function loadedOnStart(
  entry: string,
  args: string[] = [],
): Promise<string[]> {
  const out = await run("deno", ["info", "--json", ...args, entry], {
    cwd: ROOT,
  });
  assert.equal(out.code, 0, out.stderr);
  const info = JSON.parse(out.stdout) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    for (const dep of bySpecifier.get(next)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) todo.push(dep.code.specifier);
    }
  }
  return [...seen]
    .filter((s) => s.startsWith(`file://${ROOT}`) || s.startsWith("node:"))
    .map((s) => s.replace(`file://${ROOT}`, "")).sort();
}

Deno.test("the one-shot sender loads neither the syslog parser nor stats, --stdin, LogSender or CurveZMQ on every start", async () => {
  const loaded = await loadedOnStart("log_cmd_basic.ts");
  for (const module of loaded) {
    assert.doesNotMatch(
      module,
      /syslog|stats|send_lines|log_sender|curve|usage|read\/|forward\/forward/,
      `log_cmd_basic.ts loads ${module} on every start`,
    );
  }
  assert.ok(loaded.includes("lib/sender/message_text.ts"), `${loaded}`);
});

Deno.test("the book's plain calls load node:util's parseArgs only when an argument is an option", async () => {
  for (const entry of ["log_cmd_basic.ts", "logging_basic.ts"]) {
    const loaded = await loadedOnStart(entry);
    assert.ok(!loaded.includes("node:util"), `${entry}: ${loaded}`);
    assert.ok(
      !loaded.includes("lib/cli/command_line.ts"),
      `${entry}: ${loaded}`,
    );
  }
  const parser = await loadedOnStart("lib/cli/command_line.ts");
  assert.ok(parser.includes("node:util"), "the check sees node:util at all");
});

Deno.test("the plain logger loads no reader, forwarder, CurveZMQ, sealer or --help on every start", async () => {
  const loaded = await loadedOnStart("logging_basic.ts");
  for (const module of loaded) {
    assert.doesNotMatch(
      module,
      /lib\/read\/(show|stats\.ts|stats_read|stats_report|stats_page|capacity)|forward\/(forward|link|place|relp)|lib\/curve\/|lib\/seal\/(?!seal_options)|usage/,
      `logging_basic.ts loads ${module} on every start`,
    );
  }
  assert.ok(loaded.includes("lib/logger/loop.ts"), `${loaded}`);
});

Deno.test("docs/layout.md's Layout table names each folder of lib/", () => {
  const readme = Deno.readTextFileSync(`${ROOT}docs/layout.md`);
  const layout = readme.slice(readme.indexOf("## Layout"));
  for (const folder of Deno.readDirSync(LIB)) {
    if (!folder.isDirectory) continue;
    assert.match(layout, new RegExp(`^\\| \`lib/${folder.name}/\` +\\|`, "m"));
  }
});
