# SPDX-License-Identifier: MIT
# tests/layout.bats - layout/layout, layout/aslr and layout/stack_overflow
# against the kernel's and binutils' view: /proc/PID/{maps,mem,stat,auxv,
# personality,limits} read while the program is paused, nm, readelf and
# strace on the same binary.
load helpers

LAYOUT=$MT_TOP/layout/layout
ASLR=$MT_TOP/layout/aslr
SO=$MT_TOP/layout/stack_overflow

# A size as the programs print it after the bytes: "64 KiB", "13.1 KiB".
human() {
	awk -v n="$1" 'BEGIN { split("B KiB MiB GiB TiB PiB EiB", u)
		for (i = 1; i < 7 && n >= 1024 ^ i; i++);
		d = 1024 ^ (i - 1)
		if (n % d == 0) printf "%d %s\n", n / d, u[i]
		else printf "%.1f %s\n", n / d, u[i] }'
}

# --- layout -------------------------------------------------------------------

# Every row the table must have, by its "what" column.
WHATS=("ELF header" "main()" "etext-1" "string literal" "const global"
	"data segment" "init global" "static local" "edata-1" "uninit global"
	"end-1" "malloc(32)" "sbrk(0)-1" "malloc(1 MiB)" "printf()"
	"local var" "argv[0]" "environ[0]" "vDSO (auxv)")

