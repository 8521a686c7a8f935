#!/usr/bin/env python3
"""Fill empty msgstr entries of a .po file from tab-separated "source<TAB>translation" lines on stdin.

    scripts/po_fill.py locale/en/LC_MESSAGES/django.po < pairs.tsv

Multi-line msgids are joined before matching; plural entries must be edited by hand. Entries that already have a translation are left alone
unless --force is given. Prints how many entries were filled and which msgids are still empty.
"""

import re
import sys


def main() -> int:
    path = sys.argv[1]
    force = "--force" in sys.argv
    pairs = {}
    for line in sys.stdin:
        line = line.rstrip("\n")
        if "\t" in line:
            src, dst = line.split("\t", 1)
            pairs[src] = dst
    text = open(path, encoding="utf-8").read()
    filled = 0

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')

    def unesc(s: str) -> str:
        return s.replace('\\"', '"').replace("\\\\", "\\")

    def repl(m: re.Match) -> str:
        nonlocal filled
        flags, raw, msgstr = m.group(1) or "", m.group(2), m.group(3)
        msgid = unesc("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', raw)))
        if msgid and msgid in pairs and (msgstr == "" or force):
            filled += 1
            flags = flags.replace(", fuzzy", "")
            if flags.strip() == "#":
                flags = ""
            return f'{flags}msgid "{esc(msgid)}"\nmsgstr "{esc(pairs[msgid])}"\n'
        return m.group(0)

    text = re.sub(r'(#,[^\n]*\n)?msgid ((?:"(?:[^"\\]|\\.)*"\n)+)msgstr "((?:[^"\\]|\\.)*)"\n', repl, text)
    open(path, "w", encoding="utf-8").write(text)
    empty = [
        "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', raw))
        for raw in re.findall(r'msgid ((?:"(?:[^"\\]|\\.)*"\n)+)msgstr ""\n', text)
    ]
    empty = [e for e in empty if e]
    print(f"filled {filled}; still empty: {len(empty)}", file=sys.stderr)
    for e in empty:
        print("  " + e, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
