# SPDX-License-Identifier: MIT
# tests/helpers.bash - the shared driver and /proc readers for memtour's tests.
#
# Load it at the top of every TOPIC.bats with `load helpers`. It works with
# every bats-core from 1.2.1 on, so it uses none of the newer features
# (`run -N`, --separate-stderr, BATS_TEST_TMPDIR, bats_require_minimum_version):
# mt_run does what `run -N --separate-stderr` does, with a timeout.
#
# Every test gets a fresh scratch folder, $MT_TMP (a canonical path, as
# /proc shows it), removed afterwards. A file that defines setup or teardown
# of its own calls mt_setup or mt_cleanup from it.
#
# Running a command:
#   mt_run STATUS CMD [ARGS...]  run CMD with a timeout; sets $output (stdout),
#                             $stderr, $lines, $status; fails unless the exit
#                             status is STATUS ('*': any)
#   mt_try N [STATUS]         run the `try:` command of [pause N] with bash
#                             from the top of the tree (as an instructor pastes
#                             it); same variables as mt_run
# The step-protocol driver:
#   mt_start PROG [ARGS...]   start PROG with MEMTOUR_STEP=1, stdin on a FIFO,
#                             stdout in $MT_OUT, stderr in $MT_ERR; sets MT_PID
#   mt_wait_pause N [SECS] [PID]  wait until "[pause N]" (of PID, default
#                             any) is printed; fails the test if the program
#                             exits or SECS (default 10) pass
#   mt_resume                 answer the current pause with a newline
#   mt_finish [SECS]          close stdin (all later pauses go on), wait for
#                             the program; sets MT_STATUS; kills it after SECS
#   mt_pause_line N [PID]     the text of the "[pause N]" line (of PID)
#   mt_out_field NAME [FILE]  the value of a "NAME: value" line in $MT_OUT
# Readers, independent of any program under test:
#   mt_pagesize               getconf PAGESIZE
#   mt_maps_line PID ADDR     the /proc/PID/maps line holding ADDR (or fails)
#   mt_maps_named PID NAME    the first /proc/PID/maps line whose path is NAME
#   mt_status_kb PID FIELD    a /proc/PID/status field in kB (VmRSS, VmLck...)
#   mt_smaps_kb PID ADDR FIELD  an smaps field (kB) of the mapping holding ADDR
#   mt_stat_field PID N       field N of /proc/PID/stat (10 minflt, 12 majflt)
#   mt_pagemap PID ADDR       the raw 64-bit pagemap entry for ADDR, as 0x...
#   mt_ult A B                true if A < B as unsigned 64-bit numbers
#   mt_hex N                  N as 0x-prefixed lowercase hex

# A hung program fails its test instead of hanging the suite: mt_run,
# mt_wait_pause and mt_finish each give up after a timeout, on every bats.
# Newer bats (1.8 on) also stop a whole test after BATS_TEST_TIMEOUT.
: "${MT_TIMEOUT:=60}"
: "${BATS_TEST_TIMEOUT:=120}"
export BATS_TEST_TIMEOUT

# shellcheck disable=SC2034 # MT_TOP and MT_STATUS are for the test files
MT_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd -P)

mt_setup() {
	MT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/memtour-test.XXXXXX")
	MT_TMP=$(cd "$MT_TMP" && pwd -P)
}

setup() {
	mt_setup
}

teardown() {
	mt_cleanup
}

# --- running a command ------------------------------------------------------

# shellcheck disable=SC2034 # output, stderr, lines are for the test files
mt_run() {
	local want=$1 errf
	shift
	errf=$(mktemp "${MT_TMP:-/tmp}/stderr.XXXXXX")
	status=0
	output=$(timeout -k 2 "$MT_TIMEOUT" "$@" 2>"$errf" 3>&-) || status=$?
	stderr=$(<"$errf")
	rm -f "$errf"
	lines=()
	if [[ -n $output ]]; then
		mapfile -t lines <<<"$output"
	fi
	if [[ $want != '*' && $status != "$want" ]]; then
		{
			echo "expected exit status $want, got $status: $*"
			echo "--- stdout:"
			echo "$output"
			echo "--- stderr:"
			echo "$stderr"
		} >&2
		return 1
	fi
}

