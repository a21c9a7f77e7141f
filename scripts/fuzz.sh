#!/usr/bin/env bash
# Short coverage-guided fuzzing runs of every target in fuzz/, on the stable toolchain.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    (default: 20 s, every target)
#
# No cargo-fuzz and no nightly: the targets are built by plain cargo with the coverage
# instrumentation cargo-fuzz asks rustc for (SanitizerCoverage: 8-bit counters, PC table,
# compare tracing) plus debug assertions and overflow checks, and libfuzzer-sys links
# libFuzzer (built from its bundled C++ source with the machine's g++). No sanitizer: a
# safe-Rust crate's bugs are panics, which libFuzzer reports as crashes.
#
# Each target starts from a scratch copy of its committed seed corpus (fuzz/corpus/<target>,
# never written to) plus its dictionary (fuzz/dict/<target>.dict, if any). A crash, timeout
# or out-of-memory fails the script; the input is saved under fuzz/artifacts/<target>/ and
# printed (escaped and in base64). Reproduce with:
#   fuzz/target/x86_64-unknown-linux-gnu/release/<target> <input file>
#
# FUZZ_WORK=DIR keeps the grown corpora (DIR/<target>) and logs (DIR/<target>.log) instead
# of a temporary folder that is removed; a second run with the same DIR goes on from them.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
all_targets=(decode encode_roundtrip last_event_id publish_json)
targets=("${@:-${all_targets[@]}}")

# The host triple as --target, so RUSTFLAGS reach the targets' code but not build scripts
# or proc macros (which must not be instrumented: nothing would link libFuzzer's hooks).
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks"
# The fuzz crate's own target dir, away from the workspace's.
export CARGO_TARGET_DIR="$PWD/fuzz/target"
echo "fuzz: building ${targets[*]} (release, instrumented)"
# Not --locked: fuzz/Cargo.lock pins what it has, and cargo only adds what a new dependency
# of sse-core needs, so a change to sse-core's dependencies cannot break this step.
cargo build --release --quiet --manifest-path fuzz/Cargo.toml --target "$host" \
  $(printf -- '--bin %s ' "${targets[@]}")
bin_dir="$CARGO_TARGET_DIR/$host/release"

if [ -n "${FUZZ_WORK:-}" ]; then
  work="$FUZZ_WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
failed=()
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  if [ -d "fuzz/corpus/$target" ]; then cp -R "fuzz/corpus/$target/." "$corpus/"; fi
  dict=()
  if [ -f "fuzz/dict/$target.dict" ]; then dict=("-dict=fuzz/dict/$target.dict"); fi
  log="$work/$target.log"
  echo "fuzz: $target for ${seconds}s"
  status=0
  # Bounded per input: 2 GiB of memory, 10 s; inputs up to 4 KiB.
  "$bin_dir/$target" "$corpus" "${dict[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$target/" \
    >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    failed+=("$target")
    for artifact in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
      echo "fuzz: $target failed on $artifact; reproduce: $bin_dir/$target $artifact"
      echo "input (escaped):"; od -c "$artifact" | head -n 40
      echo "input (base64): $(base64 -w0 "$artifact")"
    done
  else
    # Coverage after the seeds and at the end (it grows: the fuzzing is coverage-guided),
    # the corpus and the final stats.
    { grep -E '^#[0-9]+[[:space:]]+INITED' "$log" || true; } | tail -n 1
    { grep -E '^#[0-9]+' "$log" || true; } | tail -n 1
    echo "corpus: $(find "$corpus" -type f | wc -l) files"
    { grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$log" || true; } | tr '\n' ' '
    echo
  fi
done
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
