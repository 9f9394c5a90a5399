;; Dot products of row sets with 128-bit SIMD, for the compressed index: query rows against
;; centroids (search) and token rows against centroids (k-means and encoding). Compiled to
;; ../src/plaid/plaid-wasm.ts by build.mjs (wabt). Pointers are byte offsets into the exported
;; memory; dim must be a multiple of 4; rows are row-major float32.
(module
  (memory (export "memory") 1)

  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; out[i * bRows + j] = a_i . b_j, four b rows per pass so each load of a_i feeds four products.
  (func (export "dot_scores") (param $a i32) (param $aRows i32) (param $b i32) (param $bRows i32)
                              (param $dim i32) (param $out i32)
    (local $i i32) (local $j i32) (local $k i32) (local $ai i32) (local $bj i32) (local $stride i32)
    (local $x v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $o i32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $i) (local.get $aRows)))
      (local.set $ai (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $bRows)) (i32.const 2))))
      (local.set $j (i32.const 0))
      ;; Four b rows at a time.
      (block $quads_done (loop $quads
        (br_if $quads_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $bRows)))
        (local.set $bj (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $s0 (v128.const f32x4 0 0 0 0))
        (local.set $s1 (v128.const f32x4 0 0 0 0))
        (local.set $s2 (v128.const f32x4 0 0 0 0))
        (local.set $s3 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $k_done (loop $ks
          (br_if $k_done (i32.ge_u (local.get $k) (local.get $stride)))
          (local.set $x (v128.load (i32.add (local.get $ai) (local.get $k))))
          (local.set $s0 (f32x4.add (local.get $s0)
            (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $bj) (local.get $k))))))
          (local.set $s1 (f32x4.add (local.get $s1)
            (f32x4.mul (local.get $x) (v128.load (i32.add (i32.add (local.get $bj) (local.get $stride)) (local.get $k))))))
          (local.set $s2 (f32x4.add (local.get $s2)
            (f32x4.mul (local.get $x) (v128.load (i32.add (i32.add (local.get $bj) (i32.shl (local.get $stride) (i32.const 1))) (local.get $k))))))
          (local.set $s3 (f32x4.add (local.get $s3)
            (f32x4.mul (local.get $x) (v128.load (i32.add (i32.add (local.get $bj) (i32.mul (local.get $stride) (i32.const 3))) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $ks)))
        (f32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2))) (call $hsum (local.get $s0)))
        (f32.store (i32.add (local.get $o) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2))) (call $hsum (local.get $s1)))
        (f32.store (i32.add (local.get $o) (i32.shl (i32.add (local.get $j) (i32.const 2)) (i32.const 2))) (call $hsum (local.get $s2)))
        (f32.store (i32.add (local.get $o) (i32.shl (i32.add (local.get $j) (i32.const 3)) (i32.const 2))) (call $hsum (local.get $s3)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      ;; The last b rows, one at a time.
      (block $ones_done (loop $ones
        (br_if $ones_done (i32.ge_u (local.get $j) (local.get $bRows)))
        (local.set $bj (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $s0 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $k1_done (loop $k1
          (br_if $k1_done (i32.ge_u (local.get $k) (local.get $stride)))
          (local.set $s0 (f32x4.add (local.get $s0)
            (f32x4.mul (v128.load (i32.add (local.get $ai) (local.get $k))) (v128.load (i32.add (local.get $bj) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $k1)))
        (f32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2))) (call $hsum (local.get $s0)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ones)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
)
