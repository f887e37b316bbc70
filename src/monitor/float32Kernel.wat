;; The monitor's float32 hot loop: a column's float32 values, read through their bits, counted into its per-exponent
;; sums, its counts by key or a baseline's bins, and the running figures: min and max as ordered values (integers that
;; compare as the floats do: float32Counts.ts, orderedOf), the first zero's sign, the values below and above the
;; baseline's range (orderedRange). A NaN, an infinity, a subnormal, or a value whose key's slots are not filled yet
;; leaves the loop for the caller (columns.ts, countFloat32Rows). It is WebAssembly, not TypeScript, because V8's
;; optimised code for the same loop reloads and checks every typed array on each value once any ArrayBuffer of the
;; thread has been detached, which every run's transfers do (README, design notes: "The monitor's loop in
;; WebAssembly").
;;
;; Every address is a byte offset into the exported memory, laid out by float32Kernel.ts:
;; - the running figures at 0: min, max (ordered values), the first zero's sign, below, above (i32 each);
;; - per column: its per-exponent sums (768 u64: Σ m by sign at 0 and 256, Σ m² at 512) and either its counts by
;;   key (16,384 u32) or its baseline's slots by key (16,384 u32, two slots packed as
;;   quantile | chart << 16, 0xffffffff until filled) and its bin counts (u32);
;; - the values themselves, copied in (float32 bits, one every `stride` bytes).
(module
  (memory (export "memory") 1)

  ;; Counts the values at i, i + stride, … before end. Returns the address it stopped at: end, or a value's that the
  ;; caller counts (NaN, an infinity, a subnormal) or whose key's slots are not filled yet. slots = 0: by key.
  (func (export "count")
    (param $i i32) (param $stride i32) (param $end i32) (param $lowest i32) (param $highest i32)
    (param $slots i32) (param $bins i32) (param $sums i32) (param $counts i32)
    (result i32)
    (local $b i32) (local $mag i32) (local $k i32) (local $slot i32) (local $sign i32) (local $o i32)
    (local $min i32) (local $max i32) (local $zero i32) (local $below i32) (local $above i32)
    (local $e i32) (local $at i32) (local $m64 i64)
    (local.set $min (i32.load (i32.const 0)))
    (local.set $max (i32.load (i32.const 4)))
    (local.set $zero (i32.load (i32.const 8)))
    (local.set $below (i32.load (i32.const 12)))
    (local.set $above (i32.load (i32.const 16)))
    (block $out
      (loop $next
        (br_if $out (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $b (i32.load (local.get $i)))
        (local.set $mag (i32.and (local.get $b) (i32.const 0x7fffffff)))
        ;; NaN, infinities, subnormals: left to the caller.
        (br_if $out (i32.or
          (i32.lt_u (i32.sub (local.get $mag) (i32.const 1)) (i32.const 0x7fffff))
          (i32.ge_u (local.get $mag) (i32.const 0x7f800000))))
        (local.set $k (i32.shl (i32.shr_u (local.get $b) (i32.const 18)) (i32.const 2)))
        (if (local.get $slots)
          (then
            (local.set $slot (i32.load (i32.add (local.get $slots) (local.get $k))))
            (br_if $out (i32.eq (local.get $slot) (i32.const -1)))
            (local.set $at (i32.add (local.get $bins) (i32.shl (i32.and (local.get $slot) (i32.const 0xffff)) (i32.const 2))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
            (local.set $at (i32.add (local.get $bins) (i32.shl (i32.shr_u (local.get $slot) (i32.const 16)) (i32.const 2))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1))))
          (else
            (local.set $at (i32.add (local.get $counts) (local.get $k)))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))))
        ;; The ordered value (float32Counts.ts, orderedOf): compared as an integer.
        (local.set $sign (i32.shr_s (local.get $b) (i32.const 31)))
        (local.set $o (i32.sub (i32.xor (local.get $mag) (local.get $sign)) (local.get $sign)))
        (local.set $min (select (local.get $o) (local.get $min) (i32.lt_s (local.get $o) (local.get $min))))
        (local.set $max (select (local.get $o) (local.get $max) (i32.gt_s (local.get $o) (local.get $max))))
        (local.set $below (i32.add (local.get $below) (i32.lt_s (local.get $o) (local.get $lowest))))
        (local.set $above (i32.add (local.get $above) (i32.gt_s (local.get $o) (local.get $highest))))
        (local.set $i (i32.add (local.get $i) (local.get $stride)))
        (local.set $e (i32.shr_u (local.get $mag) (i32.const 23)))
        (if (i32.eqz (local.get $e))
          (then
            ;; A zero adds nothing to the sums; the first one's sign is kept (±1).
            (local.set $zero (select (local.get $zero) (i32.or (local.get $sign) (i32.const 1)) (local.get $zero)))
            (br $next)))
        ;; m · 2^(e − 150): per exponent, Σ m by sign and Σ m² as 64-bit integers (exact for 2^16 values: m < 2^24).
        (local.set $m64 (i64.extend_i32_u (i32.or (i32.and (local.get $mag) (i32.const 0x7fffff)) (i32.const 0x800000))))
        (local.set $at (i32.add (local.get $sums)
          (i32.shl (i32.or (i32.and (local.get $sign) (i32.const 256)) (local.get $e)) (i32.const 3))))
        (i64.store (local.get $at) (i64.add (i64.load (local.get $at)) (local.get $m64)))
        (local.set $at (i32.add (local.get $sums) (i32.shl (i32.or (local.get $e) (i32.const 512)) (i32.const 3))))
        (i64.store (local.get $at) (i64.add (i64.load (local.get $at)) (i64.mul (local.get $m64) (local.get $m64))))
        (br $next)))
    (i32.store (i32.const 0) (local.get $min))
    (i32.store (i32.const 4) (local.get $max))
    (i32.store (i32.const 8) (local.get $zero))
    (i32.store (i32.const 12) (local.get $below))
    (i32.store (i32.const 16) (local.get $above))
    (local.get $i))
  ;; Moves the per-exponent sums at `sums` (see count) out for an exact sum, and clears them: for each exponent e
  ;; with values, five float64s at out (e, Σ m of positive values, Σ m of negative ones, Σ m² / 2^32 rounded down,
  ;; Σ m² mod 2^32; each exact). Returns how many exponents it wrote. Reading 254 exponents here rather than in
  ;; JavaScript: a unit's columns are many and few of their exponents hold values.
  (func (export "collect") (param $sums i32) (param $out i32) (result i32)
    (local $e i32) (local $n i32) (local $q i32) (local $sq i64)
    (local.set $e (i32.const 1))
    (loop $next
      (local.set $q (i32.add (local.get $sums) (i32.shl (i32.or (local.get $e) (i32.const 512)) (i32.const 3))))
      (local.set $sq (i64.load (local.get $q)))
      (if (i64.ne (local.get $sq) (i64.const 0))
        (then
          (f64.store (local.get $out) (f64.convert_i32_u (local.get $e)))
          (f64.store offset=8 (local.get $out)
            (f64.convert_i64_u (i64.load (i32.add (local.get $sums) (i32.shl (local.get $e) (i32.const 3))))))
          (f64.store offset=16 (local.get $out)
            (f64.convert_i64_u (i64.load (i32.add (local.get $sums) (i32.shl (i32.or (local.get $e) (i32.const 256)) (i32.const 3))))))
          (f64.store offset=24 (local.get $out) (f64.convert_i64_u (i64.shr_u (local.get $sq) (i64.const 32))))
          (f64.store offset=32 (local.get $out) (f64.convert_i64_u (i64.and (local.get $sq) (i64.const 0xffffffff))))
          (i64.store (i32.add (local.get $sums) (i32.shl (local.get $e) (i32.const 3))) (i64.const 0))
          (i64.store (i32.add (local.get $sums) (i32.shl (i32.or (local.get $e) (i32.const 256)) (i32.const 3))) (i64.const 0))
          (i64.store (local.get $q) (i64.const 0))
          (local.set $out (i32.add (local.get $out) (i32.const 40)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (local.set $e (i32.add (local.get $e) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $e) (i32.const 255))))
    (local.get $n))
)
