;; MaxSim over float32 rows with 128-bit SIMD. Compiled to ../src/scoring/maxsim-wasm.ts by
;; build.mjs (wabt). Pointers are byte offsets into the exported memory; dim must be a
;; multiple of 4. best (qRows floats) is scratch space.
(module
  (memory (export "memory") 1)

  ;; Dot product of two rows of dim floats.
  (func $dot (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $k i32) (local $acc v128)
    (local.set $acc (v128.const f32x4 0 0 0 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $dim)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 2))))
                     (v128.load (i32.add (local.get $b) (i32.shl (local.get $k) (i32.const 2)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $next)))
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
             (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; best[i] = max(best[i], s)
  (func $keep (param $best i32) (param $i i32) (param $s f32)
    (local $p i32)
    (local.set $p (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 2))))
    (f32.store (local.get $p) (f32.max (f32.load (local.get $p)) (local.get $s))))

  (func (export "maxsim") (param $q i32) (param $qr i32) (param $d i32) (param $dr i32) (param $dim i32) (param $best i32) (result f32)
    (local $i i32) (local $j i32) (local $k i32) (local $row i32) (local $off i32)
    (local $qa i32) (local $da i32) (local $db i32)
    (local $x v128) (local $y v128) (local $w v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $total f32)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
    ;; best = -inf
    (local.set $i (i32.const 0))
    (block $d0 (loop $l0
      (br_if $d0 (i32.ge_u (local.get $i) (local.get $qr)))
      (f32.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 2))) (f32.const -inf))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l0)))
    ;; Pairs of document rows against blocks of four query rows: eight accumulators.
    (local.set $j (i32.const 0))
    (block $dj (loop $lj
      (br_if $dj (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $dr)))
      (local.set $da (i32.add (local.get $d) (i32.mul (local.get $j) (local.get $row))))
      (local.set $db (i32.add (local.get $da) (local.get $row)))
      (local.set $i (i32.const 0))
      (block $di (loop $li
        (br_if $di (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $qr)))
        (local.set $qa (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $row))))
        (local.set $a0 (v128.const f32x4 0 0 0 0)) (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0)) (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $b0 (v128.const f32x4 0 0 0 0)) (local.set $b1 (v128.const f32x4 0 0 0 0))
        (local.set $b2 (v128.const f32x4 0 0 0 0)) (local.set $b3 (v128.const f32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (block $dk (loop $lk
          (br_if $dk (i32.ge_u (local.get $off) (local.get $row)))
          (local.set $x (v128.load (i32.add (local.get $da) (local.get $off))))
          (local.set $y (v128.load (i32.add (local.get $db) (local.get $off))))
          (local.set $w (v128.load (i32.add (local.get $qa) (local.get $off))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w) (local.get $x))))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $w) (local.get $y))))
          (local.set $w (v128.load (i32.add (i32.add (local.get $qa) (local.get $row)) (local.get $off))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w) (local.get $x))))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $w) (local.get $y))))
          (local.set $w (v128.load (i32.add (i32.add (local.get $qa) (i32.shl (local.get $row) (i32.const 1))) (local.get $off))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $w) (local.get $x))))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $w) (local.get $y))))
          (local.set $w (v128.load (i32.add (i32.add (local.get $qa) (i32.mul (local.get $row) (i32.const 3))) (local.get $off))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $w) (local.get $x))))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $w) (local.get $y))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br $lk)))
        (call $keep (local.get $best) (local.get $i) (f32.max (call $hsum (local.get $a0)) (call $hsum (local.get $b0))))
        (call $keep (local.get $best) (i32.add (local.get $i) (i32.const 1)) (f32.max (call $hsum (local.get $a1)) (call $hsum (local.get $b1))))
        (call $keep (local.get $best) (i32.add (local.get $i) (i32.const 2)) (f32.max (call $hsum (local.get $a2)) (call $hsum (local.get $b2))))
        (call $keep (local.get $best) (i32.add (local.get $i) (i32.const 3)) (f32.max (call $hsum (local.get $a3)) (call $hsum (local.get $b3))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $li)))
      ;; Query rows left over from the blocks of four.
      (block $dr2 (loop $lr2
        (br_if $dr2 (i32.ge_u (local.get $i) (local.get $qr)))
        (local.set $qa (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $row))))
        (call $keep (local.get $best) (local.get $i)
          (f32.max (call $dot (local.get $qa) (local.get $da) (local.get $dim)) (call $dot (local.get $qa) (local.get $db) (local.get $dim))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $lr2)))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $lj)))
    ;; An odd last document row.
    (if (i32.lt_u (local.get $j) (local.get $dr))
      (then
        (local.set $da (i32.add (local.get $d) (i32.mul (local.get $j) (local.get $row))))
        (local.set $i (i32.const 0))
        (block $dl (loop $ll
          (br_if $dl (i32.ge_u (local.get $i) (local.get $qr)))
          (call $keep (local.get $best) (local.get $i) (call $dot (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $row))) (local.get $da) (local.get $dim)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $ll)))))
    (local.set $i (i32.const 0))
    (block $ds (loop $ls
      (br_if $ds (i32.ge_u (local.get $i) (local.get $qr)))
      (local.set $total (f32.add (local.get $total) (f32.load (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ls)))
    (local.get $total)))
