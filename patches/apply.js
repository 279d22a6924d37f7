/**
 * Replaces files of installed dependencies with the corrected copies under patches/ (see
 * README.md there). Runs as npm's postinstall, so `npm install` and `npm ci` apply it. A file
 * is replaced only when it is byte for byte the version the replacement was written against
 * (or already the replacement); anything else stops the install, so upgrading a dependency
 * cannot drop a correction unnoticed.
 */
const { createHash } = require("node:crypto");
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");

/** Each replaced file, with the sha-256 of the published file it replaces. */
const REPLACEMENTS = [
  {
    file: "kafkajs/src/consumer/filterAbortedMessages.js",
    version: { packageName: "kafkajs", version: "2.2.4" },
    original: "54ce50f2a41ee1686da8b73bf8b502c7dd07c9d7cb0a494cdb36a7fc536ced8e",
  },
  {
    file: "kafkajs/src/network/requestQueue/index.js",
    version: { packageName: "kafkajs", version: "2.2.4" },
    original: "b55986089c14f8f7bfc377922e2e65b3e4c1e7c7af2752d3b10a75dfe9e9260c",
  },
];

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

function apply({ file, version, original }) {
  const target = join(ROOT, "node_modules", file);
  const replacement = readFileSync(join(__dirname, file));
  if (!existsSync(target)) return;
  const installed = readFileSync(target);
  if (installed.equals(replacement)) return;
  if (sha256(installed) !== original) {
    throw new Error(
      `patches/apply.js: node_modules/${file} is not the file of ${version.packageName} ` +
        `${version.version} that patches/${file} replaces; check the correction against the ` +
        `installed version and update REPLACEMENTS`,
    );
  }
  writeFileSync(target, replacement);
}

for (const replacement of REPLACEMENTS) apply(replacement);
