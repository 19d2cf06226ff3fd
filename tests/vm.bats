# SPDX-License-Identifier: MIT
# tests/vm.bats - the vm/ programs against the kernel's own view: fields of
# /proc/PID/stat (minflt, majflt), status, smaps, pagemap and mem, read by
# the test while the program is paused; fincore, ps and sysfs beside them.

load helpers

PF=$MT_TOP/vm/page_faults

# The last 7 fields of the table row that starts with STEP (a name of
# several words): pages, minor, major, minflt, majflt, rss kB.
vm_row() {
	awk -v s="$1" 'index($0, s " ") == 1 && NF >= 7 {
		print $(NF-5), $(NF-4), $(NF-3), $(NF-2), $(NF-1), $NF; exit }' \
		"${2:-$MT_OUT}"
}

# Every line of the output is under 80 columns (a pause line with a PID
# of five digits: the kernel may hand out longer ones).
vm_narrow() {
	local long
	long=$(awk '/^\[pause/ { gsub(/[0-9][0-9][0-9][0-9][0-9][0-9]+/, "12345") }
		length > 79' "${1:-$MT_OUT}")
	[[ -z $long ]] || { echo "lines over 79 columns: $long" >&2; false; }
}

vm_is_root() { [[ $(id -u) == 0 ]]; }

# BYTES as "N KiB" ... for a whole number of units, as programs print it.
vm_human() {
	local b=$1 u=0 units=(B KiB MiB GiB TiB)
	while ((b >= 1024 && b % 1024 == 0 && u < 4)); do
		b=$((b / 1024))
		u=$((u + 1))
	done
	echo "$b ${units[u]}"
}

# What strerror says for ERRNO in the C library of PROG.
vm_strerror() {
	if [[ $(mt_libc "$2") == musl ]]; then
		case $1 in
		ENOMEM) echo "Out of memory" ;;
		EPERM) echo "Operation not permitted" ;;
		esac
	else
		case $1 in
		ENOMEM) echo "Cannot allocate memory" ;;
		EPERM) echo "Operation not permitted" ;;
		esac
	fi
}

# minflt majflt VmRSS of PID, as one line.
vm_counts() {
	echo "$(mt_stat_field "$1" 10) $(mt_stat_field "$1" 12)" \
		"$(mt_status_kb "$1" VmRSS)"
}

# The bytes equal to octal OCT among LEN bytes at ADDR of PID, read
# through /proc/PID/mem; fails if mem may not be read (ptrace rules).
vm_mem_count() {
	local pid=$1 addr=$(($2)) len=$3 oct=$4 ps
	ps=$(mt_pagesize)
	dd if="/proc/$pid/mem" of=/dev/null bs="$ps" skip=$((addr / ps)) \
		count=1 2>/dev/null || return 1
	dd if="/proc/$pid/mem" bs="$ps" skip=$((addr / ps)) \
		count=$((len / ps)) 2>/dev/null | tr -cd "\\$oct" | wc -c
}

# --- page_faults -------------------------------------------------------------

@test "page_faults: help, usage errors, closed descriptors" {
	mt_common_checks "$PF" -n 16
	mt_run 2 "$PF" -n 0
	[[ $stderr == "page_faults: -n: bad number '0' (1 to 65536)"* ]]
	for n in -3 12x ' 5' +5 99999999999999999999 65537; do
		mt_run 2 "$PF" -n "$n"
	done
	mt_run 2 "$PF" -n
	[[ $stderr == "page_faults: option '-n' needs an argument"* ]]
	mt_run 2 "$PF" extra
	[[ $stderr == "page_faults: unexpected argument 'extra'"* ]]
	if ((65536 > $(getconf _PHYS_PAGES) / 8)); then
		mt_run 2 "$PF" -n 65536
		[[ $stderr == *"more than 1/8 of this machine's memory"* ]]
	fi
}

# Lines: "TMPDIR ... is too long" on stderr, exit 1; no silent fallback.
@test "page_faults: a TMPDIR too long for a path is an error, said" {
	local long
	long=/tmp/$(printf '%04100d' 0)
	TMPDIR=$long mt_run 1 "$PF" -n 16
	[[ $stderr == "page_faults: TMPDIR is too long for a scratch file"* ]]
	[[ $output != *"scratch file:"* ]]
}

