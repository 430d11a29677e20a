/**
 * The command line read as node:util's `parseArgs` reads it (strict or not,
 * short option groups, `--name=value`, `multiple`, `default`, positionals),
 * with the same results and the same error messages, which
 * {@link ./cli.ts}'s `parseArgsProblem` turns into one line each; but
 * without node:util, whose import starts Deno's Node compatibility layer:
 * that cost the one-shot sender a third of its start-up (about 25 ms on the
 * bench machine under load) and every process 4 MiB.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./lib/args.ts";
 * parseArgs({ args: ["-p", "6000"], options: { port: { type: "string", short: "p" } } }).values;
 * // { port: "6000" }
 * ```
 *
 * @module
 */

/** One option, as `parseArgs` takes it. */
export interface ArgOption {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[] | boolean[];
}

/** What `parseArgs` takes: node:util's names and defaults. */
export interface ArgsConfig {
  args: string[];
  options?: Record<string, ArgOption>;
  /** Unknown options, missing values and positionals are errors (default true). */
  strict?: boolean;
  /** Words that are not options are allowed (default: when not strict). */
  allowPositionals?: boolean;
}

/** What `parseArgs` returns. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[]>;
  positionals: string[];
}

type Token =
  | { kind: "positional"; value: string }
  | {
    kind: "option";
    name: string;
    /** As written: `-p`, `--port`. */
    raw: string;
    value: string | undefined;
    /** The value was in the same word (`--port=1`, `-p1`). */
    inline: boolean;
  };

/**
 * Reads `config.args` as node:util's `parseArgs` does; throws a TypeError
 * with node's message for a usage error.
 *
 * @example
 * ```ts
 * parseArgs({ args: ["-x"], options: {} }); // throws "Unknown option '-x'. ..."
 * ```
 */
export function parseArgs(config: ArgsConfig): ParsedArgs {
  const strict = config.strict ?? true;
  const allowPositionals = config.allowPositionals ?? !strict;
  const options = config.options ?? {};
  const values: ParsedArgs["values"] = Object.create(null);
  const positionals: string[] = [];
  for (const token of tokenize(config.args, options)) {
    if (token.kind === "positional") {
      if (!allowPositionals) {
        throw new TypeError(
          `Unexpected argument '${token.value}'. This command does not take positional arguments`,
        );
      }
      positionals.push(token.value);
      continue;
    }
    if (strict) check(token, options, allowPositionals);
    if (token.name === "__proto__") continue;
    const value = token.value ?? true;
    if (optionOf(options, token.name)?.multiple) {
      const list = values[token.name] as (string | boolean)[] | undefined;
      if (list) list.push(value);
      else values[token.name] = [value];
    } else {
      values[token.name] = value;
    }
  }
  for (const [name, option] of Object.entries(options)) {
    if (
      option.default !== undefined && values[name] === undefined &&
      name !== "__proto__"
    ) {
      values[name] = option.default;
    }
  }
  return { values, positionals };
}

/** The option called `name`, if it is one (own properties only). */
function optionOf(
  options: Record<string, ArgOption>,
  name: string,
): ArgOption | undefined {
  return Object.hasOwn(options, name) ? options[name] : undefined;
}

/** The long name of a short option; an unknown one stands for itself. */
function longName(options: Record<string, ArgOption>, short: string): string {
  for (const [name, option] of Object.entries(options)) {
    if (option.short === short) return name;
  }
  return short;
}

/** The words as options (with their values) and positionals, in order. */
function tokenize(args: string[], options: Record<string, ArgOption>): Token[] {
  const tokens: Token[] = [];
  const rest = [...args];
  const takesValue = (name: string) =>
    optionOf(options, name)?.type === "string";
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (arg === "--") {
      for (const value of rest) tokens.push({ kind: "positional", value });
      break;
    }
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (short && arg.length === 2) {
      // -p VALUE, -T
      const name = longName(options, arg[1]);
      const value = takesValue(name) ? rest.shift() : undefined;
      tokens.push({ kind: "option", name, raw: arg, value, inline: false });
    } else if (short && !takesValue(longName(options, arg[1]))) {
      // -Tx: -T -x; a string option within takes the rest (-Tp6000).
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        const last = i === arg.length - 1;
        if (!takesValue(longName(options, arg[i])) || last) {
          expanded.push(`-${arg[i]}`);
        } else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      rest.unshift(...expanded);
    } else if (short) {
      // -p6000
      const name = longName(options, arg[1]);
      tokens.push({
        kind: "option",
        name,
        raw: `-${arg[1]}`,
        value: arg.slice(2),
        inline: true,
      });
    } else if (arg.length > 2 && arg.startsWith("--")) {
      const equals = arg.indexOf("=", 3);
      if (equals === -1) {
        // --port VALUE, --stdin
        const name = arg.slice(2);
        const value = takesValue(name) ? rest.shift() : undefined;
        tokens.push({ kind: "option", name, raw: arg, value, inline: false });
      } else {
        const name = arg.slice(2, equals);
        tokens.push({
          kind: "option",
          name,
          raw: `--${name}`,
          value: arg.slice(equals + 1),
          inline: true,
        });
      }
    } else {
      tokens.push({ kind: "positional", value: arg });
    }
  }
  return tokens;
}

/** The strict checks, with node's messages. */
function check(
  token: Extract<Token, { kind: "option" }>,
  options: Record<string, ArgOption>,
  allowPositionals: boolean,
): void {
  const option = optionOf(options, token.name);
  if (option === undefined) {
    // Deno's node:util gives this advice when positionals are allowed, and
    // not otherwise (Node does the opposite); as Deno does, for the same lines.
    const advice = !allowPositionals
      ? ""
      : `. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ${
        JSON.stringify(token.raw)
      }`;
    throw new TypeError(`Unknown option '${token.raw}'${advice}`);
  }
  const names = `${option.short ? `-${option.short}, ` : ""}--${token.name}`;
  if (option.type === "string" && typeof token.value !== "string") {
    throw new TypeError(`Option '${names} <value>' argument missing`);
  }
  if (option.type === "boolean" && token.value !== undefined) {
    throw new TypeError(`Option '${names}' does not take an argument`);
  }
  const value = token.value;
  if (
    !token.inline && value !== undefined && value.length > 1 && value[0] === "-"
  ) {
    const example = token.raw.startsWith("--")
      ? `'${token.raw}=-XYZ'`
      : `'--${token.name}=-XYZ' or '${token.raw}-XYZ'`;
    throw new TypeError(
      `Option '${token.raw}' argument is ambiguous.\nDid you forget to specify the option argument for '${token.raw}'?\nTo specify an option argument starting with a dash use ${example}.`,
    );
  }
}
