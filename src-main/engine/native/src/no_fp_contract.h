// Included first by the files whose float32 arithmetic must round each product on its own, as the
// separate TF.js kernels they replace do: no fused multiply-add in this translation unit, whatever
// flags it is built with (build-native.mjs passes -ffp-contract=off too; this keeps a file that is
// compiled some other way, or by clang, to the same results).
#pragma once
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
