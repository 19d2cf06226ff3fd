#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# tests/elf.bats - elf/elfinfo against binutils' readelf, field by field, on
# every ELF in elf/, a .o and a .so built here, and a sample of the system's
# programs and libraries; elfinfo on truncated and corrupted files (and the
# same under the address and undefined-behaviour sanitizers); elf/elfload's
# mappings against /proc/PID/maps at its pause, its programs' output against
# a direct run, its one execve under strace; elf/startup against stat,
# readelf -d and the child's /proc/PID/maps; elf/hello against nm and maps.

# $output, $stderr, $lines, $status come from mt_run; single quotes around
# bash -c scripts are meant.
# shellcheck disable=SC2154,SC2016
load helpers

ELFINFO=$MT_TOP/elf/elfinfo
ELFLOAD=$MT_TOP/elf/elfload
STARTUP=$MT_TOP/elf/startup
HELLO=$MT_TOP/elf/hello
HELLO_STATIC=$MT_TOP/elf/hello_static

# --- normalised facts ---------------------------------------------------------
# One line per fact, the same line from readelf -hlSdW (norm_readelf) and from
# elfinfo -H -l -S -d (norm_elfinfo), so that `diff` compares field by field
# on whitespace, never by columns. Hex numbers lose 0x and leading zeros.
#   class C | type T | machine M | version V | entry E | phoff | shoff | flags
#   ehsize | phentsize | phnum | shentsize | shnum | shstrndx
#   segment I TYPE OFFSET VADDR FILESZ MEMSZ FLAGS ALIGN
#   interpreter PATH | insegment I SECTION...
#   section I [NAME] TYPE ADDRESS OFFSET SIZE [FLAGS]
#   magic BYTES | data little endian | osabi N
#   ptable PHNUM PHOFF | stable SHNUM SHOFF (elfinfo's table headings)
#   dynamic N entries at OFFSET | dyn TAG VALUE (every entry; strings bare,
#   sizes without "(bytes)", hex without 0x, FLAGS and FLAGS_1 as their
#   bits in hex, from readelf's names of them summed, then the names)
NORM_AWK_COMMON='
function h(x) { sub(/^0x/, "", x); sub(/^0+/, "", x); return x == "" ? "0" : tolower(x) }
function ishex(x, n) { return x ~ /^[0-9a-f]+$/ && (n == 0 || length(x) == n) }
# A section row after its "[ N]": NAME TYPE ADDRESS OFFSET SIZE [ES] [FLAGS]...
# The address is the first 8- or 16-digit hex word followed by two more hex
# words; what stands before it is the name and the type.
function secrow(idx, rest, es,    t, n, k, i, name, type, fl) {
	n = split(rest, t, " ")
	for (k = 1; k <= n; k++)
		if ((ishex(t[k], 16) || ishex(t[k], 8)) && ishex(t[k + 1], 0) &&
		    ishex(t[k + 2], 0))
			break
	if (k > n || k < 2) { print f " unparsed section " idx ": " rest; return }
	name = ""
	for (i = 1; i < k - 1; i++) name = name (i > 1 ? " " : "") t[i]
	type = t[k - 1]
	fl = ""
	i = k + 3 + es
	if (es && n - i + 1 == 4) fl = t[i]
	if (!es && n >= i) fl = t[i]
	print f " section " idx " [" name "] " type " " h(t[k]) " " h(t[k + 1]) \
		" " h(t[k + 2]) " [" fl "]"
}
# The bits of FLAGS or FLAGS_1 (tag) from the names in words w[i..n], in hex.
function dflags(tag, w, i, n,    k, m, names, v, bit) {
	if (tag == "FLAGS") m = split("ORIGIN SYMBOLIC TEXTREL BIND_NOW STATIC_TLS", names, " ")
	else m = split("NOW GLOBAL GROUP NODELETE LOADFLTR INITFIRST NOOPEN ORIGIN " \
		"DIRECT TRANS INTERPOSE NODEFLIB NODUMP CONFALT ENDFILTEE DISPRELDNE " \
		"DISPRELPND NODIRECT IGNMULDEF NOKSYMS NOHDR EDITED NORELOC " \
		"SYMINTPOSE GLOBAUDIT SINGLETON STUB PIE KMOD WEAKFILTER NOCOMMON",
		names, " ")
	v = 0
	for (; i <= n; i++) {
		bit = 1
		for (k = 1; k <= m && names[k] != w[i]; k++) bit *= 2
		if (k > m) return "unknown:" w[i]
		v += bit
	}
	return sprintf("%x", v)
}'

