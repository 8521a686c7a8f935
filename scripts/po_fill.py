#!/usr/bin/env python3
"""Fill msgstr entries of a .po file from tab-separated "source<TAB>translation" lines on stdin.

    scripts/po_fill.py locale/en/LC_MESSAGES/django.po < pairs.tsv

An entry is filled when its msgstr is empty or it is marked fuzzy (makemessages' guess from a similar string,
wrong more often than not); its fuzzy flag and previous-msgid lines (#|) are dropped. Entries already
translated are left alone unless --force is given. Multi-line msgids and msgstrs are joined before matching and
the translation is written on one line; plural entries must be edited by hand. Prints how many entries were
filled and which msgids are still empty or fuzzy.
"""

import re
import sys

STRING = r'"((?:[^"\\]|\\.)*)"'


def joined(lines: list[str]) -> str:
    return "".join(m for line in lines for m in re.findall(STRING, line))


def parse(block: str):
    """(comment lines, msgid text, msgstr text, the block's other lines) or None for a header/plural/obsolete."""
    lines = block.split("\n")
    comments, msgid, msgstr, current = [], [], [], None
    for line in lines:
        if line.startswith("#~") or line.startswith("msgid_plural") or line.startswith("msgstr["):
            return None
        if line.startswith("#"):
            comments.append(line)
        elif line.startswith("msgctxt"):
            return None
        elif line.startswith("msgid "):
            current = msgid
            msgid.append(line[6:])
        elif line.startswith("msgstr "):
            current = msgstr
            msgstr.append(line[7:])
        elif line.startswith('"') and current is not None:
            current.append(line)
    if not msgid:
        return None
    return comments, joined(msgid), joined(msgstr)


def main() -> int:
    path = sys.argv[1]
    force = "--force" in sys.argv
    pairs = {}
    for line in sys.stdin:
        line = line.rstrip("\n")
        if "\t" in line:
            src, dst = line.split("\t", 1)
            pairs[src] = dst
    blocks = open(path, encoding="utf-8").read().split("\n\n")
    filled, left = 0, []
    for i, block in enumerate(blocks):
        parsed = parse(block)
        if parsed is None:
            continue
        comments, msgid, msgstr = parsed
        fuzzy = any(c.startswith("#,") and "fuzzy" in c for c in comments)
        if not msgid:
            continue
        if msgid in pairs and (msgstr == "" or fuzzy or force):
            kept = []
            for c in comments:
                if c.startswith("#|"):
                    continue
                if c.startswith("#,"):
                    flags = [f.strip() for f in c[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
                    if not flags:
                        continue
                    c = "#, " + ", ".join(flags)
                kept.append(c)
            msgid_lines = _msgid_lines(block)
            blocks[i] = "\n".join([*kept, *msgid_lines, f'msgstr "{pairs[msgid]}"'])
            filled += 1
        elif msgstr == "" or fuzzy:
            left.append(("fuzzy: " if fuzzy else "") + msgid)
    text = "\n\n".join(blocks)
    open(path, "w", encoding="utf-8").write(text if text.endswith("\n") else text + "\n")
    print(f"filled {filled}; still empty or fuzzy: {len(left)}", file=sys.stderr)
    for entry in left:
        print("  " + entry, file=sys.stderr)
    return 0


def _msgid_lines(block: str) -> list[str]:
    """The block's msgid keyword line and its continuation lines, as written."""
    out, inside = [], False
    for line in block.split("\n"):
        if line.startswith("msgid "):
            inside = True
        elif not line.startswith('"'):
            inside = False
        if inside:
            out.append(line)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