mt_try() {
	local line cmd
	line=$(mt_pause_line "$1") || {
		echo "no [pause $1] line" >&2
		return 1
	}
	cmd=${line#*; try: }
	if [[ $cmd == "$line" ]]; then
		echo "[pause $1] suggests no command: $line" >&2
		return 1
	fi
	# shellcheck disable=SC2016 # $0 and $1 are bash -c's own
	mt_run "${2:-0}" bash -c 'cd "$0" && eval "$1"' "$MT_TOP" "$cmd"
}

# --- driver -----------------------------------------------------------------

mt_start() {
	[[ -n ${MT_TMP:-} ]] || mt_setup
	MT_DIR=$(mktemp -d "$MT_TMP/run.XXXXXX")
	MT_OUT=$MT_DIR/out
	MT_ERR=$MT_DIR/err
	mkfifo "$MT_DIR/in"
	# Hold the FIFO open read-write: neither open blocks, and the program
	# sees EOF only once we close it in mt_finish.
	exec {MT_FD}<>"$MT_DIR/in"
	MEMTOUR_STEP=1 "$@" <"$MT_DIR/in" >"$MT_OUT" 2>"$MT_ERR" \
		{MT_FD}>&- 3>&- &
	MT_PID=$!
	MT_STATUS=
}

mt_wait_pause() {
	local n=$1 secs=${2:-10} i pat
	pat="^\[pause $n\] pid ${3:-[0-9]*}:"
	for ((i = 0; i < secs * 50; i++)); do
		if grep -q "$pat" "$MT_OUT" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$MT_PID" 2>/dev/null; then
			grep -q "$pat" "$MT_OUT" && return 0
			echo "program exited before [pause $n]" >&2
			mt_dump >&2
			return 1
		fi
		sleep 0.02
	done
	echo "timed out after ${secs}s waiting for [pause $n]" >&2
	mt_dump >&2
	return 1
}

mt_resume() {
	printf '\n' >&"$MT_FD"
}

mt_finish() {
	local secs=${1:-10} i
	if [[ -n ${MT_FD:-} ]]; then
		exec {MT_FD}>&-
		MT_FD=
	fi
	for ((i = 0; i < secs * 50; i++)); do
		kill -0 "$MT_PID" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$MT_PID" 2>/dev/null; then
		echo "program still running after ${secs}s: killed" >&2
		kill -9 "$MT_PID" 2>/dev/null
	fi
	MT_STATUS=0
	# shellcheck disable=SC2034
	wait "$MT_PID" || MT_STATUS=$?
	MT_PID=
}

# Call from teardown: never leave a program behind.
mt_cleanup() {
	if [[ -n ${MT_PID:-} ]]; then
		kill -9 "$MT_PID" 2>/dev/null
		wait "$MT_PID" 2>/dev/null
		MT_PID=
	fi
	if [[ -n ${MT_FD:-} ]]; then
		exec {MT_FD}>&-
		MT_FD=
	fi
	if [[ -n ${MT_TMP:-} && -d $MT_TMP ]]; then
		rm -rf "$MT_TMP"
	fi
	MT_TMP=
	true
}

mt_dump() {
	echo "--- stdout:"
	cat "$MT_OUT" 2>/dev/null
	echo "--- stderr:"
	cat "$MT_ERR" 2>/dev/null
}

mt_pause_line() {
	grep -m1 "^\[pause $1\] pid ${2:-[0-9]*}:" "$MT_OUT"
}

# The value of the first "NAME: value" line in $MT_OUT (or in file $2).
mt_out_field() {
	sed -n "s/^$1: *//p" "${2:-$MT_OUT}" | head -n 1
}

# --- readers ----------------------------------------------------------------

mt_pagesize() {
	getconf PAGESIZE
}

mt_hex() {
	printf '0x%x\n' "$1"
}

# Unsigned 64-bit comparison: flipping the sign bit maps unsigned order onto
# bash's signed arithmetic.
mt_ult() {
	(((($1) ^ (1 << 63)) < (($2) ^ (1 << 63))))
}

mt_maps_line() {
	local pid=$1 addr=$(($2)) range rest lo hi
	while read -r range rest; do
		lo=$((16#${range%-*}))
		hi=$((16#${range#*-}))
		if ! mt_ult "$addr" "$lo" && mt_ult "$addr" "$hi"; then
			echo "$range $rest"
			return 0
		fi
	done <"/proc/$pid/maps"
	echo "no mapping of pid $pid holds $(mt_hex "$addr")" >&2
	return 1
}

mt_maps_named() {
	awk -v n="$2" '$6 == n { print; exit }' "/proc/$1/maps"
}

mt_status_kb() {
	awk -v f="$2:" '$1 == f { print $2; found = 1 } END { exit !found }' \
		"/proc/$1/status"
}

mt_smaps_kb() {
	local pid=$1 addr=$(($2)) field=$3 line range
	line=$(mt_maps_line "$pid" "$addr") || return 1
	range=${line%% *}
	awk -v r="$range" -v f="$field:" '
		$1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { inside = ($1 == r); next }
		inside && $1 == f { print $2; found = 1; exit }
		END { exit !found }' "/proc/$pid/smaps"
}

mt_stat_field() {
	local stat rest
	stat=$(<"/proc/$1/stat")
	rest=${stat##*) }	# skip the command name: it may hold spaces
	# After "pid (comm) " the next field is number 3.
	awk -v n="$(($2 - 2))" '{ print $n }' <<<"$rest"
}

mt_pagemap() {
	local pid=$1 addr=$(($2)) ps hex
	ps=$(mt_pagesize)
	hex=$(dd if="/proc/$pid/pagemap" bs=8 count=1 \
		skip=$((addr / ps)) 2>/dev/null | od -An -tx8)
	hex=${hex// /}
	if [[ -z $hex ]]; then
		echo "cannot read pagemap of pid $pid" >&2
		return 1
	fi
	echo "0x$hex"
}

# --- what every program owes its user -----------------------------------------

# mt_common_checks PROG [ARGS...]: the behaviour res/memtour.h gives every
# program, checked the same way for each (ARGS: a quick, meaningful run):
#   -h and --help    the usage line and the help on stdout, exit 0
#   --bogus          "NAME: unknown option '--bogus'" and usage, exit 2
#   stdout /dev/full "NAME: write: No space left on device", exit 1
#   stdout closed    "NAME: write: Bad file descriptor", exit 1
#   stdin closed     --step does not wait: the run ends, exit 0
mt_common_checks() {
	local prog=$1 name opt
	shift
	name=${prog##*/}
	for opt in -h --help; do
		mt_run 0 "$prog" "$opt"
		[[ ${lines[0]} == "usage: $name "* && ${#lines[@]} -gt 2 ]]
	done
	mt_run 2 "$prog" --bogus
	[[ $output == "" ]]
	[[ $stderr == "$name: unknown option '--bogus'"$'\n'"usage: $name "* ]]
	if [[ -w /dev/full ]]; then
		mt_run 1 bash -c '"$@" >/dev/full' _ "$prog" "$@"
		[[ $stderr == *"$name: write: No space left on device" ]]
	fi
	mt_run 1 bash -c '"$@" >&-' _ "$prog" "$@"
	[[ $stderr == *"$name: write: Bad file descriptor" ]]
	mt_run 0 bash -c '"$@" --step <&-' _ "$prog" "$@"
	[[ $output == *"[pause 1]"* ]]
}

# The C library PROG was linked with: musl or glibc (from its interpreter,
# or for a static program from the strings of the libc in it).
mt_libc() {
	if LC_ALL=C readelf -lW "$1" 2>/dev/null | grep -q 'ld-musl'; then
		echo musl
	elif LC_ALL=C readelf -lW "$1" 2>/dev/null | grep -q 'interpreter'; then
		echo glibc
	elif grep -qa 'GNU C Library' "$1"; then
		echo glibc
	else
		echo musl
	fi
}

# --- reading a process's memory (added for layout.bats) ---------------------
# mt_mem PID ADDR LEN: LEN bytes of PID's memory at ADDR, as hex pairs
# ("61 20 6c ..."), read through /proc/PID/mem. The test's own shell opens
# the file, so that it is the program's parent (Yama's ptrace_scope 1 lets
# only an ancestor read it); fails when the file cannot be opened or read.
mt_mem() {
	local fd hex
	{ exec {fd}<"/proc/$1/mem"; } 2>/dev/null || {
		echo "cannot open /proc/$1/mem" >&2
		return 1
	}
	hex=$(dd bs="$3" count=1 skip="$(($2))" iflag=skip_bytes \
		<&"$fd" 2>/dev/null | od -An -v -tx1)
	exec {fd}<&-
	read -r -d '' -a hex <<<"$hex" || true
	hex=${hex[*]}	# one line, single spaces
	if [[ -z $hex ]]; then
		echo "cannot read $3 bytes at $(mt_hex "$2") of pid $1" >&2
		return 1
	fi
	echo "$hex"
}

# mt_mem_str PID ADDR LEN: the text at ADDR, up to a NUL or LEN bytes.
mt_mem_str() {
	local hex b c s=''
	hex=$(mt_mem "$@") || return 1
	for b in $hex; do
		[[ $b == 00 ]] && break
		printf -v c "\\x$b"
		s+=$c
	done
	echo "$s"
}

# mt_mem_long PID ADDR: the 8-byte little-endian number at ADDR (signed
# decimal).
mt_mem_long() {
	local -a b
	read -r -a b <<<"$(mt_mem "$1" "$2" 8)" || return 1
	((${#b[@]} == 8)) || return 1
	echo $((16#${b[7]}${b[6]}${b[5]}${b[4]}${b[3]}${b[2]}${b[1]}${b[0]}))
}
