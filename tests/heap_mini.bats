#!/usr/bin/env bats
# tests/heap_mini.bats - heap/mini_malloc: the demo and heap/mini_malloc.so under
# LD_PRELOAD (to be merged into heap.bats).

load helpers

H=$MT_TOP/heap

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
	mini_stage "$1" |
		awk -v p="$2" 'NF == 4 && $1 == p { print $2, $3, $4 }'
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
	run -2 --separate-stderr "$MINI" --bogus
	[[ $stderr == "mini_malloc: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$MINI" -n
	[[ $stderr == "mini_malloc: option '-n' needs an argument"*usage:* ]]
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
			[[ $line == "${lo#0x}-${hi#0x} "* ]]
			[[ $line == *"[anon:mini_malloc arena $id]" ]]
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
	local pa ba sa bb sb bc sc sd line stage id lo hi size used free n
	local MINI_OUT=$BATS_TEST_TMPDIR/out	# read by mini_stage
	run -0 "$MINI"		# no pauses: everything here is in the output
	printf '%s\n' "$output" >"$MINI_OUT"
	read -r pa ba sa < <(mini_ptr_row 1 a)
	read -r _ bb sb < <(mini_ptr_row 1 b)
	read -r _ bc sc < <(mini_ptr_row 1 c)
	# Payload = block + 16-byte header, 16-aligned; b follows a, c b.
	((pa == ba + 16 && pa % 16 == 0))
	((bb == ba + sa && bc == bb + sb))
	# The arena's "used" column is a + b + c + d.
	read -r _ _ sd < <(mini_ptr_row 1 d)
	read -r _ _ _ _ used _ < <(mini_arena_rows 1)
	((used == sa + sb + sc + sd))
	[[ $(mt_out_field "page size" "$MINI_OUT") == "$(mt_pagesize)" ]]
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
	read -r blk size < <(sed -n 's/^large block: //p' "$MT_OUT" |
		tail -n 1)
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
	[[ $output == *"forks ok: 20"* && $output == *"faults found: 0"* ]]
	[[ $output == *"result: ok"* ]]
	LD_PRELOAD=$MINI_SO run -0 "$MINI" --stress --libc -n 20000
	[[ $output == *"forks ok: 20"* && $output == *"faults found: 0"* ]]
	[[ $output == *"result: ok"* ]]
}

@test "mini_malloc: a tiny --bench prints both times and their ratio" {
	local g m r
	run -0 "$MINI" --bench -n 20000
	g=$(mt_out_field glibc <(printf '%s\n' "$output"))
	m=$(mt_out_field mini <(printf '%s\n' "$output"))
	r=$(mt_out_field ratio <(printf '%s\n' "$output"))
	[[ $g =~ ^[0-9]+\.[0-9]+$ && $m =~ ^[0-9]+\.[0-9]+$ ]]
	awk -v g="$g" -v m="$m" -v r="${r%% *}" 'BEGIN {
		q = m / g
		exit !(g > 0 && m > 0 && (r - q) ^ 2 < 0.01 + q ^ 2 / 100)
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
