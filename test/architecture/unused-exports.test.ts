/**
 * Every export is imported somewhere: an export nothing imports is dead code, or an `export`
 * that only its own file needs. A type that an exported declaration of its file names stays
 * exported (export-graph.ts says why).
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { findUnusedExports, readExports } from "./export-graph";

const ROOT = path.resolve(__dirname, "../..");

describe("unused exports", () => {
  it("no export of the tree goes unimported", () => {
    const unused = findUnusedExports(ROOT).map(
      (u) =>
        `${u.file}: ${u.name} (${u.usedInFile ? "used in its file only: drop the export" : "unused: remove it"})`,
    );
    assert.deepEqual(unused, []);
  });

  it("reads declarations, export lists, re-exports and every kind of import", () => {
    const read = readExports(`
      import def, { a, b as c } from "./one";
      import type { T } from "@domain/two";
      import * as all from "./three";
      import "./effects";
      export { d, e as f } from "./four";
      export * from "./five";
      export const x = 1, { y } = { y: 2 };
      export function g(): typeof import("./six").Six { return all.z(c, def, a); }
      export interface Options { t: T }
      export const NAMES = ["a", "b"] as const;
      export type Name = (typeof NAMES)[number];
      type Local = Options;
      const kept: Local = { t: x };
      export { kept };
      const lazy = () => import("./seven");
    `);
    assert.deepEqual([...read.own].sort(), ["NAMES", "Name", "Options", "g", "kept", "x", "y"]);
    assert.deepEqual(
      [...read.reexported],
      [
        ["d", ["./four", "d"]],
        ["f", ["./four", "e"]],
      ],
    );
    assert.deepEqual(read.reexportAll, ["./five"]);
    assert.deepEqual(
      Object.fromEntries([...read.imports].map(([specifier, names]) => [specifier, [...names].sort()])),
      {
        "./one": ["a", "b", "default"],
        "@domain/two": ["T"],
        "./three": ["*"],
        "./effects": ["*"],
        "./six": ["Six"],
        "./seven": ["*"],
      },
    );
    assert.ok(read.types.has("Options") && read.types.has("Local"));
    assert.ok(read.inExportedDeclarations.has("T"), "a type named by an exported declaration");
    assert.ok(!read.inExportedDeclarations.has("Local"));
    assert.deepEqual([...read.typeQueriedInExports], ["NAMES"]);
    assert.equal(read.identifierCounts.get("Local"), 2, "declared once, used once");
  });
});
