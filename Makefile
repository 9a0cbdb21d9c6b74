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
# librdkafka starts its threads with C11 thrd_create(), which GCC 12's
# ThreadSanitizer does not intercept: every tsan binary gets C11 threads
# over pthreads (tests/tsan/c11_threads.c says why).
TSAN_SHIM := $(O)/tests/tsan/c11_threads.o
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

# librdkafka is built from its release source once, into a cache outside the
# repository (deploy/librdkafka says why not Debian's), and linked
# statically. The libraries are those of the features it is configured with.
RDKAFKA := $(shell deploy/librdkafka --prefix)
RDKAFKA_OK := $(RDKAFKA)/.built
RDKAFKA_LIBS := -L$(RDKAFKA)/lib -lrdkafka -lssl -lcrypto -lsasl2 -lz \
	-lzstd -llz4 -lresolv -lm -ldl -lrt
ifeq ($(SAN),tsan)
# The shared library, which tests/tsan/suppressions.txt names.
RDKAFKA_LIBS := -L$(RDKAFKA)/lib/shared -Wl,-rpath,$(RDKAFKA)/lib/shared \
	-lrdkafka
endif
CPPFLAGS += -isystem $(RDKAFKA)/include
$(RDKAFKA_OK): | $(DEPS_OK)
	@deploy/librdkafka >/dev/null

# --- the core library: common/, log/, shm/ --------------------------------
CORE_SRCS := $(wildcard common/*.c log/*.c shm/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(O)/%.o)
CORE_LIB := $(O)/librawzone-core.a
CORE_LIBS := $(TSAN_SHIM) -linih -lrt -lprotobuf-c

# (The shim is not in the archive - nothing in a program calls it, so the
# linker would leave it out - but goes with it: a new shim relinks all.)
$(CORE_LIB): $(CORE_OBJS) $(TSAN_SHIM)
	@rm -f $@
	$(AR) rcs $@ $(CORE_OBJS)

$(O)/%.o: %.c $(RDKAFKA_OK) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# --- generated schema code: proto/<topic>/vN/*.proto -> $(O)/gen ------------
PROTO_SRCS := $(wildcard proto/*/v*/*.proto)
PROTO_C := $(PROTO_SRCS:%.proto=$(O)/gen/%.pb-c.c)
PROTO_H := $(PROTO_SRCS:%.proto=$(O)/gen/%.pb-c.h)
PROTO_OBJS := $(PROTO_C:$(O)/gen/%.c=$(O)/gen-obj/%.o)
PROTO_LIB := $(O)/librawzone-proto.a

$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: %.proto | $(DEPS_OK)
	@mkdir -p $(O)/gen
	protoc-c --c_out=$(O)/gen -I. $<

# protoc-c's output is not ours to restyle: the usual warnings, not -Werror.
$(O)/gen-obj/%.o: $(O)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CSTD) $(OPT) -fno-strict-aliasing -c $< -o $@

$(PROTO_LIB): $(PROTO_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# Everything may include generated headers: make them first.
$(CORE_OBJS) $(patsubst %.c,$(O)/%.o,$(wildcard land/*.c decode/*.c \
	transform/*.c cli/*.c tests/*/*.c bench/*.c)): | $(PROTO_H)

# --- the stages and the CLI ------------------------------------------------
# Each folder's main.c holds main(); the rest of the folder is a library
# the folder's tests link too.
define stage
$(1)_OBJS := $$(patsubst %.c,$$(O)/%.o,$$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c)))
$(1)_LIB := $$(O)/librawzone-$(1).a
$$($(1)_LIB): $$($(1)_OBJS)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
$$(BIN)/$(2): $$(O)/$(1)/main.o $$($(1)_LIB) $$(PROTO_LIB) $$(CORE_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $(3) $$(CORE_LIBS) -o $$@
endef

# land links tcmalloc: librdkafka allocates every message on its fetcher
# thread and land frees it on its own, which glibc's malloc serializes on
# the fetcher's arena lock (land lands about 1.7 x faster with it;
# docs/BENCHMARKS.md). Not under sanitizers, which bring their own.
ifeq ($(SAN),)
MALLOC_LIBS := -Wl,--push-state,--no-as-needed -l:libtcmalloc_minimal.so.4 \
	-Wl,--pop-state
endif
LAND_LIBS := $(RDKAFKA_LIBS) -luring $(MALLOC_LIBS)
DECODE_LIBS := -lprotobuf-c
TRANSFORM_LIBS := -lsqlite3 -lpq -lprotobuf-c
CLI_LIBS := $(RDKAFKA_LIBS) -lprotobuf-c -lsqlite3 -lpq

$(eval $(call stage,land,rawzone-land,$(LAND_LIBS)))
$(eval $(call stage,decode,rawzone-decode,$(DECODE_LIBS)))
$(eval $(call stage,transform,rawzone-transform,$(TRANSFORM_LIBS)))
$(eval $(call stage,cli,rawzone,$(CLI_LIBS)))

PROGRAMS := $(foreach s,land decode transform cli,$(if $(wildcard $(s)/main.c),\
	$(BIN)/$(if $(filter cli,$(s)),rawzone,rawzone-$(s))))

# --- tests ------------------------------------------------------------------
# tests/<folder>/test_*.c: one program each, linked with its folder's
# library (core-only folders: common, log, shm).
TEST_SUPPORT := $(O)/tests/check.o
TEST_SRCS := $(wildcard tests/*/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(TBIN)/%,$(TEST_SRCS))

define test_folder
$$(TBIN)/$(1)/%: $$(O)/tests/$(1)/%.o $$(TEST_SUPPORT) $(2) $$(PROTO_LIB) $$(CORE_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $(3) $$(CORE_LIBS) -o $$@
endef
$(eval $(call test_folder,common,,))
$(eval $(call test_folder,log,,))
$(eval $(call test_folder,shm,,))
$(eval $(call test_folder,land,$$(land_LIB),$(LAND_LIBS)))
$(eval $(call test_folder,decode,$$(decode_LIB),$(DECODE_LIBS)))
$(eval $(call test_folder,transform,$$(transform_LIB),$(TRANSFORM_LIBS)))
$(eval $(call test_folder,cli,$$(cli_LIB),$(CLI_LIBS)))
# tests/pg: the PostgreSQL sink and the transform into a real server.
$(eval $(call test_folder,pg,$$(transform_LIB),$(TRANSFORM_LIBS)))

# tests/tools/*.c: helper programs of the scripted tests, deliberately
# independent of rawzone's code (an outside view to check it against): they
# link Debian's librdkafka, not the one rawzone is built with.
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(O)/tests/tools/%,$(TOOL_SRCS))

$(O)/tests/tools/%: tests/tools/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) -Wall -Wextra -Werror $< -lrdkafka -o $@

# --- benchmarks -------------------------------------------------------------
# bench/bench_*.c: programs linked with everything they may measure.
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BBIN)/%,$(BENCH_SRCS))

$(BBIN)/%: $(O)/bench/%.o $(cli_LIB) $(land_LIB) $(decode_LIB) \
		$(transform_LIB) $(PROTO_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(CLI_LIBS) -luring $(BENCH_MALLOC) $(CORE_LIBS) -o $@

# The bare consumer is land's baseline: the same allocator as land.
$(BBIN)/bench_consume: BENCH_MALLOC := $(MALLOC_LIBS)

# --- top-level targets ------------------------------------------------------
all: $(PROGRAMS) $(TEST_BINS) $(TOOL_BINS) $(BENCH_BINS)

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
