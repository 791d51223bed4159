#!/usr/bin/env bash
# Does scripts/install-deps.sh install every package whose headers berth includes? A header that
# is there only because someone installed its package by hand builds on that machine and fails on
# a fresh one (libcli11-dev was missed that way). Run it on a machine where berth builds.
#
# For each `#include <...>` of the tracked sources it finds the header the way the compiler would
# (/usr/local/include, then the multiarch and plain /usr/include; anything else is the
# compiler's own), asks dpkg which package owns it, and checks that the package is named by
# install-deps.sh or pulled in by one that is, through Depends and Pre-Depends of the installed
# packages. Headers of src/ and cmd/ must come from the build packages; fuzz/, bench/ and tests/
# may use the test packages (--with-tests) too.
#
# usage: scripts/deps-check.sh       (from anywhere; exit 1 and one line per problem when any)
# Environment: DEPS_SCRIPT  the install-deps script to check (default scripts/install-deps.sh)
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
DEPS_SCRIPT=${DEPS_SCRIPT:-$SRC/scripts/install-deps.sh}
INCLUDE_DIRS=(/usr/local/include /usr/include/x86_64-linux-gnu /usr/include)

for tool in dpkg dpkg-query awk; do
    command -v $tool >/dev/null || { echo "deps-check: $tool is missing (not Debian?)" >&2; exit 2; }
done

# The C and C++ sources: tracked files in a git checkout, else every file (an exported tree).
sources() {
    if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$SRC" ls-files -- '*.cpp' '*.cc' '*.c' '*.h' '*.hpp'
    else
        (cd "$SRC" && find . -type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.c' -o -name '*.h' \
            -o -name '*.hpp' \) -not -path './build*' | sed 's|^\./||')
    fi
}

# "<header> <class>" for every system include; class "build" for src/ and cmd/, else "test".
includes() {
    local file
    sources | while IFS= read -r file; do
        local class=test
        case $file in src/* | cmd/*) class=build ;; esac
        sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/p' "$SRC/$file" |
            sed "s/\$/ $class/"
    done | sort -u
}

# Every installed package reachable from the named ones through Depends and Pre-Depends
# (alternatives and virtual packages included: whichever of them is installed).
closure() {
    dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}|${Pre-Depends}, ${Depends}\n' |
        awk -F'|' -v named="$(tr '\n' ' ' <<<"$1")" '
            function clean(list, out,   n, i, parts, name) {
                n = split(list, parts, /[,|]/)
                for (i = 1; i <= n; i++) {
                    name = parts[i]
                    sub(/^[ \t]+/, "", name)
                    sub(/[ :(].*/, "", name)
                    if (name != "") out[name] = 1
                }
            }
            $1 ~ /^ii/ {
                pkg = $2
                installed[pkg] = 1
                deps[pkg] = $4
                delete provided; clean($3, provided)
                for (v in provided) providers[v] = providers[v] " " pkg
            }
            END {
                n = split(named, queue, " ")
                for (i = 1; i <= n; i++) seen[queue[i]] = 1
                for (head = 1; head <= n; head++) {
                    p = queue[head]
                    delete next_deps; clean(deps[p], next_deps)
                    for (d in next_deps) {
                        m = split(d " " providers[d], cands, " ")
                        for (j = 1; j <= m; j++) {
                            c = cands[j]
                            if (c == "" || !(c in installed) || (c in seen)) continue
                            seen[c] = 1; queue[++n] = c
                        }
                    }
                }
                for (p in seen) print p
            }' | sort -u
}

build_named=$(bash "$DEPS_SCRIPT" --list) || { echo "deps-check: $DEPS_SCRIPT --list failed" >&2; exit 2; }
all_named=$(bash "$DEPS_SCRIPT" --list --with-tests) || exit 2
build_closure=$(closure "$build_named")
all_closure=$(closure "$all_named")

problems=()
# Each header's file, then one dpkg -S for all of them: "pkg[, pkg]: /path" per line.
declare -A path_of owner_of
while read -r header class; do
    for dir in "${INCLUDE_DIRS[@]}"; do
        if [ -e "$dir/$header" ]; then
            path_of["$header $class"]=$(realpath "$dir/$header")
            break
        fi
    done # not found: the compiler's own (C++ library, clang's resource dir)
done < <(includes)
while IFS= read -r line; do
    pkg=${line%%: /*}
    pkg=${pkg%%,*}
    owner_of[${line#*: }]=${pkg%%:*}
done < <(printf '%s\n' "${path_of[@]}" | sort -u | xargs -r dpkg -S 2>/dev/null)

for key in "${!path_of[@]}"; do
    header=${key% *} class=${key##* } path=${path_of[$key]}
    pkg=${owner_of[$path]:-}
    if [ -z "$pkg" ]; then
        problems+=("<$header> is $path, which no package installs")
    elif [ "$class" = build ]; then
        grep -qxF "$pkg" <<<"$build_closure" ||
            problems+=("<$header> (src/, cmd/) is in $pkg, which install-deps.sh does not install")
    else
        grep -qxF "$pkg" <<<"$all_closure" ||
            problems+=("<$header> is in $pkg, which install-deps.sh --with-tests does not install")
    fi
done

if [ ${#problems[@]} -gt 0 ]; then
    printf 'deps-check: %s\n' "${problems[@]}" | sort -u
    exit 1
fi
echo "deps-check: every included header comes from a package install-deps.sh installs"
