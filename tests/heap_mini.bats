# SPDX-License-Identifier: MIT
# tests/heap_mini.bats - heap/mini_malloc, the demo, checked against the
# block headers in /proc/PID/mem, /proc/PID/{maps,smaps,status,pagemap}
# read while it is paused; and heap/mini_malloc.so under LD_PRELOAD in real
# programs (the same output as with the C library's malloc).

load helpers

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

# Lines: stage 8's table; [pause 7] and its try: (xxd of block 0).
@test "mini_malloc: pause 7: all freed, arena 0 is one free block again" {
	local pid lo hi
	mini_goto 7
	pid=$MT_PID
	mini_check_blocks 8 "$pid"
	read -r _ _ lo _ hi < <(grep '^arena 0: ' "$MT_OUT")
	[[ $(mini_rows 8) == "$(mt_hex $((lo + 16)))  $((hi - lo - 32))"* ]]
	(($(mini_rows 8 | wc -l) == 1))
	# The arena stays mapped: free gives nothing back to the kernel.
	mt_maps_line "$pid" "$lo" >/dev/null
	command -v xxd >/dev/null ||
		skip "xxd is not installed (package xxd or vim-common)"
	mt_try 7
	[[ ${lines[0]} == "$(printf '%x' $((lo + 16))):"* ]]
	[[ $(mini_xxd_words) == "0 $((hi - lo - 32))" ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: stage 7's table "call address aligned usable", "calloc zeroed:",
# "malloc(0): ADDR, usable N", "malloc(200), then free: ADDR",
# "malloc(200) again: ADDR (the same block)", "realloc(p, 0):",
# "malloc(SIZE_MAX):", "calloc(SIZE_MAX/2, 4):".
@test "mini_malloc: stage 7: the aligned family, calloc and edge cases" {
	local out=$MT_TMP/out call addr ok usable align want n=0 lo hi z y
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
	[[ $(mt_out_field "calloc zeroed" "$out") == yes ]]
	# malloc(0) gives the smallest block: 32 bytes, 16 of them usable.
	[[ $(mt_out_field "malloc(0)" "$out") =~ ^(0x[0-9a-f]+),\ usable\ 16$ ]]
	z=${BASH_REMATCH[1]}
	((z > lo && z < hi && z % 16 == 0))
	# A freed block is used again for the next request of its size.
	z=$(mt_out_field "malloc(200), then free" "$out")
	y=$(mt_out_field "malloc(200) again" "$out")
	[[ $y == "$z (the same block)" ]]
	((z > lo && z < hi))
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
