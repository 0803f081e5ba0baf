## make               build build/cnn (with the GPU backend when nvcc is found)
## make CUDA=0        CPU-only build: needs no CUDA header or library
## make test          build and run the test suite (GPU tests skip without a GPU)
## make train         build and train the default net on data/mnist (TRAIN_FLAGS="...")
## make data          check data/mnist against its checksums; fetch what is missing
## make deps          check (and install) the libraries the build links
## make help          this list
## make plots RUN="DIR..."  charts of training runs (DIR/train.csv)
## make report [EPOCHS=N] [SEEDS="1 2 3"]  the report's tables and figures, ours beside its own
## make bench         this project against the CPU, the GPU and its peers (bench/)
## make derived-data  the colour data sets derived from data/mnist, in build/derived (docs/data.md)
## make bench-load    the CPU trainer beside 4 busy processes: default threads against --threads 1
## make device-check  on a GPU machine: build for it, GPU tests, sanitizers, timings, peers
##                    (fails without a GPU or compute-sanitizer)
## make fresh-check   the README's quick start in fresh Debian roots, offline training
## make test SAN=1    the CPU code and tests under ASan and UBSan (in build/san)
## make fuzz [FUZZ_SECONDS=N]  libFuzzer on the file readers and the spec parser
## make clean         remove build/

NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
# SAN=1: AddressSanitizer and UndefinedBehaviorSanitizer, CPU only, in build/san.
ifeq ($(SAN),1)
CUDA := 0
endif
ifeq ($(origin CUDA),undefined)
CUDA := $(if $(NVCC),1,0)
endif
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
# A fat binary: Ampere and Hopper machine code plus PTX for newer GPUs.
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90

CC ?= cc
OPT ?= -O3 -march=native
CFLAGS ?= $(OPT)
CFLAGS += -std=c11 -Wall -Wextra -fopenmp -Iinclude -D_POSIX_C_SOURCE=200809L
# Without AVX (SAN=1, a generic OPT) GCC and clang note that 32-byte vectors
# passed by value change the ABI; include/cpu_vec.h's helpers are static
# inline and never cross an ABI boundary.
CFLAGS += -Wno-psabi
LDLIBS = -lopenblas -lpng -ljpeg -lz -lm -fopenmp
NVCCFLAGS ?= -O3 -std=c++17 $(CUDA_ARCH) -Iinclude -DCNN_HAVE_CUDA -Xcompiler -Wall,-Wextra

