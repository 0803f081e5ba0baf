/* The CIFAR-10 and CIFAR-100 binary versions: records of a label byte (two
 * for CIFAR-100: coarse, then fine) and 3 x 32 x 32 bytes, channel-first,
 * in files of whole records. Read with the same safe reader and size checks
 * as IDX (file_read.h): each file's size must be a whole number of records,
 * checked before it is read. */
#ifndef CNN_CIFAR_H
#define CNN_CIFAR_H

#include <stddef.h>

#include "dataset.h"

enum { CIFAR_NONE = 0, CIFAR_10 = 10, CIFAR_100 = 100 };

/* Which version dir holds: CIFAR_10 when it has data_batch_1.bin, CIFAR_100
 * when it has train.bin, else CIFAR_NONE. */
int cifar_detect(const char *dir);

/* Loads dir's training files into train and its test file into test
 * (either NULL: not read). CIFAR-10: data_batch_1.bin .. data_batch_5.bin
 * (those present, from 1 on, at least the first; one past a missing one is
 * refused, not dropped) and test_batch.bin; class names from
 * batches.meta.txt when present. CIFAR-100 (version CIFAR_100): train.bin
 * and test.bin, the fine labels (100 classes) or with coarse set the coarse
 * ones (20; coarse with CIFAR_10 is refused), names from
 * fine_label_names.txt or coarse_label_names.txt when present; both of a
 * record's labels are range-checked. Only the raw .bin files are read (as
 * CIFAR ships them inside its tar.gz): a gzipped one, or the Python
 * version's files, are refused with a hint. A label beyond the classes
 * (naming the file and the record), a file that is not whole records or
 * holds more than IDX_MAX_ITEMS, a names file of another count than the
 * classes, a missing file: one line in err naming it. Returns 0, or -1
 * (train and test then hold nothing). */
int cifar_load(const char *dir, int version, int coarse, dataset *train, dataset *test,
               char *err, size_t errlen);

#endif
