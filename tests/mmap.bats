# SPDX-License-Identifier: MIT
# tests/mmap.bats - the mmap/ programs against the kernel's own view: the
# test reads /proc/PID/maps, smaps, status and pagemap of the parent and of
# the child while the program is paused, and checks files on disk with cmp
# and sha256sum. Every run gets its own $TMPDIR, so that a scratch file
# left behind is seen.

load helpers

MM=$MT_TOP/mmap

setup() {
	mt_setup
	export TMPDIR=$MT_TMP/tmp
	mkdir "$TMPDIR"
}

teardown() {
	mt_cleanup
}

# --- small tools -------------------------------------------------------------

# The first word of the value of "NAME: value" in $MT_OUT.
mm_word() {
	local v
	v=$(mt_out_field "$1")
	echo "${v%%[ ,]*}"
}

# The perms of the mapping of PID holding ADDR, from the test's own read.
mm_perms() {
	local line
	line=$(mt_maps_line "$1" "$2") || return 1
	awk '{ print $2 }' <<<"$line"
}

# The printed "LABEL: maps line" (the NTH such line, default the first)
# equals the test's read of /proc/PID/maps for ADDR, field by field
# (FIELDS: 5 without the name, 0 for all).
mm_maps_check() {
	local label=$1 pid=$2 addr=$3 fields=$4 nth=${5:-1} printed own
	printed=$(sed -n "s/^$label: *//p" "$MT_OUT" | sed -n "${nth}p")
	[[ -n $printed ]] || {
		echo "no line $nth '$label:'" >&2
		return 1
	}
	own=$(mt_maps_line "$pid" "$addr") || return 1
	if ((fields)); then
		own=$(awk -v n="$fields" '{ $0 = $0; NF = n; print }' <<<"$own")
	fi
	# shellcheck disable=SC2086 # word splitting squeezes the blanks
	[[ $(echo $printed) == "$(echo $own)" ]] || {
		echo "$label: printed '$printed', maps has '$own'" >&2
		false
	}
}

