# jitmem build.  `make` builds build/jitmem; `make test` runs every test, then again
# under AddressSanitizer + UndefinedBehaviorSanitizer (in build-asan/; float-to-integer conversions
# checked too, which GCC's -fsanitize=undefined leaves out).
#
#   make                 build/jitmem
#   make test            unit + end-to-end tests, plain and sanitized
#   make check           the same suite once, in $(BUILD) only
#   make bench           sampling cost against psutil and the bare system calls, and the other
#                        benchmarks (bench/README.md)
#   make demo            finds a JIT-enabled Python (or says there is none and runs a control),
#                        shows `jitmem env` and compares JIT off and on on a bundled workload
#                        (workloads/demo; JITMEM_PYTHON=, DEMO_WORKLOAD=, DEMO_SCALE= to choose)
#   make findings        measures the operators' article's claims on the JIT-enabled interpreters
#                        and rewrites docs/findings.md (findings/measure.py; about 30 min)
#   make install PREFIX=/usr/local DESTDIR=
#                        the binary, the shim, the workloads, the man page, the bash completion
#   make uninstall PREFIX=/usr/local DESTDIR=
#                        removes what install put there
#   make SANITIZE=1      a sanitized build in build-asan/
#   make fuzz            every harness of tests/fuzz/ under libFuzzer (clang), each for FUZZ_SECONDS
#                        (default 600) or FUZZ_RUNS executions (default 1000000), whichever
#                        comes first; FUZZ_TARGETS="prom cgroup" runs some only (DEVELOPERS.md)

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0

ifeq ($(SANITIZE),1)
BUILD   ?= build-asan
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
OPT     ?= -O1 -g
else
BUILD   ?= build
SANFLAGS :=
OPT     ?= -O2 -g
endif

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wwrite-strings -Wno-format-nonliteral -Wno-format-truncation -Werror
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
# The layers of src/, lowest first (docs/ARCHITECTURE.md says what each may include;
# tests/e2e/test_layers.sh checks it). Headers are included by name: every layer is on the path.
LAYERS   := base kernel rundir record history judge net experiment live report cli
CPPFLAGS += -D_GNU_SOURCE -DJITMEM_VERSION='"$(VERSION)"' $(LAYERS:%=-Isrc/%) $(JANSSON_CFLAGS)
CFLAGS   += $(OPT) $(WARN) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(JANSSON_LIBS) -lsqlite3 -lm

