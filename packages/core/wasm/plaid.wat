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
;; Centroid interaction (PLAID's stages 2 and 3): for each listed document, the best score of
  ;; its distinct centroids per query row, summed over the rows. scoresT holds [k, qPad] scores
  ;; (qPad a multiple of 4, padding lanes -inf); lists/offsets are each document's distinct
  ;; centroids; allowed (k bytes, or 0 for none) skips pruned centroids; best is qPad floats of
  ;; scratch; out gets one score a document.
  (func (export "centroid_interaction") (param $scoresT i32) (param $qPad i32) (param $lists i32)
        (param $offsets i32) (param $docs i32) (param $n i32) (param $allowed i32) (param $best i32)
        (param $out i32)
    (local $j i32) (local $d i32) (local $r i32) (local $end i32) (local $c i32) (local $q i32)
    (local $stride i32) (local $row i32) (local $acc v128) (local $v v128)
    (local.set $stride (i32.shl (local.get $qPad) (i32.const 2)))
    (block $docs_done (loop $each_doc
      (br_if $docs_done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $d (i32.load (i32.add (local.get $docs) (i32.shl (local.get $j) (i32.const 2)))))
      ;; best = -inf
      (local.set $q (i32.const 0))
      (block $f_done (loop $f
        (br_if $f_done (i32.ge_u (local.get $q) (local.get $stride)))
        (v128.store (i32.add (local.get $best) (local.get $q)) (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $f)))
      (local.set $r (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $d) (i32.const 2)))))
      (local.set $end (i32.load (i32.add (local.get $offsets) (i32.shl (i32.add (local.get $d) (i32.const 1)) (i32.const 2)))))
      (block $codes_done (loop $codes
        (br_if $codes_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $c (i32.load (i32.add (local.get $lists) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (if (i32.or (i32.eqz (local.get $allowed)) (i32.load8_u (i32.add (local.get $allowed) (local.get $c))))
          (then
            (local.set $row (i32.add (local.get $scoresT) (i32.mul (local.get $c) (local.get $stride))))
            (local.set $q (i32.const 0))
            (block $m_done (loop $m
              (br_if $m_done (i32.ge_u (local.get $q) (local.get $stride)))
              (v128.store (i32.add (local.get $best) (local.get $q))
                (f32x4.max (v128.load (i32.add (local.get $best) (local.get $q)))
                           (v128.load (i32.add (local.get $row) (local.get $q)))))
              (local.set $q (i32.add (local.get $q) (i32.const 16)))
              (br $m)))))
        (br $codes)))
      ;; Sum the lanes that found a centroid (-inf lanes count 0).
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $q (i32.const 0))
      (block $s_done (loop $s
        (br_if $s_done (i32.ge_u (local.get $q) (local.get $stride)))
        (local.set $v (v128.load (i32.add (local.get $best) (local.get $q))))
        (local.set $acc (f32x4.add (local.get $acc)
          (v128.bitselect (local.get $v) (v128.const f32x4 0 0 0 0)
            (f32x4.gt (local.get $v) (v128.const f32x4 -inf -inf -inf -inf)))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $s)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (call $hsum (local.get $acc)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each_doc)))
  )
)
