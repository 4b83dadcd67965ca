// The addon's entry: exports every kernel of kernels/index.cc, plus the thread pool's size and
// a description of the CPU path chosen at run time.
#include <node_api.h>

#include <vector>

#include "gemm.h"
#include "kernels/index.h"
#include "napi_args.h"
#include "thread_pool.h"

namespace {

// setThreads(n): size of the pool (including the calling thread).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return wb::napi::guarded(env, [&] {
    wb::napi::Args a(env, info);
    wb::set_threads(static_cast<int>(a.integer(0)));
  });
}

// info() -> { isa, threads, microkernelRows, kernels }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, isa, threads, rows, kernels;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, wb::microkernel().name, NAPI_AUTO_LENGTH, &isa);
  napi_create_int32(env, wb::threads(), &threads);
  napi_create_int32(env, wb::microkernel().mr, &rows);
  napi_create_array_with_length(env, wb::kKernelCount, &kernels);
  for (std::size_t i = 0; i < wb::kKernelCount; i++) {
    napi_value name;
    napi_create_string_utf8(env, wb::kKernels[i].name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, kernels, static_cast<uint32_t>(i), name);
  }
  napi_set_named_property(env, out, "isa", isa);
  napi_set_named_property(env, out, "threads", threads);
  napi_set_named_property(env, out, "microkernelRows", rows);
  napi_set_named_property(env, out, "kernels", kernels);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  std::vector<napi_property_descriptor> props;
  for (std::size_t i = 0; i < wb::kKernelCount; i++)
    props.push_back({wb::kKernels[i].name, nullptr, wb::kKernels[i].callback, nullptr, nullptr, nullptr, napi_default, nullptr});
  props.push_back({"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr});
  props.push_back({"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr});
  napi_define_properties(env, exports, props.size(), props.data());
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
