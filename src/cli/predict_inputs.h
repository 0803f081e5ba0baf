/* cnn predict's arguments made a list of pictures: a file is itself, a
 * folder its files. */
#ifndef CNN_PREDICT_INPUTS_H
#define CNN_PREDICT_INPUTS_H

/* Most pictures one call classifies, folders expanded. */
#define PREDICT_MAX_IMAGES 4096

typedef struct {
    char *path;   /* malloc'ed */
    char *error;  /* malloc'ed one-line message when it cannot be classified (a folder that
                     cannot be listed or holds no file), else NULL */
} predict_input;

typedef struct {
    int n;        /* how many the arguments name, counted past PREDICT_MAX_IMAGES */
    predict_input *item; /* the first min(n, PREDICT_MAX_IMAGES), in order */
} predict_inputs;

/* Each of args in order: a folder (or a link to one) stands for its
 * entries in byte order of their names, skipping names that start with a
 * dot and sub-folders (not entered; a line on stdout counts them); anything
 * else is taken as a picture's path, to be read (and refused, if need be)
 * later. Returns 0, or -1 when memory runs out (printed). */
int predict_inputs_expand(const char *const *args, int n_args, predict_inputs *out);
void predict_inputs_free(predict_inputs *in);

#endif
