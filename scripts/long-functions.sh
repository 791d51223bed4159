#!/usr/bin/env bash
# Lists the functions in src/ and cmd/ longer than a limit (default 80 lines), longest first, as
# "lines  file:line  name". A function whose definition is preceded by a comment line containing
# "long:" (the reason it stays long: a table, a switch over syscalls ...) is listed only with --all.
#
#   scripts/long-functions.sh [--max N] [--all] [paths...]
#
# A brace-matching scan, not a parser: it skips comments, string and character literals (raw
# strings included), treats the braces of namespaces, classes, structs, enums and extern "C" as
# containers and counts every other top-level brace pair whose header ends in ")" (with qualifiers,
# a trailing return type or a constructor's initialiser list) as a function, lambdas inside it
# being part of it. It needs python3 only. Exit status 1 when a function without a reason is over.
set -euo pipefail

max=80
all=0
paths=()
while [ $# -gt 0 ]; do
    case $1 in
        --max) max=${2:?--max needs a number}; shift 2 ;;
        --all) all=1; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) paths+=("$1"); shift ;;
    esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ${#paths[@]} -eq 0 ]; then paths=("$repo/src" "$repo/cmd"); fi

scan=$(cat <<'PY'
import re, sys

limit, show_all, repo = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3]
files = sorted(p for p in sys.stdin.read().split("\0") if p)

def blank_out(text):
    """The text with comments and literals replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i-1].isalnum() or text[i-1] == "_")):
            m = re.match(r'R"([^()\\ ]{0,16})\(', text[i:])
            if not m:
                out.append(c); i += 1; continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i-1].isalnum():  # digit separator: 1'000
                out.append(" "); i += 1; continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i)); i = j
        else:
            out.append(c); i += 1
    return "".join(out)

CONTAINER = re.compile(r'\b(namespace|class|struct|union|enum)\b[^;()]*$|extern\s*$')
FUNCTION = re.compile(r'\)\s*(const|noexcept|override|final|mutable|&|&&|\s|->\s*[\w:<>,\s*&]+|:\s*[\w:]+\s*[({].*)*$', re.S)
CONTROL = re.compile(r'^\s*(if|for|while|switch|catch|do|else|return)\b')

def name_of(header):
    m = re.search(r'([~\w:]+(?:operator\s*[^\s(]+)?)\s*\((?:[^()]|\([^()]*\))*\)[^()]*$', header)
    if not m:
        m = re.search(r'([~\w:]+)\s*\(', header)
    if m and m.group(1) in ("TEST", "TEST_F", "TEST_P"):  # GoogleTest: name the test
        t = re.search(r'TEST\w*\s*\(\s*(\w+)\s*,\s*(\w+)', header)
        return f"{t.group(1)}.{t.group(2)}" if t else m.group(1)
    return m.group(1) if m else "?"

found = []
for path in files:
    try:
        raw = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        continue
    text = blank_out(raw)
    raw_lines = raw.split("\n")
    stack = []          # kinds of the open braces: "container", "function", "other"
    header_start = 0    # where the text before the next brace begins
    for i, c in enumerate(text):
        if c == "{":
            header = text[header_start:i]
            in_function = any(open_kind == "function" for open_kind, _, _ in stack)
            if in_function:
                kind = "other"
            elif CONTAINER.search(header.strip().split(";")[-1]) and "(" not in header.split("=")[0].split(")")[-1]:
                kind = "container"
            elif FUNCTION.search(header.rstrip()) and not CONTROL.match(header) and "=" not in header.split("(")[0]:
                kind = "function"
            else:
                kind = "other"
            start_line = text.count("\n", 0, i) + 1
            if kind == "function":
                # The signature's first line: back over the header to its first non-blank line.
                lead = len(header) - len(header.lstrip())
                sig_line = text.count("\n", 0, header_start + lead) + 1
                stack.append(("function", sig_line, name_of(header)))
            else:
                stack.append((kind, start_line, None))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, line, name = stack.pop()
                if kind == "function":
                    end_line = text.count("\n", 0, i) + 1
                    length = end_line - line + 1
                    if length > limit:
                        above = raw_lines[line - 2] if line >= 2 else ""
                        reason = above.split("long:", 1)[1].strip() if "long:" in above and above.lstrip().startswith("//") else ""
                        found.append((length, path, line, name, reason))
            header_start = i + 1
        elif c == ";":
            header_start = i + 1

found.sort(key=lambda f: -f[0])
over = 0
for length, path, line, name, reason in found:
    if reason and not show_all:
        continue
    rel = path[len(repo) + 1:] if path.startswith(repo + "/") else path
    note = f"  (long: {reason})" if reason else ""
    print(f"{length:5d}  {rel}:{line}  {name}{note}")
    if not reason:
        over += 1
sys.exit(1 if over else 0)
PY
)
find "${paths[@]}" -type f \( -name '*.cpp' -o -name '*.h' \) -print0 |
    python3 -c "$scan" "$max" "$all" "$repo"
