# SPDX-License-Identifier: MIT
# memtour - build, tour and test the memory demos.
#
#   make            build every TOPIC/NAME.c into TOPIC/NAME
#   make tour       build, then run every demo in teaching order
#   make test       build, then run the bats checks in tests/
#   make help       list the targets and every demo with its purpose
#
# CC, CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are yours: set them on the command
# line or in the environment (make CC=clang CFLAGS=-O0). The project's own
# language and warning flags live in MT_CFLAGS and are always added; WERROR=0
# drops -Werror.

ifneq ($(shell uname -s),Linux)
$(error memtour shows how Linux manages memory and needs a Linux system \
(this is $(shell uname -s)))
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

# elf/hello.c builds twice: elf/hello (dynamic, PIE, like most programs)
# and elf/hello_static (everything linked in, no interpreter).
ifneq ($(wildcard elf/hello.c),)
EXTRAS += elf/hello_static
elf/hello_static: elf/hello.c
	$(CC) $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -static \
		-o $@ $< $(LDLIBS)
endif

# --- Teaching order for `make tour` ----------------------------------------
# Programs named here run first, in this order; any other program runs after
# them, topic by topic, in alphabetical order.
TOUR_FIRST := layout/layout layout/aslr layout/stack_overflow \
	vm/page_faults vm/thp vm/mlock vm/smaps_dirty vm/memstat \
	heap/brk heap/malloc_chunks heap/free_and_sbrk heap/lazy_alloc \
	heap/alloca heap/mini_malloc

TOUR := $(filter $(PROGRAMS),$(TOUR_FIRST)) \
	$(filter-out $(TOUR_FIRST),$(PROGRAMS))

.PHONY: all tour test clean help
.DEFAULT_GOAL := all
.SUFFIXES:

# Rebuild everything when the compiler or the flags change, so that
# `make test CC=clang` after a gcc build tests clang's programs: .flags holds
# the flags of the last build and is rewritten (newer) when they differ.
BUILD_FLAGS = $(CC) $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
ifneq ($(file <.flags),$(BUILD_FLAGS))
$(file >.flags,$(BUILD_FLAGS))
endif
.flags: ;

# `make -j clean all` must not build and delete at the same time.
ifneq ($(filter clean,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif

all: $(PROGRAMS) $(EXTRAS)

$(PROGRAMS) $(EXTRAS): .flags

%: %.c
	$(CC) $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LDLIBS) $(EXTRA_LDLIBS)

# The purpose of a program is the first line of its header comment, the one
# after the licence line:
#   /* NAME.c - what it shows
purpose = sed -n 's|^/\* *[a-z_]*\.c - *||p' $(1).c | head -n 1

tour: all
	@export MEMTOUR_STEP="$(MEMTOUR_STEP)"; fail=0; \
	for p in $(TOUR); do \
		printf '\n==== %s: %s\n\n' "$$p" "$$($(call purpose,$$p))"; \
		./$$p || { echo "*** $$p exited with status $$?"; fail=1; }; \
	done; \
	exit $$fail

test: all
	@command -v $(BATS) >/dev/null 2>&1 || { \
		echo "make test needs bats-core, which is not installed."; \
		echo "On Debian or Ubuntu: sudo apt-get install bats"; \
		exit 1; }
	BATS_TEST_TIMEOUT=$${BATS_TEST_TIMEOUT:-60} \
		$(BATS) $(BATS_FLAGS) tests/

clean:
	rm -f $(PROGRAMS) $(EXTRAS) .flags

help:
	@echo "Targets:"
	@echo "  make          build every demo (TOPIC/NAME.c -> TOPIC/NAME)"
	@echo "  make tour     build, then run every demo in teaching order"
	@echo "                (MEMTOUR_STEP=1: pause at every checkpoint)"
	@echo "  make test     build, then run the bats checks in tests/"
	@echo "  make clean    remove what make built"
	@echo "  make help     this list"
	@echo "Variables: CC CFLAGS CPPFLAGS LDFLAGS LDLIBS WERROR=0"
	@echo "           MEMTOUR_STEP=1"
	@echo ""
	@echo "Demos:"
	@for p in $(TOUR); do \
		printf '  %-22s %s\n' "$$p" "$$($(call purpose,$$p))"; \
	done
