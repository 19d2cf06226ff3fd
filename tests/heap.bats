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

# Drive lazy_alloc ARGS (a block of SIZE bytes) through its six pauses and
# check every step against the test's own reads of /proc/PID/status,
# /proc/PID/stat and /proc/PID/maps.
hp_lazy() {
	local size=$1 ps kb pages half tol1 i block first line
	local -a vs rss vd flt
	shift
	ps=$(mt_pagesize)
	kb=$((size / 1024))
	mt_start "$H/lazy_alloc" "$@"
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
		if ((i == 0)) && grep -q '^thp: disabled' "$MT_OUT"; then
			# PR_SET_THP_DISABLE, as the kernel sees it (the
			# THP_enabled line exists since Linux 5.0).
			[[ $(awk '$1 == "THP_enabled:" { print $2 }' \
				"/proc/$MT_PID/status") != 1 ]]
		elif ((i == 1)); then
			# The block is one anonymous mapping, SIZE long.
			block=$(($(mt_out_field block)))
			line=$(mt_maps_line "$MT_PID" "$block")
			[[ $(awk '{ print $2, $4, $5, $6 }' <<<"$line") == \
				"rw-p 00:00 0 " ]]
			(($(hp_end "$line") >= block + size))
		elif ((i == 5)); then
			# free unmapped it.
			! mt_maps_line "$MT_PID" "$block" 2>/dev/null || false
		fi
		mt_resume
	done
	mt_finish 20
	[[ $MT_STATUS == 0 ]] || { mt_dump; false; }

	# The whole pages inside the block, and how many got written.
	first=$(((block + ps - 1) / ps * ps))
	pages=$(((block + size - first) / ps))
	half=$(((pages + 1) / 2))
	[[ $(mt_out_field pages) == "$pages" ]]
	[[ $(mt_out_field written_half) == "$half" ]]
	[[ $(mt_out_field written_all) == "$pages" ]]

	tol1=$((kb / 100))
	# malloc: VmSize and VmData grow by SIZE plus at most one page (the
	# 16-byte chunk header, rounded up); RSS does not.
	((vs[1] - vs[0] >= kb && vs[1] - vs[0] <= kb + ps / 1024))
	((vd[1] - vd[0] >= kb && vd[1] - vd[0] <= kb + ps / 1024))
	((rss[1] - rss[0] < tol1))
	# read: RSS grows by less than 1% of SIZE (the zero page), though
	# every page took a fault to map it.
	((rss[2] - rss[1] < tol1))
	((flt[2] - flt[1] >= pages * 98 / 100))
	# write-half: RSS and minor faults grow by the pages written, 1%.
	hp_near $((rss[3] - rss[2])) $((half * ps / 1024)) \
		$((half * ps / 1024 / 100 + 1))
	hp_near $((flt[3] - flt[2])) "$half" $((half / 100 + 1))
	# write-all: the other pages.
	hp_near $((rss[4] - rss[3])) $(((pages - half) * ps / 1024)) \
		$(((pages - half) * ps / 1024 / 100 + 1))
	hp_near $((flt[4] - flt[3])) $((pages - half)) \
		$(((pages - half) / 100 + 1))
	# free: VmSize back within 1% of SIZE of where it started.
	hp_near "${vs[5]}" "${vs[0]}" "$tol1"
	hp_near "${rss[5]}" "${rss[0]}" "$tol1"
	[[ $(mt_out_field size) == "$size "* ]]
	grep -q 'zero page, so VmRSS stays flat' "$MT_OUT"
	# The settings it reports are the ones we read.
	[[ $(mt_out_field page_size) == "$ps" ]]
	[[ $(mt_out_field overcommit_memory) == \
		"$(</proc/sys/vm/overcommit_memory) "* ]]
	hp_thp_mode_ok
}

# The THP mode lazy_alloc printed is the one in sysfs (or "unknown" if
# there is none); and it says what it did about it.
hp_thp_mode_ok() {
	local f=/sys/kernel/mm/transparent_hugepage/enabled want=unknown
	if [[ -r $f ]]; then
		want=$(sed 's/.*\[\(.*\)\].*/\1/' "$f")
	fi
	[[ $(mt_out_field thp_mode) == "$want" ]]
	grep -q '^thp: .*PR_SET_THP_DISABLE' "$MT_OUT"
}

