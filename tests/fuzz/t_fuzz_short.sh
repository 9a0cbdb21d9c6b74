# tests/fuzz/t_fuzz_short.sh - the short version of `make fuzz`: every
# libFuzzer target (decode, registry, frames) runs for a few seconds over
# its committed corpus and whatever it finds; any crash, leak, timeout or
# undefined behaviour fails the test. `make fuzz` runs them longer.
. "$(dirname "$0")/../lib.sh"

command -v clang >/dev/null || { [ "${CI:-}" = true ] && fail "clang is missing"; skip "clang is not installed"; }
O=$O "$TOP/tests/fuzz/run" "${FUZZ_SECONDS:-$(soak 300 8)}" || fail "a fuzz target did not build or found a problem (see above)"
