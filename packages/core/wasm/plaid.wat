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
    (local $b1 i32) (local $b2 i32) (local $b3 i32)
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

  ;; Stage 4: each listed document's MaxSim against its rows decoded from the compressed index,
  ;; without writing the rows out. A row is centroid + residual, normalized; its residual bytes
  ;; are decoded through lut (per residual byte position, 256 entries of the 8/nbits values that
  ;; byte encodes: 32, 16 or 8 bytes an entry for nbits 1, 2, 4). qT holds the query in blocks of
  ;; four rows, dimension-major ([qPad/4][dim][4]), so one pass over a decoded row gives four
  ;; scores in one vector. codes/res are the documents' rows gathered in order, ends[j] the row
  ;; where document j ends; scratch takes dim + 8 floats, best qPad floats; out one score a
  ;; document. Padding query rows are zero: their scores are 0 and add nothing.
  (func (export "decode_maxsim") (param $qT i32) (param $qPad i32) (param $dim i32) (param $centroids i32)
        (param $lut i32) (param $nbits i32) (param $codes i32) (param $res i32) (param $rb i32)
        (param $ends i32) (param $n i32) (param $scratch i32) (param $best i32) (param $out i32)
    (local $j i32) (local $r i32) (local $end i32) (local $p i32) (local $k i32) (local $b i32)
    (local $stride i32) (local $bstride i32) (local $cptr i32) (local $rptr i32) (local $e i32)
    (local $qb i32) (local $blocks i32) (local $bs i32)
    (local $v v128) (local $acc v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $inv v128) (local $norm f32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $bstride (i32.shl (local.get $qPad) (i32.const 2)))
    (local.set $blocks (i32.shr_u (local.get $qPad) (i32.const 2)))
    (block $docs_done (loop $each_doc
      (br_if $docs_done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $k (i32.const 0))
      (block $f_done (loop $f
        (br_if $f_done (i32.ge_u (local.get $k) (local.get $bstride)))
        (v128.store (i32.add (local.get $best) (local.get $k)) (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $f)))
      (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $j) (i32.const 2)))))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $cptr (i32.add (local.get $centroids)
          (i32.mul (i32.load (i32.add (local.get $codes) (i32.shl (local.get $r) (i32.const 2)))) (local.get $stride))))
        (local.set $rptr (i32.add (local.get $res) (i32.mul (local.get $r) (local.get $rb))))
        ;; Decode: scratch = centroid + residual, a residual byte at a time.
        (local.set $p (i32.const 0))
        (if (i32.eq (local.get $nbits) (i32.const 2))
          (then
            (block $d2_done (loop $d2
              (br_if $d2_done (i32.ge_u (local.get $p) (local.get $rb)))
              (local.set $e (i32.add (local.get $lut) (i32.shl
                (i32.add (i32.shl (local.get $p) (i32.const 8)) (i32.load8_u (i32.add (local.get $rptr) (local.get $p))))
                (i32.const 4))))
              (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $p) (i32.const 4)))
                (f32x4.add (v128.load (local.get $e)) (v128.load (i32.add (local.get $cptr) (i32.shl (local.get $p) (i32.const 4))))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $d2)))))
        (if (i32.eq (local.get $nbits) (i32.const 1))
          (then
            (block $d1_done (loop $d1
              (br_if $d1_done (i32.ge_u (local.get $p) (local.get $rb)))
              (local.set $e (i32.add (local.get $lut) (i32.shl
                (i32.add (i32.shl (local.get $p) (i32.const 8)) (i32.load8_u (i32.add (local.get $rptr) (local.get $p))))
                (i32.const 5))))
              (local.set $k (i32.shl (local.get $p) (i32.const 5)))
              (v128.store (i32.add (local.get $scratch) (local.get $k))
                (f32x4.add (v128.load (local.get $e)) (v128.load (i32.add (local.get $cptr) (local.get $k)))))
              (v128.store offset=16 (i32.add (local.get $scratch) (local.get $k))
                (f32x4.add (v128.load offset=16 (local.get $e)) (v128.load offset=16 (i32.add (local.get $cptr) (local.get $k)))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $d1)))))
        (if (i32.eq (local.get $nbits) (i32.const 4))
          (then
            (block $d4_done (loop $d4
              (br_if $d4_done (i32.ge_u (local.get $p) (local.get $rb)))
              (local.set $v (v128.load64_zero (i32.add (local.get $lut) (i32.shl
                (i32.add (i32.shl (local.get $p) (i32.const 8)) (i32.load8_u (i32.add (local.get $rptr) (local.get $p))))
                (i32.const 3)))))
              (local.set $v (v128.load64_lane 1 (i32.add (local.get $lut) (i32.shl
                (i32.add (i32.shl (i32.add (local.get $p) (i32.const 1)) (i32.const 8))
                         (i32.load8_u offset=1 (i32.add (local.get $rptr) (local.get $p))))
                (i32.const 3))) (local.get $v)))
              (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $p) (i32.const 3)))
                (f32x4.add (local.get $v) (v128.load (i32.add (local.get $cptr) (i32.shl (local.get $p) (i32.const 3))))))
              (local.set $p (i32.add (local.get $p) (i32.const 2)))
              (br $d4)))))
        ;; 1 / |row|
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $n_done (loop $nl
          (br_if $n_done (i32.ge_u (local.get $k) (local.get $stride)))
          (local.set $v (v128.load (i32.add (local.get $scratch) (local.get $k))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $nl)))
        (local.set $norm (call $hsum (local.get $acc)))
        (local.set $inv (f32x4.splat
          (select (f32.div (f32.const 1) (f32.sqrt (local.get $norm))) (f32.const 0) (f32.gt (local.get $norm) (f32.const 0)))))
        ;; Four query rows a vector: best = max(best, (q . row) / |row|). Sixteen rows (four
        ;; independent sums) a pass where there are, so the adds do not wait on each other.
        (local.set $b (i32.const 0))
        (local.set $bs (i32.shl (local.get $stride) (i32.const 2)))
        (block $g_done (loop $gl
          (br_if $g_done (i32.gt_u (i32.add (local.get $b) (i32.const 4)) (local.get $blocks)))
          (local.set $qb (i32.add (local.get $qT) (i32.mul (local.get $b) (local.get $bs))))
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $a1 (v128.const f32x4 0 0 0 0))
          (local.set $a2 (v128.const f32x4 0 0 0 0))
          (local.set $a3 (v128.const f32x4 0 0 0 0))
          (local.set $k (i32.const 0))
          (block $gk_done (loop $gk
            (br_if $gk_done (i32.ge_u (local.get $k) (local.get $stride)))
            (local.set $v (v128.load32_splat (i32.add (local.get $scratch) (local.get $k))))
            (local.set $e (i32.add (local.get $qb) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (v128.load (local.get $e)))))
            (local.set $e (i32.add (local.get $e) (local.get $bs)))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (v128.load (local.get $e)))))
            (local.set $e (i32.add (local.get $e) (local.get $bs)))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (v128.load (local.get $e)))))
            (local.set $e (i32.add (local.get $e) (local.get $bs)))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (v128.load (local.get $e)))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $gk)))
          (local.set $e (i32.add (local.get $best) (i32.shl (local.get $b) (i32.const 4))))
          (v128.store (local.get $e) (f32x4.max (v128.load (local.get $e)) (f32x4.mul (local.get $acc) (local.get $inv))))
          (v128.store offset=16 (local.get $e) (f32x4.max (v128.load offset=16 (local.get $e)) (f32x4.mul (local.get $a1) (local.get $inv))))
          (v128.store offset=32 (local.get $e) (f32x4.max (v128.load offset=32 (local.get $e)) (f32x4.mul (local.get $a2) (local.get $inv))))
          (v128.store offset=48 (local.get $e) (f32x4.max (v128.load offset=48 (local.get $e)) (f32x4.mul (local.get $a3) (local.get $inv))))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (br $gl)))
        ;; The last blocks one at a time, the row's dimensions split over four sums.
        (block $b_done (loop $bl
          (br_if $b_done (i32.ge_u (local.get $b) (local.get $blocks)))
          (local.set $qb (i32.add (local.get $qT) (i32.mul (local.get $b) (local.get $bs))))
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $a1 (v128.const f32x4 0 0 0 0))
          (local.set $a2 (v128.const f32x4 0 0 0 0))
          (local.set $a3 (v128.const f32x4 0 0 0 0))
          (local.set $k (i32.const 0))
          (block $k_done (loop $kl
            (br_if $k_done (i32.ge_u (local.get $k) (local.get $stride)))
            (local.set $e (i32.add (local.get $qb) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load32_splat (i32.add (local.get $scratch) (local.get $k))) (v128.load (local.get $e)))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (v128.load32_splat offset=4 (i32.add (local.get $scratch) (local.get $k))) (v128.load offset=16 (local.get $e)))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (v128.load32_splat offset=8 (i32.add (local.get $scratch) (local.get $k))) (v128.load offset=32 (local.get $e)))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (v128.load32_splat offset=12 (i32.add (local.get $scratch) (local.get $k))) (v128.load offset=48 (local.get $e)))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $kl)))
          (local.set $acc (f32x4.add (f32x4.add (local.get $acc) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
          (local.set $e (i32.add (local.get $best) (i32.shl (local.get $b) (i32.const 4))))
          (v128.store (local.get $e) (f32x4.max (v128.load (local.get $e)) (f32x4.mul (local.get $acc) (local.get $inv))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
      ;; Sum the query rows' maxima (a document without rows scores 0).
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $k (i32.const 0))
      (block $s_done (loop $s
        (br_if $s_done (i32.ge_u (local.get $k) (local.get $bstride)))
        (local.set $v (v128.load (i32.add (local.get $best) (local.get $k))))
        (local.set $acc (f32x4.add (local.get $acc)
          (v128.bitselect (local.get $v) (v128.const f32x4 0 0 0 0)
            (f32x4.gt (local.get $v) (v128.const f32x4 -inf -inf -inf -inf)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $s)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (call $hsum (local.get $acc)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each_doc)))
  )

  ;; Scores [n] in [-1, 1] to bytes 1..255 (u = round(127 (s + 1)) + 1, clamped): the coarse table
  ;; of stage 2; 0 is "no score" (-inf, and a pruned centroid's row). n a multiple of 16.
  (func (export "quantize_scores") (param $scores i32) (param $n i32) (param $out i32)
    (local $i i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $a (call $byte (v128.load (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $b (call $byte (v128.load offset=16 (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $c (call $byte (v128.load offset=32 (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $d (call $byte (v128.load offset=48 (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2))))))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $a) (local.get $b)) (i16x8.narrow_i32x4_s (local.get $c) (local.get $d))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $each))))

  (func $byte (param $v v128) (result v128)
    ;; -inf (a padding lane) stays 0: no score.
    (v128.and (f32x4.gt (local.get $v) (v128.const f32x4 -inf -inf -inf -inf))
    (i32x4.min_s (i32x4.max_s
      (i32x4.trunc_sat_f32x4_s (f32x4.add (f32x4.mul (f32x4.add (local.get $v) (v128.const f32x4 1 1 1 1))
                                                     (v128.const f32x4 127 127 127 127))
                                          (v128.const f32x4 1.5 1.5 1.5 1.5)))
      (v128.const i32x4 1 1 1 1)) (v128.const i32x4 255 255 255 255))))

  ;; Stage 2 over the coarse table (bytes [k, qPad], qPad a multiple of 16): as
  ;; centroid_interaction, a pruned centroid reading a row of zeros (zero, qPad bytes) instead
  ;; of a branch. out gets each document's (sum of bytes - rows found) / 127 - rows found, the
  ;; sum of the decoded maxima.
  (func (export "coarse_interaction") (param $table i32) (param $qPad i32) (param $lists i32)
        (param $offsets i32) (param $docs i32) (param $n i32) (param $allowed i32) (param $zero i32)
        (param $best i32) (param $out i32)
    (local $j i32) (local $d i32) (local $r i32) (local $end i32) (local $c i32) (local $q i32)
    (local $row i32) (local $sum v128) (local $found v128) (local $v v128) (local $total i32) (local $count i32)
    (if (i32.eq (local.get $qPad) (i32.const 32))
      (then
        (call $coarse32 (local.get $table) (local.get $lists) (local.get $offsets) (local.get $docs) (local.get $n)
          (local.get $allowed) (local.get $zero) (local.get $out))
        (return)))
    (block $docs_done (loop $each_doc
      (br_if $docs_done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $d (i32.load (i32.add (local.get $docs) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $q (i32.const 0))
      (block $f_done (loop $f
        (br_if $f_done (i32.ge_u (local.get $q) (local.get $qPad)))
        (v128.store (i32.add (local.get $best) (local.get $q)) (v128.const i32x4 0 0 0 0))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $f)))
      (local.set $r (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $d) (i32.const 2)))))
      (local.set $end (i32.load (i32.add (local.get $offsets) (i32.shl (i32.add (local.get $d) (i32.const 1)) (i32.const 2)))))
      (block $codes_done (loop $codes
        (br_if $codes_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $c (i32.load (i32.add (local.get $lists) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (local.set $row (select (i32.add (local.get $table) (i32.mul (local.get $c) (local.get $qPad))) (local.get $zero)
          (i32.load8_u (i32.add (local.get $allowed) (local.get $c)))))
        (local.set $q (i32.const 0))
        (block $m_done (loop $m
          (br_if $m_done (i32.ge_u (local.get $q) (local.get $qPad)))
          (v128.store (i32.add (local.get $best) (local.get $q))
            (i8x16.max_u (v128.load (i32.add (local.get $best) (local.get $q))) (v128.load (i32.add (local.get $row) (local.get $q)))))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br $m)))
        (br $codes)))
      ;; Sum of the bytes and count of the rows found (bytes above 0).
      (local.set $sum (v128.const i32x4 0 0 0 0))
      (local.set $found (v128.const i32x4 0 0 0 0))
      (local.set $q (i32.const 0))
      (block $s_done (loop $s
        (br_if $s_done (i32.ge_u (local.get $q) (local.get $qPad)))
        (local.set $v (v128.load (i32.add (local.get $best) (local.get $q))))
        (local.set $sum (i32x4.add (local.get $sum) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $v)))))
        (local.set $found (i32x4.add (local.get $found) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u
          (i8x16.min_u (local.get $v) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1))))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $s)))
      (local.set $total (i32.add (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
                                 (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
      (local.set $count (i32.add (i32.add (i32x4.extract_lane 0 (local.get $found)) (i32x4.extract_lane 1 (local.get $found)))
                                 (i32.add (i32x4.extract_lane 2 (local.get $found)) (i32x4.extract_lane 3 (local.get $found)))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
        (f32.sub (f32.div (f32.convert_i32_s (i32.sub (local.get $total) (local.get $count))) (f32.const 127))
                 (f32.convert_i32_s (local.get $count))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each_doc)))
  )

  ;; coarse_interaction for 32 query rows (ColBERT's query length), each document's best bytes
  ;; in two registers: through memory, every centroid's max waited on the last one's store.
  (func $coarse32 (param $table i32) (param $lists i32) (param $offsets i32) (param $docs i32) (param $n i32)
        (param $allowed i32) (param $zero i32) (param $out i32)
    (local $j i32) (local $d i32) (local $r i32) (local $end i32) (local $c i32) (local $row i32) (local $row2 i32)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $sum v128) (local $found v128) (local $total i32) (local $count i32)
    (block $docs_done (loop $each_doc
      (br_if $docs_done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $d (i32.load (i32.add (local.get $docs) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $b0 (v128.const i32x4 0 0 0 0))
      (local.set $b1 (v128.const i32x4 0 0 0 0))
      (local.set $r (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $d) (i32.const 2)))))
      (local.set $end (i32.load (i32.add (local.get $offsets) (i32.shl (i32.add (local.get $d) (i32.const 1)) (i32.const 2)))))
      ;; Two centroids a pass into two pairs of registers: the loads of one do not wait on the other's max.
      (local.set $b2 (v128.const i32x4 0 0 0 0))
      (local.set $b3 (v128.const i32x4 0 0 0 0))
      (block $pairs_done (loop $pairs
        (br_if $pairs_done (i32.ge_u (i32.add (local.get $r) (i32.const 1)) (local.get $end)))
        (local.set $c (i32.load (i32.add (local.get $lists) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $row (select (i32.add (local.get $table) (i32.shl (local.get $c) (i32.const 5))) (local.get $zero)
          (i32.load8_u (i32.add (local.get $allowed) (local.get $c)))))
        (local.set $c (i32.load offset=4 (i32.add (local.get $lists) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $row2 (select (i32.add (local.get $table) (i32.shl (local.get $c) (i32.const 5))) (local.get $zero)
          (i32.load8_u (i32.add (local.get $allowed) (local.get $c)))))
        (local.set $b0 (i8x16.max_u (local.get $b0) (v128.load (local.get $row))))
        (local.set $b1 (i8x16.max_u (local.get $b1) (v128.load offset=16 (local.get $row))))
        (local.set $b2 (i8x16.max_u (local.get $b2) (v128.load (local.get $row2))))
        (local.set $b3 (i8x16.max_u (local.get $b3) (v128.load offset=16 (local.get $row2))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairs)))
      (if (i32.lt_u (local.get $r) (local.get $end))
        (then
          (local.set $c (i32.load (i32.add (local.get $lists) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $row (select (i32.add (local.get $table) (i32.shl (local.get $c) (i32.const 5))) (local.get $zero)
            (i32.load8_u (i32.add (local.get $allowed) (local.get $c)))))
          (local.set $b0 (i8x16.max_u (local.get $b0) (v128.load (local.get $row))))
          (local.set $b1 (i8x16.max_u (local.get $b1) (v128.load offset=16 (local.get $row))))))
      (local.set $b0 (i8x16.max_u (local.get $b0) (local.get $b2)))
      (local.set $b1 (i8x16.max_u (local.get $b1) (local.get $b3)))
      (local.set $sum (i32x4.add
        (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $b0)))
        (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $b1)))))
      (local.set $found (i32x4.add
        (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u
          (i8x16.min_u (local.get $b0) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1))))
        (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u
          (i8x16.min_u (local.get $b1) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1))))))
      (local.set $total (i32.add (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
                                 (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
      (local.set $count (i32.add (i32.add (i32x4.extract_lane 0 (local.get $found)) (i32x4.extract_lane 1 (local.get $found)))
                                 (i32.add (i32x4.extract_lane 2 (local.get $found)) (i32x4.extract_lane 3 (local.get $found)))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
        (f32.sub (f32.div (f32.convert_i32_s (i32.sub (local.get $total) (local.get $count))) (f32.const 127))
                 (f32.convert_i32_s (local.get $count))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each_doc)))
  )

  ;; Stage 1's pass over the scores [k, qPad] (qPad a multiple of 4): the padding lanes
  ;; (qRows..qPad) set to -inf; each centroid's best score (max) and whether it reaches threshold
  ;; (allowed, a byte); each query row's cells best centroids, best first, ties to the lower
  ;; centroid (ids/top: [qPad, cells], filled with -1/-inf by the caller). floor holds qPad
  ;; floats, each row's worst kept score (-inf at first, +inf for padding), so that a centroid
  ;; takes the scalar insertion only where some lane beats it.
  (func (export "centroid_pass") (param $scoresT i32) (param $k i32) (param $qPad i32) (param $qRows i32)
        (param $cells i32) (param $ids i32) (param $top i32) (param $floor i32) (param $threshold f32)
        (param $max i32) (param $allowed i32)
    (local $c i32) (local $row i32) (local $q i32) (local $stride i32) (local $m v128) (local $v v128)
    (local $hit v128) (local $best f32) (local $x f32) (local $at i32) (local $lo i32) (local $l i32)
    (local.set $stride (i32.shl (local.get $qPad) (i32.const 2)))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $c) (local.get $k)))
      (local.set $row (i32.add (local.get $scoresT) (i32.mul (local.get $c) (local.get $stride))))
      (local.set $q (local.get $qRows))
      (block $p_done (loop $p
        (br_if $p_done (i32.ge_u (local.get $q) (local.get $qPad)))
        (f32.store (i32.add (local.get $row) (i32.shl (local.get $q) (i32.const 2))) (f32.const -inf))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $p)))
      (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $q (i32.const 0))
      (block $b_done (loop $b
        (br_if $b_done (i32.ge_u (local.get $q) (local.get $stride)))
        (local.set $v (v128.load (i32.add (local.get $row) (local.get $q))))
        (local.set $m (f32x4.max (local.get $m) (local.get $v)))
        (local.set $hit (f32x4.gt (local.get $v) (v128.load (i32.add (local.get $floor) (local.get $q)))))
        (if (v128.any_true (local.get $hit))
          (then
            ;; Insert each winning lane's score into its row's list.
            (local.set $l (i32.const 0))
            (block $l_done (loop $lanes
              (br_if $l_done (i32.ge_u (local.get $l) (i32.const 4)))
              (local.set $at (i32.add (i32.shr_u (local.get $q) (i32.const 2)) (local.get $l)))
              (local.set $x (f32.load (i32.add (local.get $row) (i32.shl (local.get $at) (i32.const 2)))))
              (if (f32.gt (local.get $x) (f32.load (i32.add (local.get $floor) (i32.shl (local.get $at) (i32.const 2)))))
                (then
                  (local.set $lo (i32.mul (local.get $at) (local.get $cells)))
                  (local.set $at (i32.add (local.get $lo) (i32.sub (local.get $cells) (i32.const 1))))
                  (block $s_done (loop $shift
                    (br_if $s_done (i32.le_u (local.get $at) (local.get $lo)))
                    (br_if $s_done (i32.eqz (f32.gt (local.get $x)
                      (f32.load (i32.add (local.get $top) (i32.shl (i32.sub (local.get $at) (i32.const 1)) (i32.const 2)))))))
                    (f32.store (i32.add (local.get $top) (i32.shl (local.get $at) (i32.const 2)))
                      (f32.load (i32.add (local.get $top) (i32.shl (i32.sub (local.get $at) (i32.const 1)) (i32.const 2)))))
                    (i32.store (i32.add (local.get $ids) (i32.shl (local.get $at) (i32.const 2)))
                      (i32.load (i32.add (local.get $ids) (i32.shl (i32.sub (local.get $at) (i32.const 1)) (i32.const 2)))))
                    (local.set $at (i32.sub (local.get $at) (i32.const 1)))
                    (br $shift)))
                  (f32.store (i32.add (local.get $top) (i32.shl (local.get $at) (i32.const 2))) (local.get $x))
                  (i32.store (i32.add (local.get $ids) (i32.shl (local.get $at) (i32.const 2))) (local.get $c))
                  (local.set $at (i32.add (i32.shr_u (local.get $q) (i32.const 2)) (local.get $l)))
                  (f32.store (i32.add (local.get $floor) (i32.shl (local.get $at) (i32.const 2)))
                    (f32.load (i32.add (local.get $top) (i32.shl
                      (i32.add (i32.mul (local.get $at) (local.get $cells)) (i32.sub (local.get $cells) (i32.const 1))) (i32.const 2)))))))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br $lanes)))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $b)))
      (local.set $best (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                                (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (f32.store (i32.add (local.get $max) (i32.shl (local.get $c) (i32.const 2))) (local.get $best))
      (i32.store8 (i32.add (local.get $allowed) (local.get $c)) (f32.ge (local.get $best) (local.get $threshold)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $each)))
  )

  ;; out[i * bRows + j] = (a_i . b_j) * scale for rows of 16-bit integers (dim a multiple of 8),
  ;; summed exactly in 32 bits (the caller keeps |values| * sqrt(dim) small enough): stage 1 of a
  ;; search, the query against every centroid, at eight products an instruction. Four b rows a pass.
  (func (export "dot_scores_i16") (param $a i32) (param $aRows i32) (param $b i32) (param $bRows i32)
                                  (param $dim i32) (param $out i32) (param $scale f32)
    (local $i i32) (local $j i32) (local $k i32) (local $ai i32) (local $bj i32) (local $stride i32)
    (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $x v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $o i32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 1)))
    ;; Rows of a two at a time where b's rows come in fours; the rest (an odd last row) below.
    (if (i32.eqz (i32.and (local.get $bRows) (i32.const 3)))
      (then
        (call $dot_pairs_i16 (local.get $a) (local.get $aRows) (local.get $b) (local.get $bRows) (local.get $stride)
          (local.get $out) (local.get $scale))
        (local.set $i (i32.and (local.get $aRows) (i32.const -2)))))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $i) (local.get $aRows)))
      (local.set $ai (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $bRows)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $quads_done (loop $quads
        (br_if $quads_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $bRows)))
        (local.set $bj (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $b1 (i32.add (local.get $bj) (local.get $stride)))
        (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
        (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $k_done (loop $ks
          (br_if $k_done (i32.ge_u (local.get $k) (local.get $stride)))
          (local.set $x (v128.load (i32.add (local.get $ai) (local.get $k))))
          (local.set $s0 (i32x4.add (local.get $s0)
            (i32x4.dot_i16x8_s (local.get $x) (v128.load (i32.add (local.get $bj) (local.get $k))))))
          (local.set $s1 (i32x4.add (local.get $s1)
            (i32x4.dot_i16x8_s (local.get $x) (v128.load (i32.add (local.get $b1) (local.get $k))))))
          (local.set $s2 (i32x4.add (local.get $s2)
            (i32x4.dot_i16x8_s (local.get $x) (v128.load (i32.add (local.get $b2) (local.get $k))))))
          (local.set $s3 (i32x4.add (local.get $s3)
            (i32x4.dot_i16x8_s (local.get $x) (v128.load (i32.add (local.get $b3) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $ks)))
        ;; The four sums side by side in one vector (two rounds of pairwise adds), then scaled and
        ;; stored together: a fifth of the pass's instructions went to four scalar reductions.
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (f32x4.convert_i32x4_s (call $sum4 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
                     (f32x4.splat (local.get $scale))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      (block $ones_done (loop $ones
        (br_if $ones_done (i32.ge_u (local.get $j) (local.get $bRows)))
        (local.set $bj (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $k1_done (loop $k1
          (br_if $k1_done (i32.ge_u (local.get $k) (local.get $stride)))
          (local.set $s0 (i32x4.add (local.get $s0)
            (i32x4.dot_i16x8_s (v128.load (i32.add (local.get $ai) (local.get $k))) (v128.load (i32.add (local.get $bj) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $k1)))
        (f32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2))) (call $isum (local.get $s0) (local.get $scale)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ones)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))

  ;; dot_scores_i16 for a's rows in pairs against b's in fours (bRows a multiple of 4): each load
  ;; of a b row serves two a rows, eight sums in registers.
  (func $dot_pairs_i16 (param $a i32) (param $aRows i32) (param $b i32) (param $bRows i32) (param $stride i32)
                       (param $out i32) (param $scale f32)
    (local $i i32) (local $j i32) (local $k i32) (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32)
    (local $b2 i32) (local $b3 i32) (local $o0 i32) (local $o1 i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $aRows)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
      (local.set $a1 (i32.add (local.get $a0) (local.get $stride)))
      (local.set $o0 (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $bRows)) (i32.const 2))))
      (local.set $o1 (i32.add (local.get $o0) (i32.shl (local.get $bRows) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $quads_done (loop $quads
        (br_if $quads_done (i32.ge_u (local.get $j) (local.get $bRows)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $stride)))
        (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
        (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
        (local.set $s0 (v128.const i32x4 0 0 0 0)) (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0)) (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $t0 (v128.const i32x4 0 0 0 0)) (local.set $t1 (v128.const i32x4 0 0 0 0))
        (local.set $t2 (v128.const i32x4 0 0 0 0)) (local.set $t3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $k_done (loop $ks
          (br_if $k_done (i32.ge_u (local.get $k) (local.get $stride)))
          (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
          (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $k))))
          (local.set $y (v128.load (i32.add (local.get $b0) (local.get $k))))
          (local.set $s0 (i32x4.add (local.get $s0) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
          (local.set $t0 (i32x4.add (local.get $t0) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b1) (local.get $k))))
          (local.set $s1 (i32x4.add (local.get $s1) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
          (local.set $t1 (i32x4.add (local.get $t1) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b2) (local.get $k))))
          (local.set $s2 (i32x4.add (local.get $s2) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
          (local.set $t2 (i32x4.add (local.get $t2) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b3) (local.get $k))))
          (local.set $s3 (i32x4.add (local.get $s3) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
          (local.set $t3 (i32x4.add (local.get $t3) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $ks)))
        (v128.store (i32.add (local.get $o0) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (f32x4.convert_i32x4_s (call $sum4 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
                     (f32x4.splat (local.get $scale))))
        (v128.store (i32.add (local.get $o1) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (f32x4.convert_i32x4_s (call $sum4 (local.get $t0) (local.get $t1) (local.get $t2) (local.get $t3)))
                     (f32x4.splat (local.get $scale))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $rows))))

  ;; [sum of a's lanes, of b's, of c's, of d's]: lanes 0+2 and 1+3 of each pair interleaved, then
  ;; the halves of the two pairs added.
  (func $sum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab v128) (local $cd v128)
    (local.set $ab (i32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b))
                              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $cd (i32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d))
                              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    ;; ab = [a0+a2, b0+b2, a1+a3, b1+b3]; the sums are lanes 0+2 and 1+3.
    (i32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
               (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))

  ;; f32(sum of the four lanes) * scale.
  (func $isum (param $v v128) (param $scale f32) (result f32)
    (f32.mul (f32.convert_i32_s
      (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
               (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
      (local.get $scale)))
)
