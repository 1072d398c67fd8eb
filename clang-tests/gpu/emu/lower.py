#!/usr/bin/env python3
"""Rewrites NVPTX LLVM IR (kernels after ferment) into host IR for the CPU
emulator in cuda_emu.c: x86-64 target, one flat address space (a block's
__shared__ arrays become plain globals: the emulator runs one block at a
time), and each NVVM intrinsic becomes a call of the emulator's function of
the same name with the prefix `emu.` instead of `llvm.` (special registers,
barriers, warp shuffles). Kernels lose the ptx_kernel calling convention.

Usage: lower.py IN.ll [OUT.ll] (standard output without OUT.ll)"""
import re
import sys

SHFL_P = """
define {{float, i1}} @"emu.nvvm.shfl.sync.{kind}.f32p"(i32 %m, float %v, i32 %b, i32 %c) {{
  %p = alloca i32
  %r = call float @emu_shfl_pred(i32 {code}, float %v, i32 %b, i32 %c, ptr %p)
  %pv = load i32, ptr %p
  %pb = icmp ne i32 %pv, 0
  %s0 = insertvalue {{float, i1}} undef, float %r, 0
  %s1 = insertvalue {{float, i1}} %s0, i1 %pb, 1
  ret {{float, i1}} %s1
}}
"""
KINDS = {"idx": 0, "up": 1, "down": 2, "bfly": 3}
# Warp-aggregated atomics (plugin/src/gpu/aggregate.rs) test activemask for
# a converged warp; the emulator's threads are never known to be converged,
# so it answers "not all lanes" and the kernels take the per-lane atomics
# (the aggregated path runs on real GPUs only).
MATCH_ALL = """
define {i64, i1} @"emu.nvvm.match.all.sync.i64p"(i32 %m, i64 %v) {
  %s0 = insertvalue {i64, i1} undef, i64 %v, 0
  %s1 = insertvalue {i64, i1} %s0, i1 false, 1
  ret {i64, i1} %s1
}
"""
ACTIVEMASK = """
define i32 @"emu.nvvm.activemask"() {
  ret i32 0
}
"""


def lower(text: str) -> str:
    out = []
    for line in text.splitlines():
        if line.startswith("target datalayout"):
            continue
        if line.startswith("target triple"):
            out.append('target triple = "x86_64-pc-linux-gnu"')
            continue
        # Drop the NVVM-specific attributes and metadata that do not exist
        # for x86 ("target-cpu"="sm_80", "target-features"="+ptx80").
        line = re.sub(r'"target-cpu"="[^"]*"', "", line)
        line = re.sub(r'"target-features"="[^"]*"', "", line)
        line = re.sub(r"\baddrspace\(\d+\)\s*", "", line)
        line = line.replace("addrspacecast", "bitcast")
        line = line.replace(" ptx_kernel ", " ")
        line = re.sub(r"@llvm\.nvvm\.([\w.]+)", r'@"emu.nvvm.\1"', line)
        # The predicate forms of the shuffles are defined below.
        if line.startswith("declare") and re.search(
            r'@"emu\.nvvm\.(shfl\.sync\.\w+\.f32p|match\.all\.sync\.i64p|activemask)"', line
        ):
            continue
        out.append(line)
    body = "\n".join(out) + "\n"
    used = set(re.findall(r'@"emu\.nvvm\.shfl\.sync\.(\w+)\.f32p"', body))
    if used:
        body += "declare float @emu_shfl_pred(i32, float, i32, i32, ptr)\n"
        for kind in sorted(used):
            body += SHFL_P.format(kind=kind, code=KINDS[kind])
    if '@"emu.nvvm.match.all.sync.i64p"' in body:
        body += MATCH_ALL
    if '@"emu.nvvm.activemask"' in body:
        body += ACTIVEMASK
    return body


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        host = lower(f.read())
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(host)
    else:
        sys.stdout.write(host)
