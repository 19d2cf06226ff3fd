#!/usr/bin/env bats
# tests/heap.bats - the heap topic (lazy_alloc, brk, free_and_sbrk,
# malloc_chunks, alloca) checked against /proc/PID/{status,stat,maps} read
# by the test while the program is paused, and against nm/readelf; then
# mini_malloc (the demo, and the .so under LD_PRELOAD).

load helpers

H=$MT_TOP/heap

# The value of the LAST "NAME: value" line printed so far: programs that
# print a line again after every step (brk) are read at each pause.
hp_last() {
	sed -n "s/^$1: *//p" "$MT_OUT" | tail -n 1
}

# Field N (2 VmSize, 3 VmRSS, 4 VmData, 5 minflt) of lazy_alloc's table
# row for STEP.
hp_row() {
	awk -v s="$1" -v n="$2" '$1 == s && NF == 5 { print $n; exit }' \
		"$MT_OUT"
}

# |A - B| <= TOL
hp_near() {
	local d=$(($1 - $2))
	((d < 0)) && d=$((-d))
	((d <= $3)) || { echo "not near: $1 vs $2 (tolerance $3)" >&2; false; }
}

# The end address of /proc/PID/maps line LINE, as a number.
hp_end() {
	local range=${1%% *}
	echo $((16#${range#*-}))
}

hp_start_addr() {
	local range=${1%% *}
	echo $((16#${range%-*}))
}

# --- lazy_alloc -------------------------------------------------------------

# Drive lazy_alloc through its six pauses with SIZE_ARG (bytes = SIZE) and
# check every step against the test's own reads of /proc/PID/status and
# /proc/PID/stat.
hp_lazy() {
	local arg=$1 size=$2 ps kb pages half tol1 i
	local -a vs rss vd flt
	ps=$(mt_pagesize)
	kb=$((size / 1024))
	pages=$((size / ps))
	half=$(((pages + 1) / 2))
	if [[ $arg == default ]]; then
		mt_start "$H/lazy_alloc"
	else
		mt_start "$H/lazy_alloc" -s "$arg"
	fi
	local names=(start malloc read write-half write-all free)
	for i in 0 1 2 3 4 5; do
		mt_wait_pause $((i + 1)) 20
		vs[i]=$(mt_status_kb "$MT_PID" VmSize)
		rss[i]=$(mt_status_kb "$MT_PID" VmRSS)
		vd[i]=$(mt_status_kb "$MT_PID" VmData)
		flt[i]=$(mt_stat_field "$MT_PID" 10)
		# The printed row equals what we read at the same pause.
		[[ $(hp_row "${names[i]}" 2) == "${vs[i]}" ]]
		[[ $(hp_row "${names[i]}" 4) == "${vd[i]}" ]]
		hp_near "$(hp_row "${names[i]}" 3)" "${rss[i]}" \
			$((8 * ps / 1024))
		hp_near "$(hp_row "${names[i]}" 5)" "${flt[i]}" 16
		mt_resume
	done
	mt_finish 20
	[[ $MT_STATUS == 0 ]] || { mt_dump; false; }

	tol1=$((kb / 100))
	# malloc: VmSize and VmData grow by SIZE (plus at most one page of
	# header and rounding, and a little slack); RSS does not.
	((vs[1] - vs[0] >= kb && vs[1] - vs[0] <= kb + 2 * ps / 1024))
	((vd[1] - vd[0] >= kb && vd[1] - vd[0] <= kb + 2 * ps / 1024))
	((rss[1] - rss[0] < tol1))
	# read: RSS grows by less than 1% of SIZE (the zero page), though
	# every page took a fault to map it.
	((rss[2] - rss[1] < tol1))
	((flt[2] - flt[1] >= pages * 98 / 100))
	# write-half: RSS and minor faults grow by half the pages.
	hp_near $((rss[3] - rss[2])) $((half * ps / 1024)) $((tol1 / 2 + 1))
	hp_near $((flt[3] - flt[2])) "$half" $((half * 2 / 100 + 1))
	# write-all: from the read step, by every page.
	hp_near $((rss[4] - rss[2])) "$kb" "$tol1"
	hp_near $((flt[4] - flt[2])) "$pages" $((pages * 2 / 100 + 1))
	# free: VmSize back within 1% of SIZE of where it started.
	hp_near "${vs[5]}" "${vs[0]}" "$tol1"
	hp_near "${rss[5]}" "${rss[0]}" "$tol1"
	# The page count it claims is SIZE / page size, within 1%.
	hp_near "$(mt_out_field pages)" "$pages" $((pages / 100 + 1))
	[[ $(mt_out_field size) == "$size "* ]]
	grep -q 'zero page, so VmRSS stays flat' "$MT_OUT"
}

@test "lazy_alloc -s 64M: VmSize, VmRSS, minor faults follow demand paging" {
	hp_lazy 64M $((64 << 20))
	grep -q 'PR_SET_THP_DISABLE' "$MT_OUT"
}

@test "lazy_alloc default (256 MiB): the same lesson" {
	hp_lazy default $((256 << 20))
	[[ $(mt_out_field size) == "268435456 (256 MiB)" ]]
}

@test "lazy_alloc: a size above MemAvailable is reserved, not touched" {
	local avail size arg mode vs0 vs1
	avail=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	mode=$(</proc/sys/vm/overcommit_memory)
	arg=64G
	size=$((64 << 30))
	if ((avail * 1024 >= size)); then
		size=$(((avail / 1048576 + 1) * 2 << 30))
		arg=$((size >> 30))G
	fi
	mt_start "$H/lazy_alloc" -s "$arg"
	if [[ $mode == 2 ]]; then
		# Strict overcommit may refuse even the reservation.
		mt_finish 20
		if [[ $MT_STATUS == 1 ]]; then
			grep -q 'mmap MAP_NORESERVE' "$MT_ERR"
			return 0
		fi
	else
		mt_wait_pause 1 20
		vs0=$(mt_status_kb "$MT_PID" VmSize)
		mt_resume
		mt_wait_pause 2 20
		vs1=$(mt_status_kb "$MT_PID" VmSize)
		# The virtual part works: VmSize grew by SIZE.
		((vs1 - vs0 >= size / 1024))
		[[ $(hp_row malloc 2) == "$vs1" ]]
		mt_resume
		mt_wait_pause 3 20
		# Straight to free: no read step, no write step.
		# (not "! grep": bats ignores a negated command's failure)
		# shellcheck disable=SC2143
		[[ -z $(grep '^read ' "$MT_OUT") ]]
		hp_near "$(mt_status_kb "$MT_PID" VmSize)" "$vs0" 1024
		mt_finish 20
	fi
	[[ $MT_STATUS == 2 ]]
	grep -q "not touching .*more than MemAvailable" "$MT_ERR"
	grep -q -- '--touch-anyway' "$MT_ERR"
	# A malloc the heuristic refuses is reported, then mmap takes over.
	if [[ $(mt_out_field malloc_failed) == yes ]]; then
		grep -q "malloc .*Cannot allocate memory" "$MT_ERR"
		[[ $(mt_out_field via) == mmap ]]
	fi
}

@test "lazy_alloc: --help, bad sizes, unknown option" {
	run -0 "$H/lazy_alloc" --help
	[[ $output == usage:* ]]
	local a
	for a in -5 0 abc 12x 99999999999999999999 17179869184G 512K ''; do
		run -2 "$H/lazy_alloc" -s "$a"
		[[ $output == *"lazy_alloc: "* ]]
	done
	run -2 "$H/lazy_alloc" --bogus
	[[ $output == *usage:* ]]
	run -2 "$H/lazy_alloc" extra
}

# --- brk --------------------------------------------------------------------

# At a pause: the printed break, rounded up to a page, is the end of the
# [heap] line we read, which starts at the initial break; or, when the
# break is back at the start, there is no [heap] line at all. Sets B to
# the printed break (a global: checks inside $(...) would not count).
hp_brk_check() {
	local ps=$1 initial=$2 brk heap up
	brk=$(hp_last break)
	brk=$((${brk%% *}))
	B=$brk
	up=$(((brk + ps - 1) / ps * ps))
	heap=$(mt_maps_named "$MT_PID" '[heap]')
	if ((brk == initial)); then
		[[ -z $heap ]]
	else
		[[ -n $heap ]]
		(($(hp_end "$heap") == up))
		(($(hp_start_addr "$heap") == initial))
	fi
}

@test "brk: the [heap] line follows sbrk and brk, page-rounded" {
	local ps initial b end_sym base exe inc=100000 b4
	ps=$(mt_pagesize)
	mt_start "$H/brk" -i "$inc"
	mt_wait_pause 1
	initial=$(($(mt_out_field break_initial)))
	((initial % ps == 0))
	# &end from the program versus nm on the binary plus its load base.
	exe=$(readlink -f "$H/brk")
	base=$(hp_start_addr "$(mt_maps_named "$MT_PID" "$exe")")
	end_sym=$(nm "$H/brk" | awk '$3 == "end" { print $1; exit }')
	if LC_ALL=C readelf -h "$H/brk" | grep -q 'Type:.*EXEC'; then
		base=0
	fi
	(($(mt_out_field end) == base + 16#$end_sym))
	# The break is at or past &end; the gap is what the program says.
	((initial >= base + 16#$end_sym))
	[[ $(mt_out_field gap) == "$((initial - base - 16#$end_sym)) "* ]]
	hp_brk_check "$ps" "$initial"
	b=$B
	((b == initial))
	mt_resume

	mt_wait_pause 2		# sbrk(+inc)
	hp_brk_check "$ps" "$initial"
	b=$B
	((b == initial + inc))
	mt_resume

	mt_wait_pause 3		# brk(start + inc/10)
	hp_brk_check "$ps" "$initial"
	b=$B
	((b == initial + inc / 10))
	mt_resume

	mt_wait_pause 4		# sbrk(-inc/20)
	hp_brk_check "$ps" "$initial"
	b4=$B
	((b4 == initial + inc / 10 - inc / 20))
	mt_resume

	mt_wait_pause 5		# refused brk: nothing moved
	hp_brk_check "$ps" "$initial"
	b=$B
	((b == b4))
	[[ $(hp_last brk_ret) == "-1 (ENOMEM)" ]]
	local raw
	raw=$(hp_last raw_brk_ret)
	((${raw%% *} == b4))
	mt_resume

	mt_wait_pause 6		# brk(start): empty heap, no [heap] line
	hp_brk_check "$ps" "$initial"
	b=$B
	((b == initial))
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "brk: a bigger increment, same rules" {
	local ps initial b
	ps=$(mt_pagesize)
	mt_start "$H/brk" -i 3M
	mt_wait_pause 1
	initial=$(($(mt_out_field break_initial)))
	mt_resume
	mt_wait_pause 2
	hp_brk_check "$ps" "$initial"
	b=$B
	((b == initial + (3 << 20)))
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "brk: --help, bad increments, unknown option" {
	run -0 "$H/brk" --help
	[[ $output == usage:* ]]
	local a
	for a in -1 0 abc 99 2G 99999999999999999999; do
		run -2 "$H/brk" -i "$a"
		[[ $output == *"brk: bad increment"* ]]
	done
	run -2 "$H/brk" --bogus
	run -2 "$H/brk" extra
}

# --- free_and_sbrk ----------------------------------------------------------

# Run free_and_sbrk ARGS through its three pauses; sets H1 H2 H3 to the
# end of [heap] the test read after allocating, after the chosen frees,
# after freeing the rest.
hp_fas() {
	local ps brk heap
	ps=$(mt_pagesize)
	mt_start "$H/free_and_sbrk" "$@"
	mt_wait_pause 1
	heap=$(mt_maps_named "$MT_PID" '[heap]')
	H1=$(hp_end "$heap")
	brk=$(($(mt_out_field break_alloc)))
	((H1 == (brk + ps - 1) / ps * ps))
	[[ $(mt_out_field heap_alloc) == \
		"$((H1 - $(hp_start_addr "$heap"))) bytes" ]]
	mt_resume
	mt_wait_pause 2
	H2=$(hp_end "$(mt_maps_named "$MT_PID" '[heap]')")
	brk=$(($(mt_out_field break_free)))
	((H2 == (brk + ps - 1) / ps * ps))
	mt_resume
	mt_wait_pause 3
	H3=$(hp_end "$(mt_maps_named "$MT_PID" '[heap]')")
	brk=$(($(mt_out_field break_rest)))
	((H3 == (brk + ps - 1) / ps * ps))
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "free_and_sbrk: freeing a middle range does not lower the break" {
	hp_fas 1000 10240 1 200 700
	((H2 == H1))
	[[ $(mt_out_field lowered) == no ]]
	# Freeing the rest frees the top too: now it drops.
	((H3 < H1 - 1000 * 10240 / 2))
}

@test "free_and_sbrk: freeing the top blocks lowers the break" {
	hp_fas 1000 10240 1 500 1000
	# The top 501 blocks, less what glibc keeps at the top (M_TOP_PAD).
	((H2 < H1 - 501 * 10240 + 256 * 1024))
	[[ $(mt_out_field lowered) == yes ]]
}

@test "free_and_sbrk: defaults free every second block: no drop" {
	hp_fas
	((H2 == H1))
	((H3 < H1))
	[[ $(mt_out_field num_allocs) == 1000 ]]
	[[ $(mt_out_field block_size) == 10240 ]]
}

@test "free_and_sbrk: a raised M_TRIM_THRESHOLD keeps the top" {
	hp_fas -t 8M 1000 10240 1 500 1000
	((H2 == H1))
}

@test "free_and_sbrk: --help, bad numbers, blocks above the mmap threshold" {
	run -0 "$H/free_and_sbrk" --help
	[[ $output == usage:* ]]
	local a
	for a in 0 -1 abc 1x 99999999999999999999 1000001; do
		run -2 "$H/free_and_sbrk" "$a"
	done
	run -2 "$H/free_and_sbrk" 10 200000
	[[ $output == *"mmap threshold"* ]]
	run -2 "$H/free_and_sbrk" 10 0
	run -2 "$H/free_and_sbrk" 10 100 0
	run -2 "$H/free_and_sbrk" 10 100 1 5 3
	run -2 "$H/free_and_sbrk" 10 100 1 1 11
	run -2 "$H/free_and_sbrk" 1 2 3 4 5 6
	run -2 "$H/free_and_sbrk" -t 0
	run -2 "$H/free_and_sbrk" --bogus
}

# --- malloc_chunks ----------------------------------------------------------

@test "malloc_chunks: small blocks in [heap], large in a mapping of its own" {
	local line a prev req large size heapline
	mt_start "$H/malloc_chunks"
	mt_wait_pause 1
	heapline=$(mt_maps_named "$MT_PID" '[heap]')
	[[ -n $heapline ]]
	# Every row of the table: the address is in [heap], 16-byte aligned;
	# the distance to the next is at least the request plus the 8-byte
	# size word, a multiple of 16; usable is at least the request.
	prev=
	while read -r req a dist usable _; do
		line=$(mt_maps_line "$MT_PID" "$a")
		[[ $line == *'[heap]' ]]
		((a % 16 == 0))
		((dist >= req + 8 && dist % 16 == 0 && dist >= 32))
		((usable >= req && usable <= dist))
		[[ -z $prev ]] || ((a > prev))
		prev=$a
	done < <(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^0x/' "$MT_OUT")
	[[ -n $prev ]]
	line=$(mt_maps_line "$MT_PID" "$(mt_out_field small | cut -d' ' -f1)")
	[[ $line == *'[heap]' ]]
	mt_resume

	mt_wait_pause 2
	large=$(mt_out_field large | cut -d' ' -f1)
	size=$(mt_out_field large_size)
	line=$(mt_maps_line "$MT_PID" "$large")
	# Not [heap]: an anonymous private mapping, big enough for it.
	[[ $line != *'[heap]'* ]]
	[[ $(awk '{ print $2, $6 }' <<<"$line") == "rw-p " ]]
	(($(hp_end "$line") - large >= size))
	mt_resume

	mt_wait_pause 3
	# After mallopt(M_MMAP_THRESHOLD) the same size comes from [heap].
	a=$(mt_out_field large_after_mallopt | cut -d' ' -f1)
	line=$(mt_maps_line "$MT_PID" "$a")
	[[ $line == *'[heap]' ]]
	(($(mt_out_field mmap_threshold_set) > size))
	mt_finish
	[[ $MT_STATUS == 0 ]]
	[[ $(mt_out_field aligned16) == yes ]]
	[[ $(mt_out_field libc) == "glibc $(getconf GNU_LIBC_VERSION |
		cut -d' ' -f2)" ]]
}

@test "malloc_chunks -l 1M: a 1 MiB block moves from its own map to [heap]" {
	local line
	mt_start "$H/malloc_chunks" -l 1M
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2
	line=$(mt_maps_line "$MT_PID" "$(mt_out_field large | cut -d' ' -f1)")
	[[ $line != *'[heap]'* ]]
	mt_resume
	mt_wait_pause 3
	line=$(mt_maps_line "$MT_PID" \
		"$(mt_out_field large_after_mallopt | cut -d' ' -f1)")
	[[ $line == *'[heap]' ]]
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "malloc_chunks: --help, bad sizes, unknown option" {
	run -0 "$H/malloc_chunks" --help
	[[ $output == usage:* ]]
	local a
	for a in -1 0 abc 100K 17M 99999999999999999999; do
		run -2 "$H/malloc_chunks" -l "$a"
		[[ $output == *"bad large size"* ]]
	done
	run -2 "$H/malloc_chunks" --bogus
}

# --- alloca -----------------------------------------------------------------

hp_alloca() {
	local size=$1 line a end local_main before after
	mt_start "$H/alloca" -s "$size"
	mt_wait_pause 1
	a=$(($(mt_out_field alloca)))
	end=$(($(mt_out_field alloca_end)))
	local_main=$(($(mt_out_field local_main)))
	before=$(($(mt_out_field sp_before)))
	after=$(($(mt_out_field sp_after)))
	# The block, first byte and last, lies in [stack] as we read it...
	line=$(mt_maps_line "$MT_PID" "$a")
	[[ $line == *'[stack]' ]]
	line=$(mt_maps_line "$MT_PID" $((end - 1)))
	[[ $line == *'[stack]' ]]
	# ...below main's local: the stack grows down.
	((a < local_main && end <= local_main))
	# The stack pointer went down by at least the size asked.
	((before - after >= $(mt_out_field size)))
	((a >= after - 64 && a <= before))
	mt_finish
	[[ $MT_STATUS == 0 ]]
	# A second call reuses the same bytes.
	(($(mt_out_field alloca_again) == a))
	[[ $(mt_out_field same_address) == yes ]]
}

@test "alloca: the block is on [stack], below the caller's locals" {
	hp_alloca 65536
}

@test "alloca -s 1M: the stack grows to hold it" {
	hp_alloca 1048576
}

@test "alloca: --help, bad sizes, unknown option" {
	run -0 "$H/alloca" --help
	[[ $output == usage:* ]]
	local a
	for a in -1 0 abc 1x 99999999999999999999 1G; do
		run -2 "$H/alloca" -s "$a"
		[[ $output == *"alloca: bad size"* ]]
	done
	run -2 "$H/alloca" --bogus
}

# ---------------------------------------------------------------------------
# heap/mini_malloc: the demo and heap/mini_malloc.so under LD_PRELOAD
# ---------------------------------------------------------------------------

setup() {
	MINI=$MT_TOP/heap/mini_malloc
	MINI_SO=$MT_TOP/heap/mini_malloc.so
}

# The lines of stage N of the demo's output (up to its pause), read from
# $MINI_OUT if set, else from mt_start's $MT_OUT.
mini_stage() {
	awk -v n="$1" '/^== stage / { on = ($3 == n ":") }
		/^\[pause / { on = 0 } on' "${MINI_OUT:-$MT_OUT}"
}

# Table rows of one stage: "arena start end size used free",
# "bin block size arena" and "ptr payload block size".
mini_arena_rows() {
	mini_stage "$1" | awk 'NF == 6 && $1 ~ /^[0-9]+$/ && $2 ~ /^0x/'
}
mini_free_rows() {
	mini_stage "$1" | awk 'NF == 4 && $1 ~ /^[0-9]+$/ && $2 ~ /^0x/'
}
mini_ptr_row() {	# STAGE NAME -> "payload block size"
	mini_stage "$1" | awk -v p="$2" 'NF == 4 && $1 == p { print $2, $3, $4 }'
}

# Check that [LO, HI) lies inside one mapping of PID that is anonymous
# and rw-p, as the kernel sees it. Prints that maps line.
mini_anon_rw() {
	local pid=$1 lo=$(($2)) hi=$(($3)) line range perms dev inode path
	line=$(mt_maps_line "$pid" "$lo") || return 1
	read -r range perms _ dev inode path <<<"$line"
	if [[ $perms != rw-p || $dev != 00:00 || $inode != 0 ]] ||
	   [[ -n $path && $path != "[anon:"* ]]; then
		echo "not an anonymous rw-p mapping: $line" >&2
		return 1
	fi
	if mt_ult "$((16#${range#*-}))" "$hi"; then
		echo "$(mt_hex "$lo")-$(mt_hex "$hi") runs past $line" >&2
		return 1
	fi
	echo "$line"
}

# True if the page holding ADDR of PID is in RAM or swap (pagemap bits
# 63 and 62; readable without privilege for one's own processes).
mini_page_backed() {
	local e
	e=$(mt_pagemap "$1" "$2") || return 2
	((((e >> 62) & 3) != 0))
}

# True if transparent huge pages could back pages nobody touched.
mini_thp_always() {
	local f
	for f in /sys/kernel/mm/transparent_hugepage/enabled \
		/sys/kernel/mm/transparent_hugepage/hugepages-*/enabled; do
		[[ -r $f && $(<"$f") == *"[always]"* ]] && return 0
	done
	return 1
}

@test "mini_malloc: --help exits 0, bad usage exits 2" {
	run -0 "$MINI" --help
	[[ $output == usage:* ]]
	[[ $output == *"--bench"* && $output == *"--stress"* ]]
	run -2 "$MINI" --no-such-option
	[[ $output == *usage:* ]]
	local bad
	for bad in 0 -5 12x "" 99999999999999999999; do
		run -2 "$MINI" --bench -n "$bad"
		[[ $output == *"mini_malloc: bad number"* ]]
	done
	run -2 "$MINI" --bench --stress
	run -2 "$MINI" extra
}

@test "mini_malloc: arenas are anonymous rw-p mappings the kernel shows" {
	local pid line n=0 id lo hi size used free rss names
	mt_start "$MINI"
	mt_wait_pause 1
	pid=$MT_PID
	names=$(mt_out_field "vma names")
	while read -r id lo hi size used free; do
		n=$((n + 1))
		((hi - lo == size))
		line=$(mini_anon_rw "$pid" "$lo" "$hi")
		# The claim about names holds in the kernel's view too.
		if [[ $names == yes ]]; then
			# A named arena is exactly one mapping of its own.
			[[ $line == "${lo#0x}-${hi#0x} "*"[anon:mini_malloc arena $id]" ]]
			(($(mt_smaps_kb "$pid" "$lo" Size) * 1024 == size))
		else
			[[ $names == "no ("*")" ]]
			! grep -q 'anon:mini_malloc' "/proc/$pid/maps" || false
		fi
		# Only touched pages cost RAM: the mapping's Rss is far below
		# the arena's 1 MiB, most of which is one untouched free block.
		rss=$(mt_smaps_kb "$pid" "$lo" Rss)
		((rss * 1024 < size / 2))
		((used + free < size))
	done < <(mini_arena_rows 1)
	((n >= 1))
	mt_finish
	((MT_STATUS == 0))
}

@test "mini_malloc: blocks lie in arenas, headers in RAM, free tail not" {
	local pid a_lo a_hi blk size id rest n=0 biggest=0 big_blk=0
	mt_start "$MINI"
	mt_wait_pause 1
	pid=$MT_PID
	read -r id a_lo a_hi rest < <(mini_arena_rows 1 | tail -n 1)
	# Every block the demo prints, allocated or free: inside the arena,
	# inside the mapping, and its header page was written (present).
	while read -r blk size; do
		n=$((n + 1))
		! mt_ult "$blk" "$a_lo" || false
		! mt_ult "$a_hi" "$((blk + size))" || false
		mini_anon_rw "$pid" "$blk" "$((blk + size))" >/dev/null
		mini_page_backed "$pid" "$blk"
		if ((size > biggest)); then
			biggest=$size big_blk=$blk
		fi
	done < <(mini_stage 1 | awk 'NF == 4 && $3 ~ /^0x/ { print $3, $4 }
		NF == 4 && $1 ~ /^[0-9]+$/ && $2 ~ /^0x/ { print $2, $3 }')
	# a, b, c, d and the free rest of the arena
	((n == 4 + $(mini_free_rows 1 | wc -l) && n >= 5))
	((biggest > 512 * 1024))
	# Nothing ever wrote the middle of the big free block: no page there.
	# (THP "always" may back it anyway: then this one check is left out.)
	if ! mini_thp_always; then
		run mini_page_backed "$pid" "$((big_blk + biggest / 2))"
		((status == 1))
	fi
	mt_finish
	((MT_STATUS == 0))
}

@test "mini_malloc: free list totals match; b and c coalesce; realloc" {
	local pa ba sa bb sb bc sc line stage id lo hi size used free n
	local MINI_OUT=$BATS_TEST_TMPDIR/out	# read by mini_stage
	run -0 "$MINI"		# no pauses: everything here is in the output
	printf '%s\n' "$output" >"$MINI_OUT"
	read -r pa ba sa < <(mini_ptr_row 1 a)
	read -r _ bb sb < <(mini_ptr_row 1 b)
	read -r _ bc sc < <(mini_ptr_row 1 c)
	# Payload = block + 16-byte header, 16-aligned; b follows a, c b.
	((pa == ba + 16 && pa % 16 == 0))
	((bb == ba + sa && bc == bb + sb))
	# Stage 2: b and c are one free block, their sizes added up.
	mini_free_rows 2 | grep -q "^[0-9]* *$bb  *$((sb + sc)) "
	! mini_free_rows 2 | grep -q " $bc " || false
	# In every stage: the free rows of an arena (walking the bins) add
	# up to its "free" column (walking the blocks one after another).
	for stage in 1 2 3 8; do
		n=0
		while read -r id lo hi size used free; do
			n=$((n + 1))
			(($(mini_free_rows "$stage" | awk -v a="$id" '
			    $4 == a { s += $3 } END { print s + 0 }') == free))
		done < <(mini_arena_rows "$stage")
		((n >= 1))
	done
	# Stage 3: a grew in place into the free b+c, then had to move.
	line=$(mt_out_field "realloc 300" "$MINI_OUT")
	[[ $line == "$pa in place" ]]
	line=$(mt_out_field "realloc 3000" "$MINI_OUT")
	[[ $line == *" moved" && $line != "$pa "* ]]
	[[ $(mini_ptr_row 3 a) == "${line% *} "* ]]
	# ... and the old a merged back with the rest of b+c.
	mini_free_rows 3 | grep -q "^[0-9]* *$ba  *$((sa + sb + sc)) "
	# Stage 8: all freed, every arena is one free block again.
	n=0
	while read -r id lo hi size used free; do
		n=$((n + 1))
		((used == 0))
		(($(mini_free_rows 8 | awk -v a="$id" '$4 == a' | wc -l) == 1))
	done < <(mini_arena_rows 8)
	((n >= 1))
}

@test "mini_malloc: a large block is its own mapping, mremap, munmap" {
	local pid big blk size line ps old i lo hi
	ps=$(mt_pagesize)
	mt_start "$MINI"
	for i in 1 2 3; do
		mt_wait_pause "$i"
		mt_resume
	done
	mt_wait_pause 4
	pid=$MT_PID
	big=$(mt_out_field large)
	read -r blk size < <(mt_out_field "large block")
	((big == blk + 16 && size % ps == 0 && size >= 512 * 1024))
	line=$(mini_anon_rw "$pid" "$blk" "$((blk + size))")
	[[ $line != *"[anon:"* || $line == *"[anon:mini_malloc large]" ]]
	# The demo filled all 512 KiB: every page of it is now in RAM.
	(($(mt_smaps_kb "$pid" "$blk" Rss) * 1024 >= size))
	# Outside every arena.
	while read -r _ lo hi _; do
		mt_ult "$((blk + size - 1))" "$lo" ||
			mt_ult "$((hi - 1))" "$blk" || false
	done < <(mini_arena_rows 1)

	mt_resume
	mt_wait_pause 5
	old=$blk
	read -r blk size < <(sed -n 's/^large block: //p' "$MT_OUT" | tail -n 1)
	((size >= 2 * 1024 * 1024 && size % ps == 0))
	mini_anon_rw "$pid" "$blk" "$((blk + size))" >/dev/null
	(($(mt_smaps_kb "$pid" "$blk" Rss) * 1024 >= size))
	if ((blk != old)); then	# moved: the old pages are gone
		[[ $(mt_out_field mremap) == moved* ]]
		! mt_maps_line "$pid" "$old" 2>/dev/null || false
	fi

	mt_resume
	mt_wait_pause 6
	# free() gave the block back to the kernel at once.
	! mt_maps_line "$pid" "$blk" 2>/dev/null || false
	! mt_maps_line "$pid" "$((blk + size - 1))" 2>/dev/null || false
	mt_finish
	((MT_STATUS == 0))
}

@test "mini_malloc: the aligned family, calloc and edge cases" {
	local call addr ok usable align ps want n=0
	ps=$(mt_pagesize)
	run -0 "$MINI"
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
		((addr % align == 0 && usable >= want))
		[[ $ok == yes ]]
	done < <(printf '%s\n' "$output" | awk '$1 ~ /^[a-z_]+\(/ &&
		$(NF - 2) ~ /^0x/ { print $1, $(NF - 2), $(NF - 1), $NF }')
	((n == 6))
	[[ $output == *"calloc zeroed: yes"* ]]
	[[ $output == *"malloc(SIZE_MAX)           NULL (Cannot allocate"* ]]
	[[ $output == *"calloc(SIZE_MAX/2, 4)      NULL (Cannot allocate"* ]]
	[[ $output == *"realloc(p, 0)              freed, NULL"* ]]
	[[ $output == *"malloc(0)                  unique pointer"* ]]
}

@test "mini_malloc: threads and fork (mm_ names, and libc names preloaded)" {
	run -0 "$MINI" --stress -n 20000
	[[ $output == *"result: ok"* && $output == *"forks ok: 20"* ]]
	LD_PRELOAD=$MINI_SO run -0 "$MINI" --stress --libc -n 20000
	[[ $output == *"result: ok"* && $output == *"forks ok: 20"* ]]
}

@test "mini_malloc: a tiny --bench prints both times and their ratio" {
	local g m r
	run -0 "$MINI" --bench -n 20000
	g=$(mt_out_field glibc <(printf '%s\n' "$output"))
	m=$(mt_out_field mini <(printf '%s\n' "$output"))
	r=$(mt_out_field ratio <(printf '%s\n' "$output"))
	[[ $g =~ ^[0-9]+\.[0-9]+$ && $m =~ ^[0-9]+\.[0-9]+$ ]]
	awk -v g="$g" -v m="$m" -v r="${r%% *}" 'BEGIN {
		exit !(g > 0 && m > 0 && (r - m / g) ^ 2 < 0.01 + (m / g) ^ 2 / 100)
	}'
}

@test "mini_malloc.so: loaded by LD_PRELOAD, and malloc no longer uses brk" {
	local pid i n plain mini
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	LD_PRELOAD=$MINI_SO cat "$BATS_TEST_TMPDIR/fifo" >/dev/null 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q mini_malloc "/proc/$pid/maps" 2>/dev/null && break
		sleep 0.02
	done
	n=$(grep -c mini_malloc "/proc/$pid/maps" || true)
	kill "$pid"
	wait "$pid" || true
	((n >= 1))
	# glibc's malloc grows [heap] with brk; ours maps arenas instead.
	plain=$(cat /proc/self/maps)
	mini=$(LD_PRELOAD=$MINI_SO cat /proc/self/maps)
	[[ $mini == *mini_malloc.so* ]]
	if [[ $plain == *"[heap]"* ]]; then
		[[ $mini != *"[heap]"* ]]
	fi
}

@test "mini_malloc.so: ls -lR gives byte-identical output" {
	local dir=/usr/include
	[[ -d $dir ]] || dir=/usr/lib
	ls -lR "$dir" >"$BATS_TEST_TMPDIR/plain" 2>&1 || true
	LD_PRELOAD=$MINI_SO ls -lR "$dir" >"$BATS_TEST_TMPDIR/mini" 2>&1 ||
		true
	(($(wc -l <"$BATS_TEST_TMPDIR/plain") > 1000))
	cmp "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/mini"
}

@test "mini_malloc.so: sort of a 5 MB file, one and two threads" {
	local t=$BATS_TEST_TMPDIR
	awk 'BEGIN { srand(42)
		for (i = 0; i < 250000; i++)
			printf "%08d %c%c%c %x\n", int(rand() * 1e8),
			       97 + int(rand() * 26), 97 + int(rand() * 26),
			       97 + int(rand() * 26), int(rand() * 1e6) }' >"$t/in"
	(($(wc -c <"$t/in") > 4500000))
	sort "$t/in" >"$t/plain"
	LD_PRELOAD=$MINI_SO sort "$t/in" >"$t/mini"
	cmp "$t/plain" "$t/mini"
	# Two threads, little memory, temporary files: more malloc traffic.
	LD_PRELOAD=$MINI_SO sort --parallel=2 -S 1M -T "$t" "$t/in" >"$t/mini2"
	cmp "$t/plain" "$t/mini2"
}

@test "mini_malloc.so: python3 (threads, fork) gives identical output" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	local t=$BATS_TEST_TMPDIR
	cat >"$t/p.py" <<'EOF'
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
EOF
	python3 "$t/p.py" >"$t/plain"
	LD_PRELOAD=$MINI_SO python3 "$t/p.py" >"$t/mini"
	cmp "$t/plain" "$t/mini"
	grep -q ' 0$' "$t/mini"
}
