# SPDX-License-Identifier: MIT
# tests/pagemap.bats - pagemap/pagetable, peek, soft_dirty and addrsplit
# against the test's own reads of /proc/PID/pagemap (dd | od, through
# mt_pagemap), /proc/PID/maps and smaps, /proc/kpageflags and kpagecount
# (root), /proc/cpuinfo and shell arithmetic, made while the program is
# paused. Every test holds where frame numbers are visible (root) and where
# the kernel hides them (an ordinary user, or root of a user namespace:
# `unshare -Ur`): then the explanation is checked instead.

load helpers

PT=$MT_TOP/pagemap/pagetable
PK=$MT_TOP/pagemap/peek
SD=$MT_TOP/pagemap/soft_dirty
AS=$MT_TOP/pagemap/addrsplit

# Never leave a program behind: a second instance or a target process.
teardown() {
	mt_cleanup
	local p
	for p in ${PM_KILL:-}; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	true
}

# --- small tools -------------------------------------------------------------

# Frame numbers visible to the programs this test runs: decided by the
# kernel's answer, not by the uid (root of a user namespace reads 0 too).
# The test's own read (dd, run like the programs) of a page known present:
# the top page of this shell's stack, which holds its environment.
pm_pfns_visible() {
	local hi e
	hi=$(mt_maps_named $$ '[stack]')
	hi=${hi%% *}
	hi=$((16#${hi#*-}))
	e=$(mt_pagemap $$ $((hi - $(mt_pagesize)))) || return 1
	if ! pm_has "$e" 63; then
		echo "the top page of the test's stack is not present" >&2
		return 1
	fi
	(((e & ((1 << 55) - 1)) != 0))
}

# True when `unshare -Ur` works here and its root reads frame numbers as 0
# (the test's own read, inside: the top page of that shell's stack).
pm_userns_hidden() {
	local e
	# shellcheck disable=SC2016 # expanded by the inner shell
	e=$(unshare -Ur bash -c 'hi=$(grep -F "[stack]" /proc/$$/maps)
		hi=${hi%% *}; hi=$((16#${hi#*-}))
		dd if=/proc/$$/pagemap bs=8 count=1 \
			skip=$((hi / $(getconf PAGESIZE) - 1)) 2>/dev/null |
			od -An -tx8' 2>/dev/null) || return 1
	e=0x${e// /}
	[[ $e != 0x ]] && pm_has "$e" 63 && (((e & ((1 << 55) - 1)) == 0))
}

# Bit N of a 0x... number, as an exit status (true when set).
pm_has() { (((($1) >> $2) & 1)); }

# The rows of pagetable's tables in FILE (default $MT_OUT), without a fork
# each: "%-14s %7d 0x%016x present exclusive file pfn" go into ROW_PID,
# ROW_E, ROW_PRES, ROW_EXCL, ROW_FILE, ROW_PFN, by label.
pm_load() {
	local line label re='^ *([0-9]+) (0x[0-9a-f]{16}) (yes|no) +(yes|no) +(yes|no) +(.*)$'
	declare -gA ROW_PID=() ROW_E=() ROW_PRES=() ROW_EXCL=() ROW_FILE=() ROW_PFN=()
	while IFS= read -r line; do
		[[ ${line:15} =~ $re ]] || continue
		label=${line:0:14}
		label=${label%"${label##*[! ]}"}
		ROW_PID[$label]=${BASH_REMATCH[1]}
		ROW_E[$label]=${BASH_REMATCH[2]}
		ROW_PRES[$label]=${BASH_REMATCH[3]}
		ROW_EXCL[$label]=${BASH_REMATCH[4]}
		ROW_FILE[$label]=${BASH_REMATCH[5]}
		ROW_PFN[$label]=${BASH_REMATCH[6]}
	done <"${1:-$MT_OUT}"
}

# The frame number of entry E as the programs print it (0x.., hidden or
# -), in REPLY.
pm_pfn() {
	local pfn=$((($1) & ((1 << 55) - 1)))
	if ! pm_has "$1" 63; then
		REPLY=-
	elif ((pfn == 0)); then
		REPLY=hidden
	else
		printf -v REPLY '0x%x' "$pfn"
	fi
}

# N raw entries from the page of ADDR in PID, one 0x... a line.
pm_entries() {
	local ps
	ps=$(mt_pagesize)
	dd if="/proc/$1/pagemap" bs=8 skip=$(($2 / ps)) count="$3" \
		2>/dev/null | od -v -An -tx8 -w8 | sed 's/^ */0x/'
}

# 8 bytes of a /proc/kpage* file at index PFN, as a decimal number.
pm_kword() {
	local v
	v=$(dd if="$1" bs=8 skip=$(($2)) count=1 2>/dev/null | od -An -tu8)
	echo $((v))
}

# The output of `try:` (od lines) as 0x... entries, one a line.
pm_try_entries() {
	local l
	for l in "${lines[@]}"; do
		l=${l// /}
		[[ -n $l ]] && echo "0x$l"
	done
}

# Start a second instance beside the first: the first's driver state is
# kept in PM_A_* and given back by pm_back.
pm_second() {
	PM_A_PID=$MT_PID PM_A_FD=$MT_FD PM_A_OUT=$MT_OUT
	PM_KILL="${PM_KILL:-} $MT_PID"
	mt_start "$@"
}

pm_back() {
	mt_finish
	MT_PID=$PM_A_PID MT_FD=$PM_A_FD MT_OUT=$PM_A_OUT
}

# Go on from pause 1 to pause N (each resumed but the last).
pm_to_pause() {
	local i
	for ((i = 1; i < $1; i++)); do
		mt_wait_pause "$i"
		mt_resume
	done
	mt_wait_pause "$1"
}

# Every line of FILE under 80 columns, pause lines aside (their commands).
pm_narrow() {
	local long
	long=$(grep -v '^\[pause ' "$1" | awk 'length > 79')
	[[ -z $long ]] || { echo "lines over 79 columns: $long" >&2; false; }
}

# ============================================================================
# pagemap/pagetable
# ============================================================================

@test "pagetable: help, usage errors, write errors, closed stdin" {
	mt_common_checks "$PT"
	mt_run 2 "$PT" extra
	[[ $stderr == "pagetable: unexpected argument 'extra'"* ]]
}

# Parses: "page size:", "page:", "page number:", "offset in pagemap:", the
# "untouched", "read", "read (next)" and "written" rows, the "zero page:" or
# "no zero page:" line, the "field by field" block, pauses 1-3 and their
# try: commands.
@test "pagetable: untouched, read, written: entries equal pagemap" {
	local ps page e pid e2 pfn
	ps=$(mt_pagesize)
	mt_start "$PT"
	mt_wait_pause 1
	pid=$MT_PID
	[[ $(mt_out_field "page size") == "$ps" ]]
	page=$(mt_out_field page)
	[[ $page == *" (private anonymous)" ]]
	page=${page%% *}
	[[ $(mt_maps_line "$pid" "$page") == *" rw-p "* ]]
	(((page % ps) == 0))
	[[ $(mt_out_field "page number") == "$((page / ps)) (address / page size)" ]]
	[[ $(mt_out_field "offset in pagemap") == "$((page / ps * 8)) (page number * 8)" ]]
	# untouched: not present, the entry the program printed is pagemap's.
	e=$(mt_pagemap "$pid" "$page")
	pm_load
	[[ ${ROW_E[untouched]} == "$e" ]]
	! pm_has "$e" 63 || false
	[[ ${ROW_PID[untouched]} == "$pid" && ${ROW_PRES[untouched]} == no ]]
	[[ ${ROW_PFN[untouched]} == - ]]
	mt_try 1
	[[ $(pm_try_entries) == "$e" ]]
	mt_resume
	mt_wait_pause 2
	e=$(mt_pagemap "$pid" "$page")
	e2=$(mt_pagemap "$pid" $((page + ps)))
	pm_load
	[[ ${ROW_E[read]} == "$e" && ${ROW_E["read (next)"]} == "$e2" ]]
	pm_pfn "$e"
	[[ ${ROW_PRES[read]} == yes && ${ROW_PFN[read]} == "$REPLY" ]]
	pm_pfn "$e2"
	[[ ${ROW_PFN["read (next)"]} == "$REPLY" && ${ROW_FILE[read]} == no ]]
	mt_try 2
	[[ $(pm_try_entries) == "$e" ]]
	if pm_has "$e" 56; then
		# A kernel without the zero page: each read got its own frame.
		grep -q '^no zero page: this kernel gives each read page a zeroed frame of its own$' "$MT_OUT"
		[[ ${ROW_EXCL[read]} == yes ]]
		# The word of the kernel's command line that says so, if
		# one does (pvm_no_zero_page=1), by the test's own read.
		local word
		word=$(tr ' ' '\n' </proc/cmdline | grep -m1 zero_page) || true
		if [[ -n $word ]]; then
			grep -qxF "  (its command line says so: $word)" "$MT_OUT"
		else
			grep -q 'its command line says so' "$MT_OUT" && false
		fi
		[[ $(mt_pause_line 2) == *"read: each page got a frame of its own;"* ]]
	else
		[[ ${ROW_EXCL[read]} == no ]]
		[[ $(mt_pause_line 2) == *"read: both pages map the zero page;"* ]]
		if pm_pfns_visible; then
			pm_pfn "$e"
			[[ $e == "$e2" ]]
			grep -q "^zero page: pfn $REPLY, the same for both pages read$" "$MT_OUT"
		else
			grep -q '^zero page: present, not exclusive, no file$' "$MT_OUT"
		fi
	fi
	mt_resume
	mt_wait_pause 3
	e=$(mt_pagemap "$pid" "$page")
	pm_load
	pm_pfn "$e"
	[[ ${ROW_E[written]} == "$e" && ${ROW_PFN[written]} == "$REPLY" ]]
	[[ ${ROW_PRES[written]} == yes && ${ROW_EXCL[written]} == yes ]]
	mt_try 3
	[[ $(pm_try_entries) == "$e" ]]
	# The block decodes the same entry, bit by bit.
	grep -q "^the entry of $page, field by field:$" "$MT_OUT"
	[[ $(mt_out_field "  raw entry") == "$e" ]]
	[[ $(mt_out_field "  present (bit 63)") == $(((e >> 63) & 1)) ]]
	[[ $(mt_out_field "  swapped (bit 62)") == $(((e >> 62) & 1)) ]]
	[[ $(mt_out_field "  file page or shared anonymous (bit 61)") == $(((e >> 61) & 1)) ]]
	[[ $(mt_out_field "  exclusively mapped (bit 56)") == $(((e >> 56) & 1)) ]]
	[[ $(mt_out_field "  soft-dirty (bit 55)") == $(((e >> 55) & 1)) ]]
	if pm_pfns_visible; then
		pfn=$((e & ((1 << 55) - 1)))
		((pfn != 0))
		[[ $(mt_out_field "  page frame number (bits 0-54)") == "$(mt_hex "$pfn")" ]]
		[[ $(mt_out_field "  physical address") == "$(mt_hex $((pfn * ps))) (pfn * page size + 0x0)" ]]
	else
		[[ $(mt_out_field "  page frame number (bits 0-54)") == "0 (hidden)" ]]
		[[ -z $(mt_out_field "  physical address") ]]
	fi
	mt_finish
	((MT_STATUS == 0))
	pm_narrow "$MT_OUT"
}

# Parses: the "fork: parent/child", "CoW: parent/child" and "shared:
# parent/child" rows, the "written" row, pauses 4-6 and their try: commands.
@test "pagetable: fork shares the frame, the child's write copies it" {
	local ps page pid kid ep ec wr shared pw
	ps=$(mt_pagesize)
	mt_start "$PT"
	pm_to_pause 4
	pid=$MT_PID
	page=$(mt_out_field page)
	page=${page%% *}
	pm_load
	kid=${ROW_PID["fork: child"]}
	[[ ${ROW_PID["fork: parent"]} == "$pid" && $kid != "$pid" ]]
	[[ $(awk '{ print $4 }' "/proc/$kid/stat") == "$pid" ]]
	ep=$(mt_pagemap "$pid" "$page")
	ec=$(mt_pagemap "$kid" "$page")
	[[ ${ROW_E["fork: parent"]} == "$ep" && ${ROW_E["fork: child"]} == "$ec" ]]
	# After fork: both present, neither exclusive, one frame.
	pm_has "$ep" 63
	pm_has "$ec" 63
	pm_has "$ep" 56 && false
	pm_has "$ec" 56 && false
	[[ ${ROW_EXCL["fork: parent"]} == no && ${ROW_EXCL["fork: child"]} == no ]]
	wr=${ROW_E[written]}
	pm_has "$wr" 56
	pm_pfn "$wr"
	pw=$REPLY
	if pm_pfns_visible; then
		pm_pfn "$ep"
		[[ $ep == "$ec" && $REPLY == "$pw" && ${ROW_PFN["fork: child"]} == "$pw" ]]
	fi
	mt_try 4
	[[ $(pm_try_entries) == "$ep"$'\n'"$ec" ]]
	[[ $(mt_pause_line 4) == *"for p in $pid $kid; do dd "* ]]
	mt_resume
	mt_wait_pause 5
	ep=$(mt_pagemap "$pid" "$page")
	ec=$(mt_pagemap "$kid" "$page")
	pm_load
	[[ ${ROW_E["CoW: parent"]} == "$ep" && ${ROW_E["CoW: child"]} == "$ec" ]]
	# The child wrote: both exclusive again.
	pm_has "$ep" 56
	pm_has "$ec" 56
	[[ ${ROW_EXCL["CoW: parent"]} == yes && ${ROW_EXCL["CoW: child"]} == yes ]]
	[[ ${ROW_PID["CoW: child"]} == "$kid" ]]
	if pm_pfns_visible; then
		# The child got a new frame, the parent kept the old one.
		pm_pfn "$ep"
		[[ $REPLY == "$pw" && ${ROW_PFN["CoW: parent"]} == "$pw" ]]
		pm_pfn "$ec"
		[[ $REPLY != "$pw" && ${ROW_PFN["CoW: child"]} == "$REPLY" ]]
	fi
	mt_try 5
	[[ $(pm_try_entries) == "$ep"$'\n'"$ec" ]]
	mt_resume
	mt_wait_pause 6
	shared=$(mt_pause_line 6)
	shared=${shared##*skip=}
	shared=$((${shared%% *} * ps))
	[[ $(mt_maps_line "$pid" "$shared") == *" rw-s "* ]]
	ep=$(mt_pagemap "$pid" "$shared")
	ec=$(mt_pagemap "$kid" "$shared")
	pm_load
	[[ ${ROW_E["shared: parent"]} == "$ep" && ${ROW_E["shared: child"]} == "$ec" ]]
	[[ ${ROW_PID["shared: child"]} == "$kid" ]]
	# One frame, mapped twice: bit 61 (shared anonymous), not exclusive.
	pm_has "$ep" 61
	pm_has "$ep" 56 && false
	[[ ${ROW_FILE["shared: parent"]} == yes && ${ROW_EXCL["shared: child"]} == no ]]
	if pm_pfns_visible; then
		[[ $ep == "$ec" ]]
	fi
	mt_try 6
	[[ $(pm_try_entries) == "$ep"$'\n'"$ec" ]]
	mt_finish
	((MT_STATUS == 0))
}

# Parses: the "pfn hidden:" note or the pfn column, which follow what the
# kernel shows (the test's own read), not the uid.
@test "pagetable: frame numbers hidden from ordinary users, and why" {
	mt_run 0 "$PT"
	pm_load <(echo "$output")
	if pm_pfns_visible; then
		[[ $output != *"pfn hidden"* ]]
		[[ ${ROW_PFN[written]} == 0x* ]]
	else
		[[ $output == *"  pfn hidden: the kernel shows frame numbers only to CAP_SYS_ADMIN (root),"* ]]
		[[ ${ROW_PFN[written]} == hidden && ${ROW_PFN["CoW: child"]} == hidden ]]
		# Copy-on-write still shows, through the exclusive bit.
		[[ ${ROW_EXCL["fork: child"]} == no && ${ROW_EXCL["CoW: child"]} == yes ]]
	fi
	# Root of a user namespace has uid 0 there and no CAP_SYS_ADMIN over
	# the kernel: it reads frame 0 too (the test's own read in one), and
	# the program must say so all the same.
	pm_userns_hidden || skip "no user namespace to try here"
	mt_run 0 unshare -Ur "$PT"
	pm_load <(echo "$output")
	[[ ${ROW_PFN[written]} == hidden ]]
	[[ $output == *"  pfn hidden: the kernel shows frame numbers only to CAP_SYS_ADMIN (root),"* ]]
}

# Parses: the "read" row of two separate instances at pause 2.
@test "pagetable: the zero page is one frame in two processes" {
	local e1 e2 p1 page1 page2 pfn1
	mt_start "$PT"
	pm_to_pause 2
	p1=$MT_PID
	page1=$(mt_out_field page)
	e1=$(mt_pagemap "$p1" "${page1%% *}")
	pm_second "$PT"
	pm_to_pause 2
	page2=$(mt_out_field page)
	e2=$(mt_pagemap "$MT_PID" "${page2%% *}")
	pm_load
	[[ ${ROW_E[read]} == "$e2" ]]
	pm_back
	pm_load
	[[ ${ROW_E[read]} == "$e1" ]]
	mt_finish
	if pm_has "$e1" 56; then
		grep -q '^no zero page:' "$MT_OUT"
		skip "this kernel gives each read page a frame of its own"
	fi
	pm_pfns_visible || skip "frame numbers are hidden here"
	pm_pfn "$e1"
	pfn1=$REPLY
	pm_pfn "$e2"
	[[ $pfn1 == "$REPLY" && $REPLY == 0x* ]]
}

# Parses: the "frame flags:" and "frame map count:" lines under every row
# (read, written, fork, CoW, shared), each at the pause after it; the
# explanation when /proc/kpageflags cannot be read.
@test "pagetable --kpageflags: flags and map count from /proc/kpage*" {
	local names=(LOCKED ERROR REFERENCED UPTODATE DIRTY LRU ACTIVE SLAB
		WRITEBACK RECLAIM BUDDY MMAP ANON SWAPCACHE SWAPBACKED
		COMPOUND_HEAD COMPOUND_TAIL HUGE UNEVICTABLE HWPOISON NOPAGE KSM
		THP OFFLINE ZERO_PAGE IDLE PGTABLE)
	if ! dd if=/proc/kpageflags bs=8 count=1 of=/dev/null 2>/dev/null; then
		mt_run 0 "$PT" --kpageflags
		[[ ${lines[0]} == "frame flags: cannot read /proc/kpageflags: "* ]]
		[[ ${lines[1]} == "  it is root's only (CAP_SYS_ADMIN): run as root to see them" ]]
		[[ $output != *"frame map count"* ]]
		return 0
	fi
	if ! pm_pfns_visible; then
		# Readable flags, hidden frames (root of a user namespace):
		# no frame to look up, and the program says why.
		mt_run 0 "$PT" --kpageflags
		[[ $output != *"frame map count"* && $output == *"  pfn hidden: "* ]]
		return 0
	fi
	local ps page shared block e pfn flags want count i got mask label n
	ps=$(mt_pagesize)
	mt_start "$PT" --kpageflags
	mt_wait_pause 1
	page=$(mt_out_field page)
	page=${page%% *}
	# LRU, ACTIVE, REFERENCED and IDLE change as reclaim and the per-CPU
	# LRU batches work, and bits 32 on are the kernel's internal page
	# flags: the other bits are compared.
	mask=$(((1 << 2) | (1 << 5) | (1 << 6) | (1 << 25) | (~0 << 32)))
	for label in read "read (next)" written "fork: parent" "fork: child" \
		"CoW: parent" "CoW: child" "shared: parent" "shared: child"; do
		case $label in
		read) n=2 ;; written) n=3 ;; fork:*) n=4 ;; CoW:*) n=5 ;;
		shared:*) n=6 ;;
		esac
		if ! grep -q "^\[pause $n\]" "$MT_OUT"; then
			mt_resume
			mt_wait_pause "$n"
		fi
		if ((n == 6)); then
			shared=$(mt_pause_line 6)
			shared=${shared##*skip=}
			shared=$((${shared%% *} * ps))
		fi
		pm_load
		# The row is the test's own read at the pause after it.
		case $label in
		"read (next)") e=$(mt_pagemap "${ROW_PID[$label]}" $((page + ps))) ;;
		shared:*) e=$(mt_pagemap "${ROW_PID[$label]}" "$shared") ;;
		*) e=$(mt_pagemap "${ROW_PID[$label]}" "$page") ;;
		esac
		[[ ${ROW_E[$label]} == "$e" ]]
		block=$(awk -v l="$(printf '%-14s ' "$label")" 'index($0, l) == 1 { f = 1; next }
			f && /^  / { print; next } f { exit }' "$MT_OUT")
		pfn=$((e & ((1 << 55) - 1)))
		flags=$(sed -n 's/^  frame flags: \(0x[0-9a-f]*\).*/\1/p' <<<"$block")
		want=$(pm_kword /proc/kpageflags "$pfn")
		(((flags & ~mask) == (want & ~mask)))
		# Each name printed stands for a bit set in the printed word.
		got=" $(grep -v 'map count' <<<"$block" | sed 's/.*frame flags: 0x[0-9a-f]*//' | tr -s ' \n' '  ') "
		for i in "${!names[@]}"; do
			if (((flags >> i) & 1)); then
				[[ $got == *" ${names[$i]} "* ]]
			else
				[[ $got != *" ${names[$i]} "* ]]
			fi
		done
		count=$(sed -n 's/^  frame map count: //p' <<<"$block")
		[[ $count == "$(pm_kword /proc/kpagecount "$pfn")" ]]
		# What the README says of each: the zero page is ZERO_PAGE; a
		# private frame is ANON, mapped once when written, twice after
		# fork, once each after the child's write; the shared page is
		# SWAPBACKED, not ANON, mapped by both.
		case $label in
		read*)
			if pm_has "$e" 56; then
				(((flags >> 12) & 1 && count == 1))
			else
				(((flags >> 24) & 1))
			fi ;;
		written | CoW:*) (((flags >> 12) & 1 && count == 1)) ;;
		fork:*) (((flags >> 12) & 1 && count == 2)) ;;
		shared:*) (((flags >> 14) & 1 && !((flags >> 12) & 1) && count == 2)) ;;
		esac
	done
	mt_finish
	((MT_STATUS == 0))
}

