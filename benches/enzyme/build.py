#!/usr/bin/env python3
"""Runs real Enzyme (PyPI `enzyme-ad`) over one LLVM IR module; the Enzyme peer of benches/run.py.

usage: python3.11 benches/enzyme/build.py IN.ll OUT.ll [-enzyme-flag ...]
       python3.11 benches/enzyme/build.py --check      (exit 0 when the package works here)

IN.ll is a benchmark translation unit emitted by clang-22 with the benchmark's flags and
`-Xclang -disable-llvm-passes -S -emit-llvm` (front-end output, not yet optimized; it still
holds the `__enzyme_autodiff` calls). OUT.ll is LLVM IR that clang-22 compiles (`clang-22
FLAGS -c OUT.ll`) and that links with benches/src/harness.c like the ferment build.

What happens, in this order:
  1. `enzyme_ad.jax.enzyme_call.compile_to_llvm(out, IR, fn, [], [], [], Language.LLVM, False, "")`
     parses IN.ll with the package's own LLVM (24.0.0git in enzyme-ad 0.0.16), links it with a
     small C++ wrapper it compiles with its own clang (an `entry` function calling `fn`), makes
     every defined function except `entry` internal, and runs `default<O3>` on the module with
     Enzyme registered in the pipeline by Enzyme's own `augmentPassBuilder` (the pipeline a
     ClangEnzyme plugin user gets): every `__enzyme_autodiff` call in the module is
     differentiated after the function simplification pipeline, then the module is optimized.
     `fn` is a no-op function added here; the four `bench_*` entry points are kept alive by
     an external global holding their addresses (otherwise internal + unused = deleted).
  2. Before that, Enzyme's command-line options are set through the LLVM inside the package
     (`llvm::cl::ParseCommandLineOptions`, found in the module's symbol table): the package
     turns on `-enzyme-always-inline` for its JAX use, which marks each derivative
     `alwaysinline` and fails verification on `noinline` functions (our objectives are
     `noinline`); we set it back to Enzyme's default, false. Extra arguments after OUT.ll
     are passed the same way (e.g. `-enzyme-fast-math=0`). Everything else is Enzyme's
     default (notably `-enzyme-fast-math=1`: fast-math flags on the derivative's arithmetic).
  3. The IR is made acceptable to clang-22 (LLVM 22) by textual fix-ups of newer syntax:
     `memory(...)` locations LLVM 22 does not know (`target_mem*: ...`) are dropped (the whole
     attribute when one of them was not `none`, which is conservative); alias-scope domains
     printed with an extra `i1` operand lose it; and the `bench_*` functions become external
     again.
"""
import ctypes
import re
import subprocess
import sys

KEEP = ["bench_init", "bench_primal", "bench_grad_ferment", "bench_grad_hand"]
PARSE_CL = "_ZN4llvm2cl23ParseCommandLineOptionsEiPKPKcNS_9StringRefEPNS_11raw_ostreamEPNS_3vfs10FileSystemES2_"
ANCHOR = "PyInit_enzyme_call"  # the one exported function: locates the library's load address
LLVM22_MEMORY_LOCATIONS = {"argmem", "inaccessiblemem", "errnomem"}


def set_enzyme_options(enzyme_call, opts):
    """llvm::cl::ParseCommandLineOptions inside enzyme_call.so (not exported: address from nm)."""
    so = enzyme_call.__file__
    nm = subprocess.run(["nm", so], capture_output=True, text=True).stdout
    addr = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in (PARSE_CL, ANCHOR):
            addr[parts[2]] = int(parts[0], 16)
    if PARSE_CL not in addr or ANCHOR not in addr:
        raise RuntimeError("cannot set Enzyme options: llvm::cl::ParseCommandLineOptions not found in " + so)
    lib = ctypes.CDLL(so)
    base = ctypes.cast(getattr(lib, ANCHOR), ctypes.c_void_p).value - addr[ANCHOR]
    # bool (int argc, const char *const *argv, StringRef overview {ptr, len}, raw_ostream *errs,
    #       vfs::FileSystem *fs, const char *envvar)
    parse = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_char_p,
                             ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(base + addr[PARSE_CL])
    args = [b"enzyme"] + [o.encode() for o in opts]
    argv = (ctypes.c_char_p * len(args))(*args)
    if not parse(len(args), argv, b"", 0, None, None, None):
        raise RuntimeError("Enzyme rejected the options %s" % " ".join(opts))


def _fix_memory(m):
    keep, drop_all = [], False
    for p in (x.strip() for x in m.group(1).split(",")):
        if ":" in p:
            loc, kind = (x.strip() for x in p.split(":", 1))
            if loc not in LLVM22_MEMORY_LOCATIONS:
                drop_all |= kind != "none"
                continue
        keep.append(p)
    if drop_all:
        return ""
    return "memory(%s)" % (", ".join(keep) if keep else "none")


def _fix_hex(m):
    digits = m.group(1)
    if len(digits) == 8:  # float bits: LLVM 22 writes floats as the double with the same value
        import struct
        digits = "%016X" % struct.unpack("<Q", struct.pack("<d", struct.unpack("<f", bytes.fromhex(digits)[::-1])[0]))[0]
    return "0x" + digits


def downgrade(text):
    """newer-LLVM textual IR -> what clang-22 parses"""
    # `nofpclass(nan inf ...)` names classes, not constants: kept as written.
    held = []
    text = re.sub(r"nofpclass\([^)]*\)", lambda m: held.append(m.group(0)) or "\x00%d\x00" % (len(held) - 1), text)
    text = re.sub(r"(?<![\w.%@\"])f0x([0-9A-Fa-f]{8}|[0-9A-Fa-f]{16})\b", _fix_hex, text)
    text = re.sub(r"(?<=[\s,\[(<])-inf\b", "0xFFF0000000000000", text)
    text = re.sub(r"(?<=[\s,\[(<])\+?inf\b", "0x7FF0000000000000", text)
    text = re.sub(r"(?<=[\s,\[(<])q?nan\b", "0x7FF8000000000000", text)
    text = re.sub(r"memory\(([^)]*)\)", _fix_memory, text)
    text = re.sub(r"^(!\d+ = distinct !\{!\d+), i1 (?:false|true),", r"\1,", text, flags=re.M)
    text = re.sub(r"\x00(\d+)\x00", lambda m: held[int(m.group(1))], text)
    names = "|".join(KEEP)
    text = re.sub(r"^define internal (.*@(?:%s)\()" % names, r"define \1", text, flags=re.M)
    return text


def main():
    if sys.argv[1:2] == ["--check"]:
        from enzyme_ad.jax import enzyme_call  # noqa: F401
        return 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, out, opts = sys.argv[1], sys.argv[2], sys.argv[3:]
    from enzyme_ad.jax import enzyme_call
    set_enzyme_options(enzyme_call, ["-enzyme-always-inline=0"] + opts)
    with open(src) as f:
        ir = f.read()
    ir += "\n@ferment_enzyme_keep = global [%d x ptr] [%s]\n" % (len(KEEP), ", ".join("ptr @" + k for k in KEEP))
    ir += "define void @ferment_enzyme_nop(ptr %0, ptr %1, ptr %2, ptr %3, ptr %4, ptr %5) {\n  ret void\n}\n"
    raw = out + ".raw"
    enzyme_call.compile_to_llvm(raw, ir, "ferment_enzyme_nop", [], [], [], enzyme_call.Language.LLVM, False, "")
    with open(raw) as f:
        text = f.read()
    if not text.strip():
        print("Enzyme produced no module", file=sys.stderr)
        return 1
    if re.search(r"call .*@__enzyme_autodiff", text):
        print("Enzyme left an __enzyme_autodiff call in the module", file=sys.stderr)
        return 1
    with open(out, "w") as f:
        f.write(downgrade(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
