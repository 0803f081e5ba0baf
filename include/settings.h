/* The run's settings: one row each, in one table (RUN_SETTINGS below).
 *
 * From the rows, and nowhere else, come: the run_config struct; the flags of
 * every command that takes a setting (src/cli/flags.c), with --help showing
 * the value the chosen preset really uses; the presets, written as sparse
 * overrides of the defaults ("lr=0.02 momentum=0.9", src/run/presets.c);
 * the resume's refusal of a changed setting and --save-best's same-recipe
 * check; the banner cnn train prints; summary's preset-flags line; the
 * command that continues an interrupted run; and the checkpoint's settings
 * section (docs/checkpoint-format.md). Adding a setting is a row, its use,
 * and a test (docs/internals.md, "How to add a setting").
 *
 * A row: X(field, flag, type, choices, default, range, roles, commands, help)
 *   field     the run_config member
 *   flag      its name on the command line (--flag), in presets and in
 *             checkpoints
 *   type      INT, FLOAT, U64, BOOL, TEXT, CHOICE (one of `choices`, kept
 *             as its index) or AUGMENT (an --augment spec, kept parsed)
 *   default   as text, parsed by the same rules as the flag
 *   range     numbers: the interval a value must lie in, "[lo, hi]" with
 *             ( or ) for an open end and inf for none; NULL otherwise
 *   roles     what it takes part in (SET_* below)
 *   commands  the commands that take it as a flag (CMD_* below)
 *
 * Every float setting must be a normal float or 0 (where its range allows
 * 0): a smaller value would round to 0 or a denormal. */
#ifndef CNN_SETTINGS_H
#define CNN_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "hd/augment.h"

/* What a setting takes part in. */
enum {
    SET_PRESET = 1, /* a preset may set it; --help shows the chosen preset's value */
    SET_KEPT = 2,   /* a checkpoint keeps it; --resume takes the checkpoint's */
    SET_FIXED = 4,  /* --resume refuses a change: the run keeps its own */
    SET_RECIPE = 8, /* --save-best's same-run check compares it across a resume */
    SET_HINT = 16,  /* the command that continues an interrupted run repeats it */
};

/* The commands that take a setting as a flag. */
enum { CMD_TRAIN = 1, CMD_EVAL = 2, CMD_PREDICT = 4, CMD_VISUALIZE = 8, CMD_SUMMARY = 16 };

/* Where no other checkpoint limit applies: counts kept in an int. */
#define SET_INT_RANGE(lo) "[" #lo ", 2147483647]"
/* A checkpoint's limits on counts (checkpoint.h) keep every product of
 * them inside an int: epochs, the lr step and the batch up to 2^24. */
#define SET_COUNT_RANGE(lo) "[" #lo ", 16777216]"

#define PRESET_OF_RUN (SET_PRESET | SET_KEPT | SET_FIXED | SET_RECIPE)
/* The data's rows: kept, so eval and visualize find a model's data and a
 * resume its own (a flag given wins: the data's shape is checked). */
#define DATA_ROLES SET_KEPT
#define DATA_CMDS (CMD_TRAIN | CMD_EVAL | CMD_VISUALIZE | CMD_SUMMARY)
#define ON_DEVICE (CMD_TRAIN | CMD_EVAL | CMD_PREDICT | CMD_VISUALIZE)

