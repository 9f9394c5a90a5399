;; MaxSim over packed documents, in a shared memory so that worker threads score parts of one
;; packed set. Compiled to ../src/scoring/packed-wasm.ts by build.mjs (wabt, SIMD + threads).
;;
;; float32 layout: each document's rows, padded to a multiple of 8 by repeating its last row (a
;; repeated row cannot change a maximum), stored as blocks of 4 rows transposed: block floats
;; [k * 4 + lane] for k < dim. So one load gives dimension k of 4 rows, and a query value splat
;; over it gives 4 dot-product terms at once: no horizontal sums until a document is done.
;; int8 layout: rows as they are (dim bytes each, dim a multiple of 8) with a float scale per row;
;; the query in int16.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func $hmax (param $v v128) (result f32)
    (f32.max (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

;; Scores documents [first, first + count): out[d] = sum over query rows of the best dot
  ;; product with any of d's rows; 0 for a document without rows.
  ;; q: the query in groups of 4 rows, each group [k * 4 + row] for k < dim (rows past the query's
  ;; end are zeros: their best dot product is 0, which adds nothing). groups: qRows / 4 rounded
  ;; up. starts[d]: byte offset of d's blocks; blocks[d]: its number of 4-row blocks (even).
  (func (export "score_f32") (param $q i32) (param $groups i32) (param $dim i32) (param $starts i32) (param $blocks i32) (param $first i32) (param $count i32) (param $out i32)
    (local $d i32) (local $end i32) (local $base i32) (local $nb i32) (local $g i32) (local $j i32)
    (local $blk i32) (local $qg i32) (local $pa i32) (local $pb i32) (local $pq i32) (local $stop i32)
    (local $x0 v128) (local $x1 v128) (local $s v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128) (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $total f32)
    (local.set $blk (i32.shl (local.get $dim) (i32.const 4)))
    (local.set $d (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $count)))
    (block $dd (loop $ld
      (br_if $dd (i32.ge_u (local.get $d) (local.get $end)))
      (local.set $base (i32.load (i32.add (local.get $starts) (i32.shl (local.get $d) (i32.const 2)))))
      (local.set $nb (i32.load (i32.add (local.get $blocks) (i32.shl (local.get $d) (i32.const 2)))))
      (local.set $total (f32.const 0))
      (if (i32.gt_u (local.get $nb) (i32.const 0)) (then
        ;; A group of four query rows against two blocks (8 document rows): 8 accumulators.
        (local.set $g (i32.const 0))
        (block $dg (loop $lg
          (br_if $dg (i32.ge_u (local.get $g) (local.get $groups)))
          (local.set $qg (i32.add (local.get $q) (i32.mul (local.get $g) (local.get $blk))))
          (local.set $m0 (v128.const f32x4 -inf -inf -inf -inf)) (local.set $m1 (v128.const f32x4 -inf -inf -inf -inf))
          (local.set $m2 (v128.const f32x4 -inf -inf -inf -inf)) (local.set $m3 (v128.const f32x4 -inf -inf -inf -inf))
          (local.set $j (i32.const 0))
          (block $dj (loop $lj
            (br_if $dj (i32.ge_u (local.get $j) (local.get $nb)))
            (local.set $pa (i32.add (local.get $base) (i32.mul (local.get $j) (local.get $blk))))
            (local.set $pb (i32.add (local.get $pa) (local.get $blk)))
            (local.set $pq (local.get $qg))
            (local.set $stop (i32.add (local.get $qg) (local.get $blk)))
            (local.set $a00 (v128.const f32x4 0 0 0 0)) (local.set $a01 (v128.const f32x4 0 0 0 0))
            (local.set $a10 (v128.const f32x4 0 0 0 0)) (local.set $a11 (v128.const f32x4 0 0 0 0))
            (local.set $a20 (v128.const f32x4 0 0 0 0)) (local.set $a21 (v128.const f32x4 0 0 0 0))
            (local.set $a30 (v128.const f32x4 0 0 0 0)) (local.set $a31 (v128.const f32x4 0 0 0 0))
            ;; Two dimensions a step (dim is a multiple of 4): constant offsets, three pointers.
            (block $dk (loop $lk
              (br_if $dk (i32.ge_u (local.get $pq) (local.get $stop)))
              (local.set $x0 (v128.load (local.get $pa)))
              (local.set $x1 (v128.load (local.get $pb)))
              (local.set $s (v128.load32_splat (local.get $pq)))
              (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $s (v128.load32_splat offset=4 (local.get $pq)))
              (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $s (v128.load32_splat offset=8 (local.get $pq)))
              (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $s (v128.load32_splat offset=12 (local.get $pq)))
              (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $x0 (v128.load offset=16 (local.get $pa)))
              (local.set $x1 (v128.load offset=16 (local.get $pb)))
              (local.set $s (v128.load32_splat offset=16 (local.get $pq)))
              (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $s (v128.load32_splat offset=20 (local.get $pq)))
              (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $s (v128.load32_splat offset=24 (local.get $pq)))
              (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $s (v128.load32_splat offset=28 (local.get $pq)))
              (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $x0))))
              (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $x1))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
              (local.set $pq (i32.add (local.get $pq) (i32.const 32)))
              (br $lk)))
            (local.set $m0 (f32x4.max (local.get $m0) (f32x4.max (local.get $a00) (local.get $a01))))
            (local.set $m1 (f32x4.max (local.get $m1) (f32x4.max (local.get $a10) (local.get $a11))))
            (local.set $m2 (f32x4.max (local.get $m2) (f32x4.max (local.get $a20) (local.get $a21))))
            (local.set $m3 (f32x4.max (local.get $m3) (f32x4.max (local.get $a30) (local.get $a31))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $lj)))
          (local.set $total (f32.add (local.get $total)
            (f32.add (f32.add (call $hmax (local.get $m0)) (call $hmax (local.get $m1))) (f32.add (call $hmax (local.get $m2)) (call $hmax (local.get $m3))))))
          (local.set $g (i32.add (local.get $g) (i32.const 1)))
          (br $lg)))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) (local.get $total))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $ld))))