# The explanation printed once when the kernel answers frame 0 for a
# present page.
PT_NOTE=("  pfn hidden: the kernel shows frame numbers only to CAP_SYS_ADMIN (root),"
	"  others read 0 (they help Rowhammer attacks); present and exclusive"
	"  still show every step. Run as root to see the frames.")

# Checks the block pagetable --pid printed (in $MT_TMP/pid) for ADDR of PID,
# line by line, against the test's own reads of /proc/PID/maps and
# /proc/PID/pagemap; the explanation's lines are left out. With a third
# argument "shared", bit 56 is compared no further: see pk_check.
pt_check_pid() {
	local pid=$1 addr=$(($2)) ps block e p mask=0 range perms path name
	local pfn off want pg
	ps=$(mt_pagesize)
	[[ ${3:-} == shared ]] && mask=$((1 << 56))
	block=$(awk -v h="pid $pid, address $(mt_hex "$addr")" '
		$0 == h { f = 1; next } f && /^pid / { exit } f' "$MT_TMP/pid" |
		grep -vxF -e "${PT_NOTE[0]}" -e "${PT_NOTE[1]}" -e "${PT_NOTE[2]}")
	read -r range perms _ _ _ path <<<"$(mt_maps_line "$pid" "$addr")"
	name=${path##*/}
	[[ -n $name ]] || name=anonymous
	e=$(mt_pagemap "$pid" "$addr")
	p=$(sed -n 's/^  raw entry: //p' <<<"$block")
	(((p & ~mask) == (e & ~mask))) || return 1
	e=$p # the same but for bit 56 of a page others map
	pfn=$((e & ((1 << 55) - 1))) off=$((addr % ps)) pg=$((addr / ps))
	want="mapping: $range $perms $name
page number: $pg (address / page size)
offset in pagemap: $((pg * 8)) (page number * 8)

the entry of $(mt_hex "$addr"), field by field:
  raw entry: $e
  present (bit 63): $(((e >> 63) & 1))
  swapped (bit 62): $(((e >> 62) & 1))
  file page or shared anonymous (bit 61): $(((e >> 61) & 1))
  exclusively mapped (bit 56): $(((e >> 56) & 1))
  soft-dirty (bit 55): $(((e >> 55) & 1))"
	if pm_has "$e" 62; then
		want+="
  swap type (bits 0-4): $((pfn & 31))
  swap offset (bits 5-54): $(mt_hex $((pfn >> 5)))"
	elif ((pfn)); then
		want+="
  page frame number (bits 0-54): $(mt_hex "$pfn")
  physical address: $(mt_hex $((pfn * ps + off))) (pfn * page size + $(mt_hex "$off"))"
	elif pm_has "$e" 63; then
		want+="
  page frame number (bits 0-54): 0 (hidden)"
	else
		want+="
  page frame number (bits 0-54): 0 (not present: no frame)"
	fi
	[[ $block == "$want" ]] || {
		printf 'printed:\n%s\nwanted:\n%s\n' "$block" "$want" >&2
		return 1
	}
}

# Parses: every line of each address's block ("pid", "mapping:", "page
# number:", "offset in pagemap:", the field-by-field lines) and the
# "pfn hidden:" explanation. The process read is pagetable itself, paused
# at pause 3 (a written page, a read page), and its text and stack.
@test "pagetable --pid PID ADDR...: every field is pagemap's" {
	local ps page pid txt stack n
	ps=$(mt_pagesize)
	mt_start "$PT"
	pm_to_pause 3
	pid=$MT_PID
	page=$(mt_out_field page)
	page=${page%% *}
	txt=$(awk -v e="$(readlink "/proc/$pid/exe")" '$2 ~ /x/ && $6 == e { print $1; exit }' "/proc/$pid/maps")
	txt=0x${txt%%-*}
	stack=$(mt_maps_named "$pid" '[stack]')
	stack=0x${stack%%-*}
	mt_run 0 "$PT" --pid "$pid" "$(mt_hex $((page + 0x123)))" \
		"${page#0x}" "$(mt_hex $((page + ps)))" "$txt" "$stack"
	[[ ${lines[0]} == "pid $pid, address $(mt_hex $((page + 0x123)))" ]]
	echo "$output" >"$MT_TMP/pid"
	pt_check_pid "$pid" $((page + 0x123))
	pt_check_pid "$pid" "$page"
	pt_check_pid "$pid" $((page + ps))
	pt_check_pid "$pid" "$txt" shared
	pt_check_pid "$pid" "$stack"
	[[ $(grep -c '^pid ' <<<"$output") == 5 ]]
	# The written page: present, exclusive, its frame (or hidden).
	pm_has "$(mt_pagemap "$pid" "$page")" 56
	n=$(grep -cxF "${PT_NOTE[0]}" <<<"$output") || true
	if pm_pfns_visible; then
		((n == 0))
		[[ $output == *"  physical address: "* ]]
	else
		((n == 1))
		[[ $output == *"${PT_NOTE[0]}"$'\n'"${PT_NOTE[1]}"$'\n'"${PT_NOTE[2]}"* ]]
	fi
	pm_narrow "$MT_TMP/pid"
	# --kpageflags: the written frame's map count is kpagecount's.
	if pm_pfns_visible && dd if=/proc/kpageflags bs=8 count=1 of=/dev/null 2>/dev/null; then
		mt_run 0 "$PT" --pid "$pid" --kpageflags "$page"
		n=$(($(mt_pagemap "$pid" "$page") & ((1 << 55) - 1)))
		[[ $output == *$'\n'"  frame map count: $(pm_kword /proc/kpagecount "$n")"* ]]
	fi
	mt_finish
	((MT_STATUS == 0))
}

# A process this user may not read, in PM_UNREADABLE (or empty): another
# user's (as root, one root may not read either, when there is one).
pm_unreadable() {
	local p
	PM_UNREADABLE=
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ -e /proc/$p/pagemap ]] || continue
		dd if="/proc/$p/pagemap" bs=8 count=1 of=/dev/null 2>/dev/null && continue
		[[ -e /proc/$p ]] && PM_UNREADABLE=$p && return 0
	done
}

