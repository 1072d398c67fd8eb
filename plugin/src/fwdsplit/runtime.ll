; The log of values an augmented forward function read, which the forward
; derivative behind __enzyme_fwdsplit reads back (plugin/src/fwdsplit/mod.rs).
; Written by hand, target-neutral. The header lives in the augmented
; function's frame at byte 8: magic, data, length and capacity (in 8-byte
; words), then the function freeing the tape's other parts (null: none). Each entry: the load's number, then its bytes padded to words.

@ferment.log.msg0 = private unnamed_addr constant [84 x i8] c"ferment: __enzyme_augmentfwd: out of memory for the values __enzyme_fwdsplit reads\0A\00"
@ferment.log.msg1 = private unnamed_addr constant [156 x i8] c"ferment: __enzyme_fwdsplit: the tape does not match this derivative (the tape of another function, or one __enzyme_reverse or __enzyme_fwdsplit has freed)\0A\00"
@ferment.log.msg2 = private unnamed_addr constant [146 x i8] c"ferment: __enzyme_fwdsplit: the tape is null or was not made by __enzyme_augmentfwd of this function in a module that also asks for its fwdsplit\0A\00"

declare ptr @realloc(ptr, i64)
declare void @free(ptr)
declare void @abort()
declare i64 @write(i32, ptr, i64)
declare i64 @strlen(ptr)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

define void @ferment.log.fail(i32 %kind) noinline cold noreturn {
entry:
  %is0 = icmp eq i32 %kind, 0
  %is1 = icmp eq i32 %kind, 1
  %m01 = select i1 %is1, ptr @ferment.log.msg1, ptr @ferment.log.msg2
  %m = select i1 %is0, ptr @ferment.log.msg0, ptr %m01
  %n = call i64 @strlen(ptr %m)
  %w = call i64 @write(i32 2, ptr %m, i64 %n)
  call void @abort()
  unreachable
}

; Appends load %tag's %size bytes at %src.
define void @ferment.log.push(ptr %h, i64 %tag, ptr %src, i64 %size) alwaysinline {
entry:
  %dp = getelementptr i8, ptr %h, i64 8
  %lp = getelementptr i8, ptr %h, i64 16
  %cp = getelementptr i8, ptr %h, i64 24
  %len = load i64, ptr %lp
  %cap = load i64, ptr %cp
  %s7 = add i64 %size, 7
  %w = lshr i64 %s7, 3
  %n0 = add i64 %len, %w
  %need = add i64 %n0, 1
  %full = icmp ugt i64 %need, %cap
  br i1 %full, label %grow, label %put, !prof !0
grow:
  %c2 = shl i64 %cap, 1
  %c3 = add i64 %c2, %need
  %c4 = add i64 %c3, 64
  %bytes = shl i64 %c4, 3
  %old = load ptr, ptr %dp
  %new = call ptr @realloc(ptr %old, i64 %bytes)
  %bad = icmp eq ptr %new, null
  br i1 %bad, label %oom, label %ok
oom:
  call void @ferment.log.fail(i32 0)
  unreachable
ok:
  store ptr %new, ptr %dp
  store i64 %c4, ptr %cp
  br label %put
put:
  %d = load ptr, ptr %dp
  %e = getelementptr i64, ptr %d, i64 %len
  store i64 %tag, ptr %e
  %v = getelementptr i64, ptr %e, i64 1
  call void @llvm.memcpy.p0.p0.i64(ptr %v, ptr %src, i64 %size, i1 false)
  store i64 %need, ptr %lp
  ret void
}

; The reader %cur (header, position) at the start of the tape %tape's log.
define void @ferment.log.open(ptr %tape, ptr %cur) alwaysinline {
entry:
  %null = icmp eq ptr %tape, null
  br i1 %null, label %fail, label %check
check:
  %h = getelementptr i8, ptr %tape, i64 8
  %magic = load i64, ptr %h
  %good = icmp eq i64 %magic, 7370019658386519654
  br i1 %good, label %ok, label %fail
fail:
  call void @ferment.log.fail(i32 2)
  unreachable
ok:
  store ptr %h, ptr %cur
  %pp = getelementptr i8, ptr %cur, i64 8
  store i64 0, ptr %pp
  ret void
}

; Reads the next entry, which must be load %tag's, into %dst.
define void @ferment.log.pop(ptr %cur, i64 %tag, ptr %dst, i64 %size) alwaysinline {
entry:
  %h = load ptr, ptr %cur
  %pp = getelementptr i8, ptr %cur, i64 8
  %pos = load i64, ptr %pp
  %lp = getelementptr i8, ptr %h, i64 16
  %len = load i64, ptr %lp
  %s7 = add i64 %size, 7
  %w = lshr i64 %s7, 3
  %n0 = add i64 %pos, %w
  %next = add i64 %n0, 1
  %over = icmp ugt i64 %next, %len
  br i1 %over, label %fail, label %check, !prof !0
check:
  %dp = getelementptr i8, ptr %h, i64 8
  %d = load ptr, ptr %dp
  %e = getelementptr i64, ptr %d, i64 %pos
  %t = load i64, ptr %e
  %same = icmp eq i64 %t, %tag
  br i1 %same, label %get, label %fail, !prof !1
fail:
  call void @ferment.log.fail(i32 1)
  unreachable
get:
  %v = getelementptr i64, ptr %e, i64 1
  call void @llvm.memcpy.p0.p0.i64(ptr %dst, ptr %v, i64 %size, i1 false)
  store i64 %next, ptr %pp
  ret void
}

; The reverse sweep releasing the tape: the log's data, and a header that no
; longer reads as a log.
define void @ferment.log.free(ptr %h) alwaysinline {
entry:
  %dp = getelementptr i8, ptr %h, i64 8
  %d = load ptr, ptr %dp
  call void @free(ptr %d)
  store i64 0, ptr %h
  store ptr null, ptr %dp
  ret void
}


; __enzyme_fwdsplit without enzyme_nofree, once it has read the tape %tape
; (Enzyme's convention: fwdsplit consumes the tape): frees the log and, where
; the augmented function recorded a function freeing the tape's other parts
; (loop caches, snapshots), those and a frame it allocated. Without one (the
; reverse sweep frees callees' tapes or memory kept for it) the rest stays, and
; __enzyme_reverse still frees it.
define void @ferment.log.release(ptr %tape) {
entry:
  %null = icmp eq ptr %tape, null
  br i1 %null, label %done, label %check
check:
  %h = getelementptr i8, ptr %tape, i64 8
  %magic = load i64, ptr %h
  %good = icmp eq i64 %magic, 7370019658386519654
  br i1 %good, label %free, label %fail
fail:
  call void @ferment.log.fail(i32 1)
  unreachable
free:
  call void @ferment.log.free(ptr %h)
  %rp = getelementptr i8, ptr %h, i64 32
  %rel = load ptr, ptr %rp
  %has = icmp ne ptr %rel, null
  br i1 %has, label %parts, label %done
parts:
  call void %rel(ptr %tape)
  %owned = load i8, ptr %tape
  %is_owned = icmp ne i8 %owned, 0
  br i1 %is_owned, label %free.frame, label %done
free.frame:
  call void @free(ptr %tape)
  br label %done
done:
  ret void
}

!0 = !{!"branch_weights", i32 1, i32 1000}
!1 = !{!"branch_weights", i32 1000, i32 1}
