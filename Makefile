# SPDX-License-Identifier: MIT
# memtour - build, tour and test the memory demos.
#
#   make            build every TOPIC/NAME.c into TOPIC/NAME
#   make tour       build, then run every demo in teaching order
#                   (TOPIC=heap: one topic; on a terminal it stops between
#                   programs: Enter for the next, q to stop)
#   make test       build, then run the bats checks in tests/ (also: check)
#   make help       list the targets and every demo with its purpose
#
# Needs GNU Make 3.82 or later, a C compiler for 64-bit x86_64 or aarch64,
# and bats-core 1.2.1 or later for the tests.
#
# CC, CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are yours: set them on the command
# line or in the environment (make CC=clang CFLAGS=-O0). The project's own
# language and warning flags live in MT_CFLAGS and are always added; WERROR=0
# drops -Werror.

ifneq ($(shell uname -s),Linux)
$(error memtour shows how Linux manages memory and needs a Linux system \
(this is $(shell uname -s)))
endif

# 64-bit only: the programs print and compute with 64-bit addresses, and
# pagemap, the page-table split and the loaders are written for them.
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifeq ($(shell $(CC) $(CPPFLAGS) $(CFLAGS) -dM -E -x c /dev/null 2>/dev/null \
	| sed -n 's/^\#define __SIZEOF_POINTER__ //p'),4)
$(error memtour needs a 64-bit target (x86_64 or aarch64): $(CC) \
$(CFLAGS) does not build one (32-bit x86 and Arm are not supported))
endif
endif