# Parses: the error message on stderr, the exit status, stdout empty.
@test "pagetable --pid: missing, unreadable, unmapped and bad addresses" {
	local gone bad
	sleep 0 &
	gone=$!
	wait "$gone"
	if [[ ! -e /proc/$gone ]]; then
		mt_run 1 "$PT" --pid "$gone" 1000
		[[ $stderr == "pagetable: no process $gone" && $output == "" ]]
	fi
	pm_unreadable
	if [[ -n $PM_UNREADABLE ]]; then
		mt_run 1 "$PT" --pid "$PM_UNREADABLE" 1000
		[[ $stderr == "pagetable: /proc/$PM_UNREADABLE/pagemap: Permission denied: only its owner or root may read it" ]]
		[[ $output == "" ]]
	fi
	pk_target
	if ! mt_maps_line "$PK_T" 0x1000 2>/dev/null; then
		# Unmapped, even after a good one: nothing printed.
		mt_run 1 "$PT" --pid "$PK_T" "$(mt_maps_named "$PK_T" '[stack]' | cut -d- -f1)" 0x1000
		[[ $stderr == "pagetable: 0x1000 is not mapped in pid $PK_T (see /proc/$PK_T/maps)" ]]
		[[ $output == "" ]]
	fi
	# [vsyscall] is mapped but above user space: pagemap has no entry.
	if grep -q '^ffffffffff600000-.*\[vsyscall\]$' "/proc/$PK_T/maps"; then
		mt_run 1 "$PT" --pid "$PK_T" ffffffffff600000
		[[ $stderr == "pagetable: 0xffffffffff600000 is past the end of pagemap: it covers user space only" ]]
	fi
	for bad in zz 0x 0x12g 12345678901234567 ''; do
		mt_run 2 "$PT" --pid "$PK_T" "$bad"
		[[ $stderr == "pagetable: bad address '$bad' (hex, as /proc/PID/maps shows it)"$'\n'"usage: pagetable "* ]]
		[[ $output == "" ]]
	done
	mt_run 2 "$PT" --pid "$PK_T"
	[[ $stderr == "pagetable: --pid needs addresses or --range"$'\n'"usage: pagetable "* ]]
	mt_run 2 "$PT" --pid 0 1000
	[[ $stderr == "pagetable: --pid: bad number '0' "* ]]
	mt_run 2 "$PT" --pid "$PK_T" --range 1000 2000 3000
	[[ $stderr == "pagetable: --range needs START END or a mapping name"$'\n'* ]]
	mt_run 2 "$PT" --pid "$PK_T" --range zz 2000
	[[ $stderr == "pagetable: bad address 'zz' (hex, as /proc/PID/maps shows it)"$'\n'* ]]
	mt_run 2 "$PT" --soft-dirty --pid "$PK_T"
	[[ $stderr == "pagetable: --soft-dirty takes no other option or argument"$'\n'* ]]
	[[ -n $PM_UNREADABLE ]] || skip "no process here this user may not read"
}