BUILD := build
ifeq ($(SAN),1)
BUILD := build/san
# -march=native: the same vector code paths as the normal build
OPT := -O1 -g -fno-omit-frame-pointer -march=native
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined
CFLAGS += $(SANITIZE)
LDLIBS += $(SANITIZE)
TEST_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
endif
# Sources by folder: src/<part>/*.c (README "Layout"); main.c starts the binary.
LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CU_SRC := $(if $(filter 1,$(CUDA)),$(wildcard kernels/*.cu))
CU_OBJ := $(CU_SRC:kernels/%.cu=$(BUILD)/obj/kernels/%.o)
TEST_SRC := $(filter-out tests/test_gpu%.c,$(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/obj/tests/%.o)
GPU_TEST_SRC := $(wildcard tests/test_gpu*.c) tests/graph_scenarios.c tests/capture_ops.c \
                tests/capture_ops_table.c
GPU_TEST_OBJ := $(GPU_TEST_SRC:tests/%.c=$(BUILD)/obj/tests/%.o)

ifeq ($(CUDA),1)
CFLAGS += -DCNN_HAVE_CUDA
LDLIBS += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
endif

# What this build has, said first by make test (cnn train's banner says it too).
ifeq ($(CUDA),1)
CUDA_VERSION := $(shell $(NVCC) --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\),.*/\1/p')
BACKENDS := CPU and CUDA $(CUDA_VERSION) ($(NVCC))
else
BACKENDS := CPU only ($(if $(NVCC),built with CUDA=0,no nvcc found): the GPU tests are skipped)
endif
ifneq ($(filter test,$(MAKECMDGOALS)),)
ifndef MAKE_RESTARTS
$(info make test: this build's backends: $(BACKENDS))
endif
endif

# scripts/deps.sh checks each library the build links by compiling and
# linking a small program with these flags, installs what is missing, and
# writes the flags that reach OpenBLAS's own cblas.h to $(DEPS_MK); make then
# restarts and reads them. Goals that compile nothing skip it, and so does
# make -n (it would run it: make remakes included makefiles even then).
.DEFAULT_GOAL := all
DEPS_MK := $(BUILD)/deps.mk
NO_BUILD_GOALS := clean help data deps plots fresh-check device-check
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
ifneq ($(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(DEPS_MK)
# checked again when the compiler changes or OpenBLAS's header is gone
ifneq ($(DEPS_CC)|$(wildcard $(DEPS_FILES)),$(CC)|$(DEPS_FILES))
$(DEPS_MK): FORCE
endif
endif
endif
# Replaced only when what it says changes, so that nothing rebuilds for nothing.
$(DEPS_MK) deps:
	@mkdir -p $(BUILD)
	@CC="$(CC)" CFLAGS="$(filter-out $(OPENBLAS_CFLAGS),$(CFLAGS))" \
	    bash scripts/deps.sh build >$(DEPS_MK).tmp || { rm -f $(DEPS_MK).tmp; exit 1; }
	@if cmp -s $(DEPS_MK).tmp $(DEPS_MK); then rm $(DEPS_MK).tmp; else mv $(DEPS_MK).tmp $(DEPS_MK); fi
CFLAGS += $(OPENBLAS_CFLAGS)
FORCE:

# Rebuild everything when the CUDA switch flips.
CONFIG := $(BUILD)/config-cuda$(CUDA)

.PHONY: all test train data bench bench-load plots report fuzz clean deps device-check fresh-check help FORCE
.PHONY: derived-data
all: $(BUILD)/cnn

$(CONFIG): $(DEPS_MK)
	@mkdir -p $(BUILD) && rm -f $(BUILD)/config-cuda* && touch $@

$(BUILD)/libcnn.a: $(LIB_OBJ) $(CU_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/cnn: $(BUILD)/obj/cli/main.o $(BUILD)/libcnn.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# build/cnn-hooks, for the tests only: the binary with the hooks they set
# through the environment (CNN_TEST_SIGINT_AT_STEP: an interrupt after an
# exact step; CNN_TEST_FAIL_SAVE_AT_EPOCH: a save that fails as a full disk
# would). The files that hold them are compiled again with CNN_TEST_HOOKS;
# build/cnn has none of it.
HOOKED_SRC := src/cli/cmd_train.c src/run/saver.c
HOOKED_OBJ := $(HOOKED_SRC:src/%.c=$(BUILD)/obj-hooks/%.o)
$(BUILD)/obj-hooks/%.o: src/%.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DCNN_TEST_HOOKS -MMD -MP -c $< -o $@

$(BUILD)/cnn-hooks: $(BUILD)/obj/cli/main.o $(HOOKED_OBJ) $(BUILD)/libcnn.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# ISO C mode turns off fused multiply-add contraction; the direct
# convolution's vector loops are written for it.
$(BUILD)/obj/cpu/cpu_conv.o: CFLAGS += -ffp-contract=fast

$(BUILD)/obj/kernels/%.o: kernels/%.cu $(CONFIG)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -MMD -MP -c $< -o $@

# Tests and the benchmark may include a part's private header ("cpu/cpu_kernels.h").
$(BUILD)/obj/tests/%.o: tests/%.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -Isrc -MMD -MP -c $< -o $@

# cnn-bench counts a step's ops with the tests' capture-checking backend.
$(BUILD)/cnn-bench: $(BUILD)/obj/bench/bench.o $(BUILD)/obj/tests/capture_ops.o \
                    $(BUILD)/obj/tests/capture_ops_table.o $(BUILD)/libcnn.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/bench/%.o: bench/%.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -Isrc -MMD -MP -c $< -o $@

$(BUILD)/test-cpu: $(TEST_OBJ) $(BUILD)/libcnn.a
	$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

$(BUILD)/test-gpu: $(GPU_TEST_OBJ) $(BUILD)/libcnn.a
	$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

# The GPU suite first: it prints one line and passes where there is no GPU.
# It runs one test at a time (-j1): a GPU in exclusive-process mode takes
# one process only, and parallel tests would share the card's memory.
TEST_BINS := $(if $(filter 1,$(CUDA)),$(BUILD)/test-gpu) $(BUILD)/test-cpu
test: $(TEST_BINS) $(BUILD)/cnn $(BUILD)/cnn-hooks
	@for t in $(TEST_BINS); do echo "== $$t"; jobs=; [ $$t = $(BUILD)/test-gpu ] && jobs=-j1; \
	    $(TEST_ENV) CNN_BIN=$(BUILD)/cnn CNN_HOOKS_BIN=$(BUILD)/cnn-hooks $$t $$jobs $(TEST_FLAGS) \
	    || exit 1; done

data:
	@bash data/fetch_mnist.sh data/mnist

plots:
	@bash scripts/deps.sh plots
	@bash scripts/plots.sh $(RUN)

report: $(BUILD)/cnn
	@bash scripts/deps.sh plots
	@test -n "$(DATA)" || test -f data/mnist/.verified || bash data/fetch_mnist.sh data/mnist
	@EPOCHS="$(EPOCHS)" SEEDS="$(SEEDS)" DEVICE="$(DEVICE)" DATA="$(DATA)" \
		TRAIN_LIMIT="$(TRAIN_LIMIT)" OUT="$(OUT)" CNN="$(BUILD)/cnn" bash scripts/report.sh

bench: $(BUILD)/cnn-bench $(BUILD)/cnn
	@bash scripts/deps.sh bench
	@test -f data/mnist/.verified || bash data/fetch_mnist.sh data/mnist
	@bash bench/run.sh

bench-load: $(BUILD)/cnn
	@test -f data/mnist/.verified || bash data/fetch_mnist.sh data/mnist
	@bash bench/under_load.sh $(BUILD)/cnn

train: $(BUILD)/cnn
	@test -f data/mnist/.verified || bash data/fetch_mnist.sh data/mnist
	$(BUILD)/cnn train --data data/mnist $(TRAIN_FLAGS)

# build/derive-data writes the data sets derived from MNIST (docs/data.md);
# it links libjpeg, which the trainer itself does not need for this.
$(BUILD)/derive-data: $(BUILD)/obj/scripts/derive_data.o $(BUILD)/libcnn.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -ljpeg

$(BUILD)/obj/scripts/%.o: scripts/%.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Derived again from scratch each time (a second or two): the same bytes.
derived-data: $(BUILD)/derive-data
	@test -f data/mnist/.verified || bash data/fetch_mnist.sh data/mnist
	@rm -rf $(addprefix $(BUILD)/derived/,colour-mnist digit-folder colour-mnist.partial \
	    digit-folder.partial)
	$(BUILD)/derive-data data/mnist $(BUILD)/derived

# libFuzzer (clang) on the IDX, checkpoint and spec readers, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: $(DEPS_MK)
	@bash fuzz/run.sh $(FUZZ_SECONDS)

# The one command for a machine with an NVIDIA GPU; logs go to OUT_DIR. The
# script looks for compute-sanitizer beside this nvcc (CUDA_HOME/bin) too.
device-check:
	@OUT_DIR=$(or $(OUT_DIR),$(BUILD)/device-check) NVCC="$(NVCC)" CUDA_HOME="$(CUDA_HOME)" \
	    bash scripts/device-check.sh

# The README's quick start, word for word, in fresh Debian roots (scripts/fresh-check.sh).
fresh-check:
	@bash scripts/fresh-check.sh

help:
	@sed -n 's/^## //p' Makefile

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/*/*.d $(BUILD)/obj-hooks/*/*.d)
