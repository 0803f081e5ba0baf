/* The argument lists of ops.h's rows, and the few macros that expand them.
 *
 * A row (ops.h) names an op and each of its arguments once, in order, each
 * marked as one of
 *     VAL(type, name)   a plain value, or
 *     MEM(type, name)   a pointer into the backend's memory (from its alloc).
 * VAL and MEM are never defined: the macros below paste a prefix onto the
 * marker (CNN_ARG_NAME_ ## MEM(float *, y) is CNN_ARG_NAME_MEM(float *, y)),
 * so each place picks what it needs from the same row. For the arguments
 * MEM(float *, y), VAL(long, n):
 *     CNN_PARAMS(args)       float *y, long n   a prototype's parameters
 *     CNN_NAMES(args)        y, n               a call's arguments
 *     CNN_MEM_NAMES(args)    y,                 the MEM ones, each with a comma
 *     CNN_MAP(f, sep, args)  f(arg) for each argument, sep() between two. */
#ifndef CNN_OP_ARGS_H
#define CNN_OP_ARGS_H

#define CNN_ARG_TYPE(arg) CNN_ARG_TYPE_##arg
#define CNN_ARG_TYPE_VAL(type, name) type
#define CNN_ARG_TYPE_MEM(type, name) type

#define CNN_ARG_NAME(arg) CNN_ARG_NAME_##arg
#define CNN_ARG_NAME_VAL(type, name) name
#define CNN_ARG_NAME_MEM(type, name) name

#define CNN_ARG_PARAM(arg) CNN_ARG_TYPE(arg) CNN_ARG_NAME(arg)

#define CNN_ARG_MEM_NAME(arg) CNN_ARG_MEM_NAME_##arg
#define CNN_ARG_MEM_NAME_VAL(type, name)
#define CNN_ARG_MEM_NAME_MEM(type, name) name,

#define CNN_PARAMS(...) CNN_MAP(CNN_ARG_PARAM, CNN_COMMA, __VA_ARGS__)
#define CNN_NAMES(...) CNN_MAP(CNN_ARG_NAME, CNN_COMMA, __VA_ARGS__)
#define CNN_MEM_NAMES(...) CNN_MAP(CNN_ARG_MEM_NAME, CNN_NOTHING, __VA_ARGS__)

/* Separators, passed by name and called as sep() inside CNN_MAP_<n>: a
 * bare comma would split CNN_MAP's own arguments. */
#define CNN_COMMA() ,
#define CNN_NOTHING()

/* f(arg) for each of 1 to 16 arguments: CNN_MAP_<count> peels one off and
 * hands the rest to CNN_MAP_<count - 1>. */
#define CNN_MAP(f, sep, ...) CNN_MAP_N(CNN_COUNT(__VA_ARGS__))(f, sep, __VA_ARGS__)
#define CNN_MAP_N(count) CNN_MAP_N_(count)
#define CNN_MAP_N_(count) CNN_MAP_##count

/* How many arguments (1 to 16): they push the numbers to the right, and
 * the one that lands in the 17th place is the count (the 0 keeps C11's
 * rule that a "..." receives at least one argument). */
#define CNN_COUNT(...) \
    CNN_COUNT_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define CNN_COUNT_(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, count, ...) count

#define CNN_MAP_1(f, sep, a) f(a)
#define CNN_MAP_2(f, sep, a, ...) f(a) sep() CNN_MAP_1(f, sep, __VA_ARGS__)
#define CNN_MAP_3(f, sep, a, ...) f(a) sep() CNN_MAP_2(f, sep, __VA_ARGS__)
#define CNN_MAP_4(f, sep, a, ...) f(a) sep() CNN_MAP_3(f, sep, __VA_ARGS__)
#define CNN_MAP_5(f, sep, a, ...) f(a) sep() CNN_MAP_4(f, sep, __VA_ARGS__)
#define CNN_MAP_6(f, sep, a, ...) f(a) sep() CNN_MAP_5(f, sep, __VA_ARGS__)
#define CNN_MAP_7(f, sep, a, ...) f(a) sep() CNN_MAP_6(f, sep, __VA_ARGS__)
#define CNN_MAP_8(f, sep, a, ...) f(a) sep() CNN_MAP_7(f, sep, __VA_ARGS__)
#define CNN_MAP_9(f, sep, a, ...) f(a) sep() CNN_MAP_8(f, sep, __VA_ARGS__)
#define CNN_MAP_10(f, sep, a, ...) f(a) sep() CNN_MAP_9(f, sep, __VA_ARGS__)
#define CNN_MAP_11(f, sep, a, ...) f(a) sep() CNN_MAP_10(f, sep, __VA_ARGS__)
#define CNN_MAP_12(f, sep, a, ...) f(a) sep() CNN_MAP_11(f, sep, __VA_ARGS__)
#define CNN_MAP_13(f, sep, a, ...) f(a) sep() CNN_MAP_12(f, sep, __VA_ARGS__)
#define CNN_MAP_14(f, sep, a, ...) f(a) sep() CNN_MAP_13(f, sep, __VA_ARGS__)
#define CNN_MAP_15(f, sep, a, ...) f(a) sep() CNN_MAP_14(f, sep, __VA_ARGS__)
#define CNN_MAP_16(f, sep, a, ...) f(a) sep() CNN_MAP_15(f, sep, __VA_ARGS__)

#endif
