# SPDX-License-Identifier: MIT
# tests/mprotect.bats - the mprotect topic (mprotect, guard_page, jit): the
# perms of each region in the test's own read of /proc/PID/maps at every
# pause, and every decoded fault (si_code, address) against the address the
# test computes from the region it found in maps.

load helpers

M=$MT_TOP/mprotect

# The start and end of /proc/PID/maps line LINE, as numbers.
mp_start() {
	local r=${1%% *}
	echo $((16#${r%-*}))
}
mp_end() {
	local r=${1%% *}
	echo $((16#${r#*-}))
}
mp_perms() {
	awk '{ print $2 }' <<<"$1"
}

# The PROT_ names a perms column stands for, as mmap(2) spells them:
# r--p is PROT_READ, rw-p PROT_READ|PROT_WRITE, ---p PROT_NONE.
mp_prot_names() {
	local names=()
	[[ ${1:0:1} == r ]] && names+=(PROT_READ)
	[[ ${1:1:1} == w ]] && names+=(PROT_WRITE)
	[[ ${1:2:1} == x ]] && names+=(PROT_EXEC)
	((${#names[@]})) || names=(PROT_NONE)
	local IFS='|'
	echo "${names[*]}"
}

# The line printed just before "[pause N]" in $MT_OUT.
mp_before_pause() {
	awk -v n="$1" 'index($0, "[pause " n "] ") == 1 { print prev; exit }
		{ prev = $0 }' "$MT_OUT"
}

# The fault lines printed after the Nth "access:" line (1-based) of
# $MT_OUT (or FILE): "CODE ADDR" from "caught: SIGSEGV, si_code CODE (..."
# and "fault address: ADDR", or nothing when it did not fault.
mp_fault() {
	awk -v n="$1" '
		/^access: / { k++; next }
		k == n && /^caught: SIGSEGV, si_code / { c = $4 }
		k == n && /^fault address: / { print c, $3; exit }
		k > n { exit }' "${2:-$MT_OUT}"
}

# The address on the Nth "access:" line, as a number.
mp_access() {
	local a
	a=$(awk -v n="$1" '/^access: / && ++k == n { print $3; exit }' \
		"${2:-$MT_OUT}")
	echo $((a))
}

# --- mprotect -----------------------------------------------------------------

# Reads: "page size:", "region: 0xA-0xB, ...", the five [pause N] lines,
# the "mprotect: PROT_..." line before pauses 2 to 4 (the names of the
# perms the test reads in maps there), "munmap: the second page, 0x...",
# "mprotect at region start + 1:", "read:", and each "access:" line with the
# "caught:" and "fault address:" lines under it.
@test "mprotect: perms change at each pause; every fault decoded exactly" {
	local ps start end line i perms=(rw-p r--p ---p rw-p)
	ps=$(mt_pagesize)
	mt_start "$M/mprotect"
	mt_wait_pause 1
	[[ $(mt_out_field 'page size') == "$ps" ]]
	line=$(mt_out_field region)
	[[ $line == 0x*-0x*", $((2 * ps)) ("*"), 2 pages" ]]
	start=$((${line%%-*}))
	end=${line#*-}
	end=$((${end%%,*}))
	((end == start + 2 * ps))
	for i in 1 2 3 4; do
		((i == 1)) || mt_wait_pause "$i"
		# The region's own maps line, read by the test: it starts at
		# the printed start (a neighbour above with the same perms may
		# merge with it, so its end can be higher).
		line=$(mt_maps_line "$MT_PID" "$start")
		[[ $(mp_start "$line") == "$start" ]]
		(($(mp_end "$line") >= end))
		[[ $(mp_perms "$line") == "${perms[i - 1]}" ]]
		[[ $(mt_maps_line "$MT_PID" $((end - 1))) == "$line" ]]
		if ((i > 1)); then
			# The call just made, named as the perms it gave.
			[[ $(mp_before_pause "$i") == "mprotect: $(mp_prot_names "$(mp_perms "$line")")" ]]
			[[ $(mt_pause_line "$i") == *": the region is now $(mp_perms "$line"); try: "* ]]
		fi
		mt_try "$i"
		[[ ${lines[0]} == "$(printf '%x' "$start")-"*" ${perms[i - 1]} "* ]]
		mt_resume
	done
	# Pause 5: the second page is unmapped; the first stays, one page.
	mt_wait_pause 5
	line=$(mt_maps_line "$MT_PID" "$start")
	(($(mp_end "$line") == start + ps))
	# The page that went: from the end of what is left to the old end.
	[[ $(mp_before_pause 5) == "munmap: the second page, $(mt_hex "$(mp_end "$line")")" ]]
	mt_maps_line "$MT_PID" $((start + ps)) 2>/dev/null && false
	mt_try 5
	[[ $output == "$(printf '%x-%x' "$start" $((start + ps))) rw-p "* ]]
	mt_finish
	((MT_STATUS == 0))
	grep -qx 'mprotect at region start + 1: Invalid argument (not page-aligned)' "$MT_OUT"
	[[ $(grep -c '^read: "hello, protection"' "$MT_OUT") == 2 ]]
	# The accesses and their faults, against the maps start.
	(($(mp_access 1) == start + ps + 4))
	grep -q "^access: write .* (region start + $((ps + 4)))\$" "$MT_OUT"
	[[ $(mp_fault 1) == "2 $(mt_hex $((start + ps + 4)))" ]]
	(($(mp_access 2) == start + 100))
	grep -q "^access: read .* (region start + 100)\$" "$MT_OUT"
	[[ $(mp_fault 2) == "2 $(mt_hex $((start + 100)))" ]]
	(($(mp_access 3) == start + ps + 200))
	grep -q "^access: read .* (region start + $((ps + 200)))\$" "$MT_OUT"
	[[ $(mp_fault 3) == "1 $(mt_hex $((start + ps + 200)))" ]]
	grep -q '^caught: SIGSEGV, si_code 2 (SEGV_ACCERR: ' "$MT_OUT"
	grep -q '^caught: SIGSEGV, si_code 1 (SEGV_MAPERR: ' "$MT_OUT"
	! grep -q '^no fault' "$MT_OUT" || false
}

# Reads the last "access:" line and the "caught:" and "fault address:" lines
# under it: on x86_64 a general-protection fault, si_code SI_KERNEL (128),
# address 0.
@test "mprotect: a non-canonical address gives SI_KERNEL and address 0" {
	mt_run 0 "$M/mprotect"
	grep -qx 'access: read 0x8000000000000000 (non-canonical)' <<<"$output"
	if [[ $(uname -m) != x86_64 ]]; then
		grep -q '^note: this machine is not x86_64' <<<"$output"
		skip "SI_KERNEL for a non-canonical address is x86_64's"
	fi
	[[ $(mp_fault 4 <(echo "$output")) == "128 0x0" ]]
	grep -q '^caught: SIGSEGV, si_code 128 (SI_KERNEL: ' <<<"$output"
	grep -q '^note: a general-protection fault' <<<"$output"
}

# Reads the exit status and the last lines: the first forbidden access
# (the write to r--p) is the last thing printed.
@test "mprotect --no-handler: the kernel kills it at the first fault" {
	mt_run 139 bash -c 'ulimit -c 0; "$0" --no-handler' "$M/mprotect"
	[[ ${lines[-1]} == "access: write "*" (region start + "* ]]
	[[ $output != *caught* ]]
}

@test "mprotect: common behaviour" {
	mt_common_checks "$M/mprotect"
	mt_run 2 "$M/mprotect" extra
	[[ $stderr == "mprotect: unexpected argument 'extra'"* ]]
}

# --- guard_page ---------------------------------------------------------------

# Reads "page size:", the "a:", "b:", "guard:" lines of both parts, "b
# before:", "b after:", "writing:", "bytes written:", "caught:", "fault
# address:" and the two pauses.
@test "guard_page: without a guard b is corrupted; with one the fault is at its first byte" {
	local ps a b g line n=16
	ps=$(mt_pagesize)
	mt_start "$M/guard_page"
	mt_wait_pause 1
	a=$(($(mt_out_field a | cut -d- -f1)))
	b=$(($(mt_out_field b | cut -d- -f1)))
	((b == a + ps))
	# a and b: one rw-p mapping (the test's read of maps), a its first
	# page, b its second (a neighbour above with the same perms may
	# merge with it: the maps end may be higher than b's).
	line=$(mt_maps_line "$MT_PID" "$a")
	[[ $(mp_perms "$line") == rw-p && $(mp_start "$line") == "$a" ]]
	(($(mp_end "$line") >= b + ps))
	[[ $(mt_maps_line "$MT_PID" $((b + ps - 1))) == "$line" ]]
	[[ $(mt_out_field a) == "$(mt_hex "$a")-$(mt_hex "$b")" ]]
	[[ $(mt_out_field b) == "$(mt_hex "$b")-$(mt_hex $((b + ps)))" ]]
	mt_try 1
	[[ $output == "$(printf '%x' "$a")-"*" rw-p "* ]]
	mt_resume
	mt_wait_pause 2
	a=$(($(sed -n 's/^a: //p' "$MT_OUT" | tail -n1 | cut -d- -f1)))
	b=$(($(sed -n 's/^b: //p' "$MT_OUT" | tail -n1 | cut -d- -f1)))
	g=$(($(mt_out_field guard | cut -d- -f1)))
	# Each printed range against maps: a ends where its rw-p line ends
	# (the guard's start), the guard's ---p line is exactly its range, b
	# is one page from the start of its rw-p line.
	line=$(mt_maps_line "$MT_PID" "$a")
	[[ $(sed -n 's/^a: //p' "$MT_OUT" | tail -n1) == \
		"$(mt_hex "$a")-$(mt_hex "$(mp_end "$line")")" ]]
	line=$(mt_maps_line "$MT_PID" "$g")
	[[ $(mt_out_field guard) == \
		"$(mt_hex "$(mp_start "$line")")-$(mt_hex "$(mp_end "$line")")" ]]
	line=$(mt_maps_line "$MT_PID" "$b")
	[[ $(sed -n 's/^b: //p' "$MT_OUT" | tail -n1) == \
		"$(mt_hex "$(mp_start "$line")")-$(mt_hex $((b + ps)))" ]]
	[[ $(mt_maps_line "$MT_PID" $((b + ps - 1))) == "$line" ]]
	# The guard as the kernel sees it: a ---p mapping of one page
	# between a (rw-p) and b (rw-p).
	line=$(mt_maps_line "$MT_PID" "$g")
	[[ $(mp_perms "$line") == ---p ]]
	(($(mp_start "$line") == a + ps && $(mp_end "$line") == b))
	((b == g + ps))
	[[ $(mp_perms "$(mt_maps_line "$MT_PID" "$a")") == rw-p ]]
	(($(mp_end "$(mt_maps_line "$MT_PID" "$a")") == g))
	[[ $(mp_perms "$(mt_maps_line "$MT_PID" "$b")") == rw-p ]]
	(($(mp_start "$(mt_maps_line "$MT_PID" "$b")") == b))
	mt_try 2
	[[ $(awk '{ printf "%s ", $2 }' <<<"$output") == "rw-p ---p rw-p " ]]
	[[ ${lines[1]} == "$(printf '%x-%x' "$g" "$b") ---p "* ]]
	mt_finish
	((MT_STATUS == 0))
	[[ $(mt_out_field 'page size') == "$ps" ]]
	# Part 1: all ps + 16 bytes written, b's first 16 bytes are 'A'.
	[[ $(grep -c "^writing: $((ps + n)) bytes into a, $n past its end\$" \
		"$MT_OUT") == 2 ]]
	[[ $(sed -n 's/^bytes written: //p' "$MT_OUT") == "$((ps + n))"$'\n'"$ps" ]]
	[[ $(sed -n 's/^b after: //p' "$MT_OUT" | head -n1) == \
		"\"AAAAAAAAAAAAAAAAbody else's\"" ]]
	grep -qx "corrupted: the first $n bytes of b, and no signal" "$MT_OUT"
	# Part 2: the fault is at the guard's first byte, the ---p start.
	[[ $(grep -c '^caught:' "$MT_OUT") == 1 ]]
	grep -qx 'caught: SIGSEGV, si_code 2 (SEGV_ACCERR: mapped, access not allowed)' "$MT_OUT"
	[[ $(mt_out_field 'fault address') == "$(mt_hex "$g")" ]]
	[[ $(sed -n 's/^b after: //p' "$MT_OUT" | tail -n1) == \
		"\"b's own data, nobody else's\"" ]]
}

# Reads "writing:", "bytes written:" and "b after:" of part 1.
@test "guard_page -n 5: five bytes of b corrupted" {
	mt_run 0 "$M/guard_page" -n 5
	[[ $(grep -m1 '^b after:' <<<"$output") == \
		"b after: \"AAAAAwn data, nobody else's\"" ]]
	grep -qx 'corrupted: the first 5 bytes of b, and no signal' <<<"$output"
	mt_run 2 "$M/guard_page" -n 33
	[[ $stderr == "guard_page: -n: bad number '33' (1 to 32)"* ]]
}

# Reads the exit status and "writing:": part 2's overrun is the last line.
@test "guard_page --no-handler: the guard kills it" {
	mt_run 139 bash -c 'ulimit -c 0; "$0" --no-handler' "$M/guard_page"
	[[ $(grep -c '^writing:' <<<"$output") == 2 ]]
	[[ ${lines[-1]} == "writing: "* && $output != *caught* ]]
}

@test "guard_page: common behaviour" {
	mt_common_checks "$M/guard_page"
}

# --- jit ----------------------------------------------------------------------

# Reads "code: 0xA-0xB", "machine code:", the two pauses, the "mprotect:
# PROT_..." line before pause 2 (the names of the perms the test reads in
# maps there), each "access:" line with its "caught:" and "fault address:"
# lines, and "result:".
@test "jit: rw-p, then r-xp; calling before and writing after fault" {
	local ps c line bytes
	case $(uname -m) in
	x86_64) bytes='8d 04 37 c3' ;;
	aarch64) bytes='00 00 01 0b c0 03 5f d6' ;;
	*)
		mt_run 1 "$M/jit"
		[[ $stderr == "jit: this program holds machine code for x86_64 and aarch64 only"* ]]
		skip "no machine code for $(uname -m)"
		;;
	esac
	ps=$(mt_pagesize)
	mt_start "$M/jit" -a 1000 -b 234
	mt_wait_pause 1
	c=$(($(mt_out_field code | cut -d- -f1)))
	line=$(mt_maps_line "$MT_PID" "$c")
	[[ $(mp_perms "$line") == rw-p && $(mp_start "$line") == "$c" ]]
	[[ $(mt_out_field code) == "$(printf '0x%x-0x%x' "$c" $((c + ps)))" ]]
	[[ $(mt_out_field 'machine code') == "$bytes ("* ]]
	mt_try 1
	[[ $output == "$(printf '%x' "$c")-"*" rw-p "* ]]
	mt_resume
	mt_wait_pause 2
	line=$(mt_maps_line "$MT_PID" "$c")
	[[ $(mp_perms "$line") == r-xp && $(mp_start "$line") == "$c" ]]
	[[ $(mp_before_pause 2) == "mprotect: $(mp_prot_names "$(mp_perms "$line")")" ]]
	mt_try 2
	[[ $output == "$(printf '%x-%x' "$c" $((c + ps))) r-xp "* ]]
	mt_finish
	((MT_STATUS == 0))
	# Executing before the mprotect: instruction fetch from the start.
	(($(mp_access 1) == c))
	[[ $(mp_fault 1) == "2 $(mt_hex "$c")" ]]
	# After it the call runs; the result is a + b.
	(($(mp_access 2) == c))
	[[ -z $(mp_fault 2) ]]
	[[ $(mt_out_field result) == "1000 + 234 = 1234" ]]
	# Writing after it faults at the page.
	grep -q "^access: write $(mt_hex "$c") after mprotect\$" "$MT_OUT"
	[[ $(mp_fault 3) == "2 $(mt_hex "$c")" ]]
	[[ $(grep -c '^caught: SIGSEGV, si_code 2 (SEGV_ACCERR' "$MT_OUT") == 2 ]]
	[[ $MT_OUT != *"no fault"* ]]
	! grep -q '^no fault' "$MT_OUT" || false
}

# Reads "result:" for the defaults and the limits of -a/-b.
@test "jit: defaults add 40 and 2; -a/-b strict" {
	[[ $(uname -m) == x86_64 || $(uname -m) == aarch64 ]] ||
		skip "no machine code for $(uname -m)"
	mt_run 0 "$M/jit"
	[[ $(grep '^result:' <<<"$output") == "result: 40 + 2 = 42" ]]
	mt_run 0 "$M/jit" -a 1000000 -b 0
	[[ $(grep '^result:' <<<"$output") == "result: 1000000 + 0 = 1000000" ]]
	mt_run 2 "$M/jit" -a 1000001
	[[ $stderr == "jit: -a: bad number '1000001' (0 to 1000000)"* ]]
}

# Reads the exit status and the last line: the call before the mprotect.
@test "jit --no-handler: executing the rw-p page kills it" {
	[[ $(uname -m) == x86_64 || $(uname -m) == aarch64 ]] ||
		skip "no machine code for $(uname -m)"
	mt_run 139 bash -c 'ulimit -c 0; "$0" --no-handler' "$M/jit"
	[[ ${lines[-1]} == "access: call "*" before mprotect (not executable)" ]]
}

@test "jit: common behaviour" {
	mt_common_checks "$M/jit"
}
