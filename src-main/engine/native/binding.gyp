{
  "targets": [
    {
      "target_name": "workbench_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/direct_conv.cc", "src/implicit_conv.cc", "src/winograd.cc", "src/winograd_avx2.cc", "src/winograd_pruned.cc", "src/winograd_pruned_avx2.cc", "src/winograd_f43_pruned.cc", "src/winograd_f43_pruned_avx2.cc", "src/thread_pool.cc", "src/conv_im2col.cc", "src/batch_norm_loops.cc",
                  "src/kernels/index.cc", "src/kernels/conv2d_ex.cc", "src/kernels/conv2d_backprop_filter.cc", "src/kernels/conv2d_backprop_input.cc",
                  "src/kernels/bn_moments.cc", "src/kernels/bn_scale_shift.cc", "src/kernels/bn_grad.cc", "src/kernels/elementwise.cc",
                  "src/kernels/instance_norm.cc", "src/kernels/adam.cc", "src/kernels/sgd_momentum.cc", "src/kernels/running_stats.cc", "src/kernels/spatial_mean.cc",
                  "src/kernels/reflect_pad_grad.cc"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc": ["-O3", "-fno-math-errno", "-ffp-contract=off", "-std=c++17", "-fexceptions"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=off"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "Optimization": 2, "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
