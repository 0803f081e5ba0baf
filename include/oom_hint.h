/* Out of memory: one line that names what needed the memory and the setting
 * that sizes it. A command says which setting sizes what it allocates next
 * (oom_hint_set, before net_create or a data set's upload); every allocator
 * that runs out (the CPU backend's, the GPU's, the net's host buffers) ends
 * the run with that hint, e.g.
 *
 *   cnn: out of memory: 191.4 MiB for activations (the net's buffers hold
 *   --eval-batch 1000 samples: try a smaller --eval-batch)
 *
 * (one line). src/run/oom_hint.c. */
#ifndef CNN_OOM_HINT_H
#define CNN_OOM_HINT_H

#ifdef __cplusplus
extern "C" {
#endif

/* The hint for what is allocated from now on, and none. */
void oom_hint_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oom_hint_clear(void);

/* The hint set last, "" when none. */
const char *oom_hint(void);

/* "cnn: out of memory: <MiB> for <what> (<hint>)" on stderr, and exit 1. */
void oom_fail(const char *what, double bytes) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif
