#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# tests/tour.bats - the Makefile's promises to a student: `make tour` runs
# every demo, stops between them on a terminal, `make help` names them all,
# `make test` refuses a bats that is too old, 32-bit targets are refused.
#
# Inner makes run with `-o all`: the outer `make test` has built everything
# with its own CC and flags (passed on in MAKEFLAGS), and nothing is rebuilt.
# And with --no-print-directory: under an outer `make -C DIR test` every inner
# make would otherwise add its "Entering directory" lines to the output.

load helpers

tr_make() {
	mt_run "$1" make -s --no-print-directory -C "$MT_TOP" -o all "${@:2}"
}

# The purpose of a program, from its own source: the "NAME.c - " line.
tr_purpose() {
	sed -n "s|^/\\* *${1##*/}\\.c - *||p" "$MT_TOP/$1.c" | head -n 1
}

# Every TOPIC/NAME.c in the tree, as TOPIC/NAME.
tr_programs() {
	(cd "$MT_TOP" && ls -1 ./*/*.c | sed 's|^\./||; s|\.c$||' |
		grep -v '^tests/')
}

# Parses the "  TOPIC/NAME" lines of make help and the purpose under each.
@test "make help lists every program with its purpose" {
	tr_make 0 help
	local p n=0
	for p in $(tr_programs); do
		[[ $output == *"  $p"$'\n'"      $(tr_purpose "$p")"* ]]
		n=$((n + 1))
	done
	((n > 0))
	# and nothing else, in lines under 80 columns
	(($(grep -c '^  [a-z]*/' <<<"$output") == n))
	(($(awk 'length($0) >= 80' <<<"$output" | wc -l) == 0))
}

# Parses the "==== TOPIC/NAME: purpose" headers of a piped tour.
@test "make tour, not on a terminal: every program, straight through" {
	# the whole tour: a few seconds idle, more on a loaded machine
	MT_TIMEOUT=300 tr_make 0 tour </dev/null
	local p
	for p in $(tr_programs); do
		[[ $output == *"==== $p: $(tr_purpose "$p")"* ]]
	done
	[[ $output != *"Enter to run it"* && $output != *"exited with status"* ]]
	# each program's header is one line under 80 columns
	(($(grep '^==== ' <<<"$output" | awk 'length($0) >= 80' | wc -l) == 0))
}

# On a pseudo-terminal (script): the first program runs, the prompt names
# the second with its purpose, Enter runs it, q stops before the third.
@test "make tour on a terminal stops between programs; q stops" {
	command -v script >/dev/null || skip "script(1) is not installed"
	local progs first second third
	mapfile -t progs < <(cd "$MT_TOP" && ls -1 heap/*.c | sed 's/\.c$//')
	((${#progs[@]} >= 3)) || skip "heap/ has fewer than three programs"
	mt_run 0 make -s --no-print-directory -C "$MT_TOP" -o all help
	first=$(sed -n 's|^  \(heap/[a-z_]*\)$|\1|p' <<<"$output" | sed -n 1p)
	second=$(sed -n 's|^  \(heap/[a-z_]*\)$|\1|p' <<<"$output" | sed -n 2p)
	third=$(sed -n 's|^  \(heap/[a-z_]*\)$|\1|p' <<<"$output" | sed -n 3p)
	mt_run 0 bash -c 'printf "\nq\n" | script -qfec "make -s \
		--no-print-directory -C \"$1\" -o all tour TOPIC=heap" \
		/dev/null' _ "$MT_TOP"
	[[ $output == *"==== $first: "* ]]
	[[ $output == *"-- $second: $(tr_purpose "$second")"$'\r\n'"-- Enter"* ]]
	[[ $output == *"==== $second: "* ]]
	[[ $output == *"-- $third: "* ]]
	[[ $output != *"==== $third: "* ]]
	# what the prompt prints fits in 80 columns
	(($(grep -a '^-- ' <<<"$output" | tr -d '\r' |
		awk 'length($0) >= 80' | wc -l) == 0))
}

@test "make tour TOPIC=nosuch: exit 2, says so" {
	tr_make 2 tour TOPIC=nosuch
	echo "stdout: $output"$'\n'"stderr: $stderr" >&2	# shown on failure
	[[ $output == "no demos in topic 'nosuch'" ]]
}

# A stand-in bats that reports 1.1.0 (Ubuntu 20.04's).
@test "make test refuses a bats older than 1.2.1, with the fix" {
	printf '#!/bin/sh\necho "Bats 1.1.0"\n' >"$MT_TMP/bats"
	chmod +x "$MT_TMP/bats"
	tr_make 2 test BATS="$MT_TMP/bats"
	[[ $output == *"needs bats-core 1.2.1 or later"*"is 1.1.0"*"npm"* ]]
}

@test "make check is make test" {
	mt_run 0 make -n --no-print-directory -C "$MT_TOP" -o all check
	[[ $output == *"tests/"* ]]
	mt_run 0 make -n --no-print-directory -C "$MT_TOP" -o all test
	local test_out=$output
	mt_run 0 make -n --no-print-directory -C "$MT_TOP" -o all check
	[[ $output == "$test_out" ]]
}

@test "a 32-bit target is refused in one line" {
	local cc=${CC:-cc}
	"$cc" -m32 -dM -E -x c /dev/null >/dev/null 2>&1 ||
		skip "$cc cannot preprocess for -m32"
	tr_make 2 CFLAGS=-m32
	[[ $stderr == *"needs a 64-bit target"*"not supported"* ]]
}

# Every program, run as the tour runs it, under a 24 KiB stack limit (and
# a small environment: the environment strings live on the stack too): it
# does its work or says in one line why it cannot, exit 1; no signal.
# 24 KiB, not less: with ASLR the kernel starts the stack up to 8 KiB below
# its top at random (x86_64), and under 16 KiB a musl build of heap/brk
# ran out of stack about 1 run in 7 (glibc builds lived with 16 KiB).
@test "every program lives with ulimit -s 24: its work, or a reason" {
	local p bad=0
	for p in $(tr_programs); do
		mt_run "*" env -i PATH="$PATH" TMPDIR="$MT_TMP" bash -c \
			'ulimit -s 24 && exec "$0"' "$MT_TOP/$p" </dev/null
		if ((status == 0)) ||
			((status == 1 && ${#stderr} > 0)); then
			continue
		fi
		echo "$p: status $status: $stderr" >&2
		bad=$((bad + 1))
	done
	((bad == 0))
}

