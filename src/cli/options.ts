/**
 * Option parsers for the `relay` command line: every value is checked for type and range and
 * refused with a RelayError("invalid-argument") that names the option, what it accepts and what
 * was given (the CLI exits 2). One error model: commander's own errors are mapped to it too.
 */
import { RelayError } from "../core/errors.js";

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function bad(option: string, accepts: string, value: string): RelayError {
  return new RelayError("invalid-argument", `${option} must be ${accepts} (got ${JSON.stringify(value)}).`);
}

export function intOption(option: string, min: number, max: number): (value: string) => number {
  const accepts = `a whole number from ${min} to ${max}`;
  return (value) => {
    const n = Number(value.trim());
    if (!INT.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw bad(option, accepts, value);
    return n;
  };
}

export function numberOption(option: string, min: number, max: number, { minExclusive = false } = {}): (value: string) => number {
  const accepts = `a number from ${min}${minExclusive ? " (exclusive)" : ""} to ${max}`;
  return (value) => {
    const n = Number(value.trim());
    if (!NUMBER.test(value.trim()) || !Number.isFinite(n) || n < min || (minExclusive && n === min) || n > max) throw bad(option, accepts, value);
    return n;
  };
}

export function choiceOption<T extends string>(option: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw bad(option, `one of ${choices.join(", ")}`, value);
    return value as T;
  };
}

export function textOption(option: string): (value: string) => string {
  return (value) => {
    if (value.trim() === "") throw bad(option, "a non-empty text", value);
    return value;
  };
}

/**
 * A repeatable stop string: any non-empty text, whitespace included (a newline is the usual
 * stop), with \n, \t and \\ read as escapes so a shell user can type `--teacher-stop '\n'`.
 */
export function stopListOption(option: string): (value: string, all?: string[]) => string[] {
  return (value, all = []) => {
    const text = value.replace(/\\([nt\\])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
    if (text === "") throw bad(option, "a non-empty text", value);
    return [...all, text];
  };
}

/** A repeatable text option. */
export function textListOption(option: string): (value: string, all?: string[]) => string[] {
  const one = textOption(option);
  return (value, all = []) => [...all, one(value)];
}

export function urlOption(option: string): (value: string) => string {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw bad(option, "an http:// or https:// URL", value);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw bad(option, "an http:// or https:// URL", value);
    if (url.username || url.password) throw new RelayError("invalid-argument", `${option} must not carry a user name or password: give the key with --teacher-key-env.`);
    return value;
  };
}

export function envNameOption(option: string): (value: string) => string {
  return (value) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw bad(option, "an environment variable name", value);
    return value;
  };
}

/** A comma-separated list with at least one item. */
export function listOption(option: string): (value: string) => string[] {
  return (value) => {
    const items = value.split(",").map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw bad(option, "a comma-separated list of at least one item", value);
    return items;
  };
}
