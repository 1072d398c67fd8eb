#!/usr/bin/env python3
"""extract.py SRC OUT: the Enzyme part of one of Enzyme's benchmark sources.

Enzyme's benchmark programs put Tapenade-generated code, Adept code, Rust FFI calls and a
timing main next to the code Enzyme differentiates. This keeps the rest verbatim:
  * everything after a `//! Tapenade` (or `// ! Tapenade`) line is cut (the #if/#endif
    nesting open at the cut is closed);
  * `#include` of Adept or Tapenade headers and `using adept::` lines are dropped;
  * each top-level declaration (inside `extern "C" { }` blocks too) that names Adept
    (adept, aVector, adouble, aReal, aMatrix), a Rust FFI function (rust_*), a Tapenade
    helper (push*/pop*, *_b derivatives), or defines `main`, is dropped, and then, to a fixed
    point, every declaration that names a function dropped so.
"""
import re
import sys

BANNED = re.compile(r"\b(adept\w*|aVector|adouble|aReal|aMatrix|rust_\w+|(?:push|pop)(?:Real|Integer|Control|Pointer)\w*|\w+_b)\b|\bmain\s*\(")
DROP_LINE = re.compile(r"^\s*(#\s*include\s*[<\"](adept|adBuffer|adStack)[^>\"]*[>\"]|using\s+adept::)")
CUT = re.compile(r"^\s*//\s*!\s*Tapenade\b")


def uncomment(t):
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", t, flags=re.S)


def chunks(text):
    """Split top-level text into (kind, text): 'pp' preprocessor line, 'open'/'close' of an
    extern "C" block, 'decl' a declaration or definition, 'ws' whitespace/comments."""
    out, i, n, depth, start = [], 0, len(text), 0, 0
    extern_stack = []  # depth at which each open extern "C" block lives
    head_has_aggregate = False

    def flush(kind, end):
        nonlocal start
        if end > start:
            out.append((kind, text[start:end]))
        start = end

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "#" and depth == 0 and not uncomment(text[start:i]).strip() and text[text.rfind("\n", 0, i) + 1:i].strip() == "":
            flush("ws", i)
            j = i
            while True:
                k = text.find("\n", j)
                if k < 0:
                    j = n
                    break
                if text[k - 1] == "\\":
                    j = k + 1
                    continue
                j = k + 1
                break
            i = j
            flush("pp", i)
            continue
        if c == "{":
            head = text[start:i]
            if depth == 0 and re.fullmatch(r"\s*extern\s*\"C\"\s*", uncomment(head)):
                i += 1
                flush("open", i)
                extern_stack.append(0)
                continue
            if depth == 0:
                # a struct/class/union/enum definition or an initializer ends at its `;`
                h = re.sub(r"\([^()]*\)", "()", uncomment(head).strip())
                head_has_aggregate = bool(re.match(r"(typedef\s+)?(template\s*<.*>\s*)?(struct|class|union|enum)\b", h) or "=" in h)
            depth += 1
        elif c == "}":
            if depth == 0 and extern_stack:
                flush("decl" if text[start:i].strip() else "ws", i)
                extern_stack.pop()
                i += 1
                flush("close", i)
                continue
            depth -= 1
            if depth == 0 and not head_has_aggregate:
                i += 1
                while i < n and text[i] in " \t;":
                    i += 1
                flush("decl", i)
                continue
        elif c == ";" and depth == 0:
            i += 1
            flush("decl", i)
            continue
        i += 1
    flush("decl" if text[start:].strip() else "ws", n)
    return out


def defined_name(decl):
    body = re.sub(r"//[^\n]*|/\*.*?\*/", "", decl, flags=re.S)
    m = re.search(r"(\w+)\s*\([^;{]*\)[^;{]*\{", body)
    return m.group(1) if m else None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    lines, kept, opened = open(src).read().split("\n"), [], 0
    for ln in lines:
        if CUT.match(ln):
            break
        if re.match(r"\s*#\s*if", ln):
            opened += 1
        elif re.match(r"\s*#\s*endif", ln):
            opened -= 1
        kept.append("// (dropped by extract.py) " + ln if DROP_LINE.match(ln) else ln)
    if len(kept) < len(lines):
        # the cut may fall inside an extern "C" { } block: close it
        text = "\n".join(kept)
        kinds = chunks(text)
        depth = sum(1 for k, _ in kinds if k == "open") - sum(1 for k, _ in kinds if k == "close")
        kept += ["}"] * max(depth, 0) + ["#endif"] * max(opened, 0)
    parts = chunks("\n".join(kept) + "\n")
    dropped, names = set(), set()
    while True:
        pat = re.compile(r"\b(%s)\b" % "|".join(map(re.escape, sorted(names)))) if names else None
        changed = False
        for idx, (kind, t) in enumerate(parts):
            if kind != "decl" or idx in dropped:
                continue
            code = re.sub(r"//[^\n]*|/\*.*?\*/", "", t, flags=re.S)
            if BANNED.search(code) or (pat and pat.search(code)):
                dropped.add(idx)
                name = defined_name(t)
                if name and name not in names:
                    names.add(name)
                changed = True
        if not changed:
            break
    with open(dst, "w") as f:
        for idx, (kind, t) in enumerate(parts):
            if idx in dropped:
                f.write("\n" + "\n".join("// (dropped by extract.py) " + l for l in t.strip("\n").split("\n")) + "\n")
            else:
                f.write(t)


if __name__ == "__main__":
    main()
