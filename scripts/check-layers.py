#!/usr/bin/env python3
"""The layering check: every folder of src/ and cmd/ may include only the folders that the table
in docs/architecture.md (between the `layers:begin` and `layers:end` markers) allows it, and what
those may include in turn. It fails on

  - an `#include "…"` in src/ or cmd/ that crosses the order:
      src/base/fs.cpp:12: src/base may not include src/api
  - a folder under src/ or cmd/ that the table does not name (the next module must be placed),
    and a row naming a folder that no longer exists;
  - a berth library or program in CMakeLists.txt that links a berth library of a folder its own
    folder may not include (its PUBLIC links mirror the include order).

Usage: check-layers.py [SOURCE_TREE]   (default: the tree this script is in). Exit 0 when clean,
1 with one line per violation, 2 when the table cannot be read."""

import os
import re
import sys

TABLE_BEGIN = "<!-- layers:begin -->"
TABLE_END = "<!-- layers:end -->"
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc")


class TableError(Exception):
    pass


def read_table(tree):
    """{folder: [folders it may include directly]} from docs/architecture.md's table."""
    path = os.path.join(tree, "docs", "architecture.md")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise TableError(f"{path}: {e.strerror}")
    if TABLE_BEGIN not in text or TABLE_END not in text:
        raise TableError(f"{path}: no table between {TABLE_BEGIN} and {TABLE_END}")
    body = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0]
    table = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue  # the header, its rule, blank lines
        folder = cells[0].strip("`")
        table[folder] = re.findall(r"`([^`]+)`", cells[1])
    if not table:
        raise TableError(f"{path}: the layers table has no rows")
    for folder, below in table.items():
        for name in below:
            if name not in table:
                raise TableError(f"{path}: {folder} may include {name}, which has no row")
    return table


def allowed_sets(table):
    """Each folder's own direct list closed under 'may include', itself included."""
    allowed = {}
    for folder in table:
        seen, todo = {folder}, list(table[folder])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(table[name])
        allowed[folder] = seen
    return allowed


def existing_folders(tree):
    """Every folder under src/ and cmd/ holding a source file."""
    found = set()
    for top in ("src", "cmd"):
        for dirpath, _, files in os.walk(os.path.join(tree, top)):
            if any(f.endswith(SOURCE_SUFFIXES) for f in files):
                found.add(os.path.relpath(dirpath, tree))
    return found


def folder_of_include(target, including_dir, tree, folders):
    """The declared folder an include names: a file beside the includer, or the longest folder
    under src/ (the include root) that the path starts with; None when it is in none."""
    if os.path.exists(os.path.join(tree, including_dir, target)):
        return including_dir
    path = "src/" + target
    candidates = [f for f in folders if path.startswith(f + "/")]
    return max(candidates, key=len) if candidates else None


def include_violations(tree, table, allowed):
    out = []
    for folder in sorted(table):
        directory = os.path.join(tree, folder)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            rel = os.path.join(folder, name)
            with open(os.path.join(tree, rel), encoding="utf-8", errors="replace") as source:
                for number, line in enumerate(source, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    target = folder_of_include(match.group(1), folder, tree, table)
                    if target is None:
                        out.append(f'{rel}:{number}: "{match.group(1)}" is in no declared folder')
                    elif target not in allowed[folder]:
                        out.append(f"{rel}:{number}: {folder} may not include {target}")
    return out


def folder_violations(tree, table):
    existing = existing_folders(tree)
    out = [f"{f}: a folder the layers table in docs/architecture.md does not name: "
           "add its row (what it owns, what it may include)" for f in sorted(existing - set(table))]
    out += [f"docs/architecture.md: the layers table names {f}, which has no source file"
            for f in sorted(set(table) - existing)]
    return out


def cmake_statements(text):
    """(line number, command, arguments) of each command call in a CMakeLists.txt."""
    text = re.sub(r"#[^\n]*", "", text)
    for match in re.finditer(r"(\w+)\s*\(([^)]*)\)", text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2).split()


def cmake_violations(tree, allowed):
    path = os.path.join(tree, "CMakeLists.txt")
    if not os.path.exists(path):
        return []
    statements = list(cmake_statements(open(path, encoding="utf-8").read()))
    folder_of_target = {}
    for _, command, args in statements:
        if command == "berth_library" and len(args) >= 2:
            folder_of_target[args[0]] = args[1].replace("${CMAKE_SOURCE_DIR}/", "")
        elif command == "add_executable" and len(args) >= 2 and args[1].startswith("cmd/"):
            folder_of_target[args[0]] = os.path.dirname(args[1])
    out = []
    for number, command, args in statements:
        if command != "target_link_libraries" or not args or args[0] not in folder_of_target:
            continue
        folder = folder_of_target[args[0]]
        if folder not in allowed:
            continue  # reported as an undeclared folder
        for library in args[1:]:
            target_folder = folder_of_target.get(library)
            if target_folder and target_folder not in allowed[folder]:
                out.append(f"CMakeLists.txt:{number}: {args[0]} ({folder}) may not link "
                           f"{library} ({target_folder})")
    return out


def main():
    tree = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    try:
        table = read_table(tree)
    except TableError as e:
        print(f"check-layers: {e}", file=sys.stderr)
        return 2
    allowed = allowed_sets(table)
    violations = (folder_violations(tree, table) + include_violations(tree, table, allowed) +
                  cmake_violations(tree, allowed))
    for line in violations:
        print(line)
    if violations:
        print(f"check-layers: {len(violations)} violation(s) of the layers in docs/architecture.md")
        return 1
    print(f"check-layers: {len(table)} folders, every include and link in order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