# Lines: the table rows, "Rss of B", "N of N pages of A read 0",
# "pages in the page cache after the drop", "F faults (M major)", the
# zero-page paragraph. Each pause: its row's minflt, majflt and rss kB
# equal /proc/PID/stat and status, and its try: command shows them.
@test "page_faults: every row and total equals /proc/PID at its pause" {
	local ps n nkb i a b r w x got fa want tmpfs=0 cached
	local -a sum seg
	local -a at
	local rows=(- - "write A" "read B" "populate C"
		"MADV_DONTNEED A" "read A again" - "read the file"
		"map, read again")
	ps=$(mt_pagesize)
	n=256
	nkb=$((n * ps / 1024))
	[[ $(stat -f -c %T "$MT_TMP") == tmpfs ]] && tmpfs=1
	TMPDIR=$MT_TMP mt_start "$PF" -n "$n"
	for i in {1..9}; do
		mt_wait_pause "$i"
		[[ $(mt_pause_line "$i") == "[pause $i] pid $MT_PID: "* ]]
		at[i]=$(vm_counts "$MT_PID")
		if [[ ${rows[i]} != - ]]; then
			read -r -a r <<<"$(vm_row "${rows[i]}")"
			[[ "${r[3]} ${r[4]} ${r[5]}" == "${at[i]}" ]] || {
				echo "pause $i: row ${r[*]}, /proc ${at[i]}" >&2
				false
			}
		fi
		mt_try "$i"
		# ps -o minflt,majflt,rss: the totals the test read itself.
		if [[ $(mt_pause_line "$i") == *"; try: ps -o minflt,majflt,rss $MT_PID" ]]; then
			read -r -a r <<<"${lines[1]}"
			[[ ${lines[0]} == *MINFL*MAJFL*RSS* &&
				"${r[*]}" == "${at[i]}" ]] || {
				echo "pause $i: ps $output, /proc ${at[i]}" >&2
				false
			}
		fi
		case $i in
		1)
			[[ $(mt_out_field "page size") == "$ps" ]]
			[[ $(mt_out_field "pages per region") == \
				"$n ($(vm_human $((n * ps))))" ]]
			a=$(mt_out_field "region A")
			b=$(mt_out_field "region B")
			# Mapped, not touched, one mapping each, THP off.
			for w in "$a" "$b"; do
				[[ $(mt_maps_line "$MT_PID" "$w") == \
"${w#0x}-$(printf %x $((w + n * ps))) rw-p "* ]]
			done
			[[ $(mt_smaps_kb "$MT_PID" "$a" Rss) == 0 ]]
			[[ $(mt_smaps_kb "$MT_PID" "$b" Rss) == 0 ]]
			[[ $output == *"Rss: "*" 0 kB"* ]]
			[[ $(mt_status_kb "$MT_PID" THP_enabled) == 0 ]]
			;;
		2)
			[[ $(mt_smaps_kb "$MT_PID" "$a" Rss) == "$nkb" ]]
			[[ $(mt_smaps_kb "$MT_PID" "$a" AnonHugePages) == 0 ]]
			;;
		3)
			got=$(mt_smaps_kb "$MT_PID" "$b" Rss)
			[[ $(mt_out_field "  Rss of B") == "$got kB" ]]
			[[ $output == *"Rss: "*" $got kB"* ]]
			w=$(mt_pagemap "$MT_PID" "$b")
			# Present; exclusive (bit 56) only if B got own pages.
			((w >> 63 & 1))
			if ((got == 0)); then
				((!(w >> 56 & 1)))
			else
				((got == nkb && (w >> 56 & 1)))
			fi
			;;
		5)
			[[ $(mt_smaps_kb "$MT_PID" "$a" Rss) == 0 ]]
			;;
		7)
			cached=$(mt_out_field "pages in the page cache after \
the drop")
			w=$(mt_out_field "scratch file")
			[[ $w == "$MT_TMP/memtour-page_faults."* ||
				$tmpfs == 1 ]]
			[[ $(mt_pause_line 7) == *"; try: fincore /proc/$MT_PID/fd/"* ]]
			[[ $(readlink "/proc/$MT_PID/fd/${output##*fd/}") == "$w" ]]
			# fincore: RES PAGES SIZE FILE
			[[ $(awk 'NR == 2 { print $2 }' <<<"$output") == \
				"${cached% of $n}" ]]
			;;
		esac
		mt_resume
	done
	mt_finish
	((MT_STATUS == 0))
	vm_narrow
	# The lesson, exact: THP is off, one fault maps one page.
	[[ $(vm_row "write A") == "$n $n 0 "* ]]
	[[ $(vm_row "write A again") == "$n 0 0 "* ]]
	[[ $(vm_row "read B") == "$n $n 0 "* ]]
	[[ $(vm_row "populate C") == "$n $n 0 "* ]]
	[[ $(vm_row "write C") == "$n 0 0 "* ]]
	[[ $(vm_row "MADV_DONTNEED A") == "0 0 0 "* ]]
	[[ $(vm_row "read A again") == "$n $n 0 "* ]]
	[[ $(vm_row "read it again") == "$n 0 0 "* ]]
	# The rows without a pause lie between the pauses around them.
	for r in "write A again:2:3" "write C:4:5" "read it again:8:9"; do
		read -r -a got <<<"$(vm_row "${r%%:*}")"
		read -r -a a <<<"${at[$(cut -d: -f2 <<<"$r")]}"
		read -r -a b <<<"${at[${r##*:}]}"
		((a[0] <= got[3] && got[3] <= b[0] && a[1] <= got[4] &&
			got[4] <= b[1]))
	done
	# Each row's own minor and major faults against the test's reads at
	# the pauses around it. A row alone between two pauses starts
	# counting as its pause returns and prints the totals of the next
	# one: it took every fault in between, exactly. Rows that share an
	# interval count only their steps: together at most its faults.
	[[ $(vm_row "mapped A and B") == "0 0 0 "* ]]
	for r in "write A|1|2" "populate C|3|4" "read A again|5|6" \
		"read the file|7|8" "write A again|read B|2|3" \
		"write C|MADV_DONTNEED A|4|5" "read it again|map, read again|8|9"
	do
		IFS='|' read -r -a seg <<<"$r"
		read -r -a a <<<"${at[seg[${#seg[@]} - 2]]}"
		read -r -a b <<<"${at[seg[${#seg[@]} - 1]]}"
		sum=(0 0)
		for ((i = 0; i < ${#seg[@]} - 2; i++)); do
			read -r -a x <<<"$(vm_row "${seg[i]}")"
			sum=($((sum[0] + x[1])) $((sum[1] + x[2])))
		done
		if ((${#seg[@]} == 3)); then
			((sum[0] == b[0] - a[0] && sum[1] == b[1] - a[1]))
		else
			((sum[0] <= b[0] - a[0] && sum[1] <= b[1] - a[1]))
		fi || {
			echo "${r%|*|*}: faults ${sum[*]}, /proc from" \
				"${a[*]} to ${b[*]}" >&2
			false
		}
	done
	# Write A, seen from the pauses: RSS grew by A's pages exactly.
	read -r -a a <<<"${at[1]}"
	read -r -a b <<<"${at[2]}"
	((b[2] - a[2] == nkb))
	# MADV_DONTNEED gave back A's pages: VmRSS fell by them.
	read -r -a a <<<"${at[4]}"
	read -r -a b <<<"${at[5]}"
	((a[2] - b[2] == nkb))
	grep -q "^  $n of $n pages of A read 0: the old bytes are gone$" \
		"$MT_OUT"
	# The zero page, or a kernel that has none: said, and why.
	if [[ $(mt_out_field "  Rss of B") == "0 kB" ]]; then
		grep -q '^  Read faults mapped the shared zero page' "$MT_OUT"
	else
		grep -q "^  This kernel gives each read fault a zeroed page" \
			"$MT_OUT"
		w=$(tr ' ' '\n' </proc/cmdline | grep -m1 zero_page) || true
		grep -q "^  of the shared zero page${w:+: $w}\.$" "$MT_OUT"
	fi
	# The file: its faults add up; a dropped cache costs a major fault.
	read -r -a r <<<"$(vm_row "read the file")"
	grep -q "^  $((r[1] + r[2])) faults (${r[2]} major) for $n pages$" \
		"$MT_OUT"
	if ((tmpfs == 0)); then
		[[ $cached == "0 of $n" ]]
		((r[2] >= 1))
	fi
	# Fault-around: from a warm page cache one minor fault maps the
	# aligned 64 KiB window around it (fault_around_bytes), clipped to
	# the mapping: n / window faults, one more when the mapping does
	# not start on a window boundary.
	fa=$(cat /sys/kernel/debug/fault_around_bytes 2>/dev/null) ||
		fa=65536
	fa=$((fa / ps > 1 ? fa / ps : 1))
	read -r -a r <<<"$(vm_row "map, read again")"
	want=$(((n + fa - 1) / fa))
	((r[2] == 0 && (r[1] == want || r[1] == want + 1)))
	grep -q "^about one fault per $fa pages" "$MT_OUT"
	# The scratch file is gone.
	[[ -z $(compgen -G "$MT_TMP/memtour-page_faults.*") ]]
}

# Lines: none; A's bytes through /proc/PID/mem at pauses 2 and 6.
@test "page_faults: A holds 0xa5 after the write, zeros after DONTNEED" {
	local n=64 ps a d
	ps=$(mt_pagesize)
	mt_start "$PF" -n "$n"
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2
	a=$(mt_out_field "region A")
	d=$(vm_mem_count "$MT_PID" "$a" $((n * ps)) 245) ||
		skip "/proc/PID/mem may not be read here (ptrace rules)"
	((d == n))
	for i in 3 4 5 6; do
		mt_resume
		mt_wait_pause "$i"
	done
	d=$(vm_mem_count "$MT_PID" "$a" $((n * ps)) 000)
	((d == n * ps))
	mt_finish
}

# Lines: "TMPDIR is tmpfs ...", "scratch file: /var/tmp/...".
@test "page_faults: TMPDIR on tmpfs: says so and uses /var/tmp" {
	[[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]] ||
		skip "/dev/shm is not tmpfs here"
	[[ -w /var/tmp && $(stat -f -c %T /var/tmp) != tmpfs ]] ||
		skip "/var/tmp is not a writable disk filesystem"
	TMPDIR=/dev/shm mt_run 0 "$PF" -n 64
	[[ $output == *"/dev/shm is tmpfs: its page cache is the file"* ]]
	[[ $output == *"scratch file: /var/tmp/memtour-page_faults."* ]]
	[[ $output == *"after the drop: 0 of 64"* ]]
}

# Lines: "pages in the page cache after the drop", the file row, the
# "could not be dropped" note.
@test "page_faults: no disk filesystem: no major fault, explained" {
	vm_is_root || skip "needs root to mount a tmpfs on /var/tmp"
	mt_run '*' unshare -m sh -c 'mount -t tmpfs none /var/tmp &&
		TMPDIR=/dev/shm exec "$1" -n 64' sh "$PF"
	[[ $status == 0 ]] || skip "no private mount namespace here: $stderr"
	[[ $output == *"after the drop: 64 of 64"* ]]
	[[ $output == *"could not be dropped (tmpfs?): no fault read"* ]]
	[[ $(vm_row "read the file" <(echo "$output")) == "64 "*" 0 "*  ]]
}

# Lines: the file rows. With stdin closed, fd 0 must not become the
# scratch file (a pause would read it as input and fill the page cache).
@test "page_faults --step <&-: the pauses do not read the scratch file" {
	[[ $(stat -f -c %T "$MT_TMP") != tmpfs ]] || skip "TMPDIR is tmpfs"
	TMPDIR=$MT_TMP mt_run 0 bash -c '"$0" --step -n 64 <&-' "$PF"
	[[ $output == *"after the drop: 0 of 64"* ]]
	read -r -a r <<<"$(vm_row "read the file" <(echo "$output"))"
	((r[2] >= 1))
}

# --- thp ---------------------------------------------------------------------

THP=/sys/kernel/mm/transparent_hugepage
TP=$MT_TOP/vm/thp

# The [selected] word of a sysfs mode file; empty if there is none.
vm_sysfs_mode() {
	sed -n 's/.*\[\([^]]*\)\].*/\1/p' "$1" 2>/dev/null
}

# The whole smaps line FIELD (VmFlags...) of the mapping of PID at ADDR.
vm_smaps_line() {
	local range
	range=$(mt_maps_line "$1" "$2") || return 1
	awk -v r="${range%% *}" -v f="$3:" '
		$1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { inside = ($1 == r); next }
		inside && $1 == f { print; exit }' "/proc/$1/smaps"
}

vm_vmstat() {
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' \
		/proc/vmstat
}

@test "thp: help, usage errors, sizes that cannot wrap" {
	local s
	mt_common_checks "$TP" -s 2M
	for s in 0 -1 +4M 12X 4MB '' ' 4M' 0x10 99999999999999999999 \
		18446744073709551615 18446744073709551615G 2T; do
		mt_run 2 "$TP" -s "$s"
		[[ $stderr == "thp: -s: bad size '$s' (1 to 1099511627776"* ]] ||
			false
	done
	mt_run 2 "$TP" -s 1T
	[[ $stderr == "thp: -s: 1099511627776 bytes is more than 32 huge"* ]]
	mt_run 2 "$TP" -s
	[[ $stderr == "thp: option '-s' needs an argument"* ]]
	mt_run 2 "$TP" extra
}

# Lines: page size, huge page size, THP mode, defrag, region size, both
# regions' address, chunk table, faults, Rss, AnonHugePages and the
# "no huge page here" reason; the MAP_HUGETLB lines.
@test "thp: faults, Rss and AnonHugePages agree with the kernel" {
	local ps hp top pmd mode size a n f0 f1 f2 f3 fb0 fb1 w rows nr free c x
	local -a reg next
	ps=$(mt_pagesize)
	[[ -r $THP/hpage_pmd_size ]] || skip "no THP in this kernel"
	hp=$(<"$THP/hpage_pmd_size")
	top=$(vm_sysfs_mode "$THP/enabled")
	pmd=$(vm_sysfs_mode "$THP/hugepages-$((hp / 1024))kB/enabled")
	mode=$top
	[[ -z $pmd || $pmd == inherit ]] || mode=$pmd
	size=$((4 * hp))
	mt_start "$TP"
	mt_wait_pause 1
	mt_try 1
	a=$(mt_out_field "MADV_HUGEPAGE region")
	reg[1]=$a
	# Its own mapping, aligned, marked hg, nothing in it yet.
	[[ $(mt_maps_line "$MT_PID" "$a") == \
		"${a#0x}-$(printf %x $((a + size))) rw-p "* ]]
	((a % hp == 0))
	vm_smaps_line "$MT_PID" "$a" VmFlags | grep -qw hg
	[[ $(mt_smaps_kb "$MT_PID" "$a" Rss) == 0 ]]
	[[ $output == *"VmFlags:"*" hg"* ]]
	f0=$(mt_stat_field "$MT_PID" 10)
	fb0=$(vm_vmstat thp_fault_fallback)
	mt_resume
	mt_wait_pause 2
	mt_try 2
	f1=$(mt_stat_field "$MT_PID" 10)
	fb1=$(vm_vmstat thp_fault_fallback)
	n=$(mt_smaps_kb "$MT_PID" "$a" AnonHugePages)
	[[ $(mt_out_field Rss) == "$size ($(vm_human $size))" ]]
	[[ $(mt_smaps_kb "$MT_PID" "$a" Rss) == $((size / 1024)) ]]
	[[ $(mt_out_field AnonHugePages) == "$((n * 1024)) ($(vm_human \
$((n * 1024)))): $((n * 1024 / hp)) of 4 huge pages" ]]
	[[ $output == *"AnonHugePages:"*" $n kB"* ]]
	[[ $(mt_out_field faults) == \
		"$((f1 - f0)) for $((size / ps)) small pages" ]] || {
		echo "faults: $(mt_out_field faults), /proc $((f1 - f0))" >&2
		false
	}
	mt_resume
	mt_wait_pause 3
	mt_try 3
	f2=$(mt_stat_field "$MT_PID" 10)
	a=$(mt_out_field "MADV_NOHUGEPAGE region")
	reg[2]=$a
	[[ $(mt_maps_line "$MT_PID" "$a") == \
		"${a#0x}-$(printf %x $((a + size))) rw-p "* ]]
	((a % hp == 0))
	vm_smaps_line "$MT_PID" "$a" VmFlags | grep -qw nh
	[[ $(mt_smaps_kb "$MT_PID" "$a" AnonHugePages) == 0 ]]
	[[ $(mt_smaps_kb "$MT_PID" "$a" Rss) == $((size / 1024)) ]]
	[[ $output == *"Rss:"*" $((size / 1024)) kB"* ]]
	mt_resume
	mt_wait_pause 4
	f3=$(mt_stat_field "$MT_PID" 10)
	nr=$(awk '$1 == "HugePages_Total:" { print $2 }' /proc/meminfo)
	free=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
	# The pool is vm.nr_hugepages, and surplus pages if any.
	(($(</proc/sys/vm/nr_hugepages) + $(awk '$1 == "HugePages_Surp:" {
		print $2 }' /proc/meminfo) == nr))
	mt_try 4
	if grep -q '^hugetlb region: ' "$MT_OUT"; then
		a=$(mt_out_field "hugetlb region")
		w=$(mt_smaps_kb "$MT_PID" "$a" KernelPageSize)
		[[ $(sed -n 's/^KernelPageSize: //p' "$MT_OUT") == "$w kB" ]]
		[[ $output == *"KernelPageSize:"*" $w kB"* ]]
		w=$(mt_smaps_kb "$MT_PID" "$a" Private_Hugetlb)
		[[ $(mt_out_field Private_Hugetlb) == "$w kB (not in Rss)" ]]
		[[ $output == *"Private_Hugetlb:"*" $w kB"* ]]
		[[ $(sed -n 's/^faults: \(.*\) for .*/\1/p' "$MT_OUT" |
			tail -1) == $((f3 - f2)) && $((f3 - f2)) == 1 ]]
		nr=$((nr)) free=$((free + 1))
	else
		[[ $output == *"HugePages_Total:"*" $nr"* ]]
		grep -q "^  mmap of [0-9]* ([0-9]* MiB): $(vm_strerror ENOMEM "$TP")$" \
			"$MT_OUT"
		grep -q 'echo 4 > /proc/sys/vm/nr_hugepages$' "$MT_OUT"
	fi
	[[ $(mt_out_field "MAP_HUGETLB") == \
		"pool of $nr pages, $free free (vm.nr_hugepages)" ]]
	mt_finish
	((MT_STATUS == 0))
	vm_narrow

	[[ $(mt_out_field "page size") == "$ps" ]]
	[[ $(mt_out_field "huge page size") == "$hp ($(vm_human "$hp"))" ]]
	[[ $(mt_out_field "THP mode") == \
		"$mode (enabled: $top, $((hp / 1024)) kB size: ${pmd:-no switch})" ]]
	[[ $(mt_out_field defrag) == \
		"$(vm_sysfs_mode "$THP/defrag") (with no free huge block"* ]]
	[[ $(mt_out_field "region size") == "$size ($(vm_human $size))" ]]
	# The chunk rows add up to the faults, one table per region.
	rows=$(awk '/^chunk/ { t++ } t && $2 ~ /^0x/ { s[t] += $3 }
		END { print s[1] + 0, s[2] + 0 }' "$MT_OUT")
	[[ $rows == "$((f1 - f0)) $((size / ps))" ]]
	# Rows "C  ADDR  FAULTS ...": C counts from 0, and ADDR is the
	# region's start (its maps line, above) plus C huge pages: aligned,
	# consecutive, every chunk inside the mapping.
	rows=$(awk '/^chunk/ { t++ } t && $2 ~ /^0x/ { print t, $1, $2 }' \
		"$MT_OUT")
	next=(0 0 0)
	while read -r w c x; do
		[[ $(mt_hex "$x") == "$x" ]] && ((c == next[w] &&
			x == reg[w] + c * hp && x % hp == 0 &&
			c < size / hp)) || {
			echo "table $w: chunk $c at $x, region ${reg[w]}" >&2
			false
		}
		next[w]=$((c + 1))
	done <<<"$rows"
	((next[1] == size / hp && next[2] == size / hp))
	# The MADV_NOHUGEPAGE region: a fault a small page, exactly.
	[[ $(sed -n 's/^faults: //p' "$MT_OUT" | sed -n 2p) == \
		"$((size / ps)) for $((size / ps)) small pages" ]]
	((f2 - f1 >= size / ps))
	# The MADV_HUGEPAGE region got huge pages where the mode allows,
	# one fault each, unless the kernel found no free huge block
	# (thp_fault_fallback grew) and said so.
	if [[ $mode == never ]]; then
		((n == 0))
		grep -q '^no huge page here: the mode is never$' "$MT_OUT"
		grep -q "^  as root: echo madvise > $THP/" "$MT_OUT"
	elif ((n * 1024 == size)); then
		((f1 - f0 == 4))
		[[ $(grep -c ' 1  one huge page$' "$MT_OUT") == 4 ]]
		grep -q '^no huge page here' "$MT_OUT" && false
	else
		((fb1 > fb0))
		grep -q '^no huge page here: no free 2 MiB block' "$MT_OUT"
	fi
	case $mode in
	always) grep -q '^  always: every anonymous region' "$MT_OUT" ;;
	madvise) grep -q '^  madvise: only regions marked' "$MT_OUT" ;;
	never) grep -q '^  never: no region gets huge pages' "$MT_OUT" ;;
	esac
}

# Lines: "MAP_HUGETLB: pool of N pages, M free". A first thp holds one
# pool page at its pause 4, so that the pool's total and free differ; a
# second run reads them, between two reads of /proc/meminfo by the test.
@test "thp: MAP_HUGETLB's pool figures equal /proc/meminfo" {
	local nr total free t2 f2 got try i
	nr=$(</proc/sys/vm/nr_hugepages)
	free=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
	got="needs 2 free pages in the hugetlb pool (vm.nr_hugepages is $nr,"
	((nr >= 2 && free >= 2)) ||
		skip "$got $free free; CI's hugetlb run reserves 4)"
	mt_start "$TP" -s 1
	for i in 1 2 3; do
		mt_wait_pause "$i"
		mt_resume
	done
	mt_wait_pause 4
	grep -q '^hugetlb region: ' "$MT_OUT"
	for try in 1 2 3 4 5; do
		read -r total free < <(awk '$1 == "HugePages_Total:" { t = $2 }
			$1 == "HugePages_Free:" { f = $2 }
			END { print t, f }' /proc/meminfo)
		mt_run 0 "$TP" -s 1
		got=$(mt_out_field MAP_HUGETLB <(echo "$output"))
		read -r t2 f2 < <(awk '$1 == "HugePages_Total:" { t = $2 }
			$1 == "HugePages_Free:" { f = $2 }
			END { print t, f }' /proc/meminfo)
		# Another process took or gave back a pool page: again.
		[[ "$total $free" == "$t2 $f2" ]] && break
	done
	((total > free))
	[[ $got == "pool of $total pages, $free free (vm.nr_hugepages)" ]]
	mt_finish
	((MT_STATUS == 0))
}

# Lines: "region size" after -s rounds up to whole huge pages.
@test "thp: -s rounds up to whole huge pages" {
	local hp
	[[ -r $THP/hpage_pmd_size ]] || skip "no THP in this kernel"
	hp=$(<"$THP/hpage_pmd_size")
	mt_run 0 "$TP" -s $((hp + 1))
	[[ $(mt_out_field "region size" <(echo "$output")) == \
		"$((2 * hp)) ($(vm_human $((2 * hp))))" ]]
	[[ $(grep -c '^    1  0x' <<<"$output") == 2 ]]
}

# --- mlock -------------------------------------------------------------------

ML=$MT_TOP/vm/mlock

# Bit 14 (CAP_IPC_LOCK) of CapEff in /proc/PID/status: 1 or 0.
vm_cap_ipc_lock() {
	local hex
	hex=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$1/status")
	echo $(((16#$hex >> 14) & 1))
}

# The sum of Size (kB) of PID's mappings whose VmFlags have (WANT=1) or
# have not (WANT=0) "lo"; with NAMES=1 the names of those instead.
vm_lo_sum() {
	awk -v want="$2" -v names="${3:-0}" '
		/^[0-9a-f]+-[0-9a-f]+ / { name = $6 }
		$1 == "Size:" { s = $2 }
		$1 == "VmFlags:" {
			lo = / lo( |$)/ ? 1 : 0
			if (lo == want) { t += s; n = n " " name }
		}
		END { print names ? n : t + 0 }' "/proc/$1/smaps"
}

# "  VmLck: V kB, Locked: L kB, Rss: R kB" for PID and region ADDR, as
# read from /proc by the test.
vm_show() {
	echo "  VmLck: $(mt_status_kb "$1" VmLck) kB, Locked:" \
		"$(mt_smaps_kb "$1" "$2" Locked) kB, Rss:" \
		"$(mt_smaps_kb "$1" "$2" Rss) kB"
}

# Step through mlock run as "$@"; check every figure at its pause.
# Sets VM_LIM (soft limit, bytes or unlimited), VM_HARD (the hard one)
# and VM_CAP (0 or 1).
vm_check_mlock() {
	local ps a f child lim len n=1 want
	ps=$(mt_pagesize)
	mt_start "$@"
	mt_wait_pause 1
	VM_CAP=$(vm_cap_ipc_lock "$MT_PID")
	lim=$(awk '/^Max locked memory/ { print $4 }' "/proc/$MT_PID/limits")
	VM_LIM=$lim
	VM_HARD=$(awk '/^Max locked memory/ { print $5 }' \
		"/proc/$MT_PID/limits")
	[[ $(mt_out_field "page size") == "$ps" ]]
	if [[ $lim == unlimited ]]; then
		[[ $(mt_out_field RLIMIT_MEMLOCK) == unlimited ]]
	else
		[[ $(mt_out_field RLIMIT_MEMLOCK) == "$lim ($(vm_human "$lim"))" ]]
	fi
	if ((VM_CAP)); then
		[[ $(mt_out_field CAP_IPC_LOCK) == "yes: the limit"* ]]
	else
		[[ $(mt_out_field CAP_IPC_LOCK) == "no: this process"* ]]
	fi
	a=$(mt_out_field "region A")
	a=${a%%,*}
	[[ $(mt_out_field "region A") == "$a, $((16 * ps)) ($(vm_human \
$((16 * ps))))" ]]
	[[ $(mt_maps_line "$MT_PID" "$a") == \
		"${a#0x}-$(printf %x $((a + 16 * ps))) rw-p "* ]]
	# mlock(A): locked and in RAM, or refused (the limit is smaller).
	if grep -q '^mlock(A): ok' "$MT_OUT"; then
		[[ $(vm_show "$MT_PID" "$a") == \
			"  VmLck: $((16 * ps / 1024)) kB, Locked:"\
" $((16 * ps / 1024)) kB, Rss: $((16 * ps / 1024)) kB" ]]
		[[ $(sed -n '/^mlock(A)/{n;p}' "$MT_OUT") == \
			"$(vm_show "$MT_PID" "$a")" ]]
		vm_smaps_line "$MT_PID" "$a" VmFlags | grep -qw lo
		mt_try 1
		[[ $output == *"Locked:"*" $((16 * ps / 1024)) kB"*"VmFlags:"*" lo"* ]]
		mt_resume
		n=2
		mt_wait_pause 2
	else
		[[ $lim != unlimited ]]
		((!VM_CAP && lim < 16 * ps))
		[[ $(mt_out_field "mlock(A)") == \
			"$(vm_strerror "$( ((lim == 0)) && echo EPERM ||
			echo ENOMEM)" "$ML"): A does not fit in RLIMIT_MEMLOCK" ]]
	fi
	# munlock(A)
	[[ $(sed -n '/^munlock(A)/{n;p}' "$MT_OUT") == \
		"$(vm_show "$MT_PID" "$a")" ]]
	[[ $(vm_show "$MT_PID" "$a") == "  VmLck: 0 kB, Locked: 0 kB, "* ]]
	mt_try "$n"
	[[ $output == *"Locked:"*" 0 kB"* && $output != *"VmFlags:"*" lo"* ]]
	mt_resume
	# The child, past the limit, without CAP_IPC_LOCK.
	if [[ $lim == unlimited ]] || ((lim > 64 << 20)); then
		grep -q "^  RLIMIT_MEMLOCK is \(unlimited\|large\): too much" \
			"$MT_OUT"
	else
		mt_wait_pause 1 10 '[0-9]*[^0-9]*'
		child=$(sed -n 's/^  child \([0-9]*\).*/\1/p' "$MT_OUT")
		[[ $(mt_pause_line 1 "$child") == *"/proc/$child/status" ]]
		[[ $(awk '{ print $4 }' "/proc/$child/stat") == "$MT_PID" ]]
		(($(vm_cap_ipc_lock "$child") == 0))
		[[ $(mt_status_kb "$child" VmLck) == 0 ]]
		if ((VM_CAP)); then
			grep -q "^  child $child (it dropped it with capset)," \
				"$MT_OUT"
		else
			grep -q "^  child $child, no CAP_IPC_LOCK$" "$MT_OUT"
		fi
		len=$(((lim / ps + 1) * ps))
		if ((lim == 0)); then
			grep -q "^  mlock of $len ($(vm_human $len)):"\
" $(vm_strerror EPERM "$ML")$" "$MT_OUT"
			grep -q "^  RLIMIT_MEMLOCK is $lim: without" "$MT_OUT"
		else
			grep -q "^  mlock of $len (.*), one page over the"\
" limit: $(vm_strerror ENOMEM "$ML")$" "$MT_OUT"
		fi
		vm_try_pause 1 "*VmLck:*0 kB*CapEff:*" "$child"
		mt_resume
	fi
	# mlockall
	n=$((n + 1))
	mt_wait_pause "$n" 10 "$MT_PID"
	want="$(mt_status_kb "$MT_PID" VmLck) kB of VmSize"
	want+=" $(mt_status_kb "$MT_PID" VmSize) kB"
	if grep -q '^mlockall(MCL_CURRENT | MCL_FUTURE): ok$' "$MT_OUT"; then
		# VmLck is every mapping marked "lo"; the others, named as
		# the test's own read of smaps names them, are the kernel's
		# special mappings only.
		[[ $(vm_lo_sum "$MT_PID" 1) == $(mt_status_kb "$MT_PID" VmLck) ]]
		f=$(vm_lo_sum "$MT_PID" 0 1)
		[[ $f =~ ^(\ \[(vdso|vvar|vvar_vclock|vsyscall)\])+$ ]]
		[[ $(sed -n '/^mlockall/{n;p;n;p}' "$MT_OUT") == \
			"  VmLck: $want: every mapping is locked but"$'\n'\
"  ${f# }, which cannot be locked" ]]
		vm_try_pause "$n" "*VmLck:*$(mt_status_kb "$MT_PID" VmLck) kB*"
		mt_resume
		n=$((n + 1))
		mt_wait_pause "$n" 10 "$MT_PID"
		f=$(mt_out_field "region F")
		f=${f%%,*}
		[[ $(sed -n '/^region F/{n;p}' "$MT_OUT") == \
			"$(vm_show "$MT_PID" "$f")" ]]
		[[ $(vm_show "$MT_PID" "$f") == *"Locked: $((16 * ps / 1024))"\
" kB, Rss: $((16 * ps / 1024)) kB" ]]
		vm_try_pause "$n" "*Locked:*$((16 * ps / 1024)) kB*VmFlags:* lo*"
		mt_resume
		n=$((n + 1))
		mt_wait_pause "$n" 10 "$MT_PID"
		[[ $(sed -n '/^munlockall/{n;p}' "$MT_OUT") == \
			"$(vm_show "$MT_PID" "$f")" ]]
		[[ $(mt_status_kb "$MT_PID" VmLck) == 0 ]]
		vm_try_pause "$n" "*VmLck:*0 kB*"
	else
		[[ $lim != unlimited ]]
		((!VM_CAP))
		# mlockall(2): EPERM when the limit is 0, else ENOMEM.
		[[ $(mt_out_field "mlockall(MCL_CURRENT | MCL_FUTURE)") == \
			"$(vm_strerror "$( ((lim == 0)) && echo EPERM ||
			echo ENOMEM)" "$ML")" ]]
		grep -q "^  every mapping counts against the limit, and VmSize"\
" is $(mt_status_kb "$MT_PID" VmSize) kB$" "$MT_OUT"
		(($(mt_status_kb "$MT_PID" VmSize) * 1024 > lim))
		vm_try_pause "$n" "*VmLck:*0 kB*"
	fi
	mt_finish
	((MT_STATUS == 0))
	vm_narrow
}

# Run the try: command of [pause N] of the program (or of PID); its output
# matches GLOB.
vm_try_pause() {
	local line cmd
	line=$(mt_pause_line "$1" "${3:-$MT_PID}")
	cmd=${line#*; try: }
	mt_run 0 bash -c "$cmd"
	# shellcheck disable=SC2053
	[[ $output == $2 ]] || { echo "[pause $1]: $output" >&2; false; }
}

@test "mlock: help, usage errors, closed descriptors" {
	mt_common_checks "$ML" -n 4
	mt_run 2 "$ML" -n 0
	[[ $stderr == "mlock: -n: bad number '0' (1 to 65536)"* ]]
	mt_run 2 "$ML" -n abc
	mt_run 2 "$ML" --pages
	[[ $stderr == "mlock: option '--pages' needs an argument"* ]]
	mt_run 2 "$ML" too many
}

# Lines: RLIMIT_MEMLOCK, CAP_IPC_LOCK, region A, mlock(A), munlock(A),
# the VmLck/Locked/Rss lines, the child's lines, mlockall, region F.
@test "mlock: VmLck, Locked and lo follow mlock, munlock, mlockall" {
	vm_check_mlock "$ML"
}

@test "mlock: a limit of 64 KiB: refused past it, even as root" {
	vm_check_mlock bash -c 'ulimit -l 64 && exec "$0"' "$ML"
	[[ $VM_LIM == 65536 ]]
	((VM_CAP)) || grep -q '^mlockall(MCL_CURRENT | MCL_FUTURE): [^o]' \
		"$MT_OUT"
}

# The limit that counts is the soft one (rlim_cur): a soft limit below
# the hard one, from /proc/PID/limits.
@test "mlock: a soft limit below the hard one: the soft one is printed" {
	vm_check_mlock bash -c 'ulimit -S -l 64 && exec "$0"' "$ML"
	[[ $VM_LIM == 65536 ]]
	[[ $VM_HARD != "$VM_LIM" ]] ||
		skip "the hard limit is 64 KiB too: soft and hard agree"
}

@test "mlock: a limit of 0: EPERM, explained" {
	vm_check_mlock bash -c 'ulimit -l 0 && exec "$0"' "$ML"
	[[ $VM_LIM == 0 ]]
}

@test "mlock: no limit: nothing to go past, said" {
	bash -c 'ulimit -l unlimited' 2>/dev/null ||
		skip "the hard limit cannot be raised here (CAP_SYS_RESOURCE)"
	vm_check_mlock bash -c 'ulimit -l unlimited && exec "$0"' "$ML"
	[[ $VM_LIM == unlimited ]]
}

# --- smaps_dirty -------------------------------------------------------------

SD=$MT_TOP/vm/smaps_dirty

# The table row "WHO NAME V1 V2 ..." of the mapping of PID at ADDR, from
# the test's own read of smaps: V1 V2 ... are the smaps fields FIELDS (a
# list), in that order.
vm_sd_row() {
	local range
	range=$(mt_maps_line "$1" "$2") || return 1
	awk -v r="${range%% *}" -v who="$3" -v name="$4" -v f="$5" '
		$1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { inside = ($1 == r); next }
		inside { v[substr($1, 1, length($1) - 1)] = $2 }
		END {
			n = split(f, w, " ")
			line = who " " name
			for (i = 1; i <= n; i++) line = line " " v[w[i]]
			print line
		}' "/proc/$1/smaps"
}

# The rows under "stage N:" in $MT_OUT, blanks squeezed.
vm_sd_stage() {
	awk -v n="stage $1:" 'index($0, n) == 1 { on = 1; next }
		on && /^(parent|child) / { $1 = $1; print; next }
		on && NF == 0 { exit }' "$MT_OUT"
}

# The column headings of stage N's table after "who mapping (kB)": the
# smaps field each column shows, as the student reads them.
vm_sd_fields() {
	awk -v n="stage $1:" 'index($0, n) == 1 { on = 1; next }
		on && $1 == "who" && $2 == "mapping" && $3 == "(kB)" {
			$1 = $2 = $3 = ""; $0 = $0; $1 = $1; print; exit }
		on && NF == 0 { exit }' "$MT_OUT"
}

# 1 if stage N says the shared-file pages were written back, else 0.
vm_sd_note() {
	awk -v n="stage $1:" 'index($0, n) == 1 { on = 1; next }
		on && $0 == "  shared-file was written back to the file" \
			" (a sync, or ~30 s): Clean now" { f = 1 }
		on && NF == 0 { exit }
		END { print f + 0 }' "$MT_OUT"
}

# Stage N against smaps read now (the program waits at its pause N):
# every row, its columns taken by their headings; and the written-back
# note there exactly when the parent's shared-file row, in smaps, is in
# RAM with no Dirty page. CHILD: the child's PID, from stage 2 on.
vm_sd_check_stage() {
	local n=$1 child=$2 fields who pid m addr want r
	local names=(private-anon shared-anon private-file shared-file)
	fields=$(vm_sd_fields "$n")
	[[ $(tr ' ' '\n' <<<"$fields" | sort | xargs) == \
		"Anonymous Private_Dirty Pss Rss Shared_Dirty" ]]
	want=
	for who in parent child; do
		pid=$MT_PID
		if [[ $who == child ]]; then
			((n > 1)) || continue
			pid=$child
		fi
		for m in "${names[@]}"; do
			addr=$(mt_out_field "$m")
			want+=$(vm_sd_row "$pid" "$addr" "$who" "$m" \
				"$fields")$'\n'
		done
	done
	[[ $(vm_sd_stage "$n") == "${want%$'\n'}" ]] || {
		echo "stage $n:"; vm_sd_stage "$n"
		echo "smaps:"; echo "$want"; false; } >&2
	r=$(vm_sd_row "$MT_PID" "$(mt_out_field shared-file)" - - \
		"Rss Shared_Dirty Private_Dirty")
	read -r -a r <<<"$r"
	[[ $(vm_sd_note "$n") == $((r[2] > 0 && r[3] + r[4] == 0)) ]] || {
		echo "stage $n: note $(vm_sd_note "$n"), smaps ${r[*]}" >&2
		false
	}
}

@test "smaps_dirty: help, usage errors, closed descriptors" {
	mt_common_checks "$SD"
	mt_run 2 "$SD" extra
	[[ $stderr == "smaps_dirty: unexpected argument 'extra'"* ]]
}

# Lines: page size, mapping size, the four addresses, scratch file,
# parent, child, and every row of stages 1 to 4.
@test "smaps_dirty: every row of every stage equals smaps at its pause" {
	local ps n m who pid addr want child kb
	local names=(private-anon shared-anon private-file shared-file)
	ps=$(mt_pagesize)
	kb=$((2 * ps / 1024))
	TMPDIR=$MT_TMP mt_start "$SD"
	for n in 1 2 3 4; do
		mt_wait_pause "$n" 10 "$MT_PID"
		((n == 1)) || child=$(mt_out_field child)
		vm_sd_check_stage "$n" "$child"
		mt_try "$n"
		case $n in
		1 | 4)	[[ $output == *"Private_Dirty:"*" $kb kB"* ]] ;;
		2)	[[ $output == *"Shared_Dirty:"*" $kb kB"* ]] ;;
		3)	[[ $output == *"Shared_Dirty:"*" $kb kB"* &&
			$(mt_pause_line 3) == *"/proc/$child/smaps" ]] ;;
		esac
		if ((n == 1)); then
			for m in "${names[@]}"; do
				addr=$(mt_out_field "$m")
				# Its own mapping, two pages long.
				[[ $(mt_maps_line "$MT_PID" "$addr") == \
"${addr#0x}-$(printf %x $((addr + 2 * ps))) "* ]]
			done
			grep -q " $(mt_out_field "scratch file")$" \
				"/proc/$MT_PID/maps"
		else
			[[ $(awk '{ print $4 }' "/proc/$child/stat") == \
				"$MT_PID" ]]
		fi
		mt_resume
	done
	[[ $(mt_out_field parent) == "$MT_PID" ]]
	mt_finish
	((MT_STATUS == 0))
	vm_narrow
	[[ $(mt_out_field "page size") == "$ps" ]]
	[[ $(mt_out_field "mapping size") == "$((2 * ps)) ($(vm_human \
$((2 * ps))))" ]]
	# The lesson, in the test's own words: private pages shared after
	# fork, shared ones only once the child touched them, private again
	# after copy-on-write.
	[[ $(vm_sd_stage 1) == *"parent private-anon $kb $kb 0 $kb $kb"* ]]
	[[ $(vm_sd_stage 2) == *"parent private-anon $kb $((kb / 2)) $kb 0"* ]]
	# shared-file, unless written back meanwhile (the note says so).
	if (($(vm_sd_note 2) == 0)); then
		[[ $(vm_sd_stage 2) == *"parent shared-file $kb $kb 0 $kb 0"* ]]
	fi
	want="child shared-file $kb $((kb / 2)) $kb 0 0"
	if (($(vm_sd_note 3) == 0)); then
		[[ $(vm_sd_stage 3) == *"$want"* ]]
	fi
	[[ $(vm_sd_stage 4) == *"parent private-file $kb $kb 0 $kb $kb"* ]]
	# The child is gone, and the scratch file too.
	kill -0 "$child" 2>/dev/null && false
	[[ -z $(compgen -G "$MT_TMP/memtour-smaps_dirty.*") ]]
}

# Lines: every row of stages 1 and 2, "shared-file was written back".
# A sync of the scratch file at pause 1 (what waiting 30 s there does)
# makes the shared-file pages Clean: stage 2 says so.
@test "smaps_dirty: written back at pause 1: stage 2 says so" {
	local ps kb child
	[[ $(stat -f -c %T "$MT_TMP") != tmpfs ]] ||
		skip "TMPDIR is tmpfs: its pages are never written back"
	ps=$(mt_pagesize)
	kb=$((2 * ps / 1024))
	TMPDIR=$MT_TMP mt_start "$SD"
	mt_wait_pause 1
	vm_sd_check_stage 1
	sync "$(mt_out_field "scratch file")"
	mt_resume
	mt_wait_pause 2 10 "$MT_PID"
	child=$(mt_out_field child)
	vm_sd_check_stage 2 "$child"
	[[ $(vm_sd_note 2) == 1 ]]
	[[ $(vm_sd_stage 2) == *"parent shared-file $kb $kb 0 0 0"* ]]
	mt_finish
	((MT_STATUS == 0))
	vm_narrow
}

# Lines: child. PR_SET_PDEATHSIG: the child dies with its parent.
@test "smaps_dirty: the child dies with its parent" {
	local child i state=
	mt_start "$SD"
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2
	child=$(mt_out_field child)
	kill -0 "$child"
	kill -9 "$MT_PID"
	for ((i = 0; i < 100; i++)); do
		state=$(awk '{ print $3 }' "/proc/$child/stat" 2>/dev/null) ||
			break
		[[ $state == Z ]] && break
		sleep 0.02
	done
	[[ -z $state || $state == Z ]]
}

# --- memstat -----------------------------------------------------------------

MS=$MT_TOP/vm/memstat

# Never leave a target behind, even when a test fails half-way.
teardown() {
	local p
	mt_cleanup
	for p in ${VM_KILL:-}; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	true
}

# "LABEL: BYTES (HUMAN)NOTE" in $MT_OUT for KB kilobytes.
vm_total() {
	[[ $(mt_out_field "$1") == "$(($2 * 1024)) ($(vm_human_any \
$(($2 * 1024))))$3" ]] || {
		echo "$1: $(mt_out_field "$1"), want $2 kB" >&2
		false
	}
}

# BYTES as mt_human prints them: "512 B", "64 KiB", "1.6 MiB".
vm_human_any() {
	awk -v b="$1" 'BEGIN {
		split("B KiB MiB GiB TiB", u, " ")
		for (i = 1; b >= 1024 ^ i && i < 5; i++) ;
		v = b / 1024 ^ (i - 1)
		if (b % (1024 ^ (i - 1)) == 0) printf "%d %s\n", v, u[i]
		else printf "%.1f %s\n", v, u[i]
	}'
}

# A no-fork sleep: read with a timeout on a FIFO nobody writes to.
vm_sleep_fd() {
	mkfifo "$MT_TMP/vm.sleep"
	exec {VM_SLEEP_FD}<>"$MT_TMP/vm.sleep"
}

# Wait for "[pause N]" without starting any process (no grep, no sleep):
# while memstat's figures are compared nothing should map or unmap pages.
vm_wait_pause_nofork() {
	local n=$1 line i
	for ((i = 0; i < 500; i++)); do
		if [[ -e $MT_OUT ]]; then
			while IFS= read -r line; do
				[[ $line == "[pause $n]"* ]] && return 0
			done <"$MT_OUT"
		fi
		read -r -t 0.01 -u "$VM_SLEEP_FD" || true
	done
	echo "no [pause $n]" >&2
	mt_dump >&2
	return 1
}

# The smaps_rollup Rss, Pss, Swap, SwapPss and USS (Private_Clean +
# Private_Dirty) of PID, the sum of the per-mapping Pss and the mapping
# count in smaps, into VM_RSS VM_PSS VM_SWAP VM_SWAPPSS VM_USS VM_SUMPSS
# VM_NMAPS; and, in file $2 (if given), one line per mapping as memstat
# prints its row: address, the 8 columns, the name.
vm_read_pss() {
	read -r VM_RSS VM_PSS VM_SWAP VM_SWAPPSS VM_USS VM_SUMPSS VM_NMAPS < <(
		awk -v rows="${2:-/dev/null}" '
		function col(v, u) {	# memstat: over 99999 kB in M, G, T
			for (u = 0; v > 99999 && u < 4; u++)
				v = int(v / 1024)
			return u ? v substr("KMGT", u + 1, 1) : v
		}
		function flush(i, line) {
			if (addr == "") return
			line = "0x" addr
			for (i = 1; i <= 8; i++)
				line = line " " col(f[c[i]] + 0)
			print line " " name > rows
		}
		BEGIN { split("Size Rss Pss Shared_Clean Shared_Dirty " \
			"Private_Clean Private_Dirty Swap", c, " ") }
		FILENAME ~ /rollup$/ {
			if ($1 == "Rss:") r = $2
			if ($1 == "Pss:") p = $2
			if ($1 == "Swap:") w = $2
			if ($1 == "SwapPss:") wp = $2
			if ($1 == "Private_Clean:" || $1 == "Private_Dirty:")
				u += $2
			next
		}
		$1 ~ /^[0-9a-f]+-[0-9a-f]+$/ {
			flush()
			n++
			addr = $1
			sub(/-.*/, "", addr)
			sub(/^0+/, "", addr)
			name = $0
			sub(/^[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ */, "", name)
			if (name == "") name = "[anon]"
			else if (name ~ /^\//) sub(/.*\//, "", name)
			delete f
			next
		}
		{ f[substr($1, 1, length($1) - 1)] = $2 }
		$1 == "Pss:" { s += $2 }
		END { flush(); print r, p, w, wp, u, s + 0, n + 0 }' \
		"/proc/$1/smaps_rollup" "/proc/$1/smaps")
}

# Wait until PID sleeps in nanosleep: started, loaded, holding still.
vm_wait_asleep() {
	local w i
	for ((i = 0; i < 250; i++)); do
		w=
		read -r w <"/proc/$1/wchan" 2>/dev/null || true
		[[ $w == *nanosleep* ]] && return 0
		sleep 0.01
	done
	echo "process $1 never went to sleep (wchan '$w')" >&2
	return 1
}

# PSS depends on how many processes map each page, so every process that
# starts or exits anywhere on the machine (other tests run in parallel)
# moves the PSS of any process that maps the system's libc. To compare PSS
# exactly, run the target through private copies of the dynamic loader,
# libc and the program: its file pages are then shared only with the
# processes this test starts through them (the test's own awk and bash map
# the system's copies). LC_ALL=C keeps the locale files, shared by every
# process, out of it. What stays shared with the whole machine is the
# [vdso]: its share, 4 kB / (number of processes), is far below the 1 kB
# the rollup rounds to, so it changes the rollup's Pss only if another
# process starts or exits in the few ms between memstat's read and the
# test's, and the total's fraction was that close to a whole kB.
# Sets VM_RUN (the command prefix) and VM_LIB (the copies' directory).
vm_private_libs() {
	local f
	VM_LIB=$MT_TMP/lib
	mkdir -p "$VM_LIB"
	for f in $(ldd "$1" | grep -o '/[^ ]*') "$1"; do
		cp "$f" "$VM_LIB/"
	done
	# Written back, the copies' pages are Clean, as a library's are.
	sync "$VM_LIB"/*
	f=$(LC_ALL=C readelf -lW "$1" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
	VM_RUN=(env LC_ALL=C "$VM_LIB/${f##*/}" --library-path "$VM_LIB")
}

# Run memstat ARGS on TARGET in step mode and compare its totals with
# smaps_rollup and smaps read while memstat is paused. Try again (a few
# times) only if two reads of the kernel's figures disagree, that is, if the
# target changed.
vm_memstat_vs_rollup() {
	local target=$1 try rss pss sum rows=$MT_TMP/vm.rows
	shift
	vm_sleep_fd
	for try in 1 2 3 4 5; do
		mt_start "$MS" "$@" "$target"
		vm_wait_pause_nofork 1
		vm_read_pss "$target" "$rows.1"
		rss=$VM_RSS pss=$VM_PSS sum=$VM_SUMPSS
		vm_read_pss "$target" "$rows"
		mt_resume
		mt_finish
		((MT_STATUS == 0))
		[[ $rss == "$VM_RSS" && $pss == "$VM_PSS" &&
			$sum == "$VM_SUMPSS" ]] && cmp -s "$rows.1" "$rows" &&
			break
	done
	echo "memstat $* $target: try $try; rollup Rss $VM_RSS Pss $VM_PSS" \
		"Swap $VM_SWAP; smaps Pss sum $VM_SUMPSS in $VM_NMAPS maps"
	cat "$MT_OUT"
	vm_total RSS "$VM_RSS" ""
	vm_total PSS "$VM_PSS" ""
	vm_total USS "$VM_USS" ": Private_Clean + Private_Dirty"
	vm_total swap "$VM_SWAP" ""
	vm_total "swap PSS" "$VM_SWAPPSS" ""
	[[ $(mt_out_field mappings) == "$VM_NMAPS" ]]
	# The rounding: the rows' Pss add up to less than the rollup's, by
	# under 1 kB a mapping, and memstat says by how much.
	vm_total "PSS of the rows" "$VM_SUMPSS" ""
	((VM_PSS >= VM_SUMPSS && VM_PSS - VM_SUMPSS < VM_NMAPS))
	grep -q "^The rows' Pss add up to $((VM_PSS - VM_SUMPSS)) kB less than"\
" PSS: smaps rounds each$" "$MT_OUT"
	vm_narrow "$MT_OUT"
	# Every row of the table against the test's own smaps read: address
	# and the 8 columns exactly, the name too unless memstat shortened it
	# (with "..") to fit 79 columns.
	grep -q '^ *Address ' "$MT_OUT" || return 0
	awk 'function name(s, k) {	# what follows the first 9 fields
			for (k = 0; k < 9; k++) sub(/^ *[^ ]+ +/, "", s)
			return s
		}
		NR == FNR { want[++n] = $0; next }
		$1 ~ /^0x/ {
			split(want[++i], w, " ")
			for (k = 1; k <= 9; k++)
				if ($k != w[k])
					bad = bad "\n" $0 " != " want[i]
			got = name($0)
			ref = name(want[i])
			if (got != ref && !(got ~ /\.\./ &&
			    length(ref) > length(got)))
				bad = bad "\nname " got " != " ref
		}
		END {
			if (i != n) bad = bad "\n" i " rows, smaps has " n
			if (bad != "") { print "rows differ:" bad; exit 1 }
		}' "$rows" "$MT_OUT" >&2
}

@test "memstat: help, usage errors, PIDs that are not numbers" {
	local pid
	mt_common_checks "$MS"
	mt_run 2 "$MS" --summary -xs
	[[ $stderr == "memstat: unknown option '-x'"* ]]
	mt_run 2 "$MS" abc
	[[ $stderr == "memstat: bad PID 'abc': a PID is a whole number"* ]]
	for pid in 12x -5 '' ' 5' +5; do
		mt_run 2 "$MS" -- "$pid"
	done
	mt_run 2 "$MS" 1 2
	[[ $stderr == "memstat: one PID at most"* ]]
}

# Lines: "there is no process", "no user memory", "needs the right".
@test "memstat: no such process, a kernel thread, another user's: exit 1" {
	local pid want pre=()
	pid=$(</proc/sys/kernel/pid_max)
	mt_run 1 "$MS" "$pid"
	[[ $stderr == *"memstat: there is no process $pid (it may have"* ]]
	for pid in 0 2147483648 99999999999999999999; do
		mt_run 1 "$MS" -s "$pid"
		[[ $stderr == "memstat: there is no process $pid: PIDs run"* ]]
	done
	if [[ $(</proc/2/comm) == kthreadd ]]; then
		mt_run 1 "$MS" 2
		[[ $stderr == *"process 2 has no user memory: a kernel thread"* ]]
	fi
	if vm_is_root; then
		command -v setpriv >/dev/null || skip "setpriv is missing"
		pre=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	elif [[ $(stat -c %u /proc/1) == "$(id -u)" ]]; then
		skip "PID 1 runs as this user"
	fi
	mt_run 1 "${pre[@]}" "$MS" 1
	[[ $stderr == *"/proc/1/smaps_rollup: Permission denied"* ]]
	want=$'needs the right to ptrace it:\n  be its owner, or have'
	[[ $stderr == *"$want CAP_SYS_PTRACE (root)" ]]
}

# Lines: "needs the right", "this process has CAP_SYS_PTRACE". With the
# capability (bit 19 of CapEff), a refusal is the kernel's even so: said.
@test "memstat: refused with CAP_SYS_PTRACE: the kernel refuses even so" {
	local cap want
	cap=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
	(((16#$cap >> 19) & 1)) || skip "this shell has no CAP_SYS_PTRACE"
	cat /proc/1/smaps_rollup >/dev/null 2>&1 &&
		skip "PID 1's smaps_rollup is readable here: nothing refuses"
	mt_run 1 "$MS" 1
	[[ $stderr == *"/proc/1/smaps_rollup: Permission denied"* ]]
	want=$'needs the right to ptrace it:\n  this process has'
	want+=$' CAP_SYS_PTRACE, and the kernel refuses even so (a\n  security'
	want+=" module's rule, or a process the kernel protects)"
	[[ $stderr == *"$want" ]]
}

# Lines: pid, the table, mappings, RSS, PSS, USS, swap, swap PSS, PSS of
# the rows, the rounding sentence. Three sleeps share private copies of
# their libraries: each page counts 1/3 in PSS, so the rounding shows.
@test "memstat: every row and total of a sleeping process = smaps" {
	local sp i
	vm_private_libs "$(command -v sleep)"
	for i in 1 2 3; do
		"${VM_RUN[@]}" "$VM_LIB/sleep" 30 3>&- &
		VM_KILL+=" $!"
	done
	sp=${VM_KILL# }
	sp=${sp%% *}
	for i in $VM_KILL; do
		vm_wait_asleep "$i"
	done
	vm_memstat_vs_rollup "$sp"
	# Through the copied loader, the command name is the loader's.
	grep -q "^pid: $sp (" "$MT_OUT"
	grep -q ' libc.so.6$' "$MT_OUT"
	mt_try 1
	[[ $output == *"Rss:"*" $VM_RSS kB"* ]]
}

# Lines: the totals only. The demo holds still at its pause.
@test "memstat -s: the totals of a paused demo equal its smaps_rollup" {
	local pf pf_fd
	[[ $(mt_libc "$PF") == glibc ]] ||
		skip "private copies of the loader are made for glibc only"
	vm_private_libs "$PF"
	mt_start "${VM_RUN[@]}" "$VM_LIB/page_faults" -n 64
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2
	pf=$MT_PID pf_fd=$MT_FD VM_KILL=$MT_PID MT_FD='' MT_PID=''
	vm_memstat_vs_rollup "$pf" -s
	grep -q '^ *Address' "$MT_OUT" && false
	grep -q "^pid: $pf (" "$MT_OUT"
	exec {pf_fd}>&-
	wait "$pf" || true
}

# Lines: the rows of an ASan build, whose shadow mappings are gigabytes
# and terabytes: the M and G column formats.
@test "memstat: mappings of M and G bytes keep 5 columns" {
	local big=$MT_TMP/page_faults_asan
	gcc -fsanitize=address -o "$big" "$MT_TOP/vm/page_faults.c" \
		2>/dev/null || skip "gcc -fsanitize=address cannot build here"
	# Loaded once, by this process alone: its code is Private_Clean,
	# which USS counts.
	vm_private_libs "$big"
	mt_start env ASAN_OPTIONS=detect_leaks=0 "${VM_RUN[@]}" \
		"$VM_LIB/page_faults_asan" -n 16
	mt_wait_pause 1 30 || skip "the ASan build does not run here"
	pf=$MT_PID pf_fd=$MT_FD VM_KILL=$MT_PID MT_FD='' MT_PID=''
	vm_memstat_vs_rollup "$pf"
	grep -Eq '^0x[0-9a-f]+ +[0-9]+M ' "$MT_OUT"
	grep -Eq '^0x[0-9a-f]+ +[0-9]+G ' "$MT_OUT"
	awk '$1 == "Private_Clean:" && $2 > 0 { f = 1 } END { exit !f }' \
		"/proc/$pf/smaps_rollup"
	exec {pf_fd}>&-
	wait "$pf" || true
}

# Lines: pid, the table header, [stack], RSS.
@test "memstat: with no PID it shows itself" {
	local rss pid got
	mt_start "$MS"
	mt_wait_pause 1
	pid=$MT_PID
	rss=$(awk '$1 == "Rss:" { print $2 }' "/proc/$pid/smaps_rollup")
	mt_resume
	mt_finish
	((MT_STATUS == 0))
	grep -q "^pid: $pid (memstat)$" "$MT_OUT"
	grep -q '^ *Address  Size   Rss   Pss  ShCl  ShDi  PrCl  PrDi  Swap' \
		"$MT_OUT"
	grep -q ' \[stack\]$' "$MT_OUT"
	# memstat reading itself: printing the table after the read runs
	# some of libc's code for the first time, and each such fault maps
	# a fault-around window (64 KiB) of it: allow two.
	got=$(mt_out_field RSS)
	got=${got%% *}
	((got <= rss * 1024 && rss * 1024 <= got + 2 * 65536))
	vm_narrow
}

# Lines: swap. Without a swap device no page can be out: swap 0, said.
@test "memstat: swap of a process with pages swapped out" {
	[[ $(wc -l </proc/swaps) -gt 1 ]] ||
		skip "no swap device here: only swap 0 is checked (above)"
	skip "swapping pages out on purpose is not done by this suite"
}