LIB_SRC := $(filter-out src/cli/main.c,$(wildcard $(LAYERS:%=src/%/*.c)))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
HEADERS := $(wildcard $(LAYERS:%=src/%/*.h))
MAIN_OBJ := $(BUILD)/obj/cli/main.o
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(addprefix $(BUILD)/tests/,$(notdir $(UNIT_SRC:.c=)))
FIX_SRC  := $(wildcard tests/fixtures/*.c)
FIX_BIN  := $(FIX_SRC:tests/fixtures/%.c=$(BUILD)/fixtures/%) \
            $(BUILD)/fixtures/gdbjit-nopie $(BUILD)/fixtures/gdbjit-dl $(BUILD)/fixtures/libpython3.99-gdbjit.so
BENCH_BIN := $(BUILD)/bench/bench_sample

.PHONY: all check test bench demo findings install uninstall clean tests-build fuzz fuzz-build

SHIM := $(BUILD)/libjitshim.so

all: $(BUILD)/jitmem $(SHIM)

# The LD_PRELOAD shim: apart from the library, exporting only the interposed calls, never
# sanitized (it runs inside other programs).
$(SHIM): shim/jitshim.c | $(BUILD)/obj
	$(CC) -D_GNU_SOURCE -O2 $(WARN) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libjitmem.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/jitmem: $(MAIN_OBJ) $(BUILD)/libjitmem.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests mirror src/'s layers (tests/unit/LAYER/test_MODULE.c); their binaries are side by side.
vpath test_%.c $(sort $(dir $(UNIT_SRC)))
$(BUILD)/tests/%: %.c tests/unit/unit.h $(BUILD)/libjitmem.a | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libjitmem.a $(LDLIBS)

# Fixture programs are plain C with no dependency on the library, and never sanitized:
# their memory layout is what the tests assert.
$(BUILD)/fixtures/%: tests/fixtures/%.c | $(BUILD)/fixtures
	$(CC) -D_GNU_SOURCE -O2 $(WARN) -o $@ $< -lpthread

# GDB's JIT interface three ways: a PIE and a fixed-address program exporting the descriptor,
# and a program that finds it in a library (libpython*.so, as a shared CPython build has it).
GDBJIT_EXPORT := -Wl,--export-dynamic-symbol=__jit_debug_descriptor
$(BUILD)/fixtures/fakejit: tests/fixtures/fakejit.c | $(BUILD)/fixtures
	$(CC) -D_GNU_SOURCE -O2 $(WARN) $(GDBJIT_EXPORT) -o $@ $<
$(BUILD)/fixtures/gdbjit: tests/fixtures/gdbjit.c | $(BUILD)/fixtures
	$(CC) -D_GNU_SOURCE -O2 $(WARN) -DGDBJIT_DESCRIPTOR -fPIE -pie $(GDBJIT_EXPORT) -o $@ $< -ldl
$(BUILD)/fixtures/gdbjit-nopie: tests/fixtures/gdbjit.c | $(BUILD)/fixtures
	$(CC) -D_GNU_SOURCE -O2 $(WARN) -DGDBJIT_DESCRIPTOR -fno-PIE -no-pie $(GDBJIT_EXPORT) -o $@ $< -ldl
$(BUILD)/fixtures/gdbjit-dl: tests/fixtures/gdbjit.c | $(BUILD)/fixtures
	$(CC) -D_GNU_SOURCE -O2 $(WARN) -o $@ $< -ldl
$(BUILD)/fixtures/libpython3.99-gdbjit.so: tests/fixtures/gdbjit.c | $(BUILD)/fixtures
	$(CC) -D_GNU_SOURCE -O2 $(WARN) -DGDBJIT_LIBRARY -fPIC -shared -o $@ $<

$(BUILD)/bench/bench_sample: bench/bench_sample.c $(BUILD)/libjitmem.a | $(BUILD)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libjitmem.a $(LDLIBS)

$(BUILD)/bench/bench_classify: bench/bench_classify.c $(BUILD)/libjitmem.a | $(BUILD)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libjitmem.a $(LDLIBS)

# The fuzz harnesses (tests/fuzz/fuzz_NAME.c), each built with the compiler of the build and
# tests/fuzz/replay.c as its main: make test replays the kept inputs through them.
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY  := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_ENGINE  := $(FUZZ_NAMES:%=$(BUILD)/fuzzer/fuzz_%)
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(BUILD)/libjitmem.a | $(BUILD)/fuzz
	$(CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_DEFS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/libjitmem.a $(LDLIBS)
# ... and with libFuzzer's main, in make fuzz's build (build-fuzz/, by clang).
$(BUILD)/fuzzer/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libjitmem.a | $(BUILD)/fuzzer
	$(CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_DEFS) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libjitmem.a $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/fixtures $(BUILD)/bench $(BUILD)/fuzz $(BUILD)/fuzzer:
	mkdir -p $@

tests-build: $(BUILD)/jitmem $(SHIM) $(UNIT_BIN) $(FIX_BIN) $(FUZZ_REPLAY)

# One pass of the whole suite against $(BUILD).
check: tests-build
	BUILD=$(BUILD) bash tests/run

# The test command: the suite plain, then sanitized; both passes run, and it fails if either did.
# Each build uses every CPU.
test:
	@plain=0; sanitized=0; jobs=$$(nproc 2>/dev/null || echo 2); \
	$(MAKE) -s -j$$jobs check || plain=$$?; \
	$(MAKE) -s -j$$jobs SANITIZE=1 check || sanitized=$$?; \
	if [ $$plain -ne 0 ] || [ $$sanitized -ne 0 ]; then \
		echo "make test: FAILED (plain pass: $$([ $$plain -eq 0 ] && echo passed || echo failed), sanitized pass: $$([ $$sanitized -eq 0 ] && echo passed || echo failed))"; \
		exit 1; \
	fi

# make fuzz: clang-14 (or clang) with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer,
# the library instrumented for coverage; then tests/fuzz/run runs each harness in turn. FUZZ_DEFS
# adds definitions to the harnesses' build (DEVELOPERS.md). Never
# part of make test or .ci/run (its default budget is hours); make test replays what it keeps.
FUZZ_CC      ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null)
FUZZ_SECONDS ?= 600
FUZZ_RUNS    ?= 1000000
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

fuzz:
	@if [ -z "$(FUZZ_CC)" ]; then \
		echo "make fuzz: no clang found (neither clang-14 nor clang is on PATH); libFuzzer comes with clang: apt-get install clang-14, or make fuzz FUZZ_CC=/path/to/clang" >&2; \
		exit 2; \
	fi
	$(MAKE) BUILD=build-fuzz CC="$(FUZZ_CC)" OPT="-O1 -g" SANFLAGS="$(FUZZ_SANFLAGS)" FUZZ_DEFS="$(FUZZ_DEFS)" \
		WARN="$(filter-out -Wno-format-truncation,$(WARN))" fuzz-build
	BUILD=build-fuzz FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_RUNS="$(FUZZ_RUNS)" bash tests/fuzz/run $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_ENGINE)

bench: $(BUILD)/jitmem $(SHIM) $(BENCH_BIN) $(BUILD)/bench/bench_classify $(FIX_BIN)
	BUILD=$(BUILD) bash bench/run
	BUILD=$(BUILD) bash bench/compare
	BUILD=$(BUILD) bash bench/trace
	BUILD=$(BUILD) bash bench/load
	BUILD=$(BUILD) bash bench/classify
	BUILD=$(BUILD) bash bench/watch

demo: $(BUILD)/jitmem $(SHIM)
	BUILD=$(BUILD) bash workloads/demo

# docs/findings.md: the article's claims measured on the JIT-enabled interpreters (about 30 min)
findings: $(BUILD)/jitmem $(SHIM)
	BUILD=$(BUILD) python3 findings/measure.py

# Where install puts things. jitmem finds the shim and the workloads relative to its binary
# (../lib/jitmem, ../share/jitmem/workloads), so these stay under one PREFIX.
BINDIR      := $(PREFIX)/bin
MAN1DIR     := $(PREFIX)/share/man/man1
SHIMDIR     := $(PREFIX)/lib/jitmem
WORKLOADDIR := $(PREFIX)/share/jitmem/workloads
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
# The workloads and what they read (webapp's request mix); not workloads/demo, which is make demo.
WORKLOAD_FILES := $(wildcard workloads/*.py) workloads/webapp-mix.txt workloads/README.md

install: $(BUILD)/jitmem $(SHIM)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(SHIMDIR) \
		$(DESTDIR)$(WORKLOADDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/jitmem $(DESTDIR)$(BINDIR)/jitmem
	install -m 0644 $(SHIM) $(DESTDIR)$(SHIMDIR)/libjitshim.so
	install -m 0644 docs/jitmem.1 $(DESTDIR)$(MAN1DIR)/jitmem.1
	install -m 0644 $(WORKLOAD_FILES) $(DESTDIR)$(WORKLOADDIR)/
	install -m 0644 completions/jitmem.bash $(DESTDIR)$(BASHCOMPDIR)/jitmem

# Removes what install put, the bytecode Python caches beside the installed workloads when
# they run, and the directories of jitmem's own that are left empty (not bin/ or man1/).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/jitmem $(DESTDIR)$(SHIMDIR)/libjitshim.so \
		$(DESTDIR)$(MAN1DIR)/jitmem.1 $(DESTDIR)$(BASHCOMPDIR)/jitmem \
		$(addprefix $(DESTDIR)$(WORKLOADDIR)/,$(notdir $(WORKLOAD_FILES)))
	rm -rf $(DESTDIR)$(WORKLOADDIR)/__pycache__
	for d in $(DESTDIR)$(WORKLOADDIR) $(DESTDIR)$(PREFIX)/share/jitmem $(DESTDIR)$(SHIMDIR); do \
		if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done

clean:
	rm -rf build build-asan build-fuzz
