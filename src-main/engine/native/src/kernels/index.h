// The addon's kernels, one file each in this folder: every file holds the kernel's C++ entry
// (declared in ../conv.h, ../batch_norm.h, ../elementwise.h) and its N-API binding. A new kernel
// is a new file here, a line in index.cc and its wrapper in ../../kernels/ (TypeScript).
#pragma once
#include <node_api.h>

#include <cstddef>

namespace wb {

napi_value Conv2dExBinding(napi_env env, napi_callback_info info);
napi_value Conv2dBackpropFilterBinding(napi_env env, napi_callback_info info);
napi_value Conv2dBackpropInputBinding(napi_env env, napi_callback_info info);
napi_value BnMomentsBinding(napi_env env, napi_callback_info info);
napi_value BnScaleShiftBinding(napi_env env, napi_callback_info info);
napi_value BnGradBinding(napi_env env, napi_callback_info info);
napi_value ElementwiseBinding(napi_env env, napi_callback_info info);
napi_value InstanceNormBinding(napi_env env, napi_callback_info info);
napi_value InstanceNormGradBinding(napi_env env, napi_callback_info info);
napi_value AdamUpdateBinding(napi_env env, napi_callback_info info);
napi_value SgdMomentumUpdateBinding(napi_env env, napi_callback_info info);
napi_value RunningStatsUpdateBinding(napi_env env, napi_callback_info info);
napi_value ReflectPadGradBinding(napi_env env, napi_callback_info info);
napi_value SpatialMeanBinding(napi_env env, napi_callback_info info);

// A kernel as JavaScript sees it: the addon's property name and its binding.
struct KernelBinding {
  const char* name;
  napi_callback callback;
};

// Every kernel of the addon (index.cc).
extern const KernelBinding kKernels[];
extern const std::size_t kKernelCount;

}  // namespace wb