/* clang-format off */
#define RUN_SETTINGS(X)                                                                           \
    X(net, "net", TEXT, NULL, "seed-cnn", NULL, 0, CMD_TRAIN | CMD_SUMMARY,                       \
      "preset (seed-cnn, mlp1, mlp2, seed-cnn4, lenet5, cnn-bn, seed-cnn-99, seed-cnn-fast, cifar-bn) or layer spec") \
    X(epochs, "epochs", INT, NULL, "30", SET_COUNT_RANGE(1), SET_PRESET | SET_KEPT, CMD_TRAIN,    \
      "epochs to train (a resume may raise it)")                                                  \
    X(batch, "batch", INT, NULL, "50", SET_COUNT_RANGE(1), PRESET_OF_RUN, CMD_TRAIN,              \
      "samples per step")                                                                         \
    X(eval_batch, "eval-batch", INT, NULL, "1000", SET_INT_RANGE(1), 0, CMD_TRAIN,                \
      "samples per evaluation pass over the test and --val sets (the larger set's size if smaller; refused before any data is read if the net cannot hold it); changes no result, allowed with --resume") \
    X(lr, "lr", FLOAT, NULL, "0.1", "(0, inf)", PRESET_OF_RUN, CMD_TRAIN, "learning rate")        \
    X(lr_step, "lr-step", INT, NULL, "5", SET_COUNT_RANGE(0), PRESET_OF_RUN, CMD_TRAIN,           \
      "multiply the lr by --lr-gamma every N epochs, 0 never (--lr-schedule step)")               \
    X(lr_gamma, "lr-gamma", FLOAT, NULL, "0.5", "(0, inf)", PRESET_OF_RUN, CMD_TRAIN,             \
      "the lr's factor every --lr-step epochs")                                                   \
    X(momentum, "momentum", FLOAT, NULL, "1e-4", "[0, inf)", PRESET_OF_RUN, CMD_TRAIN,            \
      "SGD momentum (sgd, nesterov)")                                                             \
    X(weight_decay, "weight-decay", FLOAT, NULL, "2e-4", "[0, inf)", PRESET_OF_RUN, CMD_TRAIN,    \
      "L2 weight decay (adamw: decoupled)")                                                       \
    X(normalize, "normalize", CHOICE, NORMALIZE_NAMES, "std", NULL, SET_PRESET | SET_FIXED,       \
      CMD_TRAIN, "inputs: std (mean 0, deviation 1), unit ([0,1]) or center ((byte-128)/255)")    \
    X(init_std, "init-std", FLOAT, NULL, "0", "[0, inf)", SET_PRESET | SET_FIXED, CMD_TRAIN,      \
      "weights at the start: 0 uniform in +-sqrt(6/fan_in) (He), else normal with this deviation") \
    X(bn_momentum, "bn-momentum", FLOAT, NULL, "0.1", "[0, 1]", PRESET_OF_RUN, CMD_TRAIN,         \
      "bn: weight of each batch in the running mean and variance")                                \
    X(bn_eps, "bn-eps", FLOAT, NULL, "1e-5", "(0, 1]", PRESET_OF_RUN, CMD_TRAIN,                  \
      "bn: added to the variance before its square root")                                         \
    X(optimizer, "optimizer", CHOICE, OPTIMIZER_NAMES, "sgd", NULL, PRESET_OF_RUN, CMD_TRAIN,     \
      "sgd (Caffe's momentum rule), nesterov, adam or adamw")                                     \
    X(lr_schedule, "lr-schedule", CHOICE, SCHEDULE_NAMES, "step", NULL, PRESET_OF_RUN, CMD_TRAIN, \
      "step (--lr-step, --lr-gamma), cosine (to 0), linear (to 0) or onecycle")                   \
    X(warmup, "warmup", FLOAT, NULL, "0", "[0, inf)", PRESET_OF_RUN, CMD_TRAIN,                   \
      "epochs (fractional allowed) of linear warmup to the schedule's rate; onecycle: epochs to its peak") \
    X(beta1, "beta1", FLOAT, NULL, "0.9", "[0, 1)", PRESET_OF_RUN, CMD_TRAIN,                     \
      "adam, adamw: the first moment's decay")                                                    \
    X(beta2, "beta2", FLOAT, NULL, "0.999", "[0, 1)", PRESET_OF_RUN, CMD_TRAIN,                   \
      "adam, adamw: the second moment's decay")                                                   \
    X(eps, "eps", FLOAT, NULL, "1e-8", "(0, inf)", PRESET_OF_RUN, CMD_TRAIN,                      \
      "adam, adamw: added to the denominator, above 0")                                                    \
    X(decay_bias, "decay-bias", BOOL, NULL, "true", NULL, PRESET_OF_RUN, CMD_TRAIN,               \
      "weight decay on biases and bn's scale and shift too (false: conv and fc weights only)")    \
    X(augment, "augment", AUGMENT, NULL, "none", NULL, PRESET_OF_RUN, CMD_TRAIN,                  \
      "training inputs moved at random each step: none, shift:N (N <= 8 pixels each way), affine:ROT,SCALE (ROT <= 180 degrees, SCALE <= 0.5), flip (mirrored left-right, half the samples), or several as shift:2,affine:10,0.1,flip") \
    X(data, "data", TEXT, NULL, "data/mnist", NULL, DATA_ROLES, DATA_CMDS,                       \
      "data folder: IDX files (MNIST's four names), CIFAR-10/100 binaries, or pictures in train/<class>/ and test/<class>/ (eval, visualize --model: the model's own by default)") \
    X(format, "format", CHOICE, FORMAT_NAMES, "auto", NULL, DATA_ROLES, DATA_CMDS,                \
      "what --data holds: auto (told by its files), idx, cifar10, cifar100 or folder")            \
    X(labels, "labels", CHOICE, LABELS_NAMES, "fine", NULL, DATA_ROLES, DATA_CMDS,                \
      "CIFAR-100: its fine labels (100 classes) or coarse ones (20)")                             \
    X(image_size, "image-size", TEXT, NULL, "", NULL, DATA_ROLES, DATA_CMDS,                      \
      "picture folders: HxW (or N for NxN) every picture is stretched to (\"\": the first picture's)") \
    X(channels, "channels", INT, NULL, "0", "[0, 3]", DATA_ROLES, DATA_CMDS,                      \
      "picture folders: 1 (grey) or 3 (colour) every picture is converted to (0: the first picture's)") \
    X(skip_bad, "skip-bad", BOOL, NULL, "false", NULL, DATA_ROLES, DATA_CMDS,                     \
      "picture folders: skip a picture that cannot be read (counted in the banner) instead of stopping") \
    X(class_names, "class-names", TEXT, NULL, "", NULL, SET_HINT, CMD_TRAIN,                      \
      "the classes' names, kept by the checkpoint: a file with one per line, or a comma-separated list (\"\": the data's own, if any)") \
    X(min_confidence, "min-confidence", FLOAT, NULL, "0.5", "[0, 1]", 0, CMD_PREDICT,             \
      "say so when a picture's top probability is below this (a blank page is no digit)")         \
    X(device, "device", CHOICE, DEVICE_NAMES, "auto", NULL, SET_HINT, ON_DEVICE,                   \
      "cpu, gpu, or auto (a GPU when present)")                                                   \
    X(gpu, "gpu", INT, NULL, "0", SET_INT_RANGE(0), SET_HINT, ON_DEVICE, "which GPU")              \
    X(seed, "seed", U64, NULL, "1", NULL, SET_KEPT | SET_FIXED | SET_RECIPE,                      \
      CMD_TRAIN | CMD_VISUALIZE, "random seed: weights, shuffling, dropout, augmentation, --val")  \
    X(log, "log", TEXT, NULL, "build/train.csv", NULL, SET_HINT, CMD_TRAIN,                        \
      "CSV log, appended to (\"\" for none)")                                                     \
    X(log_every, "log-every", INT, NULL, "200", SET_INT_RANGE(0), 0, CMD_TRAIN,                   \
      "steps between printed lines (0: only the epoch's)")                                        \
    X(csv_every, "csv-every", INT, NULL, "25", SET_INT_RANGE(0), 0, CMD_TRAIN,                    \
      "steps between the CSV log's train rows (0: only test rows)")                               \
    X(save, "save", TEXT, NULL, "", NULL, SET_HINT, CMD_TRAIN,                                    \
      "write a checkpoint here at the end, and on Ctrl-C")                                        \
    X(save_every, "save-every", INT, NULL, "0", SET_INT_RANGE(0), 0, CMD_TRAIN,                   \
      "also write it every N epochs (0: only at the end)")                                        \
    X(resume, "resume", TEXT, NULL, "", NULL, 0, CMD_TRAIN, "continue the run a checkpoint holds") \
    X(val_count, "val", INT, NULL, "0", "[0, 100000000]", SET_KEPT | SET_FIXED | SET_RECIPE,      \
      CMD_TRAIN, "hold out N of the training samples used (chosen by --seed) and evaluate them each epoch (0: none)") \
    X(save_best, "save-best", TEXT, NULL, "", NULL, SET_HINT, CMD_TRAIN,                          \
      "write a checkpoint here after each epoch whose validation accuracy is the best yet (needs --val)") \
    X(target_acc, "target-acc", FLOAT, NULL, "0", "[0, 100]", SET_HINT, CMD_TRAIN,                \
      "stop when the test accuracy reaches this percent; the JSON says when (0: off)")            \
    X(threads, "threads", INT, NULL, "0", "[0, 1024]", 0, ON_DEVICE,                              \
      "CPU threads (0: the free cores)")                                                          \
    X(train_limit, "train-limit", INT, NULL, "0", SET_INT_RANGE(0), SET_HINT, CMD_TRAIN,          \
      "train on the first N samples only (0: all)")                                               \
    X(quiet, "quiet", BOOL, NULL, "false", NULL, 0, CMD_TRAIN,                                    \
      "only the per-epoch lines and the JSON result")                                             \
    X(graph, "graph", BOOL, NULL, "true", NULL, 0, CMD_TRAIN,                                     \
      "GPU: replay one captured CUDA graph per step (false: launch each op, for debugging)")
/* clang-format on */

/* Each type's C type in run_config. */
#define SETTING_CTYPE_INT int
#define SETTING_CTYPE_FLOAT float
#define SETTING_CTYPE_U64 uint64_t
#define SETTING_CTYPE_BOOL int
#define SETTING_CTYPE_TEXT const char *
#define SETTING_CTYPE_CHOICE int
#define SETTING_CTYPE_AUGMENT cnn_augment

/* The values of a CHOICE setting, by index (run_config holds the index). */
enum { NORMALIZE_STD, NORMALIZE_UNIT, NORMALIZE_CENTER, NORMALIZE_COUNT };
enum { DEVICE_CPU, DEVICE_GPU, DEVICE_AUTO, DEVICE_COUNT };
enum { FORMAT_AUTO, FORMAT_IDX, FORMAT_CIFAR10, FORMAT_CIFAR100, FORMAT_FOLDER, FORMAT_COUNT };
enum { LABELS_FINE, LABELS_COARSE, LABELS_COUNT };

/* The run's configuration: one member per row. A TEXT value points at a
 * default, an argv word or a preset's text, never at memory to free. */
typedef struct run_config {
#define SETTING_FIELD(field, flag, type, ...) SETTING_CTYPE_##type field;
    RUN_SETTINGS(SETTING_FIELD)
#undef SETTING_FIELD
} run_config;

