# tests/helpers.bash - the shared driver and /proc readers for memtour's tests.
#
# Load it at the top of every TOPIC.bats with `load helpers`.
#
# Driver (the step protocol of GUIDE.md):
#   mt_start PROG [ARGS...]   start PROG with MEMTOUR_STEP=1, stdin on a FIFO,
#                             stdout in $MT_OUT, stderr in $MT_ERR; sets MT_PID
#   mt_wait_pause N [SECS]    wait until "[pause N]" is printed (fails the test
#                             if the program exits or SECS, default 10, pass)
#   mt_resume                 answer the current pause with a newline
#   mt_finish [SECS]          close stdin (all later pauses go on), wait for
#                             the program; sets MT_STATUS; kills it after SECS
#   mt_pause_line N           the text of "[pause N]" line
#   mt_out_field NAME         the value of a "NAME: value" line in $MT_OUT
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

bats_require_minimum_version 1.5.0

# A hung program fails its test instead of hanging the suite.
: "${BATS_TEST_TIMEOUT:=60}"
export BATS_TEST_TIMEOUT

# shellcheck disable=SC2034 # MT_TOP and MT_STATUS are for the test files
MT_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# --- driver -----------------------------------------------------------------

mt_start() {
	MT_DIR=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/mt.XXXXXX")
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
	local n=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 50; i++)); do
		if grep -q "^\[pause $n\]" "$MT_OUT" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$MT_PID" 2>/dev/null; then
			grep -q "^\[pause $n\]" "$MT_OUT" && return 0
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
	true
}

teardown() {
	mt_cleanup
}

mt_dump() {
	echo "--- stdout:"
	cat "$MT_OUT" 2>/dev/null
	echo "--- stderr:"
	cat "$MT_ERR" 2>/dev/null
}

mt_pause_line() {
	grep -m1 "^\[pause $1\]" "$MT_OUT"
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
