/* Tests: a one-channel input scaling as a pointer, for device_dataset_upload. */
#ifndef CNN_TEST_NORM_UTIL_H
#define CNN_TEST_NORM_UTIL_H

#include "input_norm.h"

#define NORM_OF(scale, shift) ((input_norm[]){input_norm_uniform(1, (scale), (shift))})

#endif