typedef enum { SET_INT, SET_FLOAT, SET_U64, SET_BOOL, SET_TEXT, SET_CHOICE, SET_AUGMENT } setting_type;

/* A row, as the code reads it. */
typedef struct {
    const char *flag;
    setting_type type;
    size_t offset;               /* of the value in run_config */
    const char *const *choices;  /* CHOICE: its words */
    int n_choices;
    const char *def;
    const char *range;
    int roles, commands;
    const char *help;
} setting_def;

extern const setting_def run_settings[];
extern const int run_settings_count;

/* The rows' count, as a constant. */
#define SETTING_ONE(...) +1
enum { SETTINGS_COUNT = 0 RUN_SETTINGS(SETTING_ONE) };

/* The row called flag ("lr"), or NULL. */
const setting_def *setting_find(const char *flag);
/* The row of a run_config member: SETTING(lr). */
#define SETTING(field) setting_of_offset(offsetof(run_config, field))
const setting_def *setting_of_offset(size_t offset);

/* d as the flag parser's row, its value in c and its default the row's. */
cli_opt setting_flag(const setting_def *d, run_config *c);

/* c with every row's default. */
void run_config_defaults(run_config *c);

/* The value of d in c, where it lives. */
void *setting_value(const setting_def *d, run_config *c);
const void *setting_cvalue(const setting_def *d, const run_config *c);

/* A CHOICE setting's word in c ("adam"). */
const char *setting_choice(const setting_def *d, const run_config *c);

/* Parses text as d's value into c, by the flag's rules (plain digits, the
 * row's range, one of its choices...). Returns 0, or -1 with one line in
 * err that names --flag, the range or the choices, and the text. */
int setting_parse(const setting_def *d, run_config *c, const char *text, char *err,
                  size_t errlen);

/* A copy of text that lives as long as the program, for a TEXT setting
 * read from somewhere that does not (a checkpoint); NULL when memory runs
 * out. */
const char *setting_text_keep(const char *text);

/* d's value in c as text that setting_parse reads back to the same value
 * (floats in the fewest digits that do; choices as their word; augment as
 * its spec), e.g. "0.02", "adam", "shift:1", "true". */
void setting_format(const setting_def *d, const run_config *c, char *buf, size_t len);

/* For people (the banner): as setting_format, but augment described in
 * words and an empty text as "(none)". */
void setting_describe(const setting_def *d, const run_config *c, char *buf, size_t len);

/* Whether d's value in c is one its flag could give (in range, a normal
 * float, one of its choices...): 0, or -1 with err saying why, as a flag's
 * message does. For values read from elsewhere (a checkpoint). */
int setting_check(const setting_def *d, const run_config *c, char *err, size_t errlen);

/* Whether a and b hold the same value of d (floats bit for bit). */
int setting_same(const setting_def *d, const run_config *a, const run_config *b);

/* Copies d's value from src to dst. */
void setting_copy(const setting_def *d, run_config *dst, const run_config *src);

/* The first setting with any of `roles` whose value differs between a and
 * b, or NULL when all agree. */
const setting_def *settings_differ(const run_config *a, const run_config *b, int roles);

/* Applies "name=value name=value ..." (space-separated; names are flags)
 * to c, each parsed as setting_parse does. Only rows with all of `roles`
 * may be named. Returns 0, or -1 with err naming the word at fault. */
int settings_apply(run_config *c, const char *overrides, int roles, char *err, size_t errlen);

/* The value overrides gives for flag, as text in buf (NULL when it gives
 * none); what --help shows as a preset's default. */
const char *settings_override(const char *overrides, const char *flag, char *buf, size_t len);

#endif