@test "lazy_alloc (256 MiB): VmSize, VmRSS, minor faults: demand paging" {
	hp_lazy $((256 << 20))
	[[ $(mt_out_field size) == "268435456 (256 MiB)" ]]
}

@test "lazy_alloc: a size above MemAvailable is reserved, not touched" {
	local avail size arg mode vs0 vs1 ps ram want
	ps=$(mt_pagesize)
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
		# The virtual part works: VmSize grew by SIZE (and a page).
		((vs1 - vs0 >= size / 1024 && vs1 - vs0 <= (size + ps) / 1024))
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
	# MemAvailable as it read it (it moves: within a quarter).
	hp_near "$(mt_out_field mem_available | cut -d' ' -f1)" "$avail" \
		$((avail / 4))
	# Did malloc fail? In mode 0 the kernel refuses one request of more
	# than RAM + swap, in mode 1 never; then mmap(MAP_NORESERVE) takes
	# over, and says so.
	ram=$(awk '$1 == "MemTotal:" || $1 == "SwapTotal:" { s += $2 }
		END { print s }' /proc/meminfo)
	want=
	if [[ $mode == 0 ]] && ((size / 1024 > ram + 1024)); then
		want=yes
	elif [[ $mode == 1 ]] || ((size / 1024 < ram - 1024)); then
		want=no
	fi
	[[ -z $want || $(mt_out_field malloc_failed) == "$want" ]]
	if [[ $(mt_out_field malloc_failed) == yes ]]; then
		grep -q "malloc .*Cannot allocate memory" "$MT_ERR"
		[[ $(mt_out_field via) == mmap ]]
	else
		[[ $(mt_out_field via) == malloc ]]
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
	run -2 --separate-stderr "$H/lazy_alloc" --bogus
	[[ $stderr == "lazy_alloc: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$H/lazy_alloc" -s
	[[ $stderr == "lazy_alloc: option '-s' needs an argument"*usage:* ]]
	run -2 "$H/lazy_alloc" extra
}

# --- brk --------------------------------------------------------------------

# At a pause: the printed break, rounded up to a page, is the end of the
# [heap] line we read, which starts at the initial break; or, when the
# break is back at the start, there is no [heap] line at all. The "heap:"
# line printed is that [heap] line. Sets B to the printed break (a global:
# checks inside $(...) would not count).
hp_brk_check() {
	local ps=$1 initial=$2 brk heap up lo hi
	brk=$(hp_last break)
	brk=$((${brk%% *}))
	B=$brk
	up=$(((brk + ps - 1) / ps * ps))
	heap=$(mt_maps_named "$MT_PID" '[heap]')
	if ((brk == initial)); then
		[[ -z $heap ]]
		[[ $(hp_last heap) == none* ]]
	else
		[[ -n $heap ]]
		lo=$(hp_start_addr "$heap")
		hi=$(hp_end "$heap")
		((hi == up && lo == initial))
		[[ $(hp_last heap) == "$(mt_hex "$lo")-$(mt_hex "$hi") \
($((hi - lo)) bytes)" ]]
	fi
}

# Start heap/brk (ARGS) and check its first pause: etext, edata and end
# against nm on the binary plus its load base; the initial break and the
# gap to it, with ASLR on (gap < 1 GiB + 2 pages) or off (the break is end
# rounded up to a page). Sets INITIAL to the initial break.
hp_brk_first() {
	local ps sym base exe rva aslr=1 end
	ps=$(mt_pagesize)
	mt_start "$@"
	mt_wait_pause 1
	exe=$(readlink -f "$H/brk")
	base=$(hp_start_addr "$(mt_maps_named "$MT_PID" "$exe")")
	if LC_ALL=C readelf -h "$H/brk" | grep -q 'Type:.*EXEC'; then
		base=0
	fi
	for sym in etext edata end; do
		(($(mt_out_field $sym) == base + 16#$(nm "$H/brk" |
			awk -v s=$sym '$3 == s { print $1; exit }')))
	done
	end=$(($(mt_out_field end)))
	INITIAL=$(($(mt_out_field break_initial)))
	((INITIAL % ps == 0 && INITIAL >= end))
	[[ $(mt_out_field gap) == "$((INITIAL - end)) "* ]]
	rva=$(</proc/sys/kernel/randomize_va_space)
	[[ $(mt_out_field randomize_va_space) == "$rva" ]]
	# personality(2) of the process: ADDR_NO_RANDOMIZE is 0x0040000.
	if ((rva != 2 || 16#$(awk '{ print $1 }' "/proc/$MT_PID/personality") &
		0x0040000)); then
		aslr=0
	fi
	if ((aslr)); then
		grep -q 'ASLR is on' "$MT_OUT"
		((INITIAL - end <= (1 << 30) + 2 * ps))
	else
		grep -q 'brk randomization is off' "$MT_OUT"
		((INITIAL == (end + ps - 1) / ps * ps))
	fi
	hp_brk_check "$ps" "$INITIAL"
	((B == INITIAL))
}

@test "brk: the [heap] line follows sbrk and brk, page-rounded" {
	local ps initial b inc=100000 b4
	ps=$(mt_pagesize)
	hp_brk_first "$H/brk" -i "$inc"
	initial=$INITIAL
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
	hp_brk_first "$H/brk" -i 3M
	mt_resume
	mt_wait_pause 2
	hp_brk_check "$(mt_pagesize)" "$INITIAL"
	((B == INITIAL + (3 << 20)))
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "brk: without ASLR (setarch -R) the heap starts at end, page-rounded" {
	setarch -R true 2>/dev/null ||
		skip "setarch -R is refused here (seccomp on personality?)"
	hp_brk_first setarch -R "$H/brk"
	grep -q 'ADDR_NO_RANDOMIZE' "$MT_OUT"
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
	run -2 --separate-stderr "$H/brk" --bogus
	[[ $stderr == "brk: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$H/brk" -i
	[[ $stderr == "brk: option '-i' needs an argument"*usage:* ]]
	run -2 "$H/brk" extra
}

# --- free_and_sbrk ----------------------------------------------------------

# At a pause of free_and_sbrk, after PHASE: the printed break, rounded up
# to a page, is the end of the [heap] line we read (or there is no [heap]
# line, and the break is where the heap will start); the printed heap_
# size is that line's. Sets E to the end of [heap], S to its start.
hp_fas_check() {
	local phase=$1 ps brk heap
	ps=$(mt_pagesize)
	brk=$(($(mt_out_field "break_$phase")))
	heap=$(mt_maps_named "$MT_PID" '[heap]')
	if [[ -z $heap ]]; then
		[[ $(mt_out_field "heap_$phase") == "0 bytes" ]]
		E=$brk S=$brk
		return 0
	fi
	E=$(hp_end "$heap")
	S=$(hp_start_addr "$heap")
	((E == (brk + ps - 1) / ps * ps))
	[[ $(mt_out_field "heap_$phase") == "$((E - S)) bytes" ]]
}

# Run free_and_sbrk ARGS through its four pauses; sets H1 H2 H3 to the
# end of [heap] the test read after allocating, after the chosen frees,
# after freeing the rest.
hp_fas() {
	local start
	mt_start "$H/free_and_sbrk" "$@"
	mt_wait_pause 1
	hp_fas_check start
	start=$E
	# "the heap is empty until the first malloc": no [heap] line yet.
	[[ -z $(mt_maps_named "$MT_PID" '[heap]') ]]
	mt_resume
	mt_wait_pause 2
	hp_fas_check alloc
	H1=$E
	# The heap grew from where the break was at the start.
	((S == start))
	mt_resume
	mt_wait_pause 3
	hp_fas_check free
	H2=$E
	mt_resume
	mt_wait_pause 4
	hp_fas_check rest
	H3=$E
	mt_finish
	[[ $MT_STATUS == 0 ]]
}

@test "free_and_sbrk: freeing a middle range does not lower the break" {
	hp_fas 1000 10240 1 200 700
	((H2 == H1))
	[[ $(mt_out_field lowered) == no ]]
	[[ $(mt_out_field freed) == "501 blocks ($((501 * 10240)) bytes)" ]]
	[[ $(mt_out_field freed_rest) == "499 blocks"* ]]
	# Freeing the rest frees the top too: now it drops.
	((H3 < H1 - 1000 * 10240 / 2))
}

@test "free_and_sbrk: freeing the top blocks lowers the break" {
	hp_fas 1000 10240 1 500 1000
	# The top 501 blocks, less what glibc keeps at the top (M_TOP_PAD).
	((H2 < H1 - 501 * 10240 + 256 * 1024))
	[[ $(mt_out_field lowered) == yes ]]
	[[ $(mt_out_field freed) == "501 blocks"* ]]
}

@test "free_and_sbrk: defaults free every second block: no drop" {
	hp_fas
	((H2 == H1))
	((H3 < H1))
	[[ $(mt_out_field lowered) == no ]]
	[[ $(mt_out_field freed) == "500 blocks"* ]]
	[[ $(mt_out_field num_allocs) == 1000 ]]
	[[ $(mt_out_field block_size) == 10240 ]]
}

@test "free_and_sbrk: a raised M_TRIM_THRESHOLD keeps the top" {
	hp_fas -t 8M 1000 10240 1 500 1000
	((H2 == H1))
	[[ $(mt_out_field lowered) == no ]]
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
	run -2 "$H/free_and_sbrk" 1000000 2000
	[[ $output == *"more than 1 GiB"* ]]
	run -2 "$H/free_and_sbrk" -t 0
	run -2 --separate-stderr "$H/free_and_sbrk" --bogus
	[[ $stderr == "free_and_sbrk: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$H/free_and_sbrk" --trim
	[[ $stderr == "free_and_sbrk: option '--trim' needs an argument"* ]]
}

# --- malloc_chunks ----------------------------------------------------------

@test "malloc_chunks: small blocks in [heap], large in a mapping of its own" {
	local line a prev req large size heapline dist usable sw flags
	mt_start "$H/malloc_chunks"
	mt_wait_pause 1
	heapline=$(mt_maps_named "$MT_PID" '[heap]')
	[[ -n $heapline ]]
	# Every row of the table: the address is in [heap], 16-byte aligned;
	# the distance to the next is at least the request plus the 8-byte
	# size word, a multiple of 16; usable is at least the request. The
	# glibc size word is that distance, with P (the chunk before is in
	# use), and usable is it less the size word.
	prev=
	while read -r req a dist usable sw flags; do
		line=$(mt_maps_line "$MT_PID" "$a")
		[[ $line == *'[heap]' ]]
		((a % 16 == 0))
		((dist >= req + 8 && dist % 16 == 0 && dist >= 32))
		((usable >= req && usable <= dist))
		((usable == dist - 8 && (sw & ~7) == dist))
		[[ $flags == P-- ]]
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
	[[ $(mt_out_field large_mapping) == "$(mt_hex "$(hp_start_addr \
		"$line")")-$(mt_hex "$(hp_end "$line")") "* ]]
	# Its size word: IS_MMAPPED, and the chunk (which starts 16 bytes
	# before the block) lies inside that mapping.
	read -r sw flags < <(mt_out_field large_sizeword)
	[[ $flags == -M- ]]
	(($(hp_start_addr "$line") <= large - 16))
	(($(hp_end "$line") >= large - 16 + (sw & ~7)))
	(((sw & ~7) >= size + 8 && (sw & ~7) % $(mt_pagesize) == 0))
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
	run -2 --separate-stderr "$H/malloc_chunks" --bogus
	[[ $stderr == "malloc_chunks: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$H/malloc_chunks" -l
	[[ $stderr == "malloc_chunks: option '-l' needs an argument"*usage:* ]]
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
	[[ $(mt_out_field sp_moved) == "$((before - after)) bytes "* ]]
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
	run -2 --separate-stderr "$H/alloca" --bogus
	[[ $stderr == "alloca: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$H/alloca" -s
	[[ $stderr == "alloca: option '-s' needs an argument"*usage:* ]]
}