;; int16 · int8 dot product of one query row and one document row (dim a multiple of 8): the
  ;; document's bytes sign-extended to 16 bits, then i32x4.dot_i16x8_s (pairs multiplied and added).
  (func $dot16x8 (param $a i32) (param $b i32) (param $dim i32) (result i32)
    (local $k i32) (local $acc v128)
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $dim)))
      (local.set $acc (i32x4.add (local.get $acc)
        (i32x4.dot_i16x8_s (v128.load (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 1))))
                           (v128.load8x8_s (i32.add (local.get $b) (local.get $k))))))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $next)))
    (call $hsum (local.get $acc)))

  (func $hsum (param $v v128) (result i32)
    (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
             (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; int8 MaxSim: out[d] = sum over query rows i of qScale[i] * max over d's rows r of
  ;; dScale[r] * dot(q_i, d_r). The query is int16 (dim * 2 bytes a row: its quantization error is
  ;; 256x smaller than the documents'), the documents int8; four document rows share each query
  ;; load. rowStart[d] / rowCount[d]: d's first row index and row count in `rows` (dim bytes
  ;; each) and `scales` (one f32 each).
  (func (export "score_i8") (param $q i32) (param $qs i32) (param $qr i32) (param $dim i32) (param $rows i32) (param $scales i32) (param $rowStart i32) (param $rowCount i32) (param $first i32) (param $count i32) (param $out i32)
    (local $d i32) (local $end i32) (local $r0 i32) (local $rend i32) (local $i i32) (local $r i32) (local $k i32)
    (local $best f32) (local $total f32) (local $qa i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $pq i32) (local $stop i32) (local $sc i32) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $d (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $count)))
    (block $dd (loop $ld
      (br_if $dd (i32.ge_u (local.get $d) (local.get $end)))
      (local.set $r0 (i32.load (i32.add (local.get $rowStart) (i32.shl (local.get $d) (i32.const 2)))))
      (local.set $rend (i32.add (local.get $r0) (i32.load (i32.add (local.get $rowCount) (i32.shl (local.get $d) (i32.const 2))))))
      (local.set $total (f32.const 0))
      (if (i32.gt_u (local.get $rend) (local.get $r0)) (then
        (local.set $i (i32.const 0))
        (block $di (loop $li
          (br_if $di (i32.ge_u (local.get $i) (local.get $qr)))
          (local.set $qa (i32.add (local.get $q) (i32.shl (i32.mul (local.get $i) (local.get $dim)) (i32.const 1))))
          (local.set $best (f32.const -inf))
          (local.set $r (local.get $r0))
          ;; Four rows at a time.
          (block $d4 (loop $l4
            (br_if $d4 (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $rend)))
            (local.set $p0 (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $dim))))
            (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
            ;; Pointers step through the four rows and the query together; no index arithmetic inside.
            (local.set $pq (local.get $qa))
            (local.set $p1 (i32.add (local.get $p0) (local.get $dim)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $dim)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $dim)))
            (local.set $stop (i32.add (local.get $p1) (i32.const 0)))
            (block $dk (loop $lk
              (br_if $dk (i32.ge_u (local.get $p0) (local.get $stop)))
              (local.set $x (v128.load (local.get $pq)))
              (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $x) (v128.load8x8_s (local.get $p0)))))
              (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $x) (v128.load8x8_s (local.get $p1)))))
              (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $x) (v128.load8x8_s (local.get $p2)))))
              (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $x) (v128.load8x8_s (local.get $p3)))))
              (local.set $pq (i32.add (local.get $pq) (i32.const 16)))
              (local.set $p0 (i32.add (local.get $p0) (i32.const 8)))
              (local.set $p1 (i32.add (local.get $p1) (i32.const 8)))
              (local.set $p2 (i32.add (local.get $p2) (i32.const 8)))
              (local.set $p3 (i32.add (local.get $p3) (i32.const 8)))
              (br $lk)))
            (local.set $sc (i32.add (local.get $scales) (i32.shl (local.get $r) (i32.const 2))))
            (local.set $best (f32.max (local.get $best) (f32.max
              (f32.max (f32.mul (f32.load (local.get $sc)) (f32.convert_i32_s (call $hsum (local.get $a0))))
                       (f32.mul (f32.load offset=4 (local.get $sc)) (f32.convert_i32_s (call $hsum (local.get $a1)))))
              (f32.max (f32.mul (f32.load offset=8 (local.get $sc)) (f32.convert_i32_s (call $hsum (local.get $a2))))
                       (f32.mul (f32.load offset=12 (local.get $sc)) (f32.convert_i32_s (call $hsum (local.get $a3))))))))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $l4)))
          ;; The rest one at a time.
          (block $dr (loop $lr
            (br_if $dr (i32.ge_u (local.get $r) (local.get $rend)))
            (local.set $best (f32.max (local.get $best) (f32.mul (f32.load (i32.add (local.get $scales) (i32.shl (local.get $r) (i32.const 2))))
              (f32.convert_i32_s (call $dot16x8 (local.get $qa) (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $dim))) (local.get $dim))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $lr)))
          (local.set $total (f32.add (local.get $total) (f32.mul (local.get $best) (f32.load (i32.add (local.get $qs) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $li)))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) (local.get $total))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $ld))))
)
