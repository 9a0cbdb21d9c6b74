# rawzone - one non-recursive Makefile.
#
#   make                 build everything into build/ (binaries in build/bin/)
#   make test            build, then run every test; ends "N passed, N failed"
#   make demo            the main job on the embedded broker (see README)
#   make SAN=asan test   the same under AddressSanitizer + UBSan (build/asan/)
#   make SAN=tsan test   ThreadSanitizer (build/tsan/)
#   make bench           benchmarks against their baselines (docs/BENCHMARKS.md)
#   make soak, make fuzz longer crash and fuzz runs
#   make format-check    clang-format over the C sources
#
# Objects and generated code live under $(O); nothing is built in the tree.

SAN ?=
ifeq ($(SAN),)
O := build
else
O := build/$(SAN)
endif

CC ?= cc
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla
OPT ?= -O2 -g
CPPFLAGS += -I. -I$(O)/gen -MMD -MP
CFLAGS += $(CSTD) $(WARN) $(OPT) -fno-strict-aliasing -pthread
LDFLAGS += -pthread

ifeq ($(SAN),asan)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),tsan)
CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
else ifneq ($(SAN),)
$(error SAN must be asan or tsan)
endif

BIN := $(O)/bin
TBIN := $(O)/tests
BBIN := $(O)/bench

# Missing Debian packages are installed before anything is built.
DEPS_OK := $(O)/.deps-ok
$(DEPS_OK): deploy/install-deps
	@mkdir -p $(@D)
	@deploy/install-deps --check 2>/dev/null || deploy/install-deps
	@touch $@

# --- the core library: common/, log/, shm/ --------------------------------
CORE_SRCS := $(wildcard common/*.c log/*.c shm/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(O)/%.o)
CORE_LIB := $(O)/librawzone-core.a
CORE_LIBS := -linih -lrt

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# --- tests ------------------------------------------------------------------
# Each tests/<module>/test_*.c is one program linked with the core library.
TEST_SRCS := $(wildcard tests/log/test_*.c tests/shm/test_*.c \
	tests/common/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(TBIN)/%,$(TEST_SRCS))

TEST_SUPPORT := $(O)/tests/check.o

$(TBIN)/%: $(O)/tests/%.o $(TEST_SUPPORT) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(TEST_SUPPORT) $(CORE_LIB) $(CORE_LIBS) -o $@

# --- benchmarks -------------------------------------------------------------
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BBIN)/%,$(BENCH_SRCS))

$(BBIN)/%: $(O)/bench/%.o $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(CORE_LIB) $(CORE_LIBS) -o $@

# --- top-level targets ------------------------------------------------------
PROGRAMS :=

all: $(PROGRAMS) $(TEST_BINS) $(BENCH_BINS)

test: all
	@O=$(O) SAN=$(SAN) tests/run

bench: all
	@O=$(O) bench/run

soak: all
	@O=$(O) RAWZONE_SOAK=1 tests/run

fuzz: all
	@O=$(O) tests/fuzz/run

demo: all
	@O=$(O) deploy/demo

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && \
		echo "format-check: $(words $(FORMAT_SRCS)) files ok"

format:
	@clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf build

.PHONY: all test bench soak fuzz demo format-check format clean
.DEFAULT_GOAL := all
.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