TOPICS   := layout vm pagemap heap mmap mprotect elf sigsegv
SOURCES  := $(wildcard $(addsuffix /*.c,$(TOPICS)))
PROGRAMS := $(SOURCES:.c=)

CFLAGS   ?= -O2 -g
WERROR   ?= 1
MT_CFLAGS = -std=gnu11 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
BATS     ?= bats
BATS_FLAGS ?=

# --- Per-program flags and extra products ---------------------------------
# A program that needs more than plain `cc -o prog prog.c` says so here, with
# EXTRA_CFLAGS / EXTRA_LDLIBS as target-specific variables, so that nobody has
# to remember it. Extra products (a shared library built from the same .c)
# are added to EXTRAS with a rule of their own.
EXTRAS :=

# heap/mini_malloc: the demo uses threads; the same .c also builds the
# LD_PRELOAD library heap/mini_malloc.so.
heap/mini_malloc: EXTRA_LDLIBS += -pthread
EXTRAS += heap/mini_malloc.so
heap/mini_malloc.so: heap/mini_malloc.c
	$(CC) $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS) -shared -fPIC \
		-DMINI_MALLOC_LIB $(LDFLAGS) -o $@ $< $(LDLIBS) -pthread

# sigsegv/uffd_loader serves faults from a thread of its own (glibc before
# 2.34 keeps threads in libpthread).
sigsegv/uffd_loader: EXTRA_LDLIBS += -pthread

# elf/hello.c builds twice: elf/hello (dynamic, PIE, like most programs)
# and elf/hello_static (everything linked in, no interpreter; the sanitizers
# cannot link statically, so their flags are left out of this one).
ifneq ($(wildcard elf/hello.c),)
EXTRAS += elf/hello_static
elf/hello_static: elf/hello.c
	$(CC) $(MT_CFLAGS) $(CPPFLAGS) \
		$(filter-out -fsanitize=%,$(CFLAGS) $(LDFLAGS)) -static \
		-o $@ $< $(LDLIBS)
endif

# --- Teaching order for `make tour` ----------------------------------------
# Topics run in the order of TOPICS (the README's reading order). Within a
# topic, the programs named here run first, in this order; any other runs
# after them, in alphabetical order.
TOUR_FIRST := layout/layout layout/aslr layout/stack_overflow \
	vm/page_faults vm/thp vm/mlock vm/smaps_dirty vm/memstat \
	pagemap/pagetable pagemap/peek pagemap/soft_dirty pagemap/addrsplit \
	heap/brk heap/malloc_chunks heap/free_and_sbrk heap/lazy_alloc \
	heap/alloca heap/mini_malloc \
	mmap/mmap mmap/private_file_mapping mmap/shared_file_mapping \
	mmap/shared_anon_mapping mmap/first_touch \
	mprotect/mprotect mprotect/guard_page mprotect/jit \
	elf/hello elf/elfinfo elf/elfload elf/startup \
	sigsegv/demand_loader sigsegv/grow_stack sigsegv/uffd_loader \
	sigsegv/loader_bench

TOUR := $(foreach t,$(TOPICS), \
	$(filter $(PROGRAMS),$(filter $(t)/%,$(TOUR_FIRST))) \
	$(filter-out $(TOUR_FIRST),$(filter $(t)/%,$(PROGRAMS))))

.PHONY: all tour test check clean help
.DEFAULT_GOAL := all
.SUFFIXES:

# Rebuild everything when the compiler or the flags change, so that
# `make test CC=clang` after a gcc build tests clang's programs: .flags holds
# the flags of the last build and is rewritten (newer) when they differ.
BUILD_FLAGS = $(CC) $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
ifneq ($(shell cat .flags 2>/dev/null),$(strip $(BUILD_FLAGS)))
$(shell printf '%s\n' '$(strip $(BUILD_FLAGS))' >.flags)
endif
.flags: ;

# `make -j clean all` must not build and delete at the same time.
ifneq ($(filter clean,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif

all: $(PROGRAMS) $(EXTRAS)

# Every program includes res/memtour.h: a change there rebuilds them all.
$(PROGRAMS) $(EXTRAS): .flags res/memtour.h

%: %.c
	$(CC) $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LDLIBS) $(EXTRA_LDLIBS)

# The purpose of a program is the first line of its header comment, the one
# after the licence line, whole on that line (the tour prints it after the
# name, under 80 columns):
#   /* NAME.c - what it shows
purpose = sed -n "s|^/\* *$$(basename $(1))\.c - *||p" $(1).c | head -n 1

# make tour TOPIC=heap runs one topic. On a terminal it stops between
# programs, naming the next one; piped or in CI it runs straight through.
TOPIC ?=
TOUR_NOW = $(if $(TOPIC),$(filter $(addsuffix /%,$(TOPIC)),$(TOUR)),$(TOUR))

tour: all
	@[ -n "$(TOUR_NOW)" ] || { echo "no demos in topic '$(TOPIC)'"; exit 2; }
	@export MEMTOUR_STEP="$(MEMTOUR_STEP)"; fail=0; first=1; \
	if [ -t 0 ] && [ -t 1 ]; then ask=1; else ask=0; fi; \
	for p in $(TOUR_NOW); do \
		what=$$($(call purpose,$$p)); \
		if [ $$ask = 1 ] && [ $$first = 0 ]; then \
			printf '\n-- %s: %s\n-- Enter to run it next, q to stop: ' \
				"$$p" "$$what"; \
			read -r ans || break; \
			case $$ans in q*|Q*) break;; esac; \
		fi; \
		first=0; \
		printf '\n==== %s: %s\n\n' "$$p" "$$what"; \
		./$$p || { echo "*** $$p exited with status $$?"; fail=1; }; \
	done; \
	exit $$fail

# The oldest bats-core the tests are written for.
BATS_MIN := 1.2.1

test: all
	@command -v $(BATS) >/dev/null 2>&1 || { \
		echo "make test needs bats-core $(BATS_MIN) or later, which is not" \
			"installed. On Debian or Ubuntu: sudo apt-get install bats"; \
		exit 1; }
	@v=$$($(BATS) --version | sed -n 's/^Bats \([0-9.]*\).*/\1/p'); \
	if [ "$$(printf '%s\n' $(BATS_MIN) "$$v" | sort -t. -k1,1n -k2,2n \
		-k3,3n | head -n 1)" != $(BATS_MIN) ]; then \
		echo "make test needs bats-core $(BATS_MIN) or later; $(BATS) is" \
			"$${v:-unknown}: get a newer one (npm install bats, then" \
			"make test BATS=node_modules/.bin/bats)"; \
		exit 1; \
	fi
	$(BATS) $(BATS_FLAGS) tests/

check: test

# make fuzz: clang's libFuzzer on elfinfo's ELF parser for FUZZ_TIME
# seconds (default 60). The corpus grows in elf/fuzz-corpus (seeded with
# elf/hello); a crashing input is saved as crash-* in the top folder.
FUZZ_TIME ?= 60
.PHONY: fuzz
fuzz: elf/hello
	clang -g -O1 -fsanitize=fuzzer,address,undefined -DELFINFO_FUZZ \
		-o elf/elfinfo-fuzz elf/elfinfo.c
	mkdir -p elf/fuzz-corpus
	cp elf/hello elf/fuzz-corpus/
	elf/elfinfo-fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		-timeout=5 elf/fuzz-corpus

clean:
	rm -f $(PROGRAMS) $(EXTRAS) .flags
	rm -rf elf/elfinfo-fuzz elf/fuzz-corpus

help:
	@echo "Targets:"
	@echo "  make          build every demo (TOPIC/NAME.c -> TOPIC/NAME)"
	@echo "  make tour     build, then run every demo in teaching order"
	@echo "                (MEMTOUR_STEP=1: pause at every checkpoint;"
	@echo "                TOPIC=heap: one topic)"
	@echo "  make test     build, then run the bats checks in tests/"
	@echo "  make check    the same as make test"
	@echo "  make fuzz     fuzz elfinfo's parser with libFuzzer (clang;"
	@echo "                FUZZ_TIME=60 seconds)"
	@echo "  make clean    remove what make built"
	@echo "  make help     this list"
	@echo "Variables: CC CFLAGS CPPFLAGS LDFLAGS LDLIBS WERROR=0"
	@echo "           MEMTOUR_STEP=1 TOPIC=NAME BATS=path/to/bats"
	@echo ""
	@echo "Demos:"
	@for p in $(TOUR); do \
		printf '  %s\n      %s\n' "$$p" "$$($(call purpose,$$p))"; \
	done