# readelf -hlSdW: "Class: ELF64", the program header rows (flags may hold a
# blank: "R E"), "[Requesting program interpreter: P]", the "Section to
# Segment mapping" rows, the section rows, "Dynamic section at offset O
# contains N entries:" and the (NEEDED)/(SONAME)/(RPATH)/(RUNPATH) rows.
norm_readelf() {
	LC_ALL=C readelf -hlSdW "$@" 2>/dev/null | awk -v f="$1" "$NORM_AWK_COMMON"'
	/^File: / { f = substr($0, 7); part = ""; nseg = 0; next }
	BEGIN { mach["Advanced Micro Devices X86-64"] = "x86-64 (62)"
		mach["AArch64"] = "AArch64 (183)"
		mach["Intel 80386"] = "Intel 80386 (3)"
		mach["ARM"] = "ARM (40)"; mach["RISC-V"] = "RISC-V (243)" }
	/^ELF Header:/ { part = "h" }
	/^Program Headers:/ { part = "l"; getline; next }
	/^ Section to Segment mapping:/ { part = "m"; getline; next }
	/^Section Headers:/ { part = "S"; getline; next }
	/^Dynamic section at offset/ {
		part = "d"; print f " dynamic " $7 " entries at " h($5); getline; next }
	/^$/ { if (part != "h") part = "" }
	part == "h" {
		v = $0; sub(/^[^:]*: */, "", v); split(v, w, " ")
		if ($1 == "Magic:") { sub(/ +$/, "", v); print f " magic " v }
		else if ($1 == "Data:")
			print f " data " (v == "2\047s complement, little endian" ? "little endian" : v)
		else if ($1 == "OS/ABI:")
			print f " osabi " (v == "UNIX - System V" ? 0 : v == "UNIX - GNU" ? 3 : v)
		else if ($1 == "Class:") print f " class " v
		else if ($1 == "Type:") print f " type " w[1]
		else if ($1 == "Machine:") print f " machine " (v in mach ? mach[v] : v)
		else if ($1 == "Version:" && v ~ /^0x/) print f " version " h(v)
		else if ($1 == "Entry") print f " entry " h(w[1])
		else if ($1 == "Start" && $3 == "program") print f " phoff " (phoff = w[1])
		else if ($1 == "Start" && $3 == "section") print f " shoff " (shoff = w[1])
		else if ($1 == "Flags:") print f " flags " h(w[1])
		else if ($3 == "this") print f " ehsize " w[1]
		else if ($1 == "Size" && $3 == "program") print f " phentsize " w[1]
		else if ($1 == "Size" && $3 == "section") print f " shentsize " w[1]
		else if ($1 == "Number" && $3 == "program") {
			print f " phnum " w[1]
			# elfinfo -l: "Program headers: N, starting at offset O"
			if (w[1] > 0) print f " ptable " w[1] " " phoff }
		else if ($1 == "Number" && $3 == "section") {
			n = w[2] ~ /^\(/ ? substr(w[2], 2, length(w[2]) - 2) : w[1]
			print f " shnum " n
			if (n > 0) print f " stable " n " " shoff }
		else if ($1 == "Section" && $2 == "header")
			print f " shstrndx " (w[2] ~ /^\(/ ? substr(w[2], 2, length(w[2]) - 2) : w[1])
	}
	part == "l" && /\[Requesting program interpreter: / {
		v = $0; sub(/.*interpreter: /, "", v); sub(/\]$/, "", v)
		print f " interpreter " v; next }
	part == "l" && NF >= 8 {
		fl = ""; for (i = 7; i < NF; i++) fl = fl $i
		print f " segment " (nseg++) " " $1 " " h($2) " " h($3) " " h($5) \
			" " h($6) " " fl " " h($NF) }
	part == "m" {
		s = ""; for (i = 2; i <= NF; i++) s = s " " $i
		print f " insegment " $1 + 0 s }
	part == "S" && /^ *\[ *[0-9]+\]/ {
		v = $0; sub(/^ *\[ */, "", v); idx = v + 0; sub(/^[0-9]+\] ?/, "", v)
		secrow(idx, v, 1) }
	part == "d" && /^ 0x[0-9a-f]+ \(/ {
		t = $2; gsub(/[()]/, "", t)
		v = $0; sub(/^ *0x[0-9a-f]+ +\([^)]*\) */, "", v); sub(/ +$/, "", v)
		if (t ~ /^(NEEDED|SONAME|RPATH|RUNPATH)$/) {
			sub(/^[^[]*\[/, "", v); sub(/\]$/, "", v) }
		else if (t == "FLAGS" || t == "FLAGS_1") {
			n = split(v, w, " "); v = dflags(t, w, t == "FLAGS" ? 1 : 2, n)
			for (i = t == "FLAGS" ? 1 : 2; i <= n; i++) v = v " " w[i] }
		else if (t == "BIND_NOW") v = "-"	# readelf shows no value
		else if (v ~ /^[0-9]+ \(bytes\)$/) v = $3
		else if (v ~ /^0x[0-9a-f]+$/) v = h(v)
		print f " dyn " t " " v }
	'
}

# elfinfo -H -l -S -d: the "name: value" lines of the ELF header, the
# program header rows, "interpreter: P", the "segment sections" rows (long
# ones wrap onto lines that start with blanks), the section rows,
# "Dynamic section: N entries at offset O" and its NEEDED...RUNPATH rows.
norm_elfinfo() {
	"$ELFINFO" -H -l -S -d "$@" | awk -v f="$1" "$NORM_AWK_COMMON"'
	/^File: / { if (line != "") print line; line = ""
		f = substr($0, 7); part = ""; nseg = 0; next }
	/^ELF header/ { part = "h"; next }
	/^Program headers:/ { n = $3; sub(/,/, "", n); print f " ptable " n " " $NF
		part = "l"; getline; next }
	/^  segment  sections/ { part = "m"; next }
	/^Section headers:/ { n = $3; sub(/,/, "", n); print f " stable " n " " $NF
		part = "S"; getline; next }
	/^Dynamic section:/ {
		part = "d"; print f " dynamic " $3 " entries at " h($7); getline; next }
	/^$/ { part = "" }
	part == "h" {
		v = $0; sub(/^[^:]*: */, "", v); split(v, w, " ")
		k = $0; sub(/^ */, "", k); sub(/:.*/, "", k)
		if (k == "magic") print f " magic " v
		else if (k == "data") print f " data " v
		else if (k == "OS/ABI") print f " osabi " w[1]
		else if (k == "class") print f " class " v
		else if (k == "type") print f " type " w[1]
		else if (k == "machine") print f " machine " v
		else if (k == "version") print f " version " w[1]
		else if (k == "entry point") print f " entry " h(w[1])
		else if (k == "program headers at") print f " phoff " w[1]
		else if (k == "section headers at") print f " shoff " w[1]
		else if (k == "flags") print f " flags " h(w[1])
		else if (k == "header size") print f " ehsize " w[1]
		else if (k == "program header size") print f " phentsize " w[1]
		else if (k == "section header size") print f " shentsize " w[1]
		else if (k == "program headers") print f " phnum " w[1]
		else if (k == "section headers") print f " shnum " w[1]
		else if (k == "section name table") print f " shstrndx " w[1]
	}
	part == "l" && $1 == "interpreter:" {
		v = $0; sub(/^ *interpreter: /, "", v); print f " interpreter " v; next }
	part == "l" && NF >= 6 {
		fl = ""; for (i = 6; i < NF; i++) fl = fl $i
		print f " segment " (nseg++) " " $1 " " h($2) " " h($3) " " h($4) \
			" " h($5) " " fl " " h($NF) }
	part == "m" && /^  [0-9]/ {
		if (line != "") print line
		line = f " insegment " $1 + 0; for (i = 2; i <= NF; i++) line = line " " $i
		next }
	part == "m" { for (i = 1; i <= NF; i++) line = line " " $i }
	part != "m" && line != "" { print line; line = "" }
	part == "S" && /^ *\[ *[0-9]+\]/ {
		v = $0; sub(/^ *\[ */, "", v); idx = v + 0; sub(/^[0-9]+\] ?/, "", v)
		secrow(idx, v, 0) }
	part == "d" && NF >= 2 {
		t = $1; v = $0; sub(/^ *[^ ]+ +/, "", v)
		if (t == "FLAGS" || t == "FLAGS_1") {
			v = h($2); for (i = 3; i <= NF; i++) v = v " " $i }
		else if (t == "BIND_NOW") v = "-"
		else if (t !~ /^(NEEDED|SONAME|RPATH|RUNPATH)$/ && v ~ /^0x[0-9a-f]+$/)
			v = h(v)
		else if (v ~ /^[0-9]+ \(bytes\)$/) v = $2
		print f " dyn " t " " v }
	END { if (line != "") print line }
	'
}

# Symbol rows, from readelf -sW and elfinfo -s: table, num, value, size,
# type, bind, vis, ndx, name without a version (@GLIBC_2.2.5 (2)). A name
# elfinfo put alone on the next line (one word, not "N:") joins its row.
norm_symbols() {
	awk '
	function out(    a, n) {
		if (row == "") return
		split(row, a, " "); n = a[8]; sub(/@.*/, "", n)
		print t, a[1] + 0, a[2], a[3], a[4], a[5], a[6], a[7], n
		row = "" }
	/^Symbol table / { out(); t = $3; gsub(/[\047:]/, "", t); next }
	$1 ~ /^[0-9]+:$/ { out(); row = $0; next }
	NF == 1 && row != "" && /^          [^ ]/ { row = row " " $1; out(); next }
	{ out() }
	END { out() }'
}

# Compare files, all in one run of each tool (a process a file is slow on a
# busy machine); on a difference, print it and fail.
same_as_readelf() {
	local want got f
	want=$(norm_readelf "$@" | LC_ALL=C sort)
	got=$(norm_elfinfo "$@" | LC_ALL=C sort)
	for f in "$@"; do
		[[ $want == *"$f class ELF"* && $want == *"$f magic 7f 45 4c 46 "* &&
			$want == *"$f osabi "* && $want == *"$f data "* ]] ||
			{ echo "readelf says nothing about $f" >&2; return 1; }
	done
	if [[ $want != "$got" ]]; then
		echo "elfinfo and readelf differ:" >&2
		diff <(echo "$want") <(echo "$got") | head -20 >&2
		return 1
	fi
}

# A .o and a .so (with a SONAME and a RUNPATH) built here.
build_objects() {
	command -v cc >/dev/null || skip "no cc to build a .o and a .so"
	printf 'int lib_value = 7;\nint lib_get(void) { return lib_value; }\n' \
		>"$MT_TMP/lib.c"
	cc -c -o "$MT_TMP/hello.o" "$MT_TOP/elf/hello.c"
	cc -shared -fPIC -Wl,-soname,libmt.so.1 -Wl,-rpath,/opt/mt/lib \
		-o "$MT_TMP/libmt.so" "$MT_TMP/lib.c"
	# A program above 4 GiB: 64-bit addresses with their high half set.
	printf 'int v = 1;\nvoid _start(void) { for (;;) v++; }\n' \
		>"$MT_TMP/t.c"
	cc -nostdlib -static -Wl,-Ttext-segment=0x123400000000 \
		-o "$MT_TMP/high" "$MT_TMP/t.c"
	# ELF32, where the compiler can make it (no libc needed).
	ELF32=()
	printf 'int v = 1;\nvoid _start(void) { for (;;) v++; }\n' \
		>"$MT_TMP/t32.c"
	if cc -m32 -nostdlib -static -o "$MT_TMP/t32" "$MT_TMP/t32.c" \
		2>/dev/null && cc -m32 -c -o "$MT_TMP/t32.o" "$MT_TMP/t32.c"; then
		ELF32=("$MT_TMP/t32" "$MT_TMP/t32.o")
	else
		echo "# cc -m32 does not work here: no ELF32 file compared" >&3
	fi
}

# --- elfinfo ----------------------------------------------------------------

@test "elfinfo: help, usage errors, write errors, --step without stdin" {
	mt_common_checks "$ELFINFO" "$HELLO"
	mt_run 2 "$ELFINFO" -x
	[[ $stderr == "elfinfo: unknown option '-x'"* ]]
}

# The header (magic, data and OS/ABI too), the table headings' counts and
# offsets, every program header, the section-to-segment mapping, the
# interpreter, every section and every entry of the dynamic section equal
# readelf's for every program in elf/, a .o, a .so, a program above 4 GiB
# and ELF32 files.
@test "elfinfo agrees with readelf on elf/ programs, a .o and a .so" {
	build_objects
	local f files=()
	for f in "$MT_TOP"/elf/*; do
		[[ -f $f && -x $f && $f != *.c ]] && files+=("$f")
	done
	((${#files[@]} >= 5))
	same_as_readelf "${files[@]}" "$MT_TMP/hello.o" "$MT_TMP/libmt.so" \
		"$MT_TMP/high" ${ELF32[@]+"${ELF32[@]}"}
	# Every entry of the dynamic section was compared ("dyn" lines, as
	# many as readelf's count), and the two table headings.
	local n
	n=$(norm_readelf "$HELLO" | sed -n 's/.* dynamic \([0-9]*\) entries.*/\1/p')
	(( n > 20 && $(norm_readelf "$HELLO" | grep -c ' dyn ') == n ))
	norm_readelf "$HELLO" | grep -q ' dyn FLAGS_1 [0-9a-f]* [A-Z]'
	[[ $(norm_readelf "$HELLO" | grep -c ' [ps]table [1-9]') == 2 ]]
	# The .so's SONAME and RUNPATH, the .o's lack of segments: shown.
	mt_run 0 "$ELFINFO" -d "$MT_TMP/libmt.so"
	[[ $output == *"SONAME             libmt.so.1"* ]]
	[[ $output == *"RUNPATH            /opt/mt/lib"* ]]
	mt_run 0 "$ELFINFO" -l "$MT_TMP/hello.o"
	[[ $output == "no program headers"* ]]
}

# Symbol rows of "Symbol table NAME: N entries" against readelf -sW.
@test "elfinfo -s: the symbol tables equal readelf's" {
	build_objects
	local f
	for f in "$HELLO" "$HELLO_STATIC" "$MT_TMP/hello.o" "$MT_TMP/libmt.so" \
		"$MT_TMP/high" ${ELF32[@]+"${ELF32[@]}"}; do
		diff <(LC_ALL=C readelf -sW "$f" | norm_symbols) \
			<("$ELFINFO" -s "$f" | norm_symbols)
		# No line of elfinfo's past 79 columns but a name too long
		# for any (over 69 characters), alone on its line.
		"$ELFINFO" -s "$f" | awk 'length > 79 && !/^          [^ ]+$/ {
			print "too long: " $0; bad = 1 } END { exit bad }' >&2
		# "Symbol table .dynsym: N entries" counts as readelf does.
		diff <(LC_ALL=C readelf -sW "$f" | sed -n \
			"s/^Symbol table '\([^']*\)' contains \([0-9]*\).*/\1 \2/p") \
			<("$ELFINFO" -s "$f" | sed -n \
			's/^Symbol table \(.*\): \([0-9]*\) entries$/\1 \2/p')
	done
}

# A crafted copy of elf/hello: its section headers moved to the end of the
# file, then 1000 more copies of the .symtab header (same offset, size and
# strings), e_shoff and e_shnum written to match. readelf prints the table
# 1001 times; elfinfo -s prints each distinct table once ("Symbol table
# NAME: N entries" and its rows, the same rows as readelf gives elf/hello)
# and for each copy one line "Symbol table NAME (section I): the same
# entries as section J", J the index readelf -S gives .symtab.
@test "elfinfo -s: 1000 headers over one symbol table print it once" {
	local f=$MT_TMP/many shoff shnum sym size new i
	read -r shoff shnum sym < <(LC_ALL=C readelf -SW "$HELLO" | awk '
		/^There are/ { n = $3; o = $NF; sub(/:$/, "", o) }
		$2 == ".symtab" || $3 == ".symtab" {
			i = $0; sub(/^ *\[ */, "", i); i += 0 }
		END { print o, n, i }')
	[[ -n $sym ]]
	cp "$HELLO" "$f"
	size=$(stat -c %s "$f")
	new=$(( (size + 7) / 8 * 8 ))
	head -c $((new - size)) /dev/zero >>"$f"
	tail -c +$((shoff + 1)) "$HELLO" | head -c $((shnum * 64)) >>"$f"
	tail -c +$((shoff + sym * 64 + 1)) "$HELLO" | head -c 64 >"$f.1"
	for i in 1 2 3 4 5 6 7 8 9 10; do cat "$f.1"; done >"$f.10"
	for i in 1 2 3 4 5 6 7 8 9 10; do cat "$f.10"; done >"$f.100"
	for i in 1 2 3 4 5 6 7 8 9 10; do cat "$f.100"; done >>"$f"
	# Little-endian e_shoff (8 bytes at 40) and e_shnum (2 at 60).
	le() { local s='' k; for ((k = 0; k < $2; k++)); do
		s+=$(printf '\\x%02x' $(($1 >> (8 * k) & 255))); done; printf '%b' "$s"; }
	le "$new" 8 | dd of="$f" bs=1 seek=40 conv=notrunc 2>/dev/null
	le $((shnum + 1000)) 2 | dd of="$f" bs=1 seek=60 conv=notrunc 2>/dev/null
	[[ $(LC_ALL=C readelf -hW "$f" | awk '/Number of section/ { print $5 }') == $((shnum + 1000)) ]]
	mt_run 0 "$ELFINFO" -s "$f"
	[[ $(grep -c '^Symbol table .symtab: [0-9]* entries$' <<<"$output") == 1 ]]
	[[ $(grep -c "^Symbol table .symtab (section [0-9]*): the same entries as section $sym\$" \
		<<<"$output") == 1000 ]]
	for i in $shnum $((shnum + 999)); do
		grep -q "^Symbol table .symtab (section $i): the same" <<<"$output"
	done
	diff <(LC_ALL=C readelf -sW "$HELLO" | norm_symbols) \
		<(norm_symbols <<<"$output")
	(( ${#lines[@]} < 2500 ))
}

# A sample of the system: at least 50 ELF files from /usr/bin, /usr/lib and
# the multiarch folder, evenly spaced over the sorted list, under 20 MB,
# those readelf reads without a warning. The list is made by one bash
# outside bats' line tracing (a few thousand files).
SAMPLE_SH='
multi=
for d in /usr/lib/"$(uname -m)"-linux-*; do [[ -d $d ]] && multi=$d && break; done
all=()
while IFS= read -r f; do
	IFS= read -r -n 4 m <"$f" 2>/dev/null || true
	[[ $m == $'"'"'\x7fELF'"'"' ]] && all+=("$f")
done < <(find /usr/bin /usr/lib ${multi:+"$multi"} -maxdepth 1 -type f \
	-size -20M -readable 2>/dev/null | LC_ALL=C sort)
step=$((${#all[@]} / 70)); ((step >= 1)) || step=1
for ((i = 0; i < ${#all[@]}; i += step)); do echo "${all[i]}"; done
'
@test "elfinfo agrees with readelf on 50+ system programs and libraries" {
	local f sample files=()
	mapfile -t sample < <(bash -c "$SAMPLE_SH")
	((${#sample[@]} >= 50)) || skip "only ${#sample[@]} ELF files found"
	# Files readelf warns about are left out (checked one by one only
	# when readelf warns about the batch).
	if [[ -n $(LC_ALL=C readelf -hlSdW "${sample[@]}" 2>&1 >/dev/null) ]]; then
		for f in "${sample[@]}"; do
			[[ -z $(LC_ALL=C readelf -hlSdW "$f" 2>&1 >/dev/null) ]] &&
				files+=("$f")
		done
	else
		files=("${sample[@]}")
	fi
	((${#files[@]} >= 50))
	same_as_readelf "${files[@]}"
}

# "ELF header" of its own binary, read with no FILE: same as naming it.
@test "elfinfo with no file reads its own binary" {
	mt_run 0 "$ELFINFO"
	local own=$output
	mt_run 0 "$ELFINFO" "$ELFINFO"
	[[ $own == "$output" ]]
	[[ $own == *"entry point:             0x$(LC_ALL=C readelf -hW "$ELFINFO" |
		sed -n 's/.*Entry point address: *0x//p')"* ]]
}

# [pause 1]: "FILE is mapped read-only at ADDR": the maps line at ADDR is
# the file, readable, not writable; the try: command shows that line.
@test "elfinfo --step: the file is mapped where it says" {
	mt_start "$ELFINFO" -H "$HELLO"
	mt_wait_pause 1
	local line addr m
	line=$(mt_pause_line 1)
	addr=$(sed -n 's/.* mapped read-only at \(0x[0-9a-f]*\);.*/\1/p' <<<"$line")
	m=$(mt_maps_line "$MT_PID" "$addr")
	(( 16#${m%%-*} == addr ))
	[[ $m == *" r--"?" "* && $m == *" $HELLO" ]]
	mt_try 1
	[[ $output == *"${addr#0x}-"*"$HELLO"* ]]
	mt_finish
	((MT_STATUS == 0))
	grep -q '^  class: *ELF64' "$MT_OUT"
}

@test "elfinfo refuses what is not a little-endian ELF, exit 1" {
	mt_run 1 "$ELFINFO" "$MT_TOP/elf/hello.c"
	[[ $stderr == "elfinfo: $MT_TOP/elf/hello.c: not an ELF file"* ]]
	mt_run 1 "$ELFINFO" /nonexistent
	[[ $stderr == "elfinfo: /nonexistent: No such file or directory" ]]
	mt_run 1 "$ELFINFO" /dev/null
	[[ $stderr == "elfinfo: /dev/null: not a regular file" ]]
	: >"$MT_TMP/empty"
	mt_run 1 "$ELFINFO" "$MT_TMP/empty"
	[[ $stderr == *": empty file" ]]
	# Big-endian: byte 5 (EI_DATA) set to 2.
	cp "$HELLO" "$MT_TMP/be"
	printf '\x02' | dd of="$MT_TMP/be" bs=1 seek=5 conv=notrunc 2>/dev/null
	mt_run 1 "$ELFINFO" "$MT_TMP/be"
	[[ $stderr == *"big-endian"* ]]
	# Several files: a bad one does not stop the others; exit 1.
	mt_run 1 "$ELFINFO" -H "$MT_TMP/be" "$HELLO"
	[[ $output == *"File: $HELLO"* && $output == *"class:"* ]]
}

# What elf/README.md's "GOT and PLT" says of elf/hello, on this build:
# printf through a JUMP_SLOT and a PLT stub that jumps through its slot;
# stdout and optind copied into hello (R_X86_64_COPY, nm's B or D) when
# gcc built it, or reached through GLOB_DAT slots (clang); __cxa_finalize
# and the weak _ITM_registerTMCloneTable through GLOB_DAT; lazy binding (no
# NOW in FLAGS_1).
@test "README's GOT and PLT: the relocations it names are in elf/hello" {
	[[ $(uname -m) == x86_64 ]] || skip "the README names x86_64 relocations"
	local rel v type
	rel=$(LC_ALL=C readelf -rW "$HELLO")
	# Symbol names: "printf@GLIBC_2.2.5" with glibc, "printf" with musl.
	sym() { awk -v v="$1" '$5 == v || index($5, v "@") == 1 { print $3 }' <<<"$rel"; }
	[[ $(sym printf) == R_X86_64_JUMP_SLOT ]]
	[[ $(sym __cxa_finalize) == R_X86_64_GLOB_DAT ]]
	[[ $(sym _ITM_registerTMCloneTable) == R_X86_64_GLOB_DAT ]]
	for v in stdout optind; do
		type=$(sym "$v")
		if [[ $type == R_X86_64_COPY ]]; then
			nm "$HELLO" | grep -Eq " [BD] $v(@|$)"
		else
			[[ $type == R_X86_64_GLOB_DAT ]]
		fi
	done
	LC_ALL=C readelf -dW "$HELLO" | grep -q 'FLAGS_1.*PIE'
	LC_ALL=C readelf -dW "$HELLO" | grep -qw NOW && false
	command -v objdump >/dev/null || skip "no objdump for the PLT stub"
	objdump -d "$HELLO" | grep -A3 '<printf@plt>:' | grep -q 'jmp *\*0x[0-9a-f]*(%rip)'
}

# --- hostile input ------------------------------------------------------------

# The corpus: prefixes of elf/hello at many lengths, and 1000 copies with 1
# to 3 random bytes (fixed seed) changed: 700 in the ELF header or the
# program headers, 300 in the section headers. Made by one bash without a
# process per file (tee makes the copies, printf writes the bytes), outside
# bats' line tracing, which would make it slow.
CORPUS_SH='
set -e
src=$1 dir=$2 phoff=$3 phnum=$4 shoff=$5 shnum=$6
size=$(stat -c %s "$src")
cd "$dir"
# The file as one string of \xNN escapes, 4 characters a byte.
esc=$(od -An -v -tx1 "$src" | tr -d " \n" | sed "s/../\\\\x&/g")
((${#esc} == 4 * size))
# Prefixes: every length up to 130, every 499th byte, all but the last.
for ((i = 0; i <= 130; i++)); do printf "%b" "${esc:0:4*i}" >t$i; done
for ((i = 131; i < size; i += 499)); do printf "%b" "${esc:0:4*i}" >t$i; done
printf "%b" "${esc:0:4*size-4}" >tlast
RANDOM=12
names=(); for ((i = 0; i < 700; i++)); do names+=(c$i); done
tee "${names[@]}" <"$src" >/dev/null
head=$((phoff + phnum * 56))
for ((i = 0; i < 700; i++)); do
	copy=${esc:0:4*head}
	for ((j = 0; j <= RANDOM % 3; j++)); do
		pos=$((RANDOM % head))
		printf -v hex %02x $((RANDOM % 256))
		copy=${copy:0:pos*4}\\x$hex${copy:pos*4+4}
	done
	printf "%b" "$copy" 1<>c$i	# over the first bytes, not truncated
done
for ((i = 700; i < 1000; i++)); do
	copy=$esc
	for ((j = 0; j <= RANDOM % 3; j++)); do
		pos=$((shoff + (RANDOM * 32768 + RANDOM) % (shnum * 64)))
		printf -v hex %02x $((RANDOM % 256))
		copy=${copy:0:pos*4}\\x$hex${copy:pos*4+4}
	done
	printf "%b" "$copy" >c$i
done
'
make_corpus() {
	local phoff phnum shoff shnum
	read -r phoff phnum shoff shnum < <(LC_ALL=C readelf -hW "$HELLO" | awk '
		/Start of program/ { a = $5 } /Number of program/ { b = $5 }
		/Start of section/ { c = $5 } /Number of section/ { d = $5 }
		END { print a, b, c, d }')
	mkdir -p "$MT_TMP/corpus"
	LC_ALL=C bash -c "$CORPUS_SH" _ "$HELLO" "$MT_TMP/corpus" \
		"$phoff" "$phnum" "$shoff" "$shnum"
	# 1000 copies, each the size of the original, and the prefixes.
	[[ $(ls "$MT_TMP/corpus" | grep -c '^c') == 1000 ]]
	cmp -s "$HELLO" "$MT_TMP/corpus/c0" && false
	[[ $(stat -c %s "$MT_TMP/corpus/c0") == "$(stat -c %s "$HELLO")" ]]
	cmp -s <(head -c 100 "$HELLO") "$MT_TMP/corpus/t100"
}

# Run elfinfo -a on the whole corpus, 300 files a run (one process a file
# is too slow on a busy machine); every run must end with 0 or 1, every file
# must have been reached ("File: NAME"), and every message must be one
# "NAME: FILE: reason" line. Then 10 files, one process each.
check_corpus() {
	local bin=$1 files=("$MT_TMP"/corpus/*) i n st f
	for ((i = 0; i < ${#files[@]}; i += 300)); do
		st=0
		timeout -k 2 60 "$bin" -a "${files[@]:i:300}" >"$MT_TMP/out" \
			2>"$MT_TMP/err" || st=$?
		((st == 0 || st == 1)) ||
			{ echo "exit $st on ${files[*]:i:300}" >&2; return 1; }
		n=$(grep -c '^File: ' "$MT_TMP/out")
		((n == ${#files[@]} - i || n == 300))
		if grep -v "^${bin##*/}: $MT_TMP/corpus/[tc][0-9a-z]*: ." \
			"$MT_TMP/err" >&2; then
			return 1
		fi
	done
	for ((i = 0; i < ${#files[@]}; i += ${#files[@]} / 10)); do
		f=${files[i]}
		mt_run '*' "$bin" -a "$f"
		((status == 0 || status == 1)) ||
			{ echo "exit $status on $f" >&2; return 1; }
	done
}

@test "elfinfo on 1000 corrupted and many truncated copies: exit 0 or 1" {
	make_corpus
	check_corpus "$ELFINFO"
	# Truncated copies are refused with the reason.
	mt_run 1 "$ELFINFO" "$MT_TMP/corpus/t10"
	[[ $stderr == *"ELF identification"*"lies past the end of the file"* ||
		$stderr == *"t10: "* ]]
	mt_run 1 "$ELFINFO" -S "$MT_TMP/corpus/tlast"
	[[ $stderr == *"section header table"*"past the end"* ]]
}

@test "the same corpus under -fsanitize=address,undefined: no report" {
	# The same source, built here with cc (a musl-only cc may lack the
	# sanitizer runtimes: then this skips with the compiler's reason).
	command -v cc >/dev/null || skip "no cc"
	cc -std=gnu11 -g -O1 -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o "$MT_TMP/elfinfo-asan" \
		"$MT_TOP/elf/elfinfo.c" 2>"$MT_TMP/cc.err" ||
		skip "cannot build with the sanitizers: $(head -1 "$MT_TMP/cc.err")"
	"$MT_TMP/elfinfo-asan" -H "$HELLO" >/dev/null 2>&1 ||
		skip "sanitizer build does not run here"
	make_corpus
	# A report makes the run exit 86 and writes lines check_corpus rejects.
	export ASAN_OPTIONS=detect_leaks=0:exitcode=86 UBSAN_OPTIONS=exitcode=86
	check_corpus "$MT_TMP/elfinfo-asan"
}

# --- elfload ----------------------------------------------------------------

@test "elfload: help, usage errors, write errors, --step without stdin" {
	mt_common_checks "$ELFLOAD"
}

@test "elfload refuses what it cannot load, exit 1" {
	mt_run 1 "$ELFLOAD" /nonexistent
	[[ $stderr == "elfload: /nonexistent: No such file or directory" ]]
	mt_run 1 "$ELFLOAD" "$MT_TOP/elf/hello.c"
	[[ $stderr == *"hello.c: not an ELF file" ]]
	build_objects
	mt_run 1 "$ELFLOAD" "$MT_TMP/hello.o"
	[[ $stderr == *"hello.o: not an executable"* ]]
	# Cut short inside a LOAD segment (static and dynamic): refused
	# before anything is mapped (a page past the end of a file would be
	# a SIGBUS), naming the LOAD cut (its row in readelf -l); what was
	# printed before that is kept.
	local p len seg opt
	for p in "$HELLO_STATIC" "$HELLO"; do
		# Half way into the file's part of the last LOAD segment.
		read -r len seg < <(LC_ALL=C readelf -lW "$p" | awk '
			function x(s,  n, k) { n = 0; s = substr(s, 3)
				for (k = 1; k <= length(s); k++)
					n = n * 16 + index("0123456789abcdef", substr(s, k, 1)) - 1
				return n }
			/^  [A-Z]/ && $1 != "Type" { i++ }
			$1 == "LOAD" && x($5) > 0 { len = x($2) + int(x($5) / 2); seg = i - 1 }
			END { print len, seg }')
		head -c "$len" "$p" >"$MT_TMP/cut"
		[[ -n $seg ]]
		for opt in -q -n; do
			mt_run 1 "$ELFLOAD" "$opt" "$MT_TMP/cut"
			[[ $stderr == "elfload: $MT_TMP/cut: segment $seg ends past the end of the file ($len bytes)" ]]
			[[ $opt == -q || $output == "program: $MT_TMP/cut"* ]]
		done
	done
}

# The interpreter of a program (readelf -l), and the name of the file it
# is (a symbolic link resolved), as elfload and /proc/PID/maps name it.
interp_path() {
	LC_ALL=C readelf -lW "$1" | sed -n 's/.*interpreter: \(.*\)\]/\1/p'
}
interp_name() {
	basename "$(readlink -f "$(interp_path "$1")")"
}

# What the program prints through elfload equals what it prints when run
# directly. hello prints its pid and addresses, which change from run to run:
# those are compared with the hex numbers and the pid masked, and checked on
# their own below.
mask() {
	sed -e 's/0x[0-9a-f]*/ADDR/g' -e 's/^pid: [0-9]*$/pid: PID/'
}

@test "elfload: programs print the same as when run directly" {
	local p direct
	for p in "$HELLO_STATIC" "$HELLO"; do
		mt_run 0 "$p" one "two words"
		direct=$(mask <<<"$output")
		mt_run 0 "$ELFLOAD" -q "$p" one "two words"
		[[ $(mask <<<"$output") == "$direct" ]]
		[[ $output == *"argv[2]: two words"* ]]
	done
	mt_run 0 /bin/echo hello there
	direct=$output
	mt_run 0 "$ELFLOAD" -q /bin/echo hello there
	[[ $output == "$direct" ]]
	mt_run 0 /bin/ls -d /
	direct=$output
	mt_run 0 "$ELFLOAD" -q /bin/ls -d /
	[[ $output == "$direct" && $output == / ]]
	# Without -q, the program's output follows elfload's last line.
	mt_run 0 "$ELFLOAD" /bin/echo hello there
	direct="hello there"
	[[ $(sed -n '/^what follows is echo.s own output:$/,$p' <<<"$output" |
		tail -n +2) == "$direct" ]]
}

# A static PIE (cc -static-pie): type DYN with no interpreter, so elfload
# picks its base and jumps straight into it. Its output (pid and addresses
# masked) and exit status equal a direct run's, with arguments and with
# --help's usage error (exit 2).
@test "elfload: a static PIE runs as when run directly" {
	command -v cc >/dev/null || skip "no cc to build a static PIE"
	cc -static-pie -o "$MT_TMP/hello_spie" "$MT_TOP/elf/hello.c" \
		2>"$MT_TMP/cc.err" ||
		skip "cc cannot build a static PIE here: $(head -1 "$MT_TMP/cc.err")"
	local p=$MT_TMP/hello_spie direct
	LC_ALL=C readelf -hW "$p" | grep -q 'Type: *DYN'
	[[ -z $(interp_path "$p") ]]
	mt_run 0 "$p" one "two words"
	direct=$(mask <<<"$output")
	mt_run 0 "$ELFLOAD" -q "$p" one "two words"
	[[ $(mask <<<"$output") == "$direct" && $output == *"argv[2]: two words"* ]]
	[[ $(mt_out_field "dynamic linker at" <(echo "$output")) == \
		"none (statically linked)" ]]
	mt_run 2 "$p" --bad-option
	direct=$stderr
	mt_run 2 "$ELFLOAD" -q "$p" --bad-option
	[[ $stderr == "$direct" ]]
	# Not at the addresses written in the file (they start at 0): main
	# is the base elfload printed plus main's value in nm.
	mt_run 0 "$ELFLOAD" "$p"
	local base
	base=$(mt_out_field "base of hello_spie" <(echo "$output"))
	(( base != 0 ))
	(( $(mt_out_field main <(echo "$output")) == base + 16#$(nm "$p" |
		awk '$3 == "main" { print $1 }') ))
}

# hello through elfload: "pid: N" is elfload's own pid (no new process);
# "main: ADDR" is the program's base plus main's value in nm; "dynamic
# linker at: ADDR" is the base elfload printed for the interpreter.
@test "elfload: hello runs in elfload's process, at elfload's addresses" {
	local base ldbase main nmmain pid
	mt_run 0 bash -c 'echo "pid $$"; exec "$0" "$1"' "$ELFLOAD" "$HELLO"
	pid=$(sed -n 's/^pid \([0-9]*\)$/\1/p' <<<"$output")
	[[ $(mt_out_field pid <(echo "$output")) == "$pid" ]]
	base=$(mt_out_field "base of hello" <(echo "$output"))
	ldbase=$(mt_out_field "base of $(interp_name "$HELLO")" <(echo "$output"))
	[[ -n $base && -n $ldbase ]]
	nmmain=$(nm "$HELLO" | awk '$3 == "main" { print $1 }')
	main=$(mt_out_field main <(echo "$output"))
	(( main == base + 16#$nmmain ))
	[[ $(mt_out_field "dynamic linker at" <(echo "$output")) == "$ldbase" ]]
	# Static, non-PIE: main where nm says, base 0, no interpreter.
	mt_run 0 "$ELFLOAD" "$HELLO_STATIC"
	nmmain=$(nm "$HELLO_STATIC" | awk '$3 == "main" { print $1 }')
	(( $(mt_out_field main <(echo "$output")) == 16#$nmmain ))
	[[ $(mt_out_field "base of hello_static" <(echo "$output")) == 0x0 ]]
	[[ $output == *"dynamic linker at: none (statically linked)"* ]]
}

@test "elfload: strace sees one execve, elfload's own" {
	command -v strace >/dev/null || skip "strace is not installed"
	strace -f -e trace=execve -o "$MT_TMP/trace" /bin/true 2>/dev/null ||
		skip "strace cannot trace here (ptrace not permitted)"
	mt_run 0 strace -f -e trace=execve -o "$MT_TMP/trace" \
		"$ELFLOAD" -q "$HELLO" a
	[[ $(grep -c 'execve(' "$MT_TMP/trace") == 1 ]]
	grep -q "execve(\"$ELFLOAD\"" "$MT_TMP/trace"
	mt_run 0 strace -f -e trace=execve -o "$MT_TMP/trace" \
		"$ELFLOAD" -q /bin/ls -d /
	[[ $(grep -c 'execve(' "$MT_TMP/trace") == 1 ]]
}

# The "mappings" table: object, start, end, perms, offset, address (rows
# until the empty line), as awk fields.
table_rows() {
	awk '/^  object  / { on = 1; next } on && /^$/ { exit } on { print }' "$@"
}

# At [pause 1], before the jump: every row's address is the start of a
# mapping of /proc/PID/maps, of the row's size, with the row's perms, of
# the object's file (bss rows: anonymous); the new stack, AT_PHDR, AT_ENTRY,
# AT_BASE, AT_PHNUM, AT_PAGESZ, AT_RANDOM and AT_EXECFN agree with maps,
# readelf and getconf. The try: command shows the mapped rows.
check_loaded() {
	local prog=$1 obj start end perms off addr m real n=0 lo hi base
	mt_start "$ELFLOAD" "$prog"
	mt_wait_pause 1
	while read -r obj start end perms off addr; do
		m=$(mt_maps_line "$MT_PID" "$addr")
		read -r range mperms _ _ _ path <<<"$m"
		(( 16#${range%-*} == addr ))
		[[ $mperms == "$perms" ]]
		if [[ $off == bss ]]; then
			[[ -z $path ]]
			# The kernel merges adjacent anonymous mappings with the
			# same flags into one: a bss at the top of the object
			# may run on into an anonymous rw-p mapping above it.
			(( 16#${range#*-} >= addr + end - start ))
		else
			(( 16#${range#*-} == addr + end - start ))
			real=$(readlink -f "$prog")
			[[ $obj == "${real##*/}" ]] && [[ $path == "$real" ]] ||
				[[ $path == */"$obj" ]]
		fi
		n=$((n + 1))
	done < <(table_rows "$MT_OUT")
	((n >= 4))
	# "new stack: LO-HI rw-p, SIZE (...)": one mapping, rw-p.
	read -r lo hi < <(sed -n 's/^new stack: 0x\([0-9a-f]*\)-0x\([0-9a-f]*\) .*/\1 \2/p' \
		"$MT_OUT")
	m=$(mt_maps_line "$MT_PID" "0x$lo")
	[[ $m == "$lo-$hi rw-p "* ]]
	aux() { awk -v t="$1" '$2 == t { print $1 }' "$MT_OUT"; }
	base=$(mt_out_field "base of ${prog##*/}")
	# AT_PHDR: PT_PHDR's address, or where the first LOAD puts e_phoff.
	local phdr phoff loff lva
	phdr=$(LC_ALL=C readelf -lW "$prog" | awk '$1 == "PHDR" { print $3 }')
	if [[ -z $phdr ]]; then
		phoff=$(LC_ALL=C readelf -hW "$prog" |
			awk '/Start of program/ { print $5 }')
		read -r loff lva < <(LC_ALL=C readelf -lW "$prog" |
			awk '$1 == "LOAD" { print $2, $3; exit }')
		phdr=$((lva + phoff - loff))
	fi
	(( $(aux AT_PHDR) == base + phdr ))
	(( $(aux AT_ENTRY) == base + $(LC_ALL=C readelf -hW "$prog" |
		awk '/Entry point/ { print $4 }') ))
	(( $(aux AT_PHNUM) == $(LC_ALL=C readelf -hW "$prog" |
		awk '/Number of program/ { print $5 }') ))
	(( $(aux AT_PAGESZ) == $(mt_pagesize) ))
	(( $(aux AT_UID) == $(id -u) ))
	local r=$(( $(aux AT_RANDOM) )) e=$(( $(aux AT_EXECFN) ))
	(( r >= 16#$lo && r + 16 <= 16#$hi && e >= 16#$lo && e < 16#$hi ))
	mt_try 1
	while read -r obj start end perms off addr; do
		[[ $output == *"${addr#0x}-"*" $perms "* ]]
	done < <(table_rows "$MT_OUT")
	mt_finish
	((MT_STATUS == 0))
}

@test "elfload --step: the static program's mappings are in /proc/PID/maps" {
	check_loaded "$HELLO_STATIC"
	[[ $(mt_out_field interpreter) == "none (statically linked)" ]]
	[[ $(mt_out_field "base of hello_static") == 0x0 ]]
	# No interpreter: the jump goes to the program's own entry point.
	grep -qx "jumping to $(LC_ALL=C readelf -hW "$HELLO_STATIC" |
		awk '/Entry point/ { print $4 }'), the entry point of hello_static;" \
		"$MT_OUT"
}

@test "elfload --step: a PIE and its interpreter are in /proc/PID/maps" {
	check_loaded "$HELLO"
	local interp ldbase entry jump
	interp=$(interp_path "$HELLO")
	[[ $(mt_out_field interpreter) == "$interp" ]]
	# AT_BASE is the base printed for the interpreter ("base of NAME");
	# "jumping to ADDR, the entry point of NAME;" is that base plus the
	# interpreter's entry point in readelf -h.
	ldbase=$(mt_out_field "base of $(interp_name "$HELLO")")
	(( $(awk '$2 == "AT_BASE" { print $1 }' "$MT_OUT") == ldbase ))
	entry=$(LC_ALL=C readelf -hW "$interp" | awk '/Entry point/ { print $4 }')
	jump=$(sed -n 's/^jumping to \(0x[0-9a-f]*\), the entry point of \(.*\);$/\1 \2/p' \
		"$MT_OUT")
	[[ ${jump#* } == "$(interp_name "$HELLO")" ]]
	(( ${jump%% *} == ldbase + entry ))
}

# A witness: a program with no libc whose _start hands its stack pointer to
# C, which writes what it received (sp, argc, argv, every pair of the
# auxiliary vector, in hex) and exits. What a program finds at its entry is
# the independent source for elfload's "stack pointer:" line and its
# "auxiliary vector" table. x86_64 only (a system call in assembly).
WITNESS_C='
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}
static char buf[65536];
static int len;
static void put(const char *s) { while (*s && len < 65000) buf[len++] = *s++; }
static void hex(unsigned long x)
{
	char t[17];
	int i = 16;

	t[16] = 0;
	do { t[--i] = "0123456789abcdef"[x & 15]; x >>= 4; } while (x);
	put("0x"); put(t + i);
}
void c_start(unsigned long *sp)
{
	unsigned long argc = sp[0], i, *a;
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1;

	put("sp "); hex((unsigned long)sp); put("\nargc "); hex(argc); put("\n");
	for (i = 0; i < argc; i++) { put("argv "); put(argv[i]); put("\n"); }
	while (*envp)
		envp++;
	for (a = (unsigned long *)(envp + 1);; a += 2) {
		put("aux "); hex(a[0]); put(" "); hex(a[1]); put("\n");
		if (a[0] == 0)
			break;
	}
	sys3(1, 1, (long)buf, len);
	sys3(60, 0, 0, 0);
}
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n"
	"\tcall c_start\n\thlt\n");
'
build_witness() {
	[[ $(uname -m) == x86_64 ]] || skip "the witness is written for x86_64"
	command -v cc >/dev/null || skip "no cc to build the witness"
	echo "$WITNESS_C" >"$MT_TMP/witness.c"
	cc -O0 -static -nostdlib -fno-stack-protector -fno-builtin \
		-o "$MT_TMP/witness" "$MT_TMP/witness.c"
}

# At [pause 1] the test reads elfload's own /proc/PID/auxv (the vector the
# kernel built for elfload's exec) and the [vdso] line of its maps; then
# the witness runs. "stack pointer: ADDR" is the witness's sp and 16-byte
# aligned; every row of the "auxiliary vector" table ("VALUE AT_NAME ...")
# is a pair the witness received, and there is no other; what describes
# the machine and the process (AT_HWCAP, AT_HWCAP2, AT_CLKTCK, AT_FLAGS,
# AT_SECURE, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ) equals the kernel's vector,
# and is there exactly when the kernel's has it; AT_SYSINFO_EHDR is where
# [vdso] starts, AT_CLKTCK getconf CLK_TCK, AT_PHENT readelf -h, the ids id's.
@test "elfload: the stack pointer and auxiliary vector the program receives" {
	build_witness
	local kernel vdso
	mt_start "$ELFLOAD" "$MT_TMP/witness" one "two words"
	mt_wait_pause 1
	kernel=$(od -An -v -tx8 "/proc/$MT_PID/auxv")
	vdso=$(awk '$6 == "[vdso]" { print $1 }' "/proc/$MT_PID/maps")
	mt_finish
	((MT_STATUS == 0))
	[[ -n $kernel ]]
	# What the witness received.
	local sp
	sp=$(sed -n 's/^sp //p' "$MT_OUT")
	(( sp % 16 == 0 && sp != 0 ))
	(( $(sed -n 's/^stack pointer: \(0x[0-9a-f]*\) .*/\1/p' "$MT_OUT") == sp ))
	(( $(sed -n 's/^argc //p' "$MT_OUT") == 3 ))
	[[ $(sed -n 's/^argv //p' "$MT_OUT") == "$MT_TMP/witness"$'\none\ntwo words' ]]
	local -A num=([AT_NULL]=0 [AT_PHDR]=3 [AT_PHENT]=4 [AT_PHNUM]=5
		[AT_PAGESZ]=6 [AT_BASE]=7 [AT_FLAGS]=8 [AT_ENTRY]=9 [AT_UID]=11
		[AT_EUID]=12 [AT_GID]=13 [AT_EGID]=14 [AT_PLATFORM]=15
		[AT_HWCAP]=16 [AT_CLKTCK]=17 [AT_SECURE]=23 [AT_RANDOM]=25
		[AT_HWCAP2]=26 [AT_EXECFN]=31 [AT_SYSINFO_EHDR]=33
		[AT_MINSIGSTKSZ]=51)
	local -A got=() kern=()
	local t v rows=0 name value
	while read -r t v; do got[$((t))]=$((v)); done < <(sed -n 's/^aux //p' "$MT_OUT")
	while read -r t v; do kern[$((16#$t))]=$((16#$v)); done <<<"$kernel"
	while read -r value name _; do
		[[ -n ${num[$name]} ]] || { echo "unknown row $name" >&2; false; }
		t=${num[$name]}
		[[ -n ${got[$t]} ]] || { echo "$name not received" >&2; false; }
		(( value == got[$t] )) ||
			{ echo "$name: printed $value, received ${got[$t]}" >&2; false; }
		rows=$((rows + 1))
	done < <(awk '/^auxiliary vector$/ { on = 1; getline; next }
		on && /^$/ { exit } on { print }' "$MT_OUT")
	(( rows == ${#got[@]} && rows >= 20 ))
	for t in 8 23 16 26 17 33 51; do
		[[ ${got[$t]-none} == "${kern[$t]-none}" ]] ||
			{ echo "type $t: received ${got[$t]-none}, kernel ${kern[$t]-none}" >&2; false; }
	done
	(( got[33] == 16#${vdso%-*} ))
	(( got[17] == $(getconf CLK_TCK) ))
	(( got[4] == $(LC_ALL=C readelf -hW "$MT_TMP/witness" |
		awk '/Size of program headers/ { print $5 }') ))
	(( got[11] == $(id -ru) && got[12] == $(id -u) ))
	(( got[13] == $(id -rg) && got[14] == $(id -g) ))
	(( got[23] == 0 && got[8] == 0 ))
}

# --dry-run: the same rows (object, start, end, perms, offset) as a real
# run, addresses "-"; "entry point: base + 0xE (NAME)" against readelf -h;
# for the static program, each LOAD of readelf -l gives
# its rows: start = vaddr rounded down to a page, perms from the flags.
@test "elfload --dry-run prints the layout relative to the base" {
	local p dry real
	for p in "$HELLO" "$HELLO_STATIC" /bin/ls; do
		mt_run 0 "$ELFLOAD" --dry-run "$p"
		dry=$(table_rows <(echo "$output") | awk '{ $6 = ""; print }')
		[[ -n $dry && $(table_rows <(echo "$output") | awk '{ print $6 }' |
			sort -u) == - ]]
		[[ $output == *"dry run: nothing was mapped"* ]]
		if [[ $p == /bin/ls ]]; then
			mt_run 0 "$ELFLOAD" "$p" -d /
		else
			mt_run 0 "$ELFLOAD" "$p"
		fi
		real=$(table_rows <(echo "$output") | awk '{ $6 = ""; print }')
		[[ $dry == "$real" ]]
	done
	# "entry point: base + 0xE (NAME)": the interpreter's entry point in
	# its readelf -h, or the program's own when it has none.
	local interp entry
	interp=$(interp_path "$HELLO")
	entry=$(LC_ALL=C readelf -hW "$interp" | awk '/Entry point/ { print $4 }')
	mt_run 0 "$ELFLOAD" -n "$HELLO"
	[[ $output == *$'\n'"entry point: base + $entry ($(interp_name "$HELLO"))"$'\n'* ]]
	entry=$(LC_ALL=C readelf -hW "$HELLO_STATIC" | awk '/Entry point/ { print $4 }')
	mt_run 0 "$ELFLOAD" -n "$HELLO_STATIC"
	[[ $output == *$'\n'"entry point: base + $entry (hello_static)"$'\n'* ]]
	local ps want got
	ps=$(mt_pagesize)
	want=$(LC_ALL=C readelf -lW "$HELLO_STATIC" | awk -v ps="$ps" '
		$1 == "LOAD" { fl = ""; for (i = 7; i < NF; i++) fl = fl $i
		v = strtonum_($3); o = strtonum_($2)
		printf "0x%x %s 0x%x\n", v - v % ps,
			(fl ~ /R/ ? "r" : "-") (fl ~ /W/ ? "w" : "-") (fl ~ /E/ ? "x" : "-") "p",
			o - o % ps }
		function strtonum_(s,  n, i, c) { n = 0; s = tolower(substr(s, 3))
			for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; n = n * 16 + c }
			return n }')
	mt_run 0 "$ELFLOAD" -n "$HELLO_STATIC"
	got=$(table_rows <(echo "$output") | awk '$5 != "bss" { print $2, $4, $5 }')
	[[ $want == "$got" ]]
}

# --- startup ------------------------------------------------------------------

@test "startup: help, usage errors, write errors, --step without stdin" {
	mt_common_checks "$STARTUP" -n 1
	mt_run 2 "$STARTUP" -n 0
	[[ $stderr == "startup: -n: bad number '0' (1 to 10000)"* ]]
}

# "file size: N (...)" of each build equals stat -c %s; "interpreter:" and
# "NEEDED:" equal readelf -l and -d (the static build has none); "mappings
# once main runs: N" equals the lines of the child's /proc/PID/maps, read
# by the test at startup's pauses (the child is stopped in its own pause);
# the timing table is consistent: fastest <= median <= slowest, and the
# ratio is the ratio of the medians.
@test "startup: sizes, NEEDED, mappings and times" {
	mt_start "$STARTUP" -n 5
	local k child
	for k in 1 2; do
		mt_wait_pause "$k" 20
		child=$(mt_pause_line "$k" | sed -n 's/.*: child \([0-9]*\) runs.*/\1/p')
		[[ -r /proc/$child/maps ]]
		echo "$(wc -l <"/proc/$child/maps")" >"$MT_TMP/maps$k"
		mt_try "$k"
		[[ $output == "$(cat "$MT_TMP/maps$k")" ]]
		mt_resume
	done
	mt_finish 60
	((MT_STATUS == 0))
	local sizes needed interps counts
	mapfile -t sizes < <(sed -n 's/^  file size: \([0-9]*\) .*/\1/p' "$MT_OUT")
	[[ ${sizes[0]} == "$(stat -c %s "$HELLO_STATIC")" ]]
	[[ ${sizes[1]} == "$(stat -c %s "$HELLO")" ]]
	mapfile -t needed < <(sed -n 's/^  NEEDED: //p' "$MT_OUT")
	LC_ALL=C readelf -dW "$HELLO_STATIC" | grep -q 'no dynamic section'
	[[ ${needed[0]} == "none (no dynamic section)" ]]
	[[ ${needed[1]} == "$(LC_ALL=C readelf -dW "$HELLO" |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')" ]]
	mapfile -t interps < <(sed -n 's/^  interpreter: //p' "$MT_OUT")
	[[ ${interps[0]} == "none: the kernel jumps straight into it" ]]
	[[ ${interps[1]} == "$(LC_ALL=C readelf -lW "$HELLO" |
		sed -n 's/.*interpreter: \(.*\)\]/\1/p')" ]]
	mapfile -t counts < <(sed -n 's/^  mappings once main runs: //p' "$MT_OUT")
	[[ ${counts[0]} == "$(cat "$MT_TMP/maps1")" ]]
	[[ ${counts[1]} == "$(cat "$MT_TMP/maps2")" ]]
	grep -q '^fork + exec + exit, 5 runs of each, in microseconds$' "$MT_OUT"
	local ms md
	read -r ms md < <(awk 'NF == 4 && ($1 == "static" || $1 == "dynamic") {
		if ($3 > $2 || $2 > $4) bad = 1; m[$1] = $2 }
		END { if (bad) print "bad"; else print m["static"], m["dynamic"] }' \
		"$MT_OUT")
	[[ $ms != bad ]]
	# The ratio of the printed medians (rounded to 0.1 us): within 0.01.
	local ratio
	ratio=$(sed -n 's|^dynamic / static (medians): ||p' "$MT_OUT")
	awk -v s="$ms" -v d="$md" -v r="$ratio" \
		'BEGIN { x = d / s - r; exit !(x < 0.01 && x > -0.01) }'
}

# --- hello --------------------------------------------------------------------

@test "hello: help, usage errors, write errors, --step without stdin" {
	mt_common_checks "$HELLO"
	mt_common_checks "$HELLO_STATIC"
}

# "argc: 3" and "argv[N]: ..." as given; "pid: N" its pid; "main: ADDR" inside an r-xp
# mapping of its file (equal to nm for the static build); "a global" in an
# rw-p mapping of the file (.data); "a local" in [stack]; "dynamic linker
# at" is where the interpreter's first page is mapped, or none for the
# static build. [pause 1]'s try: command shows those mappings.
@test "hello: arguments, pid and addresses against nm and maps" {
	local p m ld
	for p in "$HELLO" "$HELLO_STATIC"; do
		mt_start "$p" "a b" c
		mt_wait_pause 1
		[[ $(mt_out_field argc) == 3 ]]
		[[ $(mt_out_field "argv\[1\]") == "a b" ]]
		[[ $(mt_out_field "argv\[2\]") == c ]]
		[[ $(mt_out_field pid) == "$MT_PID" ]]
		m=$(mt_maps_line "$MT_PID" "$(mt_out_field main)")
		[[ $m == *" r-xp "* && $m == *" $p" ]]
		m=$(mt_maps_line "$MT_PID" "$(mt_out_field "a global")")
		[[ $m == *" rw-p "*" $p" ]]
		m=$(mt_maps_line "$MT_PID" "$(mt_out_field "a local")")
		[[ $m == *" [stack]" ]]
		ld=$(mt_out_field "dynamic linker at")
		if [[ $p == "$HELLO" ]]; then
			m=$(mt_maps_line "$MT_PID" "$ld")
			[[ ${m%%-*} == "${ld#0x}" && $m == *" 00000000 "* ]]
			[[ $m == *"/$(basename "$(readlink -f "$(LC_ALL=C \
				readelf -lW "$p" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')")")" ]]
		else
			[[ $ld == "none (statically linked)" ]]
			(( $(mt_out_field main) == 16#$(nm "$p" |
				awk '$3 == "main" { print $1 }') ))
		fi
		mt_try 1
		[[ $output == *"$(mt_maps_line "$MT_PID" "$(mt_out_field main)")"* ]]
		mt_finish
		((MT_STATUS == 0))
	done
}
