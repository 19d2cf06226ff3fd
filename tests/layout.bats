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
	for w in "init global" "static local" "edata-1" "uninit global"; do
		[[ ${PERMS[$w]} == rw-p && ${NAME[$w]} == "${exe##*/}" ]]
	done
	[[ ${PERMS[end-1]} == rw-p ]]
	[[ ${NAME[end-1]} == "${exe##*/}" || ${NAME[end-1]} == anonymous ]]

	# What the process's memory holds at the printed addresses.
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
	mt_common_checks "$LAYOUT"
	mt_run 2 "$LAYOUT" extra
	[[ $stderr == "layout: unexpected argument 'extra'"* ]]
}

@test "layout: every row, region and boundary against maps, nm, readelf, mem" {
	# parses the table and the "name: value" lines below it
	check_layout "$LAYOUT"
}

@test "layout: the same checks hold for a -no-pie build" {
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
