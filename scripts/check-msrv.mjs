#!/usr/bin/env node
// Checks each published crate's `rust-version` against what its locked dependencies need:
// the highest `rust-version` among the crates it builds on (normal and build dependencies,
// all features, as Cargo.lock has them). Clippy's `incompatible_msrv` (on through
// `clippy::all`) checks the crates' own use of the standard library against the same
// number; together they keep the claim true without a second toolchain in CI.
import { execFileSync } from "node:child_process";

const PUBLISHED = ["sse-core", "sse-endpoints", "sse-axum", "sse-actix", "sse-rocket", "sse-redis"];

const metadata = JSON.parse(
  execFileSync("cargo", ["metadata", "--format-version", "1", "--all-features", "--locked"], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"],
  }),
);
const packages = new Map(metadata.packages.map((p) => [p.id, p]));
const nodes = new Map(metadata.resolve.nodes.map((n) => [n.id, n]));
const parse = (v) => (v ?? "0").split(".").map(Number).concat([0, 0]).slice(0, 3);
const older = (a, b) => {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
};

let failed = false;
for (const root of metadata.packages.filter((p) => PUBLISHED.includes(p.name))) {
  const seen = new Set();
  const stack = [root.id];
  while (stack.length) {
    for (const dep of nodes.get(stack.pop()).deps) {
      const built = dep.dep_kinds.some((k) => k.kind === null || k.kind === "build");
      if (built && !seen.has(dep.pkg)) {
        seen.add(dep.pkg);
        stack.push(dep.pkg);
      }
    }
  }
  const claim = parse(root.rust_version);
  let need = [0, 0, 0];
  let by = "nothing";
  for (const id of seen) {
    const p = packages.get(id);
    if (older(need, parse(p.rust_version))) {
      need = parse(p.rust_version);
      by = `${p.name} ${p.version}`;
    }
  }
  const ok = !older(claim, need);
  failed ||= !ok;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${root.name}: rust-version ${root.rust_version}, ` +
      `its locked dependencies need ${need.join(".")} (${by})`,
  );
}
if (failed) {
  console.error("A published crate claims an older Rust than its dependencies need: raise its rust-version.");
  process.exit(1);
}