# Parses the table of $MT_OUT (lines "region address what... lo-hi perms
# name" between the header and the first empty line; notes in parentheses
# skipped) into arrays indexed by the "what" column.
parse_rows() {
	local line k what
	local -a fl
	declare -gA REGION=() ADDR=() RANGE=() PERMS=() NAME=()
	ROWS=0
	while IFS= read -r line; do
		read -r -a fl <<<"$line"
		k=${#fl[@]}
		what=${fl[*]:2:k-5}
		REGION[$what]=${fl[0]}
		ADDR[$what]=${fl[1]}
		RANGE[$what]=${fl[k - 3]}
		PERMS[$what]=${fl[k - 2]}
		NAME[$what]=${fl[k - 1]}
		ROWS=$((ROWS + 1))
	done < <(awk 'NR == 1 || /^\(/ { next } /^$/ { exit } { print }' \
		"$MT_OUT")
}

# The name layout prints for a maps line: the path's basename, [heap]...,
# or "anonymous".
maps_name() {
	local path
	read -r _ _ _ _ _ path <<<"$1"
	if [[ -z $path ]]; then
		echo anonymous
	else
		echo "${path##*/}"
	fi
}

# nm value (decimal) of symbol $1 (a regex) in $NM.
nm_val() {
	local v
	v=$(awk -v s="$1" '$3 ~ s { print $1; exit }' <<<"$NM")
	[[ -n $v ]] || { echo "no symbol $1 in nm" >&2; return 1; }
	echo $((16#$v))
}

# The region a link-time address (nm's numbers) of binary $BIN belongs to,
# from readelf alone: hdr (the first byte), text (a section with flag X),
# rodata (allocated, not writable), relro (inside GNU_RELRO), data (from
# the writable segment's start to edata), bss (edata to end).
exe_region() {
	local a=$1 lo size flags
	((a == START)) && { echo hdr; return; }
	((a >= EDATA && a < END)) && { echo bss; return; }
	((a >= RELRO && a < RELRO_END)) && { echo relro; return; }
	((a >= DSEG && a < EDATA)) && { echo data; return; }
	while read -r lo size flags; do
		((a >= 16#$lo && a < 16#$lo + 16#$size)) || continue
		[[ $flags == *X* ]] && { echo text; return; }
		[[ $flags == *A* && $flags != *W* ]] && { echo rodata; return; }
	done < <(LC_ALL=C readelf -SW "$BIN" | awk '{
		for (i = 1; i <= NF; i++) if ($i ~ /^\./) break
		if (i < NF) print $(i + 2), $(i + 4), $(i + 6) }')
	echo none
}

# Runs binary $1 paused and checks every row and boundary it prints:
# the table, "executable:", "load base:", "etext:", "data segment:",
# "edata:", "end:", "break:", "text to etext:", "data size:", "bss size:".
check_layout() {
	local line base bias w want got region exe ps brk lib v env a
	local -a m
	BIN=$1
	mt_start "$BIN"
	mt_wait_pause 1
	parse_rows
	NM=$(nm "$BIN")
	exe=$(readlink "/proc/$MT_PID/exe")
	ps=$(mt_pagesize)

	# Every row is there, once.
	for w in "${WHATS[@]}"; do
		[[ -n ${ADDR[$w]:-} ]] || { echo "no row '$w'" >&2; false; }
	done
	((ROWS == ${#WHATS[@]}))

	# The mapping column is the maps line holding the address.
	for w in "${WHATS[@]}"; do
		line=$(mt_maps_line "$MT_PID" "${ADDR[$w]}")
		read -r -a m <<<"$line"
		[[ ${RANGE[$w]} == "${m[0]}" && ${PERMS[$w]} == "${m[1]}" &&
			${NAME[$w]} == "$(maps_name "$line")" ]] || {
			echo "row '$w': ${RANGE[$w]} ${PERMS[$w]} ${NAME[$w]};" \
				"maps: $line" >&2
			false
		}
	done

	# The load base: the first page of the file, offset 0, in maps.
	base=$(awk -v p="$exe" '$6 == p && $3 ~ /^0+$/ {
		sub(/-.*/, "", $1); print $1; exit }' "/proc/$MT_PID/maps")
	base=$((16#$base))
	START=$(nm_val '^__executable_start$')
	bias=$((base - START))
	if LC_ALL=C readelf -hW "$BIN" | grep -q 'Type:[[:space:]]*DYN'; then
		[[ $(mt_out_field executable) == PIE ]]
	else
		[[ $(mt_out_field executable) == non-PIE ]]
		((bias == 0))
	fi
	[[ $(mt_out_field "load base") == "$(mt_hex "$base")" ]]
	[[ ${ADDR[ELF header]} == "$(mt_hex "$base")" ]]

	# The boundaries: nm plus the load bias; the rows show the byte
	# before each.
	ETEXT=$(nm_val '^etext$') EDATA=$(nm_val '^edata$') END=$(nm_val '^end$')
	[[ $(mt_out_field etext) == "$(mt_hex $((ETEXT + bias)))" ]]
	[[ $(mt_out_field edata) == "$(mt_hex $((EDATA + bias)))" ]]
	[[ $(mt_out_field end) == "$(mt_hex $((END + bias)))" ]]
	[[ ${ADDR[etext-1]} == "$(mt_hex $((ETEXT + bias - 1)))" ]]
	[[ ${ADDR[edata-1]} == "$(mt_hex $((EDATA + bias - 1)))" ]]
	[[ ${ADDR[end-1]} == "$(mt_hex $((END + bias - 1)))" ]]
	# The writable segment and its read-only start (readelf -l).
	DSEG=$(LC_ALL=C readelf -lW "$BIN" |
		awk '$1 == "LOAD" && $7 ~ /W/ { print $3; exit }')
	DSEG=$((DSEG))
	RELRO=$(LC_ALL=C readelf -lW "$BIN" | awk '$1 == "GNU_RELRO" {
		print $3 " " $6; exit }')
	read -r RELRO RELRO_END <<<"${RELRO:-0 0}"
	RELRO=$((RELRO)) RELRO_END=$((RELRO + RELRO_END))
	[[ $(mt_out_field "data segment") == "$(mt_hex $((DSEG + bias)))" ]]
	[[ ${ADDR[data segment]} == "$(mt_hex $((DSEG + bias)))" ]]
	# The sizes: exact arithmetic of those, and their human form.
	for want in "text to etext:$((ETEXT - START))" \
		"data size:$((EDATA - DSEG))" "bss size:$((END - EDATA))"; do
		got=$(mt_out_field "${want%:*}")
		[[ $got == "${want#*:} ($(human "${want#*:}"))" ]] || {
			echo "${want%:*}: $got, want ${want#*:}" >&2
			false
		}
	done

	# The named objects: nm, and the type letter nm gives them (gcc
	# names the static local static_local.N, clang main.static_local).
	for want in "main():^main$:T" "const global:^const_global$:R" \
		"init global:^init_global$:D" "static local:static_local:d" \
		"uninit global:^uninit_global$:B"; do
		IFS=: read -r w v got <<<"$want"
		[[ $(awk -v s="$v" '$3 ~ s { print $2; exit }' <<<"$NM") == \
			"$got" ]]
		[[ ${ADDR[$w]} == "$(mt_hex $(($(nm_val "$v") + bias)))" ]]
	done

	# Each region label of the program's own rows is the region readelf
	# gives that address.
	for w in "ELF header" "main()" "etext-1" "string literal" \
		"const global" "data segment" "init global" "static local" \
		"edata-1" "uninit global" "end-1"; do
		region=$(exe_region $((${ADDR[$w]} - bias)))
		[[ ${REGION[$w]} == "$region" ]] || {
			echo "row '$w': region ${REGION[$w]}, readelf $region" >&2
			false
		}
	done
	# ... and the maps line agrees: code r-xp, read-only r--p, data rw-p,
	# all in the program's file; the bss's rest anonymous.
	for w in "main()" "etext-1"; do [[ ${PERMS[$w]} == r-xp ]]; done
	for w in "ELF header" "string literal" "const global" "data segment"
	do [[ ${PERMS[$w]} == r--p ]]; done
	# The file is mapped up to the page that holds edata; the bss past
	# that page is anonymous (where a variable lands depends on the
	# compiler's order of the bss).
	a=$(((EDATA + bias + ps - 1) / ps * ps))
	for w in "init global" "static local" "edata-1" "uninit global" \
		"end-1"; do
		[[ ${PERMS[$w]} == rw-p ]]
		if ((${ADDR[$w]} < a)); then
			[[ ${NAME[$w]} == "${exe##*/}" ]]
		else
			[[ ${NAME[$w]} == anonymous ]]
		fi
	done

	# What the process's memory holds at the printed addresses.
	mt_mem "$MT_PID" "${ADDR[init global]}" 4 >/dev/null ||
		skip "cannot read /proc/$MT_PID/mem (ptrace_scope above 1?)"
	[[ $(mt_mem_str "$MT_PID" "${ADDR[string literal]}" 64) == \
		"a string literal, in .rodata" ]]
	[[ $(mt_mem_str "$MT_PID" "${ADDR[const global]}" 64) == \
		"a const global, in .rodata" ]]
	[[ $(mt_mem "$MT_PID" "${ADDR[init global]}" 4) == "2a 00 00 00" ]]
	[[ $(mt_mem "$MT_PID" "${ADDR[static local]}" 4) == "07 00 00 00" ]]
	[[ $(mt_mem "$MT_PID" "${ADDR[uninit global]}" 4) == "00 00 00 00" ]]
	[[ $(mt_mem "$MT_PID" "${ADDR[local var]}" 4) == "a1 0c 01 00" ]]
	[[ $(mt_mem_str "$MT_PID" "${ADDR[malloc(32)]}" 32) == \
		"a small block" ]]
	[[ $(mt_mem_str "$MT_PID" "${ADDR[malloc(1 MiB)]}" 32) == \
		"a large block" ]]

	# The heap: the small block and the byte below the break in [heap];
	# the break is the end of [heap] rounded up to a page. Not with
	# musl, whose malloc takes small blocks from spare data pages.
	brk=$(($(mt_out_field break)))
	[[ ${ADDR[sbrk(0)-1]} == "$(mt_hex $((brk - 1)))" ]]
	[[ ${NAME[sbrk(0)-1]} == "[heap]" && ${REGION[sbrk(0)-1]} == heap ]]
	((16#${RANGE[sbrk(0)-1]#*-} == (brk + ps - 1) / ps * ps))
	[[ ${REGION[malloc(32)]} == heap ]]
	if [[ $(mt_libc "$BIN") == glibc ]]; then
		[[ ${NAME[malloc(32)]} == "[heap]" ]]
	else
		grep -q '^(this libc is not glibc: ' "$MT_OUT"
	fi
	# The large block: a mapping of its own, anonymous, outside [heap].
	[[ ${REGION[malloc(1 MiB)]} == mmap && ${NAME[malloc(1 MiB)]} == \
		anonymous && ${PERMS[malloc(1 MiB)]} == rw-p ]]

	# printf: libc's code, its load base plus printf's value in nm -D.
	[[ ${REGION[printf()]} == lib && ${PERMS[printf()]} == r-xp ]]
	line=$(mt_maps_line "$MT_PID" "${ADDR[printf()]}")
	lib=${line##* }
	[[ $lib == */libc[.-]* || $lib == */ld-musl* ]]
	a=$(awk -v p="$lib" '$6 == p && $3 ~ /^0+$/ {
		sub(/-.*/, "", $1); print $1; exit }' "/proc/$MT_PID/maps")
	v=$(nm -D --defined-only "$lib" |
		awk '$3 ~ /^printf(@|$)/ { print $1; exit }')
	[[ -n $a && -n $v ]]
	[[ ${ADDR[printf()]} == "$(mt_hex $((16#$a + 16#$v)))" ]]

	# The stack: the local, argv[0] and environ[0] in [stack]; the kernel's
	# record of where it copied the strings (fields 48 arg_start and 50
	# env_start of /proc/PID/stat), and what is there.
	for w in "local var" "argv[0]" "environ[0]"; do
		[[ ${REGION[$w]} == stack && ${NAME[$w]} == "[stack]" ]]
	done
	[[ ${ADDR[argv[0]]} == "$(mt_hex "$(mt_stat_field "$MT_PID" 48)")" ]]
	[[ ${ADDR[environ[0]]} == \
		"$(mt_hex "$(mt_stat_field "$MT_PID" 50)")" ]]
	[[ $(mt_mem_str "$MT_PID" "${ADDR[argv[0]]}" 4096) == "$BIN" ]]
	env=$(tr '\0' '\n' <"/proc/$MT_PID/environ" | head -n 1)
	[[ $(mt_mem_str "$MT_PID" "${ADDR[environ[0]]}" 4096) == "$env" ]]
	mt_ult "${ADDR[local var]}" "${ADDR[argv[0]]}"

	# The vDSO: the start of [vdso], and AT_SYSINFO_EHDR (33 = 0x21) in
	# the auxiliary vector the kernel gave the process.
	[[ ${REGION[vDSO (auxv)]} == vdso && ${NAME[vDSO (auxv)]} == "[vdso]" ]]
	line=$(mt_maps_named "$MT_PID" "[vdso]")
	[[ ${ADDR[vDSO (auxv)]} == "0x${line%%-*}" ]]
	v=$(od -An -v -tx8 -w16 "/proc/$MT_PID/auxv" |
		awk '$1 ~ /^0*21$/ { sub(/^0+/, "", $2); print $2; exit }')
	[[ ${ADDR[vDSO (auxv)]} == "0x$v" ]]

	mt_finish
	((MT_STATUS == 0))
}

@test "layout: help, bad options, closed and full descriptors" {
	# the usage line, the help, the error lines on stderr; [pause 1]
	mt_common_checks "$LAYOUT"
	mt_run 2 "$LAYOUT" extra
	[[ $stderr == "layout: unexpected argument 'extra'"* ]]
}

@test "layout: every row, region and boundary against maps, nm, readelf, mem" {
	# parses the table and the "name: value" lines below it
	check_layout "$LAYOUT"
}

@test "layout: the same checks hold for a -no-pie build" {
	# the table and the lines below it, as check_layout says
	local bin=$MT_TMP/layout-nopie
	"${CC:-cc}" -std=gnu11 -O2 -fno-pie -no-pie -o "$bin" \
		"$MT_TOP/layout/layout.c" 2>/dev/null ||
		skip "${CC:-cc} cannot build with -fno-pie -no-pie here"
	LC_ALL=C readelf -hW "$bin" | grep -q 'Type:[[:space:]]*EXEC' ||
		skip "-no-pie still gave a PIE (toolchain default)"
	check_layout "$bin"
}

@test "layout: builds and runs with musl" {
	# the table's malloc(32) row and the "(this libc is not glibc" note
	command -v musl-gcc >/dev/null || skip "musl-gcc is not installed"
	musl-gcc -std=gnu11 -Wall -Wextra -Werror -O2 -o "$MT_TMP/layout" \
		"$MT_TOP/layout/layout.c"
	mt_run 0 "$MT_TMP/layout"
	[[ $output == *$'\n(this libc is not glibc: '* ]]
}

@test "layout --step: the try: command shows the lines the table names" {
	# [pause 1] line; the table's mapping column
	local w
	mt_start "$LAYOUT"
	mt_wait_pause 1
	parse_rows
	[[ $(mt_pause_line 1) == *"try: cat /proc/$MT_PID/maps" ]]
	mt_try 1
	[[ $output == "$(cat "/proc/$MT_PID/maps")" ]]
	for w in "${WHATS[@]}"; do
		[[ $output == *"${RANGE[$w]} ${PERMS[$w]} "* ]]
	done
	mt_finish
	((MT_STATUS == 0))
}

@test "layout: --svg is gone: a usage error, and no file is made" {
	# stderr only; the file must not exist afterwards
	mt_run 2 "$LAYOUT" --svg "$MT_TMP/map.svg"
	[[ $output == "" && $stderr == "layout: unknown option '--svg'"* ]]
	[[ ! -e $MT_TMP/map.svg ]]
	mt_run 2 bash -c '"$0" --svg "$1" >&-' "$LAYOUT" "$MT_TMP/map.svg"
	[[ ! -e $MT_TMP/map.svg ]]
}

# --- aslr ---------------------------------------------------------------------

KINDS=(text data heap stack library mmap vdso)

# aslr_row KIND: "run1 run2 moved" from the table of $MT_OUT.
aslr_row() {
	awk -v k="$1" '$1 == k && NF == 4 { print $2, $3, $4 }' "$MT_OUT"
}

# The load base (decimal) of file $2 in process $1: its mapping at offset 0.
file_base() {
	local b
	b=$(awk -v p="$2" '$6 == p && $3 ~ /^0+$/ {
		sub(/-.*/, "", $1); print $1; exit }' "/proc/$1/maps")
	[[ -n $b ]] || { echo "$2 is not mapped in pid $1" >&2; return 1; }
	echo $((16#$b))
}

# Checks address $3 of kind $2 against the live run $1: the binary's base
# plus nm, libc's base plus nm -D, [vdso] and AT_SYSINFO_EHDR, and what
# /proc/PID/mem holds at the block, the local and the page.
aslr_check_kind() {
	local pid=$1 kind=$2 addr=$3 exe bias lib line v
	echo "checking run $pid: $kind $addr" >&2
	exe=$(readlink "/proc/$pid/exe")
	case $kind in
	text | data)
		bias=0
		if LC_ALL=C readelf -hW "$exe" | grep -q 'Type:[[:space:]]*DYN'
		then bias=$(file_base "$pid" "$exe"); fi
		[[ $kind == text ]] && v='^child$' || v='^data_var$'
		v=$(nm "$exe" | awk -v s="$v" '$3 ~ s { print $1; exit }')
		[[ -n $v && $addr == "$(mt_hex $((bias + 16#$v)))" ]] ;;
	heap)
		[[ $(mt_mem_str "$pid" "$addr" 32) == "a heap block" ]]
		if [[ $(mt_libc "$exe") == glibc ]]; then
			[[ $(mt_maps_line "$pid" "$addr") == *' [heap]' ]]
		else
			grep -q '^This libc is not glibc: ' "$MT_OUT"
		fi ;;
	stack)
		[[ $(mt_mem_str "$pid" "$addr" 16) == "a local" ]]
		[[ $(mt_maps_line "$pid" "$addr") == *' [stack]' ]] ;;
	library)
		line=$(mt_maps_line "$pid" "$addr")
		lib=${line##* }
		[[ $line == *' r-xp '* ]]
		v=$(nm -D --defined-only "$lib" |
			awk '$3 ~ /^printf(@|$)/ { print $1; exit }')
		[[ -n $v ]]
		[[ $addr == "$(mt_hex $(($(file_base "$pid" "$lib") + 16#$v)))" ]]
		;;
	mmap)
		[[ $(mt_mem_str "$pid" "$addr" 16) == "an mmap page" ]]
		(($addr % $(mt_pagesize) == 0))
		read -r -a line <<<"$(mt_maps_line "$pid" "$addr")"
		[[ ${line[1]} == rw-p && ${#line[@]} == 5 ]] ;;
	vdso)
		line=$(mt_maps_named "$pid" "[vdso]")
		[[ $addr == "0x${line%%-*}" ]]
		v=$(od -An -v -tx8 -w16 "/proc/$pid/auxv" |
			awk '$1 ~ /^0*21$/ { sub(/^0+/, "", $2); print $2; exit }')
		[[ $addr == "0x$v" ]] ;;
	*) false ;;
	esac
}

# The table's moved column and "moved: N of 7", as the test counts them;
# sets MOVED to the count.
aslr_check_moved() {
	local kind r1 r2 moved n=0
	for kind in "${KINDS[@]}"; do
		read -r r1 r2 moved < <(aslr_row "$kind")
		[[ $r1 == 0x* && $r2 == 0x* ]]
		if [[ $r1 != "$r2" ]]; then
			[[ $moved == yes ]]
			n=$((n + 1))
		else
			[[ $moved == no ]]
		fi
	done
	[[ $(mt_out_field moved) == "$n of 7" ]]
	MOVED=$n
}

@test "aslr: help, bad options, closed and full descriptors" {
	# the usage line, the help, the error lines on stderr; [pause 1]
	mt_common_checks "$ASLR"
	mt_run 2 "$ASLR" extra
	[[ $stderr == "aslr: unexpected argument 'extra'"* ]]
}

@test "aslr --step <&-: does not wait, both runs end" {
	# the whole output; the run pids of "run 1:" and "run 2:"
	local p
	mt_run 0 bash -c '"$0" --step <&-' "$ASLR"
	[[ $output == *"[pause 1] pid "*"both runs alive; try: "* ]]
	for p in 1 2; do
		p=$(sed -n "s/^run $p: pid //p" <<<"$output")
		[[ -n $p && ! -e /proc/$p/exe ]] || [[ $(cat "/proc/$p/stat" \
			2>/dev/null) == *") Z "* ]]
	done
}

@test "aslr: both runs alive at the pause; every address against the run" {
	# "run N: pid P", the table, "moved: N of 7", the page-offset and the
	# text-data lines, the [pause 1] line and its try: command
	local n pid kind r ps dist line rvs want
	local -a run1 run2
	mt_start "$ASLR"
	mt_wait_pause 1
	mt_mem "$MT_PID" "$(mt_stat_field "$MT_PID" 28)" 8 >/dev/null ||
		skip "cannot read /proc/$MT_PID/mem (ptrace_scope above 1?)"
	for n in 1 2; do
		pid=$(mt_out_field "run $n")
		pid=${pid#pid }
		# alive, our child, running this very binary
		[[ $(readlink "/proc/$pid/exe") == "$(readlink -f "$ASLR")" ]]
		(($(mt_stat_field "$pid" 4) == MT_PID))
		for kind in "${KINDS[@]}"; do
			read -r -a r <<<"$(aslr_row "$kind")"
			aslr_check_kind "$pid" "$kind" "${r[n - 1]}"
		done
		eval "run$n=($pid)"
	done
	aslr_check_moved

	# The try: command shows, for both runs, the lines holding each row.
	[[ $(mt_pause_line 1) == *"try: cat /proc/{$run1,$run2}/maps" ]]
	mt_try 1
	for n in 1 2; do
		pid=$(eval "echo \$run$n")
		for kind in "${KINDS[@]}"; do
			read -r -a r <<<"$(aslr_row "$kind")"
			line=$(mt_maps_line "$pid" "${r[n - 1]}")
			[[ $output == *"$line"* ]]
		done
	done

	# Only whole pages move, except for the stack; text and data keep
	# their distance.
	ps=$(mt_pagesize)
	if grep -q '^The kernel chose new bases' "$MT_OUT"; then
		grep -q "keep their offset inside a page ($ps bytes)" "$MT_OUT"
		for kind in text data heap library mmap vdso; do
			read -r -a r <<<"$(aslr_row "$kind")"
			(((r[0] ^ r[1]) % ps == 0))
		done
	fi
	read -r -a r <<<"$(aslr_row text)"
	read -r -a line <<<"$(aslr_row data)"
	dist=$((line[0] - r[0]))
	((dist == line[1] - r[1]))
	grep -q "^Text and data are $dist bytes apart in both runs" "$MT_OUT"

	# The parent's own settings: randomize_va_space, PIE, personality.
	# (the meanings of the values: the kernel's sysctl documentation,
	# kernel.randomize_va_space)
	rvs=$(cat /proc/sys/kernel/randomize_va_space)
	case $rvs in
	0) want="off: nothing is randomised" ;;
	1) want="stack, mmap, libraries, vDSO, PIE; not the heap start" ;;
	2) want="stack, mmap, libraries, vDSO, PIE and the heap start" ;;
	esac
	[[ $(mt_out_field randomize_va_space) == "$rvs ($want)" ]]
	if LC_ALL=C readelf -hW "$ASLR" | grep -q 'Type:[[:space:]]*DYN'; then
		[[ $(mt_out_field executable) == "PIE (ELF type ET_DYN"* ]]
	else
		[[ $(mt_out_field executable) == "non-PIE (ELF type ET_EXEC"* ]]
	fi
	n=$((0x$(cat "/proc/$MT_PID/personality")))
	((n & 0x0040000)) && want=set || want="not set"
	[[ $(mt_out_field personality) == \
		"$(mt_hex "$n") (ADDR_NO_RANDOMIZE $want)" ]]
	mt_finish
	((MT_STATUS == 0))
	[[ ! -e /proc/$run1/exe && ! -e /proc/$run2/exe ]]
}

@test "aslr: with randomize_va_space 2, stack and mmap move" {
	# the table's stack and mmap rows
	local rvs
	rvs=$(cat /proc/sys/kernel/randomize_va_space)
	[[ $rvs == 2 ]] || skip "randomize_va_space is $rvs, not 2"
	(((0x$(cat /proc/$$/personality) & 0x0040000) == 0)) ||
		skip "this shell runs with ADDR_NO_RANDOMIZE (setarch -R?)"
	mt_run 0 "$ASLR"
	MT_OUT=$MT_TMP/out
	echo "$output" >"$MT_OUT"
	aslr_check_moved
	((MOVED >= 2))
	[[ $(aslr_row stack) == *' yes' && $(aslr_row mmap) == *' yes' ]]
}

# Every row equal in both runs, as the test compares them itself.
aslr_all_equal() {
	aslr_check_moved
	((MOVED == 0))
	grep -q '^Nothing moved: ' "$MT_OUT"
}

@test "aslr --no-aslr: both runs without randomisation, all equal" {
	# "no-aslr:" line, the table, "moved:"; the runs' personality
	local n pid
	mt_start "$ASLR" --no-aslr
	mt_wait_pause 1
	if grep -q '^no-aslr: refused' "$MT_OUT"; then
		grep -q 'seccomp' "$MT_OUT"
		mt_finish
		skip "personality(ADDR_NO_RANDOMIZE) is refused here"
	fi
	grep -q '^no-aslr: both runs start with ADDR_NO_RANDOMIZE$' "$MT_OUT"
	for n in 1 2; do
		pid=$(mt_out_field "run $n")
		pid=${pid#pid }
		(((0x$(cat "/proc/$pid/personality") & 0x0040000) != 0))
	done
	mt_finish
	((MT_STATUS == 0))
	aslr_all_equal
}

@test "aslr: under setarch -R every address is equal" {
	# "personality:" line, the table, "moved:"
	setarch -R true 2>/dev/null ||
		skip "setarch -R is refused here (seccomp forbids personality)"
	mt_run 0 setarch -R "$ASLR"
	MT_OUT=$MT_TMP/out
	echo "$output" >"$MT_OUT"
	[[ $(mt_out_field personality) == "0x40000 (ADDR_NO_RANDOMIZE set)" ]]
	aslr_all_equal
}

# --- stack_overflow -----------------------------------------------------------

# The stack guard gap in pages, as the test reads it: the last
# stack_guard_gap=N on the kernel command line, else the default, 256.
so_gap_pages() {
	local p
	p=$(grep -o '\(^\| \)stack_guard_gap=[0-9][0-9]*\( \|$\)' /proc/cmdline |
		tail -n 1 | tr -dc '0-9')
	echo "${p:-256}"
}

# so_check KIB [CMD...]: run stack_overflow (or CMD, which runs it) under
# `ulimit -s KIB`, and check every line at both pauses against
# /proc/PID/{maps,limits,mem}: "RLIMIT_STACK:", "page size:", "guard gap:",
# "stack mapping before:", "alternate stack:", "first frame:", "deepest
# frame:", "frame size:", "depth:", "stack used:", "stack mapping:",
# "stack mapping size:", "fault address:", "below stack:", "handler
# stack:", the closing paragraph, both [pause N] lines and their try:.
so_check() {
	local kib=$1 limit=$(($1 * 1024)) ps line lo hi size used depth frame
	local first deepest fault pages alt hs why
	shift
	(($# > 0)) || set -- "$SO"
	ps=$(mt_pagesize)
	mt_start bash -c 'ulimit -S -s "$0" && exec "$@" --step' "$kib" "$@"
	mt_wait_pause 1
	line=$(mt_maps_named "$MT_PID" '[stack]')
	lo=$((16#${line%%-*})) hi=${line%% *} hi=$((16#${hi#*-}))
	[[ $(mt_out_field 'stack mapping before') == \
		"$(mt_hex $lo)-$(mt_hex $hi) ($(human $((hi - lo))))" ]]
	[[ $(mt_pause_line 1) == *"try: grep '\\[stack\\]' /proc/$MT_PID/maps" ]]
	mt_try 1
	[[ $output == "$line" ]]
	mt_resume
	mt_wait_pause 2 30

	# The limit the kernel checks, and the settings.
	[[ $(awk '/^Max stack size/ { print $4 }' "/proc/$MT_PID/limits") == \
		"$limit" ]]
	[[ $(mt_out_field RLIMIT_STACK) == "$limit ($(human $limit))" ]]
	[[ $(mt_out_field 'page size') == "$ps" ]]
	pages=$(so_gap_pages)
	# The reason: stack_guard_gap= on /proc/cmdline, or the default.
	if grep -q '\(^\| \)stack_guard_gap=[0-9][0-9]*\( \|$\)' /proc/cmdline; then
		why="stack_guard_gap= on the kernel command line"
	else
		why="the kernel default"
	fi
	[[ $(mt_out_field 'guard gap') == \
		"$((pages * ps)) ($pages pages, $why)" ]]

	# [stack] now: what the try: command shows, and the figures. The
	# stack grows page by page (each frame is smaller than a page, so
	# every page is touched) until one more page would pass the limit.
	line=$(mt_maps_named "$MT_PID" '[stack]')
	lo=$((16#${line%%-*})) hi=${line%% *} hi=$((16#${hi#*-}))
	size=$((hi - lo))
	mt_try 2
	[[ $output == "$line" ]]
	[[ $(mt_out_field 'stack mapping') == "$(mt_hex $lo)-$(mt_hex $hi)" ]]
	[[ $(mt_out_field 'stack mapping size') == "$size ($(human $size))" ]]
	((size == limit / ps * ps))

	# The frames: each call wrote its number at the start of its array,
	# so the memory at the deepest frame holds the depth, one frame
	# above it the depth - 1; the first frame is depth - 1 frames up.
	depth=$(mt_out_field depth)
	frame=$(mt_out_field 'frame size')
	deepest=$(($(mt_out_field 'deepest frame')))
	first=$(($(mt_out_field 'first frame')))
	((depth > 1 && frame >= 1024 && frame < ps))
	((deepest >= lo && deepest < hi))
	mt_mem "$MT_PID" "$deepest" 8 >/dev/null ||
		skip "cannot read /proc/$MT_PID/mem (ptrace_scope above 1?)"
	(($(mt_mem_long "$MT_PID" "$deepest") == depth))
	(($(mt_mem_long "$MT_PID" $((deepest + frame))) == depth - 1))
	((first - deepest == (depth - 1) * frame))
	used=$((hi - deepest))
	[[ $(mt_out_field 'stack used') == "$used ($(human $used))" ]]
	# The next call did not fit: the deepest array is less than the
	# next frame (and the locals below the array, see below) above the
	# start of [stack].
	((size - used < 2 * frame))

	# The fault: below [stack], in no mapping, and the first access of
	# the next call below [stack]: its return address, its array, or at
	# -O0 its argument, saved below the array. That call's frame is the
	# `frame` bytes under the deepest call's, which start at most a frame
	# under the deepest array: so within two frames of that array (the
	# exact address is pinned by strace in another test). Well inside
	# the guard gap.
	fault=$(($(mt_out_field 'fault address')))
	((fault < lo && fault >= deepest - 2 * frame))
	mt_maps_line "$MT_PID" "$fault" 2>/dev/null && false
	(($(mt_out_field 'below stack') == lo - fault))
	((lo - fault < pages * ps))
	[[ $(mt_out_field si_code) == "SEGV_MAPERR (address not mapped)" ]]

	# The handler ran on the alternate stack, a 64 KiB anonymous mapping.
	alt=$(mt_out_field 'alternate stack')
	hs=$(($(mt_out_field 'handler stack')))
	((${alt#*-} - ${alt%-*} == 65536))
	((hs >= ${alt%-*} && hs < ${alt#*-}))
	read -r -a line <<<"$(mt_maps_line "$MT_PID" "$hs")"
	[[ ${line[1]} == rw-p && ${#line[@]} == 5 ]]
	mt_ult "${alt%-*}" "0x${line[0]%-*}" && false
	mt_ult "0x${line[0]#*-}" "${alt#*-}" && false

	grep -q "^The stack grew to $(human $size); RLIMIT_STACK allows \
$(human $limit)\. " "$MT_OUT"
	grep -q "^gap, the $(human $((pages * ps))) below \[stack\]" "$MT_OUT"
	mt_finish
	((MT_STATUS == 0))
}

@test "stack_overflow: help, bad options, closed and full descriptors" {
	# the usage line, the help, the error lines on stderr; [pause 1]
	mt_common_checks "$SO"
	mt_run 2 "$SO" extra
	[[ $stderr == "stack_overflow: unexpected argument 'extra'"* ]]
}

@test "stack_overflow: ulimit -s 1024, every figure against the process" {
	# every line of the report and both pauses, as so_check says
	so_check 1024
}

@test "stack_overflow: ulimit -s 8192, every figure against the process" {
	# every line of the report and both pauses, as so_check says
	so_check 8192
}

@test "stack_overflow: fault address and si_code as strace sees them" {
	# "fault address:", "si_code:"
	local addr
	strace -o /dev/null true 2>/dev/null ||
		skip "strace is missing or may not trace here"
	mt_run 0 bash -c 'ulimit -S -s 1024 && exec strace -qq -o "$1" \
		-e trace=none -e signal=SIGSEGV "$0"' "$SO" "$MT_TMP/trace"
	addr=$(sed -n 's/.*si_code=SEGV_MAPERR, si_addr=\(0x[0-9a-f]*\).*/\1/p' \
		"$MT_TMP/trace")
	[[ -n $addr ]]
	[[ $(sed -n 's/^fault address: //p' <<<"$output") == "$addr" ]]
	[[ $output == *$'\nsi_code: SEGV_MAPERR (address not mapped)\n'* ]]
}

@test "stack_overflow: /proc/self/maps larger than 64 KiB" {
	# every line, as in the other runs; maps itself is over 64 KiB
	local dir=$MT_TMP i libs=
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
		dir+=/$(printf 'd%.0s' {1..250})
	done
	mkdir -p "$dir"
	cp "$SO" "$dir/stack_overflow"
	echo 'int memtour_preload;' >"$MT_TMP/p.c"
	"${CC:-cc}" -shared -nostdlib -fPIC -o "$dir/p0.so" "$MT_TMP/p.c" ||
		skip "${CC:-cc} cannot build a shared object here"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		cp "$dir/p0.so" "$dir/p$i.so"
		libs+=$dir/p$i.so:
	done
	so_check 1024 env LD_PRELOAD="$libs" "$dir/stack_overflow"
	# so_check has finished the run; do it once more, to measure maps.
	mt_start env LD_PRELOAD="$libs" "$dir/stack_overflow"
	mt_wait_pause 1
	(($(wc -c <"/proc/$MT_PID/maps") > 65536))
	mt_finish
}

@test "stack_overflow: an unlimited stack is lowered to 64 MiB" {
	# the "RLIMIT_STACK is unlimited" line, "RLIMIT_STACK:", "stack
	# mapping size:"; /proc/PID/limits
	[[ $(ulimit -H -s) == unlimited ]] ||
		skip "hard RLIMIT_STACK is $(ulimit -H -s) KiB, not unlimited"
	mt_start bash -c 'ulimit -S -s unlimited && exec "$0"' "$SO"
	mt_wait_pause 1
	mt_resume
	mt_wait_pause 2 60
	[[ $(awk '/^Max stack size/ { print $4 }' "/proc/$MT_PID/limits") == \
		$((64 << 20)) ]]
	[[ $(mt_out_field 'stack mapping size') == "$((64 << 20)) (64 MiB)" ]]
	mt_finish
	((MT_STATUS == 0))
	grep -qx "RLIMIT_STACK is unlimited: this demo lowers its own soft $(
		)limit to 64 MiB." "$MT_OUT"
	[[ $(mt_out_field RLIMIT_STACK) == "$((64 << 20)) (64 MiB)" ]]
}

@test "stack_overflow --no-handler: the kernel kills it (status 139)" {
	# the "no handler:" lines; no report
	mt_run 139 bash -c 'ulimit -c 0; ulimit -S -s 1024; exec "$0" \
		--no-handler' "$SO"
	[[ $output == *'RLIMIT_STACK: 1048576 (1 MiB)'* ]]
	[[ $output == *$'\nno handler: the kernel will kill this process'* ]]
	[[ $output != *'fault address:'* && $output != *'alternate stack'* ]]
}
