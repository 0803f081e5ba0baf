#ifndef CNN_ACT_H
#define CNN_ACT_H

enum { CNN_ACT_TANH = 1, CNN_ACT_SIGMOID = 2, CNN_ACT_LRELU = 3 };

#endif
