#include "index.h"

namespace wb {

// The list the addon exports (the TypeScript side lists the same names in ../../kernels/index.ts;
// test/engine/native-kernels.test.ts checks both agree).
const KernelBinding kKernels[] = {
    {"conv2dEx", Conv2dExBinding},
    {"conv2dBackpropFilter", Conv2dBackpropFilterBinding},
    {"conv2dBackpropInput", Conv2dBackpropInputBinding},
    {"bnMoments", BnMomentsBinding},
    {"bnScaleShift", BnScaleShiftBinding},
    {"bnGrad", BnGradBinding},
    {"elementwise", ElementwiseBinding},
    {"instanceNorm", InstanceNormBinding},
    {"instanceNormGrad", InstanceNormGradBinding},
    {"adamUpdate", AdamUpdateBinding},
    {"sgdMomentumUpdate", SgdMomentumUpdateBinding},
    {"runningStatsUpdate", RunningStatsUpdateBinding},
    {"reflectPadGrad", ReflectPadGradBinding},
    {"spatialMean", SpatialMeanBinding},
};
const std::size_t kKernelCount = sizeof(kKernels) / sizeof(kKernels[0]);

}  // namespace wb