# Every "Field N kB" of the printed "smaps WHEN: ..." line equals the test's
# own read of that field in /proc/PID/smaps for the mapping holding ADDR.
mm_smaps_check() {
	local pid=$1 addr=$2 when=$3 line pairs pair name val own
	line=$(grep -m1 "^smaps $when: " "$MT_OUT") || {
		echo "no 'smaps $when:' line" >&2
		return 1
	}
	IFS=',' read -ra pairs <<<"${line#*: }"
	((${#pairs[@]} == 3))
	for pair in "${pairs[@]}"; do
		read -r name val _ <<<"$pair"
		own=$(mt_smaps_kb "$pid" "$addr" "$name")
		[[ $val == "$own" ]] || {
			echo "smaps $when: $name printed $val, smaps has $own" >&2
			return 1
		}
	done
}

# One figure NAME of the printed "smaps WHEN: ..." line.
mm_smaps_printed() {
	grep -m1 "^smaps $2: " "$MT_OUT" | sed -E "s/.* $1 ([0-9]+) kB.*/\\1/"
}

# The PFN and the exclusive bit (56) of PID's page at ADDR, from pagemap.
mm_pfn() {
	local e
	e=$(mt_pagemap "$1" "$2") || return 1
	echo $((e & ((1 << 55) - 1)))
}
mm_exclusive() {
	local e
	e=$(mt_pagemap "$1" "$2") || return 1
	echo $(((e >> 56) & 1))
}

# PFNs can be compared only where pagemap shows them: root with
# CAP_SYS_ADMIN in the initial user namespace.
mm_need_pfn() {
	[[ $(id -u) == 0 ]] || skip "pagemap PFNs read 0 without root"
	(($(mm_pfn "$1" "$2") != 0)) ||
		skip "pagemap PFNs read 0 here (no CAP_SYS_ADMIN in the" \
			"initial user namespace)"
}

# No line of $MT_OUT (or of the given text) is 80 columns or more.
mm_narrow() {
	local long
	long=$(awk 'length > 79 && !/^\[pause /' "${1:-$MT_OUT}")
	[[ -z $long ]] || {
		echo "lines over 79 columns: $long" >&2
		false
	}
}

# Wait for [pause N], answering every pause before it.
mm_goto() {
	local i
	for ((i = 1; i < $1; i++)); do
		mt_wait_pause "$i"
		mt_resume
	done
	mt_wait_pause "$1"
}

# At pause 3 of mmap/mmap: what the program says it read, against the
# pages of the mapping at ADDR in the test's own read of /proc/PID/maps
# (all but the one written). Sets MM_PAGES.
mm_untouched_check() {
	local pid=$1 addr=$2 range ps
	ps=$(mt_pagesize)
	range=$(mt_maps_line "$pid" "$addr" | cut -d' ' -f1) || return 1
	MM_PAGES=$(((16#${range#*-} - 16#${range%-*}) / ps - 1))
	if ((MM_PAGES == 0)); then
		# Nothing read: no word about the zero page either way.
		grep -qx "read no untouched page: the mapping is the one page written (give -s two" "$MT_OUT" ||
			return 1
		if grep -E "^(read [0-9]+ untouched|reading took|smaps after reading|Anonymous:)" "$MT_OUT" >&2; then
			echo "(above: printed, though no page was read)" >&2
			return 1
		fi
	else
		grep -qx "read $MM_PAGES untouched pages: the sum of their bytes is 0" "$MT_OUT" ||
			return 1
		if grep "^read no untouched page" "$MT_OUT" >&2; then
			return 1
		fi
	fi
}

# PID has ended (gone, or a zombie nobody has reaped yet) within 5 s.
mm_gone() {
	local i state
	for ((i = 0; i < 250; i++)); do
		state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
		[[ $state == Z ]] && return 0
		sleep 0.02
	done
	echo "pid $1 still running" >&2
	false
}

# $TMPDIR holds nothing: no scratch file was left behind.
mm_no_scratch() {
	local left
	left=$(ls -A "$TMPDIR")
	[[ -z $left ]] || {
		echo "left in \$TMPDIR: $left" >&2
		false
	}
}

# The sample text with its first K words (runs of ASCII letters) in
# uppercase: what shared_file_mapping makes of it.
mm_upcase_words() {
	perl -0pe "my \$n = 0; s/([A-Za-z]+)/\$n++ < $1 ? uc \$1 : \$1/ge" "$2"
}

# Sets MM_USER to the command prefix that runs a program as a user whom
# file permissions stop (root reads and writes any file): nothing for an
# ordinary user, runuser -u nobody for root; skips if there is none.
mm_user() {
	MM_USER=()
	[[ $(id -u) == 0 ]] || return 0
	runuser -u nobody -- test -x "$1" 2>/dev/null ||
		skip "as root, a file without permission needs a user whom" \
			"the permission stops, and nobody cannot run $1 here"
	MM_USER=(runuser -u nobody --)
}

# --- mmap: private anonymous ---------------------------------------------------

# Parses: mapping:, maps:, smaps after mmap|writing|reading|fork|child
# wrote:, Anonymous:, read N untouched pages..., reading took (no) memory,
# child: pid, child reads:, child wrote:, child's maps:, parent reads:,
# parent's maps:, munmap:, caught SIGSEGV:; runs every try: command.
@test "mmap: zeros, a write allocates, copy-on-write after fork, SIGSEGV after munmap" {
	local ps addr pid child kb
	ps=$(mt_pagesize)
	mt_start "$MM/mmap"
	mt_wait_pause 1
	pid=$MT_PID
	addr=$(mm_word mapping)
	[[ $(mt_out_field "page size") == "$ps" ]]
	[[ $(mt_out_field mapping) == "$addr, $((16 * ps)) ($((16 * ps / 1024)) KiB), private anonymous" ]]
	[[ $(mm_perms "$pid" "$addr") == rw-p ]]
	mm_maps_check maps "$pid" "$addr" 0
	mm_smaps_check "$pid" "$addr" "after mmap"
	[[ $(mt_smaps_kb "$pid" "$addr" Rss) == 0 ]]
	mt_try 1
	[[ $output == *"Size:"*" $((16 * ps / 1024)) kB"*"Rss:"*" 0 kB"* ]]

	mt_resume
	mt_wait_pause 2
	[[ $(mt_out_field wrote) == "42 at $addr" ]]
	mm_smaps_check "$pid" "$addr" "after writing"
	[[ $(mt_smaps_kb "$pid" "$addr" Rss) == $((ps / 1024)) ]]
	mt_try 2
	[[ $output == *"Private_Dirty:"*" $((ps / 1024)) kB"* ]]

	mt_resume
	mt_wait_pause 3
	mm_untouched_check "$pid" "$addr"
	((MM_PAGES == 16 - 1))
	mm_smaps_check "$pid" "$addr" "after reading"
	kb=$(mt_smaps_kb "$pid" "$addr" Rss)
	[[ $(mt_out_field Anonymous) == "$(mt_smaps_kb "$pid" "$addr" Anonymous) kB" ]]
	if ((kb == ps / 1024)); then
		grep -q "^reading took no memory: each read mapped the kernel's one zero page" "$MT_OUT"
	else
		# No zero page on this kernel: every page read is a page.
		((kb == 16 * ps / 1024))
		grep -q "^reading took memory: this kernel gives a read fault a page of its own" "$MT_OUT"
	fi
	mt_try 3
	[[ $output == *"Rss:"*" $kb kB"* ]]

	mt_resume
	mt_wait_pause 4
	child=$(mt_out_field child)
	child=${child#pid }
	[[ $(mt_pause_line 4) == *"child $child forked"* ]]
	kill -0 "$child"
	grep -qx "child reads: 42" "$MT_OUT"
	mm_smaps_check "$pid" "$addr" "after fork"
	# Both processes map the same page: not exclusive to either.
	[[ $(mm_exclusive "$pid" "$addr") == 0 ]]
	[[ $(mm_exclusive "$child" "$addr") == 0 ]]
	[[ $(mm_perms "$child" "$addr") == rw-p ]]
	mt_try 4
	[[ $output == *"Shared_Dirty:"*" $(mt_smaps_kb "$pid" "$addr" Shared_Dirty) kB"* ]]

	mt_resume
	mt_wait_pause 5
	grep -qx "child wrote: 99 (its own copy of the page now)" "$MT_OUT"
	grep -qx "parent reads: 42 (its page was not touched)" "$MT_OUT"
	mm_smaps_check "$pid" "$addr" "after child wrote"
	[[ $(mm_smaps_printed Private_Dirty "after child wrote") == $((ps / 1024)) ]]
	[[ $(mm_exclusive "$pid" "$addr") == 1 ]]
	[[ $(mm_exclusive "$child" "$addr") == 1 ]]
	[[ $(mm_perms "$pid" "$addr") == rw-p ]]
	[[ $(mm_perms "$child" "$addr") == rw-p ]]
	mm_maps_check "parent's maps" "$pid" "$addr" 0
	mm_maps_check "child's maps" "$child" "$addr" 0
	mt_try 5
	[[ $output == *"/proc/$pid/maps:${addr#0x}-"*" rw-p "* ]]
	[[ $output == *"/proc/$child/maps:${addr#0x}-"*" rw-p "* ]]

	mt_resume
	mt_wait_pause 6
	[[ $(mt_out_field munmap) == "done, $addr is no longer mapped" ]]
	# Nothing of the mapping is left: neither its first nor its last page.
	mt_maps_line "$pid" "$addr" 2>/dev/null && false
	mt_maps_line "$pid" $((addr + 16 * ps - 1)) 2>/dev/null && false
	mm_gone "$child"
	mt_try 6
	[[ $output == "no mapping at $addr" ]]

	mt_finish
	((MT_STATUS == 0))
	[[ $(tail -n 1 "$MT_OUT") == "caught SIGSEGV: address $addr, code SEGV_MAPERR (no mapping there)" ]]
	mm_narrow
}

# Parses: the pause lines; as root reads the PFN of the written page.
@test "mmap: as root, one PFN for both after fork, two after the child writes" {
	local addr pid child
	mt_start "$MM/mmap"
	mm_goto 4
	pid=$MT_PID
	addr=$(mm_word mapping)
	child=$(mt_out_field child)
	child=${child#pid }
	mm_need_pfn "$pid" "$addr"
	[[ $(mm_pfn "$pid" "$addr") == "$(mm_pfn "$child" "$addr")" ]]
	mt_resume
	mt_wait_pause 5
	[[ $(mm_pfn "$pid" "$addr") != "$(mm_pfn "$child" "$addr")" ]]
	(($(mm_pfn "$child" "$addr") != 0))
	mt_finish
	((MT_STATUS == 0))
}

# Parses: mapping:, read (N|no) untouched page(s), the lines after it at
# pause 3, caught SIGSEGV:.
@test "mmap: -s sets the size; --no-handler lets SIGSEGV kill it" {
	local ps addr
	ps=$(mt_pagesize)
	mt_run 0 "$MM/mmap" -s 3
	[[ ${lines[1]} == "mapping: 0x"*", $ps ($((ps / 1024)) KiB), private anonymous" ]]
	# One page, the one written: nothing is read at step 3.
	mt_start "$MM/mmap" -s 1
	mm_goto 3
	addr=$(mm_word mapping)
	mm_untouched_check "$MT_PID" "$addr"
	((MM_PAGES == 0))
	[[ $(mt_pause_line 3) == *": nothing to read; try: "* ]]
	mt_try 3
	[[ $output == *"Rss:"*" $((ps / 1024)) kB"* ]]
	mt_finish
	((MT_STATUS == 0))
	mm_narrow "$MT_OUT"
	mt_run 0 "$MM/mmap" -s $((2 * ps + 1))
	[[ ${lines[1]} == *", $((3 * ps)) ($((3 * ps / 1024)) KiB), private anonymous" ]]
	mt_run 139 "$MM/mmap" --no-handler
	[[ $output != *"caught SIGSEGV"* ]]
	[[ $output == *"reading 0x"*" again..." ]]
	mt_run 2 "$MM/mmap" -s 0
	[[ $stderr == "mmap: -s: bad size '0'"* ]]
	mt_run 2 "$MM/mmap" extra
	[[ $stderr == "mmap: unexpected argument 'extra'"* ]]
}

@test "mmap: help, bad options, write errors, closed stdin" {
	mt_common_checks "$MM/mmap"
}

# --- first_touch ----------------------------------------------------------------

# Parses: size:, maps: (twice), RssAnon before|after reading:, RssAnon grew
# by:, the explanation, RssShmem before|after reading:, RssShmem grew by:.
@test "first_touch: a private read leaves RssAnon flat, a shared read fills RssShmem" {
	local pid size a1 a2 s1 s2 addr nozero=0
	mt_start "$MM/first_touch"
	mt_wait_pause 1
	pid=$MT_PID
	size=$(mm_word size)
	((size == 64 << 20))
	[[ $(mt_out_field size) == "$size (64 MiB), $((size / $(mt_pagesize))) pages" ]]
	addr=0x$(mt_out_field maps | cut -d- -f1)
	[[ $(mm_perms "$pid" "$addr") == rw-p ]]
	mm_maps_check maps "$pid" "$addr" 0
	a1=$(mt_status_kb "$pid" RssAnon)
	[[ $(mt_out_field "RssAnon before reading") == "$a1 kB" ]]
	mt_try 1
	[[ $output == *"RssAnon:"*" $a1 kB"* ]]

	mt_resume
	mt_wait_pause 2
	a2=$(mt_status_kb "$pid" RssAnon)
	[[ $(mt_out_field "RssAnon after reading") == "$a2 kB" ]]
	[[ $(mt_out_field "RssAnon grew by") == "$((a2 - a1)) kB" ]]
	grep -q 'pvm_no_zero_page=1' /proc/cmdline && nozero=1
	if ((nozero)); then
		# This kernel was booted without the zero page: the read
		# allocated; the program must say so and why. Within 1%: the
		# program's own stack and stdio pages.
		(((a2 - a1) * 1024 * 100 >= size * 99))
		(((a2 - a1) * 1024 * 100 <= size * 101))
		grep -q "^This kernel gave every read fault a page of its own" "$MT_OUT"
		grep -q "pvm_no_zero_page=1" "$MT_OUT"
	else
		# Under 1% of the size: page tables are not RssAnon, so only
		# the program's own stack and stdio pages can move it.
		(((a2 - a1) * 1024 * 100 < size))
		grep -q "^Every page read maps the kernel's one zero page" "$MT_OUT"
	fi
	mt_try 2
	[[ $output == *"RssAnon:"*" $a2 kB"* ]]

	mt_resume
	mt_wait_pause 3
	addr=0x$(grep '^maps: ' "$MT_OUT" | sed -n 2p | cut -d' ' -f2 | cut -d- -f1)
	[[ $(mm_perms "$pid" "$addr") == rw-s ]]
	mm_maps_check maps "$pid" "$addr" 0 2
	mt_maps_line "$pid" "$addr" | grep -q ' /dev/zero (deleted)$'
	s1=$(mt_status_kb "$pid" RssShmem)
	[[ $(mt_out_field "RssShmem before reading") == "$s1 kB" ]]
	mt_try 3
	[[ $output == *"RssShmem:"*" $s1 kB"* ]]

	mt_resume
	mt_wait_pause 4
	s2=$(mt_status_kb "$pid" RssShmem)
	[[ $(mt_out_field "RssShmem after reading") == "$s2 kB" ]]
	[[ $(mt_out_field "RssShmem grew by") == "$((s2 - s1)) kB" ]]
	# Within 1% of the size (exact here: only this mapping is shmem).
	(((s2 - s1) * 1024 * 100 >= size * 99))
	(((s2 - s1) * 1024 * 100 <= size * 101))
	grep -q "^A shared anonymous mapping is a file on the kernel's internal tmpfs" "$MT_OUT"
	mt_try 4
	[[ $output == *"RssShmem:"*" $s2 kB"* ]]
	mt_finish
	((MT_STATUS == 0))
	mm_narrow
}

# Parses: size:, the exit status and message.
@test "first_touch: -s sets the size; a size over half of MemAvailable is refused" {
	mt_run 0 "$MM/first_touch" -s 1M
	[[ ${lines[0]} == "size: 1048576 (1 MiB), $((1048576 / $(mt_pagesize))) pages" ]]
	mt_run 1 "$MM/first_touch" -s 1T
	[[ $stderr == "first_touch: -s 1099511627776: more than half of MemAvailable"* ]]
	[[ -z $output ]]
}

@test "first_touch: help, bad options, write errors, closed stdin" {
	mt_common_checks "$MM/first_touch" -s 64K
}

# --- shared_anon_mapping ----------------------------------------------------------

# Parses: mapping:, maps:, child: pid, parent writes:, child reads:, child
# writes:, child's maps:, parent reads:, smaps with the child:, RssShmem:, smaps after
# the child exited:; runs every try: command.
@test "shared_anon_mapping: parent and child see each other's values through rw-s" {
	local ps pid addr child
	ps=$(mt_pagesize)
	mt_start "$MM/shared_anon_mapping"
	mt_wait_pause 1
	pid=$MT_PID
	addr=$(mm_word mapping)
	[[ $(mt_out_field mapping) == "$addr, $ps ($((ps / 1024)) KiB), shared anonymous" ]]
	[[ $(mm_perms "$pid" "$addr") == rw-s ]]
	mm_maps_check maps "$pid" "$addr" 0
	mt_try 1
	[[ $output == "${addr#0x}-"*" rw-s "*" /dev/zero (deleted)" ]]

	mt_resume
	mt_wait_pause 2
	child=$(mt_out_field child)
	child=${child#pid }
	kill -0 "$child"
	[[ $(grep -E '^(parent|child) (reads|writes):' "$MT_OUT") == \
		"parent writes: 42"$'\n'"child reads: 42"$'\n'"child writes: 99"$'\n'"parent reads: 99" ]]
	[[ $(mm_perms "$pid" "$addr") == rw-s ]]
	[[ $(mm_perms "$child" "$addr") == rw-s ]]
	# The child's own line, printed from its own /proc/self/maps: the
	# same tmpfs file (device and inode) as the parent's.
	mm_maps_check "child's maps" "$child" "$addr" 5
	[[ $(mt_out_field "child's maps" | cut -d' ' -f4,5) == \
		"$(mt_out_field maps | cut -d' ' -f4,5)" ]]
	# One page in both: bit 61 (file or shared anonymous), not exclusive.
	(($(mt_pagemap "$pid" "$addr") >> 61 & 1))
	(($(mt_pagemap "$child" "$addr") >> 61 & 1))
	[[ $(mm_exclusive "$pid" "$addr") == 0 ]]
	[[ $(mm_exclusive "$child" "$addr") == 0 ]]
	mt_try 2
	[[ $output == *"/proc/$pid/maps:${addr#0x}-"*" rw-s "* ]]
	[[ $output == *"/proc/$child/maps:${addr#0x}-"*" rw-s "* ]]

	mt_resume
	mt_wait_pause 3
	mm_smaps_check "$pid" "$addr" "with the child"
	[[ $(mm_smaps_printed Shared_Dirty "with the child") == $((ps / 1024)) ]]
	[[ $(mt_out_field RssShmem) == "$(mt_status_kb "$pid" RssShmem) kB" ]]
	mt_try 3
	[[ $output == *"Shared_Dirty:"*" $((ps / 1024)) kB"* ]]

	mt_resume
	mt_wait_pause 4
	mm_gone "$child"
	mm_smaps_check "$pid" "$addr" "after the child exited"
	[[ $(mm_smaps_printed Private_Dirty "after the child exited") == $((ps / 1024)) ]]
	mt_try 4
	[[ $output == *"Private_Dirty:"*" $((ps / 1024)) kB"* ]]
	mt_finish
	((MT_STATUS == 0))
	mm_narrow
}

# Parses: mapping:, child: pid; as root the PFN of the page in both.
@test "shared_anon_mapping: as root, the page has one PFN in both processes" {
	local pid addr child
	mt_start "$MM/shared_anon_mapping"
	mm_goto 2
	pid=$MT_PID
	addr=$(mm_word mapping)
	child=$(mt_out_field child)
	child=${child#pid }
	mm_need_pfn "$pid" "$addr"
	[[ $(mm_pfn "$pid" "$addr") == "$(mm_pfn "$child" "$addr")" ]]
	mt_finish
	((MT_STATUS == 0))
}

@test "shared_anon_mapping: help, bad options, write errors, closed stdin" {
	mt_common_checks "$MM/shared_anon_mapping"
	mt_run 2 "$MM/shared_anon_mapping" extra
}

# --- private_file_mapping ---------------------------------------------------------

# Parses: scratch copy..., file:, file size:, mapping:, maps:, first line,
# through memory|after the write|through read(2):, smaps after
# reading|writing:, child: pid, child, its own|inherited mapping:, child's
# own maps:, munmap:; runs every try: command.
@test "private_file_mapping: writes stay in memory; the file and another process keep the original" {
	local ps pid addr file child own first
	ps=$(mt_pagesize)
	first=$(head -n 1 "$MT_TOP/res/sample.txt" | cut -c1-50)
	mt_start "$MM/private_file_mapping"
	mt_wait_pause 1
	pid=$MT_PID
	file=$(mt_out_field file)
	[[ $file == "$TMPDIR/memtour-private."* ]]
	cmp "$file" "$MT_TOP/res/sample.txt"
	[[ $(mt_out_field "file size") == "$(stat -c %s "$file") ($(stat -c %s "$file") B)" ]]
	addr=$(mm_word mapping)
	[[ $(mm_perms "$pid" "$addr") == rw-p ]]
	mm_maps_check maps "$pid" "$addr" 5
	[[ $(mt_maps_line "$pid" "$addr" | awk '{ print $6 }') == "$file" ]]
	[[ $(mt_out_field "first line, through memory") == "\"$first\"" ]]
	mm_smaps_check "$pid" "$addr" "after reading"
	[[ $(mt_smaps_kb "$pid" "$addr" Anonymous) == 0 ]]
	mt_try 1
	[[ $output == *"Anonymous:"*" 0 kB"* ]]

	mt_resume
	mt_wait_pause 2
	[[ $(mt_out_field "first line, after the write") == "\"COPIED${first:6}\"" ]]
	mm_smaps_check "$pid" "$addr" "after writing"
	# One page copied: anonymous now, and dirty.
	[[ $(mt_smaps_kb "$pid" "$addr" Anonymous) == $((ps / 1024)) ]]
	# The file is untouched while the mapping is changed.
	cmp "$file" "$MT_TOP/res/sample.txt"
	mt_try 2
	[[ $output == *"Anonymous:"*" $((ps / 1024)) kB"* ]]

	mt_resume
	mt_wait_pause 3
	[[ $(mt_out_field "first line, through read(2)") == "\"$first\"" ]]
	child=$(mt_out_field child)
	child=${child#pid }
	own=0x$(mt_out_field "child's own maps" | cut -d- -f1)
	[[ $(mt_out_field "child, its own mapping") == "\"$first\"" ]]
	[[ $(mt_out_field "child, inherited mapping") == "\"COPIED${first:6}\"" ]]
	[[ $(mm_perms "$pid" "$addr") == rw-p ]]
	[[ $(mm_perms "$child" "$addr") == rw-p ]]
	[[ $(mm_perms "$child" "$own") == r--p ]]
	mm_maps_check "child's own maps" "$child" "$own" 5
	[[ $(mt_maps_line "$child" "$own" | awk '{ print $6 }') == "$file" ]]
	mt_try 3
	[[ $(grep -c " rw-p " <<<"$output") == 2 ]]
	[[ $output == *"/proc/$child/maps:${own#0x}-"*" r--p "*"$file"* ]]

	mt_finish
	((MT_STATUS == 0))
	[[ $(tail -n 1 "$MT_OUT") == "munmap: done; the changed copy is gone with it" ]]
	mm_no_scratch
	mm_narrow
}

# Parses: first line, through read(2):, child, its own mapping:.
@test "private_file_mapping FILE: a user's file is never changed" {
	local f sum
	f=$MT_TMP/notes.txt
	cp "$MT_TOP/res/sample.txt" "$f"
	sum=$(sha256sum <"$f")
	mt_run 0 "$MM/private_file_mapping" "$f"
	[[ $(sha256sum <"$f") == "$sum" ]]
	[[ $output == *"file: $f"* ]]
	[[ $output == *"first line, after the write: \"COPIED"* ]]
	[[ $output == *"first line, through read(2): \"Mapped files"* ]]
	[[ $output == *"child, its own mapping: \"Mapped files"* ]]
	[[ $output != *"scratch"* ]]
	mm_no_scratch
}

# Parses: stderr of each failure.
@test "private_file_mapping: missing, directory, empty, unreadable: a message, exit 1, nothing changed" {
	local f
	mt_run 1 "$MM/private_file_mapping" "$MT_TMP/missing"
	[[ $stderr == "private_file_mapping: open $MT_TMP/missing: No such file or directory" ]]
	[[ ! -e $MT_TMP/missing ]]
	mt_run 1 "$MM/private_file_mapping" "$MT_TMP"
	[[ $stderr == "private_file_mapping: $MT_TMP: not a regular file: give a file with some text" ]]
	: >"$MT_TMP/empty"
	mt_run 1 "$MM/private_file_mapping" "$MT_TMP/empty"
	[[ $stderr == "private_file_mapping: mmap $MT_TMP/empty: Invalid argument (the file is empty: a mapping of length 0 is EINVAL)" ]]
	[[ ! -s $MT_TMP/empty ]]
	mm_no_scratch
	chmod 755 "$MT_TMP"
	f=$MT_TMP/secret
	echo "some words here" >"$f"
	chmod 000 "$f"
	mm_user "$MM/private_file_mapping"
	mt_run 1 "${MM_USER[@]}" "$MM/private_file_mapping" "$f"
	[[ $stderr == "private_file_mapping: open $f: Permission denied" ]]
	chmod 644 "$f"
	[[ $(cat "$f") == "some words here" ]]
}

# Parses: file: at pause 2, then the file system.
@test "private_file_mapping: SIGTERM at a pause leaves no scratch file" {
	local file
	mt_start "$MM/private_file_mapping"
	mm_goto 2
	file=$(mt_out_field file)
	[[ -e $file ]]
	kill -TERM "$MT_PID"
	mt_finish
	((MT_STATUS == 143))
	[[ ! -e $file ]]
	mm_no_scratch
}

# Parses: file: at pause 1, then the file system; the shell's exit status.
@test "file mappings: Ctrl-\\ at a pause, or output into head: no scratch left" {
	local prog file out
	# A background job starts with SIGQUIT ignored (and the programs keep
	# an ignored signal ignored): env puts it back to the default.
	env --default-signal=QUIT true ||
		skip "env --default-signal needs coreutils 8.31"
	ulimit -c 0	# SIGQUIT dumps core by default
	for prog in private_file_mapping shared_file_mapping; do
		mt_start env --default-signal=QUIT "$MM/$prog"
		mt_wait_pause 1
		file=$(mt_out_field file)
		[[ -e $file ]]
		kill -QUIT "$MT_PID"
		mt_finish
		((MT_STATUS == 131))
		[[ ! -e $file ]]
		mm_no_scratch
		# head exits after one line; at the pause's end (EOF after 1 s)
		# the next write raises SIGPIPE: in the parent (141), or first in
		# the child, and the parent says so (1).
		mt_run 0 bash -c '"$1" --step < <(sleep 1) | head -n 1
			echo "status ${PIPESTATUS[0]}"' _ "$MM/$prog"
		out=$output
		[[ $out == *"status 141" ||
			( $out == *"status 1" &&
			$stderr == *"killed by signal 13"* ) ]]
		mm_no_scratch
	done
}

@test "private_file_mapping: help, bad options, write errors, closed stdin" {
	mt_common_checks "$MM/private_file_mapping"
	mt_run 2 "$MM/private_file_mapping" a b
	mm_no_scratch
}

# --- shared_file_mapping ----------------------------------------------------------

# Parses: scratch copy..., file:, file size:, mapping:, maps:, parent|child
# writes word N at offset O:, parent|child, read(2) of word 1:, smaps after
# the edit|with the child|after msync:, child: pid, child's own maps:,
# parent|child reads word N:, msync(MS_SYNC):, after msync, read(2) of word
# 2:, after munmap, read(2) of word
# 1|3:, mmap at offset 1:, mapping past the end:, byte at offset...:,
# reading ADDR..., caught SIGBUS:; runs every try: command.
@test "shared_file_mapping: stores reach the file and the other process; msync; EINVAL; SIGBUS past the end" {
	local ps pid addr file child own len big q sample=$MT_TOP/res/sample.txt
	ps=$(mt_pagesize)
	mt_start "$MM/shared_file_mapping"
	mt_wait_pause 1
	pid=$MT_PID
	file=$(mt_out_field file)
	[[ $file == "$TMPDIR/memtour-shared."* ]]
	grep -qx "scratch copy of res/sample.txt (removed at exit)" "$MT_OUT"
	cmp "$file" "$sample"
	len=$(stat -c %s "$file")
	[[ $(mt_out_field "file size") == "$len ($len B)" ]]
	addr=$(mm_word mapping)
	[[ $(mm_perms "$pid" "$addr") == rw-s ]]
	mm_maps_check maps "$pid" "$addr" 5
	[[ $(mt_maps_line "$pid" "$addr" | awk '{ print $6 }') == "$file" ]]
	mt_try 1
	[[ $output == "${addr#0x}-"*" rw-s "*" $file" ]]

	mt_resume
	mt_wait_pause 2
	grep -qx 'parent writes word 1 at offset 0: "Mapped" -> "MAPPED"' "$MT_OUT"
	grep -qx 'parent, read(2) of word 1: "MAPPED"' "$MT_OUT"
	# The file on disk holds the store already: no write(2) was made.
	cmp "$file" <(mm_upcase_words 1 "$sample")
	mm_smaps_check "$pid" "$addr" "after the edit"
	mt_try 2
	[[ $output == MAPPED ]]

	mt_resume
	mt_wait_pause 3
	child=$(mt_out_field child)
	child=${child#pid }
	own=0x$(mt_out_field "child's own maps" | cut -d- -f1)
	grep -qx 'child, read(2) of word 1: "MAPPED"' "$MT_OUT"
	grep -qx 'child writes word 2 at offset 7: "files" -> "FILES"' "$MT_OUT"
	grep -qx 'parent reads word 2: "FILES"' "$MT_OUT"
	cmp "$file" <(mm_upcase_words 2 "$sample")
	[[ $(mm_perms "$pid" "$addr") == rw-s ]]
	[[ $(mm_perms "$child" "$own") == rw-s ]]
	mm_maps_check "child's own maps" "$child" "$own" 5
	[[ $(mt_maps_line "$child" "$own" | awk '{ print $6 }') == "$file" ]]
	# One page cache page, mapped by both: not exclusive to either.
	[[ $(mm_exclusive "$pid" "$addr") == 0 ]]
	[[ $(mm_exclusive "$child" "$own") == 0 ]]
	mm_smaps_check "$pid" "$addr" "with the child"
	[[ $(mm_smaps_printed Shared_Dirty "with the child") == $((ps / 1024)) ]]
	mt_try 3
	[[ $output == *"/proc/$pid/maps:${addr#0x}-"*" rw-s "*"$file"* ]]
	[[ $output == *"/proc/$child/maps:${own#0x}-"*" rw-s "*"$file"* ]]

	mt_resume
	mt_wait_pause 4
	grep -qx 'parent writes word 3 at offset 13: "are" -> "ARE"' "$MT_OUT"
	grep -qx 'child reads word 3: "ARE"' "$MT_OUT"
	grep -qx 'after msync, read(2) of word 2: "FILES"' "$MT_OUT"
	mm_gone "$child"
	mm_smaps_check "$pid" "$addr" "after msync"
	# msync(MS_SYNC) cleans the page, except where there is no disk.
	if [[ $(stat -f -c %T "$file") == tmpfs ]]; then
		(($(mt_smaps_kb "$pid" "$addr" Private_Dirty) > 0))
	else
		(($(mt_smaps_kb "$pid" "$addr" Private_Dirty) == 0))
	fi
	if (($(mt_smaps_kb "$pid" "$addr" Private_Dirty) == 0)); then
		grep -qx "msync(MS_SYNC): the page is on the disk, clean again" "$MT_OUT"
	else
		grep -qx "msync(MS_SYNC): the page stays dirty: this file system keeps" "$MT_OUT"
	fi
	mt_try 4
	[[ $output == *"Private_Dirty:"*" $(mt_smaps_kb "$pid" "$addr" Private_Dirty) kB"* ]]

	mt_resume
	mt_wait_pause 5
	grep -qx 'after munmap, read(2) of word 1: "MAPPED"' "$MT_OUT"
	grep -qx 'after munmap, read(2) of word 3: "ARE"' "$MT_OUT"
	mt_maps_line "$pid" "$addr" 2>/dev/null | grep -q " rw-s .*$file" && false
	grep -qx "mmap at offset 1: Invalid argument (offsets are whole pages)" "$MT_OUT"
	q=$(mm_word "mapping past the end")
	big=$(((len + ps - 1) / ps * ps + ps))
	[[ $(mt_out_field "mapping past the end") == "$q, $big ($((big / 1024)) KiB) over a $len-byte file" ]]
	[[ $(mt_maps_line "$pid" "$q" | cut -d' ' -f1) == "${q#0x}-$(printf '%x' $((q + big)))" ]]
	[[ $(mt_maps_line "$pid" "$q" | awk '{ print $2 }') == r--s ]]
	grep -qx "byte at offset $len, just past the end: 0 (the rest of the last page is zeros)" "$MT_OUT"
	mt_try 5
	[[ $output == "${q#0x}-$(printf '%x' $((q + big))) r--s "*" $file" ]]

	mt_finish
	((MT_STATUS == 0))
	q=$(mt_hex $((q + (len + ps - 1) / ps * ps)))
	grep -qx "reading $q, a page wholly past the end of the file..." "$MT_OUT"
	[[ $(tail -n 1 "$MT_OUT") == "caught SIGBUS: address $q, code BUS_ADRERR (no file behind it)" ]]
	mm_no_scratch
	mm_narrow
}

# Parses: pause 3's child: pid and child's own maps:; root reads the PFNs.
@test "shared_file_mapping: as root, both processes map one PFN" {
	local pid addr child own
	mt_start "$MM/shared_file_mapping"
	mm_goto 3
	pid=$MT_PID
	addr=$(mm_word mapping)
	child=$(mt_out_field child)
	child=${child#pid }
	own=0x$(mt_out_field "child's own maps" | cut -d- -f1)
	mm_need_pfn "$pid" "$addr"
	[[ $(mm_pfn "$pid" "$addr") == "$(mm_pfn "$child" "$own")" ]]
	mt_finish
	((MT_STATUS == 0))
	mm_no_scratch
}

# Parses: editing ... in place, the file itself.
@test "shared_file_mapping --in-place FILE: the file holds the edits after the program" {
	local f
	f=$MT_TMP/notes.txt
	printf '%s\n' "-- the quick brown fox" "jumps" >"$f"
	mm_upcase_words 3 "$f" >"$MT_TMP/expected"
	[[ $(head -n 1 "$MT_TMP/expected") == "-- THE QUICK BROWN fox" ]]
	mt_run 0 "$MM/shared_file_mapping" --in-place "$f"
	[[ ${lines[0]} == "editing $f in place: its first three words become uppercase" ]]
	cmp "$f" "$MT_TMP/expected"
	[[ $output == *'parent writes word 1 at offset 3: "the" -> "THE"'* ]]
	[[ $output == *"caught SIGBUS"* ]]
	mm_no_scratch
}

# Parses: scratch copy of FILE, the file itself.
@test "shared_file_mapping FILE: works on a copy; the file is not changed" {
	local f sum
	f=$MT_TMP/notes.txt
	cp "$MT_TOP/res/sample.txt" "$f"
	sum=$(sha256sum <"$f")
	mt_run 0 "$MM/shared_file_mapping" "$f"
	[[ ${lines[0]} == "scratch copy of $f (removed at exit)" ]]
	[[ $(sha256sum <"$f") == "$sum" ]]
	mm_no_scratch
}

# Parses: reading ADDR..., caught SIGBUS:, byte at offset ...
@test "shared_file_mapping: a file of whole pages; --no-handler lets SIGBUS kill it" {
	local f ps out q
	ps=$(mt_pagesize)
	f=$MT_TMP/pages.txt
	yes 'some words here' | head -c "$((2 * ps))" >"$f"
	mt_run 0 "$MM/shared_file_mapping" --in-place "$f"
	[[ $output != *"byte at offset"* ]]
	q=$(grep -m1 '^mapping past the end: ' <<<"$output" | awk '{ print $5 }')
	q=${q%,}
	[[ $output == *"caught SIGBUS: address $(mt_hex $((q + 2 * ps))), code BUS_ADRERR"* ]]
	cmp "$f" <(yes 'some words here' | head -c "$((2 * ps))" | mm_upcase_words 3 -)
	mt_run 135 "$MM/shared_file_mapping" --no-handler
	[[ $output != *"caught SIGBUS"* ]]
	mm_no_scratch
}

# Parses: stderr of each failure.
@test "shared_file_mapping: missing, directory, empty, unreadable, too few words: a message, exit 1, nothing changed" {
	local f opt
	for opt in "" --in-place; do
		mt_run 1 "$MM/shared_file_mapping" $opt "$MT_TMP/missing"
		[[ $stderr == "shared_file_mapping: open $MT_TMP/missing: No such file or directory" ]]
		[[ ! -e $MT_TMP/missing ]]
	done
	mt_run 1 "$MM/shared_file_mapping" "$MT_TMP"
	[[ $stderr == "shared_file_mapping: $MT_TMP: not a regular file: give a file with some text" ]]
	# open(2) itself refuses a directory for writing.
	mt_run 1 "$MM/shared_file_mapping" --in-place "$MT_TMP"
	[[ $stderr == "shared_file_mapping: open $MT_TMP: Is a directory" ]]
	: >"$MT_TMP/empty"
	mt_run 1 "$MM/shared_file_mapping" --in-place "$MT_TMP/empty"
	[[ $stderr == "shared_file_mapping: mmap $MT_TMP/empty: Invalid argument (the file is empty: a mapping of length 0 is EINVAL)" ]]
	# Without --in-place the program maps a copy (gone at the message):
	# the message names the user's file, and says a copy was mapped.
	mt_run 1 "$MM/shared_file_mapping" "$MT_TMP/empty"
	[[ $stderr == "shared_file_mapping: mmap scratch copy of $MT_TMP/empty: Invalid argument (the file is empty: a mapping of length 0 is EINVAL)" ]]
	[[ ! -s $MT_TMP/empty ]]
	echo "two words" >"$MT_TMP/short"
	mt_run 1 "$MM/shared_file_mapping" --in-place "$MT_TMP/short"
	[[ $stderr == "shared_file_mapping: $MT_TMP/short: fewer than three words to edit" ]]
	mt_run 1 "$MM/shared_file_mapping" "$MT_TMP/short"
	[[ $stderr == "shared_file_mapping: scratch copy of $MT_TMP/short: fewer than three words to edit" ]]
	[[ $(cat "$MT_TMP/short") == "two words" ]]
	mm_no_scratch
	chmod 755 "$MT_TMP"
	f=$MT_TMP/secret
	echo "some words here" >"$f"
	chmod 444 "$f"
	mm_user "$MM/shared_file_mapping"
	mt_run 1 "${MM_USER[@]}" "$MM/shared_file_mapping" --in-place "$f"
	[[ $stderr == "shared_file_mapping: open $f: Permission denied" ]]
	chmod 000 "$f"
	mt_run 1 "${MM_USER[@]}" "$MM/shared_file_mapping" "$f"
	[[ $stderr == "shared_file_mapping: open $f: Permission denied" ]]
	chmod 644 "$f"
	[[ $(cat "$f") == "some words here" ]]
	mm_no_scratch
}

# Parses: file: at pause 3, then the file system.
@test "shared_file_mapping: SIGTERM at a pause, with the child alive, leaves no scratch file" {
	local file child
	mt_start "$MM/shared_file_mapping"
	mm_goto 3
	file=$(mt_out_field file)
	child=$(mt_out_field child)
	child=${child#pid }
	[[ -e $file ]]
	kill -TERM "$MT_PID"
	mt_finish
	((MT_STATUS == 143))
	[[ ! -e $file ]]
	mm_no_scratch
	# The child sees its parent gone and ends too.
	mm_gone "$child"
}

@test "shared_file_mapping: help, bad options, write errors, closed stdin" {
	mt_common_checks "$MM/shared_file_mapping"
	mt_run 2 "$MM/shared_file_mapping" --in-place
	[[ $stderr == "shared_file_mapping: --in-place needs a FILE"* ]]
	mm_no_scratch
}