# Parses: the first line ("--range is pagemap/peek's lesson: running it",
# and the same for --soft-dirty), then the sibling's own output: the same
# as running it, and its counts the test's own; the error when the
# sibling is not beside pagetable.
@test "pagetable --range and --soft-dirty: run peek and soft_dirty" {
	local ps lo hi own map
	ps=$(mt_pagesize)
	pk_target
	kill -STOP "$PK_T" # nothing changes while all read
	mt_run 0 "$PK" --pid "$PK_T" --range '[stack]'
	map=$output
	mt_run 0 "$PT" --pid "$PK_T" --range '[stack]'
	[[ $output == "--range is pagemap/peek's lesson: running it"$'\n\n'"$map" ]]
	read -r lo hi < <(mt_maps_named "$PK_T" '[stack]' | awk '{ split($1, r, "-"); print r[1], r[2] }')
	lo=$((16#$lo)) hi=$((16#$hi))
	own=$(pk_own_map "$PK_T" "$lo" $(((hi - lo) / ps)))
	map=$(grep '^0x[0-9a-f]* [#.s]*$' <<<"$output" | awk '{ printf "%s", $2 }')
	[[ "$map ${lines[-2]#present: } ${lines[-1]#swapped: }" == "$own" ]]
	# START END
	mt_run 0 "$PT" --pid "$PK_T" --range "$(mt_hex $((hi - 2 * ps)))" "$(mt_hex "$hi")"
	[[ ${lines[0]} == "--range is pagemap/peek's lesson: running it" ]]
	[[ ${lines[2]} == "range: $(mt_hex $((hi - 2 * ps)))-$(mt_hex "$hi") (2 pages)" ]]
	own=$(pk_own_map "$PK_T" $((hi - 2 * ps)) 2)
	[[ "$(grep '^0x' <<<"$output" | awk '{ print $2 }') ${lines[-2]#present: } ${lines[-1]#swapped: }" == "$own" ]]
	# --soft-dirty: soft_dirty itself runs, in the same process, pauses
	# and all; its first row is the test's own read.
	mt_start "$PT" --soft-dirty
	mt_wait_pause 1
	[[ $(readlink "/proc/$MT_PID/exe") == "$(cd "$MT_TOP/pagemap" && pwd -P)/soft_dirty" ]]
	[[ $(head -n 1 "$MT_OUT") == "--soft-dirty is pagemap/soft_dirty's lesson: running it" ]]
	local region
	region=$(mt_out_field region)
	region=${region%%,*}
	[[ $(sd_row "wrote every page") == "$(sd_own "$MT_PID" "$region" 16)" ]]
	mt_finish
	((MT_STATUS == 0))
	grep -q '^written since the clear: 5 pages: 1 4 7 10 13$' "$MT_OUT"
	# Without its sibling beside it: a clear message, exit 1.
	cp "$PT" "$MT_TMP/pagetable"
	mt_run 1 "$MT_TMP/pagetable" --soft-dirty
	[[ $stderr == "pagetable: soft_dirty shows this, but $MT_TMP/soft_dirty cannot run (build it: make pagemap/soft_dirty): No such file or directory" ]]
	[[ $output == "" ]]
	mt_run 1 "$MT_TMP/pagetable" --pid "$PK_T" --range '[stack]'
	[[ $stderr == "pagetable: peek shows this, but $MT_TMP/peek cannot run (build it: make pagemap/peek): No such file or directory" ]]
}

# ============================================================================
# pagemap/peek
# ============================================================================

@test "peek: help, usage errors, write errors, closed stdin" {
	mt_common_checks "$PK"
	mt_run 2 "$PK" --pid 1
	[[ $stderr == "peek: --pid needs addresses or --range"* ]]
	mt_run 2 "$PK" --range
	[[ $stderr == "peek: --range needs START END or a mapping name"* ]]
	mt_run 2 "$PK" --pid 0 1000
	[[ $stderr == "peek: --pid: bad number '0' "* ]]
}

# The rows of peek's table in FILE (default $MT_OUT): "%-13s 0x%-14x
# 0x%016x flags pfn" go into PK_A (address), PK_E, PK_F, PK_PFN by label.
pk_load() {
	local line label re='^(0x[0-9a-f]+) +(0x[0-9a-f]{16}) ([-psfxd]{5}) (.*)$'
	declare -gA PK_A=() PK_E=() PK_F=() PK_PFN=()
	while IFS= read -r line; do
		[[ ${line:14} =~ $re ]] || continue
		label=${line:0:13}
		label=${label%"${label##*[! ]}"}
		PK_A[$label]=${BASH_REMATCH[1]}
		PK_E[$label]=${BASH_REMATCH[2]}
		PK_F[$label]=${BASH_REMATCH[3]}
		PK_PFN[$label]=${BASH_REMATCH[4]}
	done <"${1:-$MT_OUT}"
}

# The flags column for entry E (p s f x d, '-' when clear), in REPLY.
pk_flags() {
	local b
	REPLY=
	for b in 63:p 62:s 61:f 56:x 55:d; do
		if pm_has "$1" "${b%:*}"; then REPLY+=${b#*:}; else REPLY+=-; fi
	done
}

# Checks peek row LABEL (loaded) of process PID against the test's own read
# of pagemap; the entry in PK_READ[LABEL]. With a third argument "shared",
# bit 56 (exclusive) is left out: a page of a file every process may map
# (libc, /usr/bin/sleep) stops or starts being exclusive whenever another
# process maps or unmaps it, between the program's read and the test's.
pk_check() {
	local e mask=0
	[[ ${3:-} == shared ]] && mask=$((1 << 56))
	e=$(mt_pagemap "$2" "${PK_A[$1]}")
	PK_READ[$1]=$e
	(((PK_E[$1] & ~mask) == (e & ~mask))) || return 1
	pk_flags $((e & ~mask))
	if ((mask)); then
		[[ ${PK_F[$1]/x/-} == "$REPLY" ]] || return 1
	else
		[[ ${PK_F[$1]} == "$REPLY" ]] || return 1
	fi
	pm_pfn "$e"
	[[ ${PK_PFN[$1]} == "$REPLY" ]]
}

# Parses: the "program text", "libc text", "written data" rows of two
# instances, pause 1 and its try: command (a third copy).
@test "peek: two copies share text and libc frames, not data" {
	local exe p1 l
	declare -A PK_READ=() first=()
	exe=$(cd "$MT_TOP/pagemap" && pwd -P)/peek
	mt_start "$PK"
	mt_wait_pause 1
	p1=$MT_PID
	pk_load
	[[ $(mt_maps_line "$p1" "${PK_A["program text"]}") == *" r-xp "*" $exe" ]]
	# libc text: the first page of libc's code mapping.
	[[ $(mt_maps_line "$p1" "${PK_A["libc text"]}") =~ \ r-xp\ .*/(libc\.|ld-musl) ]]
	[[ $(mt_maps_line "$p1" "${PK_A["libc text"]}") == "${PK_A["libc text"]#0x}-"* ]]
	[[ $(mt_maps_line "$p1" "${PK_A["written data"]}") == *" rw-p "* ]]
	pk_check "program text" "$p1"
	pk_check "libc text" "$p1" shared
	pk_check "written data" "$p1"
	for l in "program text" "libc text" "written data"; do
		first[$l]=${PK_READ[$l]}
	done
	pm_has "${first["program text"]}" 61
	pm_has "${first["libc text"]}" 61
	pm_has "${first["written data"]}" 61 && false
	pm_has "${first["written data"]}" 56
	[[ $(mt_pause_line 1) == *"; try: $exe" ]]
	# The try: command runs a third copy: while it runs, the text page is
	# mapped twice (not exclusive), its data page is its own.
	mt_try 1
	pk_load <(echo "$output")
	[[ ${PK_F["program text"]} == p-f-- && ${PK_F["written data"]} == p--x- ]]
	if pm_pfns_visible; then
		pm_pfn "${first["program text"]}"
		[[ ${PK_PFN["program text"]} == "$REPLY" ]]
		pm_pfn "${first["written data"]}"
		[[ ${PK_PFN["written data"]} != "$REPLY" ]]
	fi
	pm_second "$PK"
	mt_wait_pause 1
	pk_load
	pk_check "program text" "$MT_PID"
	pk_check "libc text" "$MT_PID" shared
	pk_check "written data" "$MT_PID"
	pm_back
	mt_finish
	((MT_STATUS == 0))
	pm_pfns_visible || skip "frame numbers are hidden here"
	for l in "program text" "libc text" "written data"; do
		first[$l]=$((first[$l] & ((1 << 55) - 1)))
		PK_READ[$l]=$((PK_READ[$l] & ((1 << 55) - 1)))
	done
	((first["program text"] == PK_READ["program text"]))
	((first["libc text"] == PK_READ["libc text"]))
	((first["written data"] != PK_READ["written data"]))
}

# A process to read: sleep, with its stack and text pages.
pk_target() {
	sleep 60 3>&- &
	PK_T=$!
	PM_KILL="${PM_KILL:-} $PK_T"
	while [[ $(readlink "/proc/$PK_T/exe") != */sleep ]]; do sleep 0.05; done
}

# Parses: the header, one row per ADDR (label: the mapping's file name).
@test "peek --pid PID ADDR...: each entry is pagemap's" {
	local stack text
	declare -A PK_READ=()
	pk_target
	stack=$(mt_maps_named "$PK_T" '[stack]')
	stack=${stack%%-*}
	text=$(awk '$2 ~ /x/ && $6 ~ /sleep$/ { print $1; exit }' "/proc/$PK_T/maps")
	text=${text%%-*}
	mt_run 0 "$PK" --pid "$PK_T" "0x$stack" "$text"
	[[ ${lines[0]} == "flags: p present, s swapped, f file or shared, x exclusive, d soft-dirty" ]]
	[[ ${lines[2]} == "page          address          pagemap entry      flags pfn" ]]
	pk_load <(echo "$output")
	[[ ${PK_A["[stack]"]} == "0x$stack" && ${PK_A[sleep]} == "0x$text" ]]
	pk_check "[stack]" "$PK_T"
	pk_check sleep "$PK_T" shared
	pm_has "${PK_E[sleep]}" 61
}

# Parses: the "written data" row's pfn column and the "pfn hidden:" note,
# which follow what the kernel shows (the test's own read), not the uid.
@test "peek: the pfn note is printed when the kernel hides frames" {
	local note="pfn hidden: frame numbers are shown to CAP_SYS_ADMIN (root) only; run as root"
	mt_run 0 "$PK"
	pk_load <(echo "$output")
	if pm_pfns_visible; then
		[[ ${PK_PFN["written data"]} == 0x* && $output != *"pfn hidden"* ]]
	else
		[[ ${PK_PFN["written data"]} == hidden ]]
		[[ $output == *$'\n\n'"$note"$'\n'"to compare frames." ]]
	fi
	# Root of a user namespace: uid 0, frames hidden all the same.
	pm_userns_hidden || skip "no user namespace to try here"
	mt_run 0 unshare -Ur "$PK"
	pk_load <(echo "$output")
	[[ ${PK_PFN["written data"]} == hidden ]]
	[[ $output == *$'\n\n'"$note"$'\n'"to compare frames." ]]
}

# The test's own map of COUNT pages from ADDR of PID: # . s, and counts.
pk_own_map() {
	local e m="" p=0 s=0
	while read -r e; do
		if pm_has "$e" 63; then
			m+="#" p=$((p + 1))
		elif pm_has "$e" 62; then
			m+="s" s=$((s + 1))
		else
			m+="."
		fi
	done < <(pm_entries "$1" "$2" "$3")
	echo "$m $p $s"
}

# Parses: "range:", the map lines, "present:", "swapped:".
@test "peek --range NAME and START END: map and counts equal pagemap" {
	local ps lo hi n own map
	ps=$(mt_pagesize)
	pk_target
	kill -STOP "$PK_T" # nothing changes while both read
	read -r lo hi < <(mt_maps_named "$PK_T" '[stack]' | awk '{ split($1, r, "-"); print r[1], r[2] }')
	lo=$((16#$lo)) hi=$((16#$hi)) n=$(((hi - lo) / ps))
	own=$(pk_own_map "$PK_T" "$lo" "$n")
	mt_run 0 "$PK" --pid "$PK_T" --range '[stack]'
	[[ ${lines[0]} == "range: $(mt_hex "$lo")-$(mt_hex "$hi") ($n pages)" ]]
	map=$(grep '^0x[0-9a-f]* [#.s]*$' <<<"$output" | awk '{ printf "%s", $2 }')
	[[ "$map ${lines[-2]#present: } ${lines[-1]#swapped: }" == "$own" ]]
	[[ $(grep -m1 '^0x' <<<"$output") == "$(mt_hex "$lo") "* ]]
	echo "$output" >"$MT_TMP/range"
	pm_narrow "$MT_TMP/range"
	# START END: a part of it, ends not page-aligned, 0x optional.
	mt_run 0 "$PK" --pid "$PK_T" --range "$(printf '%x' $((hi - 3 * ps + 5)))" "$(mt_hex $((hi - 1)))"
	own=$(pk_own_map "$PK_T" $((hi - 3 * ps)) 3)
	[[ ${lines[0]} == "range: $(mt_hex $((hi - 3 * ps)))-$(mt_hex "$hi") (3 pages)" ]]
	[[ "$(grep '^0x' <<<"$output" | awk '{ print $2 }') ${lines[-2]#present: } ${lines[-1]#swapped: }" == "$own" ]]
	# A mapping of a file other processes map too (libc's first one): its
	# present pages are mostly not exclusive, and counted all the same.
	local libc
	libc=$(awk '$6 ~ /\/libc[.-]/ { print $1, $6; exit }' "/proc/$PK_T/maps")
	if [[ -n $libc ]]; then
		lo=${libc%% *} hi=${lo#*-} lo=${lo%-*}
		lo=$((16#$lo)) hi=$((16#$hi))
		own=$(pk_own_map "$PK_T" "$lo" $(((hi - lo) / ps)))
		mt_run 0 "$PK" --pid "$PK_T" --range "${libc##*/}"
		[[ ${lines[0]} == "range: $(mt_hex "$lo")-$(mt_hex "$hi") ("* ]]
		map=$(grep '^0x[0-9a-f]* [#.s]*$' <<<"$output" | awk '{ printf "%s", $2 }')
		[[ "$map ${lines[-2]#present: } ${lines[-1]#swapped: }" == "$own" ]]
	fi
	# Without --pid: this process. Over 65536 pages: refused.
	mt_run 0 "$PK" --range '[stack]'
	mt_run 2 "$PK" --pid "$PK_T" --range 0 40000000
	[[ $stderr == "peek: --range: 262144 pages, more than 65536"* ]] || [[ $(mt_pagesize) != 4096 ]]
	mt_run 1 "$PK" --pid "$PK_T" --range '[nothing]'
	[[ $stderr == "peek: no mapping named '[nothing]' in pid $PK_T (see /proc/$PK_T/maps)" ]]
	mt_run 2 "$PK" --range 2000 1000
	[[ $stderr == "peek: --range: END must be above START"* ]]
}

# Parses: the README's exercise 4 (its smaps command, run for a stopped
# sleep instead of $$), the "present:" line of peek --range '[stack]'.
@test "README exercise 4: Rss of the stack is peek's count of pages" {
	local cmd ps lo hi own rss
	ps=$(mt_pagesize)
	# shellcheck disable=SC2016 # backquotes of markdown, not a command
	cmd=$(sed -n '/^4\. `peek --pid \$\$ --range/,/^   <details>/p' "$MT_TOP/pagemap/README.md" |
		tr '\n' ' ' | grep -o '`grep [^`]*smaps`')
	cmd=${cmd//\`/}
	[[ $cmd == *'/proc/$$/smaps' ]]
	pk_target
	kill -STOP "$PK_T"
	# shellcheck disable=SC2016 # $$ is the README's, for the target here
	mt_run 0 bash -c "${cmd//'$$'/$PK_T}"
	[[ ${lines[0]} == *" [stack]" ]]
	rss=${lines[-1]}
	[[ $rss =~ ^Rss:\ +([0-9]+)\ kB$ ]]
	rss=${BASH_REMATCH[1]}
	read -r lo hi < <(mt_maps_named "$PK_T" '[stack]' | awk '{ split($1, r, "-"); print r[1], r[2] }')
	own=$(pk_own_map "$PK_T" $((16#$lo)) $(((16#$hi - 16#$lo) / ps)))
	own=${own#* }
	mt_run 0 "$PK" --pid "$PK_T" --range '[stack]'
	[[ "${lines[-2]#present: } ${lines[-1]#swapped: }" == "$own" ]]
	((rss * 1024 == ${own%% *} * ps))
}

# Parses: the error message on stderr and the exit status.
@test "peek: missing process, unreadable process, bad addresses" {
	local gone p unreadable=
	sleep 0 &
	gone=$!
	wait "$gone"
	[[ ! -e /proc/$gone ]] || skip "pid $gone was reused at once"
	mt_run 1 "$PK" --pid "$gone" 1000
	[[ $stderr == "peek: no process $gone" ]]
	# A process this user may not read: another user's (as root, one
	# root may not read either, when there is one).
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ -e /proc/$p/pagemap ]] || continue
		dd if="/proc/$p/pagemap" bs=8 count=1 of=/dev/null 2>/dev/null && continue
		[[ -e /proc/$p ]] && unreadable=$p && break
	done
	if [[ -n $unreadable ]]; then
		mt_run 1 "$PK" --pid "$unreadable" --range 1000 2000
		[[ $stderr == "peek: /proc/$unreadable/pagemap: Permission denied: only its owner or root may read it" ]]
	fi
	pk_target
	! mt_maps_line "$PK_T" 0x1000 2>/dev/null || skip "0x1000 is mapped"
	mt_run 1 "$PK" --pid "$PK_T" 0x1000
	[[ $stderr == "peek: 0x1000 is not mapped in pid $PK_T (see /proc/$PK_T/maps)" ]]
	[[ $output == "" ]]
	# [vsyscall] is mapped but above user space: pagemap has no entry.
	if grep -q '^ffffffffff600000-.*\[vsyscall\]$' "/proc/$PK_T/maps"; then
		mt_run 1 "$PK" --pid "$PK_T" ffffffffff600000
		[[ $stderr == "peek: 0xffffffffff600000 is past the end of pagemap: it covers user space only" ]]
	fi
	local bad
	for bad in zz 0x 0x12g 12345678901234567 ''; do
		mt_run 2 "$PK" --pid "$PK_T" "$bad"
		[[ $stderr == "peek: bad address '$bad' (hex, as /proc/PID/maps shows it)"$'\n'"usage: peek "* ]]
	done
	[[ -n $unreadable ]] || skip "no process here this user may not read"
}

# ============================================================================
# pagemap/soft_dirty
# ============================================================================

@test "soft_dirty: help, usage errors, write errors, closed stdin" {
	mt_common_checks "$SD"
	mt_run 2 "$SD" -n 1
	[[ $stderr == "soft_dirty: -n: bad number '1' (2 to 48)"* ]]
	mt_run 2 "$SD" -n 49
	mt_run 0 "$SD" -n 48
	[[ $(grep -c '^[a-z].* [#.]\{48\} [0-9]*$' <<<"$output") == 3 ]]
}

# The row STEP of soft_dirty's table: "map count".
sd_row() {
	awk -v l="$(printf '%-22s' "$1")" \
		'substr($0, 1, 22) == l { print substr($0, 24); exit }' "$MT_OUT"
}

# The test's own bit 55 map of N pages from ADDR of PID, and its count.
sd_own() {
	local e m="" n=0
	while read -r e; do
		if pm_has "$e" 55; then m+="#" n=$((n + 1)); else m+="."; fi
	done < <(pm_entries "$1" "$2" "$3")
	echo "$m $n"
}

# Parses: "page size:", "region:", "soft-dirty tracking:", the three rows
# (each at the pause after it), "written since the clear:", the
# explanation, pauses 1-3, their try:.
@test "soft_dirty: bit 55 set on exactly the written pages, or why not" {
	local ps region pid vmf sd want
	ps=$(mt_pagesize)
	mt_start "$SD"
	mt_wait_pause 1
	pid=$MT_PID
	[[ $(mt_out_field "page size") == "$ps" ]]
	region=$(mt_out_field region)
	[[ $region == *", 16 pages (private anonymous)" ]]
	region=${region%%,*}
	[[ $(mt_maps_line "$pid" "$region") == "${region#0x}-$(printf '%x' $((region + 16 * ps))) rw-p "* ]]
	vmf=$(awk -v r="${region#0x}-" 'index($1, r) == 1 { f = 1 } f && $1 == "VmFlags:" { print; exit }' "/proc/$pid/smaps")
	[[ -n $vmf ]]
	sd=0
	[[ " $vmf " == *" sd "* ]] && sd=1
	if ((sd)); then
		[[ $(mt_out_field "soft-dirty tracking") == "yes (VmFlags has 'sd')" ]]
	else
		[[ $(mt_out_field "soft-dirty tracking") == "no (VmFlags in smaps has no 'sd')" ]]
	fi
	# Every page written: the test's own bits are the program's; all set
	# where the kernel tracks soft-dirty, none where it does not.
	[[ $(mt_pause_line 1) == *": every page written; try: "* ]]
	[[ $(sd_row "wrote every page") == "$(sd_own "$pid" "$region" 16)" ]]
	if ((sd)); then
		[[ $(sd_row "wrote every page") == "################ 16" ]]
	else
		[[ $(sd_row "wrote every page") == "................ 0" ]]
	fi
	mt_try 1
	[[ $(pm_try_entries) == "$(pm_entries "$pid" "$region" 16)" ]]
	mt_resume
	mt_wait_pause 2
	# Right after the clear: the test's own bits are the program's.
	[[ $(sd_row "cleared (clear_refs 4)") == "$(sd_own "$pid" "$region" 16)" ]]
	[[ $(sd_row "cleared (clear_refs 4)") == "................ 0" ]]
	mt_try 2
	[[ $(pm_try_entries) == "$(pm_entries "$pid" "$region" 16)" ]]
	mt_resume
	mt_wait_pause 3
	[[ $(sd_row "wrote every third") == "$(sd_own "$pid" "$region" 16)" ]]
	[[ $(mt_out_field "written since the clear") == "5 pages: 1 4 7 10 13" ]]
	mt_try 3
	[[ $(pm_try_entries) == "$(pm_entries "$pid" "$region" 16)" ]]
	if ((sd)); then
		want=".#..#..#..#..#.. 5"
		[[ $(sd_row "wrote every third") == "$want" ]]
		grep -q '^no soft-dirty here' "$MT_OUT" && false
	else
		[[ $(sd_row "wrote every third") == "................ 0" ]]
		grep -q '^no soft-dirty here: the kernel was built without CONFIG_MEM_SOFT_DIRTY$' "$MT_OUT"
		grep -q 'checkpoint/restore (CRIU)' "$MT_OUT"
		grep -q 'PAGEMAP_SCAN ioctl' "$MT_OUT"
	fi
	mt_finish
	((MT_STATUS == 0))
	pm_narrow "$MT_OUT"
}

# ============================================================================
# pagemap/addrsplit
# ============================================================================

@test "addrsplit: help, usage errors, write errors, closed stdin" {
	mt_common_checks "$AS"
	mt_run 2 "$AS" extra
}

# The test's own end of pagemap: the first entry dd cannot read, found by
# its own binary search.
as_entries() {
	local lo=0 hi=$((1 << (64 - $1))) mid
	while ((hi - lo > 1)); do
		mid=$(((lo + hi) / 2))
		if [[ -n $(dd if=/proc/self/pagemap bs=8 skip="$mid" count=1 2>/dev/null | od -An -tx8) ]]; then
			lo=$mid
		else
			hi=$mid
		fi
	done
	echo "$hi"
}

# A whole number of bytes in the largest unit that divides it ("2 MiB"),
# as the programs print an exact size.
as_human() {
	local v=$1 u=0 units=(B KiB MiB GiB TiB PiB EiB)
	while ((u < 6 && v >= 1024 && v % 1024 == 0)); do
		v=$((v / 1024)) u=$((u + 1))
	done
	echo "$v ${units[$u]}"
}

# Parses: "page size:", "entries in one table:", "virtual address bits:",
# the figure (bits, name, index lines), the level table, the address
# table, pause 1 and its try: command.
@test "addrsplit: the split equals the test's shell arithmetic" {
	local ps ob lb vb lv n user i a line names want exe lo
	ps=$(mt_pagesize)
	for ((ob = 0; (1 << ob) < ps; ob++)); do :; done
	lb=$((ob - 3))
	n=$(as_entries "$ob")
	for ((user = 0; ((n * ps - 1) >> user) > 0; user++)); do :; done
	vb=$user
	[[ $(uname -m) == x86_64 ]] && vb=$((user + 1))
	lv=$(((vb - ob + lb - 1) / lb))
	case $lv in
	5) names=(PGD P4D PUD PMD PTE) ;;
	4) names=(PGD PUD PMD PTE) ;;
	3) names=(PGD PMD PTE) ;;
	2) names=(PGD PTE) ;;
	esac
	mt_start "$AS"
	mt_wait_pause 1
	[[ $(mt_out_field "page size") == "$ps (offset: $ob bits)" ]]
	[[ $(mt_out_field "entries in one table") == "$((ps / 8)) (index: $lb bits)" ]]
	[[ $(mt_out_field "virtual address bits") == "$vb, in $lv levels of tables" ]]
	# The figure: a local variable, on the stack.
	a=$(mt_out_field "a local variable")
	[[ $(mt_maps_line "$MT_PID" "$a") == *" [stack]" ]]
	# lo of level i is ob + (lv - 1 - i) * lb; the top level takes the
	# bits left up to vb.
	local bits="" idx="" nm="" w
	((vb < 64)) && bits+=" $(printf '%-8s' "63-$vb")" && idx+=" $(printf '%-7s|' "$(mt_hex $((a >> vb)))")" && nm+=" sign   |"
	for ((i = 0; i < lv; i++)); do
		lo=$((ob + (lv - 1 - i) * lb))
		w=$lb
		((i == 0)) && w=$((vb - lo))
		bits+=" $(printf '%-8s' "$((lo + w - 1))-$lo")"
		nm+=" $(printf '%-7s|' "${names[$i]}")"
		idx+=" $(printf '%-7s|' $(((a >> lo) & ((1 << w) - 1))))"
		want+="$(((a >> lo) & ((1 << w) - 1))) "
	done
	[[ $(grep '^  bits ' "$MT_OUT") == "  bits   $bits $((ob - 1))-0" ]]
	[[ $(grep '^  name ' "$MT_OUT") == "  name   |$nm offset |" ]]
	[[ $(grep '^  index ' "$MT_OUT") == "  index  |$idx $(printf '%-7s|' "$(mt_hex $((a & (ps - 1))))")" ]]
	mt_try 1
	[[ $output == "$want$(mt_hex $((a & (ps - 1))))" ]]
	# The level table: one entry of the last level maps a page, each
	# level up maps 2^lb times more; a table maps 2^bits entries.
	local one=$ps row
	for ((i = lv - 1; i >= 0; i--)); do
		lo=$((ob + (lv - 1 - i) * lb))
		w=$lb
		((i == 0)) && w=$((vb - lo))
		row=$(awk -v l="${names[$i]}" '$1 == l && $2 ~ /-/ { print; exit }' "$MT_OUT")
		read -r -a f <<<"$row"
		[[ ${f[1]} == "$((lo + w - 1))-$lo" && ${f[2]} == $((1 << w)) ]]
		[[ ${f[3]} == "$one" && ${f[6]} == $((one << w)) ]]
		one=$((one << lb))
	done
	grep -q "^A table of the last level is one page of $((ps / 8)) entries: it maps $((ps / 8)) pages,$" "$MT_OUT"
	# What it maps, by the test's arithmetic (2 MiB with 4 KiB pages),
	# and the kernel's size of a huge page of that level when it says.
	local hp=$((ps * ps / 8))
	grep -qx "$(as_human "$hp"). A huge page of that size is one entry of the level above." "$MT_OUT"
	if [[ -r /sys/kernel/mm/transparent_hugepage/hpage_pmd_size ]]; then
		(($(</sys/kernel/mm/transparent_hugepage/hpage_pmd_size) == hp))
	fi
	# The address table: each row's indices by the same arithmetic, each
	# address in the mapping its name says.
	exe=$(cd "$MT_TOP/pagemap" && pwd -P)/addrsplit
	for what in "program text" "global data" "heap (malloc)" stack; do
		line=$(awk -v l="$(printf '%-14s' "$what")" 'substr($0, 1, 14) == l { print substr($0, 16); exit }' "$MT_OUT")
		read -r -a f <<<"$line"
		a=${f[0]}
		want=$a
		for ((i = 0; i < lv; i++)); do
			lo=$((ob + (lv - 1 - i) * lb))
			w=$lb
			((i == 0)) && w=$((vb - lo))
			want+=" $(((a >> lo) & ((1 << w) - 1)))"
		done
		[[ "${f[*]}" == "$want $(mt_hex $((a & (ps - 1))))" ]]
		case $what in
		"program text") [[ $(mt_maps_line "$MT_PID" "$a") == *" r-xp "*" $exe" ]] ;;
		"global data") [[ $(mt_maps_line "$MT_PID" "$a") == *" rw-p "*" $exe" ]] ;;
		stack) [[ $(mt_maps_line "$MT_PID" "$a") == *" [stack]" ]] ;;
		*) mt_maps_line "$MT_PID" "$a" >/dev/null ;;
		esac
	done
	mt_finish
	((MT_STATUS == 0))
	pm_narrow "$MT_OUT"
}

# Parses: "pagemap entries:", "pagemap size:", "last entry:", "end of user
# space:", the la57 line, the x86_64 explanation, pause 2 and its try:.
@test "addrsplit: the end of pagemap is where dd stops reading" {
	local ps n
	ps=$(mt_pagesize)
	mt_start "$AS"
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2
	n=$(mt_out_field "pagemap entries")
	[[ $n == *" (pread returns 0 bytes from there on)" ]]
	n=${n%% *}
	# The test's own reads: entry n-1 is there, entry n is not.
	[[ -n $(dd if=/proc/$MT_PID/pagemap bs=8 skip=$((n - 1)) count=1 2>/dev/null | od -An -tx8) ]]
	[[ -z $(dd if=/proc/$MT_PID/pagemap bs=8 skip=$n count=1 2>/dev/null | od -An -tx8) ]]
	# The size, exact: a few bytes short of a round size (the last page of
	# user space has no entry), by the test's own rounding up to a
	# multiple of the largest binary unit not above it.
	local size=$((n * 8)) unit=1 up
	while (((size / unit) >= 1024)); do unit=$((unit * 1024)); done
	up=$(((size + unit - 1) / unit * unit))
	if ((up == size)); then
		[[ $(mt_out_field "pagemap size") == "$size ($(as_human "$size"))" ]]
	else
		((up - size < 1024))
		[[ $(mt_out_field "pagemap size") == "$size ($((up - size)) bytes short of $(as_human "$up"))" ]]
	fi
	if [[ $(uname -m) == x86_64 ]] && ((n == (1 << 35) - 1)); then
		[[ $(mt_out_field "pagemap size") == "274877906936 (8 bytes short of 256 GiB)" ]]
	fi
	[[ $(mt_out_field "last entry") == "$((n - 1)), for the page at $(mt_hex $(((n - 1) * ps)))" ]]
	local bits
	for ((bits = 0; ((n * ps - 1) >> bits) > 0; bits++)); do :; done
	[[ $(mt_out_field "end of user space") == "$(mt_hex $((n * ps))) ($bits bits)" ]]
	grep -q "^  a 64-bit address space would have 2^$((64 - $(awk -v p="$ps" 'BEGIN { while (2 ^ b < p) b++; print b }'))) pages$" "$MT_OUT"
	local la57=no
	grep -qw la57 /proc/cpuinfo && la57=yes
	grep -qx "5-level paging in this CPU (la57 in /proc/cpuinfo): $la57" "$MT_OUT"
	if [[ $(uname -m) == x86_64 ]]; then
		# 4-level paging: 2^35 - 1 entries, the last page below 2^47
		# never mapped; 5-level: 2^44 - 1.
		((n == (1 << 35) - 1 || n == (1 << 44) - 1))
		grep -q "^x86_64 translates $((bits + 1))-bit addresses; bits 63-$((bits + 1)) must all equal bit $bits$" "$MT_OUT"
	fi
	mt_try 2
	[[ $output == "1+0 records in" ]]
	mt_finish
	((MT_STATUS == 0))
}
