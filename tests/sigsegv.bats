# SPDX-License-Identifier: MIT
# tests/sigsegv.bats - the sigsegv topic: demand_loader and uffd_loader
# (output against the file with cmp, loaded pages against the test's own
# read of /proc/PID/pagemap, maps and smaps while paused, fault counts by
# arithmetic), grow_stack (growth against maps) and loader_bench.

load helpers

S=$MT_TOP/sigsegv

sg_start() {
	local r=${1%% *}
	echo $((16#${r%-*}))
}
sg_end() {
	local r=${1%% *}
	echo $((16#${r#*-}))
}

# The printed "NAME: value" of FILE (default $MT_OUT).
sg_field() {
	sed -n "s/^$1: *//p" "${2:-$MT_OUT}" | head -n 1
}

# Pages of [START, START + N pages) present in RAM (pagemap bit 63), read
# by the test in one dd: "PAGE PAGE ..." (numbers from 0).
sg_present() {
	local pid=$1 start=$2 n=$3 ps
	ps=$(mt_pagesize)
	dd if="/proc/$pid/pagemap" iflag=skip_bytes,count_bytes bs=64K \
		skip=$((start / ps * 8)) count=$((n * 8)) 2>/dev/null |
		od -An -v -tx8 -w8 |
		awk '{ if (substr($1, 1, 1) ~ /[89a-f]/) printf "%d ", NR - 1 }'
}

# "N page" or "N pages", as the programs print a count of pages.
sg_pages_word() {
	if (($1 == 1)); then echo "1 page"; else echo "$1 pages"; fi
}

# The sample files: text (several pages), 1 MiB binary, odd sizes (one
# byte short of two pages: the last page's length is ps - 1), one page
# (less: 100 bytes), empty.
sg_files() {
	local ps
	ps=$(mt_pagesize)
	seq 1 20000 >"$MT_TMP/text"
	head -c 1048576 /dev/urandom >"$MT_TMP/bin"
	head -c $((3 * ps + 123)) /dev/urandom >"$MT_TMP/odd"
	head -c $((2 * ps - 1)) /dev/urandom >"$MT_TMP/short"
	head -c 100 /dev/urandom >"$MT_TMP/one"
	: >"$MT_TMP/empty"
}

# cat mode of LOADER on FILE with window W: stdout equals the file (cmp);
# the report on stderr: "file size:", "page size:", "region:", "window:",
# "faults taken:", "pages loaded:", "pages present:".
sg_cat() {
	local prog=$1 f=$2 w=$3 ps size pages
	ps=$(mt_pagesize)
	size=$(stat -c %s "$f")
	pages=$(((size + ps - 1) / ps))
	mt_run 0 bash -c '"$@" >"$0"' "$MT_TMP/out" "$prog" -a "$w" "$f"
	cmp "$MT_TMP/out" "$f"
	echo "$stderr" >"$MT_TMP/report"
	[[ $(sg_field 'file size' "$MT_TMP/report") == "$size ("*")" ]]
	[[ $(sg_field 'page size' "$MT_TMP/report") == "$ps" ]]
	if ((size == 0)); then
		grep -qx 'nothing to load: the file is empty' "$MT_TMP/report"
		return 0
	fi
	[[ $(sg_field region "$MT_TMP/report") == 0x*", $((pages * ps)) ("*"), $(sg_pages_word "$pages")" ]]
	[[ $(sg_field window "$MT_TMP/report") == "$(sg_pages_word "$w")" ]]
	# One fault per window of W pages; every page loaded and present.
	[[ $(sg_field 'faults taken' "$MT_TMP/report") == $(((pages + w - 1) / w)) ]]
	[[ $(sg_field 'pages loaded' "$MT_TMP/report") == "$pages" ]]
	[[ $(sg_field 'pages present' "$MT_TMP/report") == "$pages" ]]
}

# The --pages run, paused: LOADER -a W --pages LIST FILE; EXPECT: the pages
# the test expects present, from the windows of the listed pages. Reads
# "region:", the table rows, "faults taken:", "pages loaded:", "pages
# present:" and the two pauses.
sg_pages() {
	local prog=$1 w=$2 list=$3 f=$4 expect=$5 faults=$6 ps n start end p off
	ps=$(mt_pagesize)
	n=$((($(stat -c %s "$f") + ps - 1) / ps))
	mt_start "$prog" -a "$w" --pages "$list" "$f"
	mt_wait_pause 1 20
	start=$(($(sg_field region | cut -d- -f1)))
	end=$(sg_field region | cut -d- -f2)
	end=$((${end%%,*}))
	((end == start + n * ps))
	# Nothing present yet.
	[[ $(sg_present "$MT_PID" "$start" "$n") == "" ]]
	sg_pause1 "$prog" "$start" "$end"
	mt_resume
	mt_wait_pause 2 20
	[[ $(sg_present "$MT_PID" "$start" "$n") == "$expect" ]]
	[[ $(sg_field 'faults taken') == "$faults" ]]
	local count
	count=$(wc -w <<<"$expect")
	[[ $(sg_field 'pages loaded') == "$count" ]]
	[[ $(sg_field 'pages present') == "$count" ]]
	sg_pause2 "$prog" "$start" "$end" "$count"
	mt_finish
	((MT_STATUS == 0))
	# Each row: the page, its address, its first 8 bytes as in the file.
	for p in ${list//,/ }; do
		off=$((p * ps))
		[[ $(awk -v p="$p" '$1 == p && NF >= 2 { print $2; exit }' \
			"$MT_OUT") == "$(mt_hex $((start + off)))" ]]
		[[ $(awk -v p="$p" '$1 == p && NF >= 2 { $1 = $2 = ""; print; exit }' \
			"$MT_OUT" | xargs) == \
			"$(od -An -v -tx1 -j "$off" -N 8 "$f" | xargs)" ]]
	done
}

# Pause 1: demand_loader's region is one ---p line; uffd_loader's is rw-p
# with no page in it (smaps Rss 0).
sg_pause1() {
	local prog=$1 start=$2 end=$3 line
	line=$(mt_maps_line "$MT_PID" "$start")
	(($(sg_start "$line") == start && $(sg_end "$line") >= end))
	mt_try 1
	if [[ $prog == */demand_loader ]]; then
		[[ $(awk '{ print $2 }' <<<"$line") == ---p ]]
		[[ $output == "$(printf '%x' "$start")-"*" ---p "* ]]
	else
		[[ $(awk '{ print $2 }' <<<"$line") == rw-p ]]
		[[ $(mt_smaps_kb "$MT_PID" "$start" Rss) == 0 ]]
		grep -qE '^Rss: +0 kB$' <<<"$output"
	fi
}

# Pause 2: demand_loader's loaded windows are r--p lines among ---p ones
# (the try: awk shows them all), as its pause line says; uffd_loader's Rss
# is COUNT pages.
sg_pause2() {
	local prog=$1 start=$2 end=$3 count=$4 ps
	ps=$(mt_pagesize)
	mt_try 2
	if [[ $prog == */demand_loader ]]; then
		[[ $(mt_pause_line 2) == *": $(sg_pages_word "$count") loaded, r--p islands in the ---p region; try: "* ]]
		grep -q ' ---p ' <<<"$output"
		# The r--p lines of the region cover exactly COUNT pages.
		local rpages=0 l lo hi
		while read -r l; do
			[[ $l == *" r--p "* ]] || continue
			lo=$(sg_start "$l")
			hi=$(sg_end "$l")
			rpages=$((rpages + (hi - lo) / ps))
		done <<<"$output"
		((rpages == count))
		[[ ${lines[0]} == "$(printf '%x' "$start")-"* ]]
		[[ ${lines[-1]} == *"-$(printf '%x' "$end") "* ]]
	else
		[[ $(mt_pause_line 2) == *": $(sg_pages_word "$count") copied in; try: "* ]]
		[[ $(mt_smaps_kb "$MT_PID" "$start" Rss) == $((count * ps / 1024)) ]]
		grep -qE "^Rss: +$((count * ps / 1024)) kB\$" <<<"$output"
	fi
}

# cat mode, stepping: LOADER FILE with stdout on a file of its own. The
# copy is byte-identical to FILE (cmp) at pause 2 and at the end: the
# report and both pauses are on stderr. At pause 2 the whole region is
# loaded: demand_loader says so and the try: awk shows one r--p line from
# the region's start to its end (the test's own read of maps agrees);
# uffd_loader's Rss is every page. Reads, on stderr: "region:", "pages
# loaded:", the two pauses.
sg_cat_step() {
	local prog=$1 f=$2 ps n start end copy line
	ps=$(mt_pagesize)
	n=$((($(stat -c %s "$f") + ps - 1) / ps))
	mt_start "$prog" "$f"
	copy=$MT_OUT
	MT_OUT=$MT_ERR	# the pauses, as the student sees them: stderr
	mt_wait_pause 1 20
	start=$(($(sg_field region | cut -d- -f1)))
	end=$(sg_field region | cut -d- -f2)
	end=$((${end%%,*}))
	((end == start + n * ps))
	[[ $(sg_field region) == *", $(sg_pages_word "$n")" ]]
	[[ ! -s $copy ]]
	sg_pause1 "$prog" "$start" "$end"
	mt_resume
	mt_wait_pause 2 20
	cmp "$copy" "$f"
	[[ $(sg_field 'pages loaded') == "$n" ]]
	mt_try 2
	if [[ $prog == */demand_loader ]]; then
		[[ $(mt_pause_line 2) == *": $(sg_pages_word "$n") loaded, the whole region r--p; try: "* ]]
		line=$(mt_maps_line "$MT_PID" "$start")
		(($(sg_start "$line") == start && $(sg_end "$line") == end))
		[[ $line == *" r--p "* ]]
		[[ ${#lines[@]} == 1 && ${lines[0]} == "${line%% *} r--p "* ]]
	else
		[[ $(mt_pause_line 2) == *": $(sg_pages_word "$n") copied in; try: "* ]]
		[[ $(mt_smaps_kb "$MT_PID" "$start" Rss) == $((n * ps / 1024)) ]]
		grep -qE "^Rss: +$((n * ps / 1024)) kB\$" <<<"$output"
	fi
	mt_finish
	((MT_STATUS == 0))
	cmp "$copy" "$f"
	grep -q '^\[pause 2\]' "$MT_ERR"
}

# --- demand_loader --------------------------------------------------------------

# Reads stdout (cmp with the file) and the report on stderr: see sg_cat.
@test "demand_loader: cat is byte-identical for text, 1 MiB binary, odd sizes, one page, empty" {
	sg_files
	for f in text bin odd short one empty; do
		sg_cat "$S/demand_loader" "$MT_TMP/$f" 1
	done
	sg_cat "$S/demand_loader" "$MT_TMP/bin" 16
	sg_cat "$S/demand_loader" "$MT_TMP/odd" 64
}

# Reads stdout (cmp with the file) and, on stderr, the lines sg_cat_step
# names.
@test "demand_loader --step, cat mode: stdout is the file alone; the pauses on stderr" {
	sg_files
	sg_cat_step "$S/demand_loader" "$MT_TMP/text"
	sg_cat_step "$S/demand_loader" "$MT_TMP/one"
}

# Reads the pauses, "region:", the table and the counts: see sg_pages.
@test "demand_loader --pages: only the listed pages present, one fault each" {
	local ps
	ps=$(mt_pagesize)
	head -c $((10 * ps)) /dev/urandom >"$MT_TMP/ten"
	sg_pages "$S/demand_loader" 1 1,4,7 "$MT_TMP/ten" "1 4 7 " 3
}

# Reads the pauses, "region:", the table and the counts: see sg_pages.
@test "demand_loader --around 4 --pages: whole windows present, one fault per window" {
	local ps
	ps=$(mt_pagesize)
	head -c $((10 * ps - 5)) /dev/urandom >"$MT_TMP/ten"
	# Pages 1 and 2 share window 0 (pages 0-3); page 9 is in the last,
	# short window (pages 8-9).
	sg_pages "$S/demand_loader" 4 1,2,9 "$MT_TMP/ten" "0 1 2 3 8 9 " 2
}

# Reads "region:", "faults taken:", "pages loaded:", "pages present:" and
# the table rows, with the test's own pagemap read of the whole region.
@test "demand_loader: a 1 GiB sparse file, three pages loaded" {
	local ps n last start
	ps=$(mt_pagesize)
	truncate -s 1G "$MT_TMP/big"
	n=$((1073741824 / ps))
	last=$((n - 1))
	mt_start "$S/demand_loader" --pages "0,$((n / 2)),$last" "$MT_TMP/big"
	mt_wait_pause 1 20
	[[ $(sg_field region) == *", 1073741824 (1 GiB), $n pages" ]]
	start=$(($(sg_field region | cut -d- -f1)))
	mt_resume
	mt_wait_pause 2 20
	[[ $(sg_present "$MT_PID" "$start" "$n") == "0 $((n / 2)) $last " ]]
	[[ $(sg_field 'faults taken') == 3 ]]
	[[ $(sg_field 'pages present') == 3 ]]
	mt_finish
	((MT_STATUS == 0))
	[[ $(awk -v p="$last" '$1 == p { $1 = $2 = ""; print }' "$MT_OUT" | xargs) == \
		"00 00 00 00 00 00 00 00" ]]
}

# Reads the last line of the report ("access: read 0x10, ...") and the
# exit status: the handler passes the fault on, the kernel kills it.
@test "demand_loader --crash: a fault outside the region kills it (139)" {
	sg_files
	mt_run 139 bash -c 'ulimit -c 0; "$0" --crash --pages 1 "$1"' \
		"$S/demand_loader" "$MT_TMP/text"
	[[ ${lines[-1]} == "access: read 0x10, outside the region" ]]
	[[ $(sg_field 'faults taken' <(echo "$output")) == 1 ]]
}

# Reads "time per page:" and "faults taken:" of --touch.
@test "demand_loader --touch: one fault per window" {
	local ps
	ps=$(mt_pagesize)
	head -c $((100 * ps)) /dev/urandom >"$MT_TMP/f"
	mt_run 0 "$S/demand_loader" --touch -a 16 "$MT_TMP/f"
	[[ $(sg_field 'faults taken' <(echo "$output")) == 7 ]]
	[[ $(sg_field 'pages present' <(echo "$output")) == 100 ]]
	[[ $(sg_field 'time per page' <(echo "$output")) =~ ^[0-9]+\.[0-9]\ ns$ ]]
}

# A FIFO has no size to reserve; open(2) of one waits for a writer unless
# O_NONBLOCK: each program must say so at once (a hang is the timeout's
# status, 124). Reads the message on stderr.
@test "demand_loader, uffd_loader, loader_bench: a FIFO is refused at once" {
	# shellcheck disable=SC2034 # mt_run reads MT_TIMEOUT
	local MT_TIMEOUT=5 p
	mkfifo "$MT_TMP/fifo"
	for p in demand_loader uffd_loader; do
		mt_run 1 "$S/$p" "$MT_TMP/fifo"
		[[ $stderr == "$p: $MT_TMP/fifo: not a regular file: only a file has a size to reserve" ]]
		[[ $output == "" ]]
	done
	mt_run 1 "$S/loader_bench" "$MT_TMP/fifo"
	[[ $stderr == "loader_bench: $MT_TMP/fifo: not a regular file with data in it" ]]
}

# Reads the messages on stderr.
@test "demand_loader: missing file, directory, device, page out of range" {
	mt_run 1 "$S/demand_loader" "$MT_TMP/nothing"
	[[ $stderr == "demand_loader: open $MT_TMP/nothing: No such file or directory" ]]
	mt_run 1 "$S/demand_loader" "$MT_TMP"
	[[ $stderr == "demand_loader: $MT_TMP: is a directory: give a regular file" ]]
	mt_run 1 "$S/demand_loader" /dev/null
	[[ $stderr == "demand_loader: /dev/null: not a regular file"* ]]
	sg_files
	mt_run 1 "$S/demand_loader" --pages 4 "$MT_TMP/odd"
	[[ $stderr == "demand_loader: --pages: page 4 is past the last page, 3" ]]
	mt_run 2 "$S/demand_loader" --pages 1,x "$MT_TMP/odd"
	[[ $stderr == "demand_loader: --pages: bad number 'x'"* ]]
	mt_run 2 "$S/demand_loader" --pages '' "$MT_TMP/odd"
	[[ $stderr == "demand_loader: --pages: no page number in ''"$'\n'"usage: "* ]]
	mt_run 2 "$S/demand_loader" --pages , "$MT_TMP/odd"
	[[ $stderr == "demand_loader: --pages: no page number in ','"$'\n'"usage: "* ]]
	mt_run 2 "$S/demand_loader" --pages 1 --touch "$MT_TMP/odd"
	[[ $stderr == "demand_loader: --pages and --touch: choose one"* ]]
	mt_run 2 "$S/demand_loader" -a 513 "$MT_TMP/odd"
	mt_run 2 "$S/demand_loader" --bench
	[[ $stderr == "demand_loader: --bench needs a FILE"* ]]
}

# Reads "file:" (its own executable), the table rows (first and last
# page) and "faults taken:".
@test "demand_loader: no FILE loads its own executable's first and last page" {
	local ps n exe
	ps=$(mt_pagesize)
	exe=$(cd "$S" && pwd -P)/demand_loader
	n=$((($(stat -c %s "$exe") + ps - 1) / ps))
	mt_run 0 "$S/demand_loader"
	[[ $(sg_field file <(echo "$output")) == "$exe" ]]
	[[ $(awk '$1 == 0 { $1 = $2 = ""; print }' <<<"$output" | xargs) == \
		"$(od -An -v -tx1 -N 8 "$exe" | xargs)" ]]
	awk -v p=$((n - 1)) '$1 == p { f = 1 } END { exit !f }' <<<"$output"
	[[ $(sg_field 'faults taken' <(echo "$output")) == 2 ]]
}

# sigsegv/README.md's sample, run again on the same input (seq 1 5000, as
# the README makes it): the report lines without addresses and the table's
# bytes are what the program prints now. Reads "file size:", "page size:",
# "region:" (after its range), "window:", the table rows, the counts.
@test "demand_loader: the README's sample is what it prints" {
	local readme=$MT_TOP/sigsegv/README.md sample want got
	[[ $(mt_pagesize) == 4096 ]] || skip "the sample is for 4096-byte pages"
	seq 1 5000 >"$MT_TMP/seq.txt"
	sample=$(awk '/^\$ sigsegv\/demand_loader --pages 1,4 --step/ { f = 1; next }
		f && /^```/ { exit } f' "$readme")
	[[ -n $sample ]]
	mt_run 0 "$S/demand_loader" --pages 1,4 "$MT_TMP/seq.txt"
	# Addresses (and the pid) differ from run to run: compare the rest.
	want=$(grep -E '^(file size|page size|window|faults taken|pages loaded|pages present):|^region: |^ +[0-9]+  0x' <<<"$sample" |
		sed -E 's/0x[0-9a-f]+/ADDR/g')
	got=$(grep -E '^(file size|page size|window|faults taken|pages loaded|pages present):|^region: |^ +[0-9]+  0x' <<<"$output" |
		sed -E 's/0x[0-9a-f]+/ADDR/g')
	[[ $(wc -l <<<"$want") == 9 ]]
	[[ $got == "$want" ]]
}

@test "demand_loader: common behaviour" {
	mt_common_checks "$S/demand_loader"
}

# --- uffd_loader --------------------------------------------------------------

sg_uffd_ok() {
	mt_run '*' "$S/uffd_loader" --pages 0 "$S/uffd_loader"
	if ((status != 0)); then
		# Refused here: the explanation must be there; see below.
		[[ $stderr == *"cannot load pages through userfaultfd here"* ]]
		skip "userfaultfd refused for $(id -un): ${stderr%%$'\n'*}"
	fi
}

# Reads stdout (cmp with the file) and the report on stderr: see sg_cat.
@test "uffd_loader: cat is byte-identical for text, 1 MiB binary, odd sizes, one page, empty" {
	sg_uffd_ok
	sg_files
	for f in text bin odd short one empty; do
		sg_cat "$S/uffd_loader" "$MT_TMP/$f" 1
	done
	sg_cat "$S/uffd_loader" "$MT_TMP/bin" 16
}

# Reads stdout (cmp with the file) and, on stderr, the lines sg_cat_step
# names.
@test "uffd_loader --step, cat mode: stdout is the file alone; the pauses on stderr" {
	sg_uffd_ok
	sg_files
	sg_cat_step "$S/uffd_loader" "$MT_TMP/text"
	sg_cat_step "$S/uffd_loader" "$MT_TMP/one"
}

# Reads the pauses, "region:", the table and the counts: see sg_pages.
@test "uffd_loader --pages: only the listed pages present, one fault each" {
	local ps
	sg_uffd_ok
	ps=$(mt_pagesize)
	head -c $((10 * ps)) /dev/urandom >"$MT_TMP/ten"
	sg_pages "$S/uffd_loader" 1 1,4,7 "$MT_TMP/ten" "1 4 7 " 3
	head -c $((10 * ps - 5)) /dev/urandom >"$MT_TMP/ten"
	sg_pages "$S/uffd_loader" 4 1,2,9 "$MT_TMP/ten" "0 1 2 3 8 9 " 2
}

# Reads the exit status and the last line: uffd handles only its region.
@test "uffd_loader --crash: a fault outside the region kills it (139)" {
	sg_uffd_ok
	sg_files
	mt_run 139 bash -c 'ulimit -c 0; "$0" --crash --pages 1 "$1"' \
		"$S/uffd_loader" "$MT_TMP/text"
	[[ ${lines[-1]} == "access: read 0x10, outside the region" ]]
}

# An ordinary user on Linux 5.11 or later gets user-mode faults even with
# vm.unprivileged_userfaultfd 0: UFFD_USER_MODE_ONLY.
# Reads "pages present:".
@test "uffd_loader: works as $(id -un) when the kernel allows it" {
	local v
	v=$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null) ||
		skip "no vm.unprivileged_userfaultfd here"
	mt_run '*' "$S/uffd_loader" --pages 0 "$S/uffd_loader"
	if ((status != 0)); then
		[[ $stderr == *"vm.unprivileged_userfaultfd: $v "* ]]
		skip "refused here: ${stderr%%$'\n'*}"
	fi
	[[ $(sg_field 'pages present' <(echo "$output")) == 1 ]]
}

# Reads the explanation on stderr when userfaultfd(2) is refused (made to
# fail with EPERM by a preloaded shim): each line against the test's own
# read of the sysctl, of Seccomp in /proc/self/status, of /dev/userfaultfd.
@test "uffd_loader: where userfaultfd is refused, it says why and exits 1" {
	local cc=cc v seccomp dev
	[[ $(mt_libc "$S/uffd_loader") == musl ]] && cc=musl-gcc
	command -v "$cc" >/dev/null || skip "no $cc to build the shim"
	cat >"$MT_TMP/shim.c" <<-'SHIM'
		#define _GNU_SOURCE
		#include <dlfcn.h>
		#include <errno.h>
		#include <stdarg.h>
		#include <sys/syscall.h>
		long syscall(long n, ...)
		{
			long (*real)(long, ...);
			long a[6];
			va_list ap;
			va_start(ap, n);
			for (int i = 0; i < 6; i++)
				a[i] = va_arg(ap, long);
			va_end(ap);
			if (n == SYS_userfaultfd) {
				errno = EPERM;
				return -1;
			}
			real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
			return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
		}
	SHIM
	"$cc" -shared -fPIC -o "$MT_TMP/shim.so" "$MT_TMP/shim.c" -ldl ||
		skip "cannot build the shim with $cc"
	mt_run 1 env LD_PRELOAD="$MT_TMP/shim.so" "$S/uffd_loader" "$S/uffd_loader"
	v=$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null || echo 'not present')
	seccomp=$(awk '$1 == "Seccomp:" { print $2 }' /proc/self/status)
	if [[ ! -e /dev/userfaultfd ]]; then
		dev='absent (Linux 6.1 on)'
	elif [[ -r /dev/userfaultfd && -w /dev/userfaultfd ]]; then
		dev=usable
	else
		dev='not usable by this user'
	fi
	[[ $output == "" ]]
	# The report so far (cat mode: on stderr) comes before the reason.
	[[ ${stderr%%$'\n'*} == "file: $S/uffd_loader" ]]
	grep -qx 'uffd_loader: userfaultfd: Operation not permitted' <<<"$stderr"
	[[ $stderr == *"uffd_loader: cannot load pages through userfaultfd here:"* ]]
	grep -qx "  vm.unprivileged_userfaultfd: $v (0: ordinary users get user-mode faults only)" <<<"$stderr"
	grep -qx "  seccomp: $seccomp (0: off, 2: a filter that may refuse the call)" <<<"$stderr"
	grep -qx "  /dev/userfaultfd: $dev" <<<"$stderr"
	[[ $stderr == *$'\n'"  to enable: sysctl -w vm.unprivileged_userfaultfd=1, or"$'\n'"  give this user access to /dev/userfaultfd" ]]
}

@test "uffd_loader: common behaviour" {
	sg_uffd_ok
	mt_common_checks "$S/uffd_loader"
}

# Reads the usage errors on stderr: --pages as demand_loader takes it.
@test "uffd_loader: --pages without a page number is a usage error" {
	mt_run 2 "$S/uffd_loader" --pages '' "$S/uffd_loader"
	[[ $output == "" ]]
	[[ $stderr == "uffd_loader: --pages: no page number in ''"$'\n'"usage: "* ]]
	mt_run 2 "$S/uffd_loader" --pages , "$S/uffd_loader"
	[[ $stderr == "uffd_loader: --pages: no page number in ','"$'\n'"usage: "* ]]
	mt_run 2 "$S/uffd_loader" --pages 1,x "$S/uffd_loader"
	[[ $stderr == "uffd_loader: --pages: bad number 'x'"* ]]
}

# --- grow_stack ---------------------------------------------------------------

# Reads "page size:", "reservation:", both "usable:" lines, every "grew:"
# line, "depth reached:", "growth events:" and the two pauses.
@test "grow_stack: one growth event per page; the usable part in maps" {
	local ps base top low line k pages
	ps=$(mt_pagesize)
	mt_start "$S/grow_stack"
	mt_wait_pause 1
	[[ $(sg_field 'page size') == "$ps" ]]
	base=$(($(sg_field reservation | cut -d- -f1)))
	top=$(sg_field reservation | cut -d- -f2)
	top=$((${top%%,*}))
	[[ $(sg_field reservation) == *", $((top - base)) (256 KiB)" ]]
	# Pause 1: ---p below, the top page rw-p.
	line=$(mt_maps_line "$MT_PID" $((top - 1)))
	(($(sg_start "$line") == top - ps && $(sg_end "$line") == top))
	[[ $line == *" rw-p "* ]]
	line=$(mt_maps_line "$MT_PID" "$base")
	(($(sg_start "$line") == base && $(sg_end "$line") == top - ps))
	[[ $line == *" ---p "* ]]
	[[ $(sg_field usable) == "$(printf '0x%x-0x%x' $((top - ps)) "$top"), $ps ("*"), 1 page" ]]
	mt_try 1
	[[ $(awk '{ printf "%s ", $2 }' <<<"$output") == "---p rw-p " ]]
	mt_resume
	mt_wait_pause 2
	# Pause 2: the rw-p part is what the last "usable:" line says.
	line=$(mt_maps_line "$MT_PID" $((top - 1)))
	low=$(sg_start "$line")
	(($(sg_end "$line") == top))
	pages=$(((top - low) / ps))
	[[ $(grep '^usable:' "$MT_OUT" | tail -n1) == \
		"usable: $(printf '0x%x-0x%x' "$low" "$top"), $((top - low)) ("*"), $pages pages" ]]
	[[ $(mt_pause_line 2) == *": the stack grew to $pages pages; try: "* ]]
	line=$(mt_maps_line "$MT_PID" "$base")
	(($(sg_end "$line") == low))
	[[ $line == *" ---p "* ]]
	mt_try 2
	[[ $(awk '{ printf "%s ", $2 }' <<<"$output") == "---p rw-p " ]]
	[[ ${lines[1]} == "$(printf '%x-%x' "$low" "$top") rw-p "* ]]
	mt_finish
	((MT_STATUS == 0))
	# Growth events equal the pages added, one "grew:" line each, page
	# by page downwards.
	[[ $(sg_field 'growth events') == $((pages - 1)) ]]
	[[ $(grep -c '^grew:' "$MT_OUT") == $((pages - 1)) ]]
	for ((k = 2; k <= pages; k++)); do
		grep -qx "grew: usable part starts at $(mt_hex $((top - k * ps))), $k pages" "$MT_OUT"
	done
	[[ $(sg_field 'depth reached') == 40 ]]
	[[ $(sg_field recursion) == "40 frames of about 1000 bytes" ]]
	! grep -q '^limit:' "$MT_OUT" || false
}

# Reads "depth reached:", "limit:", the last "usable:" line and maps.
@test "grow_stack -d 100000: stops at the reservation's guard page" {
	local ps base top line
	ps=$(mt_pagesize)
	mt_start "$S/grow_stack" -d 100000 -r 64K
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2 20
	base=$(($(sg_field reservation | cut -d- -f1)))
	top=$(sg_field reservation | cut -d- -f2)
	top=$((${top%%,*}))
	((top - base == 65536))
	# Everything but the lowest page is usable; that one is ---p.
	line=$(mt_maps_line "$MT_PID" "$base")
	(($(sg_start "$line") == base && $(sg_end "$line") == base + ps))
	[[ $line == *" ---p "* ]]
	line=$(mt_maps_line "$MT_PID" $((top - 1)))
	(($(sg_start "$line") == base + ps))
	mt_finish
	((MT_STATUS == 0))
	local d
	d=$(sg_field 'depth reached')
	((d > 1 && d < 100000))
	[[ $(sg_field limit) == "depth $((d + 1)) needs more than the reservation; its last page is the guard" ]]
	[[ $(sg_field 'growth events') == $((65536 / ps - 2)) ]]
	[[ $(grep '^usable:' "$MT_OUT" | tail -n1) == \
		"usable: $(printf '0x%x-0x%x' $((base + ps)) "$top"), $((65536 - ps)) ("*"), $((65536 / ps - 1)) pages" ]]
}

# Reads "growth events:", the last "usable:" line and pause 2 with the
# test's own read of maps: one frame may fit in the top page (no growth:
# "1 page", singular) or take a second one, as the C library lays out the
# context's start.
@test "grow_stack -d 1: the usable part in maps, one page or more" {
	local ps top line low pages
	ps=$(mt_pagesize)
	mt_start "$S/grow_stack" -d 1
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2
	top=$(sg_field reservation | cut -d- -f2)
	top=$((${top%%,*}))
	line=$(mt_maps_line "$MT_PID" $((top - 1)))
	low=$(sg_start "$line")
	pages=$(((top - low) / ps))
	[[ $(mt_pause_line 2) == *": the stack grew to $(sg_pages_word "$pages"); try: "* ]]
	[[ $(grep '^usable:' "$MT_OUT" | tail -n1) == \
		"usable: $(printf '0x%x-0x%x' "$low" "$top"), $((top - low)) ("*"), $(sg_pages_word "$pages")" ]]
	mt_finish
	((MT_STATUS == 0))
	[[ $(sg_field 'growth events') == $((pages - 1)) ]]
}

# The house rule for signal handlers, read in the source: every way out of
# each on_fault handler (return, siglongjmp) restores the errno it saved on
# entry, and grow_stack's handler shares its state through volatile
# sig_atomic_t only. (No output can show an errno clobbered in between.)
@test "sigsegv handlers: errno saved and restored, sig_atomic_t state" {
	local f
	for f in demand_loader grow_stack; do
		awk '
			/^static void on_fault\(/ { in_h = 1 }
			in_h && /= errno;/ { saved = 1 }
			in_h && /errno = saved;/ { restored = NR }
			in_h && (/return;/ || /siglongjmp\(/) {
				exits++
				if (restored != NR - 1) bad++
			}
			in_h && /^}/ {	# falling off the end returns too
				if (prev !~ /return;|_exit\(/ && restored != NR - 1) bad++
				in_h = 0
			}
			in_h { prev = $0 }
			END { exit !(saved && exits && !bad) }' "$S/$f.c" || {
			echo "$f.c: on_fault leaves without restoring errno" >&2
			return 1
		}
	done
	grep -q '^static volatile sig_atomic_t usable = 1, events;' "$S/grow_stack.c"
	[[ $(grep -c 'volatile long events\|char \*volatile low' "$S/grow_stack.c") == 0 ]]
}

@test "grow_stack: common behaviour, strict options" {
	mt_common_checks "$S/grow_stack"
	mt_run 2 "$S/grow_stack" -d 0
	[[ $stderr == "grow_stack: -d: bad number '0' (1 to 1000000)"* ]]
	mt_run 2 "$S/grow_stack" -r 8K
}

# --- loader_bench -------------------------------------------------------------

# Reads "file:", "file size:", "page size:", "pages:", "passes:" and the
# five table rows: faults by arithmetic,
# "x kernel" from the printed ns/page.
@test "loader_bench: faults per pass and ratios (and demand_loader --bench)" {
	local ps n row kernel
	ps=$(mt_pagesize)
	n=$((262144 / ps))
	head -c 262144 /dev/urandom >"$MT_TMP/f"
	for cmd in "$S/loader_bench" "$S/demand_loader --bench"; do
		# shellcheck disable=SC2086
		mt_run 0 $cmd "$MT_TMP/f"
		[[ ${lines[0]} == "file: $MT_TMP/f" ]]
		[[ ${lines[1]} == "file size: $((n * ps)) (256 KiB)" ]]
		[[ ${lines[2]} == "page size: $ps" && ${lines[3]} == "pages: $n" ]]
		[[ ${lines[4]} == "passes: 5, the median shown" ]]
		[[ ${lines[5]} == "loader "*"ns/page"*"faults/pass"*"x kernel" ]]
		kernel=$(awk '$1 == "kernel" { print $3 }' <<<"$output")
		# The kernel maps up to fault_around_bytes per fault (64 KiB by
		# default) and whole page-cache folios: 1 to n faults.
		row=$(awk '$1 == "kernel" { print $4, $5 }' <<<"$output")
		((${row% *} >= 1 && ${row% *} <= n))
		[[ ${row#* } == 1.0 ]]
		for w in 1 16 64; do
			row=$(awk -v w="$w" '$1 == "window" && $2 == w { print $3, $4, $5 }' <<<"$output")
			[[ $(cut -d' ' -f2 <<<"$row") == $(((n + w - 1) / w)) ]]
			[[ $(cut -d' ' -f3 <<<"$row") == \
				"$(awk -v a="${row%% *}" -v b="$kernel" 'BEGIN { printf "%.1f", a / b }')" ]]
		done
		row=$(awk '$1 == "userfaultfd" { $1 = ""; print }' <<<"$output" | xargs)
		if [[ $row == "not measured"* ]]; then
			[[ $stderr == *"cannot load pages through userfaultfd"* ]]
		else
			[[ $(cut -d' ' -f2 <<<"$row") == "$n" ]]
			[[ $(cut -d' ' -f3 <<<"$row") == \
				"$(awk -v a="${row%% *}" -v b="$kernel" 'BEGIN { printf "%.1f", a / b }')" ]]
		fi
	done
}

# loader_bench has no pause (a benchmark has nothing to look at while it
# runs): the other common checks by hand.
@test "loader_bench: help, bad options, write errors, missing file" {
	mt_run 0 "$S/loader_bench" --help
	[[ ${lines[0]} == "usage: loader_bench "* ]]
	mt_run 2 "$S/loader_bench" --bogus
	[[ $stderr == "loader_bench: unknown option '--bogus'"* ]]
	mt_run 2 "$S/loader_bench" -n 4
	mt_run 1 "$S/loader_bench" "$MT_TMP/none"
	[[ $stderr == "loader_bench: open $MT_TMP/none: No such file or directory" ]]
	: >"$MT_TMP/empty"
	mt_run 1 "$S/loader_bench" "$MT_TMP/empty"
	[[ $stderr == "loader_bench: $MT_TMP/empty: not a regular file with data in it" ]]
	head -c 8192 /dev/urandom >"$MT_TMP/f"
	mt_run 1 bash -c '"$0" "$1" >&-' "$S/loader_bench" "$MT_TMP/f"
	[[ $stderr == *"loader_bench: write: Bad file descriptor" ]]
}
