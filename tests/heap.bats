# SPDX-License-Identifier: MIT
# tests/heap.bats - brk, free_and_sbrk, malloc_chunks, lazy_alloc, alloca,
# each checked against /proc/PID/{maps,smaps,status,stat,pagemap} read by
# the test while the program is paused, nm, readelf, and glibc's rules for
# chunk sizes; then mini_malloc, the demo and the LD_PRELOAD library.

load helpers

H=$MT_TOP/heap

# The value of the LAST "NAME: value" line printed so far: a program that
# prints "break:" after every step is read at each pause.
hp_last() {
	sed -n "s/^$1: *//p" "$MT_OUT" | tail -n 1
}

# The value of the first "NAME: value" line on stdin.
hp_field() {
	sed -n "s/^$1: *//p" | head -n 1
}

# Start and end of a /proc/PID/maps line, as numbers.
hp_lo() {
	local r=${1%% *}
	echo $((16#${r%-*}))
}
hp_hi() {
	local r=${1%% *}
	echo $((16#${r#*-}))
}

# "0xLO-0xHI, SIZE (human)" as the programs print a mapping.
hp_range() {
	local lo hi
	lo=$(hp_lo "$1")
	hi=$(hp_hi "$1")
	echo "$(mt_hex "$lo")-$(mt_hex "$hi"), $((hi - lo))"
}

# Two maps lines are the same line (blanks squeezed: mt_maps_line squeezes
# the padding before the path, and drops a trailing blank).
hp_same() {
	[[ $(awk '{ $1 = $1 } 1' <<<"$1") == "$(awk '{ $1 = $1 } 1' <<<"$2")" ]]
}

hp_round() {
	local ps
	ps=$(mt_pagesize)
	echo $((($1 + ps - 1) / ps * ps))
}

# glibc's chunk for a request: request + 8, rounded up to 16, at least 32.
hp_chunk() {
	local c=$((($1 + 8 + 15) / 16 * 16))
	((c < 32)) && c=32
	echo "$c"
}

# --- brk --------------------------------------------------------------------

# The [heap] lines of the program (musl's malloc makes two: a guard page
# and the pages in use).
hp_heap_lines() {
	awk '$6 == "[heap]"' "/proc/$MT_PID/maps"
}

# At a pause of brk or free_and_sbrk: the last "break:" printed, rounded up
# to a page, is the end of the (last) [heap] line we read, and the last
# "[heap]:" line printed is that line (or "none" when there is none). Sets
# B.
hp_heap_check() {
	local heap
	B=$(($(hp_last break)))
	heap=$(hp_heap_lines | tail -n 1)
	if [[ -z $heap ]]; then
		[[ $(hp_last '\[heap\]') == none* ]]
		return 0
	fi
	(($(hp_hi "$heap") == $(hp_round "$B")))
	[[ $(hp_last '\[heap\]') == "$(hp_range "$heap") "* ]]
}

# The try: of pause N shows the [heap] line we read, or says there is none.
hp_try_heap() {
	local heap
	heap=$(hp_heap_lines)
	mt_try "$1"
	[[ $output == "${heap:-no [heap] line}" ]]
}

# Lines: "end of text (etext):", "end of data (edata):", "end of bss
# (end):", "initial break:", "gap from end to the break:",
# "randomize_va_space:", the ASLR line; at every pause "break:", "break
# rounded up to a page:", "[heap]:"; "returned the old break:",
# "returned:", "the system call returned:".
@test "brk: every step of the break against [heap], nm and the kernel" {
	local ps inc=100000 base exe sym s initial end aslr=1 b4 stack
	ps=$(mt_pagesize)
	mt_start "$H/brk" -i "$inc"
	mt_wait_pause 1
	exe=$(readlink -f "$H/brk")
	base=$(hp_lo "$(mt_maps_named "$MT_PID" "$exe")")
	LC_ALL=C readelf -h "$H/brk" | grep -q 'Type:.*EXEC' && base=0
	for sym in 'text (etext)' 'data (edata)' 'bss (end)'; do
		s=${sym#*(}
		s=${s%)}
		(($(mt_out_field "end of $sym") == base + 16#$(nm "$H/brk" |
			awk -v s="$s" '$3 == s { print $1; exit }')))
	done
	[[ $(mt_out_field 'page size') == "$ps" ]]
	end=$(($(mt_out_field 'end of bss (end)')))
	initial=$(($(mt_out_field 'initial break')))
	[[ $(mt_out_field 'gap from end to the break') == \
		"$((initial - end)) "* ]]
	[[ $(mt_out_field randomize_va_space) == \
		"$(</proc/sys/kernel/randomize_va_space)" ]]
	# ADDR_NO_RANDOMIZE is 0x0040000 in /proc/PID/personality.
	if (($(</proc/sys/kernel/randomize_va_space) != 2 ||
		16#$(<"/proc/$MT_PID/personality") & 0x0040000)); then
		aslr=0
	fi
	if ((aslr)); then
		grep -q 'ASLR is on' "$MT_OUT"
		((initial - end <= (1 << 30) + 2 * ps))
	else
		grep -q 'brk randomization is off' "$MT_OUT"
		((initial == $(hp_round "$end")))
	fi
	hp_heap_check
	((B == initial))
	[[ $(hp_last 'break rounded up to a page') == \
		"$(mt_hex "$(hp_round "$B")")" ]]
	hp_try_heap 1
	mt_resume

	mt_wait_pause 2		# sbrk(+inc)
	hp_heap_check
	((B == initial + inc))
	(($(hp_last 'returned the old break') == initial))
	[[ $(hp_last 'break rounded up to a page') == \
		"$(mt_hex "$(hp_round "$B")")" ]]
	if [[ $(mt_libc "$H/brk") == glibc ]]; then
		(($(hp_lo "$(mt_maps_named "$MT_PID" '[heap]')") == initial))
	else
		grep -q "musl's sbrk refuses every increment but 0" "$MT_OUT"
	fi
	hp_try_heap 2
	mt_resume

	mt_wait_pause 3		# brk(start + inc/10)
	hp_heap_check
	((B == initial + inc / 10))
	[[ $(hp_last returned) == 0 ]]
	[[ $(hp_last 'break rounded up to a page') == \
		"$(mt_hex "$(hp_round "$B")")" ]]
	hp_try_heap 3
	mt_resume

	mt_wait_pause 4		# sbrk(-inc/20)
	hp_heap_check
	b4=$B
	((B == initial + inc / 10 - inc / 20))
	(($(hp_last 'returned the old break') == initial + inc / 10))
	[[ $(hp_last 'break rounded up to a page') == \
		"$(mt_hex "$(hp_round "$B")")" ]]
	hp_try_heap 4
	mt_resume

	mt_wait_pause 5		# refused brk (no pause), then brk(start)
	stack=$(sed -n 's/^5\. brk(\(0x[0-9a-f]*\)), an address in the stack$/\1/p' \
		"$MT_OUT")
	[[ $(mt_maps_line "$MT_PID" "$stack") == *'[stack]' ]]
	[[ $(hp_last returned) == "-1 (ENOMEM)" ]]
	[[ $(hp_last 'the system call returned') == \
		"$(mt_hex "$b4") (the break as it was)" ]]
	hp_heap_check
	((B == initial))
	hp_try_heap 5
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

# Lines: "end of bss (end):", "initial break:", the first "[heap]:", the
# ASLR lines.
@test "brk: without ASLR (setarch -R) the heap starts at end, page-rounded" {
	setarch -R true 2>/dev/null ||
		skip "setarch -R is refused here (seccomp on personality?)"
	mt_run 0 setarch -R "$H/brk"
	grep -q 'ADDR_NO_RANDOMIZE' <<<"$output"
	grep -q 'brk randomization is off' <<<"$output"
	local end initial heap
	end=$(sed -n 's/^end of bss (end): //p' <<<"$output")
	initial=$(sed -n 's/^initial break: //p' <<<"$output")
	# musl's malloc moved the break before main: then its [heap] starts
	# there (the first "[heap]:" line printed), or a page on, above the
	# PROT_NONE guard page musl's malloc puts at the bottom.
	heap=$(sed -n 's/^\[heap\]: \(0x[0-9a-f]*\)-.*/\1/p' <<<"$output" |
		head -n 1)
	if [[ $(mt_libc "$H/brk") == musl && -n $heap ]]; then
		((heap == $(hp_round $((end))) ||
			heap == $(hp_round $((end))) + $(mt_pagesize)))
	else
		((initial == $(hp_round $((end)))))
	fi
}

@test "brk: options, usage errors, and what every program owes" {
	local a
	mt_common_checks "$H/brk"
	for a in -1 0 abc 99 65535 2G 99999999999999999999; do
		mt_run 2 "$H/brk" -i "$a"
		[[ $stderr == "brk: -i: bad size '$a'"* ]]
	done
	mt_run 2 "$H/brk" -i
	[[ $stderr == "brk: option '-i' needs an argument"*usage:* ]]
	mt_run 2 "$H/brk" extra
}

# --- free_and_sbrk ----------------------------------------------------------

# Drive free_and_sbrk ARGS... through its four pauses, checking "break:"
# and "[heap]:" at each against /proc, and running each try:. Sets
# B1..B4 (the break at each pause), FIRST, LAST (the printed blocks).
hp_fas() {
	local i
	mt_start "$H/free_and_sbrk" "$@"
	for i in 1 2 3 4; do
		mt_wait_pause "$i"
		hp_heap_check
		printf -v "B$i" %d "$B"
		hp_try_heap "$i"
		if ((i == 2)); then
			FIRST=$(($(mt_out_field 'first block')))
			LAST=$(($(mt_out_field 'last block')))
			[[ $(mt_maps_line "$MT_PID" "$FIRST") == *'[heap]' ||
				$(mt_libc "$H/free_and_sbrk") == musl ]]
		fi
		mt_resume
	done
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

# glibc's trim: what is left of the break when the top chunk starting at
# TOP is trimmed with M_TOP_PAD 128 KiB (systrim: whole pages of the top
# less the pad and a 32-byte minimal chunk, and 1).
hp_trimmed() {
	local brk=$1 top=$2 ps
	ps=$(mt_pagesize)
	echo $((brk - (brk - top - 33 - 131072) / ps * ps))
}

# The "top chunk:" printed after phase N (1-4) of the run.
hp_top() {
	sed -n 's/^top chunk: \([0-9]*\) .*/\1/p' "$MT_OUT" | sed -n "$1p"
}

hp_glibc_only() {
	[[ $(mt_libc "$H/free_and_sbrk") == glibc ]] ||
		skip "this build uses musl: glibc's trim rules do not apply"
}

# Lines: "break:", "[heap]:", "first block:", "last block:", "top chunk:",
# "freed:", "the break went down:", the trim explanation, "freed the rest:".
@test "free_and_sbrk: every second block freed: the break stays, and why" {
	hp_glibc_only
	local chunk top give ps
	ps=$(mt_pagesize)
	hp_fas
	[[ $(mt_out_field blocks) == "1000 of 10240 (10 KiB)" ]]
	[[ $(mt_out_field freeing) == \
		"blocks 1 to 1000, one in every 2; then the rest" ]]
	# The trims below are computed with these two figures.
	[[ $(mt_out_field 'trim threshold') == \
		"131072 (128 KiB), glibc's default" ]]
	[[ $(mt_out_field M_TOP_PAD) == "131072 (128 KiB), glibc's default" ]]
	# No malloc yet: no arena, no top chunk.
	[[ $(hp_top 1) == 0 ]]
	chunk=$(hp_chunk 10240)
	((LAST - FIRST == 999 * chunk))
	# The top chunk runs from the end of the last block to the break.
	top=$((B2 - (LAST - 16 + chunk)))
	[[ $(hp_top 2) == "$top" && $(hp_top 3) == "$top" ]]
	((B3 == B2))
	[[ $(mt_out_field freed) == "500 blocks, 5120000 (4.9 MiB)" ]]
	grep -q '^the break went down: no$' "$MT_OUT"
	grep -q 'block 1000 is still in use' "$MT_OUT"
	give=$(((top - 33 - 131072) / ps * ps))
	((give < 0)) && give=0
	grep -q "the top chunk ($top) is above the trim threshold (131072)" \
		"$MT_OUT"
	grep -q "whole pages only: $give here" "$MT_OUT"
	# All free: everything from the first block on is the top chunk,
	# trimmed down to M_TOP_PAD.
	((B4 == $(hp_trimmed "$B3" $((FIRST - 16)))))
	[[ $(hp_top 4) == "$((B4 - FIRST + 16))" ]]
	[[ $(mt_out_field 'freed the rest') == "500 blocks, 5120000 (4.9 MiB)" ]]
	grep -q "^the break went down: yes, by $((B3 - B4)) " "$MT_OUT"
}

@test "free_and_sbrk: the top half freed: the break drops to M_TOP_PAD" {
	hp_glibc_only
	local chunk
	hp_fas 1000 10240 1 500 1000
	chunk=$(hp_chunk 10240)
	((B3 == $(hp_trimmed "$B2" $((FIRST + 499 * chunk - 16)))))
	[[ $(hp_top 3) == "$((B3 - FIRST - 499 * chunk + 16))" ]]
	[[ $(mt_out_field freed) == "501 blocks, 5130240 (4.9 MiB)" ]]
	grep -q "^the break went down: yes, by $((B2 - B3)) " "$MT_OUT"
	((B4 == $(hp_trimmed "$B3" $((FIRST - 16)))))
	[[ $(mt_out_field 'freed the rest') == "499 blocks, 5109760 (4.9 MiB)" ]]
}

@test "free_and_sbrk: a middle range freed, and -t 8M: the break stays" {
	hp_glibc_only
	local chunk top
	chunk=$(hp_chunk 10240)
	hp_fas 1000 10240 1 200 700
	((B3 == B2))
	grep -q 'block 1000 is still in use' "$MT_OUT"
	((B4 == $(hp_trimmed "$B3" $((FIRST - 16)))))
	mt_cleanup
	mt_setup
	hp_fas -t 8M 1000 10240 1 500 1000
	[[ $(mt_out_field 'trim threshold') == \
		"8388608 (8 MiB), set with mallopt" ]]
	((B3 == B2))
	top=$((B2 - FIRST - 499 * chunk + 16))
	[[ $(hp_top 3) == "$top" ]]
	grep -q "the top chunk ($top) is below the trim threshold (8388608)" \
		"$MT_OUT"
	((B4 == $(hp_trimmed "$B3" $((FIRST - 16)))))
}

@test "free_and_sbrk under musl: says so, the break and [heap] still true" {
	[[ $(mt_libc "$H/free_and_sbrk") == musl ]] ||
		skip "a glibc build: the musl explanation is not printed"
	hp_fas 100 10240
	grep -q 'this libc is not glibc' "$MT_OUT"
	mt_run 2 "$H/free_and_sbrk" -t 1M
	[[ $stderr == *"it has no M_TRIM_THRESHOLD"* ]]
}

@test "free_and_sbrk: options, usage errors, and what every program owes" {
	local a
	mt_common_checks "$H/free_and_sbrk" 10 1000
	mt_run 2 "$H/free_and_sbrk" -1
	[[ $stderr == "free_and_sbrk: unknown option '-1'"* ]]
	for a in 0 abc 1x 99999999999999999999 100001; do
		mt_run 2 "$H/free_and_sbrk" "$a"
		[[ $stderr == "free_and_sbrk: NUM: bad number '$a'"* ]]
	done
	# SIZE's range is the real one, 1 to 131048 (below the mmap
	# threshold); a number above it gets the reason too. Every line of
	# the message under 80 columns, even with the longest number.
	for a in 0 131048x 99999999999999999999 "" " 5"; do
		mt_run 2 "$H/free_and_sbrk" 10 "$a"
		[[ $stderr == "free_and_sbrk: SIZE: bad number '$a' (1 to 131048)"$'\n'"usage: "* ]]
	done
	for a in 131049 200000 18446744073709551615; do
		mt_run 2 "$H/free_and_sbrk" 10 "$a"
		[[ $stderr == "free_and_sbrk: SIZE: '$a' is too big (1 to 131048):"$'\n'"from the mmap threshold on, each block gets a mapping of its own,"$'\n'"and the break would not move"$'\n'"usage: "* ]]
		awk 'length > 79 { exit 1 }' <<<"$stderr"
	done
	mt_run 0 "$H/free_and_sbrk" 1 131048
	mt_run 2 "$H/free_and_sbrk" 10 100 1 5 3
	[[ $stderr == *"need 1 <= MIN <= MAX <= NUM"* ]]
	mt_run 2 "$H/free_and_sbrk" 10 100 1 1 11
	mt_run 2 "$H/free_and_sbrk" 1 2 3 4 5 6
	mt_run 2 "$H/free_and_sbrk" 100000 20000
	[[ $stderr == *"more than 1 GiB"* ]]
	mt_run 2 "$H/free_and_sbrk" -t 0
	mt_run 2 "$H/free_and_sbrk" --trim
	[[ $stderr == "free_and_sbrk: option '--trim' needs an argument"* ]]
}

# --- malloc_chunks ----------------------------------------------------------

# Lines: the table "request address distance usable size word flags",
# "first block in:", "large block:", "in:", "size word:",
# "mallopt(M_MMAP_THRESHOLD, N)", "large block again:".
@test "malloc_chunks: chunk sizes, size words, and the mmap threshold" {
	[[ $(mt_libc "$H/malloc_chunks") == glibc ]] ||
		skip "a musl build: its own test below"
	local req a dist usable sw flags line n=0 large=200000 big want note prev=
	mt_start "$H/malloc_chunks"
	mt_wait_pause 1
	line=$(mt_maps_named "$MT_PID" '[heap]')
	while read -r req a dist usable sw flags; do
		[[ $(mt_maps_line "$MT_PID" "$a") == "$line" ]]
		((dist == $(hp_chunk "$req") && usable == dist - 8))
		[[ $sw == "$(mt_hex $((dist | 1)))" && $flags == P-- ]]
		# The next row's block is the next chunk.
		[[ -z ${prev:-} ]] || ((a == prev))
		prev=$((a + dist))
		n=$((n + 1))
	done < <(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^0x/' "$MT_OUT")
	((n == 7))
	[[ $(mt_out_field 'first block in') == "$(hp_range "$line" |
		cut -d, -f1) [heap]" ]]
	mt_try 1
	hp_same "$output" "$line"
	mt_resume

	mt_wait_pause 2
	big=$(mt_out_field 'large block' | cut -d, -f1)
	[[ $(mt_out_field 'large block') == "$big, 200000 (195.3 KiB)" ]]
	line=$(mt_maps_line "$MT_PID" "$big")
	[[ $line != *'[heap]'* && $(awk '{ print $2, $6 }' <<<"$line") == "rw-p " ]]
	[[ $(hp_last in) == "$(hp_range "$line" | cut -d, -f1) (anonymous)" ]]
	# An mmapped chunk: the request's chunk plus 8, in whole pages; M set.
	want=$(hp_round $(($(hp_chunk "$large") + 8)))
	[[ $(mt_out_field 'size word') == "$(mt_hex $((want | 2))) -M-" ]]
	(($(hp_lo "$line") <= big - 16 && $(hp_hi "$line") >= big - 16 + want))
	# Lines: the two or three under "size word:". The chunk's size as we
	# computed it; and the kernel's maps line spans the chunk alone, or
	# (a neighbour of the same permissions merged in) is bigger.
	note="    M: its own anonymous mapping, $want bytes in whole pages; free will"
	if (($(hp_lo "$line") == big - 16 && $(hp_hi "$line") == big - 16 + want))
	then
		note+=$'\n'"    munmap it"
	else
		note+=$'\n'"    munmap it. Here the maps line is bigger: the kernel merged it with"
		note+=$'\n'"    a neighbour of the same permissions (munmap takes the chunk only)"
	fi
	[[ $(awk '/^size word: / { on = 1; next } on && !/^    / { exit }
		on' "$MT_OUT") == "$note" ]]
	mt_try 2
	hp_same "$output" "$line"
	mt_resume

	mt_wait_pause 3
	grep -q "^mallopt(M_MMAP_THRESHOLD, $(hp_round $((2 * large))))$" \
		"$MT_OUT"
	big=$(mt_out_field 'large block again')
	line=$(mt_maps_line "$MT_PID" "$big")
	[[ $line == *'[heap]' ]]
	[[ $(hp_last in) == "$(hp_range "$line" | cut -d, -f1) [heap]" ]]
	mt_try 3
	hp_same "$output" "$line"
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "malloc_chunks under musl: says so; addresses as /proc shows them" {
	[[ $(mt_libc "$H/malloc_chunks") == musl ]] ||
		skip "a glibc build: the musl explanation is not printed"
	local req a usable line
	mt_run 0 "$H/malloc_chunks"
	grep -q '^this libc is not glibc' <<<"$output"
	grep -Eq '^request +address +usable$' <<<"$output"
	# musl's usable size has no independent source here: at least the
	# request.
	while read -r req a usable; do
		((usable >= req))
	done < <(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^0x/' <<<"$output")
	mt_start "$H/malloc_chunks"
	mt_wait_pause 1
	# The try: shows the mapping of the first block.
	a=$(awk '$1 == 1 && $2 ~ /^0x/ { print $2; exit }' "$MT_OUT")
	line=$(mt_maps_line "$MT_PID" "$a")
	[[ $(hp_last 'first block in') == "$(hp_range "$line" | cut -d, -f1) "* ]]
	mt_try 1
	hp_same "$output" "$line"
	mt_resume
	mt_wait_pause 2
	a=$(mt_out_field 'large block' | cut -d, -f1)
	[[ $(hp_last in) == "$(hp_range "$(mt_maps_line "$MT_PID" "$a")" |
		cut -d, -f1) (anonymous)" ]]
	mt_finish
}

@test "malloc_chunks: options, usage errors, and what every program owes" {
	local a
	mt_common_checks "$H/malloc_chunks"
	for a in -1 0 abc 100K 17M 99999999999999999999; do
		mt_run 2 "$H/malloc_chunks" -l "$a"
		[[ $stderr == "malloc_chunks: -l: bad size '$a'"* ]]
	done
	mt_run 2 "$H/malloc_chunks" -l
	[[ $stderr == "malloc_chunks: option '-l' needs an argument"* ]]
}

# --- lazy_alloc -------------------------------------------------------------

# Field N (2 VmSize, 3 VmRSS, 4 RssAnon, 5 VmPTE, 6 minor faults) of
# lazy_alloc's table row STEP.
hp_row() {
	awk -v s="$1" -v n="$2" '$1 == s && NF == 6 { print $n; exit }' \
		"$MT_OUT"
}

# Drive lazy_alloc -s SIZE through its six pauses. Lines: the table
# "step VmSize kB VmRSS kB RssAnon kB VmPTE kB minor faults" and its
# "since the last step:" lines, "block: 0xADDR, N whole pages from 0xADDR",
# the read explanation, "size:", "page size:", "MemAvailable:",
# "overcommit_memory:".
@test "lazy_alloc (64 MiB): every row is the kernel's; what a read costs" {
	local size=$((64 << 20)) ps i n name try pages first block zero e map d a
	local -a vs rss prss anon pte flt
	local names=(start malloc read write-half write-all free)
	ps=$(mt_pagesize)
	mt_start "$H/lazy_alloc" -s 64M
	for i in 0 1 2 3 4 5; do
		name=${names[i]}
		mt_wait_pause $((i + 1)) 20
		vs[i]=$(mt_status_kb "$MT_PID" VmSize)
		rss[i]=$(mt_status_kb "$MT_PID" VmRSS)
		anon[i]=$(mt_status_kb "$MT_PID" RssAnon)
		pte[i]=$(mt_status_kb "$MT_PID" VmPTE)
		flt[i]=$(mt_stat_field "$MT_PID" 10)
		# The row printed is what we read at the same pause, exactly,
		# but for what the program's own work after its read can
		# fault in: code run for the first time (printing the row,
		# the pause) maps file pages, up to 64 KiB a fault
		# (fault-around, fault_around_bytes), and a stack or stdio
		# page can be written for the first time (RssAnon, a page a
		# fault). VmSize and VmPTE are exact.
		[[ "$(hp_row "$name" 2) $(hp_row "$name" 5)" \
			== "${vs[i]} ${pte[i]}" ]]
		prss[i]=$(hp_row "$name" 3)
		d=$((rss[i] - prss[i]))
		e=$((flt[i] - $(hp_row "$name" 6)))
		a=$((anon[i] - $(hp_row "$name" 4)))
		((d >= 0 && e >= 0 && e <= 4 && d <= e * 64))
		((a >= 0 && a <= e * ps / 1024 && a <= d))
		(((d == 0) == (e == 0)))
		# The try: shows those very figures, labelled.
		mt_try $((i + 1))
		[[ $output == *"VmSize:"*" ${vs[i]} kB"*"VmRSS:"*" ${rss[i]} kB"* ]]
		[[ $output == *"RssAnon:"*" ${anon[i]} kB"*"VmPTE:"*" ${pte[i]} kB"* ]]
		[[ ${lines[-2]} == *MINFL* && ${lines[-1]// /} == "${flt[i]}" ]]
		if ((i > 0)); then
			grep -q "^    since the last step: VmSize $(printf %+d \
$((vs[i] - vs[i - 1]))) kB, VmRSS $(printf %+d $((prss[i] - prss[i - 1]))) kB, \
VmPTE $(printf %+d $((pte[i] - pte[i - 1]))) kB,\$" "$MT_OUT"
		fi
		if ((i == 1)); then
			# One anonymous mapping: the request's chunk plus 8, in
			# whole pages (glibc; musl rounds up the same way).
			block=$(($(sed -n 's/^block: \(0x[0-9a-f]*\),.*/\1/p' \
				"$MT_OUT")))
			map=$(mt_maps_line "$MT_PID" "$block")
			[[ $(awk '{ print $2, $6 }' <<<"$map") == "rw-p " ]]
			first=$(hp_round "$block")
			pages=$(((block + size - first) / ps))
			grep -q "^block: $(mt_hex "$block"), $pages whole pages from $(mt_hex "$first")\$" "$MT_OUT"
			((vs[1] - vs[0] == ($(hp_round $((block + size))) -
				block + block % ps) / 1024))
			# malloc writes its header in the block's first page
			# (musl's malloc also a page of its own bookkeeping).
			((anon[1] - anon[0] <= 2 * ps / 1024))
		elif ((i == 2)); then
			# One minor fault per page read, no more.
			((flt[2] - flt[1] == pages))
			# pagemap: present (bit 63); exclusive (bit 56) means
			# a page of its own, not the shared zero page.
			e=$(mt_pagemap "$MT_PID" "$first")
			((e >> 63 & 1))
			if ((e >> 56 & 1)); then
				zero=0
				((anon[2] - anon[1] == pages * ps / 1024))
				grep -q 'gave every page read a frame of its own' \
					"$MT_OUT"
				if grep -qw 'pvm_no_zero_page=1' /proc/cmdline; then
					grep -q 'booted with pvm_no_zero_page=1' "$MT_OUT"
				fi
			else
				zero=1
				((anon[2] - anon[1] < ps / 1024 * 2))
				grep -q 'each read mapped the one shared zero page' \
					"$MT_OUT"
			fi
			# Page tables: one table page per 2 MiB (ps * ps / 8)
			# the block touches; neighbours may already share the
			# first and last, and a new middle-level table comes
			# when the block crosses a 1 GiB line.
			n=$(((first + pages * ps - 1) / (ps * ps / 8) -
				first / (ps * ps / 8) + 1))
			((pte[2] - pte[1] >= (n - 2) * ps / 1024 &&
				pte[2] - pte[1] <= (n + 1) * ps / 1024))
		elif ((i == 3 || i == 4)); then
			n=$(((pages + 1) / 2))
			((i == 4)) && n=$((pages - n))
			grep -q "^    since the last step: .*"$'\n'"    minor faults $(printf %+d $((flt[i] - flt[i - 1])))" "$MT_OUT" || true
			if ((zero)); then
				((flt[i] - flt[i - 1] == n))
				((anon[i] - anon[i - 1] == n * ps / 1024))
			else
				((flt[i] - flt[i - 1] == 0 && anon[i] == anon[i - 1]))
			fi
		fi
		mt_resume
	done
	mt_finish 20
	[[ $MT_STATUS == 0 ]]
	# free: back to the start.
	((vs[5] == vs[0] && anon[5] == anon[0]))
	# The write lines, and the minor-fault deltas under each row.
	grep -q "^    wrote every other page: $(((pages + 1) / 2)) pages, $((
		(pages + 1) / 2 * ps / 1024)) kB\$" "$MT_OUT"
	grep -q "^    wrote every page: the other $((pages - (pages + 1) / 2)) pages\$" "$MT_OUT"
	for i in 1 2 3 4 5; do
		[[ $(grep -A1 "^    since the last step" "$MT_OUT" |
			grep '^    minor faults' | sed -n "${i}p") == \
			"    minor faults $(printf %+d $((flt[i] - flt[i - 1])))" ]]
	done
	[[ $(mt_out_field size) == "67108864 (64 MiB)" ]]
	[[ $(mt_out_field 'page size') == "$ps" ]]
	[[ $(mt_out_field overcommit_memory) == \
		"$(</proc/sys/vm/overcommit_memory) "* ]]
	# MemAvailable moves with every page the system allocates or frees
	# between its read and ours: within 5%.
	e=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	n=$(mt_out_field MemAvailable | cut -d' ' -f1)
	((n - e < e / 20 && e - n < e / 20))
}

# A /proc/meminfo of our own, bind-mounted in a private mount namespace.
hp_fake_meminfo() {
	unshare -rm true 2>/dev/null ||
		skip "unshare -rm is not permitted here (user namespaces)"
	printf '%s\n' "$1" >"$MT_TMP/meminfo"
	shift
	mt_run "$1" unshare -rm bash -c 'mount --bind "$0" /proc/meminfo &&
		exec "$@"' "$MT_TMP/meminfo" "${@:2}"
}

# Lines: "MemAvailable:", the "lowered to" line, "size:", the "free" row;
# stderr "not touching".
@test "lazy_alloc: a small MemAvailable lowers the default and is not touched" {
	hp_fake_meminfo 'MemAvailable:     100000 kB' 0 "$H/lazy_alloc"
	[[ $(hp_field MemAvailable <<<"$output") == "100000 kB (97.7 MiB)" ]]
	grep -q 'the default 256 MiB is more than half of it: lowered to 24 MiB' \
		<<<"$output"
	[[ $(hp_field size <<<"$output") == "25165824 (24 MiB)" ]]
	hp_fake_meminfo 'MemAvailable:     100000 kB' 2 "$H/lazy_alloc" -s 1G
	[[ $stderr == *"not touching 1 GiB: more than MemAvailable (97.7 MiB)"* ]]
	grep -q '^free ' <<<"$output"
	[[ $output != *"read "* ]]
}

# Lines: "MemAvailable: unknown ...".
@test "lazy_alloc: no MemAvailable: says so, never -1" {
	hp_fake_meminfo '' 0 "$H/lazy_alloc" -s 4M
	grep -q '^MemAvailable: unknown' <<<"$output"
	[[ $output != *-1* ]]
}

@test "lazy_alloc: options, usage errors, and what every program owes" {
	local a
	mt_common_checks "$H/lazy_alloc" -s 1M
	for a in 0 abc 12x 99999999999999999999 2T 512K ''; do
		mt_run 2 "$H/lazy_alloc" -s "$a"
		[[ $stderr == "lazy_alloc: -s: bad size '$a'"* ]]
	done
	mt_run 2 "$H/lazy_alloc" -s
	[[ $stderr == "lazy_alloc: option '-s' needs an argument"* ]]
	mt_run 2 "$H/lazy_alloc" extra
}

# --- alloca -----------------------------------------------------------------

# The present bits (pagemap bit 63) of every page of [stack], one 0/1 per
# page from the lowest, as the kernel shows them now.
hp_stack_present() {
	local line lo hi ps
	ps=$(mt_pagesize)
	line=$(mt_maps_named "$MT_PID" '[stack]')
	lo=$(hp_lo "$line")
	hi=$(hp_hi "$line")
	dd if="/proc/$MT_PID/pagemap" bs=8 skip=$((lo / ps)) \
		count=$(((hi - lo) / ps)) 2>/dev/null | od -An -v -tx8 |
		tr -s ' ' '\n' | sed '/^$/d' |
		while read -r e; do echo $((16#$e >> 63 & 1)); done
}

# Lines: "[stack] before alloca:", "[stack] with the block:", each with
# "Size N kB, Rss N kB" under it; "stack pointer before alloca:", "...
# after alloca:", "the stack pointer moved:", "block: 0xA-0xB, N (human)",
# "minor faults while writing it:", "same address:", "a local of main:",
# "stack limit (ulimit -s): N (human), N in use at start".
hp_alloca() {
	local size=$1 line a b before after moved faults new i ps top mainl
	local -a was
	ps=$(mt_pagesize)
	mt_start "$H/alloca" -s "$size"
	for i in 1 2; do
		mt_wait_pause $i
		line=$(mt_maps_named "$MT_PID" '[stack]')
		grep -A1 '^\[stack\] '"$([[ $i == 1 ]] && echo before ||
			echo with)" "$MT_OUT" >"$MT_TMP/st"
		[[ $(sed -n 1p "$MT_TMP/st") == *": $(hp_range "$line" |
			cut -d, -f1)" ]]
		[[ $(sed -n 2p "$MT_TMP/st") == "    Size $(mt_smaps_kb \
"$MT_PID" "$(hp_lo "$line")" Size) kB, Rss $(mt_smaps_kb "$MT_PID" \
"$(hp_lo "$line")" Rss) kB" ]]
		mt_try $i
		[[ ${lines[0]} == "$line" && ${lines[1]} == Size:* &&
			${lines[4]} == Rss:* ]]
		[[ ${lines[4]} == "Rss: "*" $(mt_smaps_kb "$MT_PID" \
"$(hp_lo "$line")" Rss) kB" ]]
		if ((i == 1)); then
			mapfile -t was < <(hp_stack_present)
			WAS_LO=$(hp_lo "$line")
		fi
		((i == 2)) && break
		mt_resume
	done
	# main's local is in [stack]; the stack in use at start is what lies
	# above it, up to the top of [stack] (which never moves): no other
	# source sees main's frame, so it is tied to these two by arithmetic.
	top=$(hp_hi "$line")
	mainl=$(($(mt_out_field 'a local of main')))
	[[ $(mt_maps_line "$MT_PID" "$mainl") == "$line" ]]
	# The block, first byte and last, inside [stack]; exactly SIZE long.
	IFS=- read -r a b < <(mt_out_field block | cut -d, -f1)
	a=$((a)) b=$((b))
	((b - a == size))
	[[ $(mt_out_field block) == "$(mt_hex $a)-$(mt_hex $b), $size "* ]]
	[[ $(mt_maps_line "$MT_PID" $a) == *'[stack]' ]]
	[[ $(mt_maps_line "$MT_PID" $((b - 1))) == *'[stack]' ]]
	# Its pages that were not present at pause 1 each took a fault.
	new=0
	for ((i = a / ps; i <= (b - 1) / ps; i++)); do
		if ((i * ps < WAS_LO)) ||
			[[ ${was[i - WAS_LO / ps]} == 0 ]]; then
			new=$((new + 1))
		fi
	done
	# probe() and getrusage() run just below the block between alloca
	# and the first write: their frames may bring in its lowest page
	# before the count starts.
	faults=$(mt_out_field 'minor faults while writing it')
	((faults == new || faults == new - 1)) ||
		{ echo "faults $faults, new pages $new" >&2; false; }
	# Between the two stack pointers, which moved by SIZE and what the
	# compiler added (gcc keeps 16-byte alignment with a little room).
	before=$(($(mt_out_field 'stack pointer before alloca')))
	after=$(($(mt_out_field 'stack pointer after alloca')))
	# The probes are locals of probe(), which sits just below the
	# caller's stack pointer (its return address and frame, well under
	# 64 bytes); the block lies between the two stack pointers.
	((after < a && b <= before + 64))
	moved=$((before - after))
	[[ $(mt_out_field 'the stack pointer moved') == \
		"$moved (asked for $size; the compiler added $((moved - size)))" ]]
	((moved - size >= 0 && moved - size < 32))
	mt_finish
	[[ $MT_STATUS == 0 ]]
	# The second call: the same block, no new page.
	[[ $(grep -c "^block: $(mt_hex $a)-$(mt_hex $b), " "$MT_OUT") == 2 ]]
	[[ $(grep '^minor faults while writing it' "$MT_OUT" | sed -n 2p) == \
		*": 0" ]]
	[[ $(mt_out_field 'same address') == yes ]]
	[[ $(mt_out_field size) == "$size "* ]]
	((mainl > before))
	if [[ $(ulimit -s) != unlimited ]]; then
		[[ $(mt_out_field 'stack limit (ulimit -s)') == \
			"$(($(ulimit -s) * 1024)) ("*"), $((top - mainl)) in use at start" ]]
	fi
}

@test "alloca: the block is on [stack]; its pages fault in once" {
	hp_alloca 65536
}

@test "alloca -s 1M: [stack] grows to hold it" {
	hp_alloca 1048576
}

# Lines: "stack limit (ulimit -s): N (human), N in use at start", the
# "lowered" line, "size:"; stderr when it refuses.
@test "alloca: a small stack limit lowers the default or refuses" {
	local in_use size
	# An empty environment: under 16 KiB, a few KiB of environment are
	# enough for the dynamic loader itself to fault while it loads libc,
	# before main (any dynamically linked program does).
	mt_run 1 env -i bash -c 'ulimit -s 32 && exec "$0"' "$H/alloca"
	[[ $stderr == "alloca: the stack limit leaves less than 32 KiB"* ]]
	mt_run 1 env -i bash -c 'ulimit -s 16 && exec "$0"' "$H/alloca"
	[[ $stderr == "alloca: the stack limit leaves less than 32 KiB"* ]]
	mt_run 0 bash -c 'ulimit -s 64 && exec "$0"' "$H/alloca"
	[[ $(hp_field 'stack limit (ulimit -s)' <<<"$output") == \
		"65536 (64 KiB), "*" in use at start" ]]
	in_use=$(hp_field 'stack limit (ulimit -s)' <<<"$output" |
		awk '{ print $4 }')
	size=$(((65536 - in_use) / 4 / 16 * 16))
	[[ $(hp_field size <<<"$output") == "$size "* ]]
	grep -q 'lowered' <<<"$output"
	# -s over a quarter of the room: the room is the limit less the
	# stack in use; both figures in the message.
	mt_run 2 bash -c 'ulimit -s 64 && exec "$0" -s 20K' "$H/alloca"
	[[ $stderr =~ ^"alloca: -s: 20480 is more than a quarter of the room the stack limit"$'\n'"leaves ("([0-9]+)" bytes of 65536): raise it with ulimit -s"$'\n'"usage: " ]]
	((BASH_REMATCH[1] < 65536 && BASH_REMATCH[1] / 4 < 20480))
	# shellcheck disable=SC2016 # $0 is bash -c's own
	mt_run 0 bash -c 'ulimit -s 8192 && exec "$0" -s 1M' "$H/alloca"
}

@test "alloca: options, usage errors, and what every program owes" {
	local a
	mt_common_checks "$H/alloca" -s 4K
	# The range in the message is fixed, as --help says it; the stack
	# limit lowers it in a message of its own (the test above).
	for a in 0 abc 1x 99999999999999999999 1G 257M +5 " 5"; do
		mt_run 2 "$H/alloca" -s "$a"
		[[ $stderr == "alloca: -s: bad size '$a' (1 to 268435456 bytes; K, M, G suffixes)"$'\n'"usage: "* ]]
	done
	mt_run 0 "$H/alloca" --help
	[[ $output == *"-s, --size SIZE  bytes to alloca, 1 to 256M (K, M, G suffixes), and at"* ]]
	mt_run 2 "$H/alloca" -s
	[[ $stderr == "alloca: option '-s' needs an argument"* ]]
}

# ---------------------------------------------------------------------------
# heap/mini_malloc, the demo, checked against the block headers in
# /proc/PID/mem, /proc/PID/{maps,smaps,status,pagemap} read while it is
# paused; and heap/mini_malloc.so under LD_PRELOAD in real programs (the same
# output as with the C library's malloc).
# ---------------------------------------------------------------------------

MINI=$MT_TOP/heap/mini_malloc
MINI_SO=$MT_TOP/heap/mini_malloc.so

# The lines of stage N ("== stage N: ..." up to the next stage), from
# $MT_OUT or from file $2.
mini_stage() {
	awk -v n="$1" '/^== stage / { on = ($3 == n ":") } on' "${2:-$MT_OUT}"
}

# The block table of stage N: "block size state bin name" rows.
mini_rows() {
	mini_stage "$@" | awk '$1 ~ /^0x/ && NF == 5 &&
		($3 == "used" || $3 == "free")'
}

# Start the demo in step mode and go on to [pause N].
mini_goto() {
	local i
	mt_start "$MINI"
	for ((i = 1; i < $1; i++)); do
		mt_wait_pause "$i"
		mt_resume
	done
	mt_wait_pause "$1"
}

# mini_mem PID ADDR N: N 8-byte words of PID's memory at ADDR, read from
# /proc/PID/mem, into the array MEM (decimal). Fails with MEM_ERR set if
# /proc/PID/mem cannot be read (the caller skips with that reason).
mini_mem() {
	local out
	out=$(dd if="/proc/$1/mem" bs=8 count="$3" skip=$(($2 / 8)) \
		status=none 2>"$MT_TMP/memerr" | od -An -v -tu8)
	read -r -a MEM <<<"$(echo $out)"
	MEM_ERR=$(<"$MT_TMP/memerr")
	((${#MEM[@]} == $3))
}

# A block's size as the allocator rounds it: payload + 16-byte header, to
# a multiple of 16, at least 32.
mini_block_size() {
	local s=$(((($1 + 16 + 15) / 16) * 16))
	echo $((s < 32 ? 32 : s))
}

# The bin of a free block of SIZE bytes: exact bins 0..61 for 32..1008
# (size / 16 - 2), then 4 bins per power of two from 1024.
mini_bin() {
	local s=$1 log=0
	if ((s < 1024)); then
		echo $((s / 16 - 2))
		return
	fi
	while ((s >> (log + 1))); do log=$((log + 1)); done
	echo $((62 + (log - 10) * 4 + ((s >> (log - 2)) & 3)))
}

# The first line of an xxd -e -g8 dump: "ADDR: WORD0 WORD1 ..." -> the
# two words in decimal.
mini_xxd_words() {
	local a w0 w1
	read -r a w0 w1 _ <<<"${lines[0]}"
	echo "$((16#$w0)) $((16#$w1))"
}

# Check the block table of stage N against the headers in PID's memory:
# each row's size and state equal its header (size | 1 when in use), each
# prev_size the size of the row before, the rows tile the arena from its
# header (16 bytes) to the fence (a 16-byte header of size 0, in use), a
# free row's bin is the bin of its size, and the bitmap line names exactly
# the bins of the free rows. Also: "in use" and "free" add the rows up.
# Lines: "arena 0: LO to HI", the table, "in use: U, free: F",
# "bins with a block (bitmap): ...".
mini_check_blocks() {
	local n=$1 pid=$2 lo hi blk size state bin name prev=0 at used=0
	local free=0 bins="" want
	read -r _ _ lo _ hi < <(mini_stage 1 | grep '^arena 0: ')
	at=$((lo + 16))
	while read -r blk size state bin name; do
		((blk == at))
		mini_mem "$pid" "$blk" 4 ||
			skip "cannot read /proc/$pid/mem: $MEM_ERR"
		((MEM[0] == prev))
		if [[ $state == used ]]; then
			((MEM[1] == (size | 1)))
			[[ $bin == - ]]
			used=$((used + size))
		else
			((MEM[1] == size))
			[[ $bin == "$(mini_bin "$size")" && $name == - ]]
			bins+=" $bin"
			free=$((free + size))
		fi
		prev=$size
		at=$((blk + size))
	done < <(mini_rows "$n")
	((at == hi - 16))
	mini_mem "$pid" "$at" 2 || skip "cannot read /proc/$pid/mem: $MEM_ERR"
	((MEM[0] == prev && MEM[1] == 1))	# the fence
	[[ $(mini_stage "$n" | grep '^in use: ') == \
		"in use: $used, free: $free (headers included)" ]]
	want=$(tr ' ' '\n' <<<"$bins" | sed '/^$/d' | sort -nu | tr '\n' ' ')
	[[ "$(mini_stage "$n" | sed -n 's/^bins with a block (bitmap): //p') " \
		== "$want" ]]
}

# Usage, help and the write errors every program handles.
@test "mini_malloc: help, usage errors, write errors, closed stdin" {
	mt_common_checks "$MINI"
	mt_run 0 "$MINI" --help
	[[ $output == *"--bench"* && $output == *"--ops"* ]]
	mt_run 2 "$MINI" -n 5
	[[ $stderr == "mini_malloc: -n needs --bench"* ]]
	mt_run 2 "$MINI" --bench -n
	[[ $stderr == "mini_malloc: option '-n' needs an argument"* ]]
	local bad
	for bad in 0 -5 12x "" " 5" +5 1000000001 99999999999999999999; do
		mt_run 2 "$MINI" --bench -n "$bad"
		[[ $stderr == "mini_malloc: -n: bad number '$bad'"* ]]
	done
	mt_run 2 "$MINI" extra
	[[ $stderr == "mini_malloc: unexpected argument 'extra'"* ]]
}

# Lines: "page size:", "arena size:", "block header:", "smallest block:",
# "large blocks from:", "arena 0: LO to HI", "arena names in maps:",
# "maps line:" and the note under it; [pause 1] and its try: (smaps).
@test "mini_malloc: pause 1: arena 0 is mapped as the kernel shows it" {
	local pid lo hi line kline names note ps present
	mt_start "$MINI"
	mt_wait_pause 1
	pid=$MT_PID
	[[ $(mt_out_field "page size") == "$(mt_pagesize)" ]]
	[[ $(mt_out_field "arena size") == "1048576 (1 MiB)" ]]
	[[ $(mt_out_field "block header") == "16 bytes"* ]]
	[[ $(mt_out_field "smallest block") == "32 bytes" ]]
	[[ $(mt_out_field "large blocks from") == "131072 (128 KiB)"* ]]
	read -r _ _ lo _ hi < <(grep '^arena 0: ' "$MT_OUT")
	((hi - lo == 1048576 && lo % $(mt_pagesize) == 0))
	# The maps line printed is the kernel's line holding the arena, and
	# "a mapping of its own" exactly when it spans the arena alone.
	kline=$(mt_maps_line "$pid" "$lo")
	line=$(mt_out_field "maps line")
	[[ ${line%% } == "${kline%% }" ]]
	[[ $kline == *" rw-p "* ]]
	note=$(grep -A1 '^maps line:' "$MT_OUT" | sed -n 2p)
	if [[ ${kline%% *} == "$(printf '%x-%x' "$lo" "$hi")" ]]; then
		[[ $note == "  (a mapping of its own)" ]]
	else
		[[ $note == "  (merged with a neighbour:"* ]]
		mt_ult "$((16#${kline%%-*}))" "$((lo + 1))"
	fi
	names=$(mt_out_field "arena names in maps")
	if [[ $names == yes ]]; then
		[[ $kline == *"[anon:mini_malloc arena]" ]]
	else
		[[ $names == "no (needs Linux 5.17+ with CONFIG_ANON_VMA_NAME)" ]]
		grep -q 'anon:mini_malloc' "/proc/$pid/maps" && false
	fi
	# try: shows that mapping's smaps entry: Size and Rss as the kernel
	# says; Rss is a few pages, the free rest was never touched.
	mt_try 1
	[[ ${lines[0]%% } == "${kline%% }" ]]
	[[ ${lines[1]} =~ ^Size:\ +$(mt_smaps_kb "$pid" "$lo" Size)\ kB$ ]]
	[[ ${lines[4]} =~ ^Rss:\ +$(mt_smaps_kb "$pid" "$lo" Rss)\ kB$ ]]
	# (Merged with a neighbour, the neighbour's pages count too.)
	if [[ $note == "  (a mapping of its own)" ]]; then
		(($(mt_smaps_kb "$pid" "$lo" Rss) < 1024 / 2))
	fi
	# pagemap (bit 63, present): of the arena's pages only two were
	# written, the first (the headers) and the last (the fence). THP
	# "always" may back untouched pages: then this check is left out.
	if ! grep -q '\[always\]' \
		/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
		ps=$(mt_pagesize)
		present=$(dd if="/proc/$pid/pagemap" bs=8 skip=$((lo / ps)) \
			count=$((1048576 / ps)) status=none | od -An -v -tx8)
		[[ -n $present ]] || skip "cannot read /proc/$pid/pagemap"
		present=$(tr -s ' ' '\n' <<<"$present" | grep -c '^[89a-f]')
		((present == 2))
	fi
	mt_finish
	((MT_STATUS == 0))
}

# Lines: the block table of stage 1 ("block size state bin name"), "in
# use:", "bins with a block (bitmap):".
@test "mini_malloc: pause 1: the block table is what the headers say" {
	local pid row sizes=(100 200 300 1000) abcd=(a b c d) i=0
	local blk size state bin name big=0 big_blk
	mt_start "$MINI"
	mt_wait_pause 1
	pid=$MT_PID
	mini_check_blocks 1 "$pid"
	# a, b, c, d in order, each rounded up with its header; then the
	# free rest of the arena.
	while read -r blk size state bin name; do
		if ((i < 4)); then
			[[ $state == used && $name == "${abcd[i]}" ]]
			((size == $(mini_block_size "${sizes[i]}")))
		else
			[[ $state == free ]]
			big=$size big_blk=$blk
		fi
		i=$((i + 1))
	done < <(mini_rows 1)
	((i == 5 && big > 1024 * 1024 - 2048))
	# The headers were written, so their page is in RAM; the middle of
	# the big free block never was (unless THP "always" backs it).
	row=$(mt_pagemap "$pid" "$big_blk") || skip "no pagemap"
	((((row >> 63) & 1) == 1))
	if ! grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled \
		2>/dev/null; then
		row=$(mt_pagemap "$pid" "$((big_blk + big / 2))")
		((((row >> 63) & 1) == 0))
	fi
	mt_finish
	((MT_STATUS == 0))
}

# Lines: stage 2's table; [pause 2] and its try: (xxd of b's header).
@test "mini_malloc: pause 2: b and c are one free block, as b's header says" {
	local pid sb sc bb
	mini_goto 2
	pid=$MT_PID
	mini_check_blocks 2 "$pid"
	read -r bb sb _ < <(mini_rows 1 | awk '$5 == "b"')
	read -r _ sc _ < <(mini_rows 1 | awk '$5 == "c"')
	# b's block is free now, its size that of b and c together.
	[[ $(mini_rows 2 | awk -v b="$bb" '$1 == b { print $2, $3 }') == \
		"$((sb + sc)) free" ]]
	(($(mini_rows 2 | wc -l) == 4))
	command -v xxd >/dev/null ||
		skip "xxd is not installed (package xxd or vim-common)"
	mt_try 2
	[[ ${lines[0]} == "$(printf '%x' "$bb"):"* ]]
	mini_mem "$pid" "$bb" 2 || skip "cannot read /proc/$pid/mem: $MEM_ERR"
	[[ $(mini_xxd_words) == "${MEM[0]} $((sb + sc))" ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: "realloc(a, 300): ADDR in place", "realloc(a, 3000): ADDR moved",
# stage 3's table; [pause 3] and its try: (xxd of a's old header).
@test "mini_malloc: pause 3: a grew in place, then moved; old block free" {
	local pid ba sa sb sc p1 p2 how1 how2
	mini_goto 3
	pid=$MT_PID
	mini_check_blocks 3 "$pid"
	read -r ba sa _ < <(mini_rows 1 | awk '$5 == "a"')
	read -r _ sb _ < <(mini_rows 1 | awk '$5 == "b"')
	read -r _ sc _ < <(mini_rows 1 | awk '$5 == "c"')
	read -r _ _ p1 how1 < <(grep '^realloc(a, 300): ' "$MT_OUT")
	read -r _ _ p2 how2 < <(grep '^realloc(a, 3000): ' "$MT_OUT")
	# 300 bytes fit into a plus the free b+c after it: same payload.
	[[ $how1 == "in place" ]]
	((p1 == ba + 16))
	# 3000 do not: a moved to a block of its own, of 3000 + header.
	[[ $how2 == moved ]]
	[[ $(mini_rows 3 | awk '$5 == "a" { print $1, $2 }') == \
		"$(mt_hex $((p2 - 16))) $(mini_block_size 3000)" ]]
	# The old block is free again, merged with what was b and c.
	[[ $(mini_rows 3 | awk -v b="$ba" '$1 == b { print $2, $3 }') == \
		"$((sa + sb + sc)) free" ]]
	command -v xxd >/dev/null ||
		skip "xxd is not installed (package xxd or vim-common)"
	mt_try 3
	[[ ${lines[0]} == "$(printf '%x' "$ba"):"* ]]
	[[ $(mini_xxd_words) == "0 $((sa + sb + sc))" ]]
	mt_finish
	((MT_STATUS == 0))
}

# mini_big N: "big: P, block B, size S" of stage N -> "P B S".
mini_big() {
	mini_stage "$1" |
		sed -n 's/^big: \(.*\), block \(.*\), size \(.*\)$/\1 \2 \3/p'
}

# Check the maps line printed in stage N for the block [B, B + S): the
# kernel's line holding B, and "a mapping of its own" exactly when it
# spans the block alone.
mini_check_mapping() {
	local n=$1 pid=$2 b=$(($3)) s=$4 kline note
	kline=$(mt_maps_line "$pid" "$b")
	[[ $(mini_stage "$n" | sed -n 's/^maps line: //p' | sed 's/ *$//') == \
		"${kline%% }" ]]
	note=$(mini_stage "$n" | grep -A1 '^maps line:' | sed -n 2p)
	if [[ ${kline%% *} == "$(printf '%x-%x' "$b" "$((b + s))")" ]]; then
		[[ $note == "  (a mapping of its own)" ]]
	else
		[[ $note == "  (merged with a neighbour:"* ]]
	fi
	echo "$kline"
}

# Lines: stage 4 "big:", "maps line:" and its note; stage 5 "mremap:",
# "big:", "maps line:"; stage 6 "VmSize: B kB before, A kB after";
# [pause 4], [pause 5], [pause 6] and their try: commands.
@test "mini_malloc: pauses 4-6: a large block is a mapping; mremap; munmap" {
	local pid ps p b s kline old vm5 vm6 before after
	ps=$(mt_pagesize)
	mini_goto 4
	pid=$MT_PID
	read -r p b s < <(mini_big 4)
	# 128 KiB - 16 + the 16-byte header: the smallest large block, a
	# mapping of 128 KiB, rounded up to whole pages.
	[[ $(mini_stage 4 | head -n 1) == *"malloc(128 KiB - 16)"* ]]
	((p == b + 16 && s == (131072 + ps - 1) / ps * ps))
	((b % ps == 0))
	kline=$(mini_check_mapping 4 "$pid" "$b" "$s")
	# try: the smaps entry of that mapping: all of big was written, so
	# every page of it is in RAM.
	mt_try 4
	[[ ${lines[0]%% } == "${kline%% }" ]]
	[[ ${lines[4]} =~ ^Rss:\ +([0-9]+)\ kB$ ]]
	((BASH_REMATCH[1] * 1024 >= s))
	((BASH_REMATCH[1] == $(mt_smaps_kb "$pid" "$b" Rss)))

	mt_resume
	mt_wait_pause 5
	old=$b
	read -r p b s < <(mini_big 5)
	((p == b + 16 && s == (2097152 + 16 + ps - 1) / ps * ps))
	if ((b == old)); then
		[[ $(mini_stage 5 | grep '^mremap: ') == "mremap: grew in place,"* ]]
	else
		[[ $(mini_stage 5 | grep '^mremap: ') == "mremap: moved,"* ]]
		# Moved: nothing is mapped where big was (the arena aside).
		mt_maps_line "$pid" "$old" 2>/dev/null && false
	fi
	# The first bytes came along: 'x' (0x78) still at the start.
	mini_mem "$pid" "$p" 1 || skip "cannot read /proc/$pid/mem: $MEM_ERR"
	((MEM[0] == 0x7878787878787878))
	[[ $(mini_stage 5 | grep '^mremap: ') == *", first bytes kept: yes" ]]
	kline=$(mini_check_mapping 5 "$pid" "$b" "$s")
	mt_try 5
	[[ ${lines[0]%% } == "${kline%% }" ]]
	[[ ${lines[4]} =~ ^Rss:\ +([0-9]+)\ kB$ ]]
	((BASH_REMATCH[1] * 1024 >= s))
	vm5=$(mt_status_kb "$pid" VmSize)

	mt_resume
	mt_wait_pause 6
	vm6=$(mt_status_kb "$pid" VmSize)
	read -r _ before _ _ after _ < <(grep '^VmSize: ' "$MT_OUT")
	# free gave exactly big's pages back to the kernel.
	((before == vm5 && after == vm6 && before - after == s / 1024))
	mt_maps_line "$pid" "$b" 2>/dev/null && false
	mt_try 6
	[[ $output =~ ^VmSize:[[:space:]]+$vm6\ kB$ ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: stage 7 "before calloc: malloc(8000) at ADDR, filled with 0xa5,
# freed", the "calloc(1000, 8) ADDR yes 8000" row, "calloc zeroed:";
# [pause 7] and its try: (xxd -a of the calloc block).
@test "mini_malloc: pause 7: calloc clears a block that held 0xa5 bytes" {
	local pid lo hi dirty c n
	mini_goto 7
	pid=$MT_PID
	read -r _ _ lo _ hi < <(grep '^arena 0: ' "$MT_OUT")
	dirty=$(mini_stage 7 | sed -n 's/^before calloc: malloc(8000) at \(0x[0-9a-f]*\), filled with 0xa5, freed$/\1/p')
	c=$(mini_stage 7 | awk '$1 == "calloc(1000," { print $3 }')
	# calloc got the very block malloc(8000) had (the same block size):
	# the freed block, merged back into the free rest, comes first.
	[[ -n $dirty && $c == "$dirty" ]]
	((dirty > lo && dirty + 8000 < hi))
	[[ $(mt_out_field "calloc zeroed") == "yes (the block of 0xa5 bytes)" ]]
	# Our own read of its 8000 bytes: all zero (a clear of only some of
	# them leaves 0xa5 behind). Lines: "BYTE:COUNT" for each value.
	n=$(dd if="/proc/$pid/mem" bs=8000 count=1 skip=$((c)) \
		iflag=skip_bytes status=none 2>/dev/null | od -An -v -tx1 |
		tr -s ' ' '\n' | sed '/^$/d' | sort | uniq -c |
		awk '{ printf "%s:%s ", $2, $1 }')
	[[ -n $n ]] || skip "cannot read /proc/$pid/mem"
	[[ $n == "00:8000 " ]]
	command -v xxd >/dev/null ||
		skip "xxd is not installed (package xxd or vim-common)"
	# xxd -a folds the lines of zeros into "*": first line, *, last.
	mt_try 7
	((${#lines[@]} == 3))
	[[ ${lines[0]} == "$(printf '%x' $((c))): 0000 0000 0000 0000 "* ]]
	[[ ${lines[1]} == '*' ]]
	[[ ${lines[2]} == \
		"$(printf '%x' $((c + 7984))): 0000 0000 0000 0000 "* ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: stage 8 "x: ADDR, y: ADDR", its table and the note under it;
# [pause 8] and its try: (xxd of x's header); "malloc(200) again: ADDR".
@test "mini_malloc: pause 8: a freed block between used ones, its exact bin" {
	local pid x y rows again xs ys
	xs=$(mini_block_size 200)
	ys=$(mini_block_size 400)
	mini_goto 8
	pid=$MT_PID
	mini_check_blocks 8 "$pid"
	read -r _ x _ y < <(mini_stage 8 | grep '^x: ')
	x=${x%,}
	# x's block is free, of malloc(200)'s size, in its bin (224-byte
	# blocks only); y's block follows, in use, exactly malloc(400)'s
	# size; then the 32 bytes y's cut left: a block of their own, free,
	# in bin 0 (the rows' sizes are the headers', by mini_check_blocks).
	rows=$(mini_rows 8)
	[[ $(awk -v a="$(mt_hex $((x - 16)))" '$1 == a { print $2, $3, $4 }' \
		<<<"$rows") == "$xs free $(mini_bin "$xs")" ]]
	((y - 16 == x - 16 + xs))
	[[ $(awk -v a="$(mt_hex $((y - 16)))" '$1 == a { print $2, $3, $5 }' \
		<<<"$rows") == "$ys used y" ]]
	[[ $(awk -v a="$(mt_hex $((y - 16 + ys)))" \
		'$1 == a { print $2, $3, $4 }' <<<"$rows") == "32 free 0" ]]
	[[ $(mini_stage 8 | grep -A1 "waits in bin") == \
"    x's block has used blocks on both sides: it waits in bin $(mini_bin \
"$xs"), for"$'\n'"    $xs-byte blocks only. y's cut left 32 bytes: the \
smallest block" ]]
	command -v xxd >/dev/null ||
		skip "xxd is not installed (package xxd or vim-common)"
	mt_try 8
	[[ ${lines[0]} == "$(printf '%x' $((x - 16))):"* ]]
	mini_mem "$pid" "$((x - 16))" 1 ||
		skip "cannot read /proc/$pid/mem: $MEM_ERR"
	[[ $(mini_xxd_words) == "${MEM[0]} $xs" ]]
	mt_resume
	# The next malloc(200) takes x's block back from its bin.
	mt_wait_pause 9
	again=$(mt_out_field "malloc(200) again")
	[[ $again == "$(mt_hex "$x") (x's block, from its bin)" ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: stage 9's table; [pause 9] and its try: (xxd of block 0).
@test "mini_malloc: pause 9: all freed, arena 0 is one free block again" {
	local pid lo hi
	mini_goto 9
	pid=$MT_PID
	mini_check_blocks 9 "$pid"
	read -r _ _ lo _ hi < <(grep '^arena 0: ' "$MT_OUT")
	[[ $(mini_rows 9) == "$(mt_hex $((lo + 16)))  $((hi - lo - 32))"* ]]
	(($(mini_rows 9 | wc -l) == 1))
	# The arena stays mapped: free gives nothing back to the kernel.
	mt_maps_line "$pid" "$lo" >/dev/null
	command -v xxd >/dev/null ||
		skip "xxd is not installed (package xxd or vim-common)"
	mt_try 9
	[[ ${lines[0]} == "$(printf '%x' $((lo + 16))):"* ]]
	[[ $(mini_xxd_words) == "0 $((hi - lo - 32))" ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: stage 7's table "call address aligned usable", "calloc zeroed:",
# "malloc(0): ADDR, usable N", "realloc(p, 0):",
# "malloc(SIZE_MAX):", "calloc(SIZE_MAX/2, 4):".
@test "mini_malloc: stage 7: the aligned family, calloc and edge cases" {
	local out=$MT_TMP/out call addr ok usable align want n=0 lo hi z
	local ps enomem="Cannot allocate memory"
	ps=$(mt_pagesize)
	# strerror(ENOMEM) in each C library's words
	[[ $(mt_libc "$MINI") == glibc ]] || enomem="Out of memory"
	mt_run 0 "$MINI"
	printf '%s\n' "$output" >"$out"
	read -r _ _ lo _ hi < <(grep '^arena 0: ' "$out")
	while read -r call addr ok usable; do
		case $call in
		posix_memalign*) align=64 want=100 ;;
		aligned_alloc*) align=1024 want=2048 ;;
		memalign*) align=256 want=10 ;;
		valloc*) align=$ps want=100 ;;
		pvalloc*) align=$ps want=$ps ;;
		calloc*) align=16 want=8000 ;;
		*) continue ;;
		esac
		n=$((n + 1))
		# Aligned, in arena 0, and exactly what the block holds: the
		# request rounded up with its header, less the header.
		[[ $ok == yes ]]
		((addr % align == 0 && addr > lo && addr < hi))
		((usable == $(mini_block_size "$want") - 16))
	done < <(mini_stage 7 "$out" | awk '$1 ~ /^[a-z_]+\(/ &&
		$(NF - 2) ~ /^0x/ { print $1, $(NF - 2), $(NF - 1), $NF }')
	((n == 6))
	[[ $(mt_out_field "calloc zeroed" "$out") == "yes (the block of"* ]]
	# malloc(0) gives the smallest block: 32 bytes, 16 of them usable.
	[[ $(mt_out_field "malloc(0)" "$out") =~ ^(0x[0-9a-f]+),\ usable\ 16$ ]]
	z=${BASH_REMATCH[1]}
	((z > lo && z < hi && z % 16 == 0))
	[[ $(mt_out_field "realloc(p, 0)" "$out") == "freed, NULL" ]]
	[[ $(mt_out_field "malloc(SIZE_MAX)" "$out") == "NULL ($enomem)" ]]
	grep -qxF "calloc(SIZE_MAX/2, 4): NULL ($enomem)" "$out"
}

# Lines: "C library: T s", "mini_malloc: T s", "ratio: R (...)".
@test "mini_malloc: a short --bench prints both times and their ratio" {
	local g m r
	mt_run 0 "$MINI" --bench -n 200000
	[[ ${lines[0]} == "bench: 200000 calls of malloc or free"* ]]
	g=$(mt_out_field "C library" <(printf '%s\n' "$output"))
	m=$(mt_out_field "mini_malloc" <(printf '%s\n' "$output"))
	r=$(mt_out_field ratio <(printf '%s\n' "$output"))
	[[ $g =~ ^[0-9]+\.[0-9]{4}\ s$ && $m =~ ^[0-9]+\.[0-9]{4}\ s$ ]]
	[[ $r == *" (mini_malloc / C library)" ]]
	# The ratio is of the unrounded times: equal to m / g up to the
	# rounding of the three figures.
	awk -v g="${g% s}" -v m="${m% s}" -v r="${r%% *}" 'BEGIN {
		if (g < 0.001) exit 0
		q = m / g
		d = r - q
		exit !(d * d < (0.006 + q * 0.001 / g) ^ 2)
	}'
}

# The LD_PRELOAD library works only in programs of its own C library:
# skip unless PROG (a path, or a command) uses the one it was built for.
mini_same_libc() {
	local prog=$1 want
	[[ $prog == /* ]] || prog=$(command -v "$1") ||
		skip "$1 is not installed"
	want=$(mt_libc "$MINI")
	[[ $(mt_libc "$prog") == "$want" ]] ||
		skip "mini_malloc.so is built with $want, $1 uses another libc"
}

# The demo preloaded with its own library: the C library's malloc, which
# printf calls, is ours too (this works with a musl build as well).
@test "mini_malloc.so: preloaded into the demo, it replaces printf's malloc" {
	mt_start env LD_PRELOAD="$MINI_SO" "$MINI"
	mt_wait_pause 1
	grep -qF " $MINI_SO" "/proc/$MT_PID/maps"
	# glibc's malloc would grow [heap] with brk; ours maps arenas. (musl
	# takes a brk page of its own at start, before any malloc.)
	if [[ $(mt_libc "$MINI") == glibc ]]; then
		grep -qF '[heap]' "/proc/$MT_PID/maps" && false
	fi
	mt_finish
	((MT_STATUS == 0))
}

@test "mini_malloc.so: loaded by LD_PRELOAD, and malloc no longer uses brk" {
	local plain mini
	mini_same_libc cat
	mt_run 0 env LD_PRELOAD="$MINI_SO" cat /proc/self/maps
	mini=$output
	[[ $mini == *"$MINI_SO"* ]]
	mt_run 0 cat /proc/self/maps
	plain=$output
	# The C library's malloc grows [heap] with brk; ours maps arenas.
	if [[ $plain == *"[heap]"* ]]; then
		[[ $mini != *"[heap]"* ]]
	fi
}

@test "mini_malloc.so: ls -lR gives the same output" {
	local dir=/usr/include
	mini_same_libc ls
	[[ -d $dir ]] || dir=/usr/lib
	ls -lR "$dir" >"$MT_TMP/plain" 2>&1 || true
	LD_PRELOAD=$MINI_SO ls -lR "$dir" >"$MT_TMP/mini" 2>&1 || true
	(($(wc -l <"$MT_TMP/plain") > 1000))
	cmp "$MT_TMP/plain" "$MT_TMP/mini"
}

@test "mini_malloc.so: sort of a 5 MB file, one and two threads" {
	local t=$MT_TMP
	mini_same_libc sort
	awk 'BEGIN { srand(42)
		for (i = 0; i < 250000; i++)
			printf "%08d %c%c%c %x\n", int(rand() * 1e8),
			       97 + int(rand() * 26), 97 + int(rand() * 26),
			       97 + int(rand() * 26), int(rand() * 1e6)
		}' >"$t/in"
	(($(wc -c <"$t/in") > 4500000))
	sort "$t/in" >"$t/plain"
	LD_PRELOAD=$MINI_SO sort "$t/in" >"$t/mini"
	cmp "$t/plain" "$t/mini"
	# Two threads, little memory, temporary files: more malloc traffic.
	LD_PRELOAD=$MINI_SO sort --parallel=2 -S 1M -T "$t" "$t/in" >"$t/mini2"
	cmp "$t/plain" "$t/mini2"
}

@test "mini_malloc.so: python3 (threads, fork, all objects): the same output" {
	local t=$MT_TMP
	local py
	py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) ||
		skip "python3 does not run here"
	mini_same_libc "$py"
	cat >"$t/p.py" <<'PY'
import hashlib, json, os, threading
d = {str(i): [i] * 5 for i in range(50000)}
s = json.dumps(d, sort_keys=True)
out = []
def work(k):
    out.append(hashlib.sha1(("x" * (1000 + k)).encode() * 100).hexdigest())
ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
pid = os.fork()
if pid == 0:
    b = [bytearray(5000 + i) for i in range(200)]
    os._exit(0 if len(b) == 200 else 1)
_, st = os.waitpid(pid, 0)
for t in ts:
    t.join()
print(len(s), hashlib.sha1(s.encode()).hexdigest(), sorted(out), st)
PY
	python3 "$t/p.py" >"$t/plain"
	LD_PRELOAD=$MINI_SO python3 "$t/p.py" >"$t/mini"
	cmp "$t/plain" "$t/mini"
	grep -q ' 0$' "$t/mini"
	# Every object through malloc (PYTHONMALLOC=malloc): the same.
	PYTHONMALLOC=malloc LD_PRELOAD=$MINI_SO python3 "$t/p.py" >"$t/mini2"
	cmp "$t/plain" "$t/mini2"
}
