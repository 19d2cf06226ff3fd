#!/usr/bin/env bats
# tests/layout.bats - layout/layout against the kernel's and binutils' view:
# /proc/PID/maps and /proc/PID/auxv read while layout is paused, nm, size,
# readelf -S/-l/-h on the binary; then layout/stack_overflow and layout/aslr,
# against /proc/PID/{maps,limits,personality}, randomize_va_space,
# /proc/cmdline and readelf.

# bats' run sets $output, $stderr, $status; single quotes around bash -c
# scripts are meant: "$0"/"$1" expand in the inner shell.
# shellcheck disable=SC2154,SC2016,SC2030,SC2031,SC2004
load helpers

LAYOUT=$MT_TOP/layout/layout

# Every object the table must show, by its "what" column.
WHATS=("ELF header" "main()" "etext-1" "string literal" "const global"
	"data segment" "init global" "static local" "edata-1" "uninit global"
	"end-1" "malloc(32)" "sbrk(0)-1" "malloc(1 MiB)" "printf()"
	"local var" "argv[0]" "environ[0]" "vDSO (auxv)")

# Split the table of $MT_OUT (a header line, the rows, an empty line;
# lines in parentheses are notes) into arrays indexed by the "what" column:
# ADDR RANGE PERMS NAME.
parse_rows() {
	local line k what
	local -a fl
	declare -gA ADDR=() RANGE=() PERMS=() NAME=()
	ROWS=0
	while IFS= read -r line; do
		read -r -a fl <<<"$line"
		k=${#fl[@]}
		what=${fl[*]:2:k-5}
		ADDR[$what]=${fl[1]}
		RANGE[$what]=${fl[k-3]}
		PERMS[$what]=${fl[k-2]}
		NAME[$what]=${fl[k-1]}
		ROWS=$((ROWS + 1))
	done < <(awk 'NR == 1 || /^\(/ { next } /^$/ { exit } { print }' \
		"$MT_OUT")
}

# The name layout should print for a maps line: basename of the path,
# [heap]/[stack]/..., or "anonymous" when the line has no path.
maps_name() {
	local path
	read -r _ _ _ _ _ path <<<"$1"
	if [[ -z $path ]]; then
		echo anonymous
	elif [[ $path == \[* ]]; then
		echo "$path"
	else
		echo "${path##*/}"
	fi
}

# The maps line of the first mapping of PID's executable (offset 0).
exe_first_line() {
	local exe
	exe=$(readlink "/proc/$1/exe")
	awk -v p="$exe" '$6 == p && $3 ~ /^0+$/ { print; exit }' \
		"/proc/$1/maps"
}

# Address and size (hex, no 0x) of section $2 of binary $1, and its
# alignment: readelf -SW split on whitespace ("[ 1]" can be two fields).
section() {
	LC_ALL=C readelf -SW "$1" | awk -v s="$2" '{
		for (i = 1; i <= NF; i++)
			if ($i == s) { print $(i + 2), $(i + 4), $NF; exit }
	}'
}

# nm value (hex) and type letter of the first symbol matching regex $1 in
# $NM (the output of nm on the binary under test).
nm_sym() {
	awk -v s="$1" '$3 ~ s { print $1, $2; exit }' <<<"$NM"
}

# Check that addr $1 (0x...) lies in section $2 of binary $3 + bias $4.
in_section() {
	local lo size
	read -r lo size _ <<<"$(section "$3" "$2")"
	[[ -n $lo ]] || { echo "no section $2 in $3" >&2; return 1; }
	lo=$((16#$lo + $4))
	size=$((16#$size))
	if mt_ult "$1" "$lo" || ! mt_ult "$1" $((lo + size)); then
		echo "$1 is not in $2 [$(mt_hex $lo), +$size)" >&2
		return 1
	fi
}

# Run binary $1 paused and check what it says about itself against nm,
# size and readelf on the same binary plus the load base from maps.
check_symbols() {
	local bin=$1 line base start bias v sym t want got s lo size al
	local dsz bsz gaps prev_end etext before after tsz hdrs

	mt_start "$bin"
	mt_wait_pause 1
	parse_rows
	NM=$(nm "$bin")

	# The load base is where the kernel mapped the file's first page.
	line=$(exe_first_line "$MT_PID")
	[[ -n $line ]]
	base=$((16#${line%%-*}))
	[[ $(mt_out_field "load base") == "$(mt_hex "$base")" ]]
	read -r v t <<<"$(nm_sym '^__executable_start$')"
	start=$((16#$v))
	bias=$((base - start))
	if LC_ALL=C readelf -hW "$bin" | grep -q 'Type:[[:space:]]*DYN'; then
		[[ $(mt_out_field executable) == PIE ]]
		((start == 0))		# nm values are offsets from the base
	else
		[[ $(mt_out_field executable) == non-PIE ]]
		((bias == 0))		# linked at its final address
	fi

	# etext, edata, end: nm plus the load base.
	for sym in etext edata end; do
		read -r v t <<<"$(nm_sym "^$sym\$")"
		want=$(mt_hex $((16#$v + bias)))
		got=$(mt_out_field "$sym")
		[[ $got == "$want" ]] || {
			echo "$sym: layout $got, nm+base $want" >&2
			false
		}
	done
	read -r v t <<<"$(nm_sym '^etext$')"
	got=$(mt_out_field "text to etext")
	got=${got%% *}
	((got == 16#$v - start))

	# What layout's note says of size's "text" against etext - load
	# base: size adds up the allocated read-only sections (readelf -S:
	# flag A, no W). Those below etext, plus the ELF and program
	# headers and padding, make up etext - load base; those above it
	# (.rodata, .eh_frame ...) only size counts. Either can be larger.
	etext=$((16#$v)) before=0 after=0
	while read -r lo size; do
		if ((16#$lo < etext)); then
			before=$((before + 16#$size))
		else
			after=$((after + 16#$size))
		fi
	done < <(LC_ALL=C readelf -SW "$bin" | awk '{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^\./)
				break
		if (i < NF && $(i + 6) ~ /A/ && $(i + 6) !~ /W/)
			print $(i + 2), $(i + 4)
	}')
	read -r tsz _ <<<"$(size "$bin" | tail -n 1)"
	((before + after == tsz)) || {
		echo "size text $tsz, read-only sections $before+$after" >&2
		false
	}
	read -r lo _ <<<"$(section "$bin" .rodata)"
	((after > 0 && 16#$lo >= etext))
	hdrs=$(LC_ALL=C readelf -hW "$bin" | awk -F: '
		/Start of program headers/ { o = $2 + 0 }
		/Size of program headers/ { s = $2 + 0 }
		/Number of program headers/ { n = $2 + 0 }
		END { print o + s * n }')
	((hdrs > 0 && got - before >= hdrs && got != tsz))

	# The named objects: nm address and type letter (R rodata, D/d data,
	# B bss), and the section readelf says they are in.
	# (gcc names the static local static_local.N, clang main.static_local)
	for s in "main():^main$:T" "const global:^const_global$:R" \
		"init global:^init_global$:D" \
		"uninit global:^uninit_global$:B" \
		"static local:static_local:d"; do
		IFS=: read -r want sym t <<<"$s"
		read -r v got <<<"$(nm_sym "$sym")"
		[[ $got == "$t" ]]
		[[ ${ADDR[$want]} == "$(mt_hex $((16#$v + bias)))" ]]
	done
	in_section "${ADDR[main()]}" .text "$bin" "$bias"
	in_section "${ADDR[string literal]}" .rodata "$bin" "$bias"
	in_section "${ADDR[const global]}" .rodata "$bin" "$bias"
	in_section "${ADDR[init global]}" .data "$bin" "$bias"
	in_section "${ADDR[uninit global]}" .bss "$bin" "$bias"

	# The writable PT_LOAD segment: readelf -l ("RW" is one field; "R E"
	# would be two, but VirtAddr is always the third).
	v=$(LC_ALL=C readelf -lW "$bin" |
		awk '$1 == "LOAD" && $7 ~ /W/ { print $3; exit }')
	[[ $(mt_out_field "data segment") == "$(mt_hex $((v + bias)))" ]]

	# Sizes against size(1) (Berkeley format: text data bss).
	read -r _ dsz bsz _ <<<"$(size "$bin" | tail -n 1)"
	# data: size adds up the writable sections with contents; layout
	# measures edata - segment start, which also holds the padding ld
	# puts between those sections (alignment, and GNU ld's padding that
	# ends RELRO on a page boundary: 24 bytes with gcc's PIE here).
	# So the tolerance is exactly that padding, read from readelf -S,
	# and it must stay under one page.
	gaps=0 prev_end=
	while read -r lo size; do
		lo=$((16#$lo))
		[[ -z $prev_end ]] || gaps=$((gaps + lo - prev_end))
		prev_end=$((lo + 16#$size))
	done < <(LC_ALL=C readelf -SW "$bin" | awk '{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^\./)
				break
		# Name Type Address Off Size ES Flg Lk Inf Al
		if (i < NF && $(i + 6) ~ /W/ && $(i + 6) ~ /A/ &&
		    $(i + 6) !~ /T/ && $(i + 1) != "NOBITS")
			print $(i + 2), $(i + 4)
	}' | sort)
	got=$(mt_out_field "data size")
	got=${got%% *}
	((got == dsz + gaps)) || {
		echo "data size: layout $got, size $dsz + padding $gaps" >&2
		false
	}
	((gaps >= 0 && gaps < $(mt_pagesize)))
	# bss: size gives the .bss section size; end - edata adds the
	# alignment padding before .bss (< its alignment) and ld's ALIGN(8)
	# before end: 0 <= difference < alignment of .bss + 8.
	read -r _ _ al <<<"$(section "$bin" .bss)"
	got=$(mt_out_field "bss size")
	got=${got%% *}
	((got >= bsz && got - bsz < al + 8)) || {
		echo "bss size: layout $got, size $bsz, .bss align $al" >&2
		false
	}

	mt_finish
	((MT_STATUS == 0))
}

@test "layout: --help exits 0, bad usage exits 2 with a message" {
	run -0 "$LAYOUT" --help
	[[ $output == usage:* ]]
	[[ $output == *--svg* && $output == *--step* ]]
	run -2 --separate-stderr "$LAYOUT" --bogus
	[[ -z $output ]]
	[[ $stderr == "layout: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$LAYOUT" extra
	[[ $stderr == "layout: too many arguments"* ]]
	run -2 --separate-stderr "$LAYOUT" --svg
	[[ $stderr == "layout: option '--svg' needs an argument"*usage:* ]]
	run -2 --separate-stderr "$LAYOUT" --force
	[[ $stderr == layout:* ]]
}

@test "layout: every row lies in the /proc/PID/maps line it names" {
	local w line m
	mt_start "$LAYOUT"
	mt_wait_pause 1
	parse_rows
	for w in "${WHATS[@]}"; do
		[[ -n ${ADDR[$w]:-} ]] || { echo "no row '$w'" >&2; false; }
	done
	((ROWS == ${#WHATS[@]}))
	for w in "${!ADDR[@]}"; do
		line=$(mt_maps_line "$MT_PID" "${ADDR[$w]}")
		read -r -a m <<<"$line"
		[[ ${RANGE[$w]} == "${m[0]}" && ${PERMS[$w]} == "${m[1]}" &&
			${NAME[$w]} == "$(maps_name "$line")" ]] || {
			echo "row '$w' ${ADDR[$w]}: ${RANGE[$w]}" \
				"${PERMS[$w]} ${NAME[$w]}; maps: $line" >&2
			false
		}
	done
	mt_finish
	((MT_STATUS == 0))
}

@test "layout: text < data < bss < heap < stack; heap, mmap, stack, vdso" {
	local lo hi ps brk line auxv w range lib v
	local -a m
	mt_start "$LAYOUT"
	mt_wait_pause 1
	parse_rows
	mt_ult "${ADDR[main()]}" "${ADDR[init global]}"
	mt_ult "${ADDR[init global]}" "${ADDR[uninit global]}"
	mt_ult "${ADDR[uninit global]}" "${ADDR[malloc(32)]}"
	mt_ult "${ADDR[malloc(32)]}" "${ADDR[local var]}"
	mt_ult "${ADDR[etext-1]}" "${ADDR[string literal]}"

	# The small malloc and the byte below the break are in [heap]; the
	# break is the end of [heap] rounded up to a page.
	[[ $(mt_maps_line "$MT_PID" "${ADDR[malloc(32)]}") == *" [heap]" ]]
	line=$(mt_maps_line "$MT_PID" "${ADDR[sbrk(0)-1]}")
	[[ $line == *" [heap]" ]]
	brk=$(($(mt_out_field break)))
	((${ADDR[sbrk(0)-1]} == brk - 1))
	ps=$(mt_pagesize)
	range=${line%% *}
	hi=$((16#${range#*-}))
	((hi == (brk + ps - 1) / ps * ps))

	# The 1 MiB malloc: an anonymous mapping (no path) outside [heap],
	# at least 1 MiB long.
	line=$(mt_maps_line "$MT_PID" "${ADDR[malloc(1 MiB)]}")
	read -r -a m <<<"$line"
	((${#m[@]} == 5))
	lo=$((16#${m[0]%-*})) hi=$((16#${m[0]#*-}))
	((hi - lo >= 1024 * 1024))
	[[ ${m[1]} == rw-p ]]

	# printf is executable code of libc: the library's load base (its
	# mapping at file offset 0) plus printf's value in nm -D.
	line=$(mt_maps_line "$MT_PID" "${ADDR[printf()]}")
	[[ $line == *" r-xp "* && $line == */libc[.-]* ]]
	lib=${line##* }
	lo=$(awk -v p="$lib" '$6 == p && $3 ~ /^0+$/ {
		sub(/-.*/, "", $1); print $1; exit }' "/proc/$MT_PID/maps")
	v=$(nm -D --defined-only "$lib" |
		awk '$3 ~ /^printf(@|$)/ { print $1; exit }')
	[[ -n $lo && -n $v ]]
	((${ADDR[printf()]} == 16#$lo + 16#$v))

	# argv[0] and environ[0]: in [stack], above the local variable.
	for w in "local var" "argv[0]" "environ[0]"; do
		[[ $(mt_maps_line "$MT_PID" "${ADDR[$w]}") == *" [stack]" ]]
	done
	mt_ult "${ADDR[local var]}" "${ADDR[argv[0]]}"
	mt_ult "${ADDR[argv[0]]}" "${ADDR[environ[0]]}"
	# The kernel's own record of where it copied them at exec: fields
	# 48 arg_start and 50 env_start of /proc/PID/stat.
	(($(mt_stat_field "$MT_PID" 48) == ${ADDR[argv[0]]}))
	(($(mt_stat_field "$MT_PID" 50) == ${ADDR[environ[0]]}))

	# vDSO: the start of [vdso], and AT_SYSINFO_EHDR (33 = 0x21) in the
	# auxiliary vector the kernel gave the process.
	line=$(mt_maps_named "$MT_PID" "[vdso]")
	[[ ${ADDR[vDSO (auxv)]} == "0x${line%%-*}" ]]
	auxv=$(od -An -v -tx8 -w16 "/proc/$MT_PID/auxv" |
		awk '$1 ~ /^0*21$/ { sub(/^0+/, "", $2); print $2; exit }')
	[[ ${ADDR[vDSO (auxv)]} == "0x$auxv" ]]
	mt_finish
	((MT_STATUS == 0))
}

@test "layout: etext/edata/end, sizes agree with nm, size, readelf (PIE)" {
	check_symbols "$LAYOUT"
}

@test "layout: the same checks hold for a -no-pie build" {
	local bin=$BATS_TEST_TMPDIR/layout-nopie
	"${CC:-cc}" -std=gnu11 -O2 -fno-pie -no-pie -o "$bin" \
		"$MT_TOP/layout/layout.c" 2>/dev/null ||
		skip "${CC:-cc} cannot build with -fno-pie -no-pie here"
	LC_ALL=C readelf -hW "$bin" | grep -q 'Type:[[:space:]]*EXEC' ||
		skip "-no-pie still gave a PIE (toolchain default)"
	check_symbols "$bin"
	# With -fno-pie, &printf would be the PLT stub in the binary: layout
	# must still find libc's code.
	[[ ${NAME[printf()]} == *.so* ]]
}

@test "layout --map: high addresses first, every mapping and gap drawn" {
	local -a printed
	local n lo hi prev='' gaps=0 range
	mt_start "$LAYOUT" --map
	mt_wait_pause 1
	mapfile -t printed < <(grep -o '^0x[0-9a-f]*' "$MT_OUT")
	((${#printed[@]} >= 2))
	for ((n = 1; n < ${#printed[@]}; n++)); do
		mt_ult "${printed[n]}" "${printed[n - 1]}" || {
			echo "not descending: ${printed[*]:n-1:2}" >&2
			false
		}
	done
	# Each maps line is one box whose two borders carry its addresses;
	# a gap line sits between mappings that do not touch.
	while read -r range _; do
		lo=$((16#${range%-*})) hi=$((16#${range#*-}))
		[[ " ${printed[*]} " == *" $(mt_hex "$lo") "* ]]
		[[ " ${printed[*]} " == *" $(mt_hex "$hi") "* ]]
		[[ -z $prev ]] || ((prev == lo)) || gaps=$((gaps + 1))
		prev=$hi
	done <"/proc/$MT_PID/maps"
	(($(grep -c '^ *| ' "$MT_OUT") == $(wc -l <"/proc/$MT_PID/maps")))
	(($(grep -c '^ *: *gap ' "$MT_OUT") == gaps))
	mt_finish
	((MT_STATUS == 0))
}

@test "layout --svg: well-formed SVG; never overwrites a file unasked" {
	local f=$BATS_TEST_TMPDIR/map.svg keep=$BATS_TEST_TMPDIR/keep.svg
	well_formed() {
		if command -v xmllint >/dev/null; then
			xmllint --noout "$1"
		else
			grep -q '<svg ' "$1" &&
				[[ $(tail -n 1 "$1") == '</svg>' ]]
		fi
	}
	run -0 "$LAYOUT" --svg "$f"
	well_formed "$f"
	grep -q '\[heap\]' "$f"
	grep -q '\[stack\]' "$f"

	printf 'not an svg\n' >"$keep"
	cp "$keep" "$keep.orig"
	run -1 --separate-stderr "$LAYOUT" --svg "$keep"
	[[ $stderr == *"$keep exists"*--force* ]]
	[[ -z $output ]]
	cmp "$keep" "$keep.orig"

	run -0 "$LAYOUT" --svg "$keep" --force
	well_formed "$keep"

	# A file that cannot be made: the error comes before any output.
	run -1 --separate-stderr "$LAYOUT" --svg "$f.nodir/x.svg"
	[[ -z $output && $stderr == "layout: $f.nodir/x.svg: "* ]]
}

@test "layout --step: the pause gives a ready command; kind matches ELF" {
	local cmd kind
	mt_start "$LAYOUT"
	mt_wait_pause 1
	cmd=$(mt_pause_line 1)
	[[ $cmd == "[pause 1] pid $MT_PID: "*"try: cat /proc/$MT_PID/maps" ]]
	# shellcheck disable=SC2086 # the command is split into words
	run -0 ${cmd##*try: }
	[[ $output == *"[stack]"* ]]
	# The kind: ELF type DYN is position independent, EXEC is not.
	kind=$(LC_ALL=C readelf -hW "$LAYOUT" |
		awk '$1 == "Type:" { print $2 }')
	[[ $kind == DYN || $kind == EXEC ]]
	[[ $kind == DYN && $(mt_out_field executable) == PIE ||
		$kind == EXEC && $(mt_out_field executable) == non-PIE ]]
	mt_finish
	((MT_STATUS == 0))
}

# ---------------------------------------------------------------------------
# layout/stack_overflow and layout/aslr
# ---------------------------------------------------------------------------
SO=$MT_TOP/layout/stack_overflow
ASLR=$MT_TOP/layout/aslr

# --- stack_overflow -----------------------------------------------------

# The stack guard gap in bytes, read by the test itself: stack_guard_gap=N
# (pages) on the kernel command line, else the kernel default of 256 pages.
so_guard_gap() {
	local pages
	pages=$(grep -o '\bstack_guard_gap=[0-9]*' /proc/cmdline | cut -d= -f2)
	echo $((${pages:-256} * $(mt_pagesize)))
}

# Run stack_overflow under `ulimit -s KIB`, stop at the pause after the
# fault, and check every figure against /proc/PID/{maps,limits}.
so_check_limit() {
	local kib=$1 limit=$(($1 * 1024)) line range lo hi lim used size
	local fault below gap depth frame hstack alt

	mt_start bash -c 'ulimit -S -s "$1" && exec "$0" --step' "$SO" "$kib"
	mt_wait_pause 1
	# Before recursing: the printed [stack] line is the kernel's.
	line=$(mt_maps_named "$MT_PID" '[stack]')
	range=${line%% *}
	[[ $(mt_out_field 'stack mapping before' | cut -d' ' -f1) == \
		"0x${range%-*}-0x${range#*-}" ]]
	mt_resume
	mt_wait_pause 2

	# The test's own reads, while the program is stopped after the fault.
	line=$(mt_maps_named "$MT_PID" '[stack]')
	range=${line%% *}
	lo=$((16#${range%-*}))
	hi=$((16#${range#*-}))
	lim=$(awk '/^Max stack size/ { print $4 }' "/proc/$MT_PID/limits")
	gap=$(so_guard_gap)

	# RLIMIT_STACK: what the shell set, as the kernel reports it.
	[[ $lim == "$limit" ]]
	[[ $(mt_out_field RLIMIT_STACK | cut -d' ' -f1) == "$limit" ]]
	[[ $(mt_out_field 'guard gap' | cut -d' ' -f1) == "$gap" ]]
	[[ $(mt_out_field 'page size') == "$(mt_pagesize)" ]]

	# The [stack] mapping printed is the one in /proc/PID/maps, and it
	# grew to within 10% of the limit, never past it.
	[[ $(mt_out_field 'stack mapping') == "0x${range%-*}-0x${range#*-}" ]]
	size=$((hi - lo))
	(( size <= limit && size * 10 >= limit * 9 ))
	[[ $(mt_out_field 'stack mapping size' | cut -d' ' -f1) == "$size" ]]

	# Stack used: within 10% of the limit and inside the mapping.
	used=$(mt_out_field 'stack used' | cut -d' ' -f1)
	(( used <= size && used * 10 >= limit * 9 ))

	# depth * frame size accounts for the stack used (within 10%).
	depth=$(mt_out_field depth)
	frame=$(mt_out_field 'frame size')
	(( depth > 0 && frame >= 1024 ))
	(( depth * frame <= used && depth * frame * 10 >= used * 9 ))
	# The deepest frame is less than one more frame above the start of
	# [stack]: the next one did not fit.
	(( size - used < 2 * frame ))

	# The fault address: below [stack], no mapping holds it, and it lies
	# within the guard gap.
	fault=$(($(mt_out_field 'fault address')))
	(( fault < lo && lo - fault < gap ))
	run ! mt_maps_line "$MT_PID" "$fault"
	below=$(mt_out_field 'below stack')
	(( below == lo - fault ))
	[[ $(mt_out_field si_code) == "SEGV_MAPERR (1)" ]]

	# The handler ran on the alternate stack: a mapping of its own,
	# not [stack].
	hstack=$(mt_out_field 'handler stack')
	alt=$(mt_out_field 'alternate stack')
	line=$(mt_maps_line "$MT_PID" "${alt%-*}")
	range=${line%% *}
	[[ $line == *' rw-p '* && $line != *'[stack]'* ]]
	(( 16#${range#*-} >= ${alt#*-} ))
	(( hstack >= ${alt%-*} && hstack < ${alt#*-} ))

	mt_finish
	(( MT_STATUS == 0 ))
}

@test "stack_overflow: --help exits 0 and explains" {
	run -0 "$SO" --help
	[[ $output == usage:* ]]
	[[ $output == *RLIMIT_STACK* ]]
}

@test "stack_overflow: unknown option or argument exits 2" {
	run -2 --separate-stderr "$SO" --bogus
	[[ -z $output ]]
	[[ $stderr == "stack_overflow: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$SO" extra
	[[ $stderr == "stack_overflow: unexpected argument 'extra'"* ]]
}

@test "stack_overflow: ulimit -s 1024, figures match /proc/PID/maps" {
	so_check_limit 1024
}

@test "stack_overflow: ulimit -s 8192, figures match /proc/PID/maps" {
	so_check_limit 8192
}

@test "stack_overflow: unlimited stack is capped at 64 MiB, as limits say" {
	local used
	[[ $(ulimit -H -s) == unlimited ]] ||
		skip "hard RLIMIT_STACK is $(ulimit -H -s) KiB, not unlimited"
	mt_start bash -c 'ulimit -S -s unlimited && exec "$0"' "$SO"
	mt_wait_pause 1
	# The program lowered its own soft limit: the kernel says so too.
	[[ $(awk '/^Max stack size/ { print $4 }' \
		"/proc/$MT_PID/limits") == $((64 << 20)) ]]
	mt_finish
	(( MT_STATUS == 0 ))
	grep -q '^RLIMIT_STACK is unlimited: ' "$MT_OUT"
	[[ $(mt_out_field RLIMIT_STACK | cut -d' ' -f1) == $((64 << 20)) ]]
	used=$(mt_out_field 'stack used' | cut -d' ' -f1)
	(( used <= 64 << 20 && used * 10 >= (64 << 20) * 9 ))
}

@test "stack_overflow: --no-handler is killed by SIGSEGV (status 139)" {
	run -139 bash -c 'ulimit -c 0; ulimit -S -s 1024; exec "$0" \
		--no-handler' "$SO"
	[[ $output == *'RLIMIT_STACK: 1048576 '* ]]
	[[ $output == *'no handler:'* ]]
	[[ $output != *'fault address:'* ]]
}

# --- aslr ----------------------------------------------------------------

# aslr_row KIND: "run1 run2 moved" from the table.
aslr_row() {
	awk -v k="$1" '$1 == k && NF == 4 { print $2, $3, $4 }' "$MT_OUT"
}

# Check that ADDR of kind KIND lies in the right mapping of process PID.
aslr_check_kind() {
	local pid=$1 kind=$2 addr=$3 exe=$4 range perms inode path
	read -r range perms _ _ inode path < \
		<(mt_maps_line "$pid" "$addr")
	[[ -n $range ]]
	case $kind in
	text)	[[ $perms == r-xp && $path == "$exe" ]] ;;
	data)	[[ $perms == rw-p && $path == "$exe" ]] ;;
	heap)	[[ $path == '[heap]' ]] ;;
	stack)	[[ $path == '[stack]' ]] ;;
	library) [[ $perms == r-xp && $path == */libc[.-]* ]] ;;
	mmap)	[[ $perms == rw-p && -z $path && $inode == 0 ]] ;;
	vdso)	[[ $path == '[vdso]' ]] ;;
	*)	false ;;
	esac
}

@test "aslr: --help exits 0 and explains" {
	run -0 "$ASLR" --help
	[[ $output == usage:* ]]
	[[ $output == *randomize_va_space* ]]
}

@test "aslr: unknown option or argument exits 2" {
	run -2 --separate-stderr "$ASLR" --bogus
	[[ -z $output ]]
	[[ $stderr == "aslr: unknown option '--bogus'"*usage:* ]]
	run -2 --separate-stderr "$ASLR" extra
	[[ $stderr == "aslr: unexpected argument 'extra'"* ]]
}

@test "aslr: each address lies in its kind of mapping in the live child" {
	local exe n kind addr child row
	exe=$(readlink -f "$ASLR")
	mt_start "$ASLR" --step
	for n in 1 2; do
		mt_wait_pause "$n"
		child=$(mt_out_field "run$n pid")
		[[ $(mt_pause_line "$n") == *"/proc/$child/maps"* ]]
		for kind in text data heap stack library mmap vdso; do
			addr=$(mt_out_field "run$n $kind")
			[[ $addr == 0x* ]]
			aslr_check_kind "$child" "$kind" "$addr" "$exe"
		done
		# The parent's personality line matches the kernel's.
		[[ $(mt_out_field personality | cut -d' ' -f1) == 0x$(sed \
			's/^0*//; s/^$/0/' "/proc/$MT_PID/personality") ]]
		mt_resume
	done
	mt_finish
	(( MT_STATUS == 0 ))
	# The table repeats what each run printed.
	for kind in text data heap stack library mmap vdso; do
		row=$(aslr_row "$kind")
		[[ ${row% *} == "$(mt_out_field "run1 $kind") $(mt_out_field \
			"run2 $kind")" ]]
	done
}

@test "aslr: randomize_va_space and pie match the file and readelf" {
	local type
	run -0 "$ASLR"
	[[ $(sed -n 's/^randomize_va_space: \([0-9]*\).*/\1/p' <<<"$output") \
		== "$(cat /proc/sys/kernel/randomize_va_space)" ]]
	type=$(LC_ALL=C readelf -hW "$ASLR" | awk '$1 == "Type:" { print $2 }')
	[[ -n $type ]]
	if [[ $type == DYN ]]; then
		[[ $output == *$'\npie: yes '* ]]
	else
		[[ $output == *$'\npie: no '* ]]
	fi
}

@test "aslr: with randomize_va_space 2, the two runs' stacks differ" {
	local rvs persona
	rvs=$(cat /proc/sys/kernel/randomize_va_space)
	[[ $rvs == 2 ]] || skip "randomize_va_space is $rvs, not 2"
	persona=$((16#$(cat /proc/$$/personality)))
	(( (persona & 0x0040000) == 0 )) ||
		skip "this shell runs with ADDR_NO_RANDOMIZE (setarch -R?)"
	MT_OUT=$BATS_TEST_TMPDIR/out
	"$ASLR" >"$MT_OUT"
	read -r r1 r2 moved < <(aslr_row stack)
	[[ $r1 == 0x* && $r2 == 0x* && $r1 != "$r2" && $moved == yes ]]
	read -r r1 r2 moved < <(aslr_row mmap)
	[[ $r1 != "$r2" && $moved == yes ]]
}

# All rows equal in both runs, as the test compares them itself.
aslr_all_equal() {
	local kind r1 r2 moved
	for kind in text data heap stack library mmap vdso; do
		read -r r1 r2 moved < <(aslr_row "$kind")
		[[ $r1 == 0x* && $r1 == "$r2" && $moved == no ]]
	done
	[[ $(mt_out_field moved) == "0 of 7" ]]
}

@test "aslr: --no-aslr runs the children unrandomised: all equal" {
	local child
	mt_start "$ASLR" --no-aslr
	mt_wait_pause 1
	if grep -q '^no-aslr: refused' "$MT_OUT"; then
		mt_finish
		grep -q 'seccomp' "$MT_OUT"
		skip "personality(ADDR_NO_RANDOMIZE) refused here"
	fi
	# The kernel's view of the held child: ADDR_NO_RANDOMIZE is set.
	child=$(mt_out_field 'run1 pid')
	(( (16#$(cat "/proc/$child/personality") & 0x0040000) != 0 ))
	mt_finish
	(( MT_STATUS == 0 ))
	aslr_all_equal
}

@test "aslr: under setarch -R all addresses are equal" {
	setarch -R true 2>/dev/null ||
		skip "setarch -R is refused here (seccomp forbids personality)"
	MT_OUT=$BATS_TEST_TMPDIR/out
	setarch -R "$ASLR" >"$MT_OUT"
	grep -q '^personality: 0x40000 (ADDR_NO_RANDOMIZE set' "$MT_OUT"
	aslr_all_equal
}
