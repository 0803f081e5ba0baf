/* The ops of the capture-checking backend (capture_ops.h), generated from
 * ops.h's rows: for each op, a struct of its arguments by value, a player
 * that runs the CPU op on a recorded copy, and the wrapper the table holds,
 * which checks that every MEM argument of the row is backend memory and
 * hands the struct to capture_issue (run now, or recorded for replay). */
#include "cpu/cpu_backend.h"
#include "capture_ops.h"
#include "capture_rec.h"

/* One argument as a struct field, and as read back from the record r_. */
#define CAP_FIELD(arg) CNN_ARG_TYPE(arg) CNN_ARG_NAME(arg);
#define CAP_RECORDED(arg) r_->CNN_ARG_NAME(arg)

/* The names end in _ so that no op's argument can share them. The pointer
 * list ends with a NULL (which capture_need_mem accepts) so that it is
 * never empty. */
#define CAP_OP(op, ...)                                                                            \
    typedef struct {                                                                               \
        CNN_MAP(CAP_FIELD, CNN_NOTHING, __VA_ARGS__)                                               \
    } op##_args;                                                                                   \
                                                                                                   \
    static void op##_play(const void *p_)                                                          \
    {                                                                                              \
        const op##_args *r_ = p_;                                                                  \
        cpu_ops.op(CNN_MAP(CAP_RECORDED, CNN_COMMA, __VA_ARGS__));                                 \
    }                                                                                              \
                                                                                                   \
    static void cap_##op(CNN_PARAMS(__VA_ARGS__))                                                  \
    {                                                                                              \
        const void *mem_[] = {CNN_MEM_NAMES(__VA_ARGS__) NULL};                                    \
        for (size_t i_ = 0; i_ < sizeof mem_ / sizeof mem_[0]; i_++)                               \
            capture_need_mem(#op, mem_[i_]);                                                       \
        op##_args rec_ = {CNN_NAMES(__VA_ARGS__)};                                                 \
        capture_issue(op##_play, &rec_, sizeof rec_);                                              \
    }

CNN_COMPUTE_OPS(CAP_OP)

#define CAP_OP_ENTRY(op, ...) .op = cap_##op,
const cnn_ops capture_ops = {
    .name = "cpu",
    .alloc = cap_alloc,
    .free = cap_free,
    .upload = cap_upload,
    .download = cap_download,
    .zero = cap_zero,
    .sync = cap_sync,
    CNN_COMPUTE_OPS(CAP_OP_ENTRY)
    /* CNN_OPTIONAL_OPS (conv_fwd and conv_bwd) stay NULL: nets compose them as on the GPU */
    .time_ms = cap_time_ms,
    .capture_begin = cap_capture_begin,
    .capture_end = cap_capture_end,
    .replay = cap_replay,
    .graph_free = cap_graph_free,
};
